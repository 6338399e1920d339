package io.convoy.pipeline.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.convoy.pipeline.model.TensorShape;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** Seeded orders, batch slicing, filling with normalisation and augmentation. */
class BatcherTest {

  @Test
  void ordersArePermutationsSeededPerEpoch() {
    Batcher b = new Batcher(103, 10, 42L, true);
    assertEquals(11, b.numBatches());
    assertEquals(10, b.batchLength(0));
    assertEquals(3, b.batchLength(10));
    assertEquals(100, b.batchStart(10));
    int[] e0 = b.order(0);
    int[] e1 = b.order(1);
    assertArrayEquals(e0, new Batcher(103, 10, 42L, true).order(0));
    assertFalse(Arrays.equals(e0, e1));
    assertFalse(Arrays.equals(e0, new Batcher(103, 10, 43L, true).order(0)));
    int[] sorted = e1.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < sorted.length; i++) {
      assertEquals(i, sorted[i]);
    }
    int[] id = new Batcher(5, 2, 1L, false).order(3);
    assertArrayEquals(new int[] {0, 1, 2, 3, 4}, id);
  }

  static ImageSet tiny() {
    TensorShape s = new TensorShape(1, 2, 3);
    byte[] px = new byte[12];
    for (int i = 0; i < 12; i++) {
      px[i] = (byte) (i * 20 + 10);
    }
    return new ImageSet(s, px, new int[] {1, 0}, 2);
  }

  @Test
  void fillsNormalised() {
    ImageSet set = tiny();
    Normalization n = new Normalization(new float[] {0.5f}, new float[] {0.25f});
    float[] x = new float[12];
    int[] y = new int[2];
    Batcher.fill(set, new int[] {1, 0}, 0, 2, n, null, 0, x, y);
    assertArrayEquals(new int[] {0, 1}, y);
    for (int k = 0; k < 6; k++) {
      assertEquals(((set.pixel(1, k) / 255f) - 0.5f) / 0.25f, x[k], 1e-5f);
      assertEquals(((set.pixel(0, k) / 255f) - 0.5f) / 0.25f, x[6 + k], 1e-5f);
    }
  }

  @Test
  void augmentsWithFlipAndShift() {
    ImageSet set = tiny();
    Normalization unit = Normalization.unit(1);
    float[] x = new float[6];
    int[] y = new int[1];
    // maxShift 0 and flip: every image is either as is or mirrored
    boolean sawFlip = false;
    for (long seed = 0; seed < 8; seed++) {
      Batcher.fill(set, new int[] {0}, 0, 1, unit, new Augmentation(true, 0), seed, x, y);
      boolean flipped = Math.abs(x[0] - set.pixel(0, 2) / 255f) < 1e-6;
      sawFlip |= flipped;
      for (int r = 0; r < 2; r++) {
        for (int q = 0; q < 3; q++) {
          int src = flipped ? 2 - q : q;
          assertEquals(set.pixel(0, r * 3 + src) / 255f, x[r * 3 + q], 1e-6f);
        }
      }
    }
    assertEquals(true, sawFlip);
    // shifts keep the content, move it by at most one pixel, zero-filled
    for (long seed = 0; seed < 8; seed++) {
      Batcher.fill(set, new int[] {0}, 0, 1, unit, new Augmentation(false, 1), seed, x, y);
      int nonZero = 0;
      for (float v : x) {
        nonZero += v != 0f ? 1 : 0;
      }
      assertEquals(true, nonZero >= 2 && nonZero <= 6);
    }
  }
}
