package io.convoy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct convolution with the OUTPUT CHANNELS in the vector lanes: the forward and backward-weights
 * passes of {@link DirectConv} when the output channel count is a multiple of the lane count and the
 * kernel is 5 wide (LeNet-5's conv2: 6 -> 16 channels, 5x5, on 14x14). {@link #applies} decides;
 * {@link ScalarConv2d} is the twin the tests compare against.
 *
 * <p>Why: the spatial kernels of {@link DirectConv} put output positions in the lanes, so every
 * vector also covers the positions past a row's end (29% of conv2's lanes, since its 10-wide output
 * rows sit in 14-wide input rows). With the K output channels in the lanes, one vector holds all
 * (or L of the) channels of ONE output position: no lane is wasted, and each product is a broadcast
 * input value times a vector of weights.
 *
 * <ul>
 *   <li>forward: {@code acc[p, q] (K lanes) += broadcast(plane_c[p + r][q + s]) * Wt[c, r, s]} (Wt: the
 *       kernels transposed to (c, r, s, K)), register block 2 output rows x 10 columns (20
 *       accumulators; the last block of rows or columns overlaps the one before when P or Q is not a
 *       multiple). One loop step per kernel row (c, r) loads its 5 weight vectors and broadcasts each
 *       of the 14 input values a block row reads ONCE, for every weight vector it meets (output
 *       column = input column - s): 28 broadcasts and 5 loads per 100 FMAs, instead of one broadcast
 *       per FMA. Stored as (position, K), then transposed into NCHW (+ bias) in blocks of L x L in
 *       registers ({@link VectorTranspose});</li>
 *   <li>backward-weights: {@code dW[k, c, r, s]} as vectors of K: dOut transposed per image to
 *       (position, K) (the same register transposes), one vector per output position, times
 *       broadcasts of the input; accumulators for the 5 taps of one kernel row of 3 input channels
 *       (15), stepping 5 positions along an output row at a time, so each of the 9 input values a
 *       channel reads there is broadcast once for the up to 5 products it takes part in (27
 *       broadcasts and 5 loads per 75 FMAs; columns past the last whole step one position at a
 *       time). The accumulators start from zero per
 *       image and are then added to the batch's sums in the workspace; at the end lane k of sum
 *       (c, r, s) is added to {@code dW[k, c, r, s]}: no lane reductions. Every product is a useful
 *       one.</li>
 * </ul>
 *
 * <p>Sums run in float: the forward over (c, r, s) as a dot product, the weight gradient over the
 * positions of one image, then over the images.
 */
final class ChannelVectorConv {
  private static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  private static final int L = SPECIES.length();
  /** Forward register block: output rows x output columns. */
  private static final int ROWS = 2;
  private static final int COLS = 10;
  /** Kernel width this class handles (taps of one kernel row per weight-gradient block). */
  static final int KERNEL_W = 5;
  /** Output positions (along a row) per step of the weight-gradient block. */
  private static final int COLS_W = 5;
  /** Input channels per weight-gradient block. */
  private static final int CB = 3;

  private ChannelVectorConv() {}

  /**
   * Whether the forward and backward-weights passes of shape sh (already a {@link DirectConv} shape:
   * stride 1, padding below the kernel size) run here: output channels a multiple of the lane count,
   * a 5-wide kernel, an output at least 2 rows by 10 columns (so at least L positions), and a
   * {@link VectorTranspose} block for this species.
   */
  static boolean applies(ConvShape sh) {
    return VectorTranspose.BLOCK == L && sh.k() % L == 0 && sh.s() == KERNEL_W && sh.p() >= ROWS && sh.q() >= COLS;
  }

  private static int planeSize(ConvShape sh) {
    return (sh.h() + 2 * sh.padH()) * (sh.w() + 2 * sh.padW());
  }

  /** Workspace floats for both passes. */
  static long workspaceSize(ConvShape sh) {
    long planes = (long) sh.c() * planeSize(sh);
    long pq = (long) sh.p() * sh.q();
    long fwd = (long) sh.k() * sh.c() * sh.r() * sh.s() + planes + pq * L;
    int groups = (sh.c() + CB - 1) / CB;
    long wgrad = planes + pq * sh.k() + (long) (sh.k() / L) * groups * sh.r() * CB * KERNEL_W * L;
    return Math.max(fwd, wgrad);
  }

  // in is (N, C, H, W), weight (K, C, R, S) at wOff, bias (K) at bOff or null; overwrites out (N, K, P, Q).
  static void forward(float[] out, float[] in, float[] w, int wOff, float[] bias, int bOff, ConvShape sh,
      float[] ws) {
    final int c = sh.c();
    final int k = sh.k();
    final int r = sh.r();
    final int s = sh.s();
    final int p = sh.p();
    final int q = sh.q();
    final int pq = p * q;
    final int taps = c * r * s;
    final int wp = sh.w() + 2 * sh.padW();
    final int plane = planeSize(sh);
    // workspace: weights (K / L, C, R, S, L) | padded planes (C of plane) | staging (P*Q, L)
    final int planeOff = k * taps;
    final int stageOff = planeOff + c * plane;
    for (int v = 0; v < k / L; v++) {
      for (int t = 0; t < taps; t++) {
        for (int l = 0; l < L; l++) {
          ws[(v * taps + t) * L + l] = w[wOff + (v * L + l) * taps + t];
        }
      }
    }
    Arrays.fill(ws, planeOff, stageOff, 0f);
    final int chw = c * sh.h() * sh.w();
    final int lastRow = p - ROWS;
    final int lastCol = q - COLS;
    for (int img = 0; img < sh.n(); img++) {
      DirectConv.toPlanes(in, img * chw, c, sh.h(), sh.w(), ws, planeOff, plane, wp, sh.padH(), sh.padW());
      for (int v = 0; v < k / L; v++) {
        int wBase = v * taps * L;
        int wEnd = wBase + taps * L;
        for (int p0 = 0; p0 < p; p0 += ROWS) {
          int pr = Math.min(p0, lastRow);
          for (int q0 = 0; q0 < q; q0 += COLS) {
            int qc = Math.min(q0, lastCol);
            block(ws, planeOff + pr * wp + qc, wBase, wEnd, r, wp, plane, stageOff + (pr * q + qc) * L, q);
          }
        }
        // staging (position, L) -> out[img, v*L + l, position] + bias
        int o = (img * k + v * L) * pq;
        // blocks of L positions x L channels in registers; the last block overlaps the one before
        for (int j = 0; j < pq; j += L) {
          int at = Math.min(j, pq - L);
          VectorTranspose.toRowsAdding(ws, stageOff + at * L, L, out, o + at, pq, bias, bOff + v * L, false);
        }
      }
    }
  }

  // One forward register block: output rows (p0, p0+1) x columns q0 .. q0+9, all K lanes of one
  // slice; x0 is plane 0's position (p0, q0). One iteration per kernel row (c, r): its 5 weight
  // vectors, then each of the 14 input values a row of the block reads (columns q0 .. q0+13) is
  // broadcast once and multiplies every weight vector it meets (output column = input column - s):
  // 28 broadcasts and 5 loads per 100 FMAs. Stored at ws[o + (i*q + j) * L]. (One method,
  // hand-unrolled, no vector arrays: C2 keeps the accumulators in registers.)
  private static void block(float[] ws, int x0, int wBase, int wEnd, int r, int wp, int plane, int o, int q) {
    FloatVector a00 = FloatVector.zero(SPECIES);
    FloatVector a01 = a00;
    FloatVector a02 = a00;
    FloatVector a03 = a00;
    FloatVector a04 = a00;
    FloatVector a05 = a00;
    FloatVector a06 = a00;
    FloatVector a07 = a00;
    FloatVector a08 = a00;
    FloatVector a09 = a00;
    FloatVector a10 = a00;
    FloatVector a11 = a00;
    FloatVector a12 = a00;
    FloatVector a13 = a00;
    FloatVector a14 = a00;
    FloatVector a15 = a00;
    FloatVector a16 = a00;
    FloatVector a17 = a00;
    FloatVector a18 = a00;
    FloatVector a19 = a00;
    int x = x0;
    int rr = 0;
    for (int wi = wBase; wi < wEnd; wi += KERNEL_W * L) {
      FloatVector w0 = FloatVector.fromArray(SPECIES, ws, wi);
      FloatVector w1 = FloatVector.fromArray(SPECIES, ws, wi + L);
      FloatVector w2 = FloatVector.fromArray(SPECIES, ws, wi + 2 * L);
      FloatVector w3 = FloatVector.fromArray(SPECIES, ws, wi + 3 * L);
      FloatVector w4 = FloatVector.fromArray(SPECIES, ws, wi + 4 * L);
      FloatVector b = FloatVector.broadcast(SPECIES, ws[x + 0]);
      a00 = b.fma(w0, a00);
      b = FloatVector.broadcast(SPECIES, ws[x + 1]);
      a01 = b.fma(w0, a01);
      a00 = b.fma(w1, a00);
      b = FloatVector.broadcast(SPECIES, ws[x + 2]);
      a02 = b.fma(w0, a02);
      a01 = b.fma(w1, a01);
      a00 = b.fma(w2, a00);
      b = FloatVector.broadcast(SPECIES, ws[x + 3]);
      a03 = b.fma(w0, a03);
      a02 = b.fma(w1, a02);
      a01 = b.fma(w2, a01);
      a00 = b.fma(w3, a00);
      b = FloatVector.broadcast(SPECIES, ws[x + 4]);
      a04 = b.fma(w0, a04);
      a03 = b.fma(w1, a03);
      a02 = b.fma(w2, a02);
      a01 = b.fma(w3, a01);
      a00 = b.fma(w4, a00);
      b = FloatVector.broadcast(SPECIES, ws[x + 5]);
      a05 = b.fma(w0, a05);
      a04 = b.fma(w1, a04);
      a03 = b.fma(w2, a03);
      a02 = b.fma(w3, a02);
      a01 = b.fma(w4, a01);
      b = FloatVector.broadcast(SPECIES, ws[x + 6]);
      a06 = b.fma(w0, a06);
      a05 = b.fma(w1, a05);
      a04 = b.fma(w2, a04);
      a03 = b.fma(w3, a03);
      a02 = b.fma(w4, a02);
      b = FloatVector.broadcast(SPECIES, ws[x + 7]);
      a07 = b.fma(w0, a07);
      a06 = b.fma(w1, a06);
      a05 = b.fma(w2, a05);
      a04 = b.fma(w3, a04);
      a03 = b.fma(w4, a03);
      b = FloatVector.broadcast(SPECIES, ws[x + 8]);
      a08 = b.fma(w0, a08);
      a07 = b.fma(w1, a07);
      a06 = b.fma(w2, a06);
      a05 = b.fma(w3, a05);
      a04 = b.fma(w4, a04);
      b = FloatVector.broadcast(SPECIES, ws[x + 9]);
      a09 = b.fma(w0, a09);
      a08 = b.fma(w1, a08);
      a07 = b.fma(w2, a07);
      a06 = b.fma(w3, a06);
      a05 = b.fma(w4, a05);
      b = FloatVector.broadcast(SPECIES, ws[x + 10]);
      a09 = b.fma(w1, a09);
      a08 = b.fma(w2, a08);
      a07 = b.fma(w3, a07);
      a06 = b.fma(w4, a06);
      b = FloatVector.broadcast(SPECIES, ws[x + 11]);
      a09 = b.fma(w2, a09);
      a08 = b.fma(w3, a08);
      a07 = b.fma(w4, a07);
      b = FloatVector.broadcast(SPECIES, ws[x + 12]);
      a09 = b.fma(w3, a09);
      a08 = b.fma(w4, a08);
      b = FloatVector.broadcast(SPECIES, ws[x + 13]);
      a09 = b.fma(w4, a09);
      int y = x + wp;
      b = FloatVector.broadcast(SPECIES, ws[y + 0]);
      a10 = b.fma(w0, a10);
      b = FloatVector.broadcast(SPECIES, ws[y + 1]);
      a11 = b.fma(w0, a11);
      a10 = b.fma(w1, a10);
      b = FloatVector.broadcast(SPECIES, ws[y + 2]);
      a12 = b.fma(w0, a12);
      a11 = b.fma(w1, a11);
      a10 = b.fma(w2, a10);
      b = FloatVector.broadcast(SPECIES, ws[y + 3]);
      a13 = b.fma(w0, a13);
      a12 = b.fma(w1, a12);
      a11 = b.fma(w2, a11);
      a10 = b.fma(w3, a10);
      b = FloatVector.broadcast(SPECIES, ws[y + 4]);
      a14 = b.fma(w0, a14);
      a13 = b.fma(w1, a13);
      a12 = b.fma(w2, a12);
      a11 = b.fma(w3, a11);
      a10 = b.fma(w4, a10);
      b = FloatVector.broadcast(SPECIES, ws[y + 5]);
      a15 = b.fma(w0, a15);
      a14 = b.fma(w1, a14);
      a13 = b.fma(w2, a13);
      a12 = b.fma(w3, a12);
      a11 = b.fma(w4, a11);
      b = FloatVector.broadcast(SPECIES, ws[y + 6]);
      a16 = b.fma(w0, a16);
      a15 = b.fma(w1, a15);
      a14 = b.fma(w2, a14);
      a13 = b.fma(w3, a13);
      a12 = b.fma(w4, a12);
      b = FloatVector.broadcast(SPECIES, ws[y + 7]);
      a17 = b.fma(w0, a17);
      a16 = b.fma(w1, a16);
      a15 = b.fma(w2, a15);
      a14 = b.fma(w3, a14);
      a13 = b.fma(w4, a13);
      b = FloatVector.broadcast(SPECIES, ws[y + 8]);
      a18 = b.fma(w0, a18);
      a17 = b.fma(w1, a17);
      a16 = b.fma(w2, a16);
      a15 = b.fma(w3, a15);
      a14 = b.fma(w4, a14);
      b = FloatVector.broadcast(SPECIES, ws[y + 9]);
      a19 = b.fma(w0, a19);
      a18 = b.fma(w1, a18);
      a17 = b.fma(w2, a17);
      a16 = b.fma(w3, a16);
      a15 = b.fma(w4, a15);
      b = FloatVector.broadcast(SPECIES, ws[y + 10]);
      a19 = b.fma(w1, a19);
      a18 = b.fma(w2, a18);
      a17 = b.fma(w3, a17);
      a16 = b.fma(w4, a16);
      b = FloatVector.broadcast(SPECIES, ws[y + 11]);
      a19 = b.fma(w2, a19);
      a18 = b.fma(w3, a18);
      a17 = b.fma(w4, a17);
      b = FloatVector.broadcast(SPECIES, ws[y + 12]);
      a19 = b.fma(w3, a19);
      a18 = b.fma(w4, a18);
      b = FloatVector.broadcast(SPECIES, ws[y + 13]);
      a19 = b.fma(w4, a19);
      // next kernel row: one input row down; after the last, the next channel's plane
      x += wp;
      if (++rr == r) {
        rr = 0;
        x += plane - r * wp;
      }
    }
    a00.intoArray(ws, o);
    a01.intoArray(ws, o + L);
    a02.intoArray(ws, o + 2 * L);
    a03.intoArray(ws, o + 3 * L);
    a04.intoArray(ws, o + 4 * L);
    a05.intoArray(ws, o + 5 * L);
    a06.intoArray(ws, o + 6 * L);
    a07.intoArray(ws, o + 7 * L);
    a08.intoArray(ws, o + 8 * L);
    a09.intoArray(ws, o + 9 * L);
    int o1 = o + q * L;
    a10.intoArray(ws, o1);
    a11.intoArray(ws, o1 + L);
    a12.intoArray(ws, o1 + 2 * L);
    a13.intoArray(ws, o1 + 3 * L);
    a14.intoArray(ws, o1 + 4 * L);
    a15.intoArray(ws, o1 + 5 * L);
    a16.intoArray(ws, o1 + 6 * L);
    a17.intoArray(ws, o1 + 7 * L);
    a18.intoArray(ws, o1 + 8 * L);
    a19.intoArray(ws, o1 + 9 * L);
  }

  // dOut is (N, K, P, Q), in is (N, C, H, W); ADDS into dW (K, C, R, S) at dwOff.
  // dW[k, c, r, s] = sum_n sum_{p, q} dOut[n, k, p, q] * in_padded[n, c, p + r, q + s]
  static void backwardWeights(float[] dW, int dwOff, float[] dOut, float[] in, ConvShape sh, float[] ws) {
    final int c = sh.c();
    final int k = sh.k();
    final int r = sh.r();
    final int p = sh.p();
    final int q = sh.q();
    final int pq = p * q;
    final int kv = k / L;
    final int wp = sh.w() + 2 * sh.padW();
    final int plane = planeSize(sh);
    final int groups = (c + CB - 1) / CB;
    final int accBlock = CB * KERNEL_W * L;
    // workspace: padded planes (C of plane) | dOut transposed (K / L, P*Q, L) | accumulators
    // (K / L, channel group, R, 3 channels x 5 taps, L)
    final int gOff = c * plane;
    final int accOff = gOff + pq * k;
    final int accLen = kv * groups * r * accBlock;
    Arrays.fill(ws, 0, gOff, 0f);
    Arrays.fill(ws, accOff, accOff + accLen, 0f);
    final int chw = c * sh.h() * sh.w();
    final int kpq = k * pq;
    final int chunks = q / COLS_W;
    for (int img = 0; img < sh.n(); img++) {
      DirectConv.toPlanes(in, img * chw, c, sh.h(), sh.w(), ws, 0, plane, wp, sh.padH(), sh.padW());
      // dOut[img, v*L + l, j] -> ws[gOff + (v*pq + j)*L + l]
      for (int v = 0; v < kv; v++) {
        for (int j = 0; j < pq; j += L) {
          int at = Math.min(j, pq - L);
          VectorTranspose.toRowsAdding(dOut, img * kpq + v * L * pq + at, pq, ws, gOff + (v * pq + at) * L, L,
              null, 0, false);
        }
      }
      for (int v = 0; v < kv; v++) {
        int g0 = gOff + v * pq * L;
        for (int grp = 0; grp < groups; grp++) {
          // channels c0, c0+1, c0+2; past the last channel, the last one again (its sums are never read)
          int c0 = grp * CB;
          int d1 = (Math.min(c0 + 1, c - 1) - c0) * plane;
          int d2 = (Math.min(c0 + 2, c - 1) - c0) * plane;
          for (int rr = 0; rr < r; rr++) {
            int a = accOff + ((v * groups + grp) * r + rr) * accBlock;
            int x0 = c0 * plane + rr * wp;
            if (chunks > 0) {
              weightBlock5(ws, x0, d1, d2, g0, p * chunks, chunks, wp - COLS_W * chunks,
                  (q - COLS_W * chunks) * L, a);
            }
            if (chunks * COLS_W < q) {
              // the columns past the last whole chunk, one position at a time
              int qs = chunks * COLS_W;
              weightBlock(ws, x0 + qs, d1, d2, g0 + qs * L, p * (q - qs), q - qs, wp - (q - qs), qs * L, a);
            }
          }
        }
      }
    }
    // dW[v*L + l, c, r, s] += lane l of accumulator (v, c, r, s)
    final int taps = r * KERNEL_W;
    for (int v = 0; v < kv; v++) {
      for (int ch = 0; ch < c; ch++) {
        for (int rr = 0; rr < r; rr++) {
          for (int ss = 0; ss < KERNEL_W; ss++) {
            int a = accOff + ((v * groups + ch / CB) * r + rr) * accBlock + ((ch % CB) * KERNEL_W + ss) * L;
            for (int l = 0; l < L; l++) {
              dW[dwOff + ((v * L + l) * c + ch) * taps + rr * KERNEL_W + ss] += ws[a + l];
            }
          }
        }
      }
    }
  }

  // weightBlock over whole chunks of 5 positions along a row (count chunks, perRow a row): per chunk
  // 5 dOut vectors, and each of the 9 input values a channel's 5 taps read at 5 positions (columns
  // q .. q+8) is broadcast once and multiplies every dOut vector it meets (tap s = column - position):
  // 27 broadcasts and 5 loads per 75 FMAs.
  private static void weightBlock5(float[] ws, int x0, int d1, int d2, int g0, int count, int perRow, int xSkip,
      int gSkip, int a) {
    FloatVector a00 = FloatVector.zero(SPECIES);
    FloatVector a01 = a00;
    FloatVector a02 = a00;
    FloatVector a03 = a00;
    FloatVector a04 = a00;
    FloatVector a10 = a00;
    FloatVector a11 = a00;
    FloatVector a12 = a00;
    FloatVector a13 = a00;
    FloatVector a14 = a00;
    FloatVector a20 = a00;
    FloatVector a21 = a00;
    FloatVector a22 = a00;
    FloatVector a23 = a00;
    FloatVector a24 = a00;
    int x = x0;
    int gi = g0;
    int cc = 0;
    for (int t = 0; t < count; t++) {
      FloatVector g0v = FloatVector.fromArray(SPECIES, ws, gi);
      FloatVector g1v = FloatVector.fromArray(SPECIES, ws, gi + L);
      FloatVector g2v = FloatVector.fromArray(SPECIES, ws, gi + 2 * L);
      FloatVector g3v = FloatVector.fromArray(SPECIES, ws, gi + 3 * L);
      FloatVector g4v = FloatVector.fromArray(SPECIES, ws, gi + 4 * L);
      FloatVector b = FloatVector.broadcast(SPECIES, ws[x]);
      a00 = b.fma(g0v, a00);
      b = FloatVector.broadcast(SPECIES, ws[x + 1]);
      a01 = b.fma(g0v, a01);
      a00 = b.fma(g1v, a00);
      b = FloatVector.broadcast(SPECIES, ws[x + 2]);
      a02 = b.fma(g0v, a02);
      a01 = b.fma(g1v, a01);
      a00 = b.fma(g2v, a00);
      b = FloatVector.broadcast(SPECIES, ws[x + 3]);
      a03 = b.fma(g0v, a03);
      a02 = b.fma(g1v, a02);
      a01 = b.fma(g2v, a01);
      a00 = b.fma(g3v, a00);
      b = FloatVector.broadcast(SPECIES, ws[x + 4]);
      a04 = b.fma(g0v, a04);
      a03 = b.fma(g1v, a03);
      a02 = b.fma(g2v, a02);
      a01 = b.fma(g3v, a01);
      a00 = b.fma(g4v, a00);
      b = FloatVector.broadcast(SPECIES, ws[x + 5]);
      a04 = b.fma(g1v, a04);
      a03 = b.fma(g2v, a03);
      a02 = b.fma(g3v, a02);
      a01 = b.fma(g4v, a01);
      b = FloatVector.broadcast(SPECIES, ws[x + 6]);
      a04 = b.fma(g2v, a04);
      a03 = b.fma(g3v, a03);
      a02 = b.fma(g4v, a02);
      b = FloatVector.broadcast(SPECIES, ws[x + 7]);
      a04 = b.fma(g3v, a04);
      a03 = b.fma(g4v, a03);
      b = FloatVector.broadcast(SPECIES, ws[x + 8]);
      a04 = b.fma(g4v, a04);
      int y = x + d1;
      b = FloatVector.broadcast(SPECIES, ws[y]);
      a10 = b.fma(g0v, a10);
      b = FloatVector.broadcast(SPECIES, ws[y + 1]);
      a11 = b.fma(g0v, a11);
      a10 = b.fma(g1v, a10);
      b = FloatVector.broadcast(SPECIES, ws[y + 2]);
      a12 = b.fma(g0v, a12);
      a11 = b.fma(g1v, a11);
      a10 = b.fma(g2v, a10);
      b = FloatVector.broadcast(SPECIES, ws[y + 3]);
      a13 = b.fma(g0v, a13);
      a12 = b.fma(g1v, a12);
      a11 = b.fma(g2v, a11);
      a10 = b.fma(g3v, a10);
      b = FloatVector.broadcast(SPECIES, ws[y + 4]);
      a14 = b.fma(g0v, a14);
      a13 = b.fma(g1v, a13);
      a12 = b.fma(g2v, a12);
      a11 = b.fma(g3v, a11);
      a10 = b.fma(g4v, a10);
      b = FloatVector.broadcast(SPECIES, ws[y + 5]);
      a14 = b.fma(g1v, a14);
      a13 = b.fma(g2v, a13);
      a12 = b.fma(g3v, a12);
      a11 = b.fma(g4v, a11);
      b = FloatVector.broadcast(SPECIES, ws[y + 6]);
      a14 = b.fma(g2v, a14);
      a13 = b.fma(g3v, a13);
      a12 = b.fma(g4v, a12);
      b = FloatVector.broadcast(SPECIES, ws[y + 7]);
      a14 = b.fma(g3v, a14);
      a13 = b.fma(g4v, a13);
      b = FloatVector.broadcast(SPECIES, ws[y + 8]);
      a14 = b.fma(g4v, a14);
      int z = x + d2;
      b = FloatVector.broadcast(SPECIES, ws[z]);
      a20 = b.fma(g0v, a20);
      b = FloatVector.broadcast(SPECIES, ws[z + 1]);
      a21 = b.fma(g0v, a21);
      a20 = b.fma(g1v, a20);
      b = FloatVector.broadcast(SPECIES, ws[z + 2]);
      a22 = b.fma(g0v, a22);
      a21 = b.fma(g1v, a21);
      a20 = b.fma(g2v, a20);
      b = FloatVector.broadcast(SPECIES, ws[z + 3]);
      a23 = b.fma(g0v, a23);
      a22 = b.fma(g1v, a22);
      a21 = b.fma(g2v, a21);
      a20 = b.fma(g3v, a20);
      b = FloatVector.broadcast(SPECIES, ws[z + 4]);
      a24 = b.fma(g0v, a24);
      a23 = b.fma(g1v, a23);
      a22 = b.fma(g2v, a22);
      a21 = b.fma(g3v, a21);
      a20 = b.fma(g4v, a20);
      b = FloatVector.broadcast(SPECIES, ws[z + 5]);
      a24 = b.fma(g1v, a24);
      a23 = b.fma(g2v, a23);
      a22 = b.fma(g3v, a22);
      a21 = b.fma(g4v, a21);
      b = FloatVector.broadcast(SPECIES, ws[z + 6]);
      a24 = b.fma(g2v, a24);
      a23 = b.fma(g3v, a23);
      a22 = b.fma(g4v, a22);
      b = FloatVector.broadcast(SPECIES, ws[z + 7]);
      a24 = b.fma(g3v, a24);
      a23 = b.fma(g4v, a23);
      b = FloatVector.broadcast(SPECIES, ws[z + 8]);
      a24 = b.fma(g4v, a24);
      // next chunk: 5 positions along the row, then the next row's first chunk
      x += COLS_W;
      gi += COLS_W * L;
      if (++cc == perRow) {
        cc = 0;
        x += xSkip;
        gi += gSkip;
      }
    }
    a00.add(FloatVector.fromArray(SPECIES, ws, a)).intoArray(ws, a);
    a01.add(FloatVector.fromArray(SPECIES, ws, a + L)).intoArray(ws, a + L);
    a02.add(FloatVector.fromArray(SPECIES, ws, a + 2 * L)).intoArray(ws, a + 2 * L);
    a03.add(FloatVector.fromArray(SPECIES, ws, a + 3 * L)).intoArray(ws, a + 3 * L);
    a04.add(FloatVector.fromArray(SPECIES, ws, a + 4 * L)).intoArray(ws, a + 4 * L);
    a10.add(FloatVector.fromArray(SPECIES, ws, a + 5 * L)).intoArray(ws, a + 5 * L);
    a11.add(FloatVector.fromArray(SPECIES, ws, a + 6 * L)).intoArray(ws, a + 6 * L);
    a12.add(FloatVector.fromArray(SPECIES, ws, a + 7 * L)).intoArray(ws, a + 7 * L);
    a13.add(FloatVector.fromArray(SPECIES, ws, a + 8 * L)).intoArray(ws, a + 8 * L);
    a14.add(FloatVector.fromArray(SPECIES, ws, a + 9 * L)).intoArray(ws, a + 9 * L);
    a20.add(FloatVector.fromArray(SPECIES, ws, a + 10 * L)).intoArray(ws, a + 10 * L);
    a21.add(FloatVector.fromArray(SPECIES, ws, a + 11 * L)).intoArray(ws, a + 11 * L);
    a22.add(FloatVector.fromArray(SPECIES, ws, a + 12 * L)).intoArray(ws, a + 12 * L);
    a23.add(FloatVector.fromArray(SPECIES, ws, a + 13 * L)).intoArray(ws, a + 13 * L);
    a24.add(FloatVector.fromArray(SPECIES, ws, a + 14 * L)).intoArray(ws, a + 14 * L);
  }

  // One weight-gradient block: 3 input channels (planes x0, x0 + d1, x0 + d2, already shifted by the
  // kernel row and the first column) x 5 taps, over count output positions of one image, qn per row
  // (dOut vectors from ws[g0], one per position); 15 accumulators from zero, added at the end to the
  // sums at ws[a ..) (so each float sum is one image's positions, then one term per image). For the
  // columns that weightBlock5 leaves over.
  private static void weightBlock(float[] ws, int x0, int d1, int d2, int g0, int count, int qn, int xSkip, int gSkip,
      int a) {
    FloatVector a00 = FloatVector.zero(SPECIES);
    FloatVector a01 = a00;
    FloatVector a02 = a00;
    FloatVector a03 = a00;
    FloatVector a04 = a00;
    FloatVector a10 = a00;
    FloatVector a11 = a00;
    FloatVector a12 = a00;
    FloatVector a13 = a00;
    FloatVector a14 = a00;
    FloatVector a20 = a00;
    FloatVector a21 = a00;
    FloatVector a22 = a00;
    FloatVector a23 = a00;
    FloatVector a24 = a00;
    int x = x0;
    int gi = g0;
    int qq = 0;
    for (int t = 0; t < count; t++) {
      FloatVector g = FloatVector.fromArray(SPECIES, ws, gi);
      a00 = FloatVector.broadcast(SPECIES, ws[x]).fma(g, a00);
      a01 = FloatVector.broadcast(SPECIES, ws[x + 1]).fma(g, a01);
      a02 = FloatVector.broadcast(SPECIES, ws[x + 2]).fma(g, a02);
      a03 = FloatVector.broadcast(SPECIES, ws[x + 3]).fma(g, a03);
      a04 = FloatVector.broadcast(SPECIES, ws[x + 4]).fma(g, a04);
      int y = x + d1;
      a10 = FloatVector.broadcast(SPECIES, ws[y]).fma(g, a10);
      a11 = FloatVector.broadcast(SPECIES, ws[y + 1]).fma(g, a11);
      a12 = FloatVector.broadcast(SPECIES, ws[y + 2]).fma(g, a12);
      a13 = FloatVector.broadcast(SPECIES, ws[y + 3]).fma(g, a13);
      a14 = FloatVector.broadcast(SPECIES, ws[y + 4]).fma(g, a14);
      int z = x + d2;
      a20 = FloatVector.broadcast(SPECIES, ws[z]).fma(g, a20);
      a21 = FloatVector.broadcast(SPECIES, ws[z + 1]).fma(g, a21);
      a22 = FloatVector.broadcast(SPECIES, ws[z + 2]).fma(g, a22);
      a23 = FloatVector.broadcast(SPECIES, ws[z + 3]).fma(g, a23);
      a24 = FloatVector.broadcast(SPECIES, ws[z + 4]).fma(g, a24);
      // next output position: along the row, then to the next row's first column of this block
      x++;
      gi += L;
      if (++qq == qn) {
        qq = 0;
        x += xSkip;
        gi += gSkip;
      }
    }
    a00.add(FloatVector.fromArray(SPECIES, ws, a)).intoArray(ws, a);
    a01.add(FloatVector.fromArray(SPECIES, ws, a + L)).intoArray(ws, a + L);
    a02.add(FloatVector.fromArray(SPECIES, ws, a + 2 * L)).intoArray(ws, a + 2 * L);
    a03.add(FloatVector.fromArray(SPECIES, ws, a + 3 * L)).intoArray(ws, a + 3 * L);
    a04.add(FloatVector.fromArray(SPECIES, ws, a + 4 * L)).intoArray(ws, a + 4 * L);
    a10.add(FloatVector.fromArray(SPECIES, ws, a + 5 * L)).intoArray(ws, a + 5 * L);
    a11.add(FloatVector.fromArray(SPECIES, ws, a + 6 * L)).intoArray(ws, a + 6 * L);
    a12.add(FloatVector.fromArray(SPECIES, ws, a + 7 * L)).intoArray(ws, a + 7 * L);
    a13.add(FloatVector.fromArray(SPECIES, ws, a + 8 * L)).intoArray(ws, a + 8 * L);
    a14.add(FloatVector.fromArray(SPECIES, ws, a + 9 * L)).intoArray(ws, a + 9 * L);
    a20.add(FloatVector.fromArray(SPECIES, ws, a + 10 * L)).intoArray(ws, a + 10 * L);
    a21.add(FloatVector.fromArray(SPECIES, ws, a + 11 * L)).intoArray(ws, a + 11 * L);
    a22.add(FloatVector.fromArray(SPECIES, ws, a + 12 * L)).intoArray(ws, a + 12 * L);
    a23.add(FloatVector.fromArray(SPECIES, ws, a + 13 * L)).intoArray(ws, a + 13 * L);
    a24.add(FloatVector.fromArray(SPECIES, ws, a + 14 * L)).intoArray(ws, a + 14 * L);
  }
}
