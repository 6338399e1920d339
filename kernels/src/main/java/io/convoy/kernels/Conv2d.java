package io.convoy.kernels;

import java.util.Arrays;

/**
 * 2-D convolution (cross-correlation, as in PyTorch), the fast path. 3x3 kernels with stride 1 and
 * enough channels ({@link #usesWinograd}) run Winograd F(4x4, 3x3) in {@link WinogradConv}; stride-1
 * convolutions with few weights ({@link #usesDirect}) run the direct kernels of {@link DirectConv};
 * all other shapes run, per image, {@link Im2col} into the caller's workspace and one {@link Gemm} call:
 *
 * <ul>
 *   <li>forward: {@code out_n (K x PQ) = W (K x CRS) * col_n (CRS x PQ)} (+ bias per row);</li>
 *   <li>backwardWeights: {@code dW (K x CRS) += dOut_n (K x PQ) * col_n^T}, accumulated over the batch;</li>
 *   <li>backwardData: {@code col = W^T * dOut_n}, then folded back into {@code dIn} with
 *       {@link Im2col#col2imAdd}.</li>
 * </ul>
 * A 1x1 kernel with stride 1 and no padding skips the unfolding: the image (C x HW) already is
 * the column matrix. The workspace holds one image's column matrix, or Winograd's buffers for one
 * block of images, or the direct path's padded planes of one image ({@link #workspaceSize}), not the
 * batch's. Without the Vector API every shape runs im2col on the scalar GEMM. {@link ScalarConv2d}
 * is the plain-loop twin with the same signatures.
 */
public final class Conv2d {
  private Conv2d() {}

  /** Name of the system property that, set to {@code false}, keeps 3x3 convolutions on im2col. */
  public static final String WINOGRAD_PROPERTY = "convoy.conv.winograd";

  private static final boolean WINOGRAD_ON =
      Boolean.parseBoolean(System.getProperty(WINOGRAD_PROPERTY, "true"));

  /** Name of the system property that, set to {@code false}, keeps small convolutions on im2col. */
  public static final String DIRECT_PROPERTY = "convoy.conv.direct";

  private static final boolean DIRECT_ON =
      Boolean.parseBoolean(System.getProperty(DIRECT_PROPERTY, "true"));

  /** Most weights (k*c*r*s) a convolution may have to run {@link DirectConv}. */
  static final int DIRECT_MAX_WEIGHTS = 16 * 1024;

  /**
   * Whether the three passes of shape s run Winograd F(4x4, 3x3) ({@link WinogradConv}): a 3x3
   * kernel with stride 1 and padding at most 2, at least {@link WinogradConv#MIN_CHANNELS} input
   * and output channels, the Vector API present and {@value #WINOGRAD_PROPERTY} not false.
   * Everything else runs im2col + GEMM.
   */
  public static boolean usesWinograd(ConvShape s) {
    // checked here, not in WinogradConv, so that a JVM without the Vector API never loads that class
    return Backend.VECTOR && WINOGRAD_ON && s.r() == 3 && s.s() == 3 && s.strideH() == 1 && s.strideW() == 1
        && s.padH() <= 2 && s.padW() <= 2 && s.c() >= WinogradConv.MIN_CHANNELS
        && s.k() >= WinogradConv.MIN_CHANNELS;
  }

  /**
   * Whether the three passes of shape s run the direct convolution ({@link DirectConv}): stride 1,
   * padding below the kernel size (backward-data pads by {@code r - 1 - pad}), at most
   * {@value #DIRECT_MAX_WEIGHTS} weights (few channels: LeNet-5's layers, a one-channel first layer,
   * whose im2col GEMMs are too small to run at speed), not Winograd, not pointwise, the Vector API
   * present and {@value #DIRECT_PROPERTY} not false.
   */
  public static boolean usesDirect(ConvShape s) {
    return Backend.VECTOR && DIRECT_ON && !usesWinograd(s) && !s.isPointwise()
        && s.strideH() == 1 && s.strideW() == 1 && s.padH() < s.r() && s.padW() < s.s()
        && (long) s.k() * s.c() * s.r() * s.s() <= DIRECT_MAX_WEIGHTS;
  }

  /**
   * Floats of workspace the calls below need: for Winograd shapes its transform buffers (see
   * {@link WinogradConv}; bounded by the block size, not by the batch), for direct shapes one image's
   * padded planes, staging and the weight-gradient sums ({@link DirectConv}), else one image's column
   * matrix {@code C*R*S*P*Q}, or 0 for a pointwise (1x1) conv.
   */
  public static int workspaceSize(ConvShape s) {
    if (usesWinograd(s)) {
      return WinogradConv.workspaceSize(s);
    }
    if (usesDirect(s)) {
      return DirectConv.workspaceSize(s);
    }
    return s.isPointwise() ? 0 : Im2col.columnSize(s);
  }

  // in is (N, C, H, W), weight is (K, C, R, S) at wOff, bias (K) at bOff or null, out is (N, K, P, Q)
  // out[n,k,p,q] = bias[k] + sum_{c,r,s} w[k,c,r,s] * in[n, c, p*strideH - padH + r, q*strideW - padW + s]
  public static void forward(float[] out, float[] in, float[] w, int wOff, float[] bias, int bOff,
      ConvShape s, float[] ws) {
    checkArrays("Conv2d.forward", s, out, "out", s.outSize(), in, "in", s.inSize(), w, "weight", wOff, s.weightSize());
    checkSlice("Conv2d.forward", bias, "bias", bOff, s.k());
    checkWorkspace("Conv2d.forward", s, ws);
    if (usesWinograd(s)) {
      WinogradConv.forward(out, in, w, wOff, bias, bOff, s, ws);
      return;
    }
    if (usesDirect(s)) {
      DirectConv.forward(out, in, w, wOff, bias, bOff, s, ws);
      return;
    }
    final int k = s.k();
    final int crs = s.c() * s.r() * s.s();
    final int pq = s.p() * s.q();
    final int chw = s.c() * s.h() * s.w();
    final boolean pointwise = s.isPointwise();
    for (int n = 0; n < s.n(); n++) {
      int outOff = n * k * pq;
      float beta = 0f;
      if (bias != null) {
        // start from the bias and let the GEMM add onto it
        for (int j = 0; j < k; j++) {
          Arrays.fill(out, outOff + j * pq, outOff + (j + 1) * pq, bias[bOff + j]);
        }
        beta = 1f;
      }
      if (pointwise) {
        Gemm.sgemm(false, false, k, pq, crs, 1f, w, wOff, crs, in, n * chw, pq, beta, out, outOff, pq);
      } else {
        Im2col.im2col(in, n * chw, s, ws, 0);
        Gemm.sgemm(false, false, k, pq, crs, 1f, w, wOff, crs, ws, 0, pq, beta, out, outOff, pq);
      }
    }
  }

  // dOut is (N, K, P, Q), weight is (K, C, R, S) at wOff, dIn is (N, C, H, W); adds into dIn.
  // Differentiates out_n = W * col_n: dcol_n = W^T * dOut_n, and dIn gets dcol_n folded back.
  public static void backwardData(float[] dIn, float[] dOut, float[] w, int wOff, ConvShape s, float[] ws) {
    checkArrays("Conv2d.backwardData", s, dOut, "dOut", s.outSize(), dIn, "dIn", s.inSize(),
        w, "weight", wOff, s.weightSize());
    checkWorkspace("Conv2d.backwardData", s, ws);
    if (usesWinograd(s)) {
      WinogradConv.backwardData(dIn, dOut, w, wOff, s, ws);
      return;
    }
    if (usesDirect(s)) {
      DirectConv.backwardData(dIn, dOut, w, wOff, s, ws);
      return;
    }
    final int k = s.k();
    final int crs = s.c() * s.r() * s.s();
    final int pq = s.p() * s.q();
    final int chw = s.c() * s.h() * s.w();
    final boolean pointwise = s.isPointwise();
    for (int n = 0; n < s.n(); n++) {
      int outOff = n * k * pq;
      if (pointwise) {
        Gemm.sgemm(true, false, crs, pq, k, 1f, w, wOff, crs, dOut, outOff, pq, 1f, dIn, n * chw, pq);
      } else {
        Gemm.sgemm(true, false, crs, pq, k, 1f, w, wOff, crs, dOut, outOff, pq, 0f, ws, 0, pq);
        Im2col.col2imAdd(ws, 0, s, dIn, n * chw);
      }
    }
  }

  // dOut is (N, K, P, Q), in is (N, C, H, W); adds into dW (K, C, R, S) at dwOff and dBias (K) at dbOff (may be null).
  // Differentiates out_n = W * col_n + bias: dW += dOut_n * col_n^T, dBias[k] += sum of row k of dOut_n.
  public static void backwardWeights(float[] dW, int dwOff, float[] dBias, int dbOff, float[] dOut, float[] in,
      ConvShape s, float[] ws) {
    checkArrays("Conv2d.backwardWeights", s, dOut, "dOut", s.outSize(), in, "in", s.inSize(),
        dW, "dWeight", dwOff, s.weightSize());
    checkSlice("Conv2d.backwardWeights", dBias, "dBias", dbOff, s.k());
    checkWorkspace("Conv2d.backwardWeights", s, ws);
    final int k = s.k();
    final int pq = s.p() * s.q();
    if (usesWinograd(s)) {
      WinogradConv.backwardWeights(dW, dwOff, dOut, in, s, ws);
    } else if (usesDirect(s)) {
      DirectConv.backwardWeights(dW, dwOff, dBias, dbOff, dOut, in, s, ws);
      if (DirectConv.fusesBias(s)) {
        return;
      }
    } else {
      final int crs = s.c() * s.r() * s.s();
      final int chw = s.c() * s.h() * s.w();
      final boolean pointwise = s.isPointwise();
      for (int n = 0; n < s.n(); n++) {
        int outOff = n * k * pq;
        if (pointwise) {
          Gemm.sgemm(false, true, k, crs, pq, 1f, dOut, outOff, pq, in, n * chw, pq, 1f, dW, dwOff, crs);
        } else {
          Im2col.im2col(in, n * chw, s, ws, 0);
          Gemm.sgemm(false, true, k, crs, pq, 1f, dOut, outOff, pq, ws, 0, pq, 1f, dW, dwOff, crs);
        }
      }
    }
    if (dBias != null) {
      Bias.backwardChannels(dBias, dbOff, dOut, s.n(), k, pq);
    }
  }

  // ---- transposed convolution ----
  // A transposed convolution is the conv's data gradient run forward. Its shape is given as the
  // shape s of the conv it transposes: its input x is (N, K, P, Q), its weight (K, C, R, S) at wOff
  // (PyTorch's ConvTranspose2d layout: in_channels, out_channels, kH, kW), its bias (C) and its
  // output (N, C, H, W). Same workspace as the conv (workspaceSize(s)).

  // x is (N, K, P, Q), weight (K, C, R, S) at wOff, bias (C) at bOff or null, out is (N, C, H, W); overwrites out.
  public static void transposeForward(float[] out, float[] x, float[] w, int wOff, float[] bias, int bOff,
      ConvShape s, float[] ws) {
    checkSlice("Conv2d.transposeForward", bias, "bias", bOff, s.c());
    if (out == null || out.length < s.inSize()) {
      throw new IllegalArgumentException("Conv2d.transposeForward: out has "
          + (out == null ? "null" : out.length + " floats") + ", expected at least " + s.inSize() + " for " + s);
    }
    int hw = s.h() * s.w();
    for (int n = 0; n < s.n(); n++) {
      for (int c = 0; c < s.c(); c++) {
        int base = (n * s.c() + c) * hw;
        Arrays.fill(out, base, base + hw, bias == null ? 0f : bias[bOff + c]);
      }
    }
    backwardData(out, x, w, wOff, s, ws);
  }

  // dOut is (N, C, H, W), weight (K, C, R, S) at wOff, dX is (N, K, P, Q); adds into dX.
  // transposeForward is linear in x with adjoint conv forward, so dX += conv(dOut).
  public static void transposeBackwardData(float[] dX, float[] dOut, float[] w, int wOff, ConvShape s, float[] ws) {
    checkArrays("Conv2d.transposeBackwardData", s, dX, "dX", s.outSize(), dOut, "dOut", s.inSize(),
        w, "weight", wOff, s.weightSize());
    checkWorkspace("Conv2d.transposeBackwardData", s, ws);
    final int k = s.k();
    final int crs = s.c() * s.r() * s.s();
    final int pq = s.p() * s.q();
    final int chw = s.c() * s.h() * s.w();
    for (int n = 0; n < s.n(); n++) {
      if (s.isPointwise()) {
        Gemm.sgemm(false, false, k, pq, crs, 1f, w, wOff, crs, dOut, n * chw, pq, 1f, dX, n * k * pq, pq);
      } else {
        Im2col.im2col(dOut, n * chw, s, ws, 0);
        Gemm.sgemm(false, false, k, pq, crs, 1f, w, wOff, crs, ws, 0, pq, 1f, dX, n * k * pq, pq);
      }
    }
  }

  // dOut is (N, C, H, W), x is (N, K, P, Q); adds into dW (K, C, R, S) at dwOff and dBias (C) at dbOff (may be null).
  // The weight gradient is the conv's, with the roles of input (dOut here) and output gradient (x) swapped.
  public static void transposeBackwardWeights(float[] dW, int dwOff, float[] dBias, int dbOff, float[] dOut,
      float[] x, ConvShape s, float[] ws) {
    checkSlice("Conv2d.transposeBackwardWeights", dBias, "dBias", dbOff, s.c());
    backwardWeights(dW, dwOff, null, 0, x, dOut, s, ws);
    if (dBias != null) {
      int hw = s.h() * s.w();
      for (int c = 0; c < s.c(); c++) {
        double sum = 0.0;
        for (int n = 0; n < s.n(); n++) {
          int base = (n * s.c() + c) * hw;
          for (int i = 0; i < hw; i++) {
            sum += dOut[base + i];
          }
        }
        dBias[dbOff + c] += (float) sum;
      }
    }
  }

  // ---- argument checks shared with ScalarConv2d ----

  static void checkArrays(String where, ConvShape s, float[] a, String aName, int aSize,
      float[] b, String bName, int bSize, float[] w, String wName, int wOff, int wSize) {
    if (s == null) {
      throw new IllegalArgumentException(where + ": shape is null");
    }
    checkLength(where, a, aName, aSize, s);
    checkLength(where, b, bName, bSize, s);
    if (w == null) {
      throw new IllegalArgumentException(where + ": " + wName + " is null");
    }
    checkSlice(where, w, wName, wOff, wSize);
  }

  private static void checkLength(String where, float[] x, String name, int size, ConvShape s) {
    if (x == null) {
      throw new IllegalArgumentException(where + ": " + name + " is null");
    }
    if (x.length < size) {
      throw new IllegalArgumentException(where + ": " + name + " has " + x.length + " floats, expected at least "
          + size + " for " + s);
    }
  }

  /** A null array is allowed (optional bias); otherwise [off, off+len) must lie inside it. */
  static void checkSlice(String where, float[] x, String name, int off, int len) {
    if (x == null) {
      return;
    }
    if (off < 0 || (long) off + len > x.length) {
      throw new IllegalArgumentException(where + ": " + name + " slice [" + off + ", " + ((long) off + len)
          + ") does not fit in its array of " + x.length + " floats");
    }
  }

  private static void checkWorkspace(String where, ConvShape s, float[] ws) {
    int need = workspaceSize(s);
    if (need > 0 && (ws == null || ws.length < need)) {
      throw new IllegalArgumentException(where + ": workspace has " + (ws == null ? "null" : ws.length + " floats")
          + ", expected at least workspaceSize = " + need + " for " + s);
    }
  }
}
