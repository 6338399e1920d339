package io.convoy.pipeline.fuzz;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convoy.pipeline.io.Checkpoint;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.ModelFileException;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.ActivationKind;
import io.convoy.pipeline.model.ActivationSpec;
import io.convoy.pipeline.model.BatchNormSpec;
import io.convoy.pipeline.model.Conv2dSpec;
import io.convoy.pipeline.model.DenseSpec;
import io.convoy.pipeline.model.FlattenSpec;
import io.convoy.pipeline.model.LossKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32C;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Model and checkpoint files corrupted at the byte level (with and without a recomputed checksum, so
 * the parser behind the checksum is reached too) and at the header level (JSON values replaced by
 * absurd ones, then re-encoded with a valid checksum): every case is read or refused with a
 * {@link ModelFileException} naming the file, in time, without an absurd allocation.
 */
class ModelFileFuzzTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final int PREFIX = 24;

  @TempDir
  Path tmp;

  static ModelSpec spec() {
    return new ModelSpec(new TensorShape(1, 8, 8), List.of(
        new Conv2dSpec("conv1", 4, 3, 3, 1, 1, 1, 1, true),
        new BatchNormSpec("bn1", 1e-5f, 0.1f),
        new ActivationSpec("relu1", ActivationKind.RELU, 0f),
        new FlattenSpec("flatten"),
        new DenseSpec("fc", 10, true)), LossKind.SOFTMAX_CROSS_ENTROPY, 10);
  }

  static Checkpoint checkpoint(long seed) {
    ModelSpec spec = spec();
    SplittableRandom r = new SplittableRandom(seed);
    float[] p = new float[spec.paramCount()];
    for (int i = 0; i < p.length; i++) {
      p[i] = (float) r.nextGaussian();
    }
    float[] b = new float[spec.bufferCount()];
    float[] state = new float[2 * p.length];
    List<EpochMetrics> history = List.of(new EpochMetrics(0, 1.5, 0.4, 0.5, 0.5, 1000, 1, 0.5, 0.1, 1e-3));
    return new Checkpoint(new SavedModel(spec, p, b, Map.of("strategy", "parameter-averaging")),
        OptimizerSpec.adam(1e-3f), state, 7, 1, 7, seed, 0L, "{\"train\": {\"epochs\": 2}}", history);
  }

  /** The bytes with their trailing CRC32C recomputed. */
  static byte[] fixChecksum(byte[] b) {
    if (b.length < 4) {
      return b;
    }
    CRC32C crc = new CRC32C();
    crc.update(b, 0, b.length - 4);
    ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt(b.length - 4, (int) crc.getValue());
    return b;
  }

  /** A file with {@code header} in place of its header (lengths and checksum made consistent). */
  static byte[] withHeader(byte[] file, byte[] header) {
    ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen = in.getInt(12);
    long dataLen = in.getLong(16);
    ByteBuffer out = ByteBuffer.allocate(PREFIX + header.length + (int) dataLen + 4).order(ByteOrder.LITTLE_ENDIAN);
    out.put(file, 0, 12).putInt(header.length).putLong(dataLen).put(header)
        .put(file, PREFIX + headerLen, (int) dataLen).putInt(0);
    return fixChecksum(out.array());
  }

  private static final Object[] ABSURD = {null, -1, 0, Integer.MAX_VALUE, Long.MAX_VALUE, -1e300, 1e300, "x", "",
      List.of(), Map.of(), true, List.of(1, 2, 3), Map.of("type", "dense", "units", Integer.MAX_VALUE)};

  /** Header-level corruption: one value somewhere in the JSON tree replaced or removed. */
  static byte[] mutateHeader(byte[] file, SplittableRandom r) throws IOException {
    ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    int headerLen = in.getInt(12);
    Map<String, Object> header = JSON.readValue(new String(file, PREFIX, headerLen, StandardCharsets.UTF_8),
        new TypeReference<LinkedHashMap<String, Object>>() {});
    List<Object[]> slots = new ArrayList<>();   // {container, key or index}
    collect(header, slots);
    Object[] slot = slots.get(r.nextInt(slots.size()));
    Object v = ABSURD[r.nextInt(ABSURD.length)];
    boolean remove = r.nextInt(6) == 0;
    if (slot[0] instanceof Map<?, ?> m) {
      @SuppressWarnings("unchecked")
      Map<String, Object> mm = (Map<String, Object>) m;
      if (remove) {
        mm.remove((String) slot[1]);
      } else {
        mm.put((String) slot[1], v);
      }
    } else {
      @SuppressWarnings("unchecked")
      List<Object> l = (List<Object>) slot[0];
      if (remove) {
        l.remove((int) (Integer) slot[1]);
      } else {
        l.set((Integer) slot[1], v);
      }
    }
    return withHeader(file, JSON.writeValueAsBytes(header));
  }

  private static void collect(Object node, List<Object[]> out) {
    if (node instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.add(new Object[] {m, e.getKey()});
        collect(e.getValue(), out);
      }
    } else if (node instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        out.add(new Object[] {l, i});
        collect(l.get(i), out);
      }
    }
  }

  void fuzz(int cases, long seed) throws IOException {
    Checkpoint ckpt = checkpoint(seed);
    byte[] ckptBytes = ModelFile.toBytes(ckpt);
    byte[] modelBytes = ModelFile.toBytes(ckpt.model());
    Corruptions.Field[] fields = {
        new Corruptions.Field("version", 8, 4, ByteOrder.LITTLE_ENDIAN),
        new Corruptions.Field("header length", 12, 4, ByteOrder.LITTLE_ENDIAN),
        new Corruptions.Field("data length", 16, 8, ByteOrder.LITTLE_ENDIAN)};
    Corruptions[] gens = {
        new Corruptions(ckptBytes, 8, seed, ModelFileFuzzTest::fixChecksum, fields),
        new Corruptions(modelBytes, 8, seed + 1, ModelFileFuzzTest::fixChecksum, fields)};
    FuzzRun bytes = new FuzzRun("ModelFile (bytes)", ModelFileException.class);
    FuzzRun header = new FuzzRun("ModelFile (header values)", ModelFileException.class);
    FuzzRun files = new FuzzRun("ModelFile (files)", ModelFileException.class);
    Configuration conf = new Configuration();
    for (int i = 0; i < cases; i++) {
      boolean isCkpt = i % 2 == 0;
      Corruptions.Case c = gens[i % 2].make(i / 2);
      String name = (isCkpt ? "fuzz-ckpt-" : "fuzz-model-") + i;
      bytes.run(c, name, (k, n) -> {
        if (isCkpt) {
          ModelFile.checkpointFromBytes(k.bytes(), n);
        } else {
          ModelFile.modelFromBytes(k.bytes(), n);
        }
      });
      SplittableRandom r = new SplittableRandom(seed ^ (31L * i));
      byte[] mutated = mutateHeader(isCkpt ? ckptBytes : modelBytes, r);
      Corruptions.Case h = new Corruptions.Case(i, Corruptions.Kind.BYTE_SET, "header value", mutated);
      header.run(h, name, (k, n) -> {
        if (isCkpt) {
          ModelFile.checkpointFromBytes(k.bytes(), n);
        } else {
          ModelFile.modelFromBytes(k.bytes(), n);
        }
      });
      if (i % 10 == 0) {   // through the Hadoop file system too
        Path f = tmp.resolve(name + ".ckpt");
        Files.write(f, c.bytes());
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(f.toUri());
        files.run(c, f.getFileName().toString(), (k, n) -> {
          if (isCkpt) {
            ModelFile.readCheckpoint(p, conf);
          } else {
            ModelFile.readModel(p, conf);
          }
        });
        Files.delete(f);
      }
    }
    bytes.check();
    header.check();
    files.check();
  }

  @Test
  void corruptModelAndCheckpointFilesEndInModelFileExceptions() throws IOException {
    fuzz(2000, 21L);
  }

  @Test
  @Tag("long")
  void corruptModelAndCheckpointFilesEndInModelFileExceptionsManyCases() throws IOException {
    fuzz(40_000, 22L);
  }

  /** Any changed byte without a matching checksum is refused, naming the file. */
  @Test
  void wrongChecksumIsRefused() throws IOException {
    Checkpoint ckpt = checkpoint(3L);
    Configuration conf = new Configuration();
    byte[][] files = {ModelFile.toBytes(ckpt), ModelFile.toBytes(ckpt.model())};
    SplittableRandom r = new SplittableRandom(4L);
    for (int k = 0; k < files.length; k++) {
      for (int i = 0; i < 50; i++) {
        byte[] b = files[k].clone();
        int at = PREFIX + r.nextInt(b.length - PREFIX);   // header, data or the checksum itself
        b[at] ^= (byte) (1 << r.nextInt(8));
        Path f = tmp.resolve("crc-" + k + "-" + i + ".cvm");
        Files.write(f, b);
        org.apache.hadoop.fs.Path p = new org.apache.hadoop.fs.Path(f.toUri());
        ModelFileException e = assertThrows(ModelFileException.class,
            () -> ModelFile.readModel(p, conf), "byte " + at + " flipped");
        assertTrue(e.getMessage().contains(f.getFileName().toString()) && e.getMessage().contains("checksum mismatch"),
            e.getMessage());
        if (k == 0) {
          assertThrows(ModelFileException.class, () -> ModelFile.readCheckpoint(p, conf));
        }
      }
    }
  }
}
