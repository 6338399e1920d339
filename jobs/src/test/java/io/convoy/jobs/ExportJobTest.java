package io.convoy.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.FloatBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code convoy export}: the ONNX file it writes runs in ONNX Runtime and gives Convoy's probabilities. */
class ExportJobTest {
  static final int BATCH = 16;

  record Result(int code, String out, String err) {}

  static Result export(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    String[] all = new String[args.length + 1];
    all[0] = "export";
    System.arraycopy(args, 0, all, 1, args.length);
    int code = Main.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** A reference CNN with He-initialised weights and a stored normalisation, written as model.cvm. */
  static Path model(Path dir, Normalization norm) {
    ModelSpec spec = ModelSpec.referenceCnn();
    Network net = new Network(spec, BATCH);
    float[] p = new float[net.numParams()];
    float[] b = new float[net.numBuffers()];
    net.initParams(p, b, InitKind.HE, 5L);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("normalization-mean", List.of((double) norm.mean()[0]));
    meta.put("normalization-std", List.of((double) norm.std()[0]));
    Path file = dir.resolve("model.cvm");
    ModelFile.write(new org.apache.hadoop.fs.Path(file.toUri()), new Configuration(), new SavedModel(spec, p, b, meta));
    return file;
  }

  /** ONNX Runtime's probability output for {@code x} (BATCH images). */
  static float[] runOnnx(Path onnx, float[] x) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession s = env.createSession(onnx.toString(), new OrtSession.SessionOptions());
        OnnxTensor in = OnnxTensor.createTensor(env, FloatBuffer.wrap(x), new long[] {BATCH, 1, 28, 28});
        OrtSession.Result r = s.run(Map.of("input", in))) {
      float[][] probs = (float[][]) r.get("probability").get().getValue();
      float[] flat = new float[BATCH * 10];
      for (int i = 0; i < BATCH; i++) {
        System.arraycopy(probs[i], 0, flat, i * 10, 10);
      }
      return flat;
    }
  }

  @Test
  void exportedModelRunsInOnnxRuntimeWithAndWithoutTheNormalisation(@TempDir Path tmp) throws Exception {
    Normalization norm = new Normalization(new float[] {0.286f}, new float[] {0.353f}); // of pixel / 255
    Path cvm = model(tmp, norm);
    SavedModel m = ModelFile.readModel(new org.apache.hadoop.fs.Path(cvm.toUri()), new Configuration());
    float[] raw = new float[BATCH * 784];
    SplittableRandom rng = new SplittableRandom(3);
    for (int i = 0; i < raw.length; i++) {
      raw[i] = rng.nextInt(256);
    }
    float[] normalised = new float[raw.length];
    for (int i = 0; i < raw.length; i++) {
      normalised[i] = raw[i] * norm.scale(0) + norm.shift(0);
    }
    float[] want = new float[BATCH * 10];
    new Network(m.spec(), BATCH).predict(m.params(), m.buffers(), normalised, BATCH, want);

    // default: the normalisation is in the graph, which takes raw pixel values
    Path onnx = tmp.resolve("out/model.onnx");
    Files.createDirectories(onnx.getParent());
    Result r = export(cvm.toString(), onnx.toString());
    assertEquals(0, r.code(), r.err());
    String[] lines = r.out().strip().split("\n");
    assertEquals(onnx.toString(), lines[lines.length - 1].strip());
    assertTrue(r.out().contains("takes raw pixel values 0..255"), r.out());
    assertClose(want, runOnnx(onnx, raw), "raw-pixel graph");

    // --normalised-input: the graph takes what Network takes; it replaces the file written before
    r = export(cvm.toString(), onnx.toString(), "--normalised-input");
    assertEquals(0, r.code(), r.err());
    assertTrue(r.out().contains("takes normalised input (--normalised-input)"), r.out());
    assertClose(want, runOnnx(onnx, normalised), "normalised-input graph");
    // a relative output path is written in the working directory
    Path rel = Path.of("target", "export-test-" + System.nanoTime() + ".onnx");
    r = export(cvm.toString(), rel.toString());
    assertEquals(0, r.code(), r.err());
    assertClose(want, runOnnx(rel.toAbsolutePath(), raw), "relative path");
    Files.delete(rel);
    try (var files = Files.list(onnx.getParent())) {
      // Hadoop's local file system keeps its checksum beside the file (.model.onnx.crc), as for model.cvm
      assertEquals(List.of(onnx), files.filter(f -> !f.getFileName().toString().endsWith(".crc")).toList(),
          "no temporary file is left beside the export");
    }
  }

  static void assertClose(float[] want, float[] got, String what) {
    assertEquals(want.length, got.length);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], got[i], 1e-5, what + ": probability " + i);
    }
  }

  @Test
  void badCommandLinesAreNamedAndWriteNothing(@TempDir Path tmp) {
    Path onnx = tmp.resolve("model.onnx");
    Result r = export(tmp.resolve("missing.cvm").toString(), onnx.toString());
    assertEquals(Main.CONFIG_ERROR, r.code());
    assertTrue(r.err().contains("model file") && r.err().contains("missing.cvm") && r.err().contains("does not exist"),
        r.err());
    r = export("only-one-path");
    assertEquals(Main.CONFIG_ERROR, r.code());
    assertTrue(r.err().contains("export takes a model file and an output file") && r.err().contains(ExportJob.USAGE),
        r.err());
    Path cvm = model(tmp, new Normalization(new float[] {0f}, new float[] {1f}));
    r = export(cvm.toString(), onnx.toString(), "--fold");
    assertEquals(Main.CONFIG_ERROR, r.code());
    assertTrue(r.err().contains("unknown option '--fold'") && r.err().contains("--normalised-input"), r.err());
    assertFalse(Files.exists(onnx), "nothing written");
  }
}
