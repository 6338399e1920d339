package io.convoy.kernels;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.Locale;

/**
 * The bias gradient of a convolution on the reference CNN's conv2 output gradient (128 x 64 x 14 x 14)
 * in two loop orders: channel by channel over all images (planes 64 x 196 floats apart, the order
 * {@link Bias#backwardChannels} and {@link Conv2d#backwardWeights} used before) against
 * {@link Bias#backwardChannels} now (image by image, dOut read front to back). Both sum each (image,
 * channel) plane with the same vector reduction and add the planes up in double in image order, so the
 * results are the same to the bit (checked). Before each call a 32 MB array is touched, so dOut comes
 * from L3 or memory as it does after the GEMMs of a real backward pass. Not a test; prints the best CPU ms
 * per call of each:
 * <pre>
 * java --add-modules=jdk.incubator.vector -XX:PerMethodTrapLimit=100000 \
 *     -cp kernels/target/test-classes:kernels/target/classes io.convoy.kernels.BiasOrderProbe
 * </pre>
 */
public final class BiasOrderProbe {
  private BiasOrderProbe() {}

  public static void main(String[] args) {
    int n = 128;
    int k = 64;
    int pq = 14 * 14;
    float[] dOut = new float[n * k * pq];
    for (int i = 0; i < dOut.length; i++) {
      dOut[i] = (i % 97) * 0.01f - 0.4f;
    }
    float[] evict = new float[8 << 20];
    float[] byChannel = new float[k];
    float[] byImage = new float[k];
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    double bestChannel = Double.MAX_VALUE;
    double bestImage = Double.MAX_VALUE;
    for (int round = 0; round < 40; round++) {
      long channel = 0;
      long image = 0;
      for (int rep = 0; rep < 20; rep++) {
        java.util.Arrays.fill(byChannel, 0f);
        java.util.Arrays.fill(byImage, 0f);
        touch(evict);
        long t0 = mx.getCurrentThreadCpuTime();
        for (int j = 0; j < k; j++) {
          double sum = 0;
          for (int m = 0; m < n; m++) {
            sum += VectorOps.sum(dOut, (m * k + j) * pq, pq);
          }
          byChannel[j] += (float) sum;
        }
        channel += mx.getCurrentThreadCpuTime() - t0;
        touch(evict);
        t0 = mx.getCurrentThreadCpuTime();
        Bias.backwardChannels(byImage, 0, dOut, n, k, pq);
        image += mx.getCurrentThreadCpuTime() - t0;
        if (!java.util.Arrays.equals(byChannel, byImage)) {
          throw new AssertionError("the two orders disagree");
        }
      }
      bestChannel = Math.min(bestChannel, channel / 20e6);
      bestImage = Math.min(bestImage, image / 20e6);
    }
    System.out.printf(Locale.ROOT, "bias gradient of 128 x 64 x 14 x 14, CPU ms per call, best of 40 rounds of 20:"
        + " channel by channel %.3f, image by image (Bias.backwardChannels) %.3f%n", bestChannel, bestImage);
  }

  private static void touch(float[] a) {
    for (int i = 0; i < a.length; i += 16) {
      a[i] += 1;
    }
  }
}
