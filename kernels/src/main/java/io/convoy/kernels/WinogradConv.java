package io.convoy.kernels;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * Winograd F(4x4, 3x3) convolution (Lavin and Gray, "Fast Algorithms for Convolutional Neural
 * Networks", 2016) for 3x3 kernels with stride 1: forward, backward-data and backward-weights, all
 * three as "transform, 36 small GEMMs, transform back". Reached only through {@link Conv2d}, which
 * decides when it applies ({@link Conv2d#usesWinograd}: padding at most 2, because backward-data
 * pads by 2 - pad); {@link ScalarConv2d} is its twin (the tests compare
 * them at awkward sizes and with finite differences).
 *
 * <p>A 4x4 output tile of one channel pair is {@code Y = A^T [(G g G^T) . (B^T d B)] A}, where d is
 * the 6x6 input patch, g the 3x3 kernel and . the element-wise product. Over channels the
 * element-wise products become, for each of the 36 positions xi of the 6x6 transform domain, one
 * GEMM {@code M_xi (tiles x K) = V_xi (tiles x C) * U_xi (C x K)}: 36 multiplies per 16 outputs
 * instead of 144 (4x fewer; on a 14x14 image, covered by 16x16 of tiles, 3.06x). The GEMMs run on
 * {@link VectorGemm#kernel}, the register-blocked micro-kernel of the SGEMM, reading V in place and U
 * from panels this class lays out itself, so nothing is packed twice.
 *
 * <ul>
 *   <li>forward: input patches to V, weights to U, GEMMs, output transform (+ bias) into NCHW;</li>
 *   <li>backward-data: for stride 1 the input gradient is a 3x3 convolution of dOut with the kernels
 *       flipped and in/out channels swapped, padding {@code 2 - pad}: the forward machinery again;</li>
 *   <li>backward-weights: the adjoint of the forward in the weights,
 *       {@code dg = G^T [sum over tiles (A dy A^T) . (B^T d B)] G}; the sum over tiles is, per xi, a
 *       GEMM {@code dU_xi (K x C) += Mdy_xi^T (K x tiles) * V_xi (tiles x C)} whose inner dimension
 *       is the number of tiles: long products, unlike im2col's per-image ones.</li>
 * </ul>
 *
 * <p>Layouts. Transforms work on vectors of channels, so each image is first copied into a padded
 * (y, x, channel) buffer (channel counts rounded up to the GEMM panel width {@link VectorGemm#NR}
 * with zeros; borders are the zero padding); outputs are transformed into a (position, channel)
 * staging buffer and copied back to NCHW. Both layout changes run as 16 x 16 (AVX-512) or 8 x 8
 * (AVX2) in-register transposes ({@link VectorTranspose}), plain loops on other species; with the loops
 * they cost about as much as the GEMMs (docs/benchmarks.md). Images are processed in small blocks
 * (one 14x14 image of the reference CNN's conv2 per block in the forward-style passes, three in
 * backward-weights) whose transform-domain buffers (V, M: 36 x tiles x channels) stay in cache; the
 * 36 planes of U, V and M are spaced by a multiple of 4 KB plus a cache line, so that the transforms'
 * stores to six planes at a time do not compete for the same L1 sets. All buffers live in the
 * caller's workspace ({@link #workspaceSize}); per call only the small table of padded offsets is
 * allocated.
 *
 * <p>Rounding: the transforms multiply by up to 8 (A) and 5 (B) and divide by 24 (G), so results
 * differ from direct summation by a few float ulps of the largest intermediate, typically 1e-6 to
 * 1e-5 relative to the output's scale for the layer sizes used here (the tests state the bounds).
 */
final class WinogradConv {
  private static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  private static final int L = SPECIES.length();
  private static final int MR = VectorGemm.MR;
  private static final int NR = VectorGemm.NR;
  /** Positions of the 6x6 transform domain. */
  private static final int XI = 36;
  /** Output tile edge (m in F(m, r)). */
  private static final int TILE = 4;
  /**
   * Floats of V + M per block of images (at least one image) in the forward-style passes. 48K floats
   * (192 KB) keeps one image of the reference CNN's conv2 per block; three images measured no faster.
   */
  private static final int BLOCK_FLOATS = 48 * 1024;
  /**
   * The same for backward-weights, whose GEMMs run over the block's tiles (their inner dimension):
   * 170K floats, three images of conv2, measured 10-15% faster than one (fewer loads and stores of
   * the dU accumulators per multiply).
   */
  private static final int WEIGHT_GRAD_BLOCK_FLOATS = 170 * 1024;
  /** Scratch floats: 36 transform vectors. */
  private static final int SCRATCH = XI * L;
  /** Fewest input and output channels for which the transforms pay off (below: im2col). */
  static final int MIN_CHANNELS = 8;

  private WinogradConv() {}

  private static int roundUp(int x, int step) {
    return (x + step - 1) / step * step;
  }

  private static int ceilDiv(int x, int y) {
    return (x + y - 1) / y;
  }

  // ---- sizes (shared by workspaceSize and the passes, so they always agree) ----

  /**
   * Floats from one transformed-weight plane U_xi to the next: cq * kq plus one cache line, so that
   * the 36 planes, written side by side by {@link #transformWeights}, do not all map to the same L1
   * sets (cq * kq is a multiple of 1,024 floats, 4 KB, for the usual channel counts; with that
   * stride the weight transform measured 0.47 ms of the reference CNN's 4 ms conv2 forward).
   */
  private static int uStride(int cq, int kq) {
    return cq * kq + 16;
  }

  /**
   * Floats from one transform-domain plane (V_xi or M_xi: tb tiles x ch channels) to the next, padded
   * by a cache line for the same reason as {@link #uStride}: the transforms store to 6 of the 36
   * planes at a time, and with a stride of a multiple of 4 KB (three images of the reference CNN's
   * conv2) they measured 2.5-6x slower.
   */
  private static int planeStride(int tb, int ch) {
    return tb * ch + 16;
  }

  /** Images per block for tpi tiles per image and cq + kq channels in the transform domain. */
  private static int blockImages(int n, int tpi, int cq, int kq, int budget) {
    int g = budget / (XI * tpi * (cq + kq));
    return Math.max(1, Math.min(n, g));
  }

  /** Floats the forward-style pass needs: inC channels of inH x inW in, outC of outH x outW out. */
  private static long coreSize(int n, int inC, int outC, int outH, int outW) {
    int cq = roundUp(inC, NR);
    int kq = roundUp(outC, NR);
    int ty = ceilDiv(outH, TILE);
    int tx = ceilDiv(outW, TILE);
    int tpi = ty * tx;
    int tb = roundUp(blockImages(n, tpi, cq, kq, BLOCK_FLOATS) * tpi, MR);
    long hwc = (long) (TILE * ty + 2) * (TILE * tx + 2) * cq;
    long stage = (long) outH * outW * kq;
    return (long) XI * (uStride(cq, kq) + planeStride(tb, cq) + planeStride(tb, kq)) + hwc + stage + SCRATCH;
  }

  private static long weightGradSize(ConvShape s) {
    int cq = roundUp(s.c(), NR);
    int kq = roundUp(s.k(), NR);
    int kr = roundUp(s.k(), MR);
    int ty = ceilDiv(s.p(), TILE);
    int tx = ceilDiv(s.q(), TILE);
    int tpi = ty * tx;
    int tb = roundUp(blockImages(s.n(), tpi, cq, kq, WEIGHT_GRAD_BLOCK_FLOATS) * tpi, MR);
    long hwc = (long) (TILE * ty + 2) * (TILE * tx + 2) * cq;
    long dy = (long) TILE * ty * TILE * tx * kq;
    return (long) XI * (kr * cq + planeStride(tb, cq) + planeStride(tb, kq)) + hwc + dy + SCRATCH;
  }

  /** Workspace floats for all three passes of shape s (the largest of the three). */
  static int workspaceSize(ConvShape s) {
    long fwd = coreSize(s.n(), s.c(), s.k(), s.p(), s.q());
    long bwdData = coreSize(s.n(), s.k(), s.c(), s.h(), s.w());
    long size = Math.max(Math.max(fwd, bwdData), weightGradSize(s));
    ConvShape.checkIntSize("Winograd conv workspace", size);
    return (int) size;
  }

  // ---- the passes ----

  // in is (N, C, H, W), weight (K, C, 3, 3) at wOff, bias (K) at bOff or null; overwrites out (N, K, P, Q).
  static void forward(float[] out, float[] in, float[] w, int wOff, float[] bias, int bOff, ConvShape s,
      float[] ws) {
    transformWeights(w, wOff, s.c(), s.k(), false, ws, 0);
    convolve(in, s.n(), s.c(), s.h(), s.w(), s.padH(), s.padW(), out, s.k(), s.p(), s.q(), bias, bOff, false, ws);
  }

  // dOut is (N, K, P, Q), weight (K, C, 3, 3) at wOff; ADDS into dIn (N, C, H, W).
  // dIn[n,c,y,x] = sum_{k,r,s} dOut[n,k,y+padH-r,x+padW-s] w[k,c,r,s]: a 3x3 conv of dOut with
  // w'[c,k,r,s] = w[k,c,2-r,2-s] and padding 2 - pad.
  static void backwardData(float[] dIn, float[] dOut, float[] w, int wOff, ConvShape s, float[] ws) {
    transformWeights(w, wOff, s.k(), s.c(), true, ws, 0);
    convolve(dOut, s.n(), s.k(), s.p(), s.q(), 2 - s.padH(), 2 - s.padW(), dIn, s.c(), s.h(), s.w(), null, 0, true,
        ws);
  }

  // dOut is (N, K, P, Q), in is (N, C, H, W); ADDS into dW (K, C, 3, 3) at dwOff. Bias: Conv2d's job.
  static void backwardWeights(float[] dW, int dwOff, float[] dOut, float[] in, ConvShape s, float[] ws) {
    final int n = s.n();
    final int c = s.c();
    final int k = s.k();
    final int cq = roundUp(c, NR);
    final int kq = roundUp(k, NR);
    final int kr = roundUp(k, MR);
    final int p = s.p();
    final int q = s.q();
    final int ty = ceilDiv(p, TILE);
    final int tx = ceilDiv(q, TILE);
    final int tpi = ty * tx;
    final int g = blockImages(n, tpi, cq, kq, WEIGHT_GRAD_BLOCK_FLOATS);
    final int tb = roundUp(g * tpi, MR);
    final int hp = TILE * ty + 2;
    final int wp = TILE * tx + 2;
    final int dyH = TILE * ty;
    final int dyW = TILE * tx;
    // workspace: dU | padded input (hp, wp, cq) | padded dOut (dyH, dyW, kq) | V | Mdy | scratch
    final int duOff = 0;
    final int hwcOff = duOff + XI * kr * cq;
    final int dyOff = hwcOff + hp * wp * cq;
    final int vOff = dyOff + dyH * dyW * kq;
    final int mOff = vOff + XI * planeStride(tb, cq);
    final int scratch = mOff + XI * planeStride(tb, kq);
    Arrays.fill(ws, duOff, duOff + XI * kr * cq, 0f);
    Arrays.fill(ws, hwcOff, hwcOff + hp * wp * cq, 0f);
    Arrays.fill(ws, dyOff, dyOff + dyH * dyW * kq, 0f);
    final int chw = c * s.h() * s.w();
    final int kpq = k * p * q;
    // V for this pass is laid out as B panels of the weight-gradient GEMM: [xi][c panel][tile][NR]
    final int vXi = planeStride(tb, cq);
    final int vPanel = tb * NR;
    final int mXi = planeStride(tb, kq);
    final int[] inOffs = paddedOffsets(s.h(), s.w(), wp, cq, s.padH(), s.padW());
    final int[] dyOffs = paddedOffsets(p, q, dyW, kq, 0, 0);
    for (int n0 = 0; n0 < n; n0 += g) {
      int images = Math.min(g, n - n0);
      int tiles = images * tpi;
      for (int i = 0; i < images; i++) {
        int img = n0 + i;
        toPadded(in, img * chw, c, s.h(), s.w(), ws, hwcOff, wp, cq, s.padH(), s.padW(), inOffs);
        inputTransform(ws, hwcOff, wp, cq, ty, tx, ws, vOff, vXi, vPanel, NR, i * tpi, scratch);
        toPadded(dOut, img * kpq, k, p, q, ws, dyOff, dyW, kq, 0, 0, dyOffs);
        outputGradTransform(ws, dyOff, dyW, kq, ty, tx, ws, mOff, mXi, i * tpi, scratch);
      }
      // rows past the last tile are a zero contribution to the sums over tiles
      if (tiles < tb) {
        for (int xi = 0; xi < XI; xi++) {
          for (int cp = 0; cp < cq; cp += NR) {
            int base = vOff + xi * vXi + (cp / NR) * vPanel;
            Arrays.fill(ws, base + tiles * NR, base + tb * NR, 0f);
          }
          Arrays.fill(ws, mOff + xi * mXi + tiles * kq, mOff + xi * mXi + tb * kq, 0f);
        }
      }
      // dU_xi (kr x cq) += Mdy_xi^T (k x tb) * V_xi (tb x cq)
      for (int xi = 0; xi < XI; xi++) {
        for (int cp = 0; cp < cq; cp += NR) {
          int bIdx = vOff + xi * vXi + (cp / NR) * vPanel;
          for (int r = 0; r < k; r += MR) {
            int mr = Math.min(MR, k - r);
            VectorGemm.kernel(tb, ws, mOff + xi * mXi + r, 1, kq, mr, ws, bIdx,
                ws, duOff + xi * kr * cq + r * cq + cp, cq, true);
          }
        }
      }
    }
    weightGradBack(ws, duOff, kr, cq, c, k, dW, dwOff);
  }

  // The forward-style pass: in (n, inC, inH, inW) convolved with the kernels already transformed into
  // ws[0 ..) (U), padding (padH, padW), into out (n, outC, outH, outW): overwritten (+ bias) or added to.
  private static void convolve(float[] in, int n, int inC, int inH, int inW, int padH, int padW,
      float[] out, int outC, int outH, int outW, float[] bias, int bOff, boolean accumulate, float[] ws) {
    final int cq = roundUp(inC, NR);
    final int kq = roundUp(outC, NR);
    final int ty = ceilDiv(outH, TILE);
    final int tx = ceilDiv(outW, TILE);
    final int tpi = ty * tx;
    final int g = blockImages(n, tpi, cq, kq, BLOCK_FLOATS);
    final int tb = roundUp(g * tpi, MR);
    final int hp = TILE * ty + 2;
    final int wp = TILE * tx + 2;
    // workspace: U (written by transformWeights) | padded input | V | M | staging | scratch
    final int hwcOff = XI * uStride(cq, kq);
    final int vOff = hwcOff + hp * wp * cq;
    final int mOff = vOff + XI * planeStride(tb, cq);
    final int stageOff = mOff + XI * planeStride(tb, kq);
    final int scratch = stageOff + outH * outW * kq;
    Arrays.fill(ws, hwcOff, hwcOff + hp * wp * cq, 0f);
    final int inImage = inC * inH * inW;
    final int outImage = outC * outH * outW;
    final int vXi = planeStride(tb, cq);
    final int mXi = planeStride(tb, kq);
    final int[] inOffs = paddedOffsets(inH, inW, wp, cq, padH, padW);
    for (int n0 = 0; n0 < n; n0 += g) {
      int images = Math.min(g, n - n0);
      for (int i = 0; i < images; i++) {
        toPadded(in, (n0 + i) * inImage, inC, inH, inW, ws, hwcOff, wp, cq, padH, padW, inOffs);
        // V row-major per xi: [xi][tile][cq] (panel stride NR: the panels sit side by side in a row),
        // the A operand read in place
        inputTransform(ws, hwcOff, wp, cq, ty, tx, ws, vOff, vXi, NR, cq, i * tpi, scratch);
      }
      // M_xi (tb x kq) = V_xi (tb x cq) * U_xi (cq x kq); rows past the last tile are ignored
      int rows = roundUp(images * tpi, MR);
      for (int xi = 0; xi < XI; xi++) {
        for (int jp = 0; jp < kq; jp += NR) {
          int bIdx = xi * uStride(cq, kq) + jp * cq;
          int aBase = vOff + xi * vXi;
          int cBase = mOff + xi * mXi + jp;
          for (int t = 0; t < rows; t += MR) {
            VectorGemm.kernel(cq, ws, aBase + t * cq, cq, 1, MR, ws, bIdx, ws, cBase + t * kq, kq, false);
          }
        }
      }
      for (int i = 0; i < images; i++) {
        outputTransform(ws, mOff, mXi, kq, i * tpi, ty, tx, outH, outW, ws, stageOff, scratch);
        fromStaging(ws, stageOff, kq, outC, outH * outW, out, (n0 + i) * outImage, bias, bOff, accumulate);
      }
    }
  }

  // ---- layout changes ----

  /**
   * Destination of each input position p (row-major, p < h * w) in the padded (rows, wp, cq) layout,
   * relative to the layout's start: {@code ((p / w + padH) * wp + padW + p % w) * cq}.
   */
  private static int[] paddedOffsets(int h, int w, int wp, int cq, int padH, int padW) {
    int[] offs = new int[h * w];
    for (int p = 0; p < offs.length; p++) {
      offs[p] = ((p / w + padH) * wp + padW + p % w) * cq;
    }
    return offs;
  }

  // src holds one image (ch, h, w) at srcOff; writes it into dst (rows, wp, cq) at dstOff with its
  // top-left corner at (padH, padW) (offs: paddedOffsets). Only the image's own positions and
  // channels are written: the zero border and zero channels past ch come from the caller's fill.
  // Blocks of b channels x b positions (b = VectorTranspose.BLOCK, the lane count) are transposed in
  // registers (the last block of positions overlaps the one before it: a copy, so writing some
  // positions twice is harmless); channels past the last whole block, and all channels where there
  // are no transposes, go through plain loops, 16 channels at a time row by row so the destination
  // lines being filled stay in L1.
  private static void toPadded(float[] src, int srcOff, int ch, int h, int w, float[] dst, int dstOff, int wp,
      int cq, int padH, int padW, int[] offs) {
    final int hw = h * w;
    final int b = VectorTranspose.BLOCK;
    final int blocked = b > 0 && hw >= b ? ch - ch % b : 0;
    for (int cb = 0; cb < blocked; cb += b) {
      for (int pos = 0; pos < hw; pos += b) {
        int p0 = Math.min(pos, hw - b);
        VectorTranspose.toRows(src, srcOff + cb * hw + p0, hw, dst, offs, p0, dstOff + cb);
      }
    }
    for (int cb = blocked; cb < ch; cb += 16) {
      int ce = Math.min(ch, cb + 16);
      for (int y = 0; y < h; y++) {
        int row = dstOff + ((y + padH) * wp + padW) * cq;
        for (int c = cb; c < ce; c++) {
          int sp = srcOff + c * hw + y * w;
          int d = row + c;
          for (int x = 0; x < w; x++) {
            dst[d + x * cq] = src[sp + x];
          }
        }
      }
    }
  }

  // stage holds one image's result as (pq positions, kq channels) at stageOff; writes it into out
  // (outC, pq) at outOff: overwritten (+ bias) or added to (accumulate). Blocks of b positions x b
  // channels (b = VectorTranspose.BLOCK) are transposed in registers; the rest, in blocks of up to
  // b x b (16 x 16 where there are no transposes), by plain loops, so that the staging rows read and
  // the output rows written stay in L1.
  private static void fromStaging(float[] stage, int stageOff, int kq, int outC, int pq, float[] out, int outOff,
      float[] bias, int bOff, boolean accumulate) {
    final int b = VectorTranspose.BLOCK;
    final int step = b > 0 ? b : 16;
    for (int kb = 0; kb < outC; kb += step) {
      int ke = Math.min(outC, kb + step);
      for (int pb = 0; pb < pq; pb += step) {
        int pe = Math.min(pq, pb + step);
        if (ke - kb == b && pe - pb == b) {
          VectorTranspose.toRowsAdding(stage, stageOff + pb * kq + kb, kq, out, outOff + kb * pq + pb, pq, bias,
              bOff + kb, accumulate);
          continue;
        }
        for (int k = kb; k < ke; k++) {
          int o = outOff + k * pq;
          int src = stageOff + k;
          if (accumulate) {
            for (int pos = pb; pos < pe; pos++) {
              out[o + pos] += stage[src + pos * kq];
            }
          } else {
            float bk = bias == null ? 0f : bias[bOff + k];
            for (int pos = pb; pos < pe; pos++) {
              out[o + pos] = stage[src + pos * kq] + bk;
            }
          }
        }
      }
    }
  }

  // ---- transforms (vectors of L channels) ----
  //
  // The 1-D transforms are written out inside the loops, with constants broadcast once per call and
  // only vector-vector operations (fma, add, sub): every vector stays in one compiled method and the
  // Vector API call chains stay short. Helper methods per transform, or lanewise ops with a scalar
  // operand (mul(4f)), measured up to 2x slower after other kernels had run in the same JVM: C2 then
  // left some of those calls un-intrinsified and ran the Vector API's boxing fallback.

  // Input transform B^T d B of every tile of one image in the padded buffer (.., wp, cq) at hwcOff.
  // Tile t (row-major over ty x tx, numbered from t0) position xi, channel c goes to
  // v[vOff + xi * vXi + (c / NR) * vPanel + t * vRow + c % NR]. scratch: 36 vectors.
  // 1-D: B^T = [4 0 -5 0 1 0; 0 -4 -4 1 1 0; 0 4 -4 -1 1 0; 0 -2 -1 2 1 0; 0 2 -1 -2 1 0; 0 4 0 -5 0 1],
  // y0 = 4x0 - 5x2 + x4, y1,2 = (x4 - 4x2) +- (x3 - 4x1), y3,4 = (x4 - x2) +- 2(x3 - x1), y5 = 4x1 - 5x3 + x5.
  private static void inputTransform(float[] hwc, int hwcOff, int wp, int cq, int ty, int tx, float[] v,
      int vOff, int vXi, int vPanel, int vRow, int t0, int scratch) {
    final FloatVector p2 = FloatVector.broadcast(SPECIES, 2f);
    final FloatVector m2 = FloatVector.broadcast(SPECIES, -2f);
    final FloatVector p4 = FloatVector.broadcast(SPECIES, 4f);
    final FloatVector m4 = FloatVector.broadcast(SPECIES, -4f);
    final FloatVector m5 = FloatVector.broadcast(SPECIES, -5f);
    final int rowStride = wp * cq;
    for (int a = 0; a < ty; a++) {
      for (int b = 0; b < tx; b++) {
        int t = t0 + a * tx + b;
        int patch = hwcOff + (TILE * a * wp + TILE * b) * cq;
        for (int c = 0; c < cq; c += L) {
          // columns: tmp[m][j] = sum_i B^T[m][i] d[i][j], into scratch + m * 6L + j * L
          for (int j = 0; j < 6; j++) {
            int i0 = patch + j * cq + c;
            FloatVector x0 = FloatVector.fromArray(SPECIES, hwc, i0);
            FloatVector x1 = FloatVector.fromArray(SPECIES, hwc, i0 + rowStride);
            FloatVector x2 = FloatVector.fromArray(SPECIES, hwc, i0 + 2 * rowStride);
            FloatVector x3 = FloatVector.fromArray(SPECIES, hwc, i0 + 3 * rowStride);
            FloatVector x4 = FloatVector.fromArray(SPECIES, hwc, i0 + 4 * rowStride);
            FloatVector x5 = FloatVector.fromArray(SPECIES, hwc, i0 + 5 * rowStride);
            FloatVector e0 = x2.fma(m4, x4);
            FloatVector e1 = x1.fma(m4, x3);
            FloatVector e2 = x4.sub(x2);
            FloatVector e3 = x3.sub(x1);
            int o = scratch + j * L;
            x0.fma(p4, x2.fma(m5, x4)).intoArray(v, o);
            e0.add(e1).intoArray(v, o + 6 * L);
            e0.sub(e1).intoArray(v, o + 12 * L);
            e3.fma(p2, e2).intoArray(v, o + 18 * L);
            e3.fma(m2, e2).intoArray(v, o + 24 * L);
            x1.fma(p4, x3.fma(m5, x5)).intoArray(v, o + 30 * L);
          }
          // rows: V[m][n] = sum_j tmp[m][j] B[j][n]
          int dst = vOff + (c / NR) * vPanel + t * vRow + c % NR;
          for (int m = 0; m < 6; m++) {
            int i0 = scratch + m * 6 * L;
            FloatVector x0 = FloatVector.fromArray(SPECIES, v, i0);
            FloatVector x1 = FloatVector.fromArray(SPECIES, v, i0 + L);
            FloatVector x2 = FloatVector.fromArray(SPECIES, v, i0 + 2 * L);
            FloatVector x3 = FloatVector.fromArray(SPECIES, v, i0 + 3 * L);
            FloatVector x4 = FloatVector.fromArray(SPECIES, v, i0 + 4 * L);
            FloatVector x5 = FloatVector.fromArray(SPECIES, v, i0 + 5 * L);
            FloatVector e0 = x2.fma(m4, x4);
            FloatVector e1 = x1.fma(m4, x3);
            FloatVector e2 = x4.sub(x2);
            FloatVector e3 = x3.sub(x1);
            int o = dst + m * 6 * vXi;
            x0.fma(p4, x2.fma(m5, x4)).intoArray(v, o);
            e0.add(e1).intoArray(v, o + vXi);
            e0.sub(e1).intoArray(v, o + 2 * vXi);
            e3.fma(p2, e2).intoArray(v, o + 3 * vXi);
            e3.fma(m2, e2).intoArray(v, o + 4 * vXi);
            x1.fma(p4, x3.fma(m5, x5)).intoArray(v, o + 5 * vXi);
          }
        }
      }
    }
  }

  // Output transform A^T M A of the tiles t0 .. t0 + ty*tx of one image, M at m[mOff + xi * mXi + t * kq + k],
  // into the image's staging rows stage[stageOff + (y * outW + x) * kq + k] (positions inside the output only).
  // 1-D: A^T = [1 1 1 1 1 0; 0 1 -1 2 -2 0; 0 1 1 4 4 0; 0 1 -1 8 -8 1], with s = x1 + x2, d = x1 - x2,
  // S = x3 + x4, D = x3 - x4: y0 = x0 + s + S, y1 = d + 2D, y2 = s + 4S, y3 = d + 8D + x5.
  private static void outputTransform(float[] m, int mOff, int mXi, int kq, int t0, int ty, int tx,
      int outH, int outW, float[] stage, int stageOff, int scratch) {
    final FloatVector p2 = FloatVector.broadcast(SPECIES, 2f);
    final FloatVector p4 = FloatVector.broadcast(SPECIES, 4f);
    final FloatVector p8 = FloatVector.broadcast(SPECIES, 8f);
    for (int a = 0; a < ty; a++) {
      for (int b = 0; b < tx; b++) {
        int t = t0 + a * tx + b;
        int rowsIn = Math.min(TILE, outH - TILE * a);
        int colsIn = Math.min(TILE, outW - TILE * b);
        boolean whole = rowsIn == TILE && colsIn == TILE;
        for (int k = 0; k < kq; k += L) {
          // columns: tmp[i][j] = sum_r A^T[i][r] M[r][j], i < 4, j < 6, into scratch + i * 6L + j * L
          int src = mOff + t * kq + k;
          for (int j = 0; j < 6; j++) {
            int i0 = src + j * mXi;
            FloatVector x0 = FloatVector.fromArray(SPECIES, m, i0);
            FloatVector x1 = FloatVector.fromArray(SPECIES, m, i0 + 6 * mXi);
            FloatVector x2 = FloatVector.fromArray(SPECIES, m, i0 + 12 * mXi);
            FloatVector x3 = FloatVector.fromArray(SPECIES, m, i0 + 18 * mXi);
            FloatVector x4 = FloatVector.fromArray(SPECIES, m, i0 + 24 * mXi);
            FloatVector x5 = FloatVector.fromArray(SPECIES, m, i0 + 30 * mXi);
            FloatVector s12 = x1.add(x2);
            FloatVector d12 = x1.sub(x2);
            FloatVector s34 = x3.add(x4);
            FloatVector d34 = x3.sub(x4);
            int o = scratch + j * L;
            x0.add(s12).add(s34).intoArray(m, o);
            d34.fma(p2, d12).intoArray(m, o + 6 * L);
            s34.fma(p4, s12).intoArray(m, o + 12 * L);
            d34.fma(p8, d12.add(x5)).intoArray(m, o + 18 * L);
          }
          // rows: Y[i][j] = sum_r tmp[i][r] A[r][j], i, j < 4; a whole tile goes straight to staging,
          // an edge tile through scratch (row i of Y over row i of tmp), keeping the positions inside
          int corner = stageOff + ((TILE * a) * outW + TILE * b) * kq + k;
          for (int i = 0; i < rowsIn; i++) {
            int i0 = scratch + i * 6 * L;
            FloatVector x0 = FloatVector.fromArray(SPECIES, m, i0);
            FloatVector x1 = FloatVector.fromArray(SPECIES, m, i0 + L);
            FloatVector x2 = FloatVector.fromArray(SPECIES, m, i0 + 2 * L);
            FloatVector x3 = FloatVector.fromArray(SPECIES, m, i0 + 3 * L);
            FloatVector x4 = FloatVector.fromArray(SPECIES, m, i0 + 4 * L);
            FloatVector x5 = FloatVector.fromArray(SPECIES, m, i0 + 5 * L);
            FloatVector s12 = x1.add(x2);
            FloatVector d12 = x1.sub(x2);
            FloatVector s34 = x3.add(x4);
            FloatVector d34 = x3.sub(x4);
            float[] dst = whole ? stage : m;
            int o = whole ? corner + i * outW * kq : i0;
            int step = whole ? kq : L;
            x0.add(s12).add(s34).intoArray(dst, o);
            d34.fma(p2, d12).intoArray(dst, o + step);
            s34.fma(p4, s12).intoArray(dst, o + 2 * step);
            d34.fma(p8, d12.add(x5)).intoArray(dst, o + 3 * step);
            if (!whole) {
              for (int j = 0; j < colsIn; j++) {
                FloatVector.fromArray(SPECIES, m, i0 + j * L).intoArray(stage, corner + (i * outW + j) * kq);
              }
            }
          }
        }
      }
    }
  }

  // Output-gradient transform A dy A^T (4x4 to 6x6) of every tile of one image in the padded buffer
  // (.., dyW, kq) at dyOff, to m[mOff + xi * mXi + t * kq + k] for tiles t0 ...
  // 1-D: z = A y (6 from 4): z0 = y0, z1,2 = (y0 + y2) +- (y1 + y3), z3,4 = (y0 + 4y2) +- 2(y1 + 4y3), z5 = y3.
  private static void outputGradTransform(float[] dy, int dyOff, int dyW, int kq, int ty, int tx, float[] m,
      int mOff, int mXi, int t0, int scratch) {
    final FloatVector p2 = FloatVector.broadcast(SPECIES, 2f);
    final FloatVector m2 = FloatVector.broadcast(SPECIES, -2f);
    final FloatVector p4 = FloatVector.broadcast(SPECIES, 4f);
    final int rowStride = dyW * kq;
    for (int a = 0; a < ty; a++) {
      for (int b = 0; b < tx; b++) {
        int t = t0 + a * tx + b;
        int patch = dyOff + (TILE * a * dyW + TILE * b) * kq;
        for (int k = 0; k < kq; k += L) {
          // columns: tmp[i][j] = sum_r A[i][r] dy[r][j], i < 6, j < 4, into scratch + i * 4L + j * L
          for (int j = 0; j < 4; j++) {
            int i0 = patch + j * kq + k;
            FloatVector y0 = FloatVector.fromArray(SPECIES, dy, i0);
            FloatVector y1 = FloatVector.fromArray(SPECIES, dy, i0 + rowStride);
            FloatVector y2 = FloatVector.fromArray(SPECIES, dy, i0 + 2 * rowStride);
            FloatVector y3 = FloatVector.fromArray(SPECIES, dy, i0 + 3 * rowStride);
            FloatVector e = y0.add(y2);
            FloatVector f = y1.add(y3);
            FloatVector g = y2.fma(p4, y0);
            FloatVector h = y3.fma(p4, y1);
            int o = scratch + j * L;
            y0.intoArray(m, o);
            e.add(f).intoArray(m, o + 4 * L);
            e.sub(f).intoArray(m, o + 8 * L);
            h.fma(p2, g).intoArray(m, o + 12 * L);
            h.fma(m2, g).intoArray(m, o + 16 * L);
            y3.intoArray(m, o + 20 * L);
          }
          // rows: Z[i][j] = sum_r tmp[i][r] A^T[r][j], j < 6
          int dst = mOff + t * kq + k;
          for (int i = 0; i < 6; i++) {
            int i0 = scratch + i * 4 * L;
            FloatVector y0 = FloatVector.fromArray(SPECIES, m, i0);
            FloatVector y1 = FloatVector.fromArray(SPECIES, m, i0 + L);
            FloatVector y2 = FloatVector.fromArray(SPECIES, m, i0 + 2 * L);
            FloatVector y3 = FloatVector.fromArray(SPECIES, m, i0 + 3 * L);
            FloatVector e = y0.add(y2);
            FloatVector f = y1.add(y3);
            FloatVector g = y2.fma(p4, y0);
            FloatVector h = y3.fma(p4, y1);
            int o = dst + i * 6 * mXi;
            y0.intoArray(m, o);
            e.add(f).intoArray(m, o + mXi);
            e.sub(f).intoArray(m, o + 2 * mXi);
            h.fma(p2, g).intoArray(m, o + 3 * mXi);
            h.fma(m2, g).intoArray(m, o + 4 * mXi);
            y3.intoArray(m, o + 5 * mXi);
          }
        }
      }
    }
  }

  // ---- weight transforms (scalar: K*C kernels, small next to the rest) ----

  private static final double[][] G = {
      {1 / 4.0, 0, 0},
      {-1 / 6.0, -1 / 6.0, -1 / 6.0},
      {-1 / 6.0, 1 / 6.0, -1 / 6.0},
      {1 / 24.0, 1 / 12.0, 1 / 6.0},
      {1 / 24.0, -1 / 12.0, 1 / 6.0},
      {0, 0, 1}};

  // U_xi = G g G^T for every kernel, written as the B panels of the forward GEMM:
  // u[uOff + xi * uStride(cq, kq) + (k / NR) * cq * NR + c * NR + k % NR] for in-channel c, out-channel k;
  // zero for the padding channels. The kernel g of (out k, in c) is w[k, c, r, s] (weight (outC, inC, 3, 3)),
  // or, with flip, w[c, k, 2-r, 2-s] (weight (inC, outC, 3, 3): backward-data's flipped, transposed kernels).
  private static void transformWeights(float[] w, int wOff, int inC, int outC, boolean flip, float[] u, int uOff) {
    final int cq = roundUp(inC, NR);
    final int kq = roundUp(outC, NR);
    final int xiStride = uStride(cq, kq);
    Arrays.fill(u, uOff, uOff + XI * xiStride, 0f);
    // c outer, k inner: consecutive kernels fill consecutive floats of each of the 36 U planes
    for (int c = 0; c < inC; c++) {
      for (int k = 0; k < outC; k++) {
        int base = flip ? wOff + (c * outC + k) * 9 : wOff + (k * inC + c) * 9;
        float g00 = w[base + (flip ? 8 : 0)];
        float g01 = w[base + (flip ? 7 : 1)];
        float g02 = w[base + (flip ? 6 : 2)];
        float g10 = w[base + (flip ? 5 : 3)];
        float g11 = w[base + (flip ? 4 : 4)];
        float g12 = w[base + (flip ? 3 : 5)];
        float g20 = w[base + (flip ? 2 : 6)];
        float g21 = w[base + (flip ? 1 : 7)];
        float g22 = w[base + (flip ? 0 : 8)];
        // t = G g (6 x 3), column by column; then U = t G^T, row by row
        float t0_0 = g00 * 0.25f;
        float t0_1 = (g00 + g10 + g20) * (-1f / 6f);
        float t0_2 = (g00 - g10 + g20) * (-1f / 6f);
        float t0_3 = g00 * (1f / 24f) + g10 * (1f / 12f) + g20 * (1f / 6f);
        float t0_4 = g00 * (1f / 24f) - g10 * (1f / 12f) + g20 * (1f / 6f);
        float t0_5 = g20;
        float t1_0 = g01 * 0.25f;
        float t1_1 = (g01 + g11 + g21) * (-1f / 6f);
        float t1_2 = (g01 - g11 + g21) * (-1f / 6f);
        float t1_3 = g01 * (1f / 24f) + g11 * (1f / 12f) + g21 * (1f / 6f);
        float t1_4 = g01 * (1f / 24f) - g11 * (1f / 12f) + g21 * (1f / 6f);
        float t1_5 = g21;
        float t2_0 = g02 * 0.25f;
        float t2_1 = (g02 + g12 + g22) * (-1f / 6f);
        float t2_2 = (g02 - g12 + g22) * (-1f / 6f);
        float t2_3 = g02 * (1f / 24f) + g12 * (1f / 12f) + g22 * (1f / 6f);
        float t2_4 = g02 * (1f / 24f) - g12 * (1f / 12f) + g22 * (1f / 6f);
        float t2_5 = g22;
        int dst = uOff + (k / NR) * cq * NR + c * NR + k % NR;
        float u0_0 = t0_0 * 0.25f;
        float u0_1 = (t0_0 + t1_0 + t2_0) * (-1f / 6f);
        float u0_2 = (t0_0 - t1_0 + t2_0) * (-1f / 6f);
        float u0_3 = t0_0 * (1f / 24f) + t1_0 * (1f / 12f) + t2_0 * (1f / 6f);
        float u0_4 = t0_0 * (1f / 24f) - t1_0 * (1f / 12f) + t2_0 * (1f / 6f);
        float u0_5 = t2_0;
        u[dst + 0 * xiStride] = u0_0;
        u[dst + 1 * xiStride] = u0_1;
        u[dst + 2 * xiStride] = u0_2;
        u[dst + 3 * xiStride] = u0_3;
        u[dst + 4 * xiStride] = u0_4;
        u[dst + 5 * xiStride] = u0_5;
        float u1_0 = t0_1 * 0.25f;
        float u1_1 = (t0_1 + t1_1 + t2_1) * (-1f / 6f);
        float u1_2 = (t0_1 - t1_1 + t2_1) * (-1f / 6f);
        float u1_3 = t0_1 * (1f / 24f) + t1_1 * (1f / 12f) + t2_1 * (1f / 6f);
        float u1_4 = t0_1 * (1f / 24f) - t1_1 * (1f / 12f) + t2_1 * (1f / 6f);
        float u1_5 = t2_1;
        u[dst + 6 * xiStride] = u1_0;
        u[dst + 7 * xiStride] = u1_1;
        u[dst + 8 * xiStride] = u1_2;
        u[dst + 9 * xiStride] = u1_3;
        u[dst + 10 * xiStride] = u1_4;
        u[dst + 11 * xiStride] = u1_5;
        float u2_0 = t0_2 * 0.25f;
        float u2_1 = (t0_2 + t1_2 + t2_2) * (-1f / 6f);
        float u2_2 = (t0_2 - t1_2 + t2_2) * (-1f / 6f);
        float u2_3 = t0_2 * (1f / 24f) + t1_2 * (1f / 12f) + t2_2 * (1f / 6f);
        float u2_4 = t0_2 * (1f / 24f) - t1_2 * (1f / 12f) + t2_2 * (1f / 6f);
        float u2_5 = t2_2;
        u[dst + 12 * xiStride] = u2_0;
        u[dst + 13 * xiStride] = u2_1;
        u[dst + 14 * xiStride] = u2_2;
        u[dst + 15 * xiStride] = u2_3;
        u[dst + 16 * xiStride] = u2_4;
        u[dst + 17 * xiStride] = u2_5;
        float u3_0 = t0_3 * 0.25f;
        float u3_1 = (t0_3 + t1_3 + t2_3) * (-1f / 6f);
        float u3_2 = (t0_3 - t1_3 + t2_3) * (-1f / 6f);
        float u3_3 = t0_3 * (1f / 24f) + t1_3 * (1f / 12f) + t2_3 * (1f / 6f);
        float u3_4 = t0_3 * (1f / 24f) - t1_3 * (1f / 12f) + t2_3 * (1f / 6f);
        float u3_5 = t2_3;
        u[dst + 18 * xiStride] = u3_0;
        u[dst + 19 * xiStride] = u3_1;
        u[dst + 20 * xiStride] = u3_2;
        u[dst + 21 * xiStride] = u3_3;
        u[dst + 22 * xiStride] = u3_4;
        u[dst + 23 * xiStride] = u3_5;
        float u4_0 = t0_4 * 0.25f;
        float u4_1 = (t0_4 + t1_4 + t2_4) * (-1f / 6f);
        float u4_2 = (t0_4 - t1_4 + t2_4) * (-1f / 6f);
        float u4_3 = t0_4 * (1f / 24f) + t1_4 * (1f / 12f) + t2_4 * (1f / 6f);
        float u4_4 = t0_4 * (1f / 24f) - t1_4 * (1f / 12f) + t2_4 * (1f / 6f);
        float u4_5 = t2_4;
        u[dst + 24 * xiStride] = u4_0;
        u[dst + 25 * xiStride] = u4_1;
        u[dst + 26 * xiStride] = u4_2;
        u[dst + 27 * xiStride] = u4_3;
        u[dst + 28 * xiStride] = u4_4;
        u[dst + 29 * xiStride] = u4_5;
        float u5_0 = t0_5 * 0.25f;
        float u5_1 = (t0_5 + t1_5 + t2_5) * (-1f / 6f);
        float u5_2 = (t0_5 - t1_5 + t2_5) * (-1f / 6f);
        float u5_3 = t0_5 * (1f / 24f) + t1_5 * (1f / 12f) + t2_5 * (1f / 6f);
        float u5_4 = t0_5 * (1f / 24f) - t1_5 * (1f / 12f) + t2_5 * (1f / 6f);
        float u5_5 = t2_5;
        u[dst + 30 * xiStride] = u5_0;
        u[dst + 31 * xiStride] = u5_1;
        u[dst + 32 * xiStride] = u5_2;
        u[dst + 33 * xiStride] = u5_3;
        u[dst + 34 * xiStride] = u5_4;
        u[dst + 35 * xiStride] = u5_5;
      }
    }
  }

  // dW[k, c, r, s] += (G^T dU_(k,c) G)[r][s], dU_xi at du[duOff + xi * kr * cq + k * cq + c].
  private static void weightGradBack(float[] du, int duOff, int kr, int cq, int c, int k, float[] dW, int dwOff) {
    final int xiStride = kr * cq;
    for (int kk = 0; kk < k; kk++) {
      for (int cc = 0; cc < c; cc++) {
        int src = duOff + kk * cq + cc;
        // t = G^T dU (3 x 6), then dW = t G (3 x 3)
        double t00 = 0, t01 = 0, t02 = 0, t03 = 0, t04 = 0, t05 = 0;
        double t10 = 0, t11 = 0, t12 = 0, t13 = 0, t14 = 0, t15 = 0;
        double t20 = 0, t21 = 0, t22 = 0, t23 = 0, t24 = 0, t25 = 0;
        for (int a = 0; a < 6; a++) {
          double ga0 = G[a][0];
          double ga1 = G[a][1];
          double ga2 = G[a][2];
          int row = src + a * 6 * xiStride;
          double d0 = du[row];
          double d1 = du[row + xiStride];
          double d2 = du[row + 2 * xiStride];
          double d3 = du[row + 3 * xiStride];
          double d4 = du[row + 4 * xiStride];
          double d5 = du[row + 5 * xiStride];
          t00 += ga0 * d0; t01 += ga0 * d1; t02 += ga0 * d2; t03 += ga0 * d3; t04 += ga0 * d4; t05 += ga0 * d5;
          t10 += ga1 * d0; t11 += ga1 * d1; t12 += ga1 * d2; t13 += ga1 * d3; t14 += ga1 * d4; t15 += ga1 * d5;
          t20 += ga2 * d0; t21 += ga2 * d1; t22 += ga2 * d2; t23 += ga2 * d3; t24 += ga2 * d4; t25 += ga2 * d5;
        }
        int dst = dwOff + (kk * c + cc) * 9;
        for (int sIdx = 0; sIdx < 3; sIdx++) {
          double b0 = G[0][sIdx], b1 = G[1][sIdx], b2 = G[2][sIdx], b3 = G[3][sIdx], b4 = G[4][sIdx], b5 = G[5][sIdx];
          dW[dst + sIdx] += (float) (t00 * b0 + t01 * b1 + t02 * b2 + t03 * b3 + t04 * b4 + t05 * b5);
          dW[dst + 3 + sIdx] += (float) (t10 * b0 + t11 * b1 + t12 * b2 + t13 * b3 + t14 * b4 + t15 * b5);
          dW[dst + 6 + sIdx] += (float) (t20 * b0 + t21 * b1 + t22 * b2 + t23 * b3 + t24 * b4 + t25 * b5);
        }
      }
    }
  }
}
