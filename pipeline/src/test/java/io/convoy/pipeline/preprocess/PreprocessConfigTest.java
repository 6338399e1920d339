package io.convoy.pipeline.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.preprocess.PreprocessOptions.NormalizeMode;
import io.convoy.pipeline.preprocess.PreprocessOptions.ResizeMode;
import io.convoy.pipeline.preprocess.PreprocessOptions.ShardFormat;
import io.convoy.pipeline.preprocess.PreprocessOptions.Split;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Config parsing, option checks, the split hash and the resampler (no Spark). */
class PreprocessConfigTest {

  static Map<String, Object> base() {
    Map<String, Object> t = new HashMap<>();
    t.put("input", "hdfs://nn/images");
    t.put("output", "hdfs://nn/shards");
    t.put("height", 32);
    t.put("width", 48);
    return t;
  }

  @Test
  void parsesEveryKeyAndAppliesDefaults() {
    PreprocessOptions d = PreprocessConfig.fromTree(base(), "preprocess");
    assertEquals(1, d.channels());
    assertTrue(d.classPerFolder());
    assertEquals(ResizeMode.CROP, d.resize());
    assertEquals(NormalizeMode.NONE, d.normalize().mode());
    assertEquals(Split.ALL_TRAIN, d.split());
    assertEquals(ShardFormat.UINT8, d.format());
    assertEquals(PreprocessOptions.DEFAULT_SHARD_SIZE, d.shardSize());

    Map<String, Object> t = base();
    t.put("labels", "hdfs://nn/labels.csv");
    t.put("glob", "*.{png,jpg}");
    t.put("recursive", false);
    t.put("channels", 3);
    t.put("resize", "pad");
    t.put("normalize", Map.of("mean", List.of(0.5, 0.4, 0.3), "std", List.of(0.2, 0.2, 0.25)));
    t.put("split", Map.of("train", 0.8, "validation", 0.1, "test", 0.1));
    t.put("seed", 9);
    t.put("format", "float32");
    t.put("shard-size", 100);
    t.put("rejects-fatal", true);
    t.put("max-pixels", 4000000);
    PreprocessOptions o = PreprocessConfig.fromTree(t, "preprocess");
    assertEquals("hdfs://nn/labels.csv", o.labels());
    assertEquals(3, o.channels());
    assertEquals(ResizeMode.PAD, o.resize());
    assertArrayEquals(new float[] {0.5f, 0.4f, 0.3f}, o.normalize().mean());
    assertEquals(new Split(0.8, 0.1, 0.1), o.split());
    assertEquals(ShardFormat.FLOAT32, o.format());
    assertEquals(100, o.shardSize());
    assertTrue(o.rejectsFatal());
    assertEquals(4_000_000L, o.maxPixels());
    // the tree written to the manifest parses back to the same options
    Map<String, Object> back = o.toTree();
    assertEquals(o, PreprocessConfig.fromTree(back, "preprocess"));
  }

  @Test
  void errorsNameTheKeyAndTheValue() {
    assertMessage("preprocess.height is required", t -> t.remove("height"));
    assertMessage("preprocess.channels must be 1 or 3, got 2", t -> t.put("channels", 2));
    assertMessage("preprocess.resize must be crop or pad, got \"stretch\"", t -> t.put("resize", "stretch"));
    assertMessage("preprocess.format must be uint8 or float32, got \"png\"", t -> t.put("format", "png"));
    assertMessage("preprocess.shard-size must be > 0", t -> t.put("shard-size", 0));
    assertMessage("preprocess.max-pixels must be > 0, got -1", t -> t.put("max-pixels", -1));
    assertMessage("preprocess.split: train + validation + test must be 1", t -> t.put("split",
        Map.of("train", 0.8, "validation", 0.3)));
    assertMessage("preprocess.split.test must be in [0, 1], got -0.1", t -> t.put("split",
        Map.of("train", 1.0, "test", -0.1)));
    assertMessage("preprocess.normalize must be none, compute", t -> t.put("normalize", "auto"));
    assertMessage("3 mean/std values given, preprocess.channels is 1", t -> t.put("normalize",
        Map.of("mean", List.of(0.5, 0.5, 0.5), "std", List.of(0.2, 0.2, 0.2))));
    assertMessage("preprocess.normalize.std[0] must be finite and > 0", t -> t.put("normalize",
        Map.of("mean", 0.5, "std", 0)));
    assertMessage("unknown key(s) [heigth]", t -> t.put("heigth", 3));
    assertMessage("preprocess.output must differ from preprocess.input", t -> t.put("output", "hdfs://nn/images/"));
    assertMessage("preprocess.recursive must be true or false, got yes", t -> t.put("recursive", "yes"));
  }

  private static void assertMessage(String part, java.util.function.Consumer<Map<String, Object>> change) {
    Map<String, Object> t = base();
    change.accept(t);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PreprocessConfig.fromTree(t, "preprocess"));
    assertTrue(e.getMessage().contains(part), "expected \"" + part + "\" in: " + e.getMessage());
  }

  @Test
  void splitHashIsStableAndMatchesTheFractions() {
    Split s = new Split(0.7, 0.2, 0.1);
    int[] n = new int[3];
    for (int i = 0; i < 20000; i++) {
      n[s.of(Preprocessor.unit(5L, "class/img-" + i + ".png"))]++;
    }
    assertEquals(0.7, n[0] / 20000.0, 0.015);
    assertEquals(0.2, n[1] / 20000.0, 0.015);
    assertEquals(0.1, n[2] / 20000.0, 0.015);
    // depends on the path and seed only
    assertEquals(Preprocessor.unit(5L, "a/b.png"), Preprocessor.unit(5L, "a/b.png"));
    assertTrue(Preprocessor.unit(5L, "a/b.png") != Preprocessor.unit(6L, "a/b.png"));
  }

  @Test
  void resamplerAveragesCopiesAndPads() {
    SplittableRandom rnd = new SplittableRandom(3);
    byte[] src = new byte[2 * 17 * 23];
    for (int i = 0; i < src.length; i++) {
      src[i] = (byte) rnd.nextInt(256);
    }
    // same size: a copy
    byte[] same = new byte[src.length];
    Resizer.resize(src, 2, 17, 23, same, 0, 17, 23, ResizeMode.CROP);
    assertArrayEquals(src, same);
    // 2x2 box average when halving 34 x 46 made of 2x2 blocks of random values
    byte[] blocks = new byte[34 * 46];
    byte[] want = new byte[17 * 23];
    for (int y = 0; y < 17; y++) {
      for (int x = 0; x < 23; x++) {
        int a = rnd.nextInt(256);
        int b = rnd.nextInt(256);
        blocks[(2 * y) * 46 + 2 * x] = (byte) a;
        blocks[(2 * y) * 46 + 2 * x + 1] = (byte) b;
        blocks[(2 * y + 1) * 46 + 2 * x] = (byte) a;
        blocks[(2 * y + 1) * 46 + 2 * x + 1] = (byte) b;
        want[y * 23 + x] = (byte) Math.round((a + b) / 2f);
      }
    }
    byte[] half = new byte[17 * 23];
    Resizer.resize(blocks, 1, 34, 46, half, 0, 17, 23, ResizeMode.CROP);
    int maxDiff = 0;
    for (int i = 0; i < half.length; i++) {
      maxDiff = Math.max(maxDiff, Math.abs((half[i] & 0xFF) - (want[i] & 0xFF)));
    }
    assertTrue(maxDiff <= 1, "box average off by " + maxDiff);   // float rounding of x.5
    // pad: a 10 x 20 image into 20 x 20 sits in rows 5..14, zeros around
    byte[] wide = new byte[10 * 20];
    java.util.Arrays.fill(wide, (byte) 99);
    byte[] padded = new byte[400];
    java.util.Arrays.fill(padded, (byte) 7);
    Resizer.resize(wide, 1, 10, 20, padded, 0, 20, 20, ResizeMode.PAD);
    for (int y = 0; y < 20; y++) {
      for (int x = 0; x < 20; x++) {
        assertEquals(y >= 5 && y < 15 ? 99 : 0, padded[y * 20 + x] & 0xFF, "pixel (" + y + ", " + x + ")");
      }
    }
  }

  @Test
  void absurdDimensionsAreRejectedFromTheHeader() throws Exception {
    ImageDecoder d = new ImageDecoder(1, 28, 28, ResizeMode.CROP, 100_000_000L);
    ImageDecoder.DecodeException e = assertThrows(ImageDecoder.DecodeException.class,
        () -> d.decode(ImageTree.hugePng(100000, 100000), new byte[784], 0));
    assertEquals(Reject.Reason.BAD_DIMENSIONS, e.reason);
    assertTrue(e.getMessage().contains("100000 x 100000"), e.getMessage());
  }
}
