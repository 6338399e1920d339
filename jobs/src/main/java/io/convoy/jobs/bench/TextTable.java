package io.convoy.jobs.bench;

import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/** A plain-text table: a header row, then rows; text columns left-aligned, numbers right-aligned. */
final class TextTable {
  private final List<String> header;
  private final List<List<String>> rows = new ArrayList<>();

  TextTable(String... header) {
    this.header = Arrays.asList(header);
  }

  TextTable row(Object... cells) {
    List<String> r = new ArrayList<>();
    for (Object c : cells) {
      r.add(cell(c));
    }
    rows.add(r);
    return this;
  }

  boolean isEmpty() {
    return rows.isEmpty();
  }

  /** A number with sensible precision; null (not measured) as "-". */
  static String cell(Object c) {
    if (c == null) {
      return "-";
    }
    if (c instanceof Double || c instanceof Float) {
      double d = ((Number) c).doubleValue();
      if (!Double.isFinite(d)) {
        return "-";
      }
      double a = Math.abs(d);
      return String.format(Locale.ROOT, a >= 1000 ? "%,.0f" : a >= 100 ? "%.1f" : a >= 10 ? "%.2f" : "%.3f", d);
    }
    return c.toString();
  }

  void print(PrintStream out) {
    int[] w = new int[header.size()];
    for (int i = 0; i < w.length; i++) {
      w[i] = header.get(i).length();
      for (List<String> r : rows) {
        w[i] = Math.max(w[i], i < r.size() ? r.get(i).length() : 0);
      }
    }
    line(out, header, w, true);
    StringBuilder sep = new StringBuilder();
    for (int i = 0; i < w.length; i++) {
      sep.append(i == 0 ? "" : "  ").append("-".repeat(w[i]));
    }
    out.println(sep);
    for (List<String> r : rows) {
      line(out, r, w, false);
    }
  }

  private static void line(PrintStream out, List<String> cells, int[] w, boolean head) {
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < w.length; i++) {
      String c = i < cells.size() ? cells.get(i) : "";
      boolean left = head || i == 0 || !looksNumeric(c);
      b.append(i == 0 ? "" : "  ");
      b.append(left ? c + " ".repeat(w[i] - c.length()) : " ".repeat(w[i] - c.length()) + c);
    }
    out.println(b.toString().stripTrailing());
  }

  private static boolean looksNumeric(String c) {
    return c.equals("-") || c.matches("[-+]?[\\d,.]+(x|%| MiB)?");
  }
}
