package io.convoy.pipeline.data;

import java.util.SplittableRandom;

/**
 * Splits {@code size} examples into batches of {@code batchSize} in a seeded per-epoch order; the
 * last batch keeps the remainder (it may be short). The order of epoch {@code e} is a Fisher-Yates
 * shuffle driven by {@code new SplittableRandom(seed ^ (GOLDEN * (e + 1)))}, so every process that
 * knows the seed computes the same order (Spark tasks included); with shuffling off it is the
 * identity.
 *
 * <p>{@link #fill} turns examples of an {@link ImageSet} into a normalised float batch (NCHW) plus
 * labels, optionally augmented.
 */
public final class Batcher {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final int size;
  private final int batchSize;
  private final long seed;
  private final boolean shuffle;

  /** Batches of {@code batchSize} over {@code size} examples. */
  public Batcher(int size, int batchSize, long seed, boolean shuffle) {
    if (size < 0) {
      throw new IllegalArgumentException("Batcher: example count must be >= 0, got " + size);
    }
    if (batchSize <= 0) {
      throw new IllegalArgumentException("train.batch-size must be > 0, got " + batchSize);
    }
    this.size = size;
    this.batchSize = batchSize;
    this.seed = seed;
    this.shuffle = shuffle;
  }

  /** Examples in total. */
  public int size() {
    return size;
  }

  /** The (global) batch size. */
  public int batchSize() {
    return batchSize;
  }

  /** Batches per epoch: {@code ceil(size / batchSize)}. */
  public int numBatches() {
    return (int) (((long) size + batchSize - 1) / batchSize);
  }

  /** Position in the epoch order where batch {@code b} starts. */
  public int batchStart(int b) {
    checkBatch(b);
    return b * batchSize;
  }

  /** Examples in batch {@code b} ({@code batchSize} except perhaps the last). */
  public int batchLength(int b) {
    checkBatch(b);
    return Math.min(batchSize, size - b * batchSize);
  }

  /** The example order of epoch {@code epoch}: a permutation of {@code [0, size)}. */
  public int[] order(int epoch) {
    int[] p = new int[size];
    for (int i = 0; i < size; i++) {
      p[i] = i;
    }
    if (shuffle) {
      shuffle(p, seed ^ (GOLDEN * (epoch + 1L)));
    }
    return p;
  }

  /** Shuffles {@code p} in place (Fisher-Yates) with a {@link SplittableRandom} of the given seed. */
  public static void shuffle(int[] p, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    for (int i = p.length - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = p[i];
      p[i] = p[j];
      p[j] = t;
    }
  }

  /**
   * Writes examples {@code order[from .. from+count)} of {@code set} into {@code x} (NCHW floats,
   * normalised) and their labels into {@code y}, both from index 0. {@code aug} may be null or
   * {@link Augmentation#NONE}; otherwise it is applied with a generator seeded by {@code augSeed}.
   */
  public static void fill(ImageSet set, int[] order, int from, int count, Normalization norm,
      Augmentation aug, long augSeed, float[] x, int[] y) {
    int c = set.shape().c();
    int h = set.shape().h();
    int w = set.shape().w();
    int hw = h * w;
    int s = c * hw;
    if (norm.channels() != c) {
      throw new IllegalArgumentException("Batcher.fill: normalization has " + norm.channels()
          + " channels, the images have " + c);
    }
    if (from < 0 || count < 0 || from + count > order.length) {
      throw new IllegalArgumentException("Batcher.fill: range [" + from + ", " + (from + count)
          + ") is outside the order of " + order.length + " examples");
    }
    if ((long) count * s > x.length || count > y.length) {
      throw new IllegalArgumentException("Batcher.fill: " + count + " examples need " + ((long) count * s)
          + " floats and " + count + " labels, got arrays of " + x.length + " and " + y.length);
    }
    byte[] px = set.pixels();
    boolean plain = aug == null || aug.isNone();
    SplittableRandom rnd = plain ? null : new SplittableRandom(augSeed);
    for (int i = 0; i < count; i++) {
      int ex = order[from + i];
      y[i] = set.labels()[ex];
      int src = ex * s;
      int dst = i * s;
      if (plain) {
        for (int ch = 0; ch < c; ch++) {
          float sc = norm.scale(ch);
          float sh = norm.shift(ch);
          int so = src + ch * hw;
          int d = dst + ch * hw;
          for (int k = 0; k < hw; k++) {
            x[d + k] = (px[so + k] & 0xFF) * sc + sh;
          }
        }
        continue;
      }
      boolean flip = aug.flip() && rnd.nextBoolean();
      int dy = aug.maxShift() == 0 ? 0 : rnd.nextInt(-aug.maxShift(), aug.maxShift() + 1);
      int dx = aug.maxShift() == 0 ? 0 : rnd.nextInt(-aug.maxShift(), aug.maxShift() + 1);
      for (int ch = 0; ch < c; ch++) {
        float sc = norm.scale(ch);
        float sh = norm.shift(ch);
        int so = src + ch * hw;
        int d = dst + ch * hw;
        for (int r = 0; r < h; r++) {
          int sr = r - dy;
          for (int q = 0; q < w; q++) {
            int sq = (flip ? w - 1 - q : q) - dx;
            int v = sr >= 0 && sr < h && sq >= 0 && sq < w ? px[so + sr * w + sq] & 0xFF : 0;
            x[d + r * w + q] = v * sc + sh;
          }
        }
      }
    }
  }

  private void checkBatch(int b) {
    if (b < 0 || b >= numBatches()) {
      throw new IllegalArgumentException("Batcher: batch " + b + " is outside [0, " + numBatches() + ")");
    }
  }
}
