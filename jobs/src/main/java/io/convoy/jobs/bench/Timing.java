package io.convoy.jobs.bench;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Best-of-rounds timing of an operation on one thread, or of two halves of it on two threads, by wall
 * clock and by CPU time. On a shared machine the wall clock follows the other tenants' load, while the
 * threads' CPU time counts only the cycles the work itself ran (no SMT here), so 1-thread comparisons use
 * CPU time; a 2-thread figure needs the wall clock (the point is that the halves overlap).
 *
 * <p>A warm-up lets C2 compile the kernels first (the Vector API is very slow until it has; see
 * {@link #measure}); then each round repeats the operation for about {@code secondsPerRound}.
 */
final class Timing implements AutoCloseable {
  /** Milliseconds per call: the best round's wall clock and the best round's CPU time (all threads summed). */
  record Ms(double wall, double cpu) {
    Ms plus(Ms o) {
      return new Ms(wall + o.wall, cpu + o.cpu);
    }
  }

  private static final ThreadMXBean MX = ManagementFactory.getThreadMXBean();
  private static final int WARM_UP_CALLS = 20;

  private final int rounds;
  private final double secondsPerRound;
  private final double warmUpSeconds;
  private ExecutorService pair;

  Timing(int rounds, double secondsPerRound, double warmUpSeconds) {
    this.rounds = rounds;
    this.secondsPerRound = secondsPerRound;
    this.warmUpSeconds = warmUpSeconds;
  }

  /** One thread: {@code op} on the calling thread. */
  Ms one(Runnable op) {
    return measure(reps -> {
      long c = MX.getCurrentThreadCpuTime();
      long w = System.nanoTime();
      for (int i = 0; i < reps; i++) {
        op.run();
      }
      return new long[] {System.nanoTime() - w, MX.getCurrentThreadCpuTime() - c};
    });
  }

  /**
   * Two threads, {@code a} on one and {@code b} on the other, each repeated the same number of times per
   * round; a round's wall time ends when the slower thread is done. The halves synchronise once per round,
   * not per call, so this is the throughput of two independent workers (as two Spark tasks run), per call
   * of the pair.
   */
  Ms two(Runnable a, Runnable b) {
    if (pair == null) {
      pair = Executors.newFixedThreadPool(2, r -> {
        Thread t = new Thread(r, "convoy-bench-worker");
        t.setDaemon(true);
        return t;
      });
    }
    return measure(reps -> {
      long w = System.nanoTime();
      long cpu = runPair(a, b, reps);
      return new long[] {System.nanoTime() - w, cpu};
    });
  }

  /** Runs the operation {@code reps} times; returns {wall ns, CPU ns}. */
  private interface Chunk {
    long[] run(int reps);
  }

  /**
   * Warm-up, then the best of the rounds. The warm-up runs chunks of about 50 ms until at least
   * {@code warmUpSeconds} and 20 calls have passed AND the CPU time per call has not improved by more than 2%
   * for three chunks in a row: on a loaded machine the JIT's compiler threads get little CPU, so a fixed
   * warm-up would time interpreted or C1 code. It gives up waiting after {@code 10 x warmUpSeconds}.
   */
  private Ms measure(Chunk chunk) {
    long start = System.nanoTime();
    double cap = 10 * warmUpSeconds * 1e9;
    int calls = 0;
    int stale = 0;
    int reps = 1;
    double best = Double.MAX_VALUE;
    double wallPerCall;
    while (true) {
      long[] t = chunk.run(reps);
      calls += reps;
      double cpuPerCall = t[1] / (double) reps;
      wallPerCall = Math.max(1, t[0]) / (double) reps;
      if (cpuPerCall < best * 0.98) {
        best = cpuPerCall;
        stale = 0;
      } else {
        stale++;
      }
      long elapsed = System.nanoTime() - start;
      if (elapsed >= cap || (elapsed >= warmUpSeconds * 1e9 && calls >= WARM_UP_CALLS && stale >= 3)) {
        break;
      }
      reps = (int) Math.max(1, Math.min(1_000_000, 0.05e9 / wallPerCall));
    }
    reps = (int) Math.max(1, Math.min(1_000_000, secondsPerRound * 1e9 / wallPerCall));
    double bestWall = Double.MAX_VALUE;
    double bestCpu = Double.MAX_VALUE;
    for (int r = 0; r < rounds; r++) {
      long[] t = chunk.run(reps);
      bestWall = Math.min(bestWall, t[0] / 1e6 / reps);
      bestCpu = Math.min(bestCpu, t[1] / 1e6 / reps);
    }
    return new Ms(bestWall, bestCpu);
  }

  /** Runs both halves {@code reps} times on the two workers; returns their CPU nanoseconds, summed. */
  private long runPair(Runnable a, Runnable b, int reps) {
    List<Future<Long>> done = new ArrayList<>(2);
    for (Runnable op : new Runnable[] {a, b}) {
      done.add(pair.submit(() -> {
        long c = MX.getCurrentThreadCpuTime();
        for (int i = 0; i < reps; i++) {
          op.run();
        }
        return MX.getCurrentThreadCpuTime() - c;
      }));
    }
    long cpu = 0;
    for (Future<Long> f : done) {
      try {
        cpu += f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("benchmark interrupted", e);
      } catch (ExecutionException e) {
        throw new IllegalStateException("benchmark worker failed: " + e.getCause(), e.getCause());
      }
    }
    return cpu;
  }

  @Override
  public void close() {
    if (pair != null) {
      pair.shutdownNow();
    }
  }
}
