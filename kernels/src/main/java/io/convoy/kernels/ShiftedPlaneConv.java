package io.convoy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Forward pass of {@link DirectConv} on column-shifted copies of the input, so that the lanes hold
 * only real output positions. {@link #applies} decides; {@link ScalarConv2d} is the twin the tests
 * compare against.
 *
 * <p>For each input channel c and kernel column s the input is copied into a zero-padded plane of rows
 * as wide as the OUTPUT: {@code X[c, s][y * Q + x] = in_padded[c, y, x + s]}. The output position
 * {@code j = p * Q + q} (NCHW order) of tap (c, r, s) then reads {@code X[c, s][j + r * Q]}: every
 * tap is one contiguous run of X, shifted, and consecutive j are consecutive output positions with
 * no columns past a row's end in between. (The flattened rows of {@link DirectConv}'s general
 * kernels are as wide as the padded input, 14 for LeNet-5's conv2 against 10 output columns.) The
 * copies cost C x S planes of (H + 2 padH) x Q floats per image, 4,200 floats for conv2.
 *
 * <p>Register block: 2 output channels x 7 vectors of j (14 accumulators; per tap 7 loads and 2
 * weight broadcasts), summed over all taps (c, r, s) in one flat loop, into a staging buffer; the
 * block of j runs past the last position to a multiple of 7 vectors (12 of conv2's 112 lanes), whose
 * sums are dropped when the staging buffer is copied into NCHW (+ bias). An odd channel count runs
 * its last channel beside a zero-weight one. Sums run in float over (c, r, s).
 */
final class ShiftedPlaneConv {
  private static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  private static final int L = SPECIES.length();
  /** Output channels per register block. */
  private static final int KB = 2;
  /** Vectors of output positions per register block. */
  private static final int JB = 7;

  private ShiftedPlaneConv() {}

  /** Most taps (c*r*s) per output for this kernel: measured faster than the general one up to here. */
  static final int MAX_TAPS = 9;

  /**
   * Whether the forward of shape sh (already a {@link DirectConv} shape, not a {@link ChannelVectorConv}
   * one) runs here: at least 6 vectors of output positions per channel and at most {@value #MAX_TAPS}
   * taps per output (the reference CNN's conv1: 0.72 -> 0.59 ms per batch of 128; LeNet-5's conv1,
   * 25 taps, was slower here: 0.27 against 0.24 ms).
   */
  static boolean applies(ConvShape sh) {
    return (long) sh.p() * sh.q() >= (JB - 1) * L && (long) sh.c() * sh.r() * sh.s() <= MAX_TAPS;
  }

  /** Output positions computed per channel: P*Q rounded up to whole blocks of 7 vectors. */
  private static int jTotal(ConvShape sh) {
    int block = JB * L;
    return (sh.p() * sh.q() + block - 1) / block * block;
  }

  /** Floats per shifted plane: every j < jTotal plus the largest row shift, rounded to a vector. */
  private static int shiftedSize(ConvShape sh) {
    int rows = (sh.h() + 2 * sh.padH()) * sh.q();
    int reach = jTotal(sh) + (sh.r() - 1) * sh.q();
    return (Math.max(rows, reach) + L - 1) / L * L;
  }

  /** Workspace floats: packed weights, shifted planes, staging. */
  static long workspaceSize(ConvShape sh) {
    long kp = (sh.k() + KB - 1) / KB * KB;
    return kp * sh.c() * sh.r() * sh.s() + (long) sh.c() * sh.s() * shiftedSize(sh) + L + (long) KB * jTotal(sh);
  }

  // in is (N, C, H, W), weight (K, C, R, S) at wOff, bias (K) at bOff or null; overwrites out (N, K, P, Q).
  static void forward(float[] out, float[] in, float[] w, int wOff, float[] bias, int bOff, ConvShape sh,
      float[] ws) {
    final int c = sh.c();
    final int k = sh.k();
    final int r = sh.r();
    final int s = sh.s();
    final int q = sh.q();
    final int pq = sh.p() * q;
    final int taps = c * r * s;
    final int kp = (k + KB - 1) / KB * KB;
    final int jTot = jTotal(sh);
    final int xs = shiftedSize(sh);
    // workspace: weights (K / 2, C, R, S, 2) | shifted planes (C, S) (+ L) | staging (2, jTot)
    final int xOff = kp * taps;
    final int stOff = xOff + c * s * xs + L;
    for (int kk = 0; kk < kp; kk++) {
      for (int t = 0; t < taps; t++) {
        ws[((kk / KB) * taps + t) * KB + kk % KB] = kk < k ? w[wOff + kk * taps + t] : 0f;
      }
    }
    // zero borders and slack once: the copies below write only the image's own positions
    Arrays.fill(ws, xOff, stOff, 0f);
    final int chw = c * sh.h() * sh.w();
    for (int img = 0; img < sh.n(); img++) {
      toShiftedPlanes(in, img * chw, sh, ws, xOff, xs);
      for (int kb = 0; kb < kp; kb += KB) {
        int wBase = kb * taps;
        int wEnd = wBase + taps * KB;
        for (int j0 = 0; j0 < jTot; j0 += JB * L) {
          block(ws, xOff + j0, wBase, wEnd, r, s, q, xs, stOff + j0, jTot);
        }
        for (int kk = kb; kk < Math.min(k, kb + KB); kk++) {
          float b = bias == null ? 0f : bias[bOff + kk];
          copyOut(ws, stOff + (kk - kb) * jTot, out, (img * k + kk) * pq, pq, b);
        }
      }
    }
  }

  // X[ch, ss][y * q + x] = in[ch, y - padH, x + ss - padW] where that is inside the image, plane (ch, ss) at
  // ws[xOff + (ch * S + ss) * planeStride]; the other positions are never written (the caller zeroes them
  // once per call). One copy per (ch, ss, image row). Shared with ShiftedPlaneGrad.
  static void toShiftedPlanes(float[] in, int inOff, ConvShape sh, float[] ws, int xOff, int planeStride) {
    final int h = sh.h();
    final int w = sh.w();
    final int q = sh.q();
    for (int ch = 0; ch < sh.c(); ch++) {
      for (int ss = 0; ss < sh.s(); ss++) {
        // output columns x whose input column x + ss - padW lies in [0, w)
        int x0 = Math.max(0, sh.padW() - ss);
        int x1 = Math.min(q, w + sh.padW() - ss);
        if (x1 <= x0) {
          continue;
        }
        int dst = xOff + (ch * sh.s() + ss) * planeStride + sh.padH() * q + x0;
        int src = inOff + ch * h * w + x0 + ss - sh.padW();
        for (int y = 0; y < h; y++) {
          System.arraycopy(in, src + y * w, ws, dst + y * q, x1 - x0);
        }
      }
    }
  }

  // out[dst ..< dst + n] = stage[src ..< src + n] + b: whole vectors, the last one overlapping the one
  // before (same values written twice); fewer than a vector element by element.
  private static void copyOut(float[] stage, int src, float[] out, int dst, int n, float b) {
    if (n < L) {
      for (int i = 0; i < n; i++) {
        out[dst + i] = stage[src + i] + b;
      }
      return;
    }
    FloatVector bv = FloatVector.broadcast(SPECIES, b);
    for (int i = 0; i < n; i += L) {
      int at = Math.min(i, n - L);
      FloatVector.fromArray(SPECIES, stage, src + at).add(bv).intoArray(out, dst + at);
    }
  }

  // One register block: output channels (2) x 7 vectors of j from x0 (shifted plane (0, 0) + j0),
  // summed over the taps (c, r, s) in one flat loop; stored at ws[o ..) (channel rows jTot apart).
  private static void block(float[] ws, int x0, int wBase, int wEnd, int r, int s, int q, int xs, int o,
      int jTot) {
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector a4 = a0;
    FloatVector a5 = a0;
    FloatVector a6 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    FloatVector b4 = a0;
    FloatVector b5 = a0;
    FloatVector b6 = a0;
    int x = x0;
    int ss = 0;
    int rr = 0;
    final int nextRow = q - s * xs;
    final int nextChannel = s * xs - r * q;
    for (int wi = wBase; wi < wEnd; wi += KB) {
      FloatVector w0 = FloatVector.broadcast(SPECIES, ws[wi]);
      FloatVector w1 = FloatVector.broadcast(SPECIES, ws[wi + 1]);
      FloatVector v = FloatVector.fromArray(SPECIES, ws, x);
      a0 = v.fma(w0, a0);
      b0 = v.fma(w1, b0);
      v = FloatVector.fromArray(SPECIES, ws, x + L);
      a1 = v.fma(w0, a1);
      b1 = v.fma(w1, b1);
      v = FloatVector.fromArray(SPECIES, ws, x + 2 * L);
      a2 = v.fma(w0, a2);
      b2 = v.fma(w1, b2);
      v = FloatVector.fromArray(SPECIES, ws, x + 3 * L);
      a3 = v.fma(w0, a3);
      b3 = v.fma(w1, b3);
      v = FloatVector.fromArray(SPECIES, ws, x + 4 * L);
      a4 = v.fma(w0, a4);
      b4 = v.fma(w1, b4);
      v = FloatVector.fromArray(SPECIES, ws, x + 5 * L);
      a5 = v.fma(w0, a5);
      b5 = v.fma(w1, b5);
      v = FloatVector.fromArray(SPECIES, ws, x + 6 * L);
      a6 = v.fma(w0, a6);
      b6 = v.fma(w1, b6);
      // next tap: the next column's plane, then the next kernel row (q further into plane s = 0),
      // then the next channel's planes
      x += xs;
      if (++ss == s) {
        ss = 0;
        x += nextRow;
        if (++rr == r) {
          rr = 0;
          x += nextChannel;
        }
      }
    }
    a0.intoArray(ws, o);
    a1.intoArray(ws, o + L);
    a2.intoArray(ws, o + 2 * L);
    a3.intoArray(ws, o + 3 * L);
    a4.intoArray(ws, o + 4 * L);
    a5.intoArray(ws, o + 5 * L);
    a6.intoArray(ws, o + 6 * L);
    int o1 = o + jTot;
    b0.intoArray(ws, o1);
    b1.intoArray(ws, o1 + L);
    b2.intoArray(ws, o1 + 2 * L);
    b3.intoArray(ws, o1 + 3 * L);
    b4.intoArray(ws, o1 + 4 * L);
    b5.intoArray(ws, o1 + 5 * L);
    b6.intoArray(ws, o1 + 6 * L);
  }
}
