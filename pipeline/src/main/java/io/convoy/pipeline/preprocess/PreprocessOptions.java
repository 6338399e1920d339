package io.convoy.pipeline.preprocess;

import java.io.Serializable;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * Everything one preprocessing run needs, checked in the compact constructor. Messages name the
 * config key ({@code preprocess.height must be > 0, got -3}).
 *
 * @param input directory tree of images (any Hadoop file system URI), or an IDX images file
 * @param output the folder that will hold the shards; replaced atomically if it exists
 * @param labels {@code class-per-folder} (first folder level under {@code input} is the class), or the
 *     path of a CSV file {@code path,label} (paths relative to {@code input}), or for IDX input the
 *     IDX labels file
 * @param glob Hadoop glob matched against each file NAME ({@code *.{png,jpg}}); {@code *} takes all
 * @param recursive whether to descend into sub-folders (class-per-folder always descends one level)
 * @param channels 1 (grey) or 3 (RGB)
 * @param height output height in pixels
 * @param width output width in pixels
 * @param resize how aspect ratio is kept: {@link ResizeMode#CROP} or {@link ResizeMode#PAD}
 * @param normalize {@code none}, {@code compute} (mean/std over the training split) or given values
 * @param split fractions of train, validation and test (sum 1), assigned by a seeded hash of the path
 * @param seed seeds the split hash
 * @param format pixel type stored in the shards: {@link ShardFormat#UINT8} or {@link ShardFormat#FLOAT32}
 * @param shardSize input files per shard (a shard holds at most this many examples)
 * @param rejectsFatal whether one undecodable file fails the whole run
 * @param maxPixels largest {@code width * height} a source image may claim; larger are rejected
 *     before any pixel is decoded
 */
public record PreprocessOptions(String input, String output, String labels, String glob, boolean recursive,
    int channels, int height, int width, ResizeMode resize, NormalizeSpec normalize, Split split, long seed,
    ShardFormat format, int shardSize, boolean rejectsFatal, long maxPixels) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** The {@code labels} value that means "the first folder level names the class". */
  public static final String CLASS_PER_FOLDER = "class-per-folder";
  /** Default {@code preprocess.max-pixels}: 100 megapixels. */
  public static final long DEFAULT_MAX_PIXELS = 100_000_000L;
  /** Default {@code preprocess.shard-size}. */
  public static final int DEFAULT_SHARD_SIZE = 2048;

  /** How the source aspect ratio is kept when it differs from the output's. */
  public enum ResizeMode {
    /** Scale so the output is covered, then cut the centre. */
    CROP,
    /** Scale so the whole image fits, centre it, fill the border with 0. */
    PAD;

    /** The config spelling. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** Pixel type in the shards. */
  public enum ShardFormat {
    /** Raw 0..255 bytes; the normalisation is in the manifest (compact; what ShardSource reads). */
    UINT8,
    /** Normalised float32, the MiniBatch column type (4x larger; for readers outside Convoy). */
    FLOAT32;

    /** The config spelling. */
    public String key() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /** The normalisation mode. */
  public enum NormalizeMode {
    /** Only pixel / 255. */
    NONE,
    /** Mean and std per channel over the training split, computed in the same job. */
    COMPUTE,
    /** Mean and std given in the config. */
    GIVEN
  }

  /**
   * Per-channel normalisation request.
   *
   * @param mode none, compute or given
   * @param mean per-channel mean of pixel / 255 (GIVEN only, else null)
   * @param std per-channel std of pixel / 255, each > 0 (GIVEN only, else null)
   */
  public record NormalizeSpec(NormalizeMode mode, float[] mean, float[] std) implements Serializable {
    private static final long serialVersionUID = 1L;
    /** No normalisation beyond pixel / 255. */
    public static final NormalizeSpec NONE = new NormalizeSpec(NormalizeMode.NONE, null, null);
    /** Computed over the training split. */
    public static final NormalizeSpec COMPUTE = new NormalizeSpec(NormalizeMode.COMPUTE, null, null);

    public NormalizeSpec {
      if (mode == null) {
        throw new IllegalArgumentException("preprocess.normalize must be none, compute or {mean, std}, got null");
      }
      if (mode == NormalizeMode.GIVEN) {
        if (mean == null || std == null || mean.length == 0 || mean.length != std.length) {
          throw new IllegalArgumentException("preprocess.normalize: mean and std need one value per channel, got mean="
              + Arrays.toString(mean) + ", std=" + Arrays.toString(std));
        }
        for (int c = 0; c < std.length; c++) {
          if (!(std[c] > 0f) || !Float.isFinite(std[c]) || !Float.isFinite(mean[c])) {
            throw new IllegalArgumentException("preprocess.normalize.std[" + c + "] must be finite and > 0 (mean finite),"
                + " got mean " + mean[c] + ", std " + std[c]);
          }
        }
        mean = mean.clone();
        std = std.clone();
      } else if (mean != null || std != null) {
        throw new IllegalArgumentException("preprocess.normalize: mean/std are only taken with given values, mode is "
            + mode);
      }
    }

    /** Given mean and std. */
    public static NormalizeSpec given(float[] mean, float[] std) {
      return new NormalizeSpec(NormalizeMode.GIVEN, mean, std);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof NormalizeSpec n && n.mode == mode && Arrays.equals(n.mean, mean) && Arrays.equals(n.std, std);
    }

    @Override
    public int hashCode() {
      return mode.hashCode() * 31 + Arrays.hashCode(mean) * 7 + Arrays.hashCode(std);
    }

    @Override
    public String toString() {
      return mode == NormalizeMode.GIVEN ? "given(mean=" + Arrays.toString(mean) + ", std=" + Arrays.toString(std) + ")"
          : mode.name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * Fractions of the three splits; each in [0, 1], summing to 1 (within 1e-6).
   *
   * @param train training fraction
   * @param validation validation fraction
   * @param test test fraction
   */
  public record Split(double train, double validation, double test) implements Serializable {
    private static final long serialVersionUID = 1L;
    /** Everything is training data. */
    public static final Split ALL_TRAIN = new Split(1, 0, 0);
    /** Split names, in order. */
    public static final String[] NAMES = {"train", "validation", "test"};

    public Split {
      double[] f = {train, validation, test};
      for (int i = 0; i < 3; i++) {
        if (!(f[i] >= 0 && f[i] <= 1)) {
          throw new IllegalArgumentException("preprocess.split." + NAMES[i] + " must be in [0, 1], got " + f[i]);
        }
      }
      double sum = train + validation + test;
      if (Math.abs(sum - 1) > 1e-6) {
        throw new IllegalArgumentException("preprocess.split: train + validation + test must be 1, got " + train
            + " + " + validation + " + " + test + " = " + sum);
      }
    }

    /** Split index (0 train, 1 validation, 2 test) of a uniform value {@code u} in [0, 1). */
    public int of(double u) {
      if (u < train) {
        return 0;
      }
      if (u < train + validation) {
        return 1;
      }
      return test > 0 ? 2 : (validation > 0 ? 1 : 0);
    }
  }

  public PreprocessOptions {
    if (input == null || input.isBlank()) {
      throw new IllegalArgumentException("preprocess.input must be a path, got " + (input == null ? "nothing" : "\"\""));
    }
    if (output == null || output.isBlank()) {
      throw new IllegalArgumentException("preprocess.output must be a path, got " + (output == null ? "nothing" : "\"\""));
    }
    if (stripSlash(input).equals(stripSlash(output))) {
      throw new IllegalArgumentException("preprocess.output must differ from preprocess.input, both are " + input);
    }
    if (labels == null || labels.isBlank()) {
      throw new IllegalArgumentException("preprocess.labels must be class-per-folder or a CSV/IDX label file path, got "
          + (labels == null ? "nothing" : "\"\""));
    }
    if (glob == null || glob.isBlank()) {
      throw new IllegalArgumentException("preprocess.glob must be a file-name pattern such as \"*.png\", got "
          + (glob == null ? "nothing" : "\"\""));
    }
    if (channels != 1 && channels != 3) {
      throw new IllegalArgumentException("preprocess.channels must be 1 or 3, got " + channels);
    }
    if (height <= 0 || height > 16384) {
      throw new IllegalArgumentException("preprocess.height must be in [1, 16384], got " + height);
    }
    if (width <= 0 || width > 16384) {
      throw new IllegalArgumentException("preprocess.width must be in [1, 16384], got " + width);
    }
    if ((long) channels * height * width > Integer.MAX_VALUE / 8) {
      throw new IllegalArgumentException("preprocess: one example of " + channels + " x " + height + " x " + width
          + " is too large for an Arrow row");
    }
    if (resize == null) {
      throw new IllegalArgumentException("preprocess.resize must be crop or pad, got nothing");
    }
    if (normalize == null) {
      throw new IllegalArgumentException("preprocess.normalize must be none, compute or {mean, std}, got nothing");
    }
    if (normalize.mode() == NormalizeMode.GIVEN && normalize.mean().length != channels) {
      throw new IllegalArgumentException("preprocess.normalize: " + normalize.mean().length
          + " mean/std values given, preprocess.channels is " + channels);
    }
    if (split == null) {
      throw new IllegalArgumentException("preprocess.split must be {train, validation, test}, got nothing");
    }
    if (format == null) {
      throw new IllegalArgumentException("preprocess.format must be uint8 or float32, got nothing");
    }
    if (shardSize <= 0 || (long) shardSize * channels * height * width > Integer.MAX_VALUE / 4) {
      throw new IllegalArgumentException("preprocess.shard-size must be > 0 and keep a shard under 512 MB of pixels ("
          + channels + " x " + height + " x " + width + " each), got " + shardSize);
    }
    if (maxPixels <= 0) {
      throw new IllegalArgumentException("preprocess.max-pixels must be > 0, got " + maxPixels);
    }
  }

  /** Defaults for everything but the paths and the output size: class-per-folder, all files, recursive, crop. */
  public static PreprocessOptions defaults(String input, String output, int channels, int height, int width) {
    return new PreprocessOptions(input, output, CLASS_PER_FOLDER, "*", true, channels, height, width, ResizeMode.CROP,
        NormalizeSpec.NONE, Split.ALL_TRAIN, 0L, ShardFormat.UINT8, DEFAULT_SHARD_SIZE, false, DEFAULT_MAX_PIXELS);
  }

  /** True when the first folder level names the class. */
  public boolean classPerFolder() {
    return CLASS_PER_FOLDER.equals(labels);
  }

  /** A copy with another output path. */
  public PreprocessOptions withOutput(String out) {
    return new PreprocessOptions(input, out, labels, glob, recursive, channels, height, width, resize, normalize, split,
        seed, format, shardSize, rejectsFatal, maxPixels);
  }

  /** A copy with another split. */
  public PreprocessOptions withSplit(Split s, long splitSeed) {
    return new PreprocessOptions(input, output, labels, glob, recursive, channels, height, width, resize, normalize, s,
        splitSeed, format, shardSize, rejectsFatal, maxPixels);
  }

  /** A copy with other settings for the normalisation, the format, the shard size and rejects. */
  public PreprocessOptions with(NormalizeSpec norm, ShardFormat fmt, int shard, boolean fatal) {
    return new PreprocessOptions(input, output, labels, glob, recursive, channels, height, width, resize, norm, split,
        seed, fmt, shard, fatal, maxPixels);
  }

  /** The options as a config tree (the keys of {@link PreprocessConfig}), recorded in the manifest. */
  public Map<String, Object> toTree() {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("input", input);
    t.put("output", output);
    t.put("labels", labels);
    t.put("glob", glob);
    t.put("recursive", recursive);
    t.put("channels", channels);
    t.put("height", height);
    t.put("width", width);
    t.put("resize", resize.key());
    if (normalize.mode() == NormalizeMode.GIVEN) {
      Map<String, Object> n = new LinkedHashMap<>();
      n.put("mean", floats(normalize.mean()));
      n.put("std", floats(normalize.std()));
      t.put("normalize", n);
    } else {
      t.put("normalize", normalize.toString());
    }
    Map<String, Object> s = new LinkedHashMap<>();
    s.put("train", split.train());
    s.put("validation", split.validation());
    s.put("test", split.test());
    t.put("split", s);
    t.put("seed", seed);
    t.put("format", format.key());
    t.put("shard-size", shardSize);
    t.put("rejects-fatal", rejectsFatal);
    t.put("max-pixels", maxPixels);
    return t;
  }

  private static java.util.List<Double> floats(float[] f) {
    java.util.List<Double> l = new java.util.ArrayList<>();
    for (float v : f) {
      l.add((double) v);
    }
    return l;
  }

  private static String stripSlash(String p) {
    String s = p.strip();
    while (s.length() > 1 && s.endsWith("/")) {
      s = s.substring(0, s.length() - 1);
    }
    return s;
  }
}
