package io.convoy.pipeline.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convoy.kernels.RefJson;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The optimizers against PyTorch's three-step runs in the reference cases ({@link RefJson#referenceDir()}). */
class OptimizerTest {

  static float[] floats(JsonNode tensor) {
    JsonNode data = tensor.get("data");
    float[] out = new float[data.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) data.get(i).asDouble();
    }
    return out;
  }

  static OptimizerSpec specFor(String op, JsonNode p) {
    float lr = (float) p.get("lr").asDouble();
    float wd = (float) p.path("weight_decay").asDouble(0);
    OptimizerSpec spec = switch (op) {
      case "sgd" -> OptimizerSpec.sgd(lr);
      case "sgd_momentum" -> OptimizerSpec.momentum(lr, (float) p.get("momentum").asDouble());
      case "sgd_nesterov" -> OptimizerSpec.nesterov(lr, (float) p.get("momentum").asDouble());
      case "adam" -> OptimizerSpec.adam(lr)
          .withBetas((float) p.get("beta1").asDouble(), (float) p.get("beta2").asDouble(), (float) p.get("eps").asDouble())
          .withWeightDecay((float) p.get("weight_decay").asDouble());
      case "adamw" -> OptimizerSpec.adamW(lr, (float) p.get("weight_decay").asDouble())
          .withBetas((float) p.get("beta1").asDouble(), (float) p.get("beta2").asDouble(), (float) p.get("eps").asDouble());
      case "rmsprop" -> new OptimizerSpec(OptimizerKind.RMSPROP, lr, (float) p.get("momentum").asDouble(),
          OptimizerSpec.DEFAULT_BETA1, OptimizerSpec.DEFAULT_BETA2, (float) p.get("eps").asDouble(), 0f,
          (float) p.get("alpha").asDouble(), 0f);
      default -> throw new IllegalArgumentException("no spec for reference op " + op);
    };
    // torch.optim's weight_decay adds wd * param to the gradient; AdamW's is the decoupled one set above
    return op.equals("adamw") || wd == 0f ? spec : spec.withWeightDecay(wd);
  }

  @ParameterizedTest
  @ValueSource(strings = {"sgd", "sgd_momentum", "sgd_nesterov", "adam", "adamw", "rmsprop"})
  void matchesPyTorch(String op) throws IOException {
    JsonNode root = new ObjectMapper().readTree(Files.readString(RefJson.requireReferenceDir().resolve(op + ".json")));
    for (JsonNode c : root.get("cases")) {
      JsonNode t = c.get("tensors");
      float[] params = floats(t.get("initial"));
      Optimizer opt = new Optimizer(specFor(op, c.get("params")), params.length);
      double worst = 0;
      for (int s = 1; t.has("grad_" + s); s++) {
        float[] grad = floats(t.get("grad_" + s));
        opt.step(params, grad, opt.spec().learningRate());
        float[] want = floats(t.get("after_" + s));
        for (int i = 0; i < want.length; i++) {
          double d = Math.abs(params[i] - want[i]);
          worst = Math.max(worst, d);
          assertTrue(d <= 1e-4 + 1e-4 * Math.abs(want[i]),
              op + "/" + c.get("name").asText() + " step " + s + " element " + i + ": got " + params[i] + ", want " + want[i]);
        }
        assertEquals(s, opt.step());
      }
      System.out.printf("optimizer %s/%s: max |diff| %.3g%n", op, c.get("name").asText(), worst);
    }
  }

  @Test
  void stateRoundTripsAndResumes() {
    SplittableRandom rnd = new SplittableRandom(7);
    int n = 23;
    float[] p1 = new float[n];
    for (int i = 0; i < n; i++) {
      p1[i] = (float) rnd.nextGaussian();
    }
    float[] p2 = p1.clone();
    float[][] grads = new float[4][n];
    for (float[] g : grads) {
      for (int i = 0; i < n; i++) {
        g[i] = (float) rnd.nextGaussian();
      }
    }
    Optimizer a = new Optimizer(OptimizerSpec.adam(0.01f), n);
    for (float[] g : grads) {
      a.step(p1, g.clone(), 0.01f);
    }
    Optimizer b = new Optimizer(OptimizerSpec.adam(0.01f), n);
    b.step(p2, grads[0].clone(), 0.01f);
    b.step(p2, grads[1].clone(), 0.01f);
    Optimizer c = new Optimizer(OptimizerSpec.adam(0.01f), n);
    assertEquals(2 * n, b.stateSize());
    c.setState(b.state());
    c.setStep(b.step());
    c.step(p2, grads[2].clone(), 0.01f);
    c.step(p2, grads[3].clone(), 0.01f);
    assertArrayEquals(p1, p2, 0f);
    assertArrayEquals(a.state(), c.state(), 0f);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> c.setState(new float[5]));
    assertTrue(e.getMessage().contains("needs 46 floats"), e.getMessage());
  }

  @Test
  void clipsByGlobalNorm() {
    float[] p = {0f, 0f};
    float[] g = {3f, 4f};   // norm 5
    Optimizer o = new Optimizer(OptimizerSpec.sgd(1f).withClipNorm(1f), 2);
    o.step(p, g, 1f);
    assertEquals(5f, o.lastGradNorm(), 1e-6f);
    assertArrayEquals(new float[] {-0.6f, -0.8f}, p, 1e-6f);
    // below the limit: untouched
    float[] q = {0f, 0f};
    new Optimizer(OptimizerSpec.sgd(1f).withClipNorm(10f), 2).step(q, new float[] {3f, 4f}, 1f);
    assertArrayEquals(new float[] {-3f, -4f}, q, 1e-6f);
  }

  @Test
  void specMessagesNameTheConfigKey() {
    assertEquals("optimizer.learning-rate must be > 0, got -1",
        assertThrows(IllegalArgumentException.class, () -> OptimizerSpec.adam(-1f)).getMessage());
    assertEquals("optimizer.momentum must be in [0, 1), got 1.5",
        assertThrows(IllegalArgumentException.class, () -> OptimizerSpec.momentum(0.1f, 1.5f)).getMessage());
    assertEquals("optimizer.weight-decay must be >= 0, got -0.1",
        assertThrows(IllegalArgumentException.class, () -> OptimizerSpec.adamW(0.1f, -0.1f)).getMessage());
    assertEquals("optimizer.clip-norm must be >= 0, got -2",
        assertThrows(IllegalArgumentException.class, () -> OptimizerSpec.sgd(0.1f).withClipNorm(-2f)).getMessage());
    assertEquals("optimizer.eps must be > 0, got 0",
        assertThrows(IllegalArgumentException.class, () -> OptimizerSpec.adam(0.1f).withBetas(0.9f, 0.99f, 0f)).getMessage());
    assertEquals("optimizer.beta2 must be in [0, 1), got 1",
        assertThrows(IllegalArgumentException.class, () -> OptimizerSpec.adam(0.1f).withBetas(0.9f, 1f, 1e-8f)).getMessage());
    assertEquals("optimizer.alpha must be in [0, 1), got NaN",
        assertThrows(IllegalArgumentException.class, () -> OptimizerSpec.rmsprop(0.1f).withAlpha(Float.NaN)).getMessage());
    assertTrue(assertThrows(IllegalArgumentException.class, () -> OptimizerKind.parse("adagrad", "optimizer.kind"))
        .getMessage().startsWith("optimizer.kind must be one of sgd, momentum, nesterov, adam, adamw, rmsprop, got adagrad"));
    assertEquals(OptimizerKind.ADAMW, OptimizerKind.parse("AdamW", "optimizer.kind"));
  }
}
