package io.convoy.jobs.bench;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The FP32 FMA ceiling of one core through the Vector API: 12 independent FMA chains on the preferred
 * species with no memory traffic in the loop, so the FMA units, not latency or loads, set the pace.
 * SGEMM's micro-kernel (12 accumulators as well) can approach this roof, not pass it. The same loop as
 * the kernels' JMH {@code FmaPeakBench}, timed here by thread CPU time for a shared machine.
 */
final class FmaProbe {
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int STEPS = 4096;
  private static final int CHAINS = 12;

  /** Floating-point operations per {@link #run} call: 2 per lane per FMA. */
  static final double FLOPS_PER_CALL = 2.0 * STEPS * CHAINS * SPECIES.length();

  private final float[] seed = new float[2 * SPECIES.length()];
  private volatile float sink;

  FmaProbe() {
    for (int i = 0; i < seed.length; i++) {
      seed[i] = 1f - i * 1e-4f;
    }
  }

  void run() {
    FloatVector x = FloatVector.fromArray(SPECIES, seed, 0);
    FloatVector y = FloatVector.fromArray(SPECIES, seed, SPECIES.length());
    FloatVector a0 = y;
    FloatVector a1 = y.mul(0.5f);
    FloatVector a2 = y.mul(0.25f);
    FloatVector a3 = y.mul(0.125f);
    FloatVector a4 = y.mul(2f);
    FloatVector a5 = y.mul(4f);
    FloatVector a6 = y.neg();
    FloatVector a7 = a1.neg();
    FloatVector a8 = a2.neg();
    FloatVector a9 = a3.neg();
    FloatVector a10 = a4.neg();
    FloatVector a11 = a5.neg();
    for (int i = 0; i < STEPS; i++) {
      a0 = a0.fma(x, y);
      a1 = a1.fma(x, y);
      a2 = a2.fma(x, y);
      a3 = a3.fma(x, y);
      a4 = a4.fma(x, y);
      a5 = a5.fma(x, y);
      a6 = a6.fma(x, y);
      a7 = a7.fma(x, y);
      a8 = a8.fma(x, y);
      a9 = a9.fma(x, y);
      a10 = a10.fma(x, y);
      a11 = a11.fma(x, y);
    }
    sink = a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10).add(a11)
        .reduceLanes(VectorOperators.ADD);
  }

  /** "512-bit, 16 float lanes". */
  static String species() {
    return SPECIES.vectorBitSize() + "-bit, " + SPECIES.length() + " float lanes";
  }
}
