package io.convoy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Backward-weights (and the bias gradient) of a stride-1 convolution with at most {@value #MAX_TAPS}
 * taps per output (c*r*s: a first layer with one input channel and a 3x3 kernel, as the reference
 * CNN's conv1), reading dOut where it is, in NCHW. {@link #applies} decides; {@link ScalarConv2d} is
 * the twin the tests compare against.
 *
 * <p>The input is copied into column-shifted planes as wide as the OUTPUT, as for
 * {@link ShiftedPlaneConv}'s forward: {@code X[c, s][y * Q + x] = in_padded[c, y, x + s]}. Output
 * position {@code j = p * Q + q} of tap (c, r, s) then reads {@code X[c, s][j + r * Q]}, so
 * <pre>
 *   dW[k, c, r, s] = sum_n sum_j dOut[n, k, j] * X_n[c, s][j + r * Q],   dBias[k] = sum_n sum_j dOut[n, k, j]
 * </pre>
 * runs over j in vectors of consecutive NCHW positions: dOut is read in place, once, with no copy
 * into a padded layout and no positions past a row's end. Register block: 2 output channels x 9
 * taps (18 accumulators) plus the 2 channels' bias sums; per vector of j 2 loads of dOut, 9 of X and
 * 20 FMAs or adds. Taps past the shape's own run on tap 0 and their sums are never read; an odd
 * channel count runs its last channel twice. The accumulators carry over the whole batch in the
 * workspace; positions past the last whole vector (P*Q not a multiple of the lane count) are summed
 * one by one into lane 0. At the end each sum's lanes are added up in double.
 *
 * <p>Sums run in float over the positions and images of a lane (P*Q*N / L products), then in double
 * over the lanes. The general direct path ({@link DirectConv}) copies dOut into flattened rows of
 * the padded width first, which for the reference CNN's conv1 (32 channels of 28 x 28 per image) was
 * most of its backward-weights time.
 */
final class ShiftedPlaneGrad {
  private static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  private static final int L = SPECIES.length();
  /** Most taps (c*r*s) per output handled here: one register block of taps. */
  static final int MAX_TAPS = 9;
  /** Output channels per register block. */
  private static final int KB = 2;
  /** Floats of one block's sums: KB x MAX_TAPS weight sums and KB bias sums, L lanes each. */
  private static final int BLOCK_SUMS = KB * (MAX_TAPS + 1) * L;

  private ShiftedPlaneGrad() {}

  /** Whether backward-weights of shape sh runs here: stride 1, at most 9 taps, at least one vector of outputs. */
  static boolean applies(ConvShape sh) {
    return sh.strideH() == 1 && sh.strideW() == 1 && (long) sh.c() * sh.r() * sh.s() <= MAX_TAPS
        && (long) sh.p() * sh.q() >= L;
  }

  private static int planeSize(ConvShape sh) {
    return (sh.h() + 2 * sh.padH()) * sh.q();
  }

  /** Workspace floats: the shifted planes of one image, then the sums of every block of output channels. */
  static long workspaceSize(ConvShape sh) {
    long blocks = (sh.k() + KB - 1) / KB;
    return (long) sh.c() * sh.s() * planeSize(sh) + blocks * BLOCK_SUMS;
  }

  // dOut is (N, K, P, Q), in is (N, C, H, W); ADDS into dW (K, C, R, S) at dwOff and, unless dBias is
  // null, into dBias (K) at dbOff.
  static void backwardWeights(float[] dW, int dwOff, float[] dBias, int dbOff, float[] dOut, float[] in,
      ConvShape sh, float[] ws) {
    final int c = sh.c();
    final int k = sh.k();
    final int r = sh.r();
    final int s = sh.s();
    final int q = sh.q();
    final int pq = sh.p() * q;
    final int taps = c * r * s;
    final int plane = planeSize(sh);
    final int blocks = (k + KB - 1) / KB;
    final int sumOff = c * s * plane;
    final int whole = pq - pq % L;
    // where tap t = (ch, rr, ss) of output j reads: X[ch, ss] + rr * q + j; taps past the last: tap 0
    final int[] tapAt = new int[MAX_TAPS];
    for (int t = 0; t < MAX_TAPS; t++) {
      int u = t < taps ? t : 0;
      int ch = u / (r * s);
      int rr = u / s % r;
      int ss = u % s;
      tapAt[t] = (ch * s + ss) * plane + rr * q;
    }
    final int o0 = tapAt[0];
    final int o1 = tapAt[1];
    final int o2 = tapAt[2];
    final int o3 = tapAt[3];
    final int o4 = tapAt[4];
    final int o5 = tapAt[5];
    final int o6 = tapAt[6];
    final int o7 = tapAt[7];
    final int o8 = tapAt[8];
    // planes: positions outside the image stay zero from here on; sums start at zero
    Arrays.fill(ws, 0, sumOff + blocks * BLOCK_SUMS, 0f);
    final int chw = c * sh.h() * sh.w();
    for (int img = 0; img < sh.n(); img++) {
      ShiftedPlaneConv.toShiftedPlanes(in, img * chw, sh, ws, 0, plane);
      for (int b = 0; b < blocks; b++) {
        int k0 = b * KB;
        int k1 = Math.min(k - 1, k0 + 1);
        int g0 = (img * k + k0) * pq;
        int g1 = (img * k + k1) * pq;
        int a = sumOff + b * BLOCK_SUMS;
        block(dOut, g0, g1, ws, a, whole, o0, o1, o2, o3, o4, o5, o6, o7, o8);
        // positions past the last whole vector, into lane 0 of each sum
        for (int j = whole; j < pq; j++) {
          float d0 = dOut[g0 + j];
          float d1 = dOut[g1 + j];
          ws[a + 9 * L] += d0;
          ws[a + 19 * L] += d1;
          for (int t = 0; t < MAX_TAPS; t++) {
            float x = ws[tapAt[t] + j];
            ws[a + t * L] += d0 * x;
            ws[a + (10 + t) * L] += d1 * x;
          }
        }
      }
    }
    for (int kk = 0; kk < k; kk++) {
      int a = sumOff + (kk / KB) * BLOCK_SUMS + (kk % KB) * (MAX_TAPS + 1) * L;
      for (int t = 0; t < taps; t++) {
        dW[dwOff + kk * taps + t] += (float) laneSum(ws, a + t * L);
      }
      if (dBias != null) {
        dBias[dbOff + kk] += (float) laneSum(ws, a + MAX_TAPS * L);
      }
    }
  }

  // One register block: the sums of 2 output channels (dOut rows g0, g1) x 9 taps (X at o0 .. o8) and the
  // 2 bias sums, at ws[a ..), carried through the whole vectors of one image's positions (j < whole).
  // Its own small method, called once per (image, block), so that C2 compiles it on its own with the
  // 20 accumulators in registers: inside the pass's loops (an on-stack-replacement compile entered in
  // the middle of the j loop), it ran 7x slower in some JVMs, depending on what else had been compiled.
  private static void block(float[] dOut, int g0, int g1, float[] ws, int a, int whole, int o0, int o1, int o2,
      int o3, int o4, int o5, int o6, int o7, int o8) {
    FloatVector a00 = FloatVector.fromArray(SPECIES, ws, a);
    FloatVector a01 = FloatVector.fromArray(SPECIES, ws, a + L);
    FloatVector a02 = FloatVector.fromArray(SPECIES, ws, a + 2 * L);
    FloatVector a03 = FloatVector.fromArray(SPECIES, ws, a + 3 * L);
    FloatVector a04 = FloatVector.fromArray(SPECIES, ws, a + 4 * L);
    FloatVector a05 = FloatVector.fromArray(SPECIES, ws, a + 5 * L);
    FloatVector a06 = FloatVector.fromArray(SPECIES, ws, a + 6 * L);
    FloatVector a07 = FloatVector.fromArray(SPECIES, ws, a + 7 * L);
    FloatVector a08 = FloatVector.fromArray(SPECIES, ws, a + 8 * L);
    FloatVector b0 = FloatVector.fromArray(SPECIES, ws, a + 9 * L);
    FloatVector a10 = FloatVector.fromArray(SPECIES, ws, a + 10 * L);
    FloatVector a11 = FloatVector.fromArray(SPECIES, ws, a + 11 * L);
    FloatVector a12 = FloatVector.fromArray(SPECIES, ws, a + 12 * L);
    FloatVector a13 = FloatVector.fromArray(SPECIES, ws, a + 13 * L);
    FloatVector a14 = FloatVector.fromArray(SPECIES, ws, a + 14 * L);
    FloatVector a15 = FloatVector.fromArray(SPECIES, ws, a + 15 * L);
    FloatVector a16 = FloatVector.fromArray(SPECIES, ws, a + 16 * L);
    FloatVector a17 = FloatVector.fromArray(SPECIES, ws, a + 17 * L);
    FloatVector a18 = FloatVector.fromArray(SPECIES, ws, a + 18 * L);
    FloatVector b1 = FloatVector.fromArray(SPECIES, ws, a + 19 * L);
    for (int j = 0; j < whole; j += L) {
      FloatVector d0 = FloatVector.fromArray(SPECIES, dOut, g0 + j);
      FloatVector d1 = FloatVector.fromArray(SPECIES, dOut, g1 + j);
      b0 = b0.add(d0);
      b1 = b1.add(d1);
      FloatVector x = FloatVector.fromArray(SPECIES, ws, o0 + j);
      a00 = d0.fma(x, a00);
      a10 = d1.fma(x, a10);
      x = FloatVector.fromArray(SPECIES, ws, o1 + j);
      a01 = d0.fma(x, a01);
      a11 = d1.fma(x, a11);
      x = FloatVector.fromArray(SPECIES, ws, o2 + j);
      a02 = d0.fma(x, a02);
      a12 = d1.fma(x, a12);
      x = FloatVector.fromArray(SPECIES, ws, o3 + j);
      a03 = d0.fma(x, a03);
      a13 = d1.fma(x, a13);
      x = FloatVector.fromArray(SPECIES, ws, o4 + j);
      a04 = d0.fma(x, a04);
      a14 = d1.fma(x, a14);
      x = FloatVector.fromArray(SPECIES, ws, o5 + j);
      a05 = d0.fma(x, a05);
      a15 = d1.fma(x, a15);
      x = FloatVector.fromArray(SPECIES, ws, o6 + j);
      a06 = d0.fma(x, a06);
      a16 = d1.fma(x, a16);
      x = FloatVector.fromArray(SPECIES, ws, o7 + j);
      a07 = d0.fma(x, a07);
      a17 = d1.fma(x, a17);
      x = FloatVector.fromArray(SPECIES, ws, o8 + j);
      a08 = d0.fma(x, a08);
      a18 = d1.fma(x, a18);
    }
    a00.intoArray(ws, a);
    a01.intoArray(ws, a + L);
    a02.intoArray(ws, a + 2 * L);
    a03.intoArray(ws, a + 3 * L);
    a04.intoArray(ws, a + 4 * L);
    a05.intoArray(ws, a + 5 * L);
    a06.intoArray(ws, a + 6 * L);
    a07.intoArray(ws, a + 7 * L);
    a08.intoArray(ws, a + 8 * L);
    b0.intoArray(ws, a + 9 * L);
    a10.intoArray(ws, a + 10 * L);
    a11.intoArray(ws, a + 11 * L);
    a12.intoArray(ws, a + 12 * L);
    a13.intoArray(ws, a + 13 * L);
    a14.intoArray(ws, a + 14 * L);
    a15.intoArray(ws, a + 15 * L);
    a16.intoArray(ws, a + 16 * L);
    a17.intoArray(ws, a + 17 * L);
    a18.intoArray(ws, a + 18 * L);
    b1.intoArray(ws, a + 19 * L);
  }

  private static double laneSum(float[] a, int off) {
    double sum = 0;
    for (int i = 0; i < L; i++) {
      sum += a[off + i];
    }
    return sum;
  }
}
