package io.convoy.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A real standalone Spark cluster from the project's own Maven jars: a Master and two Workers as
 * separate JVMs, and the shaded application jar submitted through {@code SparkSubmit} as a third
 * process, the way a user runs it on a cluster. Checks that training finishes, writes its metrics,
 * learns something, that the two executors ran in two different JVMs, and that the model and every
 * epoch's metrics equal, bit for bit, the same job's on {@code local[2]} with the same partitioning. About a minute: part of the
 * default suite, since it is the one test of Convoy on separate executor JVMs.
 */
class StandaloneClusterTest {
  private static final Path ROOT = Path.of(System.getProperty("convoy.project.root", "..")).toAbsolutePath();
  private static Processes procs;
  private static Path work;
  private static String sparkCp;
  private static Map<String, String> env;
  private static int masterPort;

  @BeforeAll
  static void startCluster() throws Exception {
    Path jars = Path.of(System.getProperty("convoy.spark.jars", "target/spark-home/jars"));
    assertTrue(Files.isDirectory(jars), "no Spark jars at " + jars + " (run through mvn verify)");
    work = Files.createDirectories(Path.of(System.getProperty("convoy.work.dir", "target/it-work")))
        .resolve("standalone-" + System.nanoTime());
    Files.createDirectories(work);
    procs = new Processes(work.resolve("logs"));
    sparkCp = jars.toAbsolutePath() + File.separator + "*";
    env = Map.of("SPARK_HOME", jars.toAbsolutePath().getParent().toString(), "SPARK_SCALA_VERSION", "2.13",
        "SPARK_LOCAL_IP", "127.0.0.1", "SPARK_LOG_DIR", work.resolve("logs").toString());
    masterPort = Processes.freePort();
    Process master = procs.java("master", sparkCp, env, "org.apache.spark.deploy.master.Master",
        List.of("--host", "127.0.0.1", "--port", String.valueOf(masterPort), "--webui-port",
            String.valueOf(Processes.freePort())));
    procs.awaitLog("master", "I have been elected leader", 90, master);
    for (int i = 1; i <= 2; i++) {
      Path dir = Files.createDirectories(work.resolve("worker" + i));
      Process w = procs.java("worker" + i, sparkCp, env, "org.apache.spark.deploy.worker.Worker",
          List.of("--host", "127.0.0.1", "--webui-port", String.valueOf(Processes.freePort()), "--cores", "1",
              "--memory", "1g", "--work-dir", dir.toString(), "spark://127.0.0.1:" + masterPort));
      procs.awaitLog("worker" + i, "Successfully registered with master", 90, w);
    }
  }

  @AfterAll
  static void stopCluster() {
    if (procs != null) {
      procs.close();
    }
  }

  @Test
  void submittedJobTrainsOnTwoExecutorJvms() throws Exception {
    Path data = Files.createDirectories(work.resolve("data"));
    writeSubset(data, "train-images-idx3-ubyte.gz", 3000);
    writeSubset(data, "train-labels-idx1-ubyte.gz", 3000);
    writeSubset(data, "t10k-images-idx3-ubyte.gz", 1000);
    writeSubset(data, "t10k-labels-idx1-ubyte.gz", 1000);
    Path appJar = Path.of(System.getProperty("convoy.app.jar"));
    assertTrue(Files.isRegularFile(appJar), "application jar missing: " + appJar);

    Process submit = submit("submit", "spark://127.0.0.1:" + masterPort, data, appJar);
    Path runDir = runDir("submit", submit, work.resolve("runs-submit"));
    List<String> metrics = Files.readAllLines(runDir.resolve("metrics.jsonl"));
    assertEquals(2, metrics.size(), String.join("\n", metrics));
    double testAccuracy = number(metrics.get(1), "test_accuracy");
    assertTrue(testAccuracy > 0.3, "test accuracy " + testAccuracy + " is not above chance (0.1): " + metrics.get(1));
    assertTrue(Files.isRegularFile(runDir.resolve("model.cvm")));

    // The same job on local[2] (one JVM, the same 2 partitions): training is deterministic, so the two
    // executor JVMs must give exactly the single JVM's model and every epoch's loss and accuracies.
    Process local = submit("local", "local[2]", data, appJar);
    Path localDir = runDir("local", local, work.resolve("runs-local"));
    List<String> localMetrics = Files.readAllLines(localDir.resolve("metrics.jsonl"));
    assertEquals(metrics.size(), localMetrics.size());
    for (int e = 0; e < metrics.size(); e++) {
      for (String key : List.of("loss", "train_accuracy", "test_accuracy")) {
        assertEquals(number(localMetrics.get(e), key), number(metrics.get(e), key),
            "epoch " + e + " " + key + ": cluster " + metrics.get(e) + ", local[2] " + localMetrics.get(e));
      }
    }
    SavedModel onCluster = ModelFile.readModel(new org.apache.hadoop.fs.Path(runDir.resolve("model.cvm").toUri()),
        new Configuration());
    SavedModel onLocal = ModelFile.readModel(new org.apache.hadoop.fs.Path(localDir.resolve("model.cvm").toUri()),
        new Configuration());
    int at = Arrays.mismatch(onLocal.params(), onCluster.params());
    assertTrue(at < 0, () -> "parameter " + at + " of " + onLocal.params().length + ": cluster "
        + onCluster.params()[at] + ", local[2] " + onLocal.params()[at]);
    assertTrue(Arrays.equals(onLocal.buffers(), onCluster.buffers()), "buffers differ");

    // The workers start executors without Convoy's trap limit (spark.executor.extraJavaOptions is not set
    // here): the driver says so in one line naming the setting; on local[2] the driver's JVM has the flags
    String clusterLog = procs.logText("submit");
    assertTrue(clusterLog.contains("warned: warning: this JVM runs with -XX:PerMethodTrapLimit=100,")
        && clusterLog.contains("-XX:PerMethodTrapLimit=100000 to spark.executor.extraJavaOptions"),
        "no line about the executors' JVM options in the driver's log");
    assertTrue(!procs.logText("local").contains("warned:"), "local[2] asked its executors");

    // Each worker (1 core) ran one executor of the application, each in its own JVM.
    Set<String> executorJvms = new TreeSet<>();
    for (int i = 1; i <= 2; i++) {
      try (Stream<Path> files = Files.walk(work.resolve("worker" + i))) {
        for (Path stderr : files.filter(p -> p.getFileName().toString().equals("stderr")).toList()) {
          Matcher m = Pattern.compile("Started daemon with process name: (\\S+)").matcher(Files.readString(stderr));
          if (m.find()) {
            executorJvms.add(m.group(1));
          }
        }
      }
    }
    assertEquals(2, executorJvms.size(), "expected two executor JVMs, found " + executorJvms);
    long driverPid = submit.pid();
    for (String jvm : executorJvms) {
      assertTrue(!jvm.startsWith(driverPid + "@"), "an executor ran in the driver JVM: " + jvm);
    }
  }

  /** spark-submits a 2-epoch, 2-partition training run to {@code master}, output under runs-{@code name}. */
  private static Process submit(String name, String master, Path data, Path appJar) throws IOException {
    Path out = work.resolve("runs-" + name);
    List<String> args = new ArrayList<>(List.of("--master", master,
        "--deploy-mode", "client", "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.executor.memory=768m", "--conf", "spark.cores.max=2",
        "--class", "io.convoy.jobs.Main", appJar.toString(),
        "train", ROOT.resolve("conf/fashion-mnist.conf").toString(),
        "data.train.images=\"file://" + data.resolve("train-images-idx3-ubyte.gz") + "\"",
        "data.train.labels=\"file://" + data.resolve("train-labels-idx1-ubyte.gz") + "\"",
        "data.test.images=\"file://" + data.resolve("t10k-images-idx3-ubyte.gz") + "\"",
        "data.test.labels=\"file://" + data.resolve("t10k-labels-idx1-ubyte.gz") + "\"",
        "train.epochs=2", "train.partitions=2", "output.dir=\"" + out + "\""));
    return procs.java(name, sparkCp, env, "org.apache.spark.deploy.SparkSubmit", args);
  }

  /** Waits for a submitted run; returns the run directory it printed as its last line (under {@code out}). */
  private static Path runDir(String name, Process p, Path out) throws Exception {
    assertTrue(p.waitFor(600, TimeUnit.SECONDS), name + " did not finish in 600 s:\n" + procs.logText(name));
    String printed = procs.stdout(name);
    assertEquals(0, p.exitValue(), name + " failed:\n" + procs.logText(name) + "\n" + printed);
    String[] lines = printed.strip().split("\n");
    Path runDir = Path.of(lines[lines.length - 1].strip().replaceFirst("^file:", ""));
    assertTrue(runDir.startsWith(out), "last line is not a run directory under " + out + ": " + runDir);
    return runDir;
  }

  private static void writeSubset(Path dir, String name, int records) throws IOException {
    try (OutputStream o = Files.newOutputStream(dir.resolve(name))) {
      IdxSubset.copy(IdxSubset.fashion(name), records, o);
    }
  }

  /** The number after {@code "key":} in one JSON line. */
  static double number(String json, String key) {
    Matcher m = Pattern.compile("\"" + Pattern.quote(key) + "\":(-?[0-9.eE+-]+)").matcher(json);
    assertTrue(m.find(), "no number " + key + " in " + json);
    return Double.parseDouble(m.group(1));
  }
}
