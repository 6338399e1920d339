package io.convoy.kernels;

/**
 * Max and average pooling without padding, windows kh x kw moved by strides sh, sw (they may
 * overlap). The facade the layers call; {@link ScalarPool2d} is the plain twin.
 *
 * <p>Pooling reads each input element about once and does one compare or add per element, so it
 * is bound by memory traffic rather than arithmetic once the compares stop branching. The common
 * 2x2 stride-2 window runs on {@link VectorPool2d} (16 windows per step, compares and blends, no
 * branches; on ReLU outputs the branchy scalar loop mispredicts often and was 10x and 17x slower on
 * the reference CNN's two pools); without the Vector API it runs a scalar loop with four loads per output. Other
 * windows run a general loop with hoisted row offsets. Argmax entries are flat indices into the
 * whole input array {@code (N, C, H, W)}. Compare order within a window is row-major; ties keep
 * the first max (so -0.0 before 0.0 stays -0.0); a NaN wins, and of several NaNs the last in that
 * order (as PyTorch's CPU kernel does).
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
  // The Vector API does 16 windows per step without branches (VectorPool2d); this loop is the fallback.
  private static void max2x2(float[] out, int[] argmax, float[] in, PoolShape s) {
    if (Backend.VECTOR) {
      VectorPool2d.max2x2(out, argmax, in, s);
      return;
    }
    final int w = s.w(), p = s.p(), q = s.q();
    final int planes = s.n() * s.c();
    final int plane = s.h() * w;
    int o = 0;
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * plane;
      for (int op = 0; op < p; op++) {
        int ia = inBase + 2 * op * w;
        for (int oq = 0; oq < q; oq++, o++, ia += 2) {
          window2x2(out, argmax, o, in, ia, w);
        }
      }
    }
  }

  // One window (a b / c d) with a at ia: out[o] and argmax[o]. Branchy: cheap when the data is predictable.
  static void window2x2(float[] out, int[] argmax, int o, float[] in, int ia, int w) {
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

  /**
   * 2x2 stride-2 max pooling without argmax, for inference: the same maxima as {@link #maxForward}
   * (compare order a, b, c, d; ties keep the first, so a tie of -0.0 and 0.0 keeps the earlier zero;
   * a NaN wins, though not always with its payload bits), in less time because nothing is recorded
   * for a backward pass.
   */
  // in is (N, C, H, W), out is (N, C, P, Q); the shape must be a 2x2 window with stride 2.
  public static void maxForwardInference(float[] out, float[] in, PoolShape s) {
    check2x2("Pool2d.maxForwardInference", s, in, out);
    if (Backend.VECTOR) {
      VectorPool2d.maxForwardInference(out, in, s);
      return;
    }
    final int w = s.w(), p = s.p(), q = s.q();
    final int planes = s.n() * s.c();
    final int plane = s.h() * w;
    int o = 0;
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * plane;
      for (int op = 0; op < p; op++) {
        int ia = inBase + 2 * op * w;
        for (int oq = 0; oq < q; oq++, o++, ia += 2) {
          float a = in[ia], b = in[ia + 1], c = in[ia + w], d = in[ia + w + 1];
          // Math.max is branch-free and agrees with max4 except on which zero a tie of -0.0 and 0.0 gives
          float m = Math.max(Math.max(a, b), Math.max(c, d));
          out[o] = m == 0f ? max4(a, b, c, d) : m;
        }
      }
    }
  }

  // First max of a, b, c, d in that order, a NaN wins: maxForward's rule without the index.
  static float max4(float a, float b, float c, float d) {
    float max = b > a | b != b ? b : a;
    max = c > max | c != c ? c : max;
    return d > max | d != d ? d : max;
  }

  static void check2x2(String where, PoolShape s, float[] in, float[] out) {
    if (s == null) {
      throw new IllegalArgumentException(where + ": shape is null");
    }
    checkLength(where, "in", in == null ? -1 : in.length, s.inSize(), s);
    checkLength(where, "out", out == null ? -1 : out.length, s.outSize(), s);
    if (s.kh() != 2 || s.kw() != 2 || s.sh() != 2 || s.sw() != 2) {
      throw new IllegalArgumentException(where + ": needs a 2x2 window with stride 2, got " + s);
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
