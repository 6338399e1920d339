package io.convoy.pipeline.preprocess;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.preprocess.PreprocessOptions.ShardFormat;
import io.convoy.pipeline.preprocess.PreprocessOptions.Split;
import io.convoy.pipeline.spark.HadoopConf;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.GlobPattern;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.util.LongAccumulator;

/**
 * Turns a tree of image files (or an IDX pair) into training shards in one Spark job.
 *
 * <p>The driver lists the files (names only), labels them, assigns each to train / validation / test
 * by a seeded hash of its relative path (so adding files never moves the old ones), sorts each split
 * by path and cuts it into shard tasks of {@code shard-size} files. One Spark task per shard reads,
 * decodes, resizes and writes its Arrow file directly into a temporary sibling folder
 * {@code <output>._tmp-<id>}, returning counts, per-channel sums, the CRC32C and its rejects. The
 * driver then writes {@code rejects.csv} and, last, {@code manifest.json}, and commits by renaming the
 * temporary folder to the output (an old output is moved aside first and deleted after). Since shard
 * contents depend only on the input files and the options, a re-run gives identical shards and
 * checksums. A shard holding rejected files is simply shorter.
 *
 * <p>Normalisation {@code compute}: mean and std per channel over the written TRAINING examples
 * (after resizing). For uint8 shards they are gathered in the same pass and stored in the manifest;
 * float32 shards need them before writing, so their run decodes twice (one pass for the statistics).
 */
public final class Preprocessor {
  private static final System.Logger LOG = System.getLogger(Preprocessor.class.getName());
  /** Marks the temporary folder of an uncommitted run. */
  public static final String TMP_MARK = "._tmp-";
  /** Marks an old output being replaced. */
  static final String OLD_MARK = "._old-";
  /** Name of the rejects report inside the output. */
  public static final String REJECTS_FILE = "rejects.csv";
  /** Files larger than this are rejected unread. */
  static final long MAX_FILE_BYTES = 1L << 30;

  private static final java.lang.management.ThreadMXBean THREADS = java.lang.management.ManagementFactory.getThreadMXBean();

  /** Test hook: the shard task with this number throws (after the earlier ones wrote); -1 = off. */
  static volatile int failAtShardForTest = -1;
  /** Test hook: leave the temporary folder behind on failure, as a killed driver would. */
  static volatile boolean keepTempOnFailureForTest = false;
  /** Milliseconds between progress log lines. */
  static volatile long progressMillis = 10_000;

  private Preprocessor() {
  }

  /** One input: a file (or an IDX record) with its length from the listing, its label and split. */
  record Entry(String path, String rel, long size, int label, int split, int idxRecord) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** The pixels of an IDX images file, shipped to the tasks once. */
  record IdxData(int h, int w, byte[] pixels) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** One shard to produce. */
  record Task(int number, int split, int index, Entry[] entries) implements Serializable {
    private static final long serialVersionUID = 1L;

    String file() {
      return Split.NAMES[split] + String.format(Locale.ROOT, "/part-%05d.arrow", index);
    }

    /** Travels as {@link PackedTask}: columns instead of one serialized record per file. */
    private Object writeReplace() {
      return new PackedTask(this);
    }
  }

  /**
   * A {@link Task} as it is serialized to the executors: one array per field instead of one record
   * object per file, and, when every path is one prefix plus the relative path (as the listing makes
   * them), the prefix once instead of the full path per file. Records are serialized one object at a
   * time and rebuilt through their canonical constructor: a round trip of a 1000-file task cost about
   * 1.0 us of thread CPU per file as records and 0.45 us packed (and 38 instead of 86 KB).
   */
  private static final class PackedTask implements Serializable {
    private static final long serialVersionUID = 1L;
    private final int number;
    private final int split;
    private final int index;
    private final String prefix;        // null: paths holds the full paths
    private final String[] paths;
    private final String[] rels;
    private final long[] sizes;
    private final int[] labels;
    private final byte[] splits;
    private final int[] idxRecords;

    PackedTask(Task t) {
      Entry[] es = t.entries();
      int n = es.length;
      number = t.number();
      split = t.split();
      index = t.index();
      rels = new String[n];
      sizes = new long[n];
      labels = new int[n];
      splits = new byte[n];
      idxRecords = new int[n];
      String common = n == 0 ? null : prefixOf(es[0]);
      for (int i = 0; i < n; i++) {
        Entry e = es[i];
        rels[i] = e.rel();
        sizes[i] = e.size();
        labels[i] = e.label();
        splits[i] = (byte) e.split();
        idxRecords[i] = e.idxRecord();
        if (common != null && !(e.path().length() == common.length() + e.rel().length() && e.path().startsWith(common)
            && e.path().endsWith(e.rel()))) {
          common = null;
        }
      }
      prefix = common;
      if (common == null) {
        paths = new String[n];
        for (int i = 0; i < n; i++) {
          paths[i] = es[i].path();
        }
      } else {
        paths = null;
      }
    }

    private static String prefixOf(Entry e) {
      return e.path().endsWith(e.rel()) ? e.path().substring(0, e.path().length() - e.rel().length()) : null;
    }

    private Object readResolve() {
      Entry[] es = new Entry[rels.length];
      for (int i = 0; i < es.length; i++) {
        es[i] = new Entry(prefix != null ? prefix + rels[i] : paths[i], rels[i], sizes[i], labels[i], splits[i],
            idxRecords[i]);
      }
      return new Task(number, split, index, es);
    }
  }

  /** What one shard task did. */
  record Result(int number, int split, int index, String file, int rows, long bytes, long crc, long[] perClass,
      long[] sum, long[] sumSq, long pixelsCounted, List<Reject> rejects, long mismatches, long nanos, long cpuNanos)
      implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** Settings every task needs. */
  record Job(String tmp, TensorShape shape, ShardFormat format, float[] scale, float[] shift,
      PreprocessOptions.ResizeMode resize, long maxPixels, int numClasses, boolean statsOnly, boolean statsAllSplits,
      int failAt) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** Runs the whole preprocessing job and commits the output; see the class comment. */
  public static PreprocessSummary run(SparkSession spark, PreprocessOptions o) {
    long t0 = System.nanoTime();
    JavaSparkContext jsc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    Configuration conf = jsc.hadoopConfiguration();
    TensorShape shape = new TensorShape(o.channels(), o.height(), o.width());
    Path out;
    FileSystem fs;
    try {
      out = new Path(o.output());
      fs = out.getFileSystem(conf);
      out = fs.makeQualified(out);
    } catch (IOException e) {
      throw new UncheckedIOException("preprocess.output " + o.output() + ": cannot open its file system: " + e, e);
    }

    // 1. list and label (driver: names only, or the IDX pair)
    List<Reject> driverRejects = new ArrayList<>();
    List<String> classes = new ArrayList<>();
    Broadcast<IdxData> idx = null;
    List<Entry> entries;
    Path in = new Path(o.input());
    FileStatus inStatus;
    try {
      FileSystem inFs = in.getFileSystem(conf);
      if (!inFs.exists(in)) {
        throw new IllegalArgumentException("preprocess.input " + o.input() + " does not exist");
      }
      inStatus = inFs.getFileStatus(in);
    } catch (IOException e) {
      throw new UncheckedIOException("preprocess.input " + o.input() + ": cannot be read: " + e, e);
    }
    if (inStatus.isFile()) {
      if (o.classPerFolder()) {
        throw new IllegalArgumentException("preprocess.input " + o.input() + " is a file, so it must be IDX images and"
            + " preprocess.labels the IDX labels file; got labels = " + o.labels());
      }
      ImageSet set = IdxReader.read(in, new Path(o.labels()), conf);
      for (int c = 0; c < set.numClasses(); c++) {
        classes.add(Integer.toString(c));
      }
      idx = jsc.broadcast(new IdxData(set.shape().h(), set.shape().w(), set.pixels()));
      entries = new ArrayList<>(set.size());
      for (int i = 0; i < set.size(); i++) {
        String rel = String.format(Locale.ROOT, "record-%08d", i);
        entries.add(new Entry(o.input() + "#" + i, rel, 0L, set.labels()[i], o.split().of(unit(o.seed(), rel)), i));
      }
    } else {
      entries = list(o, in, conf, classes, driverRejects);
    }
    if (entries.isEmpty() && driverRejects.isEmpty()) {
      throw new IllegalArgumentException("preprocess.input " + o.input() + " holds no file matching preprocess.glob \""
          + o.glob() + "\"" + (o.recursive() ? "" : " (preprocess.recursive = false)"));
    }
    long read = entries.size() + driverRejects.size();

    // 2. shard tasks: per split in path order
    entries.sort(Comparator.comparing(Entry::rel));
    List<Task> tasks = new ArrayList<>();
    for (int s = 0; s < 3; s++) {
      List<Entry> mine = new ArrayList<>();
      for (Entry e : entries) {
        if (e.split() == s) {
          mine.add(e);
        }
      }
      for (int from = 0, k = 0; from < mine.size(); from += o.shardSize(), k++) {
        List<Entry> part = mine.subList(from, Math.min(mine.size(), from + o.shardSize()));
        tasks.add(new Task(tasks.size(), s, k, part.toArray(new Entry[0])));
      }
    }
    LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "convoy preprocess: %d files listed in %.1f s (%d"
        + " rejected while listing), %d classes, %d shard tasks -> %s", read, (System.nanoTime() - t0) / 1e9,
        driverRejects.size(), classes.size(), tasks.size(), out));

    long tListed = System.nanoTime();
    String id = UUID.randomUUID().toString().substring(0, 8);
    Path tmp = new Path(out.getParent(), out.getName() + TMP_MARK + id);
    boolean committed = false;
    try {
      if (isLocal(tmp)) {
        java.nio.file.Files.createDirectories(java.nio.file.Path.of(tmp.toUri().getPath()));
      } else {
        fs.mkdirs(tmp);
      }
      // The Hadoop configuration goes to the executors once, not inside every task's closure.
      Broadcast<HadoopConf> ch = jsc.broadcast(new HadoopConf(conf));
      boolean allSplits = o.split().train() == 0;

      // 3. the normalisation the float32 shards need before writing
      Normalization given = switch (o.normalize().mode()) {
        case NONE -> Normalization.unit(o.channels());
        case GIVEN -> new Normalization(o.normalize().mean(), o.normalize().std());
        case COMPUTE -> null;
      };
      if (given == null && o.format() == ShardFormat.FLOAT32) {
        Job statsJob = new Job(tmp.toString(), shape, o.format(), null, null, o.resize(), o.maxPixels(), classes.size(),
            true, allSplits, -1);
        List<Result> stats = execute(jsc, tasks, statsJob, ch, idx, "compute mean/std over " + read + " files", read);
        given = normalization(stats, o.channels());
      }
      float[] scale = new float[o.channels()];
      float[] shift = new float[o.channels()];
      if (given != null) {
        for (int c = 0; c < o.channels(); c++) {
          scale[c] = given.scale(c);
          shift[c] = given.shift(c);
        }
      }

      // 4. decode, resize and write every shard
      Job job = new Job(tmp.toString(), shape, o.format(), scale, shift, o.resize(), o.maxPixels(), classes.size(),
          false, allSplits, failAtShardForTest);
      List<Result> results = execute(jsc, tasks, job, ch, idx, "decode, resize and write " + tasks.size() + " "
          + o.format().key() + " shards of " + read + " files", read);
      Normalization norm = given != null ? given : normalization(results, o.channels());
      long tTasks = System.nanoTime();
      long taskNanos = 0;
      long taskCpu = 0;
      for (Result r : results) {
        taskNanos += r.nanos();
        taskCpu += r.cpuNanos();
      }

      // 5. rejects, manifest, commit
      List<Reject> rejects = new ArrayList<>(driverRejects);
      long mismatches = 0;
      for (Result r : results) {
        rejects.addAll(r.rejects());
        mismatches += r.mismatches();
      }
      rejects.sort(Comparator.comparing(Reject::path));
      Map<String, Long> byReason = new TreeMap<>();
      for (Reject r : rejects) {
        byReason.merge(r.reason().key(), 1L, Long::sum);
      }
      long accepted = 0;
      for (Result r : results) {
        accepted += r.rows();
      }
      if (accepted == 0) {
        throw new IllegalStateException("preprocess: all " + read + " files under " + o.input() + " were rejected "
            + byReason + "; first: " + (rejects.isEmpty() ? "none" : rejects.get(0).csvLine()));
      }
      if (o.rejectsFatal() && !rejects.isEmpty()) {
        StringBuilder s = new StringBuilder();
        for (Reject r : rejects.subList(0, Math.min(10, rejects.size()))) {
          s.append("\n  ").append(r.csvLine());
        }
        throw new IllegalStateException("preprocess.rejects-fatal = true and " + rejects.size() + " of " + read
            + " files were rejected " + byReason + ", first ones:" + s);
      }
      try (OutputStream os = create(new Path(tmp, REJECTS_FILE), conf)) {
        StringBuilder s = new StringBuilder("path,reason,detail\n");
        for (Reject r : rejects) {
          s.append(r.csvLine()).append('\n');
        }
        os.write(s.toString().getBytes(StandardCharsets.UTF_8));
      }
      Map<String, ShardManifest.SplitInfo> splits = new LinkedHashMap<>();
      Map<String, Long> perSplit = new LinkedHashMap<>();
      long written = 0;
      int shards = 0;
      for (int s = 0; s < 3; s++) {
        List<ShardManifest.ShardInfo> infos = new ArrayList<>();
        long[] perClass = new long[classes.size()];
        long next = 0;
        for (Result r : results) {
          if (r.split() != s) {
            continue;
          }
          infos.add(new ShardManifest.ShardInfo(r.file(), r.rows(), next, r.bytes(), r.crc()));
          next += r.rows();
          for (int c = 0; c < perClass.length; c++) {
            perClass[c] += r.perClass()[c];
          }
        }
        if (!infos.isEmpty()) {
          splits.put(Split.NAMES[s], new ShardManifest.SplitInfo(next, perClass, infos));
          perSplit.put(Split.NAMES[s], next);
          written += next;
          shards += infos.size();
        }
      }
      Map<String, Object> summaryTree = new LinkedHashMap<>();
      summaryTree.put("read", read);
      summaryTree.put("written", written);
      summaryTree.put("rejected", (long) rejects.size());
      summaryTree.put("rejects_by_reason", new LinkedHashMap<>(byReason));
      summaryTree.put("extension_mismatches", mismatches);
      ShardManifest manifest = new ShardManifest(shape, o.format(), classes, splits, norm,
          o.normalize().mode().name().toLowerCase(Locale.ROOT), summaryTree, o.toTree());
      manifest.write(tmp, conf);
      commit(fs, tmp, out, id);
      committed = true;
      double seconds = (System.nanoTime() - t0) / 1e9;
      PreprocessSummary summary = new PreprocessSummary(out.toString(), read, written, rejects.size(), byReason,
          perSplit, shards, mismatches, seconds, manifest);
      long tEnd = System.nanoTime();
      LOG.log(System.Logger.Level.INFO, "convoy " + summary.describe() + String.format(Locale.ROOT,
          " [listing %.3f s, shard tasks %.3f s (%.3f s inside the tasks, %.3f s of their CPU time), rejects,"
          + " manifest and commit %.3f s]", (tListed - t0) / 1e9, (tTasks - tListed) / 1e9, taskNanos / 1e9,
          taskCpu / 1e9, (tEnd - tTasks) / 1e9));
      return summary;
    } catch (IOException e) {
      throw new UncheckedIOException("preprocess: writing " + tmp + " failed: " + e, e);
    } finally {
      if (!committed && !keepTempOnFailureForTest) {
        try {
          fs.delete(tmp, true);
        } catch (IOException e) {
          LOG.log(System.Logger.Level.WARNING, "convoy preprocess: could not delete " + tmp + ": " + e);
        }
      }
    }
  }

  /** Replaces {@code out} by {@code tmp}: an existing output is moved aside first, deleted after. */
  private static void commit(FileSystem fs, Path tmp, Path out, String id) throws IOException {
    Path old = null;
    if (fs.exists(out)) {
      old = new Path(out.getParent(), out.getName() + OLD_MARK + id);
      if (!fs.rename(out, old)) {
        throw new IOException("cannot move the previous output " + out + " aside to " + old);
      }
    }
    if (!fs.rename(tmp, out)) {
      if (old != null) {
        fs.rename(old, out);
      }
      throw new IOException("cannot rename " + tmp + " to " + out);
    }
    if (old != null) {
      fs.delete(old, true);
    }
  }

  /** Runs the tasks as one Spark job with a descriptive name, logging progress while it runs. */
  private static List<Result> execute(JavaSparkContext jsc, List<Task> tasks, Job job, Broadcast<HadoopConf> ch,
      Broadcast<IdxData> idx, String what, long total) {
    if (tasks.isEmpty()) {
      return List.of();
    }
    LongAccumulator done = jsc.sc().longAccumulator("convoy preprocess: files done");
    LongAccumulator rejected = jsc.sc().longAccumulator("convoy preprocess: files rejected");
    jsc.setJobDescription("convoy preprocess: " + what);
    JavaRDD<Task> rdd = jsc.parallelize(tasks, tasks.size());
    rdd.setName("convoy: preprocess tasks (" + tasks.size() + " shards)");
    JavaRDD<Result> res = rdd.map(t -> work(t, job, ch.value().get(), idx == null ? null : idx.value(), done, rejected));
    res.setName("convoy: " + what);
    long start = System.nanoTime();
    ScheduledExecutorService progress = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "convoy-preprocess-progress");
      t.setDaemon(true);
      return t;
    });
    progress.scheduleAtFixedRate(() -> {
      double s = (System.nanoTime() - start) / 1e9;
      LOG.log(System.Logger.Level.INFO, String.format(Locale.ROOT, "convoy preprocess: %s: %d of %d files done"
          + " (%d rejected), %.0f images/s", what, done.value(), total, rejected.value(), done.value() / Math.max(s, 1e-9)));
    }, progressMillis, progressMillis, TimeUnit.MILLISECONDS);
    try {
      List<Result> out = new ArrayList<>(res.collect());
      out.sort(Comparator.comparingInt(Result::number));
      return out;
    } catch (Exception e) {   // SparkException is checked but thrown undeclared through Scala
      Throwable root = e;
      while (root.getCause() != null && root.getCause() != root) {
        root = root.getCause();
      }
      throw new IllegalStateException("preprocess: Spark job \"" + what + "\" failed: " + root, e);
    } finally {
      progress.shutdownNow();
      jsc.setJobDescription(null);
    }
  }

  /** One shard task: read, decode, resize, write (or only sum, for the statistics pass). */
  static Result work(Task t, Job job, Configuration conf, IdxData idx, LongAccumulator done, LongAccumulator rejected)
      throws IOException {
    long start = System.nanoTime();
    long cpuStart = THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() : 0;
    if (job.failAt() == t.number()) {
      throw new IllegalStateException("preprocess test hook: shard task " + t.number() + " (" + t.file()
          + ") fails on purpose");
    }
    TensorShape shape = job.shape();
    int c = shape.c();
    int hw = shape.h() * shape.w();
    ImageDecoder dec = new ImageDecoder(c, shape.h(), shape.w(), job.resize(), job.maxPixels());
    byte[] px = new byte[shape.size()];
    long[] perClass = new long[job.numClasses()];
    long[] sum = new long[c];
    long[] sumSq = new long[c];
    long counted = 0;
    long mismatches = 0;
    List<Reject> rejects = new ArrayList<>();
    Path file = new Path(job.tmp(), t.file());
    RootAllocator alloc = job.statsOnly() ? null : new RootAllocator();
    Inputs inputs = new Inputs(conf);
    ShardFiles.Writer w = null;
    try {
      if (!job.statsOnly()) {
        w = new ShardFiles.Writer(alloc, create(file, conf), shape, job.format(), job.scale(), job.shift());
      }
      for (Entry e : t.entries()) {
        try {
          if (e.idxRecord() >= 0) {
            idxImage(idx, e.idxRecord(), c, shape, job.resize(), px);
          } else {
            byte[] bytes = inputs.readAll(e.path(), e.size());
            dec.decode(bytes, px, 0);
            if (mismatch(e.rel(), dec.lastFormat())) {
              mismatches++;
            }
          }
        } catch (ImageDecoder.DecodeException x) {
          rejects.add(new Reject(e.path(), x.reason, x.getMessage()));
          rejected.add(1);
          done.add(1);
          continue;
        } catch (IOException x) {
          rejects.add(new Reject(e.path(), Reject.Reason.READ_ERROR, x.toString()));
          rejected.add(1);
          done.add(1);
          continue;
        }
        if (job.statsAllSplits() || e.split() == 0) {
          for (int ch = 0; ch < c; ch++) {
            sumChannel(px, ch * hw, hw, sum, sumSq, ch);
          }
          counted += hw;
        }
        perClass[e.label()]++;
        if (w != null) {
          w.add(px, 0, e.label(), e.rel());
        }
        done.add(1);
      }
      int rows = 0;
      long bytes = 0;
      long crc = 0;
      if (w != null) {
        ShardFiles.Written wr = w.finish();
        rows = wr.rows();
        bytes = wr.bytes();
        crc = wr.crc32c();
      }
      return new Result(t.number(), t.split(), t.index(), t.file(), rows, bytes, crc, perClass, sum, sumSq, counted,
          rejects, mismatches, System.nanoTime() - start,
          THREADS.isCurrentThreadCpuTimeSupported() ? THREADS.getCurrentThreadCpuTime() - cpuStart : 0);
    } finally {
      if (w != null) {
        w.close();
      }
      if (alloc != null) {
        alloc.close();
      }
    }
  }

  /**
   * Creates (or overwrites) an output file: a shard, the rejects report or the manifest. On
   * {@code file:} with java.nio: Hadoop's local file system sets permissions by forking a {@code chmod}
   * process for the file and for each folder it creates (milliseconds each), and keeps a {@code .crc}
   * side file (not needed: the manifest's CRC32C covers every shard).
   */
  static OutputStream create(Path file, Configuration conf) throws IOException {
    if (isLocal(file)) {
      java.nio.file.Path p = java.nio.file.Path.of(file.toUri().getPath());
      java.nio.file.Files.createDirectories(p.getParent());
      return java.nio.file.Files.newOutputStream(p);
    }
    return file.getFileSystem(conf).create(file, true);
  }

  /** True for a path on the local file system ({@code file:}; paths here are qualified). */
  private static boolean isLocal(Path p) {
    return "file".equals(p.toUri().getScheme());
  }

  /**
   * Adds the sum and the sum of squares of {@code n} unsigned bytes from {@code from} to
   * {@code sum[ch]} and {@code sumSq[ch]}; int accumulators in pieces small enough not to overflow
   * (a long accumulator in the loop kept it from being vectorised).
   */
  static void sumChannel(byte[] px, int from, int n, long[] sum, long[] sumSq, int ch) {
    final int piece = 32768;   // 32768 * 255 * 255 < 2^31
    for (int p = from, end = from + n; p < end; p += piece) {
      int s = 0;
      int q = 0;
      for (int k = p, e = Math.min(end, p + piece); k < e; k++) {
        int v = px[k] & 0xFF;
        s += v;
        q += v * v;
      }
      sum[ch] += s;
      sumSq[ch] += q & 0xFFFFFFFFL;
    }
  }

  private static void idxImage(IdxData set, int record, int channels, TensorShape shape,
      PreprocessOptions.ResizeMode mode, byte[] dst) {
    int h = set.h();
    int w = set.w();
    int n = h * w;
    byte[] planes = new byte[channels * n];
    for (int c = 0; c < channels; c++) {
      System.arraycopy(set.pixels(), record * n, planes, c * n, n);
    }
    Resizer.resize(planes, channels, h, w, dst, 0, shape.h(), shape.w(), mode);
  }

  /**
   * Reads whole input files for one task. Lengths come from the listing (no status call per file: an
   * RPC on HDFS, a HEAD on S3). Files on {@code file:} are read with java.nio directly: Hadoop's local
   * file system stats each file again and opens its {@code .crc} side file on every open, which cost
   * more than decoding a small PNG. Other file systems are looked up once per scheme and authority,
   * not once per file.
   */
  static final class Inputs {
    private final Configuration conf;
    private final Map<String, FileSystem> fileSystems = new HashMap<>();

    Inputs(Configuration conf) {
      this.conf = conf;
    }

    byte[] readAll(String path, long size) throws IOException {
      if (size > MAX_FILE_BYTES) {
        throw new IOException("the file has " + size + " bytes, more than the " + MAX_FILE_BYTES + " read per image");
      }
      byte[] b;
      if (path.startsWith("file:/") && !path.startsWith("file://")) {
        // as the listing prints local paths: "file:" and the path itself, not %-escaped (no Hadoop Path or URI to parse)
        b = readLocal(java.nio.file.Path.of(path.substring(5)), (int) size);
      } else if (path.startsWith("file:")) {
        b = readLocal(java.nio.file.Path.of(new Path(path).toUri().getPath()), (int) size);
      } else {
        Path p = new Path(path);
        java.net.URI u = p.toUri();
        String key = u.getScheme() + "://" + u.getAuthority();
        FileSystem fs = fileSystems.get(key);
        if (fs == null) {
          fs = p.getFileSystem(conf);
          fileSystems.put(key, fs);
        }
        try (InputStream in = fs.open(p)) {
          b = in.readNBytes((int) size);
        }
      }
      if (b.length < size) {
        throw new IOException("the file shrank from " + size + " to " + b.length + " bytes while the job ran");
      }
      return b;
    }

    private static byte[] readLocal(java.nio.file.Path file, int size) throws IOException {
      try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file)) {
        byte[] b = new byte[size];
        java.nio.ByteBuffer buf = java.nio.ByteBuffer.wrap(b);
        while (buf.hasRemaining() && ch.read(buf) >= 0) {
          // read until full or end of file
        }
        return buf.hasRemaining() ? java.util.Arrays.copyOf(b, buf.position()) : b;
      }
    }
  }

  private static final Map<String, String> EXT = Map.of("png", "png", "jpg", "jpeg", "jpeg", "jpeg", "gif", "gif",
      "bmp", "bmp", "tif", "tif", "tiff", "tif", "wbmp", "wbmp");

  /** True when the extension names a known format and the content is another. */
  static boolean mismatch(String rel, String format) {
    int dot = rel.lastIndexOf('.');
    if (dot < 0 || format == null) {
      return false;
    }
    String want = EXT.get(rel.substring(dot + 1).toLowerCase(Locale.ROOT));
    String got = format.startsWith("tif") ? "tif" : format;
    return want != null && !want.equals(got);
  }

  private static Normalization normalization(List<Result> results, int channels) {
    long[] sum = new long[channels];
    long[] sumSq = new long[channels];
    long n = 0;
    for (Result r : results) {
      for (int c = 0; c < channels; c++) {
        sum[c] += r.sum()[c];
        sumSq[c] += r.sumSq()[c];
      }
      n += r.pixelsCounted();
    }
    float[] mean = new float[channels];
    float[] std = new float[channels];
    for (int c = 0; c < channels; c++) {
      if (n == 0) {
        std[c] = 1f;
        continue;
      }
      double m = (double) sum[c] / n;
      double var = Math.max(0, (double) sumSq[c] / n - m * m);
      mean[c] = (float) (m / 255.0);
      double sd = Math.sqrt(var) / 255.0;
      std[c] = sd > 1e-12 ? (float) sd : 1f;
    }
    return new Normalization(mean, std);
  }

  /** A uniform value in [0, 1) from the seed and a path: FNV-1a 64 of the UTF-8 bytes, then a SplitMix64 finaliser. */
  static double unit(long seed, String rel) {
    long h = 0xcbf29ce484222325L;
    for (byte b : rel.getBytes(StandardCharsets.UTF_8)) {
      h ^= b & 0xFF;
      h *= 0x100000001b3L;
    }
    long z = h ^ (seed * 0x9E3779B97F4A7C15L);
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    z = z ^ (z >>> 31);
    return (z >>> 11) * 0x1.0p-53;
  }

  /** Lists, filters and labels the files under {@code in}; files without a label become rejects. */
  private static List<Entry> list(PreprocessOptions o, Path in, Configuration conf, List<String> classes,
      List<Reject> rejects) {
    GlobPattern glob;
    try {
      glob = new GlobPattern(o.glob());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("preprocess.glob \"" + o.glob() + "\" is not a valid glob: " + e.getMessage(), e);
    }
    List<String[]> files = new ArrayList<>();   // {full path, relative path, length}
    try {
      FileSystem fs = in.getFileSystem(conf);
      Path base = fs.makeQualified(in);
      String basePath = base.toUri().getPath();
      String prefix = basePath.endsWith("/") ? basePath : basePath + "/";
      int maxDepth = o.recursive() ? Integer.MAX_VALUE : (o.classPerFolder() ? 2 : 1);
      if ("file".equals(base.toUri().getScheme())) {
        listLocal(base, prefix, maxDepth, glob, files);
      }
      // Plain listStatus, folder by folder: FileSystem.listFiles builds LocatedFileStatus objects, which on
      // the local file system read each file's permissions by forking a process (milliseconds per file).
      java.util.ArrayDeque<Path> dirs = new java.util.ArrayDeque<>();
      if (!"file".equals(base.toUri().getScheme())) {
        dirs.add(base);
      }
      while (!dirs.isEmpty()) {
        Path d = dirs.poll();
        for (FileStatus st : fs.listStatus(d)) {
          String p = st.getPath().toUri().getPath();
          if (!p.startsWith(prefix)) {
            continue;
          }
          String rel = p.substring(prefix.length());
          String[] parts = rel.split("/");
          if (hidden(parts)) {
            continue;
          }
          if (st.isDirectory()) {
            if (parts.length < maxDepth) {
              dirs.add(st.getPath());
            }
          } else if (parts.length <= maxDepth && glob.matches(parts[parts.length - 1])) {
            files.add(new String[] {st.getPath().toString(), rel, Long.toString(st.getLen())});
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("preprocess.input " + o.input() + ": listing failed: " + e, e);
    }
    files.sort(Comparator.comparing(f -> f[1]));
    List<Entry> out = new ArrayList<>(files.size());
    if (o.classPerFolder()) {
      TreeSet<String> names = new TreeSet<>();
      for (String[] f : files) {
        int slash = f[1].indexOf('/');
        if (slash > 0) {
          names.add(f[1].substring(0, slash));
        }
      }
      classes.addAll(names);
      Map<String, Integer> index = new HashMap<>();
      for (int i = 0; i < classes.size(); i++) {
        index.put(classes.get(i), i);
      }
      for (String[] f : files) {
        int slash = f[1].indexOf('/');
        if (slash < 0) {
          rejects.add(new Reject(f[0], Reject.Reason.NO_LABEL, "not inside a class folder (preprocess.labels ="
              + " class-per-folder)"));
          continue;
        }
        out.add(new Entry(f[0], f[1], Long.parseLong(f[2]), index.get(f[1].substring(0, slash)), o.split().of(unit(o.seed(), f[1])), -1));
      }
      return out;
    }
    Map<String, String> labelOf = readCsv(o.labels(), in, conf);
    List<String> names = new ArrayList<>(new TreeSet<>(labelOf.values()));
    boolean numeric = names.stream().allMatch(s -> s.matches("-?\\d{1,9}"));
    if (numeric) {
      names.sort(Comparator.comparingInt(Integer::parseInt));
    }
    classes.addAll(names);
    Map<String, Integer> index = new HashMap<>();
    for (int i = 0; i < classes.size(); i++) {
      index.put(classes.get(i), i);
    }
    for (String[] f : files) {
      String label = labelOf.get(f[1]);
      if (label == null) {
        label = labelOf.get(f[0]);
      }
      if (label == null) {
        rejects.add(new Reject(f[0], Reject.Reason.NO_LABEL, "no line for " + f[1] + " in " + o.labels()));
        continue;
      }
      out.add(new Entry(f[0], f[1], Long.parseLong(f[2]), index.get(label), o.split().of(unit(o.seed(), f[1])), -1));
    }
    return out;
  }

  /**
   * {@link #list}'s walk for {@code file:} folders with java.nio: one stat per entry (Hadoop's local
   * listStatus makes several per file and filters {@code .crc} files). Symbolic links are followed, as
   * Hadoop's local file system does. Adds {full path as Hadoop prints it, relative path, length}. The
   * folders of one depth are listed in parallel on the driver's cores (the usual tree is one folder per
   * class, and listing is the one serial step whose cost grows with the number of files); the result
   * does not depend on the order, since {@link #list} sorts it.
   */
  private static void listLocal(Path base, String prefix, int maxDepth, GlobPattern glob, List<String[]> files)
      throws IOException {
    String uriPrefix = base.toString().endsWith("/") ? base.toString() : base + "/";
    List<String> level = List.of("");
    for (int depth = 1; !level.isEmpty(); depth++) {
      int d = depth;
      List<Listed> listed;
      try {
        listed = (level.size() > 1 ? level.parallelStream() : level.stream())
            .map(dirRel -> listFolder(prefix, uriPrefix, dirRel, d, maxDepth, glob)).toList();
      } catch (UncheckedIOException e) {
        throw e.getCause();
      }
      List<String> next = new ArrayList<>();
      for (Listed l : listed) {
        files.addAll(l.files());
        next.addAll(l.folders());
      }
      level = next;
    }
  }

  /** What one folder holds: matching files {full path, relative path, length} and sub-folders to walk. */
  private record Listed(List<String[]> files, List<String> folders) {
  }

  /** Lists one folder {@code dirRel} (relative, ending in "/" unless the root) at depth {@code depth}. */
  private static Listed listFolder(String prefix, String uriPrefix, String dirRel, int depth, int maxDepth,
      GlobPattern glob) {
    List<String[]> files = new ArrayList<>();
    List<String> folders = new ArrayList<>();
    java.nio.file.Path dir = java.nio.file.Path.of(prefix + dirRel);
    try (java.nio.file.DirectoryStream<java.nio.file.Path> ds = java.nio.file.Files.newDirectoryStream(dir)) {
      for (java.nio.file.Path child : ds) {
        String name = child.getFileName().toString();
        if (name.startsWith(".") || name.startsWith("_")) {
          continue;
        }
        java.nio.file.attribute.BasicFileAttributes at;
        try {
          at = java.nio.file.Files.readAttributes(child, java.nio.file.attribute.BasicFileAttributes.class);
        } catch (java.nio.file.NoSuchFileException e) {
          continue;   // a dangling link, or removed while listing
        }
        if (at.isDirectory()) {
          if (depth < maxDepth) {
            folders.add(dirRel + name + "/");
          }
        } else if (depth <= maxDepth && glob.matches(name)) {
          String rel = dirRel + name;
          files.add(new String[] {uriPrefix + rel, rel, Long.toString(at.size())});
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Listed(files, folders);
  }

  private static boolean hidden(String[] parts) {
    for (String p : parts) {
      if (p.startsWith(".") || p.startsWith("_")) {
        return true;
      }
    }
    return false;
  }

  /**
   * Reads a label file: lines {@code path,label} (path relative to the input folder or a full URI),
   * an optional header {@code path,label}, {@code #} comments and blank lines ignored.
   */
  static Map<String, String> readCsv(String labels, Path in, Configuration conf) {
    Path p = new Path(labels);
    Map<String, String> m = new LinkedHashMap<>();
    try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getFileSystem(conf).open(p),
        StandardCharsets.UTF_8))) {
      String line;
      int no = 0;
      while ((line = r.readLine()) != null) {
        no++;
        String s = line.strip();
        if (s.isEmpty() || s.startsWith("#") || (no == 1 && s.equalsIgnoreCase("path,label"))) {
          continue;
        }
        int comma = s.lastIndexOf(',');
        if (comma <= 0 || comma == s.length() - 1) {
          throw new IllegalArgumentException("preprocess.labels " + labels + " line " + no + ": expected path,label, got \""
              + s + "\"");
        }
        String path = s.substring(0, comma).strip();
        if (path.length() >= 2 && path.startsWith("\"") && path.endsWith("\"")) {
          path = path.substring(1, path.length() - 1).replace("\"\"", "\"");
        }
        String prev = m.put(path, s.substring(comma + 1).strip());
        if (prev != null) {
          throw new IllegalArgumentException("preprocess.labels " + labels + " line " + no + ": " + path
              + " is labelled twice");
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("preprocess.labels " + labels + ": cannot be read: " + e, e);
    }
    return m;
  }
}
