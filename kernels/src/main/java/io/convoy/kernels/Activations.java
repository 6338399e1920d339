package io.convoy.kernels;

import static io.convoy.kernels.VectorOps.checkLength;
import static io.convoy.kernels.VectorOps.checkSize;

/**
 * Element-wise activations and row softmax, forward and backward, with PyTorch's definitions.
 *
 * <p>Arrays start at index 0 and hold {@code n} elements (softmax: {@code rows x cols}, row-major).
 * Forward writes {@code out}; backward ADDS into {@code dIn}. Sigmoid, tanh and softmax backward
 * take the forward output, the others the forward input. Everything but the softmax backward runs on
 * the Vector API when {@link Backend#VECTOR} is true; both backends give the same bits (exp, expm1
 * and tanh are {@link FloatMath}'s, within 2-3 float ulp of the exact value).
 */
public final class Activations {
  private Activations() {}

  /** {@code out = max(in, 0)}. */
  public static void reluForward(float[] out, float[] in, int n) {
    check2("Activations.reluForward", out, "out", in, "in", n);
    if (Backend.VECTOR) {
      VectorActivations.reluForward(out, in, n);
    } else {
      ScalarActivations.reluForward(out, in, n);
    }
  }

  /** {@code dIn += in > 0 ? dOut : 0}. */
  public static void reluBackward(float[] dIn, float[] dOut, float[] in, int n) {
    check3("Activations.reluBackward", dIn, dOut, in, "in", n);
    if (Backend.VECTOR) {
      VectorActivations.reluBackward(dIn, dOut, in, n);
    } else {
      ScalarActivations.reluBackward(dIn, dOut, in, n);
    }
  }

  /** {@code out = in > 0 ? in : slope * in} (PyTorch's {@code negative_slope}). */
  public static void leakyReluForward(float[] out, float[] in, int n, float slope) {
    check2("Activations.leakyReluForward", out, "out", in, "in", n);
    if (Backend.VECTOR) {
      VectorActivations.leakyReluForward(out, in, n, slope);
    } else {
      ScalarActivations.leakyReluForward(out, in, n, slope);
    }
  }

  /** {@code dIn += in > 0 ? dOut : slope * dOut}. */
  public static void leakyReluBackward(float[] dIn, float[] dOut, float[] in, int n, float slope) {
    check3("Activations.leakyReluBackward", dIn, dOut, in, "in", n);
    if (Backend.VECTOR) {
      VectorActivations.leakyReluBackward(dIn, dOut, in, n, slope);
    } else {
      ScalarActivations.leakyReluBackward(dIn, dOut, in, n, slope);
    }
  }

  /** {@code out = in > 0 ? in : alpha * (exp(in) - 1)}. */
  public static void eluForward(float[] out, float[] in, int n, float alpha) {
    check2("Activations.eluForward", out, "out", in, "in", n);
    if (Backend.VECTOR) {
      VectorActivations.eluForward(out, in, n, alpha);
    } else {
      ScalarActivations.eluForward(out, in, n, alpha);
    }
  }

  /** {@code dIn += in > 0 ? dOut : dOut * alpha * exp(in)}. */
  public static void eluBackward(float[] dIn, float[] dOut, float[] in, int n, float alpha) {
    check3("Activations.eluBackward", dIn, dOut, in, "in", n);
    if (Backend.VECTOR) {
      VectorActivations.eluBackward(dIn, dOut, in, n, alpha);
    } else {
      ScalarActivations.eluBackward(dIn, dOut, in, n, alpha);
    }
  }

  /** {@code out = 1 / (1 + exp(-in))}. */
  public static void sigmoidForward(float[] out, float[] in, int n) {
    check2("Activations.sigmoidForward", out, "out", in, "in", n);
    if (Backend.VECTOR) {
      VectorActivations.sigmoidForward(out, in, n);
    } else {
      ScalarActivations.sigmoidForward(out, in, n);
    }
  }

  /** {@code dIn += dOut * out * (1 - out)}, from the forward output. */
  public static void sigmoidBackward(float[] dIn, float[] dOut, float[] out, int n) {
    check3("Activations.sigmoidBackward", dIn, dOut, out, "out", n);
    if (Backend.VECTOR) {
      VectorActivations.sigmoidBackward(dIn, dOut, out, n);
    } else {
      ScalarActivations.sigmoidBackward(dIn, dOut, out, n);
    }
  }

  /** {@code out = tanh(in)}. */
  public static void tanhForward(float[] out, float[] in, int n) {
    check2("Activations.tanhForward", out, "out", in, "in", n);
    if (Backend.VECTOR) {
      VectorActivations.tanhForward(out, in, n);
    } else {
      ScalarActivations.tanhForward(out, in, n);
    }
  }

  /** {@code dIn += dOut * (1 - out^2)}, from the forward output. */
  public static void tanhBackward(float[] dIn, float[] dOut, float[] out, int n) {
    check3("Activations.tanhBackward", dIn, dOut, out, "out", n);
    if (Backend.VECTOR) {
      VectorActivations.tanhBackward(dIn, dOut, out, n);
    } else {
      ScalarActivations.tanhBackward(dIn, dOut, out, n);
    }
  }

  /** Softmax over each row of a (rows, cols) matrix, made stable by subtracting the row max. */
  public static void softmaxForward(float[] out, float[] in, int rows, int cols) {
    int n = checkMatrix("Activations.softmaxForward", rows, cols);
    check2("Activations.softmaxForward", out, "out", in, "in", n);
    if (Backend.VECTOR) {
      VectorActivations.softmaxForward(out, in, rows, cols);
    } else {
      ScalarActivations.softmaxForward(out, in, rows, cols);
    }
  }

  /** {@code dIn += out * (dOut - sum_j dOut_j * out_j)} per row, from the forward output. */
  public static void softmaxBackward(float[] dIn, float[] dOut, float[] out, int rows, int cols) {
    int n = checkMatrix("Activations.softmaxBackward", rows, cols);
    check3("Activations.softmaxBackward", dIn, dOut, out, "out", n);
    ScalarActivations.softmaxBackward(dIn, dOut, out, rows, cols);
  }

  private static void check2(String where, float[] a, String aName, float[] b, String bName, int n) {
    checkSize(where, "n", n);
    checkLength(where, aName, a, n);
    checkLength(where, bName, b, n);
  }

  private static void check3(String where, float[] dIn, float[] dOut, float[] x, String xName, int n) {
    check2(where, dIn, "dIn", dOut, "dOut", n);
    checkLength(where, xName, x, n);
  }

  private static int checkMatrix(String where, int rows, int cols) {
    checkSize(where, "rows", rows);
    checkSize(where, "cols", cols);
    long n = (long) rows * cols;
    if (n > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(where + ": rows * cols = " + n + " does not fit in an array");
    }
    return (int) n;
  }
}
