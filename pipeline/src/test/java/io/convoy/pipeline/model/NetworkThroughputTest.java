package io.convoy.pipeline.model;

import java.lang.management.ManagementFactory;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * Measures (prints, never asserts) training throughput of the reference CNN on one thread and the
 * bytes the training thread allocates per step. Tagged long: run with
 * {@code -Plong -Dtest=NetworkThroughputTest}.
 */
@Tag("long")
class NetworkThroughputTest {

  @Test
  void referenceCnnTrainingStep() {
    int batch = Integer.getInteger("convoy.bench.batch", 64);
    double seconds = Double.parseDouble(System.getProperty("convoy.bench.seconds", "15"));
    ModelSpec spec = ModelSpec.referenceCnn();
    Network net = new Network(spec, batch);
    float[] p = new float[net.numParams()];
    float[] g = new float[p.length];
    float[] buf = new float[net.numBuffers()];
    net.initParams(p, buf, InitKind.HE, 1L);
    SplittableRandom rnd = new SplittableRandom(2);
    float[] x = new float[batch * spec.input().size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextDouble();
    }
    int[] y = new int[batch];
    for (int i = 0; i < batch; i++) {
      y[i] = rnd.nextInt(10);
    }
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long tid = Thread.currentThread().getId();
    long warmEnd = System.nanoTime() + (long) (seconds * 0.3e9);
    int warm = 0;
    while (System.nanoTime() < warmEnd) {
      Arrays.fill(g, 0f);
      net.forwardBackward(p, g, buf, x, y, batch, warm++);
    }
    long bytes0 = mx.getThreadAllocatedBytes(tid);
    long t0 = System.nanoTime();
    long end = t0 + (long) (seconds * 0.7e9);
    int steps = 0;
    while (System.nanoTime() < end) {
      Arrays.fill(g, 0f);
      net.forwardBackward(p, g, buf, x, y, batch, steps++);
    }
    double dt = (System.nanoTime() - t0) / 1e9;
    long bytes = mx.getThreadAllocatedBytes(tid) - bytes0;
    System.out.printf("reference CNN, batch %d, %d warm-up steps, %d timed steps in %.2f s: %.0f images/s, "
        + "%.1f ms/step, %d bytes allocated per step%n", batch, warm, steps, dt, steps * batch / dt,
        1e3 * dt / steps, bytes / Math.max(1, steps));
    long f0 = System.nanoTime();
    int fsteps = 0;
    while (System.nanoTime() - f0 < 2e9) {
      net.evaluate(p, buf, x, y, batch);
      fsteps++;
    }
    System.out.printf("reference CNN inference (evaluate), batch %d: %.0f images/s%n", batch,
        fsteps * batch / ((System.nanoTime() - f0) / 1e9));
  }
}
