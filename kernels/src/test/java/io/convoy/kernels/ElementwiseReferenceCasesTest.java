package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The element-wise kernels against the PyTorch-made reference cases (activations, losses, batch norm,
 * optimizers) in {@link RefJson#referenceDir()} and its {@code -extra} sibling. Tolerance
 * {@code |convoy - ref| <= 1e-4 + 1e-4 |ref|}; the largest difference of each case is printed.
 */
class ElementwiseReferenceCasesTest {
  private static final double ABS = 1e-4;
  private static final double REL = 1e-4;

  private static List<Map<String, Object>> cases(String op) throws IOException {
    List<Map<String, Object>> all = new ArrayList<>();
    for (Path dir : new Path[] {RefJson.requireReferenceDir(), RefJson.referenceExtraDir()}) {
      Path f = dir.resolve(op + ".json");
      if (Files.isRegularFile(f)) {
        for (Map<String, Object> c : RefJson.cases(RefJson.load(f))) {
          c.put("name", dir.getFileName() + "/" + RefJson.name(c));
          all.add(c);
        }
      }
    }
    assertTrue(!all.isEmpty(), "no reference cases for " + op + " in " + RefJson.referenceDir());
    return all;
  }

  /** Asserts element-wise closeness; returns the largest absolute difference. */
  private static double close(String what, float[] got, float[] ref) {
    assertEquals(ref.length, got.length, what + ": length");
    double worst = 0;
    for (int i = 0; i < ref.length; i++) {
      double d = Math.abs(got[i] - ref[i]);
      worst = Math.max(worst, d);
      assertTrue(d <= ABS + REL * Math.abs(ref[i]), what + "[" + i + "]: convoy " + got[i] + ", reference " + ref[i]);
    }
    return worst;
  }

  private static void report(String c, double worst) {
    System.out.printf("reference %-40s max |convoy - ref| = %.3g%n", c, worst);
  }

  private static double param(Map<String, Object> c, String name, double dflt) {
    Object params = c.get("params");
    Object v = params instanceof Map ? ((Map<?, ?>) params).get(name) : null;
    return v instanceof Number ? ((Number) v).doubleValue() : dflt;
  }

  private static boolean flag(Map<String, Object> c, String name) {
    Object params = c.get("params");
    Object v = params instanceof Map ? ((Map<?, ?>) params).get(name) : null;
    return Boolean.TRUE.equals(v);
  }

  interface Elementwise {
    void forward(float[] out, float[] in, int n, Map<String, Object> c);

    void backward(float[] dIn, float[] dOut, float[] in, float[] out, int n, Map<String, Object> c);
  }

  private static void runElementwise(String op, Elementwise k) throws IOException {
    for (Map<String, Object> c : cases(op)) {
      float[] in = RefJson.tensor(c, "input");
      float[] gOut = RefJson.tensor(c, "grad_output");
      int n = in.length;
      float[] out = new float[n];
      k.forward(out, in, n, c);
      double w = close(RefJson.name(c) + " output", out, RefJson.tensor(c, "output"));
      float[] dIn = new float[n];
      k.backward(dIn, gOut, in, out, n, c);
      w = Math.max(w, close(RefJson.name(c) + " grad_input", dIn, RefJson.tensor(c, "grad_input")));
      report(op + " " + RefJson.name(c), w);
    }
  }

  @Test
  void activations() throws IOException {
    runElementwise("relu", new Elementwise() {
      public void forward(float[] out, float[] in, int n, Map<String, Object> c) {
        Activations.reluForward(out, in, n);
      }

      public void backward(float[] dIn, float[] dOut, float[] in, float[] out, int n, Map<String, Object> c) {
        Activations.reluBackward(dIn, dOut, in, n);
      }
    });
    runElementwise("leaky_relu", new Elementwise() {
      public void forward(float[] out, float[] in, int n, Map<String, Object> c) {
        Activations.leakyReluForward(out, in, n, (float) RefJson.numberParam(c, "negative_slope"));
      }

      public void backward(float[] dIn, float[] dOut, float[] in, float[] out, int n, Map<String, Object> c) {
        Activations.leakyReluBackward(dIn, dOut, in, n, (float) RefJson.numberParam(c, "negative_slope"));
      }
    });
    runElementwise("elu", new Elementwise() {
      public void forward(float[] out, float[] in, int n, Map<String, Object> c) {
        Activations.eluForward(out, in, n, (float) RefJson.numberParam(c, "alpha"));
      }

      public void backward(float[] dIn, float[] dOut, float[] in, float[] out, int n, Map<String, Object> c) {
        Activations.eluBackward(dIn, dOut, in, n, (float) RefJson.numberParam(c, "alpha"));
      }
    });
    runElementwise("sigmoid", new Elementwise() {
      public void forward(float[] out, float[] in, int n, Map<String, Object> c) {
        Activations.sigmoidForward(out, in, n);
      }

      public void backward(float[] dIn, float[] dOut, float[] in, float[] out, int n, Map<String, Object> c) {
        Activations.sigmoidBackward(dIn, dOut, out, n);
      }
    });
    runElementwise("tanh", new Elementwise() {
      public void forward(float[] out, float[] in, int n, Map<String, Object> c) {
        Activations.tanhForward(out, in, n);
      }

      public void backward(float[] dIn, float[] dOut, float[] in, float[] out, int n, Map<String, Object> c) {
        Activations.tanhBackward(dIn, dOut, out, n);
      }
    });
    runElementwise("softmax", new Elementwise() {
      public void forward(float[] out, float[] in, int n, Map<String, Object> c) {
        int[] shape = RefJson.shape(c, "input");
        Activations.softmaxForward(out, in, shape[0], shape[1]);
      }

      public void backward(float[] dIn, float[] dOut, float[] in, float[] out, int n, Map<String, Object> c) {
        int[] shape = RefJson.shape(c, "input");
        Activations.softmaxBackward(dIn, dOut, out, shape[0], shape[1]);
      }
    });
  }

  @Test
  void losses() throws IOException {
    for (Map<String, Object> c : cases("softmax_cross_entropy")) {
      float[] logits = RefJson.tensor(c, "logits");
      int[] shape = RefJson.shape(c, "logits");
      float[] labelsF = RefJson.tensor(c, "labels");
      int[] labels = new int[labelsF.length];
      for (int i = 0; i < labels.length; i++) {
        labels[i] = Math.round(labelsF[i]);
      }
      float[] d = new float[logits.length];
      float[] probs = new float[logits.length];
      float loss = Losses.softmaxCrossEntropy(d, probs, logits, labels, shape[0], shape[1]);
      double w = close(RefJson.name(c) + " loss", new float[] {loss}, RefJson.tensor(c, "loss"));
      w = Math.max(w, close(RefJson.name(c) + " grad_logits", d, RefJson.tensor(c, "grad_logits")));
      report("softmax_cross_entropy " + RefJson.name(c), w);
    }
    for (String op : new String[] {"binary_cross_entropy", "mse"}) {
      for (Map<String, Object> c : cases(op)) {
        float[] in = RefJson.tensor(c, "input");
        float[] target = RefJson.tensor(c, "target");
        float[] d = new float[in.length];
        float loss = op.equals("mse") ? Losses.meanSquaredError(d, in, target, in.length)
            : Losses.binaryCrossEntropy(d, in, target, in.length);
        double w = close(RefJson.name(c) + " loss", new float[] {loss}, RefJson.tensor(c, "loss"));
        w = Math.max(w, close(RefJson.name(c) + " grad_input", d, RefJson.tensor(c, "grad_input")));
        report(op + " " + RefJson.name(c), w);
      }
    }
  }

  @Test
  void batchNorm2d() throws IOException {
    int evalCases = 0;
    for (Map<String, Object> c : cases("batchnorm2d")) {
      int[] s = RefJson.shape(c, "input");
      int n = s[0];
      int ch = s[1];
      int hw = s[2] * s[3];
      float eps = (float) param(c, "eps", 1e-5);
      float momentum = (float) param(c, "momentum", 0.1);
      float[] in = RefJson.tensor(c, "input");
      float[] gamma = RefJson.tensor(c, "gamma");
      float[] beta = RefJson.tensor(c, "beta");
      float[] out = new float[in.length];
      String name = RefJson.name(c);
      if (Boolean.FALSE.equals(((Map<?, ?>) c.get("params")).get("training"))) {
        // eval mode: normalised with the case's running statistics, which stay as they are
        float[] rm = RefJson.tensor(c, "running_mean");
        float[] rv = RefJson.tensor(c, "running_var");
        BatchNorm.forwardInference(out, in, n, ch, hw, gamma, 0, beta, 0, rm, 0, rv, 0, eps);
        report("batchnorm2d " + name, close(name + " output", out, RefJson.tensor(c, "output")));
        evalCases++;
        continue;
      }
      float[] rm = new float[ch];
      float[] rv = new float[ch];
      java.util.Arrays.fill(rv, 1f);
      float[] saveMean = new float[ch];
      float[] saveInvStd = new float[ch];
      BatchNorm.forwardTraining(out, in, n, ch, hw, gamma, 0, beta, 0, rm, 0, rv, 0, saveMean, saveInvStd, eps, momentum);
      double w = close(name + " output", out, RefJson.tensor(c, "output"));
      w = Math.max(w, close(name + " running_mean", rm, RefJson.tensor(c, "running_mean")));
      w = Math.max(w, close(name + " running_var", rv, RefJson.tensor(c, "running_var")));
      float[] dIn = new float[in.length];
      float[] dGamma = new float[ch];
      float[] dBeta = new float[ch];
      BatchNorm.backward(dIn, dGamma, 0, dBeta, 0, RefJson.tensor(c, "grad_output"), in, n, ch, hw, gamma, 0,
          saveMean, saveInvStd);
      w = Math.max(w, close(name + " grad_input", dIn, RefJson.tensor(c, "grad_input")));
      w = Math.max(w, close(name + " grad_gamma", dGamma, RefJson.tensor(c, "grad_gamma")));
      w = Math.max(w, close(name + " grad_beta", dBeta, RefJson.tensor(c, "grad_beta")));
      report("batchnorm2d " + name, w);
    }
    if (RefJson.referenceDir().endsWith(RefJson.IN_REPO)) {
      assertTrue(evalCases > 0, "the in-repo batchnorm2d cases include eval mode");
    }
  }

  @Test
  void optimizers() throws IOException {
    for (String op : new String[] {"sgd", "sgd_momentum", "sgd_nesterov", "adam", "adamw", "rmsprop"}) {
      for (Map<String, Object> c : cases(op)) {
        float[] p = RefJson.tensor(c, "initial");
        int n = p.length;
        float[] s1 = new float[n];
        float[] s2 = new float[n];
        float lr = (float) param(c, "lr", Double.NaN);
        float wd = (float) param(c, "weight_decay", 0);
        double w = 0;
        for (int t = 1; RefJson.hasTensor(c, "grad_" + t); t++) {
          float[] g = RefJson.tensor(c, "grad_" + t);
          switch (op) {
            case "sgd":
              Optimizers.sgd(p, g, n, lr, wd);
              break;
            case "sgd_momentum":
            case "sgd_nesterov":
              Optimizers.momentum(p, g, s1, n, lr, (float) param(c, "momentum", 0), (float) param(c, "dampening", 0),
                  flag(c, "nesterov"), wd, t);
              break;
            case "adam":
            case "adamw":
              float b1 = (float) param(c, "beta1", 0.9);
              float b2 = (float) param(c, "beta2", 0.999);
              float eps = (float) param(c, "eps", 1e-8);
              if (op.equals("adam")) {
                Optimizers.adam(p, g, s1, s2, n, lr, b1, b2, eps, wd, t);
              } else {
                Optimizers.adamW(p, g, s1, s2, n, lr, b1, b2, eps, wd, t);
              }
              break;
            default:
              Optimizers.rmsprop(p, g, s1, s2, n, lr, (float) param(c, "alpha", 0.99), (float) param(c, "eps", 1e-8),
                  wd, (float) param(c, "momentum", 0));
          }
          w = Math.max(w, close(RefJson.name(c) + " after_" + t, p, RefJson.tensor(c, "after_" + t)));
        }
        report(op + " " + RefJson.name(c), w);
      }
    }
  }
}
