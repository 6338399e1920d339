package io.convoy.kernels;

/**
 * Max and average pooling without padding, windows kh x kw moved by strides sh, sw (they may
 * overlap). The facade the layers call; {@link ScalarPool2d} is the plain twin.
 *
 * <p>Pooling reads each input element about once and does one compare or add per element, so it
 * is bound by memory traffic rather than arithmetic. The common 2x2 stride-2 window gets a
 * specialised loop with no inner window loops (four loads per output); other windows run a
 * general loop with hoisted row offsets. Argmax entries are flat indices into the whole input
 * array {@code (N, C, H, W)}.
 */
public final class Pool2d {
  private Pool2d() {}

  // in is (N, C, H, W), out and argmax are (N, C, P, Q); argmax holds the flat input index of each max.
  // Ties keep the first max in row-major window order; a NaN wins (as in PyTorch).
  public static void maxForward(float[] out, int[] argmax, float[] in, PoolShape s) {
    check("Pool2d.maxForward", s, in, "in", out, "out", argmax);
    if (s.kh() == 2 && s.kw() == 2 && s.sh() == 2 && s.sw() == 2) {
      max2x2(out, argmax, in, s);
      return;
    }
    final int h = s.h(), w = s.w(), p = s.p(), q = s.q(), kh = s.kh(), kw = s.kw(), sh = s.sh(), sw = s.sw();
    final int planes = s.n() * s.c();
    int o = 0;
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * h * w;
      for (int op = 0; op < p; op++) {
        int rowBase = inBase + op * sh * w;
        for (int oq = 0; oq < q; oq++, o++) {
          int start = rowBase + oq * sw;
          int best = start;
          float max = Float.NEGATIVE_INFINITY;
          for (int i = 0; i < kh; i++) {
            int row = start + i * w;
            for (int j = 0; j < kw; j++) {
              float v = in[row + j];
              if (v > max || v != v) {
                max = v;
                best = row + j;
              }
            }
          }
          out[o] = max;
          argmax[o] = best;
        }
      }
    }
  }

  // 2x2 stride 2: window (a b / c d) at rows 2p, 2p+1 and columns 2q, 2q+1; compared in the order a, b, c, d.
  private static void max2x2(float[] out, int[] argmax, float[] in, PoolShape s) {
    final int w = s.w(), p = s.p(), q = s.q();
    final int planes = s.n() * s.c();
    int o = 0;
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * s.h() * w;
      for (int op = 0; op < p; op++) {
        int top = inBase + 2 * op * w;
        for (int oq = 0; oq < q; oq++, o++) {
          int ia = top + 2 * oq;
          int ic = ia + w;
          float max = in[ia];
          int best = ia;
          float b = in[ia + 1];
          if (b > max || b != b) {
            max = b;
            best = ia + 1;
          }
          float c = in[ic];
          if (c > max || c != c) {
            max = c;
            best = ic;
          }
          float d = in[ic + 1];
          if (d > max || d != d) {
            max = d;
            best = ic + 1;
          }
          out[o] = max;
          argmax[o] = best;
        }
      }
    }
  }

  // dOut and argmax are (N, C, P, Q), dIn is (N, C, H, W); adds each dOut entry at its argmax
  // (overlapping windows that share a max accumulate).
  public static void maxBackward(float[] dIn, float[] dOut, int[] argmax, PoolShape s) {
    check("Pool2d.maxBackward", s, dIn, "dIn", dOut, "dOut", argmax);
    final int size = s.outSize();
    final int limit = s.inSize();
    for (int o = 0; o < size; o++) {
      int idx = argmax[o];
      if (idx < 0 || idx >= limit) {
        throw new IllegalArgumentException("Pool2d.maxBackward: argmax[" + o + "] = " + idx
            + " is outside the input of " + limit + " floats for " + s);
      }
      dIn[idx] += dOut[o];
    }
  }

  // in is (N, C, H, W), out is (N, C, P, Q): out = mean of the kh x kw window.
  public static void avgForward(float[] out, float[] in, PoolShape s) {
    check("Pool2d.avgForward", s, in, "in", out, "out", null);
    final int h = s.h(), w = s.w(), p = s.p(), q = s.q(), kh = s.kh(), kw = s.kw(), sh = s.sh(), sw = s.sw();
    final int planes = s.n() * s.c();
    final float area = kh * kw;
    int o = 0;
    if (kh == 2 && kw == 2 && sh == 2 && sw == 2) {
      for (int pl = 0; pl < planes; pl++) {
        int inBase = pl * h * w;
        for (int op = 0; op < p; op++) {
          int top = inBase + 2 * op * w;
          for (int oq = 0; oq < q; oq++, o++) {
            int ia = top + 2 * oq;
            out[o] = ((in[ia] + in[ia + 1]) + (in[ia + w] + in[ia + w + 1])) / 4f;
          }
        }
      }
      return;
    }
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * h * w;
      for (int op = 0; op < p; op++) {
        int rowBase = inBase + op * sh * w;
        for (int oq = 0; oq < q; oq++, o++) {
          int start = rowBase + oq * sw;
          float sum = 0f;
          for (int i = 0; i < kh; i++) {
            int row = start + i * w;
            for (int j = 0; j < kw; j++) {
              sum += in[row + j];
            }
          }
          out[o] = sum / area;
        }
      }
    }
  }

  // dOut is (N, C, P, Q), dIn is (N, C, H, W); adds dOut / (kh*kw) to every element of each window.
  public static void avgBackward(float[] dIn, float[] dOut, PoolShape s) {
    check("Pool2d.avgBackward", s, dIn, "dIn", dOut, "dOut", null);
    final int h = s.h(), w = s.w(), p = s.p(), q = s.q(), kh = s.kh(), kw = s.kw(), sh = s.sh(), sw = s.sw();
    final int planes = s.n() * s.c();
    final float area = kh * kw;
    int o = 0;
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * h * w;
      for (int op = 0; op < p; op++) {
        int rowBase = inBase + op * sh * w;
        for (int oq = 0; oq < q; oq++, o++) {
          float g = dOut[o] / area;
          int start = rowBase + oq * sw;
          for (int i = 0; i < kh; i++) {
            int row = start + i * w;
            for (int j = 0; j < kw; j++) {
              dIn[row + j] += g;
            }
          }
        }
      }
    }
  }

  /** Checks the input-sized and output-sized arrays (and argmax, when given) against the shape. */
  static void check(String where, PoolShape s, float[] inSized, String inName, float[] outSized, String outName,
      int[] argmax) {
    if (s == null) {
      throw new IllegalArgumentException(where + ": shape is null");
    }
    checkLength(where, inName, inSized == null ? -1 : inSized.length, s.inSize(), s);
    checkLength(where, outName, outSized == null ? -1 : outSized.length, s.outSize(), s);
    if (argmax != null || where.contains("max")) {
      checkLength(where, "argmax", argmax == null ? -1 : argmax.length, s.outSize(), s);
    }
  }

  private static void checkLength(String where, String name, int length, int size, PoolShape s) {
    if (length < 0) {
      throw new IllegalArgumentException(where + ": " + name + " is null");
    }
    if (length < size) {
      throw new IllegalArgumentException(where + ": " + name + " has " + length + " entries, expected at least "
          + size + " for " + s);
    }
  }
}
