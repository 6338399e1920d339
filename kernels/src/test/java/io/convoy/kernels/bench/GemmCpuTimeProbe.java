package io.convoy.kernels.bench;

import io.convoy.kernels.VectorGemm;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;

/**
 * SGEMM GFLOPS by wall clock and by this thread's CPU time, best of several rounds. On a shared
 * machine (other builds on the same cores) JMH's wall-clock figures drop with the load, while CPU
 * time only counts the cycles this thread ran, so the second column stays close to the
 * single-tenant figure (no SMT here; L3 and memory bandwidth are still shared). Not a JMH benchmark:
 * run it through {@code kernels/bench.sh --cpu-time [op:m:n:k ...]}.
 */
public final class GemmCpuTimeProbe {
  private GemmCpuTimeProbe() {}

  /** Default shapes: the square sizes and the CNN shapes of {@link GemmBench}. */
  static final String[] SHAPES = {"NN:256:256:256", "NN:512:512:512", "NN:1024:1024:1024",
      "NN:2048:2048:2048", "NN:32:784:9", "NN:64:196:288", "NT:64:288:196", "TN:288:196:64",
      "NT:128:128:3136", "NN:128:3136:128", "TN:128:3136:128"};

  public static void main(String[] args) {
    String[] shapes = args.length > 0 ? args : SHAPES;
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    System.out.printf("%-20s %10s %10s%n", "shape", "wall GF/s", "cpu GF/s");
    for (String shape : shapes) {
      String[] f = shape.split(":");
      if (f.length != 4) {
        throw new IllegalArgumentException("GemmCpuTimeProbe: shape must be op:m:n:k, got " + shape);
      }
      GemmBench.Problem p = new GemmBench.Problem(f[0], Integer.parseInt(f[1]),
          Integer.parseInt(f[2]), Integer.parseInt(f[3]));
      double flops = 2.0 * p.m * p.n * p.k;
      int reps = (int) Math.max(1, 2e9 / flops);
      double bestWall = 0;
      double bestCpu = 0;
      for (int round = 0; round < 10; round++) {
        long cpu0 = mx.getCurrentThreadCpuTime();
        long wall0 = System.nanoTime();
        for (int i = 0; i < reps; i++) {
          p.run();
        }
        long wall = System.nanoTime() - wall0;
        long cpu = mx.getCurrentThreadCpuTime() - cpu0;
        bestWall = Math.max(bestWall, flops * reps / wall);
        bestCpu = Math.max(bestCpu, flops * reps / cpu);
      }
      System.out.printf("%-20s %10.1f %10.1f%n", shape, bestWall, bestCpu);
    }
  }
}
