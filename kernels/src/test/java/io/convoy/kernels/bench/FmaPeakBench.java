package io.convoy.kernels.bench;

import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OperationsPerInvocation;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Ceiling probe: how many float FMAs per second one thread gets from the Vector API with the
 * preferred species and 12 independent accumulators (no memory traffic in the loop). JMH reports
 * operations per microsecond where one operation is one vector FMA; GFLOPS = ops/us * lanes * 2 / 1000
 * (lanes = 8 for 256-bit vectors, 16 for 512-bit; {@code kernels/bench.sh} does the sum).
 * This is the roof the SGEMM micro-kernel (12 accumulators as well) can approach.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:PerMethodTrapLimit=100000"})
public class FmaPeakBench {
  private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
  private static final int STEPS = 4096;
  private static final int ACCUMULATORS = 12;

  float[] seed;

  @Setup
  public void setup() {
    seed = new float[SPECIES.length() * 2];
    for (int i = 0; i < seed.length; i++) {
      seed[i] = 1f - i * 1e-4f;
    }
  }

  @Benchmark
  @OperationsPerInvocation(STEPS * ACCUMULATORS)
  public float fma12() {
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
    return a0.add(a1).add(a2).add(a3).add(a4).add(a5).add(a6).add(a7).add(a8).add(a9).add(a10)
        .add(a11).reduceLanes(VectorOperators.ADD);
  }

  /** Prints the float lane count of the preferred species (bench.sh turns FMAs into GFLOPS with it). */
  public static final class Lanes {
    private Lanes() {}

    public static void main(String[] args) {
      System.out.println(SPECIES.length());
    }
  }
}
