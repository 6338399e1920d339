package io.convoy.pipeline.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.preprocess.PreprocessOptions.NormalizeSpec;
import io.convoy.pipeline.preprocess.PreprocessOptions.ShardFormat;
import io.convoy.pipeline.preprocess.PreprocessOptions.Split;
import io.convoy.pipeline.spark.DataChunk;
import io.convoy.pipeline.spark.SparkTrainOptions;
import io.convoy.pipeline.spark.SparkTrainer;
import io.convoy.pipeline.spark.Strategy;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import java.io.DataOutputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The preprocessing job on local[2] over a real image tree with planted broken files (file://). */
class PreprocessorTest {
  @TempDir
  static Path tmp;
  static SparkSession spark;
  static ImageTree tree;
  static Path images;
  static final Configuration CONF = new Configuration();

  @BeforeAll
  static void start() throws IOException {
    spark = SparkSession.builder().master("local[2]").appName("convoy-preprocess-test")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    images = tmp.resolve("images");
    tree = ImageTree.build(images, 300);
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
  }

  @AfterEach
  void resetHooks() {
    Preprocessor.failAtShardForTest = -1;
    Preprocessor.keepTempOnFailureForTest = false;
  }

  static PreprocessOptions options(String out) {
    return PreprocessOptions.defaults(images.toUri().toString(), out, 1, 28, 28)
        .withSplit(new Split(0.8, 0.1, 0.1), 11L)
        .with(NormalizeSpec.COMPUTE, ShardFormat.UINT8, 64, false);
  }

  @Test
  void decodesEveryKindRejectsEveryBrokenFileAndTrainsFromTheShards() {
    String out = tmp.resolve("shards").toUri().toString();
    PreprocessSummary s = Preprocessor.run(spark, options(out));
    System.out.println(s.describe());

    // rejects: every planted file, with its reason, and nothing else
    assertEquals(tree.expected.size() + tree.broken.size(), s.read(), "files considered");
    assertEquals(tree.expected.size(), s.written());
    assertEquals(tree.broken.size(), s.rejected());
    assertEquals(1, s.extensionMismatches(), "the PNG named .jpg");
    Map<String, String> reported = new HashMap<>();
    for (String line : lines(out + "/" + Preprocessor.REJECTS_FILE)) {
      if (line.startsWith("path,")) {
        continue;
      }
      String[] f = line.split(",", 3);
      reported.put(f[0], f[1]);
    }
    assertEquals(tree.broken.size(), reported.size(), "rejects.csv: " + reported);
    for (Map.Entry<String, String> b : tree.broken.entrySet()) {
      String full = images.resolve(b.getKey()).toUri().toString();
      String key = reported.keySet().stream().filter(p -> p.endsWith("/images/" + b.getKey())).findFirst()
          .orElseThrow(() -> new AssertionError(b.getKey() + " missing from rejects.csv " + reported + " (" + full + ")"));
      assertEquals(b.getValue(), reported.get(key), "reason of " + b.getKey());
    }

    // manifest: classes, counts, normalisation
    ShardManifest m = ShardManifest.read(out, CONF);
    assertEquals(List.of("bag", "boot", "coat", "dress", "pullover", "sandal", "shirt", "sneaker", "t-shirt", "trouser"),
        m.classes());
    long total = 0;
    for (ShardManifest.SplitInfo si : m.splits().values()) {
      total += si.count();
      long perClass = 0;
      for (long c : si.perClass()) {
        perClass += c;
      }
      assertEquals(si.count(), perClass);
    }
    assertEquals(s.written(), total);
    assertTrue(m.split("validation").count() > 10 && m.split("test").count() > 10, "splits: " + s.perSplit());

    // pixels: exact for lossless inputs, close for JPEG; labels from the folder
    int checked = 0;
    int jpegs = 0;
    for (String split : Split.NAMES) {
      ShardSource src = new ShardSource(out, split);
      ImageSet set = src.readAll(CONF);
      List<String> paths = src.paths(CONF);
      assertEquals(set.size(), paths.size());
      for (int i = 0; i < set.size(); i++) {
        String rel = paths.get(i);
        byte[] want = tree.expected.get(rel);
        assertTrue(want != null, "unexpected row " + rel);
        assertEquals(tree.classOf.get(rel), m.classes().get(set.labels()[i]), "label of " + rel);
        byte[] got = ImageTree.image(set, i);
        if (tree.lossy.contains(rel)) {
          int max = 0;
          double sum = 0;
          for (int k = 0; k < 784; k++) {
            int d = Math.abs((got[k] & 0xFF) - (want[k] & 0xFF));
            max = Math.max(max, d);
            sum += d;
          }
          System.out.printf("JPEG %s: max |diff| %d, mean |diff| %.2f%n", rel, max, sum / 784);
          assertTrue(max <= 16 && sum / 784 <= 2.0, rel + ": max " + max + ", mean " + sum / 784);
          jpegs++;
        } else {
          assertArrayEquals(want, got, "pixels of " + rel);
        }
        checked++;
      }
    }
    assertEquals(tree.expected.size(), checked);
    assertEquals(8, jpegs);
    ImageSet train = new ShardSource(out, "train").readAll(CONF);
    Normalization direct = Normalization.compute(train);
    assertArrayEquals(direct.mean(), m.normalization().mean(), 1e-5f);
    assertArrayEquals(direct.std(), m.normalization().std(), 1e-5f);

    // the Spark trainer reads the shards through ShardSource
    ShardSource trainSrc = new ShardSource(out, "train");
    List<DataChunk> chunks = trainSrc.load(org.apache.spark.api.java.JavaSparkContext.fromSparkContext(
        spark.sparkContext()), 2, 5L, 10).collect();
    assertEquals(train.size(), chunks.stream().mapToInt(DataChunk::size).sum());
    for (DataChunk c : chunks) {
      for (int i = 0; i < c.size(); i++) {
        assertEquals(train.labels()[c.indices()[i]], c.labels()[i]);
      }
    }
    TrainOptions o = TrainOptions.of(2, 32, OptimizerSpec.adam(1e-3f), 3L);
    TrainResult r = new SparkTrainer(spark).train(ModelSpec.kerasCourse(),
        SparkTrainOptions.of(o, Strategy.PARAMETER_AVERAGING).withPartitions(2), trainSrc,
        new ShardSource(out, "validation"), null, null);
    assertEquals(2, r.history().size());
    double loss0 = r.history().get(0).loss();
    double loss1 = r.history().get(1).loss();
    System.out.printf("training from shards: loss %.4f -> %.4f, train accuracy %.3f%n", loss0, loss1,
        r.history().get(1).trainAccuracy());
    assertTrue(Double.isFinite(loss1) && loss1 < loss0, "loss " + loss0 + " -> " + loss1);
  }

  @Test
  void rerunIsIdenticalAndReplacesTheOutputAtomically() throws IOException {
    String out = tmp.resolve("rerun").toUri().toString();
    Preprocessor.run(spark, options(out));
    byte[] manifest1 = Files.readAllBytes(tmp.resolve("rerun/manifest.json"));
    byte[] shard1 = Files.readAllBytes(tmp.resolve("rerun/train/part-00000.arrow"));
    Preprocessor.run(spark, options(out));
    assertArrayEquals(manifest1, Files.readAllBytes(tmp.resolve("rerun/manifest.json")), "manifest changed on re-run");
    assertArrayEquals(shard1, Files.readAllBytes(tmp.resolve("rerun/train/part-00000.arrow")), "shard changed");
    assertEquals(List.of("rerun"), siblings("rerun"), "temporary or old folders left behind");

    // a run that fails after some shards are written leaves the old result untouched
    Preprocessor.failAtShardForTest = 3;
    RuntimeException e = assertThrows(RuntimeException.class, () -> Preprocessor.run(spark, options(out)));
    assertTrue(String.valueOf(e).contains("fails on purpose") || String.valueOf(e.getCause()).contains("fails on purpose"),
        String.valueOf(e));
    assertArrayEquals(manifest1, Files.readAllBytes(tmp.resolve("rerun/manifest.json")));
    assertEquals(List.of("rerun"), siblings("rerun"), "the failed run left its temporary folder");
    assertEquals(new ShardSource(out, "train").readAll(CONF).size(), ShardManifest.read(out, CONF).split("train").count());
  }

  @Test
  void interruptedRunLeavesNothingReadable() throws IOException {
    String out = tmp.resolve("interrupted").toUri().toString();
    Preprocessor.failAtShardForTest = 2;
    Preprocessor.keepTempOnFailureForTest = true;   // as if the driver were killed: no clean-up
    assertThrows(RuntimeException.class, () -> Preprocessor.run(spark, options(out)));
    assertFalse(Files.exists(tmp.resolve("interrupted")), "a failed first run must not create the output");
    List<String> left = siblings("interrupted");
    assertEquals(1, left.size(), "expected the temporary folder of the killed run: " + left);
    Path half = tmp.resolve(left.get(0));
    try (Stream<Path> files = Files.walk(half)) {
      assertTrue(files.anyMatch(p -> p.toString().endsWith(".arrow")), "some shards were written before the failure");
    }
    IllegalArgumentException a = assertThrows(IllegalArgumentException.class,
        () -> new ShardSource(half.toUri().toString(), "train").count());
    assertTrue(a.getMessage().contains("temporary folder"), a.getMessage());
    // the same shards under an ordinary name: refused for the missing manifest
    Path renamed = tmp.resolve("renamed-half");
    Files.move(half, renamed);
    IllegalArgumentException b = assertThrows(IllegalArgumentException.class,
        () -> new ShardSource(renamed.toUri().toString(), "train").readAll(CONF));
    assertTrue(b.getMessage().contains("no manifest.json"), b.getMessage());
  }

  @Test
  void corruptShardIsRefusedByChecksum() throws IOException {
    String out = tmp.resolve("corrupt").toUri().toString();
    Preprocessor.run(spark, options(out).with(NormalizeSpec.NONE, ShardFormat.UINT8, 1000, false));
    Path shard = tmp.resolve("corrupt/train/part-00000.arrow");
    byte[] b = Files.readAllBytes(shard);
    b[b.length / 2] ^= 0x10;
    Files.write(shard, b);
    // shards on file:// are written without Hadoop's .crc sidecar: the manifest's CRC32C is the check
    assertTrue(Files.notExists(tmp.resolve("corrupt/train/.part-00000.arrow.crc")), "a .crc sidecar was written");
    IllegalArgumentException f = assertThrows(IllegalArgumentException.class,
        () -> new ShardSource(out, "train").readAll(CONF));
    assertTrue(f.getMessage().contains("checksum mismatch, CRC32C of the file is")
        && f.getMessage().contains("part-00000.arrow"), f.getMessage());
  }

  @Test
  void rejectsFatalFailsTheRunAndNamesTheFiles() {
    String out = tmp.resolve("fatal").toUri().toString();
    RuntimeException e = assertThrows(RuntimeException.class,
        () -> Preprocessor.run(spark, options(out).with(NormalizeSpec.NONE, ShardFormat.UINT8, 1000, true)));
    assertTrue(e.getMessage().contains("rejects-fatal") && e.getMessage().contains("truncated.png"), e.getMessage());
    assertFalse(Files.exists(tmp.resolve("fatal")));
  }

  @Test
  void idxInputRgbPadAndFloatShards() throws IOException {
    // IDX pair of 100 Fashion-MNIST images -> 3 x 20 x 40 padded float32 shards
    ImageSet set = ImageTree.fashion(100);
    Path im = tmp.resolve("idx-images");
    Path lb = tmp.resolve("idx-labels");
    try (DataOutputStream d = new DataOutputStream(new FileOutputStream(im.toFile()))) {
      d.writeInt(0x803);
      d.writeInt(100);
      d.writeInt(28);
      d.writeInt(28);
      d.write(set.pixels());
    }
    try (DataOutputStream d = new DataOutputStream(new FileOutputStream(lb.toFile()))) {
      d.writeInt(0x801);
      d.writeInt(100);
      for (int l : set.labels()) {
        d.writeByte(l);
      }
    }
    String out = tmp.resolve("idx-out").toUri().toString();
    PreprocessOptions o = new PreprocessOptions(im.toUri().toString(), out, lb.toUri().toString(), "*", true, 3, 56, 112,
        PreprocessOptions.ResizeMode.PAD, NormalizeSpec.given(new float[] {0.5f, 0.5f, 0.5f}, new float[] {0.25f,
            0.25f, 0.25f}), Split.ALL_TRAIN, 0L, ShardFormat.FLOAT32, 40, false, 1000);
    PreprocessSummary s = Preprocessor.run(spark, o);
    assertEquals(100, s.written());
    ShardManifest m = ShardManifest.read(out, CONF);
    assertEquals(3, m.split("train").shards().size());
    // float32 shards are for external readers: ShardSource refuses to train from them
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ShardSource(out, "train").readAll(CONF));
    assertTrue(e.getMessage().contains("float32"), e.getMessage());
    // the first row: 28x28 doubled to 56x56, centred in 112 columns (28 of 0 each side), normalised
    byte[] bytes = Files.readAllBytes(tmp.resolve("idx-out/train/part-00000.arrow"));
    try (org.apache.arrow.memory.RootAllocator a = new org.apache.arrow.memory.RootAllocator();
        org.apache.arrow.vector.ipc.ArrowFileReader r = new org.apache.arrow.vector.ipc.ArrowFileReader(
            new org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel(bytes), a)) {
      assertTrue(r.loadNextBatch());
      org.apache.arrow.vector.complex.FixedSizeListVector px =
          (org.apache.arrow.vector.complex.FixedSizeListVector) r.getVectorSchemaRoot().getVector("pixels");
      org.apache.arrow.vector.Float4Vector data = (org.apache.arrow.vector.Float4Vector) px.getDataVector();
      assertEquals(3 * 56 * 112, px.getListSize());
      float pad = (0 / 255f - 0.5f) / 0.25f;
      assertEquals(pad, data.get(0), 1e-6f);
      assertEquals(pad, data.get(56 * 112 - 1), 1e-6f);
      // an interior pixel of the upscaled image, green plane, equals bilinear of the source
      int y = 30;
      int x = 28 + 30;
      byte[] dst = new byte[3 * 56 * 112];
      byte[] planes = new byte[3 * 784];
      for (int c = 0; c < 3; c++) {
        System.arraycopy(set.pixels(), 0, planes, c * 784, 784);
      }
      Resizer.resize(planes, 3, 28, 28, dst, 0, 56, 112, PreprocessOptions.ResizeMode.PAD);
      float want = ((dst[56 * 112 + y * 112 + x] & 0xFF) / 255f - 0.5f) / 0.25f;
      assertEquals(want, data.get(56 * 112 + y * 112 + x), 1e-6f);
      assertEquals(r.getVectorSchemaRoot().getRowCount(), 40);
    }
  }

  private static List<String> siblings(String name) throws IOException {
    try (Stream<Path> s = Files.list(tmp)) {
      return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(name)).sorted().toList();
    }
  }

  private static List<String> lines(String uri) {
    try {
      return Files.readAllLines(Path.of(java.net.URI.create(uri)), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new AssertionError("cannot read " + uri + ": " + e, e);
    }
  }
}
