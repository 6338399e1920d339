package io.convoy.pipeline.preprocess;

import io.convoy.pipeline.preprocess.PreprocessOptions.NormalizeSpec;
import io.convoy.pipeline.preprocess.PreprocessOptions.ResizeMode;
import io.convoy.pipeline.preprocess.PreprocessOptions.ShardFormat;
import io.convoy.pipeline.preprocess.PreprocessOptions.Split;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads {@link PreprocessOptions} from a plain tree (Map / List / Number / String / Boolean, as
 * HOCON's {@code root().unwrapped()} gives), the way {@code ModelSpecs.fromTree} reads a model.
 *
 * <p>Keys (under {@code path}, usually {@code preprocess}): {@code input}, {@code output} (required),
 * {@code height}, {@code width} (required), {@code channels} (1), {@code labels} (class-per-folder),
 * {@code glob} ("*"), {@code recursive} (true), {@code resize} (crop | pad, crop),
 * {@code normalize} (none | compute | {mean: [..], std: [..]}, none), {@code split}
 * ({train, validation, test}, all train), {@code seed} (0), {@code format} (uint8 | float32, uint8),
 * {@code shard-size} (2048), {@code rejects-fatal} (false), {@code max-pixels} (100000000).
 * Unknown keys are errors (a typo must not be silently ignored). Every error names the key path.
 */
public final class PreprocessConfig {
  private static final Set<String> KEYS = Set.of("input", "output", "labels", "glob", "recursive", "channels",
      "height", "width", "resize", "normalize", "split", "seed", "format", "shard-size", "rejects-fatal", "max-pixels");

  private PreprocessConfig() {
  }

  /** Parses the preprocessing tree found at key {@code path}. */
  public static PreprocessOptions fromTree(Map<String, Object> tree, String path) {
    if (tree == null) {
      throw new IllegalArgumentException(path + ": expected an object with input, output, height, width, got nothing");
    }
    Set<String> unknown = new TreeSet<>(tree.keySet());
    unknown.removeAll(KEYS);
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(path + ": unknown key(s) " + unknown + ", expected some of " + new TreeSet<>(KEYS));
    }
    String input = string(tree, path, "input", null);
    String output = string(tree, path, "output", null);
    int height = integer(tree, path, "height", null);
    int width = integer(tree, path, "width", null);
    int channels = integer(tree, path, "channels", 1);
    String labels = string(tree, path, "labels", PreprocessOptions.CLASS_PER_FOLDER);
    String glob = string(tree, path, "glob", "*");
    boolean recursive = bool(tree, path, "recursive", true);
    String resizeText = string(tree, path, "resize", "crop").toLowerCase(Locale.ROOT);
    ResizeMode resize = switch (resizeText) {
      case "crop" -> ResizeMode.CROP;
      case "pad" -> ResizeMode.PAD;
      default -> throw new IllegalArgumentException(path + ".resize must be crop or pad, got \"" + resizeText + "\"");
    };
    NormalizeSpec norm = normalize(tree.get("normalize"), path + ".normalize");
    Split split = split(tree.get("split"), path + ".split");
    long seed = longValue(tree, path, "seed", 0L);
    String formatText = string(tree, path, "format", "uint8").toLowerCase(Locale.ROOT);
    ShardFormat format = switch (formatText) {
      case "uint8" -> ShardFormat.UINT8;
      case "float32" -> ShardFormat.FLOAT32;
      default -> throw new IllegalArgumentException(path + ".format must be uint8 or float32, got \"" + formatText + "\"");
    };
    int shardSize = integer(tree, path, "shard-size", PreprocessOptions.DEFAULT_SHARD_SIZE);
    boolean fatal = bool(tree, path, "rejects-fatal", false);
    long maxPixels = longValue(tree, path, "max-pixels", PreprocessOptions.DEFAULT_MAX_PIXELS);
    return new PreprocessOptions(input, output, labels, glob, recursive, channels, height, width, resize, norm, split,
        seed, format, shardSize, fatal, maxPixels);
  }

  private static NormalizeSpec normalize(Object v, String key) {
    if (v == null) {
      return NormalizeSpec.NONE;
    }
    if (v instanceof String s) {
      return switch (s.toLowerCase(Locale.ROOT)) {
        case "none" -> NormalizeSpec.NONE;
        case "compute" -> NormalizeSpec.COMPUTE;
        default -> throw new IllegalArgumentException(key + " must be none, compute or {mean: [..], std: [..]}, got \""
            + s + "\"");
      };
    }
    if (v instanceof Map<?, ?> m) {
      Set<Object> unknown = new TreeSet<>(m.keySet().stream().map(String::valueOf).toList());
      unknown.removeAll(Set.of("mean", "std"));
      if (!unknown.isEmpty()) {
        throw new IllegalArgumentException(key + ": unknown key(s) " + unknown + ", expected mean and std");
      }
      return NormalizeSpec.given(floats(m.get("mean"), key + ".mean"), floats(m.get("std"), key + ".std"));
    }
    throw new IllegalArgumentException(key + " must be none, compute or {mean: [..], std: [..]}, got " + v);
  }

  private static float[] floats(Object v, String key) {
    if (v instanceof Number n) {
      return new float[] {n.floatValue()};
    }
    if (!(v instanceof List<?> l) || l.isEmpty()) {
      throw new IllegalArgumentException(key + " must be a number or a list of numbers (one per channel), got " + v);
    }
    float[] f = new float[l.size()];
    for (int i = 0; i < f.length; i++) {
      if (!(l.get(i) instanceof Number n)) {
        throw new IllegalArgumentException(key + "[" + i + "] must be a number, got " + l.get(i));
      }
      f[i] = n.floatValue();
    }
    return f;
  }

  private static Split split(Object v, String key) {
    if (v == null) {
      return Split.ALL_TRAIN;
    }
    if (!(v instanceof Map<?, ?> m)) {
      throw new IllegalArgumentException(key + " must be {train: f, validation: f, test: f}, got " + v);
    }
    Set<Object> unknown = new TreeSet<>(m.keySet().stream().map(String::valueOf).toList());
    unknown.removeAll(Set.of("train", "validation", "test"));
    if (!unknown.isEmpty()) {
      throw new IllegalArgumentException(key + ": unknown key(s) " + unknown + ", expected train, validation, test");
    }
    double[] f = new double[3];
    for (int i = 0; i < 3; i++) {
      Object x = m.get(Split.NAMES[i]);
      if (x == null) {
        continue;
      }
      if (!(x instanceof Number n)) {
        throw new IllegalArgumentException(key + "." + Split.NAMES[i] + " must be a fraction, got " + x);
      }
      f[i] = n.doubleValue();
    }
    return new Split(f[0], f[1], f[2]);
  }

  private static String string(Map<String, Object> t, String path, String key, String dflt) {
    Object v = t.get(key);
    if (v == null) {
      if (dflt == null) {
        throw new IllegalArgumentException(path + "." + key + " is required, got nothing");
      }
      return dflt;
    }
    if (!(v instanceof String s)) {
      throw new IllegalArgumentException(path + "." + key + " must be a string, got " + v);
    }
    return s;
  }

  private static int integer(Map<String, Object> t, String path, String key, Integer dflt) {
    long v = longValue(t, path, key, dflt == null ? null : dflt.longValue());
    if (v < Integer.MIN_VALUE || v > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(path + "." + key + " must fit in an int, got " + v);
    }
    return (int) v;
  }

  private static long longValue(Map<String, Object> t, String path, String key, Long dflt) {
    Object v = t.get(key);
    if (v == null) {
      if (dflt == null) {
        throw new IllegalArgumentException(path + "." + key + " is required, got nothing");
      }
      return dflt;
    }
    if (v instanceof String s) {
      try {
        return Long.parseLong(s.strip());
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException(path + "." + key + " must be an integer, got \"" + s + "\"", e);
      }
    }
    if (!(v instanceof Number n) || n.doubleValue() != Math.rint(n.doubleValue())) {
      throw new IllegalArgumentException(path + "." + key + " must be an integer, got " + v);
    }
    return n.longValue();
  }

  private static boolean bool(Map<String, Object> t, String path, String key, boolean dflt) {
    Object v = t.get(key);
    if (v == null) {
      return dflt;
    }
    if (v instanceof Boolean b) {
      return b;
    }
    if (v instanceof String s && (s.equalsIgnoreCase("true") || s.equalsIgnoreCase("false"))) {
      return Boolean.parseBoolean(s);
    }
    throw new IllegalArgumentException(path + "." + key + " must be true or false, got " + v);
  }
}
