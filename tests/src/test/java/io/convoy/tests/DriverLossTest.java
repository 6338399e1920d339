package io.convoy.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.jobs.Main;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The driver dies: a {@code SparkSubmit} driver JVM (local[2], the application jar) training with its
 * checkpoints on HDFS (a MiniDFSCluster in this JVM) is killed with SIGKILL in the middle of epoch 2,
 * after epoch 1's checkpoint is on HDFS. {@code train --resume} then continues from that checkpoint and
 * must end with exactly the parameters of an uninterrupted run (parameter averaging over 2 partitions
 * with dropout is deterministic: see docs/reliability.md). Three training runs, one of them a separate
 * JVM: 1 to 2 minutes, so tagged long (HdfsTrainResumeTest covers resuming in the default suite).
 */
@Tag("long")
class DriverLossTest {
  private static final String ROOT = System.getProperty("convoy.project.root", "..");
  private static MiniDFSCluster cluster;
  private static String hdfs;
  private static Configuration conf;
  private static FileSystem fs;
  private static Processes procs;
  private static java.nio.file.Path work;

  @BeforeAll
  static void startHdfs() throws Exception {
    work = Files.createDirectories(java.nio.file.Path.of(System.getProperty("convoy.work.dir", "target/it-work"))
        .resolve("driver-loss-" + System.nanoTime()));
    procs = new Processes(work.resolve("logs"));
    File base = Files.createDirectories(work.resolve("minidfs")).toFile();
    conf = MiniHdfs.conf(base);
    cluster = MiniHdfs.start(conf);
    hdfs = MiniHdfs.uri(cluster);
    fs = FileSystem.get(URI.create(hdfs), conf);
    copy("train-images-idx3-ubyte.gz", 1000);
    copy("train-labels-idx1-ubyte.gz", 1000);
    copy("t10k-images-idx3-ubyte.gz", 500);
    copy("t10k-labels-idx1-ubyte.gz", 500);
  }

  @AfterAll
  static void stop() {
    if (procs != null) {
      procs.close();
    }
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  private static void copy(String name, int records) throws IOException {
    try (OutputStream out = fs.create(new Path(hdfs + "/data/" + name))) {
      IdxSubset.copy(IdxSubset.fashion(name), records, out);
    }
  }

  /** The train command's arguments after {@code train}: 3 epochs, 2 partitions, everything on HDFS. */
  private static List<String> trainArgs(String checkpoints) {
    return new ArrayList<>(List.of(ROOT + "/conf/fashion-mnist.conf",
        "spark.master=local[2]", "spark.conf.spark.ui.enabled=false",
        "data.train.images=\"" + hdfs + "/data/train-images-idx3-ubyte.gz\"",
        "data.train.labels=\"" + hdfs + "/data/train-labels-idx1-ubyte.gz\"",
        "data.test.images=\"" + hdfs + "/data/t10k-images-idx3-ubyte.gz\"",
        "data.test.labels=\"" + hdfs + "/data/t10k-labels-idx1-ubyte.gz\"",
        "train.epochs=3", "train.partitions=2", "train.batch-size=64", "train.seed=21",
        "checkpoint.dir=\"" + hdfs + checkpoints + "\"", "output.dir=\"" + hdfs + "/runs\""));
  }

  /** {@code Main train} in this JVM; returns the run directory (the last line printed). */
  private static String trainHere(List<String> args) {
    List<String> all = new ArrayList<>(List.of("train"));
    all.addAll(args);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(all.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, "train failed: " + err.toString(StandardCharsets.UTF_8) + "\n" + printed);
    String[] lines = printed.strip().split("\n");
    return lines[lines.length - 1].strip();
  }

  private static boolean exists(String path) {
    try {
      return fs.exists(new Path(hdfs + path));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void killedDriverResumesFromTheLastCheckpointOnHdfsToTheSameParameters() throws Exception {
    long t0 = System.nanoTime();
    String full = trainHere(trainArgs("/ckpt-full"));
    double fullSeconds = (System.nanoTime() - t0) / 1e9;

    java.nio.file.Path jars = java.nio.file.Path.of(System.getProperty("convoy.spark.jars", "target/spark-home/jars"));
    java.nio.file.Path appJar = java.nio.file.Path.of(System.getProperty("convoy.app.jar"));
    assertTrue(Files.isRegularFile(appJar), "application jar missing: " + appJar);
    Map<String, String> env = Map.of("SPARK_HOME", jars.toAbsolutePath().getParent().toString(),
        "SPARK_SCALA_VERSION", "2.13", "SPARK_LOCAL_IP", "127.0.0.1");
    List<String> submit = new ArrayList<>(List.of("--master", "local[2]", "--conf", "spark.driver.host=127.0.0.1",
        "--conf", "spark.driver.bindAddress=127.0.0.1", "--class", "io.convoy.jobs.Main", appJar.toString(), "train"));
    submit.addAll(trainArgs("/ckpt-killed"));
    Process driver = procs.java("driver", jars.toAbsolutePath() + File.separator + "*", env,
        "org.apache.spark.deploy.SparkSubmit", submit);
    Processes.await("epoch 1's checkpoint on HDFS (driver log: " + procs.log("driver") + ")", 300,
        () -> exists("/ckpt-killed/epoch-0001.ckpt") || !driver.isAlive());
    assertTrue(driver.isAlive(), "the driver exited before its first checkpoint:\n" + procs.logText("driver"));
    Thread.sleep(1500);   // into epoch 2
    boolean secondWritten = exists("/ckpt-killed/epoch-0002.ckpt");
    Processes.killNow(driver.toHandle());
    List<String> left = new ArrayList<>();
    for (FileStatus f : fs.listStatus(new Path(hdfs + "/ckpt-killed"))) {
      left.add(f.getPath().getName());
    }
    System.out.printf("driver loss: uninterrupted run %.1f s; driver killed (SIGKILL) %s; checkpoints left: %s%n",
        fullSeconds, secondWritten ? "after epoch 2's checkpoint" : "in the middle of epoch 2", left);
    assertFalse(left.contains("epoch-0003.ckpt"), "the driver finished before it was killed: " + left);

    t0 = System.nanoTime();
    List<String> resume = trainArgs("/ckpt-killed");
    resume.add("--resume");
    String resumed = trainHere(resume);
    double resumeSeconds = (System.nanoTime() - t0) / 1e9;

    SavedModel a = ModelFile.readModel(new Path(full, "model.cvm"), conf);
    SavedModel b = ModelFile.readModel(new Path(resumed, "model.cvm"), conf);
    int differ = 0;
    for (int i = 0; i < a.params().length; i++) {
      differ += Float.floatToIntBits(a.params()[i]) != Float.floatToIntBits(b.params()[i]) ? 1 : 0;
    }
    System.out.printf("driver loss: resumed run %.1f s; %d of %d parameters differ from the uninterrupted run%n",
        resumeSeconds, differ, a.params().length);
    assertArrayEquals(a.params(), b.params(), "resumed after the driver loss vs uninterrupted");
    assertArrayEquals(a.buffers(), b.buffers());
    String metrics = new String(fs.open(new Path(resumed, "metrics.jsonl")).readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(metrics.contains("\"epoch\":3"), metrics);
    assertTrue(Arrays.stream(fs.listStatus(new Path(hdfs + "/ckpt-killed")))
        .anyMatch(f -> f.getPath().getName().equals("epoch-0003.ckpt")), "resume wrote no checkpoint of epoch 3");
  }
}
