package io.convoy.jobs.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import io.convoy.jobs.ConfigReader;
import io.convoy.jobs.JobConfigException;
import io.convoy.jobs.JobConfigs;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark's settings: {@code conf/bench.conf} (the defaults, every key documented there), then the
 * given file, then {@code key=value} overrides. A key the defaults do not have is rejected, naming it.
 *
 * @param home the Convoy checkout (scripts/, conf/)
 * @param sections which sections run, in the fixed order fma, sgemm, layers, train, predict
 * @param outputDir the folder that receives {@code bench-<timestamp>/}
 * @param threads thread counts to compare at (1 and/or 2)
 * @param python the Python 3 that runs the peers
 * @param peerEnvUnset environment variables removed for the peers
 * @param peerEnv environment variables set for the peers (name to value)
 * @param childTimeoutMinutes a child process is killed after this long
 * @param epochs training epochs of every training run
 * @param warmUpSeconds the shortest warm-up before a timed operation (and at least 20 calls)
 */
record BenchSettings(Path home, Config resolved, List<String> sections, Path outputDir, List<Integer> threads,
    String python, List<String> peerEnvUnset, Map<String, String> peerEnv, int childTimeoutMinutes, int epochs, double warmUpSeconds,
    int fmaRounds, double fmaSeconds,
    List<Integer> sgemmSizes, boolean sgemmCnnShapes, int sgemmRounds, double sgemmSeconds,
    List<String> layerModels, int layerBatch, int layerRounds, double layerSeconds,
    Path trainConfig, int trainBatch, boolean trainSyncSgd, int trainLimit, int testLimit, List<String> trainOverrides,
    int predictLimit, int predictRepeats, int predictBatch) {

  static final List<String> SECTIONS = List.of("fma", "sgemm", "layers", "train", "predict");
  static final List<String> MODELS = List.of("reference-cnn", "lenet5");

  /** Where the launcher says the checkout is: -Dconvoy.home (bin/convoy), -Dconvoy.project.root (tests), else ".". */
  static Path defaultHome() {
    String home = System.getProperty("convoy.home", System.getProperty("convoy.project.root", "."));
    return Path.of(home).toAbsolutePath().normalize();
  }

  /** Loads {@code <home>/conf/bench.conf}, then {@code file} (may be null), then the overrides. */
  static BenchSettings load(Path home, File file, List<String> overrides) {
    Path defaultsFile = home.resolve("conf").resolve("bench.conf");
    if (!Files.isRegularFile(defaultsFile)) {
      throw new JobConfigException("the benchmark's defaults " + defaultsFile + " are missing (is convoy.home = "
          + home + " a Convoy checkout?)");
    }
    Config defaults = parse(defaultsFile.toFile());
    Config job = file == null ? ConfigFactory.empty() : parse(file);
    Config merged;
    try {
      merged = JobConfigs.parseOverrides(overrides).withFallback(job).withFallback(defaults).resolve();
    } catch (ConfigException e) {
      throw new JobConfigException("cannot resolve the benchmark config: " + e.getMessage(), e);
    }
    ConfigReader.rejectUnknownKeys(merged.root(), defaults.root(), "", Set.of());
    return parse(home, merged);
  }

  private static Config parse(File f) {
    try {
      return ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new JobConfigException("cannot read config file " + f + ": " + e.getMessage(), e);
    }
  }

  private static BenchSettings parse(Path home, Config c) {
    ConfigReader r = new ConfigReader(c);
    List<String> sections = r.stringList("bench.sections");
    for (String s : sections) {
      if (!SECTIONS.contains(s)) {
        throw new JobConfigException("bench.sections: unknown section '" + s + "', expected some of " + SECTIONS);
      }
    }
    List<Integer> threads = r.intList("bench.threads");
    if (threads.isEmpty() || threads.stream().anyMatch(t -> t != 1 && t != 2)) {
      throw new JobConfigException("bench.threads must list 1 and/or 2, got " + threads);
    }
    List<String> models = r.stringList("bench.layers.models");
    for (String m : models) {
      if (!MODELS.contains(m)) {
        throw new JobConfigException("bench.layers.models: unknown model '" + m + "', expected some of " + MODELS);
      }
    }
    List<Integer> sizes = r.intList("bench.sgemm.sizes");
    for (int n : sizes) {
      if (n <= 0 || n > 8192) {
        throw new JobConfigException("bench.sgemm.sizes must be in [1, 8192], got " + n);
      }
    }
    String out = r.string("bench.output-dir");
    if (out.startsWith("file://")) {
      out = out.substring("file://".length());
    } else if (out.startsWith("file:")) {
      out = out.substring("file:".length());
    }
    if (out.contains("://")) {
      throw new JobConfigException("bench.output-dir must be a local folder (the peers write there too), got " + out);
    }
    return new BenchSettings(home, c, order(sections), Path.of(out).toAbsolutePath().normalize(),
        List.copyOf(new java.util.TreeSet<>(threads)), r.string("bench.python"), r.stringList("bench.peer-env-unset"),
        environment(r.stringList("bench.peer-env"), "bench.peer-env"),
        r.positiveInt("bench.child-timeout-minutes"), r.positiveInt("bench.epochs"), seconds(r, "bench.warm-up-seconds"),
        r.positiveInt("bench.fma.rounds"), seconds(r, "bench.fma.seconds"),
        sizes, r.bool("bench.sgemm.cnn-shapes"), r.positiveInt("bench.sgemm.rounds"), seconds(r, "bench.sgemm.seconds"),
        models, r.positiveInt("bench.layers.batch"), r.positiveInt("bench.layers.rounds"),
        seconds(r, "bench.layers.seconds"),
        resolveFile(home, r.string("bench.train.config"), "bench.train.config"), r.positiveInt("bench.train.batch-size"),
        r.bool("bench.train.sync-sgd"), r.nonNegativeInt("bench.train.limit"), r.nonNegativeInt("bench.train.test-limit"),
        r.stringList("bench.train.overrides"),
        r.nonNegativeInt("bench.predict.limit"), r.positiveInt("bench.predict.repeats"), r.positiveInt("bench.predict.batch"));
  }

  /** NAME=VALUE entries as a map, in order; an entry without a name or '=' is rejected, naming it and the key. */
  static Map<String, String> environment(List<String> entries, String key) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String e : entries) {
      int eq = e.indexOf('=');
      if (eq <= 0 || !e.substring(0, eq).matches("[A-Za-z_][A-Za-z0-9_]*")) {
        throw new JobConfigException(key + " entries must be NAME=VALUE (NAME a shell variable name), got \"" + e
            + "\"");
      }
      env.put(e.substring(0, eq), e.substring(eq + 1));
    }
    return Collections.unmodifiableMap(env);
  }

  boolean runs(String section) {
    return sections.contains(section);
  }

  /** The settings as HOCON (for bench.json and the log). */
  String render() {
    return resolved.getConfig("bench").root().render(ConfigRenderOptions.concise());
  }

  private static List<String> order(List<String> sections) {
    List<String> out = new ArrayList<>();
    for (String s : SECTIONS) {
      if (sections.contains(s)) {
        out.add(s);
      }
    }
    return out;
  }

  /** A relative path is taken from the working folder when it exists there, else from the checkout. */
  private static Path resolveFile(Path home, String p, String key) {
    Path given = Path.of(p);
    Path f = given.isAbsolute() || Files.exists(given) ? given.toAbsolutePath() : home.resolve(p);
    if (!Files.isRegularFile(f)) {
      throw new JobConfigException(key + " = " + p + " is not a file (looked at " + f + ")");
    }
    return f.normalize();
  }

  private static double seconds(ConfigReader r, String key) {
    double v = r.number(key);
    if (!(v > 0 && v <= 60)) {
      throw new JobConfigException(key + " must be in (0, 60] seconds, got " + v);
    }
    return v;
  }
}
