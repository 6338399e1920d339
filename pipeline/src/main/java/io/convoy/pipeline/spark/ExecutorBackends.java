package io.convoy.pipeline.spark;

import io.convoy.kernels.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.spark.SparkEnv;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * Asks the executors how they run Convoy's kernels, once per application. An executor JVM started
 * without the options the kernels need (the Vector API module, the trap limit) says so only in its own
 * log, which few users read; the driver gathers those warnings and returns one line that names the
 * executors and the setting to change. Local masters run the kernels in the driver's JVM, which warns
 * for itself, so they are not asked.
 */
final class ExecutorBackends {
  /** The options every executor needs, as a user writes them in {@code spark.executor.extraJavaOptions}. */
  static final String EXECUTOR_OPTIONS = "--add-modules=jdk.incubator.vector " + Backend.TRAP_LIMIT_OPTION;
  private static final Set<String> ASKED = ConcurrentHashMap.newKeySet();

  private ExecutorBackends() {}

  /**
   * The warning line for the executors that ran one small task each (about four tasks per core of the
   * application), or empty when they all run the kernels as intended, the master is local, or this
   * application was asked before.
   */
  static Optional<String> check(JavaSparkContext sc) {
    if (sc.master().startsWith("local") || !ASKED.add(sc.sc().applicationId())) {
      return Optional.empty();
    }
    int tasks = Math.max(2, sc.defaultParallelism()) * 4;
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < tasks; i++) {
      ids.add(i);
    }
    sc.setJobDescription("convoy: ask the executors how they run the kernels");
    List<String> answers = sc.parallelize(ids, tasks)
        .mapPartitions(it -> List.of(SparkEnv.get().executorId() + "\t" + Backend.warning().orElse("")).iterator())
        .collect();
    sc.setJobDescription(null);
    return line(answers);
  }

  /** The line for answers of the form {@code <executor id> TAB <warning or empty>}; empty when none warns. */
  static Optional<String> line(List<String> answers) {
    Map<String, Set<String>> byWarning = new TreeMap<>();
    Set<String> all = new TreeSet<>();
    for (String a : answers) {
      int tab = a.indexOf('\t');
      String id = a.substring(0, tab);
      all.add(id);
      String warning = a.substring(tab + 1);
      if (!warning.isEmpty()) {
        byWarning.computeIfAbsent(warning, w -> new TreeSet<>()).add(id);
      }
    }
    if (byWarning.isEmpty()) {
      return Optional.empty();
    }
    StringBuilder b = new StringBuilder("convoy: ");
    for (Map.Entry<String, Set<String>> e : byWarning.entrySet()) {
      b.append(e.getValue().size() == 1 ? "executor " : "executors ").append(String.join(", ", e.getValue()))
          .append(" (of ").append(all.size()).append(" asked) warned: ").append(e.getKey()).append(". ");
    }
    b.append("Add ").append(EXECUTOR_OPTIONS).append(" to spark.executor.extraJavaOptions (and to")
        .append(" spark.driver.extraJavaOptions under spark-submit)");
    return Optional.of(b.toString());
  }
}
