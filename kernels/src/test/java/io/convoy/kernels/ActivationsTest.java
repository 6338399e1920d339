package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

/** Activations: vector against scalar twin, backward against finite differences, argument errors. */
class ActivationsTest {
  private static final int[] SIZES = {1, 7, 17, 1023};

  static float[] random(SplittableRandom rng, int n, double lo, double hi) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) (lo + (hi - lo) * rng.nextDouble());
    }
    return a;
  }

  /** Random values with |x| >= 0.05, so finite differences never straddle a kink at 0. */
  static float[] awayFromZero(SplittableRandom rng, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      double m = 0.05 + (scale - 0.05) * rng.nextDouble();
      a[i] = (float) (rng.nextBoolean() ? m : -m);
    }
    return a;
  }

  static double maxRelDiff(float[] a, float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1e-6 + Math.abs(b[i])));
    }
    return worst;
  }

  static double maxAbsDiff(float[] a, float[] b) {
    double worst = 0;
    for (int i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i] - b[i]));
    }
    return worst;
  }

  interface Pair {
    void run(float[] out, float[] in, int n, boolean vector);
  }

  /** Runs a kernel on the vector and scalar paths over all sizes; returns the largest relative difference. */
  private static double compare(String name, Pair kernel, double lo, double hi, double tolerance) {
    assumeTrue(Backend.VECTOR, "Vector API not available");
    SplittableRandom rng = new SplittableRandom(11);
    double worst = 0;
    for (int n : SIZES) {
      float[] in = random(rng, n, lo, hi);
      float[] start = random(rng, n, -1, 1);
      float[] v = start.clone();
      float[] s = start.clone();
      kernel.run(v, in, n, true);
      kernel.run(s, in, n, false);
      double d = maxRelDiff(v, s);
      assertTrue(d <= tolerance, name + " n=" + n + ": vector vs scalar relative difference " + d);
      worst = Math.max(worst, d);
    }
    System.out.printf("ActivationsTest %-20s vector vs scalar max rel diff %.3g%n", name, worst);
    return worst;
  }

  @Test
  void reluAndLeakyVectorMatchScalarExactly() {
    float[] dOut = random(new SplittableRandom(3), 1023, -1, 1);
    assertEquals(0.0, compare("relu", (o, in, n, vec) -> {
      if (vec) {
        VectorActivations.reluForward(o, in, n);
      } else {
        ScalarActivations.reluForward(o, in, n);
      }
    }, -2, 2, 0));
    assertEquals(0.0, compare("reluBackward", (d, in, n, vec) -> {
      if (vec) {
        VectorActivations.reluBackward(d, dOut, in, n);
      } else {
        ScalarActivations.reluBackward(d, dOut, in, n);
      }
    }, -2, 2, 0));
    assertEquals(0.0, compare("leakyRelu", (o, in, n, vec) -> {
      if (vec) {
        VectorActivations.leakyReluForward(o, in, n, 0.1f);
      } else {
        ScalarActivations.leakyReluForward(o, in, n, 0.1f);
      }
    }, -2, 2, 0));
    assertEquals(0.0, compare("leakyReluBackward", (d, in, n, vec) -> {
      if (vec) {
        VectorActivations.leakyReluBackward(d, dOut, in, n, 0.1f);
      } else {
        ScalarActivations.leakyReluBackward(d, dOut, in, n, 0.1f);
      }
    }, -2, 2, 0));
  }

  @Test
  void expBasedVectorKernelsMatchScalarExactly() {
    float[] dOut = random(new SplittableRandom(4), 1023, -1, 1);
    double tol = 0;
    compare("elu", (o, in, n, vec) -> {
      if (vec) {
        VectorActivations.eluForward(o, in, n, 0.7f);
      } else {
        ScalarActivations.eluForward(o, in, n, 0.7f);
      }
    }, -8, 3, tol);
    compare("eluBackward", (d, in, n, vec) -> {
      if (vec) {
        VectorActivations.eluBackward(d, dOut, in, n, 0.7f);
      } else {
        ScalarActivations.eluBackward(d, dOut, in, n, 0.7f);
      }
    }, -8, 3, tol);
    compare("sigmoid", (o, in, n, vec) -> {
      if (vec) {
        VectorActivations.sigmoidForward(o, in, n);
      } else {
        ScalarActivations.sigmoidForward(o, in, n);
      }
    }, -30, 30, tol);
    compare("sigmoidBackward", (d, y, n, vec) -> {
      if (vec) {
        VectorActivations.sigmoidBackward(d, dOut, y, n);
      } else {
        ScalarActivations.sigmoidBackward(d, dOut, y, n);
      }
    }, 0, 1, 0);
    compare("tanh", (o, in, n, vec) -> {
      if (vec) {
        VectorActivations.tanhForward(o, in, n);
      } else {
        ScalarActivations.tanhForward(o, in, n);
      }
    }, -6, 6, tol);
    compare("tanhBackward", (d, y, n, vec) -> {
      if (vec) {
        VectorActivations.tanhBackward(d, dOut, y, n);
      } else {
        ScalarActivations.tanhBackward(d, dOut, y, n);
      }
    }, -1, 1, 0);
  }

  @Test
  void softmaxVectorMatchesScalarAndRowsSumToOne() {
    assumeTrue(Backend.VECTOR, "Vector API not available");
    SplittableRandom rng = new SplittableRandom(5);
    double worst = 0;
    int[][] shapes = {{1, 1}, {3, 7}, {2, 17}, {4, 1023}, {5, 10}};
    for (int[] sh : shapes) {
      int rows = sh[0];
      int cols = sh[1];
      float[] in = random(rng, rows * cols, -40, 40);
      float[] v = new float[rows * cols];
      float[] s = new float[rows * cols];
      VectorActivations.softmaxForward(v, in, rows, cols);
      ScalarActivations.softmaxForward(s, in, rows, cols);
      double d = maxAbsDiff(v, s);
      assertTrue(d == 0, "softmax " + rows + "x" + cols + ": vector vs scalar abs difference " + d);
      worst = Math.max(worst, d);
      for (int r = 0; r < rows; r++) {
        double sum = 0;
        for (int j = 0; j < cols; j++) {
          assertTrue(Float.isFinite(v[r * cols + j]), "softmax produced " + v[r * cols + j]);
          sum += v[r * cols + j];
        }
        assertEquals(1.0, sum, 1e-5, "row " + r + " of " + rows + "x" + cols);
      }
    }
    System.out.printf("ActivationsTest softmax vector vs scalar max abs diff %.3g%n", worst);
  }

  /**
   * The exp-based vector kernels give the scalar twin's bits after C2 has compiled them too, on
   * ordinary values and on the special ones: the Vector API's own lanewise(EXP) did not (its compiled
   * intrinsic and its interpreted fallback differ in the last bit).
   */
  @Test
  void vectorKernelsKeepTheirBitsOnceCompiled() {
    assumeTrue(Backend.VECTOR, "Vector API not available");
    SplittableRandom rng = new SplittableRandom(13);
    int n = 1024;
    float[] in = random(rng, n, -95, 95);
    float[] specials = {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, 0f, -0f, 1e-30f, -1e-30f,
        88.5f, 89f, -87.5f, -103.5f, -110f, 0.34f, -0.35f, 0.62f, -0.63f};
    System.arraycopy(specials, 0, in, 0, specials.length);
    for (int j = 0; j < 64; j++) {
      in[100 + j] = (float) rng.nextGaussian() * 0.3f; // the small-argument branches
    }
    float[] dOut = random(rng, n, -1, 1);
    String[] names = {"elu", "eluBackward", "sigmoid", "tanh", "softmax 64x16", "softmax 128x8 "};
    for (int k = 0; k < names.length; k++) {
      float[] s = new float[n];
      float[] v = new float[n];
      run(k, false, s, in, dOut);
      for (int it = 0; it < 3000; it++) {
        java.util.Arrays.fill(v, 0f);
        run(k, true, v, in, dOut);
        if (it == 0 || it == 2999) {
          for (int i = 0; i < n; i++) {
            int iv = Float.floatToIntBits(v[i]);
            int is = Float.floatToIntBits(s[i]);
            if (iv != is) {
              throw new AssertionError(names[k] + ", call " + (it + 1) + ", element " + i + " (in " + in[i]
                  + "): vector " + v[i] + " vs scalar " + s[i]);
            }
          }
        }
      }
    }
  }

  private static void run(int k, boolean vec, float[] out, float[] in, float[] dOut) {
    int n = in.length;
    switch (k) {
      case 0 -> {
        if (vec) {
          VectorActivations.eluForward(out, in, n, 0.7f);
        } else {
          ScalarActivations.eluForward(out, in, n, 0.7f);
        }
      }
      case 1 -> {
        if (vec) {
          VectorActivations.eluBackward(out, dOut, in, n, 0.7f);
        } else {
          ScalarActivations.eluBackward(out, dOut, in, n, 0.7f);
        }
      }
      case 2 -> {
        if (vec) {
          VectorActivations.sigmoidForward(out, in, n);
        } else {
          ScalarActivations.sigmoidForward(out, in, n);
        }
      }
      case 3 -> {
        if (vec) {
          VectorActivations.tanhForward(out, in, n);
        } else {
          ScalarActivations.tanhForward(out, in, n);
        }
      }
      default -> {
        int cols = k == 4 ? 16 : 8;
        float[] finite = in.clone();
        for (int i = 0; i < n; i++) {
          if (!Float.isFinite(finite[i])) {
            finite[i] = 3f;
          }
        }
        if (vec) {
          VectorActivations.softmaxForward(out, finite, n / cols, cols);
        } else {
          ScalarActivations.softmaxForward(out, finite, n / cols, cols);
        }
      }
    }
  }

  /** Gradient of sum(f(x) * dOut) by central differences, in double around float kernels. */
  static double[] numericGrad(float[] x, float[] dOut, Consumer<float[]> forward, float[] out, double h) {
    double[] grad = new double[x.length];
    for (int i = 0; i < x.length; i++) {
      float keep = x[i];
      x[i] = (float) (keep + h);
      double plus = weighted(forward, x, out, dOut);
      x[i] = (float) (keep - h);
      double minus = weighted(forward, x, out, dOut);
      x[i] = keep;
      grad[i] = (plus - minus) / (2 * h);
    }
    return grad;
  }

  private static double weighted(Consumer<float[]> forward, float[] x, float[] out, float[] dOut) {
    forward.accept(x);
    double s = 0;
    for (int i = 0; i < out.length; i++) {
      s += (double) out[i] * dOut[i];
    }
    return s;
  }

  /** Asserts analytic (which started from {@code base}) equals numeric within 2e-3 + 2e-3 |g|. */
  static double assertGradClose(String name, float[] analytic, float[] base, double[] numeric) {
    double worst = 0;
    for (int i = 0; i < numeric.length; i++) {
      double a = analytic[i] - base[i];
      double d = Math.abs(a - numeric[i]);
      worst = Math.max(worst, d);
      assertTrue(d <= 2e-3 + 2e-3 * Math.abs(numeric[i]),
          name + "[" + i + "]: analytic " + a + " vs finite difference " + numeric[i]);
    }
    System.out.printf("%-32s backward vs finite differences max abs diff %.3g%n", name, worst);
    return worst;
  }

  @Test
  void backwardsMatchFiniteDifferencesAndAdd() {
    SplittableRandom rng = new SplittableRandom(7);
    int n = 37;
    float[] x = awayFromZero(rng, n, 3);
    float[] dOut = random(rng, n, -1, 1);
    float[] base = random(rng, n, -1, 1);
    float[] out = new float[n];
    double h = 1e-3;

    float[] d = base.clone();
    Activations.reluBackward(d, dOut, x, n);
    assertGradClose("Activations.relu", d, base,
        numericGrad(x, dOut, xx -> Activations.reluForward(out, xx, n), out, h));

    d = base.clone();
    Activations.leakyReluBackward(d, dOut, x, n, 0.2f);
    assertGradClose("Activations.leakyRelu", d, base,
        numericGrad(x, dOut, xx -> Activations.leakyReluForward(out, xx, n, 0.2f), out, h));

    d = base.clone();
    Activations.eluBackward(d, dOut, x, n, 1.3f);
    assertGradClose("Activations.elu", d, base,
        numericGrad(x, dOut, xx -> Activations.eluForward(out, xx, n, 1.3f), out, h));

    float[] y = new float[n];
    Activations.sigmoidForward(y, x, n);
    d = base.clone();
    Activations.sigmoidBackward(d, dOut, y, n);
    assertGradClose("Activations.sigmoid", d, base,
        numericGrad(x, dOut, xx -> Activations.sigmoidForward(out, xx, n), out, h));

    Activations.tanhForward(y, x, n);
    d = base.clone();
    Activations.tanhBackward(d, dOut, y, n);
    assertGradClose("Activations.tanh", d, base,
        numericGrad(x, dOut, xx -> Activations.tanhForward(out, xx, n), out, h));

    int rows = 3;
    int cols = 11;
    float[] logits = random(rng, rows * cols, -3, 3);
    float[] g = random(rng, rows * cols, -1, 1);
    float[] sm = new float[rows * cols];
    float[] smOut = new float[rows * cols];
    float[] smBase = random(rng, rows * cols, -1, 1);
    Activations.softmaxForward(sm, logits, rows, cols);
    float[] ds = smBase.clone();
    Activations.softmaxBackward(ds, g, sm, rows, cols);
    assertGradClose("Activations.softmax", ds, smBase,
        numericGrad(logits, g, xx -> Activations.softmaxForward(smOut, xx, rows, cols), smOut, h));
  }

  @Test
  void forwardValuesFollowPyTorchDefinitions() {
    float[] in = {-2f, -0f, 0.5f, Float.NaN};
    float[] out = new float[4];
    Activations.reluForward(out, in, 4);
    assertEquals(0f, out[0]);
    assertEquals(0.5f, out[2]);
    assertTrue(Float.isNaN(out[3]), "relu(NaN) stays NaN as in PyTorch");
    Activations.leakyReluForward(out, in, 3, 0.01f);
    assertEquals(-0.02f, out[0], 1e-9);
    Activations.eluForward(out, in, 3, 2f);
    assertEquals(2 * Math.expm1(-2), out[0], 1e-6);
    Activations.softmaxForward(out, new float[] {1000f, 1000f, -1000f, 0f}, 1, 4);
    assertEquals(0.5f, out[0], 1e-7);
    assertEquals(0f, out[2]);
  }

  @Test
  void argumentErrorsNameTheArray() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Activations.reluForward(new float[4], new float[3], 4));
    assertTrue(e.getMessage().contains("in") && e.getMessage().contains("4") && e.getMessage().contains("3"),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Activations.softmaxForward(new float[6], new float[6], 2, -3));
    assertTrue(e.getMessage().contains("cols") && e.getMessage().contains("-3"), e.getMessage());
  }
}
