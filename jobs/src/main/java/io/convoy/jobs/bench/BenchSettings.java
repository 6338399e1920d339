package io.convoy.jobs.bench;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigRenderOptions;
import com.typesafe.config.ConfigValue;
import com.typesafe.config.ConfigValueType;
import io.convoy.jobs.JobConfigException;
import io.convoy.jobs.JobConfigs;
import java.io.File;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * The benchmark's settings: {@code conf/bench.conf} (the defaults, every key documented there), then the
 * given file, then {@code key=value} overrides. A key the defaults do not have is rejected, naming it.
 *
 * @param home the Convoy checkout (scripts/, conf/)
 * @param sections which sections run, in the fixed order fma, sgemm, layers, train, predict
 * @param outputDir the folder that receives {@code bench-<timestamp>/}
 * @param threads thread counts to compare at (1 and/or 2)
 * @param python the Python 3 that runs the peers
 * @param peerEnvUnset environment variables removed for the peers
 * @param childTimeoutMinutes a child process is killed after this long
 * @param epochs training epochs of every training run
 * @param warmUpSeconds the shortest warm-up before a timed operation (and at least 20 calls)
 */
record BenchSettings(Path home, Config resolved, List<String> sections, Path outputDir, List<Integer> threads,
    String python, List<String> peerEnvUnset, int childTimeoutMinutes, int epochs, double warmUpSeconds,
    int fmaRounds, double fmaSeconds,
    List<Integer> sgemmSizes, boolean sgemmCnnShapes, int sgemmRounds, double sgemmSeconds,
    List<String> layerModels, int layerBatch, int layerRounds, double layerSeconds,
    Path trainConfig, int trainBatch, boolean trainSyncSgd, int trainLimit, int testLimit, List<String> trainOverrides,
    int predictLimit, int predictRepeats, int predictBatch) {

  static final List<String> SECTIONS = List.of("fma", "sgemm", "layers", "train", "predict");
  static final List<String> MODELS = List.of("reference-cnn", "lenet5");

  /** Where the launcher says the checkout is: -Dconvoy.home (bin/convoy), -Dconvoy.project.root (tests), else ".". */
  static Path defaultHome() {
    String home = System.getProperty("convoy.home", System.getProperty("convoy.project.root", "."));
    return Path.of(home).toAbsolutePath().normalize();
  }

  /** Loads {@code <home>/conf/bench.conf}, then {@code file} (may be null), then the overrides. */
  static BenchSettings load(Path home, File file, List<String> overrides) {
    Path defaultsFile = home.resolve("conf").resolve("bench.conf");
    if (!Files.isRegularFile(defaultsFile)) {
      throw new JobConfigException("the benchmark's defaults " + defaultsFile + " are missing (is convoy.home = "
          + home + " a Convoy checkout?)");
    }
    Config defaults = parse(defaultsFile.toFile());
    Config job = file == null ? ConfigFactory.empty() : parse(file);
    Config merged;
    try {
      merged = JobConfigs.parseOverrides(overrides).withFallback(job).withFallback(defaults).resolve();
    } catch (ConfigException e) {
      throw new JobConfigException("cannot resolve the benchmark config: " + e.getMessage(), e);
    }
    rejectUnknown(merged.root(), defaults.root(), "");
    return parse(home, merged);
  }

  private static Config parse(File f) {
    try {
      return ConfigFactory.parseFile(f, ConfigParseOptions.defaults().setAllowMissing(false));
    } catch (ConfigException e) {
      throw new JobConfigException("cannot read config file " + f + ": " + e.getMessage(), e);
    }
  }

  private static BenchSettings parse(Path home, Config c) {
    List<String> sections = strings(c, "bench.sections");
    for (String s : sections) {
      if (!SECTIONS.contains(s)) {
        throw new JobConfigException("bench.sections: unknown section '" + s + "', expected some of " + SECTIONS);
      }
    }
    List<Integer> threads = ints(c, "bench.threads");
    if (threads.isEmpty() || threads.stream().anyMatch(t -> t != 1 && t != 2)) {
      throw new JobConfigException("bench.threads must list 1 and/or 2, got " + threads);
    }
    List<String> models = strings(c, "bench.layers.models");
    for (String m : models) {
      if (!MODELS.contains(m)) {
        throw new JobConfigException("bench.layers.models: unknown model '" + m + "', expected some of " + MODELS);
      }
    }
    List<Integer> sizes = ints(c, "bench.sgemm.sizes");
    for (int n : sizes) {
      if (n <= 0 || n > 8192) {
        throw new JobConfigException("bench.sgemm.sizes must be in [1, 8192], got " + n);
      }
    }
    String out = string(c, "bench.output-dir");
    if (out.startsWith("file://")) {
      out = out.substring("file://".length());
    } else if (out.startsWith("file:")) {
      out = out.substring("file:".length());
    }
    if (out.contains("://")) {
      throw new JobConfigException("bench.output-dir must be a local folder (the peers write there too), got " + out);
    }
    return new BenchSettings(home, c, order(sections), Path.of(out).toAbsolutePath().normalize(),
        List.copyOf(new java.util.TreeSet<>(threads)), string(c, "bench.python"), strings(c, "bench.peer-env-unset"),
        positive(c, "bench.child-timeout-minutes"), positive(c, "bench.epochs"), seconds(c, "bench.warm-up-seconds"),
        positive(c, "bench.fma.rounds"), seconds(c, "bench.fma.seconds"),
        sizes, bool(c, "bench.sgemm.cnn-shapes"), positive(c, "bench.sgemm.rounds"), seconds(c, "bench.sgemm.seconds"),
        models, positive(c, "bench.layers.batch"), positive(c, "bench.layers.rounds"),
        seconds(c, "bench.layers.seconds"),
        resolveFile(home, string(c, "bench.train.config"), "bench.train.config"), positive(c, "bench.train.batch-size"),
        bool(c, "bench.train.sync-sgd"), nonNegative(c, "bench.train.limit"), nonNegative(c, "bench.train.test-limit"),
        strings(c, "bench.train.overrides"),
        nonNegative(c, "bench.predict.limit"), positive(c, "bench.predict.repeats"), positive(c, "bench.predict.batch"));
  }

  boolean runs(String section) {
    return sections.contains(section);
  }

  /** The settings as HOCON (for bench.json and the log). */
  String render() {
    return resolved.getConfig("bench").root().render(ConfigRenderOptions.concise());
  }

  private static List<String> order(List<String> sections) {
    List<String> out = new ArrayList<>();
    for (String s : SECTIONS) {
      if (sections.contains(s)) {
        out.add(s);
      }
    }
    return out;
  }

  /** A relative path is taken from the working folder when it exists there, else from the checkout. */
  private static Path resolveFile(Path home, String p, String key) {
    Path given = Path.of(p);
    Path f = given.isAbsolute() || Files.exists(given) ? given.toAbsolutePath() : home.resolve(p);
    if (!Files.isRegularFile(f)) {
      throw new JobConfigException(key + " = " + p + " is not a file (looked at " + f + ")");
    }
    return f.normalize();
  }

  private static ConfigValue value(Config c, String key) {
    if (!c.hasPath(key)) {
      throw new JobConfigException(key + " is required but not set");
    }
    return c.getValue(key);
  }

  private static JobConfigException wrong(String key, String expected, ConfigValue v) {
    return new JobConfigException(key + ": expected " + expected + ", got " + v.valueType() + " " + v.render());
  }

  private static String string(Config c, String key) {
    ConfigValue v = value(c, key);
    if (v.valueType() != ConfigValueType.STRING && v.valueType() != ConfigValueType.NUMBER) {
      throw wrong(key, "a string", v);
    }
    return String.valueOf(v.unwrapped());
  }

  private static boolean bool(Config c, String key) {
    try {
      return c.getBoolean(key);
    } catch (ConfigException.WrongType e) {
      throw wrong(key, "true or false", value(c, key));
    }
  }

  private static double number(Config c, String key) {
    try {
      return c.getDouble(key);
    } catch (ConfigException.WrongType e) {
      throw wrong(key, "a number", value(c, key));
    }
  }

  private static int integer(Config c, String key) {
    double d = number(c, key);
    if (d != Math.rint(d) || Math.abs(d) > Integer.MAX_VALUE) {
      throw new JobConfigException(key + ": expected a whole number, got " + d);
    }
    return (int) d;
  }

  private static int positive(Config c, String key) {
    int v = integer(c, key);
    if (v <= 0) {
      throw new JobConfigException(key + " must be > 0, got " + v);
    }
    return v;
  }

  private static int nonNegative(Config c, String key) {
    int v = integer(c, key);
    if (v < 0) {
      throw new JobConfigException(key + " must be >= 0, got " + v);
    }
    return v;
  }

  private static double seconds(Config c, String key) {
    double v = number(c, key);
    if (!(v > 0 && v <= 60)) {
      throw new JobConfigException(key + " must be in (0, 60] seconds, got " + v);
    }
    return v;
  }

  private static List<String> strings(Config c, String key) {
    ConfigValue v = value(c, key);
    if (v.valueType() != ConfigValueType.LIST) {
      throw wrong(key, "a list", v);
    }
    List<String> out = new ArrayList<>();
    for (Object o : (List<?>) v.unwrapped()) {
      if (o instanceof Map || o instanceof List) {
        throw wrong(key, "a list of strings", v);
      }
      out.add(String.valueOf(o));
    }
    return List.copyOf(out);
  }

  private static List<Integer> ints(Config c, String key) {
    List<Integer> out = new ArrayList<>();
    for (String s : strings(c, key)) {
      try {
        out.add(Integer.parseInt(s));
      } catch (NumberFormatException e) {
        throw new JobConfigException(key + ": expected a list of whole numbers, got '" + s + "'");
      }
    }
    return List.copyOf(out);
  }

  /** Rejects keys of {@code actual} that {@code reference} does not have, naming the key and where it came from. */
  static void rejectUnknown(ConfigObject actual, ConfigObject reference, String prefix) {
    for (Map.Entry<String, ConfigValue> e : actual.entrySet()) {
      String key = prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey();
      ConfigValue ref = reference.get(e.getKey());
      if (ref == null) {
        String hint = closest(e.getKey(), reference.keySet());
        String where = e.getValue().origin() == null ? "" : " (" + e.getValue().origin().description() + ")";
        throw new JobConfigException("unknown key " + key + where
            + (hint == null ? "" : "; did you mean " + (prefix.isEmpty() ? hint : prefix + "." + hint) + "?")
            + " Known keys here: " + String.join(", ", reference.keySet()));
      }
      if (e.getValue().valueType() == ConfigValueType.OBJECT && ref.valueType() == ConfigValueType.OBJECT) {
        rejectUnknown((ConfigObject) e.getValue(), (ConfigObject) ref, key);
      } else if (e.getValue().valueType() == ConfigValueType.OBJECT) {
        throw wrong(key, "a " + ref.valueType().name().toLowerCase(Locale.ROOT), e.getValue());
      }
    }
  }

  private static String closest(String key, Set<String> candidates) {
    String best = null;
    int bestD = Integer.MAX_VALUE;
    for (String c : candidates) {
      int d = distance(key, c);
      if (d < bestD) {
        bestD = d;
        best = c;
      }
    }
    return bestD <= Math.max(2, key.length() / 3) ? best : null;
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        cur[j] = Math.min(Math.min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }
}
