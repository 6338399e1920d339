package io.convoy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorSpecies;

/**
 * Direct convolution for stride 1 and few channels (LeNet-5's 5x5 layers, a first layer with one
 * input channel): forward, backward-data and backward-weights without im2col. Reached only through
 * {@link Conv2d}, which decides when it applies ({@link Conv2d#usesDirect}); {@link ScalarConv2d}
 * is its twin (the tests compare them at awkward sizes and with finite differences).
 *
 * <p>Flattened rows. Each input channel is copied into a zero-padded plane of row width
 * {@code wp = w + 2*padW}, rows laid end to end. With stride 1, output (p, q) of tap (r, s) reads
 * plane position {@code (p + r) * wp + q + s = j + r * wp + s} with {@code j = p * wp + q}: every tap
 * is the same contiguous run of the plane, shifted. So one vector of L consecutive j (an output row
 * and the start of the next) is one unaligned vector load per tap, for any image width; the
 * {@code wp - q} positions per row past the output's edge are computed and thrown away (12% for
 * LeNet-5's conv1, 29% for its conv2).
 *
 * <ul>
 *   <li>forward: {@code out_k[j] = sum_{c, r, s} w[k, c, r, s] * plane_c[j + r*wp + s]}, 3 output
 *       channels x 4 vectors of j per register block (12 accumulators; per tap 4 loads, 3 weight
 *       broadcasts, 12 FMAs), or 4 x 3 when that pads the channel count less (16, 32 channels); the
 *       last one or two vectors of j one at a time; into a staging buffer of one block of channels,
 *       then row by row into NCHW (+ bias);</li>
 *   <li>backward-data: for stride 1 the input gradient is a convolution of dOut with the kernels
 *       flipped and in/out channels swapped, padding {@code r - 1 - pad}: the forward again;</li>
 *   <li>backward-weights: {@code dW[k, c, r, s] = sum_n sum_j g_k[j] * plane_c[j + r*wp + s]}, where
 *       g is dOut in the same flattened layout with zeros past each row's end; per (3 output
 *       channels, input channel, 5 taps) 15 vector accumulators run over j and over the batch
 *       (kept in the workspace between images) and are summed across lanes, in double, at the
 *       end. No transposed operand and no packing: the products of one call are the whole
 *       batch's.</li>
 * </ul>
 *
 * <p>Specialised kernels take over where they were measured faster (each class says when):
 * {@link ChannelVectorConv} runs the forward and backward-weights with the output channels in the
 * lanes when K is a multiple of the lane count and the kernel 5 wide (LeNet-5's conv2, whose
 * 10-wide output rows would waste 29% of the lanes here); {@link ShiftedPlaneConv} runs the forward
 * of layers with at most 9 taps per output (the reference CNN's conv1) on column-shifted copies of
 * the input, and {@link ShiftedPlaneGrad} their backward-weights (with the bias gradient, reading dOut
 * in place); {@link DirectConvRows} runs backward-data when an input row fits one vector, summing
 * only the kernel rows that reach each row instead of convolving a zero-padded dOut. The kernels
 * below run everything else.
 *
 * <p>Everything lives in the caller's workspace ({@link #workspaceSize}); nothing is allocated per
 * call. The direct sums run in float over c, r, s (forward) or j and the batch (weights, in L lanes),
 * so rounding is that of a plain dot product of that length.
 */
final class DirectConv {
  private static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  private static final int L = SPECIES.length();
  /** Output channels per accumulator block (weights) and per forward register block, or {@link #KB4}. */
  private static final int KB = 3;
  /** Output channels per forward register block when 4 pad the channel count less than 3 do (16, 32). */
  private static final int KB4 = 4;
  /** Vectors of j per forward register block. */
  private static final int JB = 4;
  /** Taps per weight-gradient accumulator block (one row of a 5x5 kernel; 9 taps of a 3x3 in 2 blocks). */
  private static final int TB = 5;

  private DirectConv() {}

  private static int roundUp(int x, int step) {
    return (x + step - 1) / step * step;
  }

  // ---- geometry of one forward-style pass (shared by workspaceSize and the passes) ----

  /** Flattened output positions computed per output channel: P rows of wp, at least one block. */
  private static int jTotal(int outH, int wp) {
    return Math.max(roundUp(outH * wp, L), JB * L);
  }

  /** Floats per padded input plane: every j < jTotal plus the largest tap shift, rounded to L. */
  private static int planeSize(int jTot, int r, int s, int wp) {
    return roundUp(jTot + (r - 1) * wp + s - 1, L);
  }

  /** Output channels per forward register block for outC channels: 4 (x 3 vectors) or 3 (x 4 vectors). */
  private static int forwardBlock(int outC) {
    return roundUp(outC, KB4) < roundUp(outC, KB) ? KB4 : KB;
  }

  /** Floats the forward-style pass needs: packed weights, padded planes, staging (one block of channels). */
  private static long coreSize(int inC, int outC, int r, int s, int outH, int wp) {
    int jTot = jTotal(outH, wp);
    int kb = forwardBlock(outC);
    int kp = roundUp(outC, kb);
    return (long) kp * inC * r * s + (long) inC * planeSize(jTot, r, s, wp) + (long) kb * jTot;
  }

  private static long weightGradSize(ConvShape sh) {
    int wp = sh.w() + 2 * sh.padW();
    int jTot = jTotal(sh.p(), wp);
    int kp = roundUp(sh.k(), KB);
    int groups = (sh.r() * sh.s() + TB - 1) / TB;
    long acc = (long) (kp / KB) * sh.c() * groups * KB * TB * L;
    return (long) sh.c() * planeSize(jTot, sh.r(), sh.s(), wp) + (long) kp * jTot + acc;
  }

  /** Workspace floats for all three passes of shape s (the largest of the three). */
  static int workspaceSize(ConvShape sh) {
    boolean channelVector = ChannelVectorConv.applies(sh);
    long fwd = channelVector ? ChannelVectorConv.workspaceSize(sh)
        : ShiftedPlaneConv.applies(sh) ? ShiftedPlaneConv.workspaceSize(sh)
        : coreSize(sh.c(), sh.k(), sh.r(), sh.s(), sh.p(), sh.w() + 2 * sh.padW());
    long bwdData = DirectConvRows.applies(sh) ? DirectConvRows.workspaceSize(sh)
        : coreSize(sh.k(), sh.c(), sh.r(), sh.s(), sh.h(), sh.q() + 2 * (sh.s() - 1 - sh.padW()));
    long wGrad = channelVector ? ChannelVectorConv.workspaceSize(sh)
        : ShiftedPlaneGrad.applies(sh) ? ShiftedPlaneGrad.workspaceSize(sh) : weightGradSize(sh);
    long size = Math.max(Math.max(fwd, bwdData), wGrad);
    ConvShape.checkIntSize("direct conv workspace", size);
    return (int) size;
  }

  // ---- the passes ----

  // in is (N, C, H, W), weight (K, C, R, S) at wOff, bias (K) at bOff or null; overwrites out (N, K, P, Q).
  static void forward(float[] out, float[] in, float[] w, int wOff, float[] bias, int bOff, ConvShape sh,
      float[] ws) {
    if (ChannelVectorConv.applies(sh)) {
      ChannelVectorConv.forward(out, in, w, wOff, bias, bOff, sh, ws);
      return;
    }
    if (ShiftedPlaneConv.applies(sh)) {
      ShiftedPlaneConv.forward(out, in, w, wOff, bias, bOff, sh, ws);
      return;
    }
    packWeights(w, wOff, sh.c(), sh.k(), sh.r() * sh.s(), false, forwardBlock(sh.k()), ws);
    convolve(in, sh.n(), sh.c(), sh.h(), sh.w(), sh.padH(), sh.padW(), sh.r(), sh.s(),
        out, sh.k(), sh.p(), sh.q(), bias, bOff, false, ws);
  }

  // dOut is (N, K, P, Q), weight (K, C, R, S) at wOff; ADDS into dIn (N, C, H, W).
  // dIn[n,c,y,x] = sum_{k,r,s} dOut[n,k,y+padH-r,x+padW-s] w[k,c,r,s]: a conv of dOut with
  // w'[c,k,r,s] = w[k,c,R-1-r,S-1-s] and padding R-1-padH, S-1-padW.
  static void backwardData(float[] dIn, float[] dOut, float[] w, int wOff, ConvShape sh, float[] ws) {
    if (DirectConvRows.applies(sh)) {
      DirectConvRows.backwardData(dIn, dOut, w, wOff, sh, ws);
      return;
    }
    packWeights(w, wOff, sh.k(), sh.c(), sh.r() * sh.s(), true, forwardBlock(sh.c()), ws);
    convolve(dOut, sh.n(), sh.k(), sh.p(), sh.q(), sh.r() - 1 - sh.padH(), sh.s() - 1 - sh.padW(), sh.r(), sh.s(),
        dIn, sh.c(), sh.h(), sh.w(), null, 0, true, ws);
  }

  /**
   * Whether {@link #backwardWeights} of sh also adds the bias gradient: {@link ShiftedPlaneGrad} sums it
   * in its pass over dOut. Otherwise it is Conv2d's job.
   */
  static boolean fusesBias(ConvShape sh) {
    return !ChannelVectorConv.applies(sh) && ShiftedPlaneGrad.applies(sh);
  }

  // dOut is (N, K, P, Q), in is (N, C, H, W); ADDS into dW (K, C, R, S) at dwOff, and when fusesBias(sh)
  // into dBias (K) at dbOff unless that is null.
  static void backwardWeights(float[] dW, int dwOff, float[] dBias, int dbOff, float[] dOut, float[] in,
      ConvShape sh, float[] ws) {
    if (ChannelVectorConv.applies(sh)) {
      ChannelVectorConv.backwardWeights(dW, dwOff, dOut, in, sh, ws);
      return;
    }
    if (ShiftedPlaneGrad.applies(sh)) {
      ShiftedPlaneGrad.backwardWeights(dW, dwOff, dBias, dbOff, dOut, in, sh, ws);
      return;
    }
    final int c = sh.c();
    final int k = sh.k();
    final int r = sh.r();
    final int s = sh.s();
    final int taps = r * s;
    final int p = sh.p();
    final int q = sh.q();
    final int wp = sh.w() + 2 * sh.padW();
    final int jTot = jTotal(p, wp);
    final int plane = planeSize(jTot, r, s, wp);
    final int kp = roundUp(k, KB);
    final int groups = (taps + TB - 1) / TB;
    // workspace: padded input planes | flattened dOut (kp rows of jTot) | accumulators
    final int gOff = c * plane;
    final int accOff = gOff + kp * jTot;
    final int accBlock = KB * TB * L;
    final int accLen = (kp / KB) * c * groups * accBlock;
    Arrays.fill(ws, 0, accOff + accLen, 0f);
    final int chw = c * sh.h() * sh.w();
    final int kpq = k * p * q;
    for (int img = 0; img < sh.n(); img++) {
      toPlanes(in, img * chw, c, sh.h(), sh.w(), ws, 0, plane, wp, sh.padH(), sh.padW());
      toPlanes(dOut, img * kpq, k, p, q, ws, gOff, jTot, wp, 0, 0);
      for (int kb = 0; kb < kp; kb += KB) {
        int g0 = gOff + kb * jTot;
        for (int ch = 0; ch < c; ch++) {
          int x = ch * plane;
          for (int grp = 0; grp < groups; grp++) {
            // the block's 5 taps; past the last tap, tap 0 again (its sums are never read)
            int t0 = grp * TB;
            int o0 = x + shift(t0, taps, s, wp);
            int o1 = x + shift(t0 + 1, taps, s, wp);
            int o2 = x + shift(t0 + 2, taps, s, wp);
            int o3 = x + shift(t0 + 3, taps, s, wp);
            int o4 = x + shift(t0 + 4, taps, s, wp);
            int a = accOff + ((kb / KB * c + ch) * groups + grp) * accBlock;
            FloatVector a00 = FloatVector.fromArray(SPECIES, ws, a);
            FloatVector a01 = FloatVector.fromArray(SPECIES, ws, a + L);
            FloatVector a02 = FloatVector.fromArray(SPECIES, ws, a + 2 * L);
            FloatVector a03 = FloatVector.fromArray(SPECIES, ws, a + 3 * L);
            FloatVector a04 = FloatVector.fromArray(SPECIES, ws, a + 4 * L);
            FloatVector a10 = FloatVector.fromArray(SPECIES, ws, a + 5 * L);
            FloatVector a11 = FloatVector.fromArray(SPECIES, ws, a + 6 * L);
            FloatVector a12 = FloatVector.fromArray(SPECIES, ws, a + 7 * L);
            FloatVector a13 = FloatVector.fromArray(SPECIES, ws, a + 8 * L);
            FloatVector a14 = FloatVector.fromArray(SPECIES, ws, a + 9 * L);
            FloatVector a20 = FloatVector.fromArray(SPECIES, ws, a + 10 * L);
            FloatVector a21 = FloatVector.fromArray(SPECIES, ws, a + 11 * L);
            FloatVector a22 = FloatVector.fromArray(SPECIES, ws, a + 12 * L);
            FloatVector a23 = FloatVector.fromArray(SPECIES, ws, a + 13 * L);
            FloatVector a24 = FloatVector.fromArray(SPECIES, ws, a + 14 * L);
            for (int j = 0; j < jTot; j += L) {
              FloatVector g0v = FloatVector.fromArray(SPECIES, ws, g0 + j);
              FloatVector g1v = FloatVector.fromArray(SPECIES, ws, g0 + jTot + j);
              FloatVector g2v = FloatVector.fromArray(SPECIES, ws, g0 + 2 * jTot + j);
              FloatVector x0 = FloatVector.fromArray(SPECIES, ws, o0 + j);
              a00 = g0v.fma(x0, a00);
              a10 = g1v.fma(x0, a10);
              a20 = g2v.fma(x0, a20);
              FloatVector x1 = FloatVector.fromArray(SPECIES, ws, o1 + j);
              a01 = g0v.fma(x1, a01);
              a11 = g1v.fma(x1, a11);
              a21 = g2v.fma(x1, a21);
              FloatVector x2 = FloatVector.fromArray(SPECIES, ws, o2 + j);
              a02 = g0v.fma(x2, a02);
              a12 = g1v.fma(x2, a12);
              a22 = g2v.fma(x2, a22);
              FloatVector x3 = FloatVector.fromArray(SPECIES, ws, o3 + j);
              a03 = g0v.fma(x3, a03);
              a13 = g1v.fma(x3, a13);
              a23 = g2v.fma(x3, a23);
              FloatVector x4 = FloatVector.fromArray(SPECIES, ws, o4 + j);
              a04 = g0v.fma(x4, a04);
              a14 = g1v.fma(x4, a14);
              a24 = g2v.fma(x4, a24);
            }
            a00.intoArray(ws, a);
            a01.intoArray(ws, a + L);
            a02.intoArray(ws, a + 2 * L);
            a03.intoArray(ws, a + 3 * L);
            a04.intoArray(ws, a + 4 * L);
            a10.intoArray(ws, a + 5 * L);
            a11.intoArray(ws, a + 6 * L);
            a12.intoArray(ws, a + 7 * L);
            a13.intoArray(ws, a + 8 * L);
            a14.intoArray(ws, a + 9 * L);
            a20.intoArray(ws, a + 10 * L);
            a21.intoArray(ws, a + 11 * L);
            a22.intoArray(ws, a + 12 * L);
            a23.intoArray(ws, a + 13 * L);
            a24.intoArray(ws, a + 14 * L);
          }
        }
      }
    }
    // dW[k, c, t] += the lanes of accumulator (k, c, t), summed in double
    for (int kk = 0; kk < k; kk++) {
      for (int ch = 0; ch < c; ch++) {
        for (int t = 0; t < taps; t++) {
          int a = accOff + ((kk / KB * c + ch) * groups + t / TB) * accBlock + ((kk % KB) * TB + t % TB) * L;
          double sum = 0;
          for (int lane = 0; lane < L; lane++) {
            sum += ws[a + lane];
          }
          dW[dwOff + (kk * c + ch) * taps + t] += (float) sum;
        }
      }
    }
  }

  /** Plane shift of tap t (row-major over R x S) for row width wp; tap 0's past the last tap. */
  private static int shift(int t, int taps, int s, int wp) {
    return t < taps ? (t / s) * wp + t % s : 0;
  }

  // The forward-style pass: in (n, inC, inH, inW) convolved with the kernels already packed at ws[0 ..)
  // (packWeights), padding (padH, padW), into out (n, outC, outH, outW): overwritten (+ bias) or added to.
  private static void convolve(float[] in, int n, int inC, int inH, int inW, int padH, int padW, int r, int s,
      float[] out, int outC, int outH, int outW, float[] bias, int bOff, boolean accumulate, float[] ws) {
    final int taps = r * s;
    final int wp = inW + 2 * padW;
    final int jTot = jTotal(outH, wp);
    final int plane = planeSize(jTot, r, s, wp);
    final int kbs = forwardBlock(outC);
    final int kp = roundUp(outC, kbs);
    final int jv = (kbs == KB4 ? 3 : JB) * L;
    // workspace: packed weights (kp x inC x taps) | padded planes | staging (kbs rows of jTot)
    final int planeOff = kp * inC * taps;
    final int stageOff = planeOff + inC * plane;
    Arrays.fill(ws, planeOff, stageOff, 0f);
    final int inImage = inC * inH * inW;
    final int outImage = outC * outH * outW;
    for (int img = 0; img < n; img++) {
      toPlanes(in, img * inImage, inC, inH, inW, ws, planeOff, plane, wp, padH, padW);
      for (int kb = 0; kb < kp; kb += kbs) {
        int wBase = kb * inC * taps;
        int st = stageOff;
        int wEnd = wBase + inC * taps * kbs;
        int whole = jTot / jv * jv;
        if (kbs == KB4) {
          // 3 vectors a block: at most 2 left over, done one by one
          for (int j0 = 0; j0 < whole; j0 += jv) {
            block4(ws, planeOff + j0, wBase, wEnd, r, s, wp, plane, st + j0, jTot);
          }
          for (int j0 = whole; j0 < jTot; j0 += L) {
            block41(ws, planeOff + j0, wBase, wEnd, r, s, wp, plane, st + j0, jTot);
          }
        } else {
          for (int j0 = 0; j0 < whole; j0 += jv) {
            block(ws, planeOff + j0, wBase, wEnd, r, s, wp, plane, st + j0, jTot);
          }
          if (jTot - whole > 2 * L) {
            // 3 vectors left: a last block overlapping the one before (same sums, written twice)
            block(ws, planeOff + jTot - jv, wBase, wEnd, r, s, wp, plane, st + jTot - jv, jTot);
          } else {
            for (int j0 = whole; j0 < jTot; j0 += L) {
              block1(ws, planeOff + j0, wBase, wEnd, r, s, wp, plane, st + j0, jTot);
            }
          }
        }
        fromStaging(ws, stageOff, jTot, wp, kb, Math.min(outC, kb + kbs), outH, outW, out, img * outImage, bias, bOff,
            accumulate);
      }
    }
  }

  // One register block of the forward: 3 output channels x 4 vectors of j, summed over all taps
  // (c, r, s) in ONE flat loop (the 12 accumulators stay in registers only when a single loop carries
  // them: with nested c, r, s loops C2 boxed them, 10x slower), stored at stage[o ..) (rows jTot apart).
  // Kept out of convolve so that its compiled code does not depend on the shapes seen by the copies.
  private static void block(float[] ws, int x0Start, int wBase, int wEnd, int r, int s, int wp, int plane, int o,
      int jTot) {
    FloatVector a00 = FloatVector.zero(SPECIES);
    FloatVector a01 = a00;
    FloatVector a02 = a00;
    FloatVector a03 = a00;
    FloatVector a10 = a00;
    FloatVector a11 = a00;
    FloatVector a12 = a00;
    FloatVector a13 = a00;
    FloatVector a20 = a00;
    FloatVector a21 = a00;
    FloatVector a22 = a00;
    FloatVector a23 = a00;
    int x = x0Start;
    int ss = 0;
    int rr = 0;
    for (int wi = wBase; wi < wEnd; wi += KB) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, ws, x);
      FloatVector x1 = FloatVector.fromArray(SPECIES, ws, x + L);
      FloatVector x2 = FloatVector.fromArray(SPECIES, ws, x + 2 * L);
      FloatVector x3 = FloatVector.fromArray(SPECIES, ws, x + 3 * L);
      FloatVector w0 = FloatVector.broadcast(SPECIES, ws[wi]);
      a00 = x0.fma(w0, a00);
      a01 = x1.fma(w0, a01);
      a02 = x2.fma(w0, a02);
      a03 = x3.fma(w0, a03);
      FloatVector w1 = FloatVector.broadcast(SPECIES, ws[wi + 1]);
      a10 = x0.fma(w1, a10);
      a11 = x1.fma(w1, a11);
      a12 = x2.fma(w1, a12);
      a13 = x3.fma(w1, a13);
      FloatVector w2 = FloatVector.broadcast(SPECIES, ws[wi + 2]);
      a20 = x0.fma(w2, a20);
      a21 = x1.fma(w2, a21);
      a22 = x2.fma(w2, a22);
      a23 = x3.fma(w2, a23);
      // next tap: along the row, then down a row, then to the next channel's plane
      x++;
      if (++ss == s) {
        ss = 0;
        x += wp - s;
        if (++rr == r) {
          rr = 0;
          x += plane - r * wp;
        }
      }
    }
    a00.intoArray(ws, o);
    a01.intoArray(ws, o + L);
    a02.intoArray(ws, o + 2 * L);
    a03.intoArray(ws, o + 3 * L);
    a10.intoArray(ws, o + jTot);
    a11.intoArray(ws, o + jTot + L);
    a12.intoArray(ws, o + jTot + 2 * L);
    a13.intoArray(ws, o + jTot + 3 * L);
    a20.intoArray(ws, o + 2 * jTot);
    a21.intoArray(ws, o + 2 * jTot + L);
    a22.intoArray(ws, o + 2 * jTot + 2 * L);
    a23.intoArray(ws, o + 2 * jTot + 3 * L);
  }

  // block for one vector of j (the last one or two of a row of blocks): 3 accumulators.
  private static void block1(float[] ws, int x0Start, int wBase, int wEnd, int r, int s, int wp, int plane, int o,
      int jTot) {
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    int x = x0Start;
    int ss = 0;
    int rr = 0;
    for (int wi = wBase; wi < wEnd; wi += KB) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, ws, x);
      a0 = x0.fma(FloatVector.broadcast(SPECIES, ws[wi]), a0);
      a1 = x0.fma(FloatVector.broadcast(SPECIES, ws[wi + 1]), a1);
      a2 = x0.fma(FloatVector.broadcast(SPECIES, ws[wi + 2]), a2);
      x++;
      if (++ss == s) {
        ss = 0;
        x += wp - s;
        if (++rr == r) {
          rr = 0;
          x += plane - r * wp;
        }
      }
    }
    a0.intoArray(ws, o);
    a1.intoArray(ws, o + jTot);
    a2.intoArray(ws, o + 2 * jTot);
  }

  // block for 4 output channels x 3 vectors of j (12 accumulators), weights packed 4 per tap.
  private static void block4(float[] ws, int x0Start, int wBase, int wEnd, int r, int s, int wp, int plane, int o,
      int jTot) {
    FloatVector a00 = FloatVector.zero(SPECIES);
    FloatVector a01 = a00;
    FloatVector a02 = a00;
    FloatVector a10 = a00;
    FloatVector a11 = a00;
    FloatVector a12 = a00;
    FloatVector a20 = a00;
    FloatVector a21 = a00;
    FloatVector a22 = a00;
    FloatVector a30 = a00;
    FloatVector a31 = a00;
    FloatVector a32 = a00;
    int x = x0Start;
    int ss = 0;
    int rr = 0;
    for (int wi = wBase; wi < wEnd; wi += KB4) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, ws, x);
      FloatVector x1 = FloatVector.fromArray(SPECIES, ws, x + L);
      FloatVector x2 = FloatVector.fromArray(SPECIES, ws, x + 2 * L);
      FloatVector w0 = FloatVector.broadcast(SPECIES, ws[wi]);
      a00 = x0.fma(w0, a00);
      a01 = x1.fma(w0, a01);
      a02 = x2.fma(w0, a02);
      FloatVector w1 = FloatVector.broadcast(SPECIES, ws[wi + 1]);
      a10 = x0.fma(w1, a10);
      a11 = x1.fma(w1, a11);
      a12 = x2.fma(w1, a12);
      FloatVector w2 = FloatVector.broadcast(SPECIES, ws[wi + 2]);
      a20 = x0.fma(w2, a20);
      a21 = x1.fma(w2, a21);
      a22 = x2.fma(w2, a22);
      FloatVector w3 = FloatVector.broadcast(SPECIES, ws[wi + 3]);
      a30 = x0.fma(w3, a30);
      a31 = x1.fma(w3, a31);
      a32 = x2.fma(w3, a32);
      x++;
      if (++ss == s) {
        ss = 0;
        x += wp - s;
        if (++rr == r) {
          rr = 0;
          x += plane - r * wp;
        }
      }
    }
    a00.intoArray(ws, o);
    a01.intoArray(ws, o + L);
    a02.intoArray(ws, o + 2 * L);
    a10.intoArray(ws, o + jTot);
    a11.intoArray(ws, o + jTot + L);
    a12.intoArray(ws, o + jTot + 2 * L);
    a20.intoArray(ws, o + 2 * jTot);
    a21.intoArray(ws, o + 2 * jTot + L);
    a22.intoArray(ws, o + 2 * jTot + 2 * L);
    a30.intoArray(ws, o + 3 * jTot);
    a31.intoArray(ws, o + 3 * jTot + L);
    a32.intoArray(ws, o + 3 * jTot + 2 * L);
  }

  // block4 for one vector of j: 4 accumulators.
  private static void block41(float[] ws, int x0Start, int wBase, int wEnd, int r, int s, int wp, int plane, int o,
      int jTot) {
    FloatVector a0 = FloatVector.zero(SPECIES);
    FloatVector a1 = a0;
    FloatVector a2 = a0;
    FloatVector a3 = a0;
    int x = x0Start;
    int ss = 0;
    int rr = 0;
    for (int wi = wBase; wi < wEnd; wi += KB4) {
      FloatVector x0 = FloatVector.fromArray(SPECIES, ws, x);
      a0 = x0.fma(FloatVector.broadcast(SPECIES, ws[wi]), a0);
      a1 = x0.fma(FloatVector.broadcast(SPECIES, ws[wi + 1]), a1);
      a2 = x0.fma(FloatVector.broadcast(SPECIES, ws[wi + 2]), a2);
      a3 = x0.fma(FloatVector.broadcast(SPECIES, ws[wi + 3]), a3);
      x++;
      if (++ss == s) {
        ss = 0;
        x += wp - s;
        if (++rr == r) {
          rr = 0;
          x += plane - r * wp;
        }
      }
    }
    a0.intoArray(ws, o);
    a1.intoArray(ws, o + jTot);
    a2.intoArray(ws, o + 2 * jTot);
    a3.intoArray(ws, o + 3 * jTot);
  }

  // ---- layout changes ----

  // src holds one image (ch, h, w) at srcOff; writes channel c's rows into dst at
  // dstOff + c * plane + (y + padH) * wp + padW + x. Only the image's own positions change: the
  // zero border comes from the caller's fill.
  static void toPlanes(float[] src, int srcOff, int ch, int h, int w, float[] dst, int dstOff, int plane,
      int wp, int padH, int padW) {
    if (w < L) {
      shortRows(src, srcOff, ch, h, w, dst, dstOff, plane, wp, padH, padW);
      return;
    }
    for (int c = 0; c < ch; c++) {
      int d = dstOff + c * plane + padH * wp + padW;
      int sp = srcOff + c * h * w;
      for (int y = 0; y < h; y++) {
        copyRow(src, sp + y * w, dst, d + y * wp, w);
      }
    }
  }

  // toPlanes for rows shorter than a vector (LeNet-5 conv2's 14 and 10): one vector per row, whose
  // lanes past the row take the destination's own values (a masked blend), so nothing outside the
  // row changes; element by element where a vector would reach past either array's end.
  private static void shortRows(float[] src, int srcOff, int ch, int h, int w, float[] dst, int dstOff, int plane,
      int wp, int padH, int padW) {
    final VectorMask<Float> row = SPECIES.indexInRange(0, w);
    for (int c = 0; c < ch; c++) {
      int d = dstOff + c * plane + padH * wp + padW;
      int sp = srcOff + c * h * w;
      for (int y = 0; y < h; y++) {
        int from = sp + y * w;
        int to = d + y * wp;
        if (from + L <= src.length && to + L <= dst.length) {
          FloatVector.fromArray(SPECIES, dst, to).blend(FloatVector.fromArray(SPECIES, src, from), row)
              .intoArray(dst, to);
        } else {
          for (int x = 0; x < w; x++) {
            dst[to + x] = src[from + x];
          }
        }
      }
    }
  }

  // dst[d ..< d + len] = src[s ..< s + len] for len >= L: whole vectors, the last one overlapping the
  // one before (same values written twice). (System.arraycopy costs more than this for the 16 to 32
  // floats of a row; shorter rows go through shortRows.)
  private static void copyRow(float[] src, int s, float[] dst, int d, int len) {
    for (int i = 0; i < len; i += L) {
      int at = Math.min(i, len - L);
      FloatVector.fromArray(SPECIES, src, s + at).intoArray(dst, d + at);
    }
  }

  // stage holds output channels k0 .. k1 - 1 of one image as rows of jTot flattened positions
  // (p * wp + q); writes the positions q < outW into out (outC, outH, outW) at outOff: overwritten
  // (+ bias) or added to.
  // Rows of at least a vector go by whole vectors, the last one overlapping the one before; when
  // adding, that last vector's sum is formed before the others are stored, so the overlap is written
  // twice with the same value instead of being added twice.
  private static void fromStaging(float[] stage, int stageOff, int jTot, int wp, int k0, int k1, int outH, int outW,
      float[] out, int outOff, float[] bias, int bOff, boolean accumulate) {
    final int last = outW - L;
    for (int k = k0; k < k1; k++) {
      float b = bias == null ? 0f : bias[bOff + k];
      FloatVector bv = FloatVector.broadcast(SPECIES, b);
      for (int y = 0; y < outH; y++) {
        int src = stageOff + (k - k0) * jTot + y * wp;
        int dst = outOff + (k * outH + y) * outW;
        if (last < 0) {
          for (int x = 0; x < outW; x++) {
            out[dst + x] = accumulate ? out[dst + x] + stage[src + x] : stage[src + x] + b;
          }
        } else if (accumulate) {
          FloatVector tail = FloatVector.fromArray(SPECIES, stage, src + last)
              .add(FloatVector.fromArray(SPECIES, out, dst + last));
          for (int x = 0; x < last; x += L) {
            FloatVector.fromArray(SPECIES, stage, src + x).add(FloatVector.fromArray(SPECIES, out, dst + x))
                .intoArray(out, dst + x);
          }
          tail.intoArray(out, dst + last);
        } else {
          for (int x = 0; x < last; x += L) {
            FloatVector.fromArray(SPECIES, stage, src + x).add(bv).intoArray(out, dst + x);
          }
          FloatVector.fromArray(SPECIES, stage, src + last).add(bv).intoArray(out, dst + last);
        }
      }
    }
  }

  // Kernels as the forward's register blocks of kbs channels want them:
  // ws[((k / kbs) * inC + c) * taps * kbs + t * kbs + k % kbs]
  // for out-channel k (block kb), in-channel c, tap t; zero for out-channels past outC. The kernel of
  // (out k, in c) is w[k, c, t] (weight (outC, inC, R, S)), or, with flip, w[c, k, taps-1-t]
  // (weight (inC, outC, R, S): backward-data's flipped, transposed kernels).
  private static void packWeights(float[] w, int wOff, int inC, int outC, int taps, boolean flip, int kbs,
      float[] ws) {
    final int kp = roundUp(outC, kbs);
    for (int k = 0; k < kp; k++) {
      for (int c = 0; c < inC; c++) {
        int dst = ((k / kbs) * inC + c) * taps * kbs + k % kbs;
        for (int t = 0; t < taps; t++) {
          float v = 0f;
          if (k < outC) {
            v = flip ? w[wOff + (c * outC + k) * taps + taps - 1 - t] : w[wOff + (k * inC + c) * taps + t];
          }
          ws[dst + t * kbs] = v;
        }
      }
    }
  }
}
