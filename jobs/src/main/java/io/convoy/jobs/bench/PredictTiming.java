package io.convoy.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.convoy.jobs.JobConfig;
import io.convoy.jobs.JobConfigs;
import io.convoy.jobs.Main;
import io.convoy.jobs.Sessions;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.sql.SparkSession;

/**
 * Child JVM of the benchmark's predict section: runs Convoy's {@code predict} job ({@link Main#run}, the
 * command {@code bin/convoy predict} runs) once to warm up and then {@code repeats} times in one JVM whose
 * Spark session stays up, so the figure is the job's own time (read, normalise, infer, write the CSV)
 * without the JVM's and Spark's start-up. Prints one JSON line:
 * {@code {"what":"predict","images":..,"seconds":best,"first_seconds":..,"images_per_second":..}}.
 *
 * <p>Arguments: {@code <config file> <repeats> [key=value ...]} (the predict job's overrides).
 */
public final class PredictTiming {
  private static final Pattern PREDICTED = Pattern.compile("predicted (\\d+) examples");

  private PredictTiming() {}

  public static void main(String[] args) throws Exception {
    File config = new File(args[0]);
    int repeats = Integer.parseInt(args[1]);
    List<String> overrides = List.of(args).subList(2, args.length);
    JobConfig c = JobConfigs.parse(JobConfigs.load(config, overrides));
    SparkSession spark = Sessions.create(c.spark());   // the jobs below find it and leave it running
    List<String> cmd = new ArrayList<>(List.of("predict", config.getPath()));
    cmd.addAll(overrides);
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    double first = 0;
    double best = Double.MAX_VALUE;
    double bestCpu = Double.MAX_VALUE;
    long images = -1;
    try {
      for (int i = 0; i <= repeats; i++) {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        long cpu0 = os.getProcessCpuTime();
        long t0 = System.nanoTime();
        int code = Main.run(cmd.toArray(new String[0]), new PrintStream(buf, true, StandardCharsets.UTF_8), System.err);
        double secs = (System.nanoTime() - t0) / 1e9;
        double cpu = (os.getProcessCpuTime() - cpu0) / 1e9;
        if (code != 0) {
          System.err.println("convoy bench: the predict job failed with exit code " + code);
          System.exit(code);
        }
        Matcher m = PREDICTED.matcher(buf.toString(StandardCharsets.UTF_8));
        if (m.find()) {
          images = Long.parseLong(m.group(1));
        }
        if (i == 0) {
          first = secs;
        } else {
          best = Math.min(best, secs);
          bestCpu = Math.min(bestCpu, cpu);
        }
      }
    } finally {
      spark.stop();
    }
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("what", "predict");
    o.put("master", c.spark().master());
    o.put("images", images);
    o.put("seconds", best);
    o.put("cpu_seconds", bestCpu);
    o.put("first_seconds", first);
    o.put("images_per_second", images / best);
    System.out.println(new ObjectMapper().writeValueAsString(o));
    System.out.flush();
    System.exit(0);
  }
}
