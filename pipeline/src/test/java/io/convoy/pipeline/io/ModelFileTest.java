package io.convoy.pipeline.io;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Model and checkpoint files on Hadoop's LocalFileSystem: round trips, replacement and corruption. */
class ModelFileTest {
  static final Configuration CONF = new Configuration();

  @TempDir
  java.nio.file.Path dir;

  static float[] random(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) r.nextGaussian();
    }
    return a;
  }

  static SavedModel model(long seed) {
    ModelSpec spec = ModelSpec.kerasCourse();
    return new SavedModel(spec, random(spec.paramCount(), seed), random(spec.bufferCount(), seed + 1),
        Map.of("test-accuracy", 0.875, "note", "seeded"));
  }

  Path path(String name) {
    return new Path(dir.resolve(name).toUri());
  }

  /** Hadoop's LocalFileSystem keeps its own .crc beside the file; without it our trailer is the only guard. */
  java.nio.file.Path corruptible(String name) throws IOException {
    Files.deleteIfExists(dir.resolve("." + name + ".crc"));
    return dir.resolve(name);
  }

  @Test
  void modelRoundTripAndReplace() {
    Path p = path("sub/model.convoy");
    SavedModel m = model(1);
    ModelFile.write(p, CONF, m);
    SavedModel back = ModelFile.readModel(p, CONF);
    assertEquals(m.spec(), back.spec());
    assertArrayEquals(m.params(), back.params(), 0f);
    assertArrayEquals(m.buffers(), back.buffers(), 0f);
    assertEquals(0.875, ((Number) back.metadata().get("test-accuracy")).doubleValue());
    assertEquals("seeded", back.metadata().get("note"));
    // replacing an existing file leaves only the new one, and no temporary files
    SavedModel m2 = model(2);
    ModelFile.write(p, CONF, m2);
    assertArrayEquals(m2.params(), ModelFile.readModel(p, CONF).params(), 0f);
    try (Stream<java.nio.file.Path> files = Files.list(dir.resolve("sub"))) {
      List<String> names = files.map(f -> f.getFileName().toString()).filter(n -> !n.endsWith(".crc")).toList();
      assertEquals(List.of("model.convoy"), names);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
    // in-memory form
    assertArrayEquals(m.params(), ModelFile.modelFromBytes(ModelFile.toBytes(m), "bytes").params(), 0f);
  }

  @Test
  void checkpointRoundTrip() {
    SavedModel m = model(3);
    OptimizerSpec o = OptimizerSpec.adam(1e-3f).withClipNorm(5f);
    EpochMetrics e0 = new EpochMetrics(0, 0.5, 0.8, 0.82, Double.NaN, 1234.5, 10, 0, 0, 1e-3);
    Checkpoint c = new Checkpoint(m, o, random(2 * m.params().length, 9), 470, 1, 470L, 42L, 7L,
        "train { epochs = 5 }", List.of(e0));
    Path p = path("ckpt.convoy");
    ModelFile.write(p, CONF, c);
    Checkpoint back = ModelFile.readCheckpoint(p, CONF);
    assertEquals(o, back.optimizer());
    assertArrayEquals(c.optimizerState(), back.optimizerState(), 0f);
    assertEquals(470, back.optimizerStep());
    assertEquals(1, back.epoch());
    assertEquals(470L, back.step());
    assertEquals(42L, back.seed());
    assertEquals(7L, back.rngState());
    assertEquals("train { epochs = 5 }", back.config());
    assertEquals(List.of(e0), back.history());
    assertArrayEquals(m.params(), back.model().params(), 0f);
    // a checkpoint is also readable as a model; a model is not a checkpoint
    assertEquals(m.spec(), ModelFile.readModel(p, CONF).spec());
    Path mp = path("model.convoy");
    ModelFile.write(mp, CONF, m);
    String msg = assertThrows(ModelFileException.class, () -> ModelFile.readCheckpoint(mp, CONF)).getMessage();
    assertTrue(msg.contains("model.convoy") && msg.contains("header.kind is model, expected checkpoint"), msg);
  }

  @Test
  void refusesCorruptFiles() throws IOException {
    SavedModel m = model(4);
    Path p = path("m.convoy");
    ModelFile.write(p, CONF, m);
    byte[] good = Files.readAllBytes(dir.resolve("m.convoy"));

    // one bit flipped in the parameters
    byte[] flipped = good.clone();
    flipped[good.length - 1000] ^= 0x10;
    Files.write(corruptible("m.convoy"), flipped);
    String msg = assertThrows(ModelFileException.class, () -> ModelFile.readModel(p, CONF)).getMessage();
    assertTrue(msg.contains("m.convoy") && msg.contains("checksum mismatch") && msg.contains("corrupt"), msg);

    // one bit flipped in the header
    flipped = good.clone();
    flipped[40] ^= 0x01;
    Files.write(corruptible("m.convoy"), flipped);
    msg = assertThrows(ModelFileException.class, () -> ModelFile.readModel(p, CONF)).getMessage();
    assertTrue(msg.contains("checksum mismatch"), msg);

    // truncated
    Files.write(corruptible("m.convoy"), Arrays.copyOf(good, good.length - 10));
    msg = assertThrows(ModelFileException.class, () -> ModelFile.readModel(p, CONF)).getMessage();
    assertTrue(msg.contains("m.convoy") && msg.contains("truncated") && msg.contains("the file holds " + (good.length - 10)), msg);

    // wrong magic
    byte[] other = good.clone();
    other[0] = 'P';
    other[1] = 'K';
    Files.write(corruptible("m.convoy"), other);
    msg = assertThrows(ModelFileException.class, () -> ModelFile.readModel(p, CONF)).getMessage();
    assertTrue(msg.contains("not a Convoy model file") && msg.contains("50 4b 4e 56"), msg);

    // a later format version
    byte[] later = good.clone();
    later[8] = 2;
    Files.write(corruptible("m.convoy"), later);
    msg = assertThrows(ModelFileException.class, () -> ModelFile.readModel(p, CONF)).getMessage();
    assertTrue(msg.contains("format version 2"), msg);

    // a data length that claims far more than the file holds: refused before allocating
    byte[] absurd = good.clone();
    absurd[16] = 0;
    absurd[17] = 0;
    absurd[18] = 0;
    absurd[19] = 0x70;
    Files.write(corruptible("m.convoy"), absurd);
    msg = assertThrows(ModelFileException.class, () -> ModelFile.readModel(p, CONF)).getMessage();
    assertTrue(msg.contains("truncated"), msg);

    // too short to hold anything
    Files.write(corruptible("m.convoy"), new byte[5]);
    msg = assertThrows(ModelFileException.class, () -> ModelFile.readModel(p, CONF)).getMessage();
    assertTrue(msg.contains("too short"), msg);
  }

  @Test
  void failedWriteKeepsTheOldFile() {
    Path p = path("keep.convoy");
    SavedModel m = model(5);
    ModelFile.write(p, CONF, m);
    // metadata that JSON cannot encode makes the write fail half way
    SavedModel bad = new SavedModel(m.spec(), m.params(), m.buffers(), Map.of("thread", new Object()));
    assertThrows(ModelFileException.class, () -> ModelFile.write(p, CONF, bad));
    assertArrayEquals(m.params(), ModelFile.readModel(p, CONF).params(), 0f);
    try (Stream<java.nio.file.Path> files = Files.list(dir)) {
      assertEquals(0, files.filter(f -> f.getFileName().toString().contains(".tmp-")).count());
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }
}
