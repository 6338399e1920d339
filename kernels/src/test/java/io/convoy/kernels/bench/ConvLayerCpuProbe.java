package io.convoy.kernels.bench;

import io.convoy.kernels.Conv2d;
import io.convoy.kernels.ConvShape;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;
import java.util.Random;

/**
 * The reference CNN's and LeNet-5's conv layers, forward, backward-data and backward-weights (+ bias), timed by
 * wall clock and by this thread's CPU time, best of several rounds: the conv counterpart of
 * {@link GemmCpuTimeProbe}, for a machine whose other cores are busy. Same shapes and data as
 * {@link ConvBench} (conv1: 1 -> 32, 3x3, pad 1 on 28x28; conv2: 32 -> 64, 3x3, pad 1 on 14x14),
 * plus LeNet-5's (lenet1: 1 -> 6, 5x5, pad 2 on 28x28; lenet2: 6 -> 16, 5x5, no pad on 14x14).
 *
 * <p>Backward-data is measured for the second layer of each net only: the first layer's input is
 * the image, which needs no gradient (PyTorch skips it too). Not a JMH benchmark:
 * <pre>
 * java --add-modules=jdk.incubator.vector -cp kernels/target-bench/test-classes:kernels/target-bench/classes \
 *     io.convoy.kernels.bench.ConvLayerCpuProbe [batch [rounds [secondsPerRound [layerRegex]]]]
 * </pre>
 * Prints one line per (layer, pass): ms per batch and images/s, by wall clock and by CPU time.
 */
public final class ConvLayerCpuProbe {
  private ConvLayerCpuProbe() {}

  public static void main(String[] args) {
    int batch = args.length > 0 ? Integer.parseInt(args[0]) : 128;
    int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 10;
    double secondsPerRound = args.length > 2 ? Double.parseDouble(args[2]) : 0.5;
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    System.out.printf(Locale.ROOT, "batch %d, best of %d rounds of >= %.2f s%n", batch, rounds, secondsPerRound);
    System.out.printf(Locale.ROOT, "%-6s %-16s %10s %10s %12s %12s%n",
        "layer", "pass", "wall ms", "cpu ms", "wall img/s", "cpu img/s");
    String only = args.length > 3 ? args[3] : "";
    for (String layer : LAYERS) {
      if (!only.isEmpty() && !layer.matches(only)) {
        continue;
      }
      ConvShape s = shape(layer, batch);
      Random rnd = new Random(1);
      float[] in = random(rnd, s.inSize());
      float[] params = random(rnd, s.paramCount());
      int bOff = s.weightSize();
      float[] out = new float[s.outSize()];
      float[] dOut = random(rnd, s.outSize());
      float[] dIn = new float[s.inSize()];
      float[] dParams = new float[s.paramCount()];
      float[] ws = new float[Conv2d.workspaceSize(s)];
      Runnable fwd = () -> Conv2d.forward(out, in, params, 0, params, bOff, s, ws);
      Runnable bwdData = () -> Conv2d.backwardData(dIn, dOut, params, 0, s, ws);
      Runnable bwdWeights = () -> Conv2d.backwardWeights(dParams, 0, dParams, bOff, dOut, in, s, ws);
      double[] f = measure(mx, fwd, rounds, secondsPerRound);
      print(layer, "forward", f, batch);
      double[] d = {0, 0};
      if (hasBackwardData(layer)) {
        d = measure(mx, bwdData, rounds, secondsPerRound);
        print(layer, "backward-data", d, batch);
      }
      double[] w = measure(mx, bwdWeights, rounds, secondsPerRound);
      print(layer, "backward-weights", w, batch);
      print(layer, "fwd+bwd (sum)", new double[] {f[0] + d[0] + w[0], f[1] + d[1] + w[1]}, batch);
    }
  }

  /** The layers: the reference CNN's (conv1, conv2) and LeNet-5's (lenet1, lenet2). */
  static final String[] LAYERS = {"conv1", "conv2", "lenet1", "lenet2"};

  static ConvShape shape(String layer, int batch) {
    return switch (layer) {
      case "conv1" -> ConvShape.square(batch, 1, 28, 28, 32, 3, 1, 1);
      case "conv2" -> ConvShape.square(batch, 32, 14, 14, 64, 3, 1, 1);
      case "lenet1" -> ConvShape.square(batch, 1, 28, 28, 6, 5, 1, 2);
      case "lenet2" -> ConvShape.square(batch, 6, 14, 14, 16, 5, 1, 0);
      default -> throw new IllegalArgumentException("unknown layer " + layer + ", expected one of conv1, conv2, lenet1, lenet2");
    };
  }

  /** The first layer of each net sees the image, which needs no gradient (PyTorch skips it too). */
  static boolean hasBackwardData(String layer) {
    return layer.equals("conv2") || layer.equals("lenet2");
  }

  /** Returns {best wall ms, best cpu ms} per call. */
  private static double[] measure(ThreadMXBean mx, Runnable op, int rounds, double secondsPerRound) {
    // warm-up: let C2 compile the kernels
    long warm0 = System.nanoTime();
    int calls = 0;
    while (System.nanoTime() - warm0 < 1_000_000_000L || calls < 20) {
      op.run();
      calls++;
    }
    double perCall = (System.nanoTime() - warm0) / (double) calls;
    int reps = (int) Math.max(1, secondsPerRound * 1e9 / perCall);
    double bestWall = Double.MAX_VALUE;
    double bestCpu = Double.MAX_VALUE;
    for (int round = 0; round < rounds; round++) {
      long cpu0 = mx.getCurrentThreadCpuTime();
      long wall0 = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        op.run();
      }
      long wall = System.nanoTime() - wall0;
      long cpu = mx.getCurrentThreadCpuTime() - cpu0;
      bestWall = Math.min(bestWall, wall / 1e6 / reps);
      bestCpu = Math.min(bestCpu, cpu / 1e6 / reps);
    }
    return new double[] {bestWall, bestCpu};
  }

  private static void print(String layer, String pass, double[] ms, int batch) {
    System.out.printf(Locale.ROOT, "%-6s %-16s %10.3f %10.3f %12.0f %12.0f%n",
        layer, pass, ms[0], ms[1], batch * 1e3 / ms[0], batch * 1e3 / ms[1]);
  }

  private static float[] random(Random rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = rnd.nextFloat() * 2 - 1;
    }
    return x;
  }
}
