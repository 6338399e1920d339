package io.convoy.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convoy.kernels.Losses;
import io.convoy.pipeline.model.ActivationKind;
import io.convoy.pipeline.model.ActivationSpec;
import io.convoy.pipeline.model.AvgPool2dSpec;
import io.convoy.pipeline.model.BatchNormSpec;
import io.convoy.kernels.RefJson;
import io.convoy.pipeline.model.Conv2dSpec;
import io.convoy.pipeline.model.ConvTranspose2dSpec;
import io.convoy.pipeline.model.DenseSpec;
import io.convoy.pipeline.model.FlattenSpec;
import io.convoy.pipeline.model.LayerSpec;
import io.convoy.pipeline.model.LossKind;
import io.convoy.pipeline.model.MaxPool2dSpec;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.optim.Optimizer;
import io.convoy.pipeline.optim.OptimizerKind;
import io.convoy.pipeline.optim.OptimizerSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every PyTorch-made reference case in the folder given by system property
 * {@code convoy.reference.dir} (default: the repository's own, {@link RefJson#IN_REPO}),
 * one dynamic test per case, through single-layer {@link Network}s (layers), the loss kernels
 * (losses) and {@link Optimizer} (optimizers). A case passes when every element satisfies
 * {@code |convoy - ref| <= 1e-4 + 1e-4 * |ref|}; each case prints its largest difference. An op this
 * test does not know fails.
 */
class ReferenceCasesTest {
  private static final Set<String> KNOWN = new TreeSet<>(List.of("conv2d", "conv_transpose2d", "maxpool2d", "avgpool2d", "dense",
      "relu", "sigmoid", "tanh", "leaky_relu", "elu", "softmax", "softmax_cross_entropy", "binary_cross_entropy",
      "mse", "batchnorm2d", "sgd", "sgd_momentum", "sgd_nesterov", "adam", "adamw", "rmsprop"));

  @TestFactory
  Stream<DynamicTest> referenceCases() throws IOException {
    Path dir = RefJson.requireReferenceDir();
    List<Path> files;
    try (Stream<Path> s = Files.list(dir)) {
      files = s.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList();
    }
    assertFalse(files.isEmpty(), "no *.json reference files in " + dir);
    ObjectMapper om = new ObjectMapper();
    List<DynamicTest> tests = new ArrayList<>();
    for (Path f : files) {
      JsonNode root = om.readTree(f.toFile());
      String op = root.path("op").asText("");
      JsonNode cases = root.path("cases");
      if (!KNOWN.contains(op) || !cases.isArray() || cases.isEmpty()) {
        tests.add(DynamicTest.dynamicTest(f.getFileName() + " (op '" + op + "')", () -> fail(f + ": op '" + op
            + "' is not one this test knows " + KNOWN + " or the file has no cases")));
        continue;
      }
      int i = 0;
      for (JsonNode c : cases) {
        String name = f.getFileName() + " #" + i++ + " " + c.path("name").asText("");
        tests.add(DynamicTest.dynamicTest(name, () -> {
          Check check = new Check(name);
          run(op, c, check);
          check.finish();
        }));
      }
    }
    return tests.stream();
  }

  /** Collects the largest difference of a case and fails with the first element out of tolerance. */
  static final class Check {
    final String caseName;
    double worst;
    String worstWhere = "-";
    String firstFailure;
    int compared;

    Check(String caseName) {
      this.caseName = caseName;
    }

    void compare(String tensor, float[] ref, float[] got, int gotLength) {
      assertEquals(ref.length, gotLength, caseName + ": " + tensor + " has " + gotLength + " values, reference "
          + ref.length);
      for (int i = 0; i < ref.length; i++) {
        double d = Math.abs((double) got[i] - ref[i]);
        if (!(d <= 1e-4 + 1e-4 * Math.abs(ref[i])) && firstFailure == null) {
          firstFailure = tensor + "[" + i + "]: convoy " + got[i] + " vs reference " + ref[i] + " (|diff| " + d + ")";
        }
        if (d > worst || Double.isNaN(d)) {
          worst = Double.isNaN(d) ? Double.POSITIVE_INFINITY : d;
          worstWhere = tensor + "[" + i + "]";
        }
      }
      compared++;
    }

    void finish() {
      System.out.printf(Locale.ROOT, "%-60s max |diff| %.3e at %s%n", caseName, worst, worstWhere);
      assertTrue(compared > 0, caseName + ": nothing compared");
      if (firstFailure != null) {
        fail(caseName + ": " + firstFailure + "; largest difference " + worst + " at " + worstWhere);
      }
    }
  }

  private static float[] tensor(JsonNode c, String name) {
    JsonNode t = c.path("tensors").path(name);
    if (t.isMissingNode()) {
      throw new IllegalArgumentException("case " + c.path("name").asText() + " has no tensor '" + name + "'");
    }
    JsonNode data = t.path("data");
    float[] out = new float[data.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = (float) data.get(i).asDouble();
    }
    return out;
  }

  private static boolean has(JsonNode c, String name) {
    return !c.path("tensors").path(name).isMissingNode();
  }

  private static int[] shape(JsonNode c, String name) {
    JsonNode s = c.path("tensors").path(name).path("shape");
    int[] out = new int[s.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = s.get(i).asInt();
    }
    return out;
  }

  private static int[] pair(JsonNode c, String param) {
    JsonNode p = c.path("params").path(param);
    return p.isArray() ? new int[] {p.get(0).asInt(), p.get(1).asInt()} : new int[] {p.asInt(), p.asInt()};
  }

  private static double num(JsonNode c, String param, double dflt) {
    JsonNode p = c.path("params").path(param);
    return p.isMissingNode() || p.isNull() ? dflt : p.asDouble();
  }

  private static void run(String op, JsonNode c, Check check) {
    switch (op) {
      case "conv2d" -> conv(c, check);
      case "conv_transpose2d" -> convTranspose(c, check);
      case "maxpool2d", "avgpool2d" -> pool(op, c, check);
      case "dense" -> dense(c, check);
      case "relu", "sigmoid", "tanh", "leaky_relu", "elu", "softmax" -> activation(op, c, check);
      case "batchnorm2d" -> batchNorm(c, check);
      case "softmax_cross_entropy" -> softmaxCrossEntropy(c, check);
      case "binary_cross_entropy", "mse" -> pointwiseLoss(op, c, check);
      case "sgd", "sgd_momentum", "sgd_nesterov", "adam", "adamw", "rmsprop" -> optimizer(op, c, check);
      default -> fail("unknown op '" + op + "', expected one of " + KNOWN);
    }
  }

  /** A one-layer network on the case's input; returns the parameter vector to fill. */
  private static Network single(TensorShape in, LayerSpec layer) {
    TensorShape out = layer.outputShape(in);
    return new Network(new ModelSpec(in, List.of(layer), LossKind.SOFTMAX_CROSS_ENTROPY, out.size()),
        1 << 12);
  }

  private static TensorShape image(int[] s) {
    return new TensorShape(s[1], s[2], s[3]);
  }

  /**
   * Convoy rejects windows that do not end exactly on the last row or column; PyTorch floors and
   * ignores the rest. Such cases run on an explicitly zero-padded and cropped copy of the input
   * (layer padding 0), which gives PyTorch's output exactly; rows and columns PyTorch never reads get
   * a zero input gradient.
   */
  record Reframe(int n, int c, int h, int w, int top, int left, int newH, int newW) {
    static Reframe ifNeeded(int[] in, int[] out, int kh, int kw, int sh, int sw, int ph, int pw) {
      boolean exact = (in[2] + 2 * ph - kh) % sh == 0 && (in[3] + 2 * pw - kw) % sw == 0;
      return exact ? null : new Reframe(in[0], in[1], in[2], in[3], ph, pw, (out[2] - 1) * sh + kh,
          (out[3] - 1) * sw + kw);
    }

    TensorShape shape() {
      return new TensorShape(c, newH, newW);
    }

    float[] apply(float[] x) {
      float[] y = new float[n * c * newH * newW];
      for (int img = 0; img < n * c; img++) {
        for (int i = 0; i < newH; i++) {
          for (int j = 0; j < newW; j++) {
            int si = i - top;
            int sj = j - left;
            if (si >= 0 && si < h && sj >= 0 && sj < w) {
              y[(img * newH + i) * newW + j] = x[(img * h + si) * w + sj];
            }
          }
        }
      }
      return y;
    }

    float[] back(float[] dy) {
      float[] dx = new float[n * c * h * w];
      for (int img = 0; img < n * c; img++) {
        for (int i = 0; i < h; i++) {
          for (int j = 0; j < w; j++) {
            int ti = i + top;
            int tj = j + left;
            if (ti < newH && tj < newW) {
              dx[(img * h + i) * w + j] = dy[(img * newH + ti) * newW + tj];
            }
          }
        }
      }
      return dx;
    }
  }

  /** Forward, then backward of grad_output; checks output and grad_input, returns the parameter gradient. */
  private static float[] forwardBackward(Network net, int batch, float[] params, float[] buffers, JsonNode c,
      Check check) {
    return forwardBackward(net, batch, params, buffers, c, check, null);
  }

  private static float[] forwardBackward(Network net, int batch, float[] params, float[] buffers, JsonNode c,
      Check check, Reframe reframe) {
    float[] x = tensor(c, "input");
    float[] xr = reframe == null ? x : reframe.apply(x);
    float[] out = net.forwardOutput(params, buffers, xr, batch, true, 0L);
    float[] ref = tensor(c, "output");
    check.compare("output", ref, out, Math.min(out.length, ref.length));
    float[] grads = new float[net.numParams()];
    float[] dx = net.backwardInput(params, grads, xr, tensor(c, "grad_output"), batch);
    if (reframe != null) {
      dx = reframe.back(dx);
    }
    check.compare("grad_input", tensor(c, "grad_input"), dx, x.length);
    return grads;
  }

  private static float[] slice(float[] a, int off, int n) {
    float[] out = new float[n];
    System.arraycopy(a, off, out, 0, n);
    return out;
  }

  /**
   * A layer with a weight and an optional bias of {@code outputs} values: loads the case's, runs
   * {@link #forwardBackward} and checks grad_weight and grad_bias.
   */
  private static void weightAndBias(Network net, int batch, JsonNode c, Check check, boolean bias, int outputs,
      Reframe reframe) {
    float[] weight = tensor(c, "weight");
    float[] params = new float[net.numParams()];
    System.arraycopy(weight, 0, params, 0, weight.length);
    if (bias) {
      System.arraycopy(tensor(c, "bias"), 0, params, weight.length, outputs);
    }
    float[] grads = forwardBackward(net, batch, params, new float[0], c, check, reframe);
    check.compare("grad_weight", tensor(c, "grad_weight"), slice(grads, 0, weight.length), weight.length);
    if (bias) {
      check.compare("grad_bias", tensor(c, "grad_bias"), slice(grads, weight.length, outputs), outputs);
    }
  }

  private static void conv(JsonNode c, Check check) {
    int[] in = shape(c, "input");
    int[] w = shape(c, "weight");
    int[] stride = pair(c, "stride");
    int[] pad = pair(c, "padding");
    boolean bias = has(c, "bias");
    Reframe rf = Reframe.ifNeeded(in, shape(c, "output"), w[2], w[3], stride[0], stride[1], pad[0], pad[1]);
    Network net = rf == null
        ? single(image(in), new Conv2dSpec("conv", w[0], w[2], w[3], stride[0], stride[1], pad[0], pad[1], bias))
        : single(rf.shape(), new Conv2dSpec("conv", w[0], w[2], w[3], stride[0], stride[1], 0, 0, bias));
    weightAndBias(net, in[0], c, check, bias, w[0], rf);
  }

  /** PyTorch's ConvTranspose2d: weight (in, out, kH, kW), the layout Convoy's layer uses. */
  private static void convTranspose(JsonNode c, Check check) {
    int[] in = shape(c, "input");
    int[] w = shape(c, "weight");
    int[] stride = pair(c, "stride");
    int[] pad = pair(c, "padding");
    int[] outPad = pair(c, "output_padding");
    assertTrue(outPad[0] == 0 && outPad[1] == 0, "output_padding " + outPad[0] + "," + outPad[1]
        + " is not supported by Convoy's layer");
    boolean bias = has(c, "bias");
    Network net = single(image(in),
        new ConvTranspose2dSpec("deconv", w[1], w[2], w[3], stride[0], stride[1], pad[0], pad[1], bias));
    weightAndBias(net, in[0], c, check, bias, w[1], null);
  }

  private static void pool(String op, JsonNode c, Check check) {
    int[] in = shape(c, "input");
    int[] k = pair(c, "kernel");
    int[] s = pair(c, "stride");
    LayerSpec layer = op.equals("maxpool2d") ? new MaxPool2dSpec("pool", k[0], k[1], s[0], s[1])
        : new AvgPool2dSpec("pool", k[0], k[1], s[0], s[1]);
    Reframe rf = Reframe.ifNeeded(in, shape(c, "output"), k[0], k[1], s[0], s[1], 0, 0);
    forwardBackward(single(rf == null ? image(in) : rf.shape(), layer), in[0], new float[0], new float[0], c, check,
        rf);
  }

  private static void dense(JsonNode c, Check check) {
    int[] in = shape(c, "input");
    int[] w = shape(c, "weight");
    boolean bias = has(c, "bias");
    Network net = single(TensorShape.flat(in[1]), new DenseSpec("fc", w[0], bias));
    weightAndBias(net, in[0], c, check, bias, w[0], null);
  }

  private static void activation(String op, JsonNode c, Check check) {
    int[] in = shape(c, "input");
    int features = 1;
    for (int i = 1; i < in.length; i++) {
      features *= in[i];
    }
    ActivationKind kind = ActivationKind.valueOf(op.toUpperCase(Locale.ROOT));
    float alpha = (float) switch (kind) {
      case LEAKY_RELU -> num(c, "negative_slope", 0.01);
      case ELU -> num(c, "alpha", 1.0);
      default -> 0.0;
    };
    TensorShape shape = in.length == 4 ? image(in) : TensorShape.flat(features);
    forwardBackward(single(shape, new ActivationSpec("act", kind, alpha)), in[0], new float[0], new float[0], c,
        check);
  }

  private static void batchNorm(JsonNode c, Check check) {
    int[] in = shape(c, "input");
    Network net = single(image(in), new BatchNormSpec("bn", (float) num(c, "eps", 1e-5),
        (float) num(c, "momentum", 0.1)));
    int ch = in[1];
    float[] params = new float[net.numParams()];
    float[] buffers = new float[net.numBuffers()];
    net.initParams(params, buffers, io.convoy.pipeline.model.InitKind.UNIFORM, 1L);   // running mean 0, var 1
    System.arraycopy(tensor(c, "gamma"), 0, params, 0, ch);
    System.arraycopy(tensor(c, "beta"), 0, params, ch, ch);
    if (!c.path("params").path("training").asBoolean(true)) {
      // eval mode: the running statistics of the case normalise, and stay as they are
      float[] mean = tensor(c, "running_mean");
      float[] var = tensor(c, "running_var");
      System.arraycopy(mean, 0, buffers, 0, ch);
      System.arraycopy(var, 0, buffers, ch, ch);
      float[] out = net.forwardOutput(params, buffers, tensor(c, "input"), in[0], false, 0L);
      check.compare("output", tensor(c, "output"), out, in[0] * in[1] * in[2] * in[3]);
      check.compare("running_mean unchanged", mean, slice(buffers, 0, ch), ch);
      check.compare("running_var unchanged", var, slice(buffers, ch, ch), ch);
      return;
    }
    float[] grads = forwardBackward(net, in[0], params, buffers, c, check);
    check.compare("running_mean", tensor(c, "running_mean"), slice(buffers, 0, ch), ch);
    check.compare("running_var", tensor(c, "running_var"), slice(buffers, ch, ch), ch);
    check.compare("grad_gamma", tensor(c, "grad_gamma"), slice(grads, 0, ch), ch);
    check.compare("grad_beta", tensor(c, "grad_beta"), slice(grads, ch, ch), ch);
  }

  private static void softmaxCrossEntropy(JsonNode c, Check check) {
    int[] s = shape(c, "logits");
    int n = s[0];
    int k = s[1];
    float[] logits = tensor(c, "logits");
    float[] lf = tensor(c, "labels");
    int[] labels = new int[n];
    for (int i = 0; i < n; i++) {
      labels[i] = Math.round(lf[i]);
    }
    float[] dLogits = new float[n * k];
    float[] probs = new float[n * k];
    float loss = Losses.softmaxCrossEntropy(dLogits, probs, logits, labels, n, k);
    check.compare("loss", tensor(c, "loss"), new float[] {loss}, 1);
    check.compare("grad_logits", tensor(c, "grad_logits"), dLogits, dLogits.length);
    // the same loss through a network whose output is the logits
    Network net = new Network(new ModelSpec(TensorShape.flat(k), List.of(new FlattenSpec("logits")),
        LossKind.SOFTMAX_CROSS_ENTROPY, k), n);
    float netLoss = net.forwardBackward(new float[0], new float[0], new float[0], logits, labels, n, 0L);
    check.compare("network loss", tensor(c, "loss"), new float[] {netLoss}, 1);
  }

  private static void pointwiseLoss(String op, JsonNode c, Check check) {
    float[] in = tensor(c, "input");
    float[] target = tensor(c, "target");
    float[] dIn = new float[in.length];
    float loss = op.equals("mse") ? Losses.meanSquaredError(dIn, in, target, in.length)
        : Losses.binaryCrossEntropy(dIn, in, target, in.length);
    check.compare("loss", tensor(c, "loss"), new float[] {loss}, 1);
    check.compare("grad_input", tensor(c, "grad_input"), dIn, dIn.length);
  }

  private static void optimizer(String op, JsonNode c, Check check) {
    OptimizerKind kind = switch (op) {
      case "sgd" -> OptimizerKind.SGD;
      case "sgd_momentum" -> OptimizerKind.MOMENTUM;
      case "sgd_nesterov" -> OptimizerKind.NESTEROV;
      case "adam" -> OptimizerKind.ADAM;
      case "adamw" -> OptimizerKind.ADAMW;
      default -> OptimizerKind.RMSPROP;
    };
    float lr = (float) num(c, "lr", Double.NaN);
    OptimizerSpec spec = new OptimizerSpec(kind, lr, (float) num(c, "momentum", 0), (float) num(c, "beta1", 0.9),
        (float) num(c, "beta2", 0.999), (float) num(c, "eps", 1e-8), (float) num(c, "weight_decay", 0),
        (float) num(c, "alpha", 0.99), 0f);
    float[] p = tensor(c, "initial");
    Optimizer opt = new Optimizer(spec, p.length);
    for (int step = 1; has(c, "grad_" + step); step++) {
      opt.step(p, tensor(c, "grad_" + step), lr);
      check.compare("after_" + step, tensor(c, "after_" + step), p, p.length);
    }
  }
}
