package io.convoy.kernels.bench;

import io.convoy.kernels.Pool2d;
import io.convoy.kernels.PoolShape;
import io.convoy.kernels.ScalarPool2d;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Random;

/**
 * The reference CNN's two 2x2 stride-2 max poolings (pool1 on 32x28x28, pool2 on 64x14x14), timed by this
 * thread's CPU time and by wall clock, best of several rounds after a warm-up: forward with argmax
 * ({@link Pool2d#maxForward}), the argmax-free inference forward ({@link Pool2d#maxForwardInference}), the
 * backward scatter ({@link Pool2d#maxBackward}), and the plain twin {@link ScalarPool2d} as the peer measured
 * in the same run. Inputs look like ReLU outputs: about half exact zeros, the rest positive. Not a JMH benchmark:
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp kernels/target-pool/test-classes:kernels/target-pool/classes \
 *     io.convoy.kernels.bench.PoolCpuProbe [batch [rounds [secondsPerRound]]]
 * </pre>
 */
public final class PoolCpuProbe {
  private PoolCpuProbe() {}

  public static void main(String[] args) {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 128;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 7;
    double secondsPerRound = args.length > 2 ? Double.parseDouble(args[2]) : 0.3;
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    System.out.printf(Locale.ROOT, "batch %d, best of %d rounds of >= %.2f s%n", batch, rounds, secondsPerRound);
    System.out.printf(Locale.ROOT, "%-6s %-22s %10s %10s %12s%n", "layer", "pass", "wall ms", "cpu ms", "alloc B/call");
    for (String layer : new String[] {"pool1", "pool2"}) {
      PoolShape s = layer.equals("pool1") ? PoolShape.square(batch, 32, 28, 28, 2, 2)
          : PoolShape.square(batch, 64, 14, 14, 2, 2);
      Random rnd = new Random(3);
      float[] in = new float[s.inSize()];
      for (int i = 0; i < in.length; i++) {
        in[i] = Math.max(0f, (float) rnd.nextGaussian());   // ReLU-like: about half zeros
      }
      float[] out = new float[s.outSize()];
      int[] argmax = new int[s.outSize()];
      float[] dOut = new float[s.outSize()];
      for (int i = 0; i < dOut.length; i++) {
        dOut[i] = rnd.nextFloat() - 0.5f;
      }
      float[] dIn = new float[s.inSize()];
      Pool2d.maxForward(out, argmax, in, s);
      print(layer, "forward (argmax)", measure(mx, () -> Pool2d.maxForward(out, argmax, in, s), rounds, secondsPerRound));
      print(layer, "forward scalar twin", measure(mx, () -> ScalarPool2d.maxForward(out, argmax, in, s), rounds,
          secondsPerRound));
      print(layer, "forward inference", measure(mx, () -> Pool2d.maxForwardInference(out, in, s), rounds,
          secondsPerRound));
      Pool2d.maxForward(out, argmax, in, s);
      print(layer, "backward scatter", measure(mx, () -> Pool2d.maxBackward(dIn, dOut, argmax, s), rounds,
          secondsPerRound));
      print(layer, "backward scalar twin", measure(mx, () -> ScalarPool2d.maxBackward(dIn, dOut, argmax, s), rounds,
          secondsPerRound));
    }
  }

  /** Returns {best wall ms, best cpu ms, bytes allocated per call in the last round} per call. */
  private static double[] measure(ThreadMXBean mx, Runnable op, int rounds, double secondsPerRound) {
    long warm0 = System.nanoTime();
    int calls = 0;
    while (System.nanoTime() - warm0 < 700_000_000L || calls < 20) {
      op.run();
      calls++;
    }
    double perCall = (System.nanoTime() - warm0) / (double) calls;
    int reps = (int) Math.max(1, secondsPerRound * 1e9 / perCall);
    double bestWall = Double.MAX_VALUE;
    double bestCpu = Double.MAX_VALUE;
    double alloc = 0;
    for (int round = 0; round < rounds; round++) {
      long bytes0 = allocated(mx);
      long cpu0 = mx.getCurrentThreadCpuTime();
      long wall0 = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        op.run();
      }
      long wall = System.nanoTime() - wall0;
      long cpu = mx.getCurrentThreadCpuTime() - cpu0;
      bestWall = Math.min(bestWall, wall / 1e6 / reps);
      bestCpu = Math.min(bestCpu, cpu / 1e6 / reps);
      alloc = (allocated(mx) - bytes0) / (double) reps;
    }
    return new double[] {bestWall, bestCpu, alloc};
  }

  // garbage per call shows a kernel that fell off the Vector API intrinsics onto its boxed Java path
  private static long allocated(ThreadMXBean mx) {
    return mx instanceof com.sun.management.ThreadMXBean sun ? sun.getCurrentThreadAllocatedBytes() : 0L;
  }

  private static void print(String layer, String pass, double[] ms) {
    System.out.printf(Locale.ROOT, "%-6s %-22s %10.3f %10.3f %12.0f%n", layer, pass, ms[0], ms[1], ms[2]);
  }
}
