package io.convoy.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * An executor JVM dies in the middle of an epoch on a real standalone cluster (a Master and two
 * Workers as separate JVMs, the application jar submitted through {@code SparkSubmit}): for each
 * training strategy, the job finishes, its output says that an executor was lost, and the result
 * matches an undisturbed run with the same seed (the lost tasks are re-run from the same broadcast
 * inputs and the lost cached partitions recomputed from the IDX files, so the replicas compute the
 * same numbers): bit-identical parameters and buffers, and the same loss and accuracies in every epoch.
 * A few minutes: tagged long.
 */
@Tag("long")
class ExecutorLossTest {
  private static final Path ROOT = Path.of(System.getProperty("convoy.project.root", "..")).toAbsolutePath();
  private static final String EXECUTOR = "org.apache.spark.executor.CoarseGrainedExecutorBackend";
  private static Processes procs;
  private static Processes.Standalone cluster;
  private static Path work;
  private static Path data;

  @BeforeAll
  static void startCluster() throws Exception {
    Path jars = Path.of(System.getProperty("convoy.spark.jars", "target/spark-home/jars"));
    assertTrue(Files.isDirectory(jars), "no Spark jars at " + jars + " (run through mvn verify)");
    work = Files.createDirectories(Path.of(System.getProperty("convoy.work.dir", "target/it-work"))
        .resolve("executor-loss-" + System.nanoTime()));
    procs = new Processes(work.resolve("logs"));
    cluster = procs.startStandalone(jars, work, 2);
    data = Files.createDirectories(work.resolve("data"));
    for (String[] f : new String[][] {{"train-images-idx3-ubyte.gz", "3000"}, {"train-labels-idx1-ubyte.gz", "3000"},
        {"t10k-images-idx3-ubyte.gz", "1000"}, {"t10k-labels-idx1-ubyte.gz", "1000"}}) {
      try (OutputStream o = Files.newOutputStream(data.resolve(f[0]))) {
        IdxSubset.copy(IdxSubset.fashion(f[0]), Integer.parseInt(f[1]), o);
      }
    }
  }

  @AfterAll
  static void stopCluster() {
    if (procs != null) {
      procs.close();
    }
  }

  /** What one submitted run left. */
  record Run(String name, Path runDir, String printed, String log, double seconds) {
    List<String> metrics() {
      try {
        return Files.readAllLines(runDir.resolve("metrics.jsonl"));
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    double testAccuracy() {
      List<String> m = metrics();
      return StandaloneClusterTest.number(m.get(m.size() - 1), "test_accuracy");
    }

    SavedModel model() {
      return ModelFile.readModel(new org.apache.hadoop.fs.Path(runDir.resolve("model.cvm").toUri()),
          new Configuration());
    }
  }

  /** The metrics file of the only run under {@code out}, if it exists yet. */
  private static Optional<Path> metricsFile(Path out) {
    if (!Files.isDirectory(out)) {
      return Optional.empty();
    }
    try (Stream<Path> s = Files.list(out)) {
      return s.map(d -> d.resolve("metrics.jsonl")).filter(Files::isRegularFile).findFirst();
    } catch (IOException e) {
      return Optional.empty();
    }
  }

  private static long lines(Path f) {
    try {
      return Files.readAllLines(f).size();
    } catch (IOException e) {
      return 0;
    }
  }

  /**
   * Submits a 3-epoch training run; with {@code kill}, SIGKILLs the executor JVM of worker 1 about a
   * second after the first epoch's metrics appear (in the middle of epoch 2).
   */
  private static Run submit(String name, String strategy, boolean kill) throws Exception {
    Path out = work.resolve("runs-" + name);
    Path appJar = Path.of(System.getProperty("convoy.app.jar"));
    List<String> args = new ArrayList<>(List.of("--master", cluster.url(), "--deploy-mode", "client",
        "--conf", "spark.driver.host=127.0.0.1", "--conf", "spark.driver.bindAddress=127.0.0.1",
        "--conf", "spark.ui.enabled=false", "--conf", "spark.executor.memory=768m", "--conf", "spark.cores.max=2",
        "--class", "io.convoy.jobs.Main", appJar.toString(),
        "train", ROOT.resolve("conf/fashion-mnist.conf").toString(),
        "data.train.images=\"file://" + data.resolve("train-images-idx3-ubyte.gz") + "\"",
        "data.train.labels=\"file://" + data.resolve("train-labels-idx1-ubyte.gz") + "\"",
        "data.test.images=\"file://" + data.resolve("t10k-images-idx3-ubyte.gz") + "\"",
        "data.test.labels=\"file://" + data.resolve("t10k-labels-idx1-ubyte.gz") + "\"",
        "train.epochs=3", "train.partitions=2", "train.batch-size=64", "train.seed=17",
        "train.strategy=" + strategy, "output.dir=\"" + out + "\""));
    long t0 = System.nanoTime();
    Process p = procs.java(name, cluster.classpath(), cluster.env(), "org.apache.spark.deploy.SparkSubmit", args);
    if (kill) {
      Processes.await("epoch 1 of " + name + " (" + procs.log(name) + ")", 400,
          () -> metricsFile(out).map(f -> lines(f) >= 1).orElse(false) || !p.isAlive());
      assertTrue(p.isAlive(), name + " ended before its first epoch:\n" + procs.logText(name));
      Thread.sleep(1000);
      List<ProcessHandle> victims = Processes.descendants(cluster.workers().get(0), EXECUTOR);
      assertEquals(1, victims.size(), "executor JVMs under worker 1: " + victims);
      long linesAtKill = lines(metricsFile(out).orElseThrow());
      Processes.killNow(victims.get(0));
      System.out.printf("%s: killed executor JVM %d with %d epoch(s) done%n", name, victims.get(0).pid(), linesAtKill);
      assertTrue(linesAtKill < 3, name + ": the run was over before the kill");
    }
    assertTrue(p.waitFor(900, TimeUnit.SECONDS), name + " did not finish in 900 s:\n" + procs.logText(name));
    double seconds = (System.nanoTime() - t0) / 1e9;
    String printed = procs.stdout(name);
    assertEquals(0, p.exitValue(), name + " failed:\n" + procs.logText(name) + "\n" + printed);
    // the previous application's executors must be gone before the next run picks a victim
    Processes.await("executors of " + name + " to exit", 60, () -> cluster.workers().stream()
        .allMatch(w -> Processes.descendants(w, EXECUTOR).isEmpty()));
    String[] lines = printed.strip().split("\n");
    Path runDir = Path.of(lines[lines.length - 1].strip().replaceFirst("^file:", ""));
    return new Run(name, runDir, printed, procs.logText(name), seconds);
  }

  private static void compare(String strategy) throws Exception {
    Run calm = submit(strategy + "-undisturbed", strategy, false);
    Run hit = submit(strategy + "-executor-killed", strategy, true);
    assertEquals(3, hit.metrics().size(), String.join("\n", hit.metrics()));
    SavedModel calmModel = calm.model();
    SavedModel hitModel = hit.model();
    float[] a = calmModel.params();
    float[] b = hitModel.params();
    assertEquals(a.length, b.length, "parameter counts");
    int differ = 0;
    double maxDiff = 0;
    for (int i = 0; i < a.length; i++) {
      if (Float.floatToIntBits(a[i]) != Float.floatToIntBits(b[i])) {
        differ++;
        maxDiff = Math.max(maxDiff, Math.abs(a[i] - b[i]));
      }
    }
    double delta = 100 * (hit.testAccuracy() - calm.testAccuracy());
    System.out.printf("%s: test accuracy undisturbed %.4f, executor killed %.4f (delta %+.2f points); "
            + "%d of %d parameters differ (max |diff| %g); %.0f s vs %.0f s%n", strategy, calm.testAccuracy(),
        hit.testAccuracy(), delta, differ, a.length, maxDiff, calm.seconds(), hit.seconds());
    for (String line : hit.printed().split("\n")) {
      if (line.startsWith("convoy: executor")) {
        System.out.println("  driver output: " + line);
      }
    }
    assertTrue(hit.printed().contains("convoy: executor ") && hit.printed().contains(" lost ("),
        "the driver output does not mention the lost executor:\n" + hit.printed());
    assertTrue(hit.log().contains("Lost executor") || hit.log().contains("lost executor"),
        "Spark's log does not mention the lost executor");
    assertFalse(calm.printed().contains(" lost ("), "the undisturbed run reports a lost executor");
    // the re-run tasks and recomputed partitions compute the same numbers: the result is bit-identical
    assertEquals(0, differ, strategy + ": " + differ + " of " + a.length + " parameters differ from the undisturbed"
        + " run (max |diff| " + maxDiff + ")");
    assertArrayEquals(calmModel.buffers(), hitModel.buffers(), strategy + ": buffers");
    for (int e = 0; e < 3; e++) {
      for (String key : new String[] {"loss", "train_accuracy", "test_accuracy"}) {
        assertEquals(StandaloneClusterTest.number(calm.metrics().get(e), key),
            StandaloneClusterTest.number(hit.metrics().get(e), key), 0.0,
            strategy + ": epoch " + (e + 1) + " " + key + ", undisturbed vs executor killed");
      }
    }
  }

  @Test
  void parameterAveragingSurvivesAnExecutorKilledMidEpoch() throws Exception {
    compare("parameter-averaging");
  }

  @Test
  void syncSgdSurvivesAnExecutorKilledMidEpoch() throws Exception {
    compare("sync-sgd");
  }
}
