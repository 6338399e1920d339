package io.convoy.kernels.bench;

import io.convoy.kernels.VectorGemm;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SGEMM throughput of {@link VectorGemm}, one thread. Square products and the shapes the reference
 * CNN's training produces (im2col convolutions, dense layers), named "op:m:n:k" where op is the
 * transpose pair (NN, NT, TN, TT) and op(A) is m x k, op(B) is k x n.
 *
 * <p>JMH reports microseconds per call; GFLOPS = 2 * m * n * k / (us * 1000). {@code kernels/bench.sh}
 * runs it and prints the GFLOPS column. {@code scripts/numpy_sgemm.py} measures OpenBLAS on the
 * same shapes.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:PerMethodTrapLimit=100000", "-Xmx2g"})
public class GemmBench {

  /** Square products, n x n times n x n, NN. */
  @State(Scope.Thread)
  public static class Square {
    @Param({"256", "512", "1024", "2048"})
    public int n;

    Problem problem;

    @Setup
    public void setup() {
      problem = new Problem("NN", n, n, n);
    }
  }

  /**
   * Training shapes of the reference CNN (batch 128, 28x28 input, conv 3x3 32 then 64 channels,
   * pool 2x2, dense 3136 -> 128): conv forward (K x CRS) * (CRS x PQ), weight gradient
   * dOut * col^T (NT), data gradient W^T * dOut (TN), and the dense layer's three products.
   */
  @State(Scope.Thread)
  public static class Cnn {
    @Param({"NN:32:784:9", "NN:64:196:288", "NT:64:288:196", "TN:288:196:64",
        "NT:128:128:3136", "NN:128:3136:128", "TN:128:3136:128"})
    public String shape;

    Problem problem;

    @Setup
    public void setup() {
      String[] f = shape.split(":");
      problem = new Problem(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]), Integer.parseInt(f[3]));
    }
  }

  /** Seeded operands of one product, stored as the transpose flags say. */
  static final class Problem {
    final boolean transA;
    final boolean transB;
    final int m;
    final int n;
    final int k;
    final int lda;
    final int ldb;
    final float[] a;
    final float[] b;
    final float[] c;

    Problem(String op, int m, int n, int k) {
      if (!op.matches("[NT][NT]")) {
        throw new IllegalArgumentException("GemmBench: op must be NN, NT, TN or TT, got " + op);
      }
      this.transA = op.charAt(0) == 'T';
      this.transB = op.charAt(1) == 'T';
      this.m = m;
      this.n = n;
      this.k = k;
      this.lda = transA ? m : k;
      this.ldb = transB ? k : n;
      SplittableRandom rnd = new SplittableRandom(42);
      a = new float[m * k];
      b = new float[k * n];
      c = new float[m * n];
      for (int i = 0; i < a.length; i++) {
        a[i] = (float) (rnd.nextDouble() - 0.5);
      }
      for (int i = 0; i < b.length; i++) {
        b[i] = (float) (rnd.nextDouble() - 0.5);
      }
    }

    float[] run() {
      VectorGemm.sgemm(transA, transB, m, n, k, 1f, a, 0, lda, b, 0, ldb, 0f, c, 0, n);
      return c;
    }
  }

  @Benchmark
  public float[] square(Square s) {
    return s.problem.run();
  }

  @Benchmark
  public float[] cnn(Cnn s) {
    return s.problem.run();
  }
}
