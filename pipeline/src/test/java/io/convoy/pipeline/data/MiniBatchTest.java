package io.convoy.pipeline.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convoy.pipeline.model.TensorShape;
import java.util.SplittableRandom;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** MiniBatch in Arrow memory: fill, bulk copies out, IPC round trip; the allocator catches leaks. */
class MiniBatchTest {
  BufferAllocator allocator;

  @BeforeEach
  void open() {
    allocator = new RootAllocator();
  }

  @AfterEach
  void close() {
    allocator.close();   // throws when a buffer leaked
  }

  static ImageSet random(int n, TensorShape s, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    byte[] px = new byte[n * s.size()];
    int[] lab = new int[n];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) r.nextInt(256);
    }
    for (int i = 0; i < n; i++) {
      lab[i] = r.nextInt(10);
    }
    return new ImageSet(s, px, lab, 10);
  }

  @Test
  void fillCopyAndIpcRoundTrip() {
    TensorShape s = new TensorShape(3, 5, 7);   // 105 floats per example: not a multiple of 8
    ImageSet set = random(13, s, 3L);
    Normalization norm = new Normalization(new float[] {0.1f, 0.2f, 0.3f}, new float[] {0.5f, 0.6f, 0.7f});
    try (MiniBatch b = MiniBatch.allocate(allocator, s, 8)) {
      b.fill(set, 6, 7, norm);   // a short batch
      assertEquals(7, b.size());
      float[] x = new float[7 * 105];
      int[] y = new int[7];
      b.copyPixelsTo(x);
      b.copyLabelsTo(y);
      for (int i = 0; i < 7; i++) {
        assertEquals(set.labels()[6 + i], y[i]);
        for (int k = 0; k < 105; k++) {
          assertEquals(norm.apply(set.pixel(6 + i, k), k / 35), x[i * 105 + k], 1e-5f);
        }
      }
      byte[] ipc = b.toIpcBytes();
      try (MiniBatch c = MiniBatch.fromIpcBytes(allocator, ipc)) {
        assertEquals(7, c.size());
        assertEquals(s, c.shape());
        float[] x2 = new float[x.length];
        int[] y2 = new int[7];
        c.copyPixelsTo(x2);
        c.copyLabelsTo(y2);
        assertArrayEquals(x, x2, 0f);
        assertArrayEquals(y, y2);
      }
    }
  }
}
