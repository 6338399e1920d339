package io.convoy.pipeline.progress;

import io.convoy.pipeline.train.TrainingListener;
import java.util.HashMap;
import java.util.Map;
import org.apache.spark.SparkContext;
import org.apache.spark.scheduler.AccumulableInfo;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerExecutorMetricsUpdate;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;
import scala.Tuple4;
import scala.jdk.javaapi.CollectionConverters;

/**
 * Progress of a long Spark round while its tasks run, for trainers whose tasks train many
 * mini-batches each (parameter averaging: one task per replica per round).
 *
 * <p>How it works: for each round the driver makes a fresh {@link TaskProgress} (three named
 * accumulators: batches, examples, loss sum) that the tasks add to after every mini-batch. Spark
 * executors send the current accumulator values of their running tasks in every heartbeat
 * ({@code spark.executor.heartbeatInterval}, 10 s by default; the local executor heartbeats too),
 * which reach this listener as {@link SparkListenerExecutorMetricsUpdate}s; a finished task's final
 * values come with its {@link SparkListenerTaskEnd}. Per task the latest value is kept (a failed
 * attempt is dropped, its retry counts afresh); their sum over the round's tasks, as a fraction of
 * the round's batches, moves the target listener's {@code onBatch}.
 *
 * <p>What the target sees: {@code onBatch(epoch, batch, batches, loss)} with {@code batch + 1} the
 * batches done per replica in the epoch (the round's first batch plus the done fraction of the
 * round), strictly increasing and always short of the round's last batch, which the trainer reports
 * itself when the round's result is in (with {@link #unreportedLoss}). {@code loss} is the mean loss of the examples trained since
 * the previous call, so a listener that weights each call's loss by the batches it advances gets
 * the running mean of the epoch ({@link ProgressBar} does). Calls come from Spark's listener-bus
 * thread; {@link #endRound} returns only when no call is under way and none will follow, so the
 * trainer's own calls on its thread never overlap them.
 *
 * <p>Progress is as fresh as the last heartbeat: with the default 10 s interval a round shorter
 * than that shows no live progress. Local masters may use 1-3 s; the interval must stay below
 * {@code spark.network.timeout} (120 s by default).
 */
public final class LiveProgress extends SparkListener implements AutoCloseable {
  /** Names of the accumulators (they show in the Spark UI's stage pages). */
  public static final String BATCHES = "convoy: batches trained";
  public static final String EXAMPLES = "convoy: examples trained";
  public static final String LOSS_SUM = "convoy: loss sum";

  private final SparkContext sc;
  private final TrainingListener target;
  private final Object lock = new Object();
  private Round round;   // guarded by lock; null between rounds
  private long endedExamples;   // what live calls reported of the round ended last (guarded by lock)
  private double endedLoss;
  private double endedLastLoss;
  private boolean attached;

  private LiveProgress(SparkContext sc, TrainingListener target) {
    this.sc = sc;
    this.target = target;
  }

  /** Registers a live progress listener on {@code sc} that reports to {@code target}; close it to remove it. */
  public static LiveProgress attach(SparkContext sc, TrainingListener target) {
    if (sc == null || target == null) {
      throw new IllegalArgumentException("LiveProgress: spark context and target listener must not be null");
    }
    LiveProgress p = new LiveProgress(sc, target);
    sc.addSparkListener(p);
    p.attached = true;
    return p;
  }

  /** Counts of one task attempt. */
  private record Counts(long batches, long examples, double lossSum, boolean finished) {
  }

  private static final class Round {
    final TaskProgress ids;
    final int epoch;
    final int firstBatch;
    final int roundBatches;
    final int epochBatches;
    final long taskBatches;
    final Map<Long, Counts> tasks = new HashMap<>();
    int reportedDone;          // batches per replica in the epoch, as last reported
    long reportedExamples;
    double reportedLoss;
    double lastIntervalLoss = Double.NaN;

    Round(TaskProgress ids, int epoch, int firstBatch, int roundBatches, int epochBatches, long taskBatches) {
      this.ids = ids;
      this.epoch = epoch;
      this.firstBatch = firstBatch;
      this.roundBatches = roundBatches;
      this.epochBatches = epochBatches;
      this.taskBatches = taskBatches;
      this.reportedDone = firstBatch;
    }
  }

  /**
   * Starts a round and returns the counters its tasks must add to.
   *
   * @param epoch the 0-based epoch
   * @param firstBatch the round's first batch index (per replica) within the epoch
   * @param roundBatches batches per replica in this round (of the largest replica)
   * @param epochBatches batches per replica in the epoch (of the largest replica)
   * @param taskBatches batches all the round's tasks train together (the sum over replicas)
   */
  public TaskProgress startRound(int epoch, int firstBatch, int roundBatches, int epochBatches, long taskBatches) {
    if (firstBatch < 0 || roundBatches < 0 || epochBatches < firstBatch + roundBatches || taskBatches < 0) {
      throw new IllegalArgumentException("LiveProgress round: need 0 <= firstBatch, 0 <= roundBatches,"
          + " firstBatch + roundBatches <= epochBatches, taskBatches >= 0; got firstBatch " + firstBatch
          + ", roundBatches " + roundBatches + ", epochBatches " + epochBatches + ", taskBatches " + taskBatches);
    }
    String tag = " (epoch " + epoch + ", batch " + firstBatch + ")";
    TaskProgress ids = new TaskProgress(sc.longAccumulator(BATCHES + tag), sc.longAccumulator(EXAMPLES + tag),
        sc.doubleAccumulator(LOSS_SUM + tag));
    synchronized (lock) {
      round = new Round(ids, epoch, firstBatch, roundBatches, epochBatches, taskBatches);
      endedExamples = 0;
      endedLoss = 0;
      endedLastLoss = Double.NaN;
    }
    return ids;
  }

  /** Ends the current round: once this returns, no live call is under way and none follows. */
  public void endRound() {
    synchronized (lock) {
      if (round != null) {
        endedExamples = round.reportedExamples;
        endedLoss = round.reportedLoss;
        endedLastLoss = round.lastIntervalLoss;
        round = null;
      }
    }
  }

  /**
   * For the trainer's call that closes a round, given the round's totals: the mean loss of the
   * examples that live calls of the round just ended did not cover; the round's mean when there
   * was no live call, and the last live call's loss when they covered every example (the tasks'
   * final values arrived before the round's result).
   */
  public double unreportedLoss(double roundLossSum, long roundExamples) {
    long seen;
    double seenLoss;
    double lastLoss;
    synchronized (lock) {
      seen = endedExamples;
      seenLoss = endedLoss;
      lastLoss = endedLastLoss;
    }
    long rest = roundExamples - seen;
    if (seen > 0 && rest > 0) {
      return (roundLossSum - seenLoss) / rest;
    }
    if (seen > 0 && Double.isFinite(lastLoss)) {
      return lastLoss;
    }
    return roundLossSum / Math.max(1, roundExamples);
  }

  @Override
  public void onExecutorMetricsUpdate(SparkListenerExecutorMetricsUpdate update) {
    synchronized (lock) {
      if (round == null) {
        return;
      }
      boolean changed = false;
      for (Tuple4<Object, Object, Object, ? extends scala.collection.Seq<AccumulableInfo>> t
          : CollectionConverters.asJava(update.accumUpdates())) {
        long taskId = ((Number) t._1()).longValue();
        Counts prev = round.tasks.get(taskId);
        if (prev != null && prev.finished()) {
          continue;   // a final value is never replaced by an older heartbeat
        }
        Counts c = counts(t._4(), prev, false);
        if (c != null) {
          round.tasks.put(taskId, c);
          changed = true;
        }
      }
      if (changed) {
        report();
      }
    }
  }

  @Override
  public void onTaskEnd(SparkListenerTaskEnd end) {
    TaskInfo info = end.taskInfo();
    if (info == null) {
      return;
    }
    synchronized (lock) {
      if (round == null) {
        return;
      }
      if (!info.successful()) {
        round.tasks.remove(info.taskId());   // its retry starts from zero
        return;
      }
      Counts c = counts(info.accumulables(), round.tasks.get(info.taskId()), true);
      if (c != null) {
        round.tasks.put(info.taskId(), c);
        report();
      }
    }
  }

  /**
   * The counts of the current round found in {@code infos} (their per-task update values), or
   * null when none of its accumulators is there (another job's task, or zeros dropped).
   */
  private Counts counts(scala.collection.Seq<AccumulableInfo> infos, Counts prev, boolean finished) {
    long batches = prev == null ? 0 : prev.batches();
    long examples = prev == null ? 0 : prev.examples();
    double loss = prev == null ? 0 : prev.lossSum();
    boolean found = false;
    for (AccumulableInfo a : CollectionConverters.asJava(infos)) {
      if (a.update().isEmpty() || !(a.update().get() instanceof Number v)) {
        continue;
      }
      if (a.id() == round.ids.batchesId()) {
        batches = v.longValue();
        found = true;
      } else if (a.id() == round.ids.examplesId()) {
        examples = v.longValue();
        found = true;
      } else if (a.id() == round.ids.lossSumId()) {
        loss = v.doubleValue();
        found = true;
      }
    }
    return found ? new Counts(batches, examples, loss, finished) : null;
  }

  /** Sums the round's tasks and forwards new progress to the target (holding the lock). */
  private void report() {
    Round r = round;
    long batches = 0;
    long examples = 0;
    double loss = 0;
    for (Counts c : r.tasks.values()) {
      batches += c.batches();
      examples += c.examples();
      loss += c.lossSum();
    }
    if (r.taskBatches == 0 || r.roundBatches == 0) {
      return;
    }
    double fraction = Math.min(1.0, (double) batches / r.taskBatches);
    // the round's last batch is left to the trainer, which reports it with the round's result
    int done = Math.min(r.firstBatch + (int) Math.floor(fraction * r.roundBatches),
        r.firstBatch + r.roundBatches - 1);
    if (done <= r.reportedDone || examples <= r.reportedExamples) {
      return;
    }
    double intervalLoss = (loss - r.reportedLoss) / (examples - r.reportedExamples);
    r.reportedDone = done;
    r.reportedExamples = examples;
    r.reportedLoss = loss;
    r.lastIntervalLoss = intervalLoss;
    target.onBatch(r.epoch, done - 1, r.epochBatches, intervalLoss);
  }

  /** Stops forwarding and removes this listener from the Spark context. */
  @Override
  public void close() {
    synchronized (lock) {
      round = null;
    }
    if (attached) {
      sc.removeSparkListener(this);
      attached = false;
    }
  }
}
