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
  void augmentsWithFlip() {
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
  }

  /**
   * A shift moves every channel of an image by the offset drawn for it: {@code (dy, dx)}, each uniform in
   * {@code [-maxShift, maxShift]}, drawn in that order per example from {@code SplittableRandom(augSeed)};
   * the uncovered border is raw pixel 0, normalised like any pixel. Checked pixel for pixel, for two
   * examples in one call (the second takes the next two draws), over enough seeds to see every offset.
   */
  @Test
  void shiftMovesTheContentByTheDrawnOffset() {
    int c = 2;
    int h = 5;
    int w = 6;
    int hw = h * w;
    byte[] px = new byte[2 * c * hw];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (1 + (i * 37) % 254);   // never 0, so a zero-filled border cannot pass for content
    }
    ImageSet set = new ImageSet(new TensorShape(c, h, w), px, new int[] {3, 8}, 10);
    Normalization norm = new Normalization(new float[] {0.5f, 0.25f}, new float[] {0.25f, 0.5f});
    int maxShift = 2;
    int[] order = {1, 0};
    float[] x = new float[2 * c * hw];
    int[] y = new int[2];
    java.util.Set<String> offsets = new java.util.TreeSet<>();
    for (long seed = 0; seed < 200; seed++) {
      Batcher.fill(set, order, 0, 2, norm, new Augmentation(false, maxShift), seed, x, y);
      assertArrayEquals(new int[] {8, 3}, y);
      java.util.SplittableRandom draws = new java.util.SplittableRandom(seed);
      for (int i = 0; i < 2; i++) {
        int dy = draws.nextInt(-maxShift, maxShift + 1);
        int dx = draws.nextInt(-maxShift, maxShift + 1);
        offsets.add(dy + "," + dx);
        for (int ch = 0; ch < c; ch++) {
          for (int r = 0; r < h; r++) {
            for (int q = 0; q < w; q++) {
              int sr = r - dy;
              int sq = q - dx;
              int raw = sr >= 0 && sr < h && sq >= 0 && sq < w ? set.pixel(order[i], ch * hw + sr * w + sq) : 0;
              float want = raw * norm.scale(ch) + norm.shift(ch);
              assertEquals(want, x[i * c * hw + ch * hw + r * w + q], "seed " + seed + ", example " + i
                  + " shifted by (" + dy + ", " + dx + "), channel " + ch + ", row " + r + ", column " + q);
            }
          }
        }
      }
    }
    assertEquals(25, offsets.size(), "offsets drawn: " + offsets);
  }
}
