package io.convoy.pipeline.progress;

import java.io.PrintStream;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorAdded;
import org.apache.spark.scheduler.SparkListenerExecutorRemoved;

/**
 * Puts executor loss into the job's own output, next to the progress lines: one line when an
 * executor goes away (its JVM died, its worker was lost, the cluster manager took it back) and one
 * for every executor added after such a loss (the replacement). Spark re-runs the lost tasks and
 * recomputes the lost executor's cached partitions from their lineage; the line says so, so that a
 * slower epoch after it is not a mystery.
 *
 * <p>Called on Spark's listener-bus thread; register with {@code SparkContext.addSparkListener}.
 */
public final class ExecutorEvents extends SparkListener {
  private final PrintStream out;
  private final AtomicInteger lost = new AtomicInteger();

  /** Lines go to {@code out}. */
  public ExecutorEvents(PrintStream out) {
    if (out == null) {
      throw new IllegalArgumentException("ExecutorEvents: output stream is null");
    }
    this.out = out;
  }

  /** Executors removed so far. */
  public int lost() {
    return lost.get();
  }

  @Override
  public void onExecutorRemoved(SparkListenerExecutorRemoved e) {
    int n = lost.incrementAndGet();
    line("convoy: executor " + e.executorId() + " lost (" + e.reason() + "); Spark re-runs its tasks and recomputes"
        + " its cached partitions from the source (" + n + " executor(s) lost so far)");
  }

  @Override
  public void onExecutorAdded(SparkListenerExecutorAdded e) {
    if (lost.get() > 0) {
      line("convoy: executor " + e.executorId() + " added on " + e.executorInfo().executorHost() + " with "
          + e.executorInfo().totalCores() + " core(s)");
    }
  }

  private void line(String s) {
    synchronized (out) {
      out.println(s);
      out.flush();
    }
  }
}
