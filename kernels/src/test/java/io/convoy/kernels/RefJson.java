package io.convoy.kernels;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small JSON reader for the PyTorch-made reference cases (tests only; kernels has no JSON library).
 *
 * <p>Parses objects into {@code LinkedHashMap<String, Object>}, arrays into {@code List<Object>},
 * numbers into {@code Double}, plus strings, booleans and null. Helpers pull a case's tensor out
 * as {@code float[]} data and {@code int[]} shape, following the layout described in
 * {@code kernels/src/test/resources/reference/README.md}:
 * <pre>{"op": ..., "cases": [{"name": ..., "params": {...}, "tensors": {"x": {"shape": [...], "data": [...]}}}]}</pre>
 */
public final class RefJson {
  private final String text;
  private final String source;
  private int pos;

  private RefJson(String text, String source) {
    this.text = text;
    this.source = source;
  }

  /** Reads a whole JSON file whose top level is an object. */
  @SuppressWarnings("unchecked")
  public static Map<String, Object> load(Path file) throws IOException {
    Object v = parse(Files.readString(file, StandardCharsets.UTF_8), file.toString());
    if (!(v instanceof Map)) {
      throw new IllegalArgumentException(file + ": top level is not a JSON object");
    }
    return (Map<String, Object>) v;
  }

  /** Parses any JSON value; {@code source} names the text in error messages. */
  public static Object parse(String text, String source) {
    RefJson p = new RefJson(text, source);
    p.skipSpace();
    Object v = p.value();
    p.skipSpace();
    if (p.pos != text.length()) {
      throw p.error("trailing characters after the JSON value");
    }
    return v;
  }

  /** The folder of Convoy's own PyTorch-made cases, in the repository (scripts/make_reference_cases.py). */
  public static final String IN_REPO = "kernels/src/test/resources/reference";

  /**
   * The folder of reference cases: system property {@code convoy.reference.dir} when set, else the
   * repository's {@link #IN_REPO} under the project root (property {@code convoy.project.root}, which
   * the build sets, else the first parent of the working directory that holds that folder).
   */
  public static Path referenceDir() {
    String dir = System.getProperty("convoy.reference.dir");
    if (dir != null && !dir.isBlank()) {
      return Path.of(dir).toAbsolutePath().normalize();
    }
    String root = System.getProperty("convoy.project.root");
    if (root != null && !root.isBlank()) {
      return Path.of(root).resolve(IN_REPO).toAbsolutePath().normalize();
    }
    for (Path p = Path.of("").toAbsolutePath(); p != null; p = p.getParent()) {
      if (Files.isDirectory(p.resolve(IN_REPO))) {
        return p.resolve(IN_REPO);
      }
    }
    return Path.of(IN_REPO).toAbsolutePath();
  }

  /**
   * The sibling folder {@code <name>-extra} of {@link #referenceDir()}, read beside it when it exists
   * (the format of a folder made elsewhere, split in two); the in-repo folder has none.
   */
  public static Path referenceExtraDir() {
    Path dev = referenceDir();
    return dev.resolveSibling(dev.getFileName() + "-extra");
  }

  /**
   * {@link #referenceDir()}, checked: a missing folder or one without {@code *.json} files is an
   * error naming it and the property, so a test that would find no cases fails instead of skipping.
   */
  public static Path requireReferenceDir() {
    Path dir = referenceDir();
    if (!Files.isDirectory(dir)) {
      throw new IllegalStateException("reference folder " + dir + " does not exist (it is the in-repo "
          + IN_REPO + " unless -Dconvoy.reference.dir names another)");
    }
    try (java.util.stream.Stream<Path> files = Files.list(dir)) {
      if (files.noneMatch(f -> f.getFileName().toString().endsWith(".json"))) {
        throw new IllegalStateException("reference folder " + dir + " holds no *.json case files");
      }
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException("cannot list reference folder " + dir, e);
    }
    return dir;
  }

  /** The list of cases of a loaded reference file. */
  @SuppressWarnings("unchecked")
  public static List<Map<String, Object>> cases(Map<String, Object> file) {
    Object c = file.get("cases");
    if (!(c instanceof List)) {
      throw new IllegalArgumentException("reference file has no \"cases\" array (op " + file.get("op") + ")");
    }
    return (List<Map<String, Object>>) c;
  }

  /** A case's name, for messages. */
  public static String name(Map<String, Object> testCase) {
    return String.valueOf(testCase.get("name"));
  }

  /** True when the case has a tensor of this name. */
  public static boolean hasTensor(Map<String, Object> testCase, String tensor) {
    Object t = testCase.get("tensors");
    return t instanceof Map && ((Map<?, ?>) t).containsKey(tensor);
  }

  /** The flat row-major data of a named tensor of a case. */
  public static float[] tensor(Map<String, Object> testCase, String tensor) {
    List<?> data = list(tensorObject(testCase, tensor).get("data"), testCase, tensor + ".data");
    float[] out = new float[data.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) data.get(i)).floatValue();
    }
    return out;
  }

  /** The shape of a named tensor of a case. */
  public static int[] shape(Map<String, Object> testCase, String tensor) {
    return ints(tensorObject(testCase, tensor).get("shape"), testCase, tensor + ".shape");
  }

  /** An integer-array parameter of a case, e.g. {@code "stride": [2, 2]}. */
  @SuppressWarnings("unchecked")
  public static int[] intsParam(Map<String, Object> testCase, String param) {
    Map<String, Object> params = (Map<String, Object>) testCase.get("params");
    if (params == null || !params.containsKey(param)) {
      throw new IllegalArgumentException("case " + name(testCase) + " has no param \"" + param + "\"");
    }
    return ints(params.get(param), testCase, "params." + param);
  }

  /** A numeric parameter of a case, e.g. {@code "negative_slope": 0.01}. */
  @SuppressWarnings("unchecked")
  public static double numberParam(Map<String, Object> testCase, String param) {
    Map<String, Object> params = (Map<String, Object>) testCase.get("params");
    Object v = params == null ? null : params.get(param);
    if (!(v instanceof Number)) {
      throw new IllegalArgumentException("case " + name(testCase) + ": param \"" + param
          + "\" is " + v + ", expected a number");
    }
    return ((Number) v).doubleValue();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> tensorObject(Map<String, Object> testCase, String tensor) {
    Object tensors = testCase.get("tensors");
    Object t = tensors instanceof Map ? ((Map<String, Object>) tensors).get(tensor) : null;
    if (!(t instanceof Map)) {
      throw new IllegalArgumentException("case " + name(testCase) + " has no tensor \"" + tensor + "\"");
    }
    return (Map<String, Object>) t;
  }

  private static List<?> list(Object v, Map<String, Object> testCase, String what) {
    if (!(v instanceof List)) {
      throw new IllegalArgumentException("case " + name(testCase) + ": " + what + " is not an array");
    }
    return (List<?>) v;
  }

  private static int[] ints(Object v, Map<String, Object> testCase, String what) {
    List<?> l = list(v, testCase, what);
    int[] out = new int[l.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = ((Number) l.get(i)).intValue();
    }
    return out;
  }

  // ---- the parser ----

  private Object value() {
    if (pos >= text.length()) {
      throw error("unexpected end of input");
    }
    char ch = text.charAt(pos);
    switch (ch) {
      case '{':
        return object();
      case '[':
        return array();
      case '"':
        return string();
      case 't':
        return literal("true", Boolean.TRUE);
      case 'f':
        return literal("false", Boolean.FALSE);
      case 'n':
        return literal("null", null);
      default:
        if (ch == '-' || (ch >= '0' && ch <= '9')) {
          return number();
        }
        throw error("unexpected character '" + ch + "'");
    }
  }

  private Map<String, Object> object() {
    Map<String, Object> map = new LinkedHashMap<>();
    pos++; // '{'
    skipSpace();
    if (peek() == '}') {
      pos++;
      return map;
    }
    while (true) {
      skipSpace();
      if (peek() != '"') {
        throw error("expected a string key");
      }
      String key = string();
      skipSpace();
      expect(':');
      skipSpace();
      map.put(key, value());
      skipSpace();
      char ch = next();
      if (ch == '}') {
        return map;
      }
      if (ch != ',') {
        pos--;
        throw error("expected ',' or '}' in object, got '" + ch + "'");
      }
    }
  }

  private List<Object> array() {
    List<Object> list = new ArrayList<>();
    pos++; // '['
    skipSpace();
    if (peek() == ']') {
      pos++;
      return list;
    }
    while (true) {
      skipSpace();
      list.add(value());
      skipSpace();
      char ch = next();
      if (ch == ']') {
        return list;
      }
      if (ch != ',') {
        pos--;
        throw error("expected ',' or ']' in array, got '" + ch + "'");
      }
    }
  }

  private String string() {
    pos++; // opening quote
    StringBuilder sb = new StringBuilder();
    while (true) {
      char ch = next();
      if (ch == '"') {
        return sb.toString();
      }
      if (ch != '\\') {
        sb.append(ch);
        continue;
      }
      char esc = next();
      switch (esc) {
        case '"': case '\\': case '/':
          sb.append(esc);
          break;
        case 'b': sb.append('\b'); break;
        case 'f': sb.append('\f'); break;
        case 'n': sb.append('\n'); break;
        case 'r': sb.append('\r'); break;
        case 't': sb.append('\t'); break;
        case 'u':
          if (pos + 4 > text.length()) {
            throw error("truncated \\u escape");
          }
          sb.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
          pos += 4;
          break;
        default:
          throw error("unknown escape '\\" + esc + "'");
      }
    }
  }

  private Double number() {
    int start = pos;
    while (pos < text.length()) {
      char ch = text.charAt(pos);
      if ((ch >= '0' && ch <= '9') || ch == '-' || ch == '+' || ch == '.' || ch == 'e' || ch == 'E') {
        pos++;
      } else {
        break;
      }
    }
    String s = text.substring(start, pos);
    try {
      return Double.valueOf(s);
    } catch (NumberFormatException e) {
      pos = start;
      throw error("bad number '" + s + "'");
    }
  }

  private Object literal(String word, Object v) {
    if (!text.startsWith(word, pos)) {
      throw error("expected '" + word + "'");
    }
    pos += word.length();
    return v;
  }

  private void skipSpace() {
    while (pos < text.length()) {
      char ch = text.charAt(pos);
      if (ch == ' ' || ch == '\n' || ch == '\r' || ch == '\t') {
        pos++;
      } else {
        break;
      }
    }
  }

  private char peek() {
    if (pos >= text.length()) {
      throw error("unexpected end of input");
    }
    return text.charAt(pos);
  }

  private char next() {
    char ch = peek();
    pos++;
    return ch;
  }

  private void expect(char ch) {
    if (next() != ch) {
      pos--;
      throw error("expected '" + ch + "'");
    }
  }

  private IllegalArgumentException error(String what) {
    return new IllegalArgumentException(source + ": JSON " + what + " at character " + pos);
  }
}
