package io.convoy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * 2x2 stride-2 max pooling on the Vector API, L windows per step (L = 16 with 512-bit vectors): loads
 * 2L floats of the top row and 2L of the bottom row, splits each into even lanes (a, c) and odd lanes
 * (b, d) with two rearranges and a blend, then compares and blends without a branch. Only loaded
 * through {@link Pool2d} when {@link Backend#VECTOR} is set.
 *
 * <p>An output row shorter than L (14 and 7 in the reference CNN) is still written with a full
 * vector: the lanes past the row's end are garbage that the next row's store overwrites, because
 * stores move forward through {@code out}. Rows of at most L/2 windows go two per step (lanes 0..q-1 from
 * one row, q..2q-1 from the next). Only the final rows, where a full load or store would run
 * past the arrays (or past {@code outSize}), fall back to the scalar window. No masked loads or
 * stores: on JDK 17 a partial mask takes a slow boxed path.
 */
final class VectorPool2d {
  private VectorPool2d() {}

  private static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  private static final VectorSpecies<Integer> INTS = VectorSpecies.of(int.class, SPECIES.vectorShape());
  private static final int L = SPECIES.length();
  /** Gathers the even lanes of a vector into its low half ... */
  private static final VectorShuffle<Float> EVEN_LOW;
  /** ... and into its high half; odd lanes likewise. */
  private static final VectorShuffle<Float> EVEN_HIGH;
  private static final VectorShuffle<Float> ODD_LOW;
  private static final VectorShuffle<Float> ODD_HIGH;
  private static final VectorMask<Float> HIGH;
  /** 0, 2, 4, ...: lane k's window starts 2k floats after the first window. */
  private static final IntVector STEP2;
  // Two output rows of q <= L/2 windows per step (index q): lanes 0..q-1 from the first row's L floats,
  // lanes q..2q-1 from the second row's L floats 2w further on; lanes from 2q on are garbage.
  private static final VectorShuffle<Float>[] PAIR_EVEN;
  private static final VectorShuffle<Float>[] PAIR_ODD;
  private static final VectorMask<Float>[] PAIR_SECOND;
  private static final IntVector[] PAIR_COLS;

  static {
    int half = L / 2;
    int[] evenLow = new int[L];
    int[] evenHigh = new int[L];
    int[] oddLow = new int[L];
    int[] oddHigh = new int[L];
    boolean[] high = new boolean[L];
    int[] step2 = new int[L];
    for (int k = 0; k < L; k++) {
      int j = k % half;
      evenLow[k] = 2 * j;
      evenHigh[k] = 2 * j;
      oddLow[k] = 2 * j + 1;
      oddHigh[k] = 2 * j + 1;
      high[k] = k >= half;
      step2[k] = 2 * k;
    }
    EVEN_LOW = VectorShuffle.fromArray(SPECIES, evenLow, 0);
    EVEN_HIGH = VectorShuffle.fromArray(SPECIES, evenHigh, 0);
    ODD_LOW = VectorShuffle.fromArray(SPECIES, oddLow, 0);
    ODD_HIGH = VectorShuffle.fromArray(SPECIES, oddHigh, 0);
    HIGH = VectorMask.fromArray(SPECIES, high, 0);
    STEP2 = IntVector.fromArray(INTS, step2, 0);
    PAIR_EVEN = newShuffles(half + 1);
    PAIR_ODD = newShuffles(half + 1);
    PAIR_SECOND = newMasks(half + 1);
    PAIR_COLS = new IntVector[half + 1];
    for (int q = 1; q <= half; q++) {
      int[] even = new int[L];
      int[] odd = new int[L];
      boolean[] second = new boolean[L];
      int[] cols = new int[L];
      for (int k = 0; k < L; k++) {
        int col = k < q ? k : k - q;
        even[k] = (2 * col) % L;
        odd[k] = (2 * col + 1) % L;
        second[k] = k >= q;
        cols[k] = 2 * col;
      }
      PAIR_EVEN[q] = VectorShuffle.fromArray(SPECIES, even, 0);
      PAIR_ODD[q] = VectorShuffle.fromArray(SPECIES, odd, 0);
      PAIR_SECOND[q] = VectorMask.fromArray(SPECIES, second, 0);
      PAIR_COLS[q] = IntVector.fromArray(INTS, cols, 0);
    }
  }

  @SuppressWarnings("unchecked")
  private static VectorShuffle<Float>[] newShuffles(int n) {
    return (VectorShuffle<Float>[]) new VectorShuffle<?>[n];
  }

  @SuppressWarnings("unchecked")
  private static VectorMask<Float>[] newMasks(int n) {
    return (VectorMask<Float>[]) new VectorMask<?>[n];
  }

  // Rows of at most L/2 windows (q = 7 in the reference CNN's pool2): two output rows per step. H is even
  // (PoolShape accepts no other height for a 2x2 stride-2 window), so output row r of the whole batch has its
  // top input row at 2*r*w, across plane borders too.
  private static void max2x2PairedRows(float[] out, int[] argmax, float[] in, PoolShape s) {
    final int w = s.w(), q = s.q();
    final int rows = s.n() * s.c() * s.p();
    final int outSize = s.outSize();
    final VectorShuffle<Float> even = PAIR_EVEN[q];
    final VectorShuffle<Float> odd = PAIR_ODD[q];
    final VectorMask<Float> second = PAIR_SECOND[q];
    // window start of each lane relative to the first row's start: 2*col, plus 2w in the second row's lanes
    final IntVector cols = FloatVector.zero(SPECIES).blend(IntVector.broadcast(INTS, 2 * w).reinterpretAsFloats(),
        second).reinterpretAsInts().add(PAIR_COLS[q]);
    int r = 0;
    for (; r + 1 < rows && 2 * (r + 1) * w + w + L <= in.length && r * q + L <= outSize; r += 2) {
      int ia = 2 * r * w;
      FloatVector t0 = FloatVector.fromArray(SPECIES, in, ia);
      FloatVector t1 = FloatVector.fromArray(SPECIES, in, ia + 2 * w);
      FloatVector b0 = FloatVector.fromArray(SPECIES, in, ia + w);
      FloatVector b1 = FloatVector.fromArray(SPECIES, in, ia + 3 * w);
      FloatVector a = t0.rearrange(even).blend(t1.rearrange(even), second);
      FloatVector b = t0.rearrange(odd).blend(t1.rearrange(odd), second);
      FloatVector c = b0.rearrange(even).blend(b1.rearrange(even), second);
      FloatVector d = b0.rearrange(odd).blend(b1.rearrange(odd), second);
      IntVector ra = cols.add(ia);
      FloatVector best = ra.reinterpretAsFloats();
      VectorMask<Float> m = b.compare(VectorOperators.GT, a).or(b.compare(VectorOperators.NE, b));
      FloatVector max = a.blend(b, m);
      best = best.blend(ra.add(1).reinterpretAsFloats(), m);
      m = c.compare(VectorOperators.GT, max).or(c.compare(VectorOperators.NE, c));
      max = max.blend(c, m);
      best = best.blend(ra.add(w).reinterpretAsFloats(), m);
      m = d.compare(VectorOperators.GT, max).or(d.compare(VectorOperators.NE, d));
      max = max.blend(d, m);
      best = best.blend(ra.add(w + 1).reinterpretAsFloats(), m);
      max.intoArray(out, r * q);
      best.reinterpretAsInts().intoArray(argmax, r * q);
    }
    for (; r < rows; r++) {
      for (int oq = 0; oq < q; oq++) {
        Pool2d.window2x2(out, argmax, r * q + oq, in, 2 * r * w + 2 * oq, w);
      }
    }
  }

  // in is (N, C, H, W), out and argmax are (N, C, P, Q); compare order a, b, c, d, ties keep the first, a NaN wins.
  static void max2x2(float[] out, int[] argmax, float[] in, PoolShape s) {
    if (2 * s.q() <= L) {
      max2x2PairedRows(out, argmax, in, s);
      return;
    }
    final int w = s.w(), q = s.q();
    final int rows = s.n() * s.c() * s.p();   // output row r reads input rows 2r, 2r+1 (H is even)
    final int outSize = s.outSize();
    final int inLimit = in.length - w - 2 * L;   // a full load of the bottom row must start at or before this
    final IntVector step2 = STEP2;
    for (int r = 0; r < rows; r++) {
      int top = 2 * r * w;
      int o = r * q;
      int oq = 0;
      for (; oq < q && top + 2 * oq <= inLimit && o + oq + L <= outSize; oq += L) {
        int ia = top + 2 * oq;
        FloatVector t0 = FloatVector.fromArray(SPECIES, in, ia);
        FloatVector t1 = FloatVector.fromArray(SPECIES, in, ia + L);
        FloatVector b0 = FloatVector.fromArray(SPECIES, in, ia + w);
        FloatVector b1 = FloatVector.fromArray(SPECIES, in, ia + w + L);
        FloatVector a = t0.rearrange(EVEN_LOW).blend(t1.rearrange(EVEN_HIGH), HIGH);
        FloatVector b = t0.rearrange(ODD_LOW).blend(t1.rearrange(ODD_HIGH), HIGH);
        FloatVector c = b0.rearrange(EVEN_LOW).blend(b1.rearrange(EVEN_HIGH), HIGH);
        FloatVector d = b0.rearrange(ODD_LOW).blend(b1.rearrange(ODD_HIGH), HIGH);
        // indices ride in float lanes (bit patterns only), so the float masks can blend them
        IntVector ra = step2.add(ia);
        FloatVector best = ra.reinterpretAsFloats();
        VectorMask<Float> m = b.compare(VectorOperators.GT, a).or(b.compare(VectorOperators.NE, b));
        FloatVector max = a.blend(b, m);
        best = best.blend(ra.add(1).reinterpretAsFloats(), m);
        m = c.compare(VectorOperators.GT, max).or(c.compare(VectorOperators.NE, c));
        max = max.blend(c, m);
        best = best.blend(ra.add(w).reinterpretAsFloats(), m);
        m = d.compare(VectorOperators.GT, max).or(d.compare(VectorOperators.NE, d));
        max = max.blend(d, m);
        best = best.blend(ra.add(w + 1).reinterpretAsFloats(), m);
        max.intoArray(out, o + oq);
        best.reinterpretAsInts().intoArray(argmax, o + oq);
      }
      for (; oq < q; oq++) {
        Pool2d.window2x2(out, argmax, o + oq, in, top + 2 * oq, w);
      }
    }
  }

  // Same windows and maxima as max2x2, no argmax.
  static void maxForwardInference(float[] out, float[] in, PoolShape s) {
    if (2 * s.q() <= L) {
      maxInferencePairedRows(out, in, s);
      return;
    }
    final int w = s.w(), p = s.p(), q = s.q();
    final int planes = s.n() * s.c();
    final int plane = s.h() * w;
    final int outSize = s.outSize();
    final int inLimit = in.length - w - 2 * L;
    int o = 0;
    for (int pl = 0; pl < planes; pl++) {
      int inBase = pl * plane;
      for (int op = 0; op < p; op++, o += q) {
        int top = inBase + 2 * op * w;
        int oq = 0;
        for (; oq < q && top + 2 * oq <= inLimit && o + oq + L <= outSize; oq += L) {
          int ia = top + 2 * oq;
          FloatVector t0 = FloatVector.fromArray(SPECIES, in, ia);
          FloatVector t1 = FloatVector.fromArray(SPECIES, in, ia + L);
          FloatVector b0 = FloatVector.fromArray(SPECIES, in, ia + w);
          FloatVector b1 = FloatVector.fromArray(SPECIES, in, ia + w + L);
          FloatVector a = t0.rearrange(EVEN_LOW).blend(t1.rearrange(EVEN_HIGH), HIGH);
          FloatVector b = t0.rearrange(ODD_LOW).blend(t1.rearrange(ODD_HIGH), HIGH);
          FloatVector c = b0.rearrange(EVEN_LOW).blend(b1.rearrange(EVEN_HIGH), HIGH);
          FloatVector d = b0.rearrange(ODD_LOW).blend(b1.rearrange(ODD_HIGH), HIGH);
          FloatVector max = a.blend(b, b.compare(VectorOperators.GT, a).or(b.compare(VectorOperators.NE, b)));
          max = max.blend(c, c.compare(VectorOperators.GT, max).or(c.compare(VectorOperators.NE, c)));
          max = max.blend(d, d.compare(VectorOperators.GT, max).or(d.compare(VectorOperators.NE, d)));
          max.intoArray(out, o + oq);
        }
        for (; oq < q; oq++) {
          int ia = top + 2 * oq;
          out[o + oq] = Pool2d.max4(in[ia], in[ia + 1], in[ia + w], in[ia + w + 1]);
        }
      }
    }
  }

  // maxForwardInference for rows of at most L/2 windows: two output rows per step, as max2x2PairedRows.
  private static void maxInferencePairedRows(float[] out, float[] in, PoolShape s) {
    final int w = s.w(), q = s.q();
    final int rows = s.n() * s.c() * s.p();
    final int outSize = s.outSize();
    final VectorShuffle<Float> even = PAIR_EVEN[q];
    final VectorShuffle<Float> odd = PAIR_ODD[q];
    final VectorMask<Float> second = PAIR_SECOND[q];
    int r = 0;
    for (; r + 1 < rows && 2 * (r + 1) * w + w + L <= in.length && r * q + L <= outSize; r += 2) {
      int ia = 2 * r * w;
      FloatVector t0 = FloatVector.fromArray(SPECIES, in, ia);
      FloatVector t1 = FloatVector.fromArray(SPECIES, in, ia + 2 * w);
      FloatVector b0 = FloatVector.fromArray(SPECIES, in, ia + w);
      FloatVector b1 = FloatVector.fromArray(SPECIES, in, ia + 3 * w);
      FloatVector a = t0.rearrange(even).blend(t1.rearrange(even), second);
      FloatVector b = t0.rearrange(odd).blend(t1.rearrange(odd), second);
      FloatVector c = b0.rearrange(even).blend(b1.rearrange(even), second);
      FloatVector d = b0.rearrange(odd).blend(b1.rearrange(odd), second);
      FloatVector max = a.blend(b, b.compare(VectorOperators.GT, a).or(b.compare(VectorOperators.NE, b)));
      max = max.blend(c, c.compare(VectorOperators.GT, max).or(c.compare(VectorOperators.NE, c)));
      max = max.blend(d, d.compare(VectorOperators.GT, max).or(d.compare(VectorOperators.NE, d)));
      max.intoArray(out, r * q);
    }
    for (; r < rows; r++) {
      for (int oq = 0; oq < q; oq++) {
        int ia = 2 * r * w + 2 * oq;
        out[r * q + oq] = Pool2d.max4(in[ia], in[ia + 1], in[ia + w], in[ia + w + 1]);
      }
    }
  }
}
