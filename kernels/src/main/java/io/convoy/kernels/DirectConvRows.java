package io.convoy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Backward-data of {@link DirectConv} for images at most one vector wide (LeNet-5's conv2: 14x14
 * input, 10x10 output, 5x5 kernel): one vector holds a whole row of the input gradient, and each
 * row sums only the kernel rows that reach it. {@link #applies} decides; {@link ScalarConv2d} is the
 * twin the tests compare against.
 *
 * <p>Why: the general path runs backward-data as a forward convolution of dOut padded by
 * {@code r - 1 - pad}, so for a 5x5 kernel without padding it multiplies 1.96x as many products as
 * there are (most taps of a border row land on the zero padding), and its flattened rows of
 * {@code q + 2 * (s - 1)} positions waste another quarter of the lanes. Here:
 * {@code dIn[c, y, x] = sum_{k, r, s} w[k, c, r, s] * dOut[k, y + padH - r, x + padW - s]}, with
 * x in the lanes and, for row y, only the r that give an output row inside dOut (50 of 70 row taps
 * for conv2). dOut rows are copied into rows of {@code L + padW + s - 1} floats, zero around the
 * data, so every (r, s) is one unaligned vector load and lanes past the row's end read zeros or
 * values that the masked add drops.
 *
 * <p>Register block: 6 input channels x 2 images, one row (12 accumulators; per tap 2 loads and 6
 * weight broadcasts), summed over (k, r, s) in one flat loop. Input channels past C use zero
 * weights; an odd batch's last image runs as its own pair (second half discarded). Sums run in float
 * over (k, r, s).
 */
final class DirectConvRows {
  private static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  private static final int L = SPECIES.length();
  /** Input channels per register block. */
  private static final int CB = 6;
  /** Accumulators per register block (CB channels x 2 images). */
  private static final int ACC = 2 * CB;

  private DirectConvRows() {}

  /** Whether backward-data of shape sh (already a {@link DirectConv} shape) runs here: input rows fit one vector. */
  static boolean applies(ConvShape sh) {
    return sh.w() <= L;
  }

  private static int rowWidth(ConvShape sh) {
    return L + sh.padW() + sh.s() - 1;
  }

  /** Workspace floats: packed weights, two images of padded dOut rows, a staging block. */
  static long workspaceSize(ConvShape sh) {
    int groups = (sh.c() + CB - 1) / CB;
    return (long) groups * sh.k() * sh.r() * sh.s() * CB + 2L * sh.k() * sh.p() * rowWidth(sh) + ACC * L;
  }

  // dOut is (N, K, P, Q), weight (K, C, R, S) at wOff; ADDS into dIn (N, C, H, W).
  static void backwardData(float[] dIn, float[] dOut, float[] w, int wOff, ConvShape sh, float[] ws) {
    final int c = sh.c();
    final int k = sh.k();
    final int r = sh.r();
    final int s = sh.s();
    final int h = sh.h();
    final int wd = sh.w();
    final int p = sh.p();
    final int q = sh.q();
    final int padH = sh.padH();
    final int gw = rowWidth(sh);
    final int groups = (c + CB - 1) / CB;
    final int taps = r * s;
    // workspace: weights (group, K, R, S, 6 channels) | dOut rows of 2 images (K, P, gw) | staging
    final int gOff = groups * k * taps * CB;
    final int imgG = k * p * gw;
    final int stOff = gOff + 2 * imgG;
    for (int grp = 0; grp < groups; grp++) {
      for (int kk = 0; kk < k; kk++) {
        for (int t = 0; t < taps; t++) {
          int dst = ((grp * k + kk) * taps + t) * CB;
          for (int j = 0; j < CB; j++) {
            int ch = grp * CB + j;
            ws[dst + j] = ch < c ? w[wOff + (kk * c + ch) * taps + t] : 0f;
          }
        }
      }
    }
    Arrays.fill(ws, gOff, stOff, 0f);
    final VectorMask<Float> row = SPECIES.indexInRange(0, wd);
    final int hw = h * wd;
    final int kpq = k * p * q;
    for (int img = 0; img < sh.n(); img += 2) {
      boolean pair = img + 1 < sh.n();
      DirectConv.toPlanes(dOut, img * kpq, k, p, q, ws, gOff, p * gw, gw, 0, s - 1);
      if (pair) {
        DirectConv.toPlanes(dOut, (img + 1) * kpq, k, p, q, ws, gOff + imgG, p * gw, gw, 0, s - 1);
      }
      int d = pair ? imgG : 0;
      for (int grp = 0; grp < groups; grp++) {
        for (int y = 0; y < h; y++) {
          // kernel rows rr whose dOut row y + padH - rr lies in [0, p)
          int rLo = Math.max(0, y + padH - p + 1);
          int rHi = Math.min(r - 1, y + padH);
          int nr = rHi - rLo + 1;
          if (nr <= 0) {
            continue;
          }
          // tap (k = 0, rLo, s = 0): dOut row y + padH - rLo, lane x at x + padW + s - 1 - 0
          int x0 = gOff + (y + padH - rLo) * gw + sh.padW() + s - 1;
          int w0 = ((grp * k) * r + rLo) * s * CB;
          rowBlock(ws, x0, d, w0, k * nr * s, s, nr, gw, (p + nr) * gw, (r - nr) * s * CB, stOff);
          for (int j = 0; j < CB; j++) {
            int ch = grp * CB + j;
            if (ch >= c) {
              break;
            }
            addRow(dIn, (img * c + ch) * hw + y * wd, (img + 1) * c * hw, ws, stOff + j * L, wd, row);
            if (pair) {
              addRow(dIn, ((img + 1) * c + ch) * hw + y * wd, (img + 2) * c * hw, ws, stOff + (CB + j) * L, wd, row);
            }
          }
        }
      }
    }
  }

  // dIn[off ..< off + wd] += ws[st ..< st + wd]: one masked vector add (the lanes past the row write
  // back what they read), or element by element where the vector would reach past this image's end
  // (image end): the floats beyond may be another caller's.
  private static void addRow(float[] dIn, int off, int imageEnd, float[] ws, int st, int wd, VectorMask<Float> row) {
    if (off + L <= imageEnd) {
      FloatVector.fromArray(SPECIES, dIn, off).add(FloatVector.fromArray(SPECIES, ws, st), row).intoArray(dIn, off);
    } else {
      for (int x = 0; x < wd; x++) {
        dIn[off + x] += ws[st + x];
      }
    }
  }

  // One register block: one input-gradient row of 6 channels for 2 images (dOut rows at x and x + d),
  // summed over count taps (k, r, s) in one flat loop: s along the row (x - 1), then the next kernel
  // row (one dOut row up), then the next k (kStep further); the weights skip the kernel rows that
  // this row does not use (wSkip). Stored at ws[st ..): the 6 channels of image 1, then of image 2.
  private static void rowBlock(float[] ws, int x0, int d, int w0, int count, int s, int nr, int gw, int kStep,
      int wSkip, int st) {
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    FloatVector a4 = a0;
    FloatVector a5 = a0;
    FloatVector b0 = a0;
    FloatVector b1 = a0;
    FloatVector b2 = a0;
    FloatVector b3 = a0;
    FloatVector b4 = a0;
    FloatVector b5 = a0;
    int x = x0;
    int wi = w0;
    int ss = 0;
    int rr = 0;
    for (int t = 0; t < count; t++) {
      FloatVector g = FloatVector.fromArray(SPECIES, ws, x);
      FloatVector h = FloatVector.fromArray(SPECIES, ws, x + d);
      FloatVector w = FloatVector.broadcast(SPECIES, ws[wi]);
      a0 = g.fma(w, a0);
      b0 = h.fma(w, b0);
      w = FloatVector.broadcast(SPECIES, ws[wi + 1]);
      a1 = g.fma(w, a1);
      b1 = h.fma(w, b1);
      w = FloatVector.broadcast(SPECIES, ws[wi + 2]);
      a2 = g.fma(w, a2);
      b2 = h.fma(w, b2);
      w = FloatVector.broadcast(SPECIES, ws[wi + 3]);
      a3 = g.fma(w, a3);
      b3 = h.fma(w, b3);
      w = FloatVector.broadcast(SPECIES, ws[wi + 4]);
      a4 = g.fma(w, a4);
      b4 = h.fma(w, b4);
      w = FloatVector.broadcast(SPECIES, ws[wi + 5]);
      a5 = g.fma(w, a5);
      b5 = h.fma(w, b5);
      x--;
      wi += CB;
      if (++ss == s) {
        ss = 0;
        x += s - gw;
        if (++rr == nr) {
          rr = 0;
          x += kStep;
          wi += wSkip;
        }
      }
    }
    a0.intoArray(ws, st);
    a1.intoArray(ws, st + L);
    a2.intoArray(ws, st + 2 * L);
    a3.intoArray(ws, st + 3 * L);
    a4.intoArray(ws, st + 4 * L);
    a5.intoArray(ws, st + 5 * L);
    b0.intoArray(ws, st + 6 * L);
    b1.intoArray(ws, st + 7 * L);
    b2.intoArray(ws, st + 8 * L);
    b3.intoArray(ws, st + 9 * L);
    b4.intoArray(ws, st + 10 * L);
    b5.intoArray(ws, st + 11 * L);
  }
}
