package io.convoy.kernels.bench;

import io.convoy.kernels.Conv2d;
import io.convoy.kernels.ConvShape;
import io.convoy.kernels.Gemm;
import java.lang.management.ManagementFactory;
import java.util.Locale;
import java.util.Random;

/**
 * Reproduces, in one JVM, what a training step does to the SGEMM: time a few GEMM shapes alone, then
 * run the reference CNN's layers the way training drives them (conv1 im2col, conv2 Winograd, the
 * dense layers' forward and backward products, alpha 1 and beta 0 or 1), then time the same shapes
 * again. Prints thread-CPU GFLOPS and the bytes this thread allocated per call: a Vector API call
 * that C2 did not intrinsify shows up as allocation (boxed vectors). Not a test:
 * {@code java --add-modules=jdk.incubator.vector -cp ... io.convoy.kernels.bench.GemmPollutionProbe [warmupSeconds]}.
 */
public final class GemmPollutionProbe {
  private GemmPollutionProbe() {}

  public static void main(String[] args) {
    double seconds = args.length > 0 ? Double.parseDouble(args[0]) : 10;
    String[] shapes = {"NN:512:512:512", "NT:128:128:3136", "NT:128:10:128", "NT:32:9:784"};
    time("alone", shapes);
    training(seconds);
    time("after training-like work", shapes);
  }

  static void time(String label, String[] shapes) {
    com.sun.management.ThreadMXBean mx =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    System.out.println("-- " + label);
    for (String shape : shapes) {
      String[] f = shape.split(":");
      GemmBench.Problem p = new GemmBench.Problem(f[0], Integer.parseInt(f[1]), Integer.parseInt(f[2]),
          Integer.parseInt(f[3]));
      double flops = 2.0 * p.m * p.n * p.k;
      int reps = (int) Math.max(1, 1e9 / flops);
      double best = 0;
      long bytesPerCall = 0;
      for (int round = 0; round < 5; round++) {
        long a0 = mx.getThreadAllocatedBytes(tid);
        long c0 = mx.getCurrentThreadCpuTime();
        for (int i = 0; i < reps; i++) {
          p.run();
        }
        long cpu = mx.getCurrentThreadCpuTime() - c0;
        bytesPerCall = (mx.getThreadAllocatedBytes(tid) - a0) / reps;
        best = Math.max(best, flops * reps / cpu);
      }
      System.out.printf(Locale.ROOT, "%-18s %8.1f cpu GF/s %10d B/call (last round)%n", shape, best,
          bytesPerCall);
    }
  }

  // The reference CNN at batch 128: conv1 (im2col), conv2 (Winograd), fc1, fc2, each forward,
  // backward-data (not conv1) and backward-weights, as RuntimeLayer and Conv2d call them.
  static void training(double seconds) {
    Random rnd = new Random(1);
    int batch = 128;
    ConvShape c1 = ConvShape.square(batch, 1, 28, 28, 32, 3, 1, 1);
    ConvShape c2 = ConvShape.square(batch, 32, 14, 14, 64, 3, 1, 1);
    int ws = Math.max(Conv2d.workspaceSize(c1), Conv2d.workspaceSize(c2));
    float[] w = new float[ws];
    float[] in1 = random(rnd, c1.inSize());
    float[] p1 = random(rnd, c1.paramCount());
    float[] out1 = new float[c1.outSize()];
    float[] d1 = new float[c1.paramCount()];
    float[] in2 = random(rnd, c2.inSize());
    float[] p2 = random(rnd, c2.paramCount());
    float[] out2 = new float[c2.outSize()];
    float[] dIn2 = new float[c2.inSize()];
    float[] d2 = new float[c2.paramCount()];
    int inF = 3136;
    int units = 128;
    float[] x = random(rnd, batch * inF);
    float[] fc1 = random(rnd, units * inF);
    float[] g1 = new float[units * inF];
    float[] h = random(rnd, batch * units);
    float[] fc2 = random(rnd, 10 * units);
    float[] g2 = new float[10 * units];
    float[] o = new float[batch * 10];
    float[] dx = new float[batch * inF];
    float[] dh = new float[batch * units];
    long end = System.nanoTime() + (long) (seconds * 1e9);
    int steps = 0;
    while (System.nanoTime() < end) {
      Conv2d.forward(out1, in1, p1, 0, p1, c1.weightSize(), c1, w);
      Conv2d.forward(out2, in2, p2, 0, p2, c2.weightSize(), c2, w);
      Gemm.sgemm(false, true, batch, units, inF, 1f, x, 0, inF, fc1, 0, inF, 0f, h, 0, units);
      Gemm.sgemm(false, true, batch, 10, units, 1f, h, 0, units, fc2, 0, units, 0f, o, 0, 10);
      Gemm.sgemm(true, false, 10, units, batch, 1f, o, 0, 10, h, 0, units, 1f, g2, 0, units);
      Gemm.sgemm(false, false, batch, units, 10, 1f, o, 0, 10, fc2, 0, units, 0f, dh, 0, units);
      Gemm.sgemm(true, false, units, inF, batch, 1f, dh, 0, units, x, 0, inF, 1f, g1, 0, inF);
      Gemm.sgemm(false, false, batch, inF, units, 1f, dh, 0, units, fc1, 0, inF, 0f, dx, 0, inF);
      Conv2d.backwardData(dIn2, out2, p2, 0, c2, w);
      Conv2d.backwardWeights(d2, 0, d2, c2.weightSize(), out2, in2, c2, w);
      Conv2d.backwardWeights(d1, 0, d1, c1.weightSize(), out1, in1, c1, w);
      steps++;
    }
    System.out.printf(Locale.ROOT, "-- %d training-like steps in %.1f s%n", steps, seconds);
  }

  static float[] random(Random rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextFloat() - 0.5f;
    }
    return a;
  }
}
