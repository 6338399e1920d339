package io.convoy.kernels;

/**
 * Direct 2-D convolution with plain nested loops: the oracle that {@link Conv2d} is tested against.
 *
 * <p>Same static signatures as {@link Conv2d}. Sums run in double so the oracle is more accurate
 * than the float kernels it checks. Needs no workspace ({@link #workspaceSize} is 0, {@code ws}
 * may be null). Slow: use it in tests, not in training.
 */
public final class ScalarConv2d {
  private ScalarConv2d() {}

  /** No scratch memory is needed. */
  public static int workspaceSize(ConvShape s) {
    return 0;
  }

  // in is (N, C, H, W), weight is (K, C, R, S) at wOff, bias (K) at bOff or null, out is (N, K, P, Q)
  // out[n,k,p,q] = bias[k] + sum_{c,r,s} w[k,c,r,s] * in[n, c, p*strideH - padH + r, q*strideW - padW + s]
  public static void forward(float[] out, float[] in, float[] w, int wOff, float[] bias, int bOff,
      ConvShape s, float[] ws) {
    Conv2d.checkArrays("ScalarConv2d.forward", s, out, "out", s.outSize(), in, "in", s.inSize(),
        w, "weight", wOff, s.weightSize());
    Conv2d.checkSlice("ScalarConv2d.forward", bias, "bias", bOff, s.k());
    int p = s.p();
    int q = s.q();
    for (int n = 0; n < s.n(); n++) {
      for (int k = 0; k < s.k(); k++) {
        for (int op = 0; op < p; op++) {
          for (int oq = 0; oq < q; oq++) {
            double acc = bias == null ? 0.0 : bias[bOff + k];
            for (int c = 0; c < s.c(); c++) {
              for (int r = 0; r < s.r(); r++) {
                int ih = op * s.strideH() - s.padH() + r;
                if (ih < 0 || ih >= s.h()) {
                  continue;
                }
                for (int x = 0; x < s.s(); x++) {
                  int iw = oq * s.strideW() - s.padW() + x;
                  if (iw < 0 || iw >= s.w()) {
                    continue;
                  }
                  acc += (double) w[wOff + ((k * s.c() + c) * s.r() + r) * s.s() + x]
                      * in[((n * s.c() + c) * s.h() + ih) * s.w() + iw];
                }
              }
            }
            out[((n * s.k() + k) * p + op) * q + oq] = (float) acc;
          }
        }
      }
    }
  }

  // dOut is (N, K, P, Q), weight is (K, C, R, S) at wOff, dIn is (N, C, H, W); adds into dIn.
  // From the forward line: dIn[n, c, ih, iw] += w[k,c,r,s] * dOut[n,k,p,q] for every (k, p, q, r, s)
  // that reads (ih, iw). Gathered per input element so the sum runs in double.
  public static void backwardData(float[] dIn, float[] dOut, float[] w, int wOff, ConvShape s, float[] ws) {
    Conv2d.checkArrays("ScalarConv2d.backwardData", s, dOut, "dOut", s.outSize(), dIn, "dIn", s.inSize(),
        w, "weight", wOff, s.weightSize());
    int p = s.p();
    int q = s.q();
    for (int n = 0; n < s.n(); n++) {
      for (int c = 0; c < s.c(); c++) {
        for (int ih = 0; ih < s.h(); ih++) {
          for (int iw = 0; iw < s.w(); iw++) {
            double acc = 0.0;
            for (int k = 0; k < s.k(); k++) {
              for (int r = 0; r < s.r(); r++) {
                int ph = ih + s.padH() - r; // = op * strideH
                if (ph < 0 || ph % s.strideH() != 0 || ph / s.strideH() >= p) {
                  continue;
                }
                int op = ph / s.strideH();
                for (int x = 0; x < s.s(); x++) {
                  int pw = iw + s.padW() - x;
                  if (pw < 0 || pw % s.strideW() != 0 || pw / s.strideW() >= q) {
                    continue;
                  }
                  int oq = pw / s.strideW();
                  acc += (double) w[wOff + ((k * s.c() + c) * s.r() + r) * s.s() + x]
                      * dOut[((n * s.k() + k) * p + op) * q + oq];
                }
              }
            }
            dIn[((n * s.c() + c) * s.h() + ih) * s.w() + iw] += (float) acc;
          }
        }
      }
    }
  }

  // dOut is (N, K, P, Q), in is (N, C, H, W); adds into dW (K, C, R, S) at dwOff and dBias (K) at dbOff.
  // From the forward line: dW[k,c,r,s] += sum_{n,p,q} dOut[n,k,p,q] * in[n, c, ih, iw]; dBias[k] += sum dOut[n,k,.,.]
  public static void backwardWeights(float[] dW, int dwOff, float[] dBias, int dbOff, float[] dOut, float[] in,
      ConvShape s, float[] ws) {
    Conv2d.checkArrays("ScalarConv2d.backwardWeights", s, dOut, "dOut", s.outSize(), in, "in", s.inSize(),
        dW, "dWeight", dwOff, s.weightSize());
    Conv2d.checkSlice("ScalarConv2d.backwardWeights", dBias, "dBias", dbOff, s.k());
    int p = s.p();
    int q = s.q();
    for (int k = 0; k < s.k(); k++) {
      for (int c = 0; c < s.c(); c++) {
        for (int r = 0; r < s.r(); r++) {
          for (int x = 0; x < s.s(); x++) {
            double acc = 0.0;
            for (int n = 0; n < s.n(); n++) {
              for (int op = 0; op < p; op++) {
                int ih = op * s.strideH() - s.padH() + r;
                if (ih < 0 || ih >= s.h()) {
                  continue;
                }
                for (int oq = 0; oq < q; oq++) {
                  int iw = oq * s.strideW() - s.padW() + x;
                  if (iw < 0 || iw >= s.w()) {
                    continue;
                  }
                  acc += (double) dOut[((n * s.k() + k) * p + op) * q + oq]
                      * in[((n * s.c() + c) * s.h() + ih) * s.w() + iw];
                }
              }
            }
            dW[dwOff + ((k * s.c() + c) * s.r() + r) * s.s() + x] += (float) acc;
          }
        }
      }
    }
    if (dBias != null) {
      for (int k = 0; k < s.k(); k++) {
        double acc = 0.0;
        for (int n = 0; n < s.n(); n++) {
          int base = (n * s.k() + k) * p * q;
          for (int i = 0; i < p * q; i++) {
            acc += dOut[base + i];
          }
        }
        dBias[dbOff + k] += (float) acc;
      }
    }
  }
}
