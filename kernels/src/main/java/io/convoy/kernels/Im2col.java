package io.convoy.kernels;

/**
 * Unfolds one image into the column matrix of a convolution, and folds a column matrix back.
 *
 * <p>The column matrix is (C*R*S) x (P*Q), row-major: row {@code (c*R + r)*S + s} holds, for every
 * output position {@code (p, q)}, the input value {@code in[c, p*strideH - padH + r, q*strideW - padW + s]}
 * (zero where that falls into the padding). With it a convolution is one GEMM:
 * {@code out (K x PQ) = weight (K x CRS) * col (CRS x PQ)}.
 *
 * <p>Each (row, p) pair covers one contiguous run of valid q, computed once, so the inner loops
 * have no bounds tests; with stride 1 the run is a contiguous copy ({@link System#arraycopy}) and
 * the fold is a plain add loop that the JIT vectorises.
 */
public final class Im2col {
  private Im2col() {}

  /** Floats in one image's column matrix: {@code C*R*S*P*Q}, rejected if it exceeds an int. */
  public static int columnSize(ConvShape s) {
    long size = (long) s.c() * s.r() * s.s() * s.p() * s.q();
    ConvShape.checkIntSize("conv column matrix c*r*s*p*q", size);
    return (int) size;
  }

  // in is one image (C, H, W) at inOff; col is (C*R*S, P*Q) at colOff, fully overwritten.
  public static void im2col(float[] in, int inOff, ConvShape s, float[] col, int colOff) {
    final int h = s.h(), w = s.w(), p = s.p(), q = s.q();
    final int sh = s.strideH(), sw = s.strideW(), ph = s.padH(), pw = s.padW();
    final int pq = p * q;
    int row = 0;
    for (int c = 0; c < s.c(); c++) {
      int plane = inOff + c * h * w;
      for (int r = 0; r < s.r(); r++) {
        for (int x = 0; x < s.s(); x++, row++) {
          int qLo = firstValid(pw - x, sw, q);
          int qHi = Math.max(qLo, endValid(w - 1 + pw - x, sw, q));
          int rowBase = colOff + row * pq;
          for (int op = 0; op < p; op++) {
            int dst = rowBase + op * q;
            int ih = op * sh - ph + r;
            if (ih < 0 || ih >= h) {
              zero(col, dst, q);
              continue;
            }
            zero(col, dst, qLo);
            int src = plane + ih * w + qLo * sw - pw + x;
            int len = qHi - qLo;
            if (sw == 1) {
              System.arraycopy(in, src, col, dst + qLo, len);
            } else {
              int d = dst + qLo;
              for (int j = 0; j < len; j++) {
                col[d + j] = in[src + j * sw];
              }
            }
            zero(col, dst + qHi, q - qHi);
          }
        }
      }
    }
  }

  // col is (C*R*S, P*Q) at colOff; dIn is one image (C, H, W) at inOff; ADDS every column entry into the
  // input element it was copied from (overlapping windows accumulate), padding entries are dropped.
  public static void col2imAdd(float[] col, int colOff, ConvShape s, float[] dIn, int inOff) {
    final int h = s.h(), w = s.w(), p = s.p(), q = s.q();
    final int sh = s.strideH(), sw = s.strideW(), ph = s.padH(), pw = s.padW();
    final int pq = p * q;
    int row = 0;
    for (int c = 0; c < s.c(); c++) {
      int plane = inOff + c * h * w;
      for (int r = 0; r < s.r(); r++) {
        for (int x = 0; x < s.s(); x++, row++) {
          int qLo = firstValid(pw - x, sw, q);
          int qHi = Math.max(qLo, endValid(w - 1 + pw - x, sw, q));
          int len = qHi - qLo;
          int rowBase = colOff + row * pq;
          for (int op = 0; op < p; op++) {
            int ih = op * sh - ph + r;
            if (ih < 0 || ih >= h) {
              continue;
            }
            int src = rowBase + op * q + qLo;
            int dst = plane + ih * w + qLo * sw - pw + x;
            if (sw == 1) {
              for (int j = 0; j < len; j++) {
                dIn[dst + j] += col[src + j];
              }
            } else {
              for (int j = 0; j < len; j++) {
                dIn[dst + j * sw] += col[src + j];
              }
            }
          }
        }
      }
    }
  }

  // col[from .. from + len) = 0. A plain loop: the padding runs are a few floats long, where the
  // call and range checks of Arrays.fill cost more than the stores (22% of a LeNet conv's time).
  private static void zero(float[] col, int from, int len) {
    for (int j = 0; j < len; j++) {
      col[from + j] = 0f;
    }
  }

  /** Smallest q in [0, q] with {@code q*stride >= need}: the first output column inside the input. */
  private static int firstValid(int need, int stride, int q) {
    if (need <= 0) {
      return 0;
    }
    return Math.min(q, (need + stride - 1) / stride);
  }

  /** One past the largest q with {@code q*stride <= limit}, clamped to [0, q]. */
  private static int endValid(int limit, int stride, int q) {
    if (limit < 0) {
      return 0;
    }
    return Math.min(q, limit / stride + 1);
  }
}
