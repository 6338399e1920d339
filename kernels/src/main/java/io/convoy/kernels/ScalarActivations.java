package io.convoy.kernels;

/**
 * Plain-loop twin of {@link VectorActivations}, equal to it bit for bit (exp, expm1 and tanh come
 * from {@link FloatMath}), and the only implementation of the softmax backward. Same static signatures
 * as {@link Activations}; arguments are not checked here.
 * Element-wise arrays start at index 0 and hold n elements; softmax works on (rows, cols) row-major.
 */
public final class ScalarActivations {
  private ScalarActivations() {}

  // out, in are (n)
  public static void reluForward(float[] out, float[] in, int n) {
    for (int i = 0; i < n; i++) {
      out[i] = Math.max(in[i], 0f); // NaN stays NaN, as in PyTorch
    }
  }

  // dIn, dOut, in are (n); forward: out = max(in, 0)
  public static void reluBackward(float[] dIn, float[] dOut, float[] in, int n) {
    for (int i = 0; i < n; i++) {
      if (in[i] > 0f) {
        dIn[i] += dOut[i];
      }
    }
  }

  // out, in are (n)
  public static void leakyReluForward(float[] out, float[] in, int n, float slope) {
    for (int i = 0; i < n; i++) {
      float x = in[i];
      out[i] = x > 0f ? x : x * slope;
    }
  }

  // dIn, dOut, in are (n); forward: out = in > 0 ? in : in * slope
  public static void leakyReluBackward(float[] dIn, float[] dOut, float[] in, int n, float slope) {
    for (int i = 0; i < n; i++) {
      float g = dOut[i];
      dIn[i] += in[i] > 0f ? g : g * slope;
    }
  }

  // out, in are (n)
  public static void eluForward(float[] out, float[] in, int n, float alpha) {
    for (int i = 0; i < n; i++) {
      float x = in[i];
      out[i] = x > 0f ? x : FloatMath.expm1(x) * alpha;
    }
  }

  // dIn, dOut, in are (n); forward: out = in > 0 ? in : alpha * (exp(in) - 1)
  public static void eluBackward(float[] dIn, float[] dOut, float[] in, int n, float alpha) {
    for (int i = 0; i < n; i++) {
      float x = in[i];
      float g = dOut[i];
      dIn[i] += x > 0f ? g : g * (FloatMath.exp(x) * alpha);
    }
  }

  // out, in are (n)
  public static void sigmoidForward(float[] out, float[] in, int n) {
    for (int i = 0; i < n; i++) {
      out[i] = FloatMath.sigmoid(in[i]);
    }
  }

  // dIn, dOut, out are (n); forward: out = 1 / (1 + exp(-in))
  public static void sigmoidBackward(float[] dIn, float[] dOut, float[] out, int n) {
    for (int i = 0; i < n; i++) {
      float y = out[i];
      dIn[i] += dOut[i] * y * (1f - y);
    }
  }

  // out, in are (n)
  public static void tanhForward(float[] out, float[] in, int n) {
    for (int i = 0; i < n; i++) {
      out[i] = FloatMath.tanh(in[i]);
    }
  }

  // dIn, dOut, out are (n); forward: out = tanh(in)
  public static void tanhBackward(float[] dIn, float[] dOut, float[] out, int n) {
    for (int i = 0; i < n; i++) {
      float y = out[i];
      dIn[i] += dOut[i] * (1f - y * y);
    }
  }

  // out, in are (rows, cols); each row sums to 1
  public static void softmaxForward(float[] out, float[] in, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      float max = Float.NEGATIVE_INFINITY;
      for (int j = 0; j < cols; j++) {
        max = Math.max(max, in[base + j]);
      }
      double sum = 0;
      for (int j = 0; j < cols; j++) {
        float e = FloatMath.exp(in[base + j] - max);
        out[base + j] = e;
        sum += e;
      }
      float inv = (float) (1.0 / sum);
      for (int j = 0; j < cols; j++) {
        out[base + j] *= inv;
      }
    }
  }

  // dIn, dOut, out are (rows, cols); forward: out_j = exp(in_j) / sum_k exp(in_k) per row
  public static void softmaxBackward(float[] dIn, float[] dOut, float[] out, int rows, int cols) {
    for (int r = 0; r < rows; r++) {
      int base = r * cols;
      double dotGy = 0;
      for (int j = 0; j < cols; j++) {
        dotGy += (double) dOut[base + j] * out[base + j];
      }
      float s = (float) dotGy;
      for (int j = 0; j < cols; j++) {
        dIn[base + j] += out[base + j] * (dOut[base + j] - s);
      }
    }
  }
}
