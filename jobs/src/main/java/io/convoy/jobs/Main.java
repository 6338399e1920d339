package io.convoy.jobs;

import io.convoy.pipeline.preprocess.PreprocessSummary;
import io.convoy.pipeline.preprocess.Preprocessor;
import java.io.File;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.SparkSession;

/**
 * The entry point of the runnable jar and of {@code bin/convoy}:
 * {@code train|evaluate|predict|preprocess <config file> [key=value ...] [--resume[=<checkpoint>]]},
 * {@code report <run dir>} and {@code bench [config] [key=value ...]}.
 *
 * <p>Exit codes: 0 success, 2 a configuration or usage error, 1 any other failure. Errors print one line
 * on stderr ({@code convoy: <message>}); the stack trace follows only with {@code -Dconvoy.trace=true}.
 */
public final class Main {
  /** Exit code of a bad command line or configuration. */
  public static final int CONFIG_ERROR = 2;
  /** Exit code of a failure while running. */
  public static final int RUNTIME_ERROR = 1;

  static final String USAGE = "usage: convoy <train|evaluate|predict|preprocess> <config file> [key=value ...]"
      + " [--resume[=<checkpoint dir>]] | convoy report <run dir> | convoy export <model.cvm> <out.onnx>"
      + " [--normalised-input] | convoy bench [config] [key=value ...]";

  private Main() {}

  public static void main(String[] args) {
    int code = run(args, System.out, System.err);
    System.out.flush();
    if (code != 0) {
      System.exit(code);
    }
  }

  /** Runs a job and returns its exit code instead of exiting (tests call this). */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    if (args.length > 0 && args[0].equals("report")) {
      try {
        ReportJob.run(List.of(args).subList(1, args.length), out);
        return 0;
      } catch (JobConfigException e) {
        return fail(err, e, CONFIG_ERROR);
      } catch (RuntimeException e) {
        return fail(err, e, RUNTIME_ERROR);
      }
    }
    if (args.length > 0 && args[0].equals("export")) {
      try {
        ExportJob.run(List.of(args).subList(1, args.length), out);
        return 0;
      } catch (JobConfigException e) {
        return fail(err, e, CONFIG_ERROR);
      } catch (RuntimeException e) {
        return fail(err, e, RUNTIME_ERROR);
      }
    }
    if (args.length > 0 && args[0].equals("bench")) {
      try {
        io.convoy.jobs.bench.BenchJob.Outcome o = io.convoy.jobs.bench.BenchJob.run(List.of(args).subList(1, args.length),
            out);
        if (o.failures() > 0) {
          err.println("convoy: " + o.failures() + " benchmark run(s) failed; the others are in " + o.benchJson());
          return RUNTIME_ERROR;
        }
        return 0;
      } catch (JobConfigException e) {
        return fail(err, e, CONFIG_ERROR);
      } catch (RuntimeException | Error e) {
        return fail(err, e, RUNTIME_ERROR);
      }
    }
    Command cmd;
    JobConfig config = null;
    JobConfig.PreprocessSettings prep = null;
    try {
      cmd = Command.parse(args);
      com.typesafe.config.Config loaded = JobConfigs.load(cmd.configFile(), cmd.overrides());
      if (cmd.name().equals("preprocess")) {
        prep = JobConfigs.parsePreprocess(loaded);
      } else {
        config = JobConfigs.parse(loaded);
        cmd.checkRequired(config);
      }
    } catch (JobConfigException e) {
      return fail(err, e, CONFIG_ERROR);
    } catch (RuntimeException e) {
      return fail(err, e, RUNTIME_ERROR);
    }
    try {
      switch (cmd.name()) {
        case "train" -> TrainJob.run(config, cmd.resume(), out);
        case "evaluate" -> EvaluateJob.run(config, out);
        case "preprocess" -> preprocess(prep, out);
        default -> PredictJob.run(config, out);
      }
      return 0;
    } catch (JobConfigException e) {
      return fail(err, e, CONFIG_ERROR);
    } catch (RuntimeException | Error e) {
      return fail(err, e, RUNTIME_ERROR);
    }
  }

  /**
   * The {@code preprocess} command: runs {@link Preprocessor} on the job's Spark session, prints the
   * summary and, as the last line, the committed output folder.
   */
  static void preprocess(JobConfig.PreprocessSettings p, PrintStream out) {
    boolean existed = SparkSession.getActiveSession().isDefined() || SparkSession.getDefaultSession().isDefined();
    SparkSession spark = Sessions.create(p.spark());
    try {
      PreprocessSummary s = Preprocessor.run(spark, p.options());
      out.println("convoy " + s.describe());
      out.println(s.output());
      out.flush();
    } finally {
      if (!existed) {
        spark.stop();
      }
    }
  }

  private static int fail(PrintStream err, Throwable e, int code) {
    String msg = e.getMessage() == null ? e.toString() : e.getMessage();
    if (!(e instanceof JobConfigException) && e.getCause() != null && e.getMessage() == null) {
      msg = e.getCause().toString();
    }
    err.println("convoy: " + msg.replace('\n', ' '));
    if (code == CONFIG_ERROR && e instanceof JobConfigException && e.getMessage().startsWith("usage")) {
      err.println(USAGE);
    }
    if (Boolean.getBoolean("convoy.trace")) {
      e.printStackTrace(err);
    }
    err.flush();
    return code;
  }

  /**
   * A parsed command line.
   *
   * @param name train, evaluate or predict
   * @param configFile the job file
   * @param overrides {@code key=value} arguments in order
   * @param resume null: no resume; "": the newest checkpoint in checkpoint.dir; else the checkpoint folder to
   *     resume from (its newest checkpoint)
   */
  record Command(String name, File configFile, List<String> overrides, String resume) {

    static Command parse(String[] args) {
      if (args.length < 2) {
        throw new JobConfigException("usage: expected a command and a config file, got " + args.length + " argument(s). "
            + USAGE);
      }
      String name = args[0];
      if (!List.of("train", "evaluate", "predict", "preprocess").contains(name)) {
        throw new JobConfigException("usage: unknown command '" + name + "', expected train, evaluate, predict, preprocess,"
            + " report, export or bench. "
            + USAGE);
      }
      File file = new File(args[1]);
      if (!file.isFile()) {
        throw new JobConfigException("config file " + file + " does not exist");
      }
      List<String> overrides = new ArrayList<>();
      String resume = null;
      for (int i = 2; i < args.length; i++) {
        String a = args[i];
        if (a.equals("--resume")) {
          resume = "";
        } else if (a.startsWith("--resume=")) {
          resume = a.substring("--resume=".length());
        } else if (a.startsWith("--")) {
          throw new JobConfigException("usage: unknown option '" + a + "'. " + USAGE);
        } else {
          overrides.add(a);
        }
      }
      if (resume != null && !name.equals("train")) {
        throw new JobConfigException("usage: --resume only applies to train, got it with " + name);
      }
      return new Command(name, file, overrides, resume);
    }

    /** Checks the keys this command needs beyond the defaults. */
    void checkRequired(JobConfig c) {
      switch (name) {
        case "train" -> {
          if (!c.data().train().isGiven()) {
            throw new JobConfigException("data.train.images and data.train.labels (or data.train.shards) are required"
                + " for train, got " + c.data().train().images() + " and " + c.data().train().labels());
          }
          if ("".equals(resume) && c.checkpoint().dir() == null) {
            throw new JobConfigException("--resume without a file needs checkpoint.dir (the run folder is new),"
                + " got checkpoint.dir = null");
          }
        }
        case "evaluate" -> needModelAndData(c.evaluate(), "evaluate", c);
        default -> needModelAndData(c.predict(), "predict", c);
      }
    }

    private static void needModelAndData(JobConfig.ModelUse use, String section, JobConfig c) {
      if (use.model() == null) {
        throw new JobConfigException(section + ".model is required for " + section + " (a model.cvm file), got null");
      }
      JobConfig.DataFiles files = c.data().named(use.data());
      if (!files.isGiven()) {
        throw new JobConfigException(section + ".data = " + use.data() + " but " + files.key()
            + ".images and " + files.key() + ".labels (or " + files.key() + ".shards) are not set");
      }
    }
  }
}
