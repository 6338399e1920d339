package io.convoy.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigObject;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigValue;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * Every config key that the main code of {@code pipeline} and {@code jobs} names in a string literal (its
 * validation messages, and the keys the job reads) is a key a user can write: it exists in
 * {@code conf/reference.conf} (or, for {@code bench.*}, in {@code conf/bench.conf}). A dotted name under one
 * of those files' top-level sections ({@code train.}, {@code model.}, {@code spark.}, ...) that neither file
 * holds must be listed below as legitimate, with the reason: Spark's own settings and local properties,
 * and file names such as {@code model.cvm}.
 */
class MessageKeysTest {
  private static final Path ROOT = Path.of(System.getProperty("convoy.project.root", "..")).toAbsolutePath()
      .normalize();
  private static final List<String> SOURCES = List.of("pipeline/src/main/java", "jobs/src/main/java");

  /** Names under spark. that are Spark's, not Convoy's reference keys: they go under spark.conf or are Spark's own. */
  private static final Map<String, String> SPARK_OWN = Map.of(
      "spark.app.name", "Spark's own setting; Sessions sets it from spark.app-name when spark-submit has not",
      "spark.driver.host", "Spark's own setting; Sessions defaults it to 127.0.0.1 for local masters",
      "spark.driver.bindAddress", "Spark's own setting; Sessions defaults it to 127.0.0.1 for local masters",
      "spark.executor.heartbeatInterval", "Spark's own setting; Sessions defaults it to 2s for local masters",
      "spark.job.description", "a Spark local property (SparkContext.setJobDescription), not a setting",
      "spark.jobGroup.id", "a Spark local property (SparkContext.setJobGroup), not a setting",
      "spark.convoy.averaging.reduce", "Convoy's Spark setting, given under spark.conf (docs/scaling.md)",
      "spark.executor.extraJavaOptions", "Spark's own setting; ExecutorBackends tells users to add the JVM flags",
      "spark.driver.extraJavaOptions", "Spark's own setting; ExecutorBackends tells users to add the JVM flags");

  /** Keys whose value may be an object with these members although the reference default is a word. */
  private static final Map<String, Set<String>> OBJECT_FORMS = Map.of(
      "preprocess.normalize", Set.of("mean", "std"));

  /** Last segments that make a dotted name a file name (model.cvm, bench.json), not a key. */
  private static final Set<String> FILE_EXTENSIONS = Set.of("cvm", "ckpt", "json", "jsonl", "conf", "csv", "html");

  /** One dotted name found in a string literal. */
  record Named(String key, Path file, int line) {
    @Override
    public String toString() {
      return key + " (" + ROOT.relativize(file) + ":" + line + ")";
    }
  }

  /** One string literal (a text block counts as one) and the line it starts on. */
  record Literal(String text, int line) {}

  /**
   * The string literals of a Java source: comments, char literals and code skipped; escapes are kept as
   * written (a key never holds a backslash).
   */
  static List<Literal> literals(String src) {
    List<Literal> out = new ArrayList<>();
    int line = 1;
    int i = 0;
    int n = src.length();
    while (i < n) {
      char c = src.charAt(i);
      if (c == '\n') {
        line++;
        i++;
      } else if (src.startsWith("//", i)) {
        while (i < n && src.charAt(i) != '\n') {
          i++;
        }
      } else if (src.startsWith("/*", i)) {
        int end = src.indexOf("*/", i + 2);
        end = end < 0 ? n : end + 2;
        line += count(src, i, end);
        i = end;
      } else if (c == '\'') {
        int j = i + 1;
        while (j < n && src.charAt(j) != '\'') {
          j += src.charAt(j) == '\\' ? 2 : 1;
        }
        i = j + 1;
      } else if (src.startsWith("\"\"\"", i)) {
        int end = src.indexOf("\"\"\"", i + 3);
        end = end < 0 ? n : end;
        out.add(new Literal(src.substring(i + 3, end), line));
        line += count(src, i, end);
        i = end + 3;
      } else if (c == '"') {
        int j = i + 1;
        while (j < n && src.charAt(j) != '"' && src.charAt(j) != '\n') {
          j += src.charAt(j) == '\\' ? 2 : 1;
        }
        out.add(new Literal(src.substring(i + 1, Math.min(j, n)), line));
        i = j + 1;
      } else {
        i++;
      }
    }
    return out;
  }

  private static int count(String s, int from, int to) {
    int k = 0;
    for (int i = from; i < to && i < s.length(); i++) {
      k += s.charAt(i) == '\n' ? 1 : 0;
    }
    return k;
  }

  /** Dotted names starting with one of {@code sections}, not part of a longer dotted or path-like word. */
  static Pattern keyPattern(Set<String> sections) {
    String alt = sections.stream().map(Pattern::quote).collect(Collectors.joining("|"));
    return Pattern.compile("(?<![A-Za-z0-9_./$-])(?:" + alt + ")(?:\\.[A-Za-z][A-Za-z0-9-]*)+");
  }

  /** Every dotted name under {@code sections} in the string literals of the main sources. */
  static List<Named> namedKeys(Set<String> sections) throws IOException {
    Pattern p = keyPattern(sections);
    List<Named> out = new ArrayList<>();
    for (String dir : SOURCES) {
      Path base = ROOT.resolve(dir);
      assertTrue(Files.isDirectory(base), "no sources at " + base + " (convoy.project.root = " + ROOT + ")");
      List<Path> files;
      try (Stream<Path> s = Files.walk(base)) {
        files = s.filter(f -> f.toString().endsWith(".java")).sorted().toList();
      }
      for (Path f : files) {
        for (Literal lit : literals(Files.readString(f))) {
          Matcher m = p.matcher(lit.text());
          while (m.find()) {
            String key = m.group();
            // a sentence may end right after a key ("... set train.epochs."): no key ends in a dot or dash
            key = key.replaceAll("[.-]+$", "");
            out.add(new Named(key, f, lit.line()));
          }
        }
      }
    }
    return out;
  }

  /** True when {@code key} is a path of {@code root} (a leaf, a null, or a section). */
  static boolean exists(ConfigObject root, String key) {
    ConfigValue v = root;
    for (String part : key.split("\\.")) {
      if (!(v instanceof ConfigObject o) || !o.containsKey(part)) {
        return false;
      }
      v = o.get(part);
    }
    return true;
  }

  private static ConfigObject bench() {
    return ConfigFactory.parseFile(ROOT.resolve("conf/bench.conf").toFile(),
        ConfigParseOptions.defaults().setAllowMissing(false)).root();
  }

  /** Why {@code key} is legitimate, or null when it is not. */
  static String why(String key, ConfigObject reference, ConfigObject bench) {
    if (exists(reference, key)) {
      return "in conf/reference.conf";
    }
    if (exists(bench, key)) {
      return "in conf/bench.conf";
    }
    if (SPARK_OWN.containsKey(key)) {
      return SPARK_OWN.get(key);
    }
    for (Map.Entry<String, Set<String>> e : OBJECT_FORMS.entrySet()) {
      if (key.startsWith(e.getKey() + ".") && e.getValue().contains(key.substring(e.getKey().length() + 1))
          && exists(reference, e.getKey())) {
        return "a member of the object form of " + e.getKey();
      }
    }
    if (key.startsWith("spark.conf.")) {
      return "a Spark setting passed through spark.conf";
    }
    if (FILE_EXTENSIONS.contains(key.substring(key.lastIndexOf('.') + 1))) {
      return "a file name";
    }
    return null;
  }

  @Test
  void everyKeyTheMainCodeNamesExistsInTheReferenceConfig() throws IOException {
    ConfigObject reference = JobConfigs.reference().root();
    ConfigObject bench = bench();
    Set<String> sections = new TreeSet<>(reference.keySet());
    sections.addAll(bench.keySet());
    assertTrue(sections.containsAll(Set.of("spark", "data", "model", "optimizer", "schedule", "train", "checkpoint",
        "output", "preprocess", "evaluate", "predict", "bench")), "top-level sections: " + sections);

    List<Named> named = namedKeys(sections);
    Map<String, List<Named>> bad = new TreeMap<>();
    Set<String> checked = new TreeSet<>();
    for (Named k : named) {
      checked.add(k.key());
      if (why(k.key(), reference, bench) == null) {
        bad.computeIfAbsent(k.key(), x -> new ArrayList<>()).add(k);
      }
    }
    System.out.printf("MessageKeysTest: %d mentions of %d distinct keys in the string literals of %s%n",
        named.size(), checked.size(), SOURCES);
    // the exceptions stay current: each one listed is still named somewhere
    assertTrue(checked.containsAll(SPARK_OWN.keySet()), "listed as Spark's own but no longer named in main code: "
        + SPARK_OWN.keySet().stream().filter(k -> !checked.contains(k)).toList());
    // the scan must see the messages at all: these are named by the pipeline's own checks
    assertTrue(checked.containsAll(List.of("train.batch-size", "optimizer.learning-rate", "preprocess.max-pixels",
        "train.partitions", "data.augment.shift", "model.init", "schedule.gamma", "bench.threads")), checked.toString());
    assertTrue(bad.isEmpty(), bad.size() + " key(s) named in main code that a user cannot write (not in"
        + " conf/reference.conf or conf/bench.conf, not listed as Spark's own):\n" + bad.entrySet().stream()
        .map(e -> "  " + e.getKey() + " at " + e.getValue().stream().map(k -> ROOT.relativize(k.file()) + ":"
            + k.line()).collect(Collectors.joining(", "))).collect(Collectors.joining("\n")));
  }

  @Test
  void theScanFindsKeysInLiteralsOnly() {
    String src = String.join("\n",
        "/** {@code train.nope} in a comment */",
        "class A {",
        "  // train.gone in a line comment",
        "  char q = '\"';",
        "  String a = \"train.epochs must be > 0, got \" + x + \" (see model.init.)\";",
        "  String b = \"header.optimizer.kind\" + \"data/model.cvm\" + \"\\\"spark.master\\\"\";",
        "  String c = \"\"\"",
        "      schedule.gamma",
        "      \"\"\";",
        "}");
    Pattern p = keyPattern(Set.of("train", "model", "schedule", "spark", "optimizer", "data"));
    List<String> found = new ArrayList<>();
    List<Integer> lines = new ArrayList<>();
    for (Literal lit : literals(src)) {
      Matcher m = p.matcher(lit.text());
      while (m.find()) {
        found.add(m.group().replaceAll("[.-]+$", ""));
        lines.add(lit.line());
      }
    }
    assertEquals(List.of("train.epochs", "model.init", "spark.master", "schedule.gamma"), found);
    assertEquals(List.of(5, 5, 6, 7), lines);
  }
}
