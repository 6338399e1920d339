package io.convoy.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.jobs.Main;
import io.convoy.pipeline.io.Checkpoint;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.ModelFileException;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.preprocess.PreprocessConfig;
import io.convoy.pipeline.preprocess.PreprocessSummary;
import io.convoy.pipeline.preprocess.Preprocessor;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A checkpoint folder on a file system that fails like a full disk ({@link FailingFileSystem}, the real
 * local file system under {@code failfs://}): when epoch 2's checkpoint cannot be written, the job
 * fails with a message naming the file, epoch 1's checkpoint stays intact and readable, no partial file
 * sits under a checkpoint name, and {@code --resume} from it finishes with exactly the parameters of an
 * undisturbed run. Also a model file that cannot be replaced keeps its old contents.
 */
class StorageFaultTest {
  /** A small network, so that the five training runs take seconds. */
  static final String SMALL_MODEL = "[{type: conv2d, filters: 8, kernel: 3}, {type: relu}, {type: maxpool2d, kernel: 2},"
      + " {type: flatten}, {type: dense, units: 10}]";

  @TempDir
  static Path tmp;
  static Path data;

  @BeforeAll
  static void writeData() throws IOException {
    data = Files.createDirectories(tmp.resolve("data"));
    for (String[] f : new String[][] {{"train-images-idx3-ubyte.gz", "600"}, {"train-labels-idx1-ubyte.gz", "600"},
        {"t10k-images-idx3-ubyte.gz", "200"}, {"t10k-labels-idx1-ubyte.gz", "200"}}) {
      try (OutputStream o = Files.newOutputStream(data.resolve(f[0]))) {
        IdxSubset.copy(IdxSubset.fashion(f[0]), Integer.parseInt(f[1]), o);
      }
    }
  }

  record Run(int code, String out, String err) {
    String runDir() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1].strip();
    }
  }

  /** {@code Main train} in this JVM on local[2] with checkpoints in {@code ckpt}; {@code extra} are overrides. */
  private static Run train(String ckpt, boolean resume, String... extra) {
    List<String> args = new ArrayList<>(List.of("train", System.getProperty("convoy.project.root", "..")
            + "/conf/fashion-mnist.conf",
        "spark.master=local[2]", "spark.conf.spark.ui.enabled=false",
        "spark.conf.spark.hadoop.fs.failfs.impl=" + FailingFileSystem.class.getName(),
        "data.train.images=\"file://" + data.resolve("train-images-idx3-ubyte.gz") + "\"",
        "data.train.labels=\"file://" + data.resolve("train-labels-idx1-ubyte.gz") + "\"",
        "data.test.images=\"file://" + data.resolve("t10k-images-idx3-ubyte.gz") + "\"",
        "data.test.labels=\"file://" + data.resolve("t10k-labels-idx1-ubyte.gz") + "\"",
        "model.layers=" + SMALL_MODEL, "train.epochs=2", "train.partitions=2", "train.batch-size=64", "train.seed=5",
        "checkpoint.dir=\"" + ckpt + "\"", "output.dir=\"" + tmp.resolve("runs") + "\""));
    args.addAll(Arrays.asList(extra));
    if (resume) {
      args.add("--resume");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args.toArray(String[]::new), new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  private static List<String> names(Path dir) throws IOException {
    try (Stream<Path> s = Files.list(dir)) {
      return s.map(p -> p.getFileName().toString()).sorted().toList();
    }
  }

  private static SavedModel model(Run r) {
    return ModelFile.readModel(new org.apache.hadoop.fs.Path(r.runDir(), "model.cvm"), new Configuration());
  }

  /** Epoch 2's checkpoint fails (writing, or renaming into place); epoch 1's survives; resuming matches. */
  @Test
  void failedCheckpointKeepsThePreviousOneAndResumeMatchesAnUndisturbedRun() throws Exception {
    Run full = train("file://" + tmp.resolve("ckpt-undisturbed"), false);
    assertEquals(0, full.code(), full.err() + full.out());

    // {what, authority (names the rules), rule, rule, expected in the message}
    String[][] faults = {
        {"full disk", "full", "spark.conf.spark.hadoop.failfs.full.fail-write-name=epoch-0002",
            "spark.conf.spark.hadoop.failfs.full.fail-after-bytes=20000", "No space left on device"},
        {"rename refused", "norename", "spark.conf.spark.hadoop.failfs.norename.fail-rename-name=epoch-0002",
            "train.seed=5", "could not rename"}};
    for (String[] f : faults) {
      Path dir = tmp.resolve("ckpt-" + f[1]);
      Run failed = train(FailingFileSystem.SCHEME + "://" + f[1] + dir, false, f[2], f[3]);
      System.out.println(f[0] + ": exit " + failed.code() + ", " + failed.err().strip());
      assertNotEquals(0, failed.code(), f[0] + ": the job should fail:\n" + failed.out());
      assertTrue(failed.err().contains(dir.resolve("epoch-0002.ckpt").toString()), f[0]
          + ": message does not name the file: "
          + failed.err());
      assertTrue(failed.err().contains(f[4]), f[0] + ": " + failed.err());
      assertEquals(List.of("epoch-0001.ckpt"), names(dir), f[0] + ": only epoch 1's checkpoint, no partial files");
      // the survivor reads back with its checksum checked
      Checkpoint c = ModelFile.readCheckpoint(new org.apache.hadoop.fs.Path(dir.resolve("epoch-0001.ckpt").toUri()),
          new Configuration());
      assertEquals(1, c.epoch(), f[0]);

      // the same folder through the file system without failures
      Run resumed = train(FailingFileSystem.SCHEME + "://ok" + dir, true);
      assertEquals(0, resumed.code(), f[0] + ": resume failed:\n" + resumed.err() + resumed.out());
      assertEquals(List.of("epoch-0001.ckpt", "epoch-0002.ckpt"), names(dir), f[0]);
      assertArrayEquals(model(full).params(), model(resumed).params(),
          f[0] + ": resumed after the fault differs from the undisturbed run");
    }
  }

  /**
   * Preprocessing into an output that already holds shards, on a disk that fills up while a later
   * shard is written: the run fails and the old output is untouched (same manifest and shard bytes),
   * with no temporary folder left beside it. Through {@link Preprocessor}'s public API only.
   */
  @Test
  void preprocessingOnAFullDiskLeavesThePreviousOutputIntact() throws Exception {
    Path out = tmp.resolve("shards");
    SparkSession spark = SparkSession.builder().master("local[2]").appName("convoy-storage-faults")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .config("spark.hadoop.fs.failfs.impl", FailingFileSystem.class.getName())
        .config("spark.hadoop.failfs.shardfull.fail-write-name", "part-00003")
        .config("spark.hadoop.failfs.shardfull.fail-after-bytes", "1000")
        .getOrCreate();
    try {
      PreprocessSummary first = preprocess(spark, FailingFileSystem.SCHEME + "://ok" + out);
      System.out.println("preprocess before the fault: " + first.describe());
      Map<String, byte[]> before = contents(out);
      assertTrue(before.keySet().stream().anyMatch(k -> k.endsWith("part-00003.arrow")), before.keySet().toString());
      RuntimeException e = assertThrows(RuntimeException.class,
          () -> preprocess(spark, FailingFileSystem.SCHEME + "://shardfull" + out));
      System.out.println("preprocess on a full disk: " + e);
      Map<String, byte[]> after = contents(out);
      assertEquals(before.keySet(), after.keySet());
      for (String k : before.keySet()) {
        assertArrayEquals(before.get(k), after.get(k), k + " changed");
      }
      assertEquals(List.of("shards"), names(tmp).stream().filter(n -> n.startsWith("shards")).toList(),
          "temporary or old folders left beside the output");
    } finally {
      spark.stop();
    }
  }

  private static PreprocessSummary preprocess(SparkSession spark, String output) {
    Map<String, Object> tree = new HashMap<>();
    tree.put("input", "file://" + data.resolve("train-images-idx3-ubyte.gz"));
    tree.put("labels", "file://" + data.resolve("train-labels-idx1-ubyte.gz"));
    tree.put("output", output);
    tree.put("height", 28);
    tree.put("width", 28);
    tree.put("shard-size", 100);
    return Preprocessor.run(spark, PreprocessConfig.fromTree(tree, "preprocess"));
  }

  /** Every file under {@code dir} by relative path, with its bytes. */
  private static Map<String, byte[]> contents(Path dir) throws IOException {
    Map<String, byte[]> m = new TreeMap<>();
    try (Stream<Path> s = Files.walk(dir)) {
      for (Path f : s.filter(Files::isRegularFile).toList()) {
        m.put(dir.relativize(f).toString(), Files.readAllBytes(f));
      }
    }
    return m;
  }

  /** Replacing an existing model file on a full disk leaves the old file as it was. */
  @Test
  void aModelFileThatCannotBeReplacedKeepsItsOldContents() throws Exception {
    ModelSpec spec = ModelSpec.kerasCourse();
    float[] a = new float[spec.paramCount()];
    float[] b = new float[spec.paramCount()];
    Arrays.fill(a, 0.25f);
    Arrays.fill(b, -1f);
    Path dir = Files.createDirectories(tmp.resolve("models"));
    org.apache.hadoop.fs.Path ok = new org.apache.hadoop.fs.Path(FailingFileSystem.SCHEME + "://ok" + dir
        + "/model.cvm");
    org.apache.hadoop.fs.Path full = new org.apache.hadoop.fs.Path(FailingFileSystem.SCHEME + "://modelfull" + dir
        + "/model.cvm");
    Configuration conf = new Configuration();
    conf.set("fs.failfs.impl", FailingFileSystem.class.getName());
    conf.set("failfs.modelfull.fail-write-name", "model.cvm");
    conf.setLong("failfs.modelfull.fail-after-bytes", 1000);
    ModelFile.write(ok, conf, new SavedModel(spec, a, new float[spec.bufferCount()], Map.of()));
    ModelFileException e = assertThrows(ModelFileException.class,
        () -> ModelFile.write(full, conf, new SavedModel(spec, b, new float[spec.bufferCount()], Map.of())));
    System.out.println("model file on a full disk: " + e.getMessage());
    assertTrue(e.getMessage().startsWith(full + ": write failed: No space left on device"), e.getMessage());
    assertEquals(List.of("model.cvm"), names(dir), "no partial file left beside the model");
    assertArrayEquals(a, ModelFile.readModel(ok, conf).params());
  }
}
