package io.convoy.kernels;

/**
 * Max and average pooling with plain loops over every window: the oracle for {@link Pool2d}.
 *
 * <p>Same static signatures as {@link Pool2d}. Argmax entries are flat indices into the whole
 * input array {@code (N, C, H, W)}, so the backward pass needs no shape arithmetic.
 */
public final class ScalarPool2d {
  private ScalarPool2d() {}

  // in is (N, C, H, W), out and argmax are (N, C, P, Q); argmax holds the flat input index of each max.
  // Ties keep the first max in row-major window order; a NaN wins (as in PyTorch).
  public static void maxForward(float[] out, int[] argmax, float[] in, PoolShape s) {
    Pool2d.check("ScalarPool2d.maxForward", s, in, "in", out, "out", argmax);
    int p = s.p();
    int q = s.q();
    int planes = s.n() * s.c();
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * s.h() * s.w();
      for (int op = 0; op < p; op++) {
        for (int oq = 0; oq < q; oq++) {
          int best = inBase + op * s.sh() * s.w() + oq * s.sw();
          float max = Float.NEGATIVE_INFINITY;
          for (int i = 0; i < s.kh(); i++) {
            for (int j = 0; j < s.kw(); j++) {
              int idx = inBase + (op * s.sh() + i) * s.w() + oq * s.sw() + j;
              float v = in[idx];
              if (v > max || Float.isNaN(v)) {
                max = v;
                best = idx;
              }
            }
          }
          int o = (pl * p + op) * q + oq;
          out[o] = max;
          argmax[o] = best;
        }
      }
    }
  }

  // in is (N, C, H, W), out is (N, C, P, Q) for a 2x2 window with stride 2: maxForward's maxima without argmax.
  public static void maxForwardInference(float[] out, float[] in, PoolShape s) {
    Pool2d.check2x2("ScalarPool2d.maxForwardInference", s, in, out);
    int p = s.p();
    int q = s.q();
    int planes = s.n() * s.c();
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * s.h() * s.w();
      for (int op = 0; op < p; op++) {
        for (int oq = 0; oq < q; oq++) {
          float max = Float.NEGATIVE_INFINITY;
          for (int i = 0; i < 2; i++) {
            for (int j = 0; j < 2; j++) {
              float v = in[inBase + (2 * op + i) * s.w() + 2 * oq + j];
              if (v > max || Float.isNaN(v)) {
                max = v;
              }
            }
          }
          out[(pl * p + op) * q + oq] = max;
        }
      }
    }
  }

  // dOut and argmax are (N, C, P, Q), dIn is (N, C, H, W); adds each dOut entry at its argmax.
  public static void maxBackward(float[] dIn, float[] dOut, int[] argmax, PoolShape s) {
    Pool2d.check("ScalarPool2d.maxBackward", s, dIn, "dIn", dOut, "dOut", argmax);
    int size = s.outSize();
    for (int o = 0; o < size; o++) {
      dIn[argmax[o]] += dOut[o];
    }
  }

  // in is (N, C, H, W), out is (N, C, P, Q): out = mean of the kh x kw window.
  public static void avgForward(float[] out, float[] in, PoolShape s) {
    Pool2d.check("ScalarPool2d.avgForward", s, in, "in", out, "out", null);
    int p = s.p();
    int q = s.q();
    int planes = s.n() * s.c();
    int area = s.kh() * s.kw();
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * s.h() * s.w();
      for (int op = 0; op < p; op++) {
        for (int oq = 0; oq < q; oq++) {
          double sum = 0.0;
          for (int i = 0; i < s.kh(); i++) {
            for (int j = 0; j < s.kw(); j++) {
              sum += in[inBase + (op * s.sh() + i) * s.w() + oq * s.sw() + j];
            }
          }
          out[(pl * p + op) * q + oq] = (float) (sum / area);
        }
      }
    }
  }

  // dOut is (N, C, P, Q), dIn is (N, C, H, W); adds dOut / (kh*kw) to every element of each window.
  public static void avgBackward(float[] dIn, float[] dOut, PoolShape s) {
    Pool2d.check("ScalarPool2d.avgBackward", s, dIn, "dIn", dOut, "dOut", null);
    int p = s.p();
    int q = s.q();
    int planes = s.n() * s.c();
    float area = s.kh() * s.kw();
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * s.h() * s.w();
      for (int op = 0; op < p; op++) {
        for (int oq = 0; oq < q; oq++) {
          float g = dOut[(pl * p + op) * q + oq] / area;
          for (int i = 0; i < s.kh(); i++) {
            for (int j = 0; j < s.kw(); j++) {
              dIn[inBase + (op * s.sh() + i) * s.w() + oq * s.sw() + j] += g;
            }
          }
        }
      }
    }
  }
}
