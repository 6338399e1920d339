package io.convoy.pipeline.progress;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.spark.executor.TaskMetrics;
import org.apache.spark.scheduler.SparkListener;
import org.apache.spark.scheduler.SparkListenerJobEnd;
import org.apache.spark.scheduler.SparkListenerJobStart;
import org.apache.spark.scheduler.SparkListenerStageCompleted;
import org.apache.spark.scheduler.SparkListenerTaskEnd;
import org.apache.spark.scheduler.TaskInfo;

/**
 * Where the time of Spark jobs goes, per job and per training epoch, and which tasks straggle.
 * Register it with {@code sparkContext.addSparkListener(listener)} before training and remove it
 * afterwards.
 *
 * <p>Jobs are keyed by their description (Spark's {@code spark.job.description}, which the trainer
 * sets to e.g. {@code "convoy: epoch 3 averaging round 1/1"}), else their job group id, else
 * {@code "job <id>"}. A key containing {@code "convoy: epoch N"} counts towards epoch N (the same
 * 0-based numbering as {@code EpochMetrics.epoch()}). Per task it splits the task's wall time
 * (launch to finish) into:
 * <ul>
 *   <li>compute: executor run time minus shuffle fetch wait and shuffle write time (JVM GC
 *       included, and also reported on its own);</li>
 *   <li>communication: the rest of the task's wall time, that is task deserialisation (which
 *       carries closures and broadcast references), shuffle fetch wait and write, result
 *       serialisation, result fetching and scheduling delay;</li>
 * </ul>
 * and per stage it counts wait: for every task the time from its finish to the finish of the
 * stage's last task, during which its slot idles waiting for the others. All three are task-seconds
 * (summed over tasks), unlike the trainer's wall-clock {@code EpochMetrics} times.
 *
 * <p>A straggler is a successful task whose duration exceeds {@link #stragglerFactor} times the
 * stage's median task duration (the lower median, so that a stage of two tasks can have one) and
 * the median by at least {@link #stragglerMinMillis}. Stragglers are named with stage, task index
 * (the partition), executor id and host.
 *
 * <p>Spark delivers events on its listener-bus thread, a little after they happen; queries are
 * safe from any thread and see the events delivered so far.
 */
public class SparkTimeListener extends SparkListener {
  private static final Pattern EPOCH = Pattern.compile("convoy: epoch (\\d+)\\b");

  private final double stragglerFactor;
  private final long stragglerMinMillis;

  private final Map<Integer, Job> jobsById = new LinkedHashMap<>();
  private final Map<Integer, Job> jobOfStage = new TreeMap<>();
  private final Map<Long, List<Task>> tasksOfStage = new TreeMap<>();
  private final Map<Integer, Acc> epochs = new TreeMap<>();
  private final List<Straggler> stragglers = new ArrayList<>();

  /** A listener naming tasks slower than 1.5x their stage's median (and at least 200 ms slower). */
  public SparkTimeListener() {
    this(1.5, 200);
  }

  /**
   * @param stragglerFactor a task is a straggler above this multiple of the stage median (> 1)
   * @param stragglerMinMillis and when it is at least this many milliseconds slower than the median (>= 0)
   */
  public SparkTimeListener(double stragglerFactor, long stragglerMinMillis) {
    if (!(stragglerFactor > 1)) {
      throw new IllegalArgumentException("straggler factor must be > 1, got " + stragglerFactor);
    }
    if (stragglerMinMillis < 0) {
      throw new IllegalArgumentException("straggler minimum must be >= 0 ms, got " + stragglerMinMillis);
    }
    this.stragglerFactor = stragglerFactor;
    this.stragglerMinMillis = stragglerMinMillis;
  }

  /**
   * A task much slower than the others of its stage.
   *
   * @param stageId the stage
   * @param job the key of the stage's job (its description)
   * @param taskIndex the task's index within the stage (its partition)
   * @param taskId Spark's task id
   * @param executorId the executor that ran it ("driver" in local mode)
   * @param host the executor's host
   * @param millis the task's duration
   * @param medianMillis the stage's median task duration
   */
  public record Straggler(int stageId, String job, int taskIndex, long taskId, String executorId, String host,
      long millis, long medianMillis) {
    /** e.g. "task 2 of stage 7 on executor 1 (host 10.0.0.5): 4.20 s, 3.0x the median 1.40 s [convoy: epoch 3 ...]". */
    @Override
    public String toString() {
      return String.format(Locale.ROOT, "task %d of stage %d on executor %s (host %s): %.2f s, %.1fx the median %.2f s [%s]",
          taskIndex, stageId, executorId, host, millis / 1e3, millis / (double) Math.max(1, medianMillis),
          medianMillis / 1e3, job);
    }
  }

  /**
   * Times of one job.
   *
   * @param jobId Spark's job id
   * @param key description, group id or "job &lt;id&gt;"
   * @param epoch the epoch the key names, -1 if none
   * @param wallSeconds job start to end at the driver (NaN while running)
   * @param tasks finished tasks
   * @param computeSeconds task-seconds computing
   * @param communicationSeconds task-seconds moving data and scheduling
   * @param waitSeconds task-seconds idle behind the stage's last task
   * @param gcSeconds task-seconds of JVM garbage collection (part of compute)
   */
  public record JobTimes(int jobId, String key, int epoch, double wallSeconds, int tasks, double computeSeconds,
      double communicationSeconds, double waitSeconds, double gcSeconds) {}

  /**
   * Times of all jobs of one epoch (see the class comment for the definitions).
   *
   * @param epoch 0-based epoch
   * @param jobs jobs counted
   * @param tasks finished tasks
   * @param wallSeconds sum of the jobs' wall times
   * @param computeSeconds task-seconds computing
   * @param communicationSeconds task-seconds moving data and scheduling
   * @param waitSeconds task-seconds idle behind the stage's last task
   * @param gcSeconds task-seconds of JVM garbage collection (part of compute)
   * @param stragglers the epoch's stragglers
   */
  public record EpochTimes(int epoch, int jobs, int tasks, double wallSeconds, double computeSeconds,
      double communicationSeconds, double waitSeconds, double gcSeconds, List<Straggler> stragglers) {
    public EpochTimes {
      stragglers = List.copyOf(stragglers);
    }
  }

  // ---------------------------------------------------------------- events

  @Override
  public synchronized void onJobStart(SparkListenerJobStart e) {
    String key = keyOf(e.properties(), e.jobId());
    Job j = new Job(e.jobId(), key, epochOf(key), e.time());
    jobsById.put(e.jobId(), j);
    for (Object id : scala.jdk.javaapi.CollectionConverters.asJava(e.stageIds())) {
      jobOfStage.putIfAbsent((Integer) id, j);
    }
    if (j.epoch >= 0) {
      epochs.computeIfAbsent(j.epoch, k -> new Acc()).jobs++;
    }
  }

  @Override
  public synchronized void onJobEnd(SparkListenerJobEnd e) {
    Job j = jobsById.get(e.jobId());
    if (j != null) {
      j.end = e.time();
      if (j.epoch >= 0) {
        epochs.computeIfAbsent(j.epoch, k -> new Acc()).wallMillis += Math.max(0, j.end - j.start);
      }
    }
  }

  @Override
  public synchronized void onTaskEnd(SparkListenerTaskEnd e) {
    TaskInfo info = e.taskInfo();
    if (info == null) {
      return;
    }
    TaskMetrics tm = e.taskMetrics();
    long duration = Math.max(0, info.finishTime() - info.launchTime());
    long compute = 0;
    long gc = 0;
    if (tm != null) {
      long shuffleWriteMs = tm.shuffleWriteMetrics().writeTime() / 1_000_000L;
      compute = Math.max(0, tm.executorRunTime() - tm.shuffleReadMetrics().fetchWaitTime() - shuffleWriteMs);
      compute = Math.min(compute, duration);
      gc = tm.jvmGCTime();
    }
    long comm = duration - compute;
    Job j = jobOfStage.get(e.stageId());
    Task t = new Task(info.index(), info.taskId(), info.executorId(), info.host(), duration, info.finishTime(),
        info.successful());
    long stageKey = ((long) e.stageId() << 20) | e.stageAttemptId();
    tasksOfStage.computeIfAbsent(stageKey, k -> new ArrayList<>()).add(t);
    if (j != null) {
      j.tasks++;
      j.compute += compute;
      j.comm += comm;
      j.gc += gc;
      if (j.epoch >= 0) {
        Acc a = epochs.computeIfAbsent(j.epoch, k -> new Acc());
        a.tasks++;
        a.compute += compute;
        a.comm += comm;
        a.gc += gc;
      }
    }
  }

  @Override
  public synchronized void onStageCompleted(SparkListenerStageCompleted e) {
    int stageId = e.stageInfo().stageId();
    List<Task> tasks = tasksOfStage.remove(((long) stageId << 20) | e.stageInfo().attemptNumber());
    if (tasks == null || tasks.isEmpty()) {
      return;
    }
    Job j = jobOfStage.get(stageId);
    long lastFinish = 0;
    for (Task t : tasks) {
      lastFinish = Math.max(lastFinish, t.finish);
    }
    long wait = 0;
    for (Task t : tasks) {
      wait += lastFinish - t.finish;
    }
    long[] durations = tasks.stream().filter(t -> t.ok).mapToLong(t -> t.millis).sorted().toArray();
    List<Straggler> found = new ArrayList<>();
    if (durations.length >= 2) {
      long median = durations[(durations.length - 1) / 2];
      for (Task t : tasks) {
        if (t.ok && t.millis > stragglerFactor * median && t.millis - median >= stragglerMinMillis) {
          found.add(new Straggler(stageId, j == null ? "stage " + stageId : j.key, t.index, t.taskId, t.executor,
              t.host, t.millis, median));
        }
      }
    }
    stragglers.addAll(found);
    if (j != null) {
      j.wait += wait;
      if (j.epoch >= 0) {
        Acc a = epochs.computeIfAbsent(j.epoch, k -> new Acc());
        a.wait += wait;
        a.stragglers.addAll(found);
      }
    }
  }

  // ---------------------------------------------------------------- queries

  /** Every job seen so far, in start order. */
  public synchronized List<JobTimes> jobs() {
    List<JobTimes> out = new ArrayList<>();
    for (Job j : jobsById.values()) {
      out.add(new JobTimes(j.id, j.key, j.epoch, j.end < 0 ? Double.NaN : (j.end - j.start) / 1e3, j.tasks,
          j.compute / 1e3, j.comm / 1e3, j.wait / 1e3, j.gc / 1e3));
    }
    return out;
  }

  /** The times of one epoch (0-based); all zero when no job named it. */
  public synchronized EpochTimes epoch(int epoch) {
    Acc a = epochs.get(epoch);
    if (a == null) {
      return new EpochTimes(epoch, 0, 0, 0, 0, 0, 0, 0, List.of());
    }
    return new EpochTimes(epoch, a.jobs, a.tasks, a.wallMillis / 1e3, a.compute / 1e3, a.comm / 1e3, a.wait / 1e3,
        a.gc / 1e3, a.stragglers);
  }

  /** The epochs seen so far, in order. */
  public synchronized List<EpochTimes> epochs() {
    List<EpochTimes> out = new ArrayList<>();
    for (Integer e : epochs.keySet()) {
      out.add(epoch(e));
    }
    return out;
  }

  /** Every straggler found so far, in the order their stages completed. */
  public synchronized List<Straggler> stragglers() {
    return List.copyOf(stragglers);
  }

  /**
   * Lines for a progress display after an epoch: the task-time split and up to 5 stragglers
   * (fits {@link ProgressBar#epochDetail}).
   */
  public List<String> describeEpoch(int epoch) {
    EpochTimes t = epoch(epoch);
    if (t.jobs() == 0) {
      return List.of();
    }
    List<String> lines = new ArrayList<>();
    lines.add(String.format(Locale.ROOT,
        "spark: %d jobs, %d tasks, %.1f s wall; task-seconds compute %.1f (gc %.1f), communication %.1f, wait %.1f",
        t.jobs(), t.tasks(), t.wallSeconds(), t.computeSeconds(), t.gcSeconds(), t.communicationSeconds(),
        t.waitSeconds()));
    List<Straggler> s = t.stragglers();
    for (int i = 0; i < Math.min(5, s.size()); i++) {
      lines.add("straggler: " + s.get(i));
    }
    if (s.size() > 5) {
      lines.add("... and " + (s.size() - 5) + " more stragglers");
    }
    return lines;
  }

  /** Forgets everything seen so far. */
  public synchronized void clear() {
    jobsById.clear();
    jobOfStage.clear();
    tasksOfStage.clear();
    epochs.clear();
    stragglers.clear();
  }

  // ---------------------------------------------------------------- helpers

  static String keyOf(Properties p, int jobId) {
    if (p != null) {
      String d = p.getProperty("spark.job.description");
      if (d != null && !d.isBlank()) {
        return d;
      }
      String g = p.getProperty("spark.jobGroup.id");
      if (g != null && !g.isBlank()) {
        return g;
      }
    }
    return "job " + jobId;
  }

  static int epochOf(String key) {
    Matcher m = EPOCH.matcher(key);
    if (m.find()) {
      try {
        return Integer.parseInt(m.group(1));
      } catch (NumberFormatException e) {
        return -1;
      }
    }
    return -1;
  }

  private static final class Job {
    final int id;
    final String key;
    final int epoch;
    final long start;
    long end = -1;
    int tasks;
    long compute;
    long comm;
    long wait;
    long gc;

    Job(int id, String key, int epoch, long start) {
      this.id = id;
      this.key = key;
      this.epoch = epoch;
      this.start = start;
    }
  }

  private static final class Acc {
    int jobs;
    int tasks;
    long wallMillis;
    long compute;
    long comm;
    long wait;
    long gc;
    final List<Straggler> stragglers = new ArrayList<>();
  }

  private record Task(int index, long taskId, String executor, String host, long millis, long finish, boolean ok) {}

  @Override
  public synchronized String toString() {
    return "SparkTimeListener(straggler > " + stragglerFactor + "x median and +" + stragglerMinMillis + " ms, "
        + Arrays.toString(epochs.keySet().toArray()) + ")";
  }
}
