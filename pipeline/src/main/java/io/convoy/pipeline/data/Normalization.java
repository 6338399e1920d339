package io.convoy.pipeline.data;

import java.io.Serializable;
import java.util.Arrays;

/**
 * Per-channel normalisation of unsigned-byte pixels: {@code x = pixel / 255}, then
 * {@code (x - mean[c]) / std[c]}. Equivalently {@code pixel * scale(c) + shift(c)}, the form that
 * {@code ArrowCopy.unsignedBytesToFloats} takes.
 *
 * @param mean per-channel mean of {@code pixel / 255}
 * @param std per-channel standard deviation of {@code pixel / 255}, each > 0
 */
public record Normalization(float[] mean, float[] std) implements Serializable {

  public Normalization {
    if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
      throw new IllegalArgumentException("Normalization: mean and std need one value per channel, got "
          + Arrays.toString(mean) + " and " + Arrays.toString(std));
    }
    for (int c = 0; c < std.length; c++) {
      if (!(std[c] > 0f) || Float.isInfinite(std[c])) {
        throw new IllegalArgumentException("Normalization: std of channel " + c + " must be > 0, got " + std[c]);
      }
      if (!Float.isFinite(mean[c])) {
        throw new IllegalArgumentException("Normalization: mean of channel " + c + " must be finite, got " + mean[c]);
      }
    }
    mean = mean.clone();
    std = std.clone();
  }

  /** Only {@code pixel / 255} (mean 0, std 1) for {@code channels} channels. */
  public static Normalization unit(int channels) {
    float[] m = new float[channels];
    float[] s = new float[channels];
    Arrays.fill(s, 1f);
    return new Normalization(m, s);
  }

  /** Mean and (population) standard deviation per channel of {@code pixel / 255}, in one pass. */
  public static Normalization compute(ImageSet set) {
    int c = set.shape().c();
    int hw = set.shape().h() * set.shape().w();
    long[] sum = new long[c];
    long[] sumSq = new long[c];
    byte[] px = set.pixels();
    int idx = 0;
    for (int i = 0; i < set.size(); i++) {
      for (int ch = 0; ch < c; ch++) {
        long s = 0;
        long q = 0;
        for (int k = 0; k < hw; k++) {
          int v = px[idx++] & 0xFF;
          s += v;
          q += v * v;
        }
        sum[ch] += s;
        sumSq[ch] += q;
      }
    }
    float[] mean = new float[c];
    float[] std = new float[c];
    double count = (double) set.size() * hw;
    for (int ch = 0; ch < c; ch++) {
      if (count == 0) {
        mean[ch] = 0f;
        std[ch] = 1f;
        continue;
      }
      double m = sum[ch] / count;
      double var = Math.max(0.0, sumSq[ch] / count - m * m);
      mean[ch] = (float) (m / 255.0);
      double sd = Math.sqrt(var) / 255.0;
      std[ch] = sd > 1e-12 ? (float) sd : 1f;
    }
    return new Normalization(mean, std);
  }

  /** Number of channels. */
  public int channels() {
    return mean.length;
  }

  /** Multiplier of the raw pixel for channel {@code c}. */
  public float scale(int c) {
    return 1f / (255f * std[c]);
  }

  /** Offset after scaling for channel {@code c}. */
  public float shift(int c) {
    return -mean[c] / std[c];
  }

  /** The normalised value of one raw pixel (0..255) of channel {@code c}. */
  public float apply(int pixel, int c) {
    return (pixel / 255f - mean[c]) / std[c];
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Normalization n && Arrays.equals(mean, n.mean) && Arrays.equals(std, n.std);
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(mean) + Arrays.hashCode(std);
  }

  @Override
  public String toString() {
    return "Normalization[mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + "]";
  }

  /**
   * The normalisation a model file's metadata holds ({@code normalization-mean} and
   * {@code normalization-std}, one number per channel, as the trainers write them), or null when it
   * holds none or they do not pair up.
   */
  public static Normalization fromMetadata(java.util.Map<String, Object> meta) {
    if (meta.get("normalization-mean") instanceof java.util.List<?> mean
        && meta.get("normalization-std") instanceof java.util.List<?> std && mean.size() == std.size()
        && !mean.isEmpty()) {
      float[] a = new float[mean.size()];
      float[] s = new float[std.size()];
      for (int i = 0; i < a.length; i++) {
        if (!(mean.get(i) instanceof Number m) || !(std.get(i) instanceof Number d)) {
          return null;
        }
        a[i] = m.floatValue();
        s[i] = d.floatValue();
      }
      return new Normalization(a, s);
    }
    return null;
  }
}
