package io.convoy.pipeline.fuzz;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Runs corrupted inputs through a reader, each under a preemptive timeout (a hang fails the case), and
 * checks how each ends: read, or refused with one of the documented exception types whose message names
 * the input. An {@link Error} (OutOfMemoryError, StackOverflowError, ...) or any other exception fails,
 * and so does a case that allocates more than {@link #MAX_ALLOCATION} bytes in the reading thread: an
 * absurd size in a header must be refused before anything of that size is allocated.
 */
final class FuzzRun {
  static final Duration TIMEOUT = Duration.ofSeconds(5);
  static final long MAX_ALLOCATION = 64L << 20;

  /** Reads one case; {@code name} is what the error messages must name (a file or a stream name). */
  interface Reader {
    void read(Corruptions.Case c, String name) throws Exception;
  }

  private final String reader;
  private final List<Class<? extends Exception>> allowed;
  private final Map<String, Integer> outcomes = new TreeMap<>();
  private final List<String> failures = new ArrayList<>();
  private long maxAllocated;
  private long cases;

  @SafeVarargs
  FuzzRun(String reader, Class<? extends Exception>... allowed) {
    this.reader = reader;
    this.allowed = List.of(allowed);
  }

  /** Runs case {@code c}; {@code name} must appear in any error message (null: no check). */
  void run(Corruptions.Case c, String name, Reader r) {
    cases++;
    Throwable[] thrown = new Throwable[1];
    long[] allocated = new long[1];
    assertTimeoutPreemptively(TIMEOUT, () -> {
      com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
      long id = Thread.currentThread().getId();
      long a0 = mx.getThreadAllocatedBytes(id);
      try {
        r.read(c, name);
      } catch (Throwable t) {
        thrown[0] = t;
      }
      allocated[0] = mx.getThreadAllocatedBytes(id) - a0;
    }, () -> reader + " did not finish within " + TIMEOUT.toSeconds() + " s on " + c);
    maxAllocated = Math.max(maxAllocated, allocated[0]);
    Throwable t = thrown[0];
    String outcome = t == null ? "read" : t.getClass().getSimpleName();
    outcomes.merge(outcome, 1, Integer::sum);
    if (allocated[0] > MAX_ALLOCATION) {
      failures.add(c + ": allocated " + allocated[0] + " bytes (limit " + MAX_ALLOCATION + "), outcome "
          + (t == null ? outcome : stack(t)));
    }
    if (t == null) {
      return;
    }
    boolean documented = false;
    for (Class<? extends Exception> a : allowed) {
      documented |= a.isInstance(t);
    }
    if (!documented) {
      failures.add(c + ": " + stack(t));
    } else if (name != null && (t.getMessage() == null || !t.getMessage().contains(name))) {
      failures.add(c + ": the message does not name " + name + ": " + t);
    }
  }

  /** Fails with the first failures; prints the outcome counts. */
  void check() {
    System.out.println("fuzz " + reader + ": " + cases + " cases, outcomes " + outcomes + ", most allocated by one case "
        + (maxAllocated >> 10) + " KiB");
    assertTrue(failures.isEmpty(), failures.size() + " of " + cases + " cases of " + reader + " failed; the first:\n"
        + String.join("\n", failures.subList(0, Math.min(15, failures.size()))));
  }

  Map<String, Integer> outcomes() {
    return outcomes;
  }

  private static String stack(Throwable t) {
    StringWriter w = new StringWriter();
    t.printStackTrace(new PrintWriter(w));
    String s = w.toString();
    return s.length() > 1500 ? s.substring(0, 1500) + "..." : s;
  }
}
