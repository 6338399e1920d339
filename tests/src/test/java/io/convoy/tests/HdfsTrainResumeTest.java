package io.convoy.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.jobs.Main;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Training against a real HDFS (MiniDFSCluster on 127.0.0.1): IDX files, run folder and checkpoints all
 * on HDFS. Two epochs in one go must give exactly the parameters of one epoch followed by a resumed
 * second epoch.
 */
class HdfsTrainResumeTest {
  private static final String ROOT = System.getProperty("convoy.project.root", "..");
  private static MiniDFSCluster cluster;
  private static String hdfs;
  private static Configuration conf;

  @BeforeAll
  static void startHdfs() throws Exception {
    File base = Files.createTempDirectory("convoy-minidfs").toFile();
    conf = MiniHdfs.conf(base);
    cluster = MiniHdfs.start(conf);
    hdfs = MiniHdfs.uri(cluster);
    FileSystem fs = FileSystem.get(java.net.URI.create(hdfs), conf);
    copy(fs, "train-images-idx3-ubyte.gz", 640);
    copy(fs, "train-labels-idx1-ubyte.gz", 640);
    copy(fs, "t10k-images-idx3-ubyte.gz", 200);
    copy(fs, "t10k-labels-idx1-ubyte.gz", 200);
  }

  @AfterAll
  static void stopHdfs() {
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  private static void copy(FileSystem fs, String name, int records) throws Exception {
    try (OutputStream out = fs.create(new Path(hdfs + "/data/" + name))) {
      IdxSubset.copy(IdxSubset.fashion(name), records, out);
    }
  }

  /** Runs {@code Main train} in this JVM; returns the run directory (the last line printed). */
  private static String train(String checkpoints, int epochs, boolean resume) {
    List<String> args = new ArrayList<>(List.of("train", ROOT + "/conf/fashion-mnist.conf",
        "spark.master=local[2]", "spark.conf.spark.ui.enabled=false",
        "data.train.images=\"" + hdfs + "/data/train-images-idx3-ubyte.gz\"",
        "data.train.labels=\"" + hdfs + "/data/train-labels-idx1-ubyte.gz\"",
        "data.test.images=\"" + hdfs + "/data/t10k-images-idx3-ubyte.gz\"",
        "data.test.labels=\"" + hdfs + "/data/t10k-labels-idx1-ubyte.gz\"",
        "train.epochs=" + epochs, "train.partitions=2", "train.batch-size=64", "train.seed=7",
        "checkpoint.dir=\"" + hdfs + checkpoints + "\"", "output.dir=\"" + hdfs + "/runs\""));
    if (resume) {
      args.add("--resume");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    String printed = out.toString(StandardCharsets.UTF_8);
    assertEquals(0, code, "train failed: " + err.toString(StandardCharsets.UTF_8) + "\n" + printed);
    String[] lines = printed.strip().split("\n");
    return lines[lines.length - 1].strip();
  }

  @Test
  void resumedRunMatchesUninterruptedRun() throws Exception {
    String full = train("/ckpt-full", 2, false);
    String first = train("/ckpt-resume", 1, false);
    String resumed = train("/ckpt-resume", 2, true);
    assertTrue(full.startsWith(hdfs + "/runs/"), "run directory not on HDFS: " + full);

    SavedModel a = ModelFile.readModel(new Path(full, "model.cvm"), conf);
    SavedModel b = ModelFile.readModel(new Path(first, "model.cvm"), conf);
    SavedModel c = ModelFile.readModel(new Path(resumed, "model.cvm"), conf);
    assertArrayEquals(a.params(), c.params(), "2 epochs vs 1 + resumed 1 differ");
    assertArrayEquals(a.buffers(), c.buffers());
    assertTrue(!java.util.Arrays.equals(a.params(), b.params()), "the second epoch changed nothing");

    FileSystem fs = FileSystem.get(java.net.URI.create(hdfs), conf);
    assertTrue(fs.listStatus(new Path(hdfs + "/ckpt-full")).length >= 2, "expected a checkpoint per epoch");
    String metrics = new String(fs.open(new Path(resumed, "metrics.jsonl")).readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(metrics.contains("\"epoch\":2"), metrics);
  }
}
