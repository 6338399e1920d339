package io.convoy.pipeline.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.preprocess.PreprocessOptions.NormalizeSpec;
import io.convoy.pipeline.preprocess.PreprocessOptions.ShardFormat;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preprocessing throughput on local[2] beside a plain single-threaded {@code ImageIO.read} loop over
 * the same files, measured in the same run; prints a table. 10,000 28x28 grey PNGs (-> 1x28x28; the
 * size of the Fashion-MNIST test set the issue names) and 10,000 224x224 RGB JPEGs made from 8x
 * upscaled, tinted Fashion-MNIST images (-> 3x112x112, area averaging), 1000 files per shard: ten
 * shard tasks, five per core (with the default 2048, 10,000 files make five tasks, and the core
 * that runs the third waits alone at the end). Both sides get at least three full warm-up passes (more,
 * up to ten, while the JIT still compiles for over 2% of a pass), then three measured passes
 * (alternating sides); the best measured pass of each side is reported. Speed is
 * printed, never asserted. Beside wall-clock images per second it prints the JVM's CPU time per image
 * for each side (all threads), which other load on the machine disturbs less, split into the loop's
 * or the task threads, the driver's main thread, Spark's other Java threads and the rest (GC, JIT,
 * VM: the process's CPU time minus its Java threads'), and the load average before and after.
 *
 * <p>Run: {@code mvn -B -o -Dconvoy.target=target-prep -pl pipeline -am test -Plong
 * -Dtest=PreprocessBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}; {@code -Dconvoy.bench.png=N},
 * {@code -Dconvoy.bench.jpeg=N} and {@code -Dconvoy.bench.shard-size=N} change the sizes.
 */
@Tag("long")
class PreprocessBenchmarkTest {
  /** Passes per side before measuring, and measured passes (the best one is reported). */
  private static final int WARMUP = 3;
  private static final int MAX_WARMUP = 10;
  private static final int MEASURED = 3;
  /** Warm-up passes each input took. */
  private final List<Integer> warmups = new ArrayList<>();
  private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

  @TempDir
  Path tmp;

  @Test
  void throughputTable() throws IOException {
    int nPng = Integer.getInteger("convoy.bench.png", 60_000);
    int nJpeg = Integer.getInteger("convoy.bench.jpeg", 10_000);
    int shard = Integer.getInteger("convoy.bench.shard-size", 1000);
    ImageSet set = ImageTree.fashion(Math.max(nPng, nJpeg));
    Path png = tmp.resolve("png");
    Path jpg = tmp.resolve("jpg");
    for (int i = 0; i < Math.max(nPng, nJpeg); i++) {
      String cls = ImageTree.CLASSES[set.labels()[i]];
      BufferedImage g = ImageTree.grey(ImageTree.image(set, i), 28, 28);
      if (i < nPng) {
        Files.createDirectories(png.resolve(cls));
        Files.write(png.resolve(cls + "/" + i + ".png"), ImageTree.encode(g, "png"));
      }
      if (i < nJpeg) {
        Files.createDirectories(jpg.resolve(cls));
        Files.write(jpg.resolve(cls + "/" + i + ".jpg"), ImageTree.jpeg(big(g, i), 0.9f));
      }
    }
    SparkSession spark = SparkSession.builder().master("local[2]").appName("convoy-preprocess-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    List<String[]> rows = new ArrayList<>();
    String load0 = loadAverage();
    try {
      rows.add(measure(spark, png, 1, 28, 28, nPng, shard));
      rows.add(measure(spark, jpg, 3, 112, 112, nJpeg, shard));
    } finally {
      spark.stop();
    }
    String load1 = loadAverage();
    System.out.println();
    System.out.println("Preprocessing throughput, local[2], shard-size " + shard + "; load average (1, 5, 15 min) "
        + load0 + " before, " + load1 + " after; warm-up passes per input " + warmups);
    System.out.println();
    System.out.println("| input | files | output | ImageIO.read loop, 1 thread (img/s) | preprocess job, local[2] (img/s)"
        + " | ratio | CPU per image: loop / job (us) | CPU ratio job / loop |");
    System.out.println("|---|---|---|---|---|---|---|---|");
    for (String[] r : rows) {
      System.out.println(r[0]);
    }
    System.out.println();
    System.out.println("CPU per image by thread (us), best measured pass of each side:");
    System.out.println();
    System.out.println("| input | side | wall (s) | all | loop or task threads | driver main | Spark's other threads"
        + " | GC, JIT, VM | JIT / GC time (GCs) |");
    System.out.println("|---|---|---|---|---|---|---|---|---|");
    for (String[] r : rows) {
      System.out.println(r[1]);
      System.out.println(r[2]);
    }
  }

  /** CPU time split of one pass, in nanoseconds. */
  private record Cpu(long all, long work, long main, long others, double seconds, long jitMillis, long gcMillis,
      long gcs) {
    String row(String input, String side, int n) {
      return String.format(Locale.ROOT, "| %s | %s | %.2f | %.0f | %.0f | %.0f | %.0f | %.0f | %d / %d ms (%d) |", input,
          side, seconds, all / 1e3 / n, work / 1e3 / n, main / 1e3 / n, others / 1e3 / n,
          (all - work - main - others) / 1e3 / n, jitMillis, gcMillis, gcs);
    }
  }

  /** Java threads' CPU time by thread id, and the whole process's under key -1. */
  private static Map<Long, Long> snapshot() {
    Map<Long, Long> m = new HashMap<>();
    for (long id : THREADS.getAllThreadIds()) {
      long t = THREADS.getThreadCpuTime(id);
      if (t >= 0) {
        m.put(id, t);
      }
    }
    m.put(-1L, processCpu());
    m.put(-2L, ManagementFactory.getCompilationMXBean().getTotalCompilationTime());
    long gcMillis = 0;
    long gcs = 0;
    for (java.lang.management.GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      gcMillis += Math.max(0, gc.getCollectionTime());
      gcs += Math.max(0, gc.getCollectionCount());
    }
    m.put(-3L, gcMillis);
    m.put(-4L, gcs);
    return m;
  }

  /**
   * CPU between two snapshots: {@code work} for threads named {@code workPrefix} (or the main thread
   * when null), the main thread, Spark's other Java threads (threads that ended in between are missed
   * here and so counted under GC, JIT, VM).
   */
  private static Cpu split(Map<Long, Long> a, Map<Long, Long> b, String workPrefix, double seconds) {
    long work = 0;
    long main = 0;
    long others = 0;
    long mainId = Thread.currentThread().getId();
    for (Map.Entry<Long, Long> e : b.entrySet()) {
      long id = e.getKey();
      if (id < 0) {
        continue;
      }
      long d = e.getValue() - a.getOrDefault(id, 0L);
      java.lang.management.ThreadInfo info = THREADS.getThreadInfo(id);
      String name = info == null ? "" : info.getThreadName();
      if (id == mainId) {
        main += d;
      } else if (workPrefix != null && name.startsWith(workPrefix)) {
        work += d;
      } else {
        others += d;
      }
    }
    if (workPrefix == null) {
      work = main;
      main = 0;
    }
    return new Cpu(b.get(-1L) - a.get(-1L), work, main, others, seconds, b.get(-2L) - a.get(-2L),
        b.get(-3L) - a.get(-3L), b.get(-4L) - a.get(-4L));
  }

  private String[] measure(SparkSession spark, Path dir, int c, int h, int w, int n, int shard) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    assertEquals(n, files.size());
    long px = 0;
    double loop = 0;
    Cpu loopCpu = null;
    double job = 0;
    Cpu jobCpu = null;
    PreprocessSummary s = null;
    // Warm-up passes, then measured passes, alternating the two sides; the best pass of each counts.
    // Warm-up goes on (from WARMUP up to MAX_WARMUP passes) while the JIT still compiles for more than
    // 2% of a pass's time on either side: with a fixed three passes, compilation at a high load average
    // still took up to a second of CPU inside a measured pass.
    int warm = 0;
    int measured = 0;
    for (int pass = 0; measured < MEASURED; pass++) {
      Map<Long, Long> c0 = snapshot();
      long t0 = System.nanoTime();
      px = decodeLoop(files);
      double ls = (System.nanoTime() - t0) / 1e9;
      Cpu lc = split(c0, snapshot(), null, ls);
      Map<Long, Long> c1 = snapshot();
      long t1 = System.nanoTime();
      s = Preprocessor.run(spark, opts(dir, tmp.resolve(dir.getFileName() + "-out-" + pass), c, h, w, shard));
      double js = (System.nanoTime() - t1) / 1e9;
      Cpu jc = split(c1, snapshot(), "Executor task launch worker", js);
      if (warm < WARMUP || (warm < MAX_WARMUP && (lc.jitMillis() > 20 * ls || jc.jitMillis() > 20 * js))) {
        warm++;
        continue;
      }
      measured++;
      if (n / ls > loop) {
        loop = n / ls;
        loopCpu = lc;
      }
      if (n / js > job) {
        job = n / js;
        jobCpu = jc;
      }
    }
    warmups.add(warm);
    assertEquals(n, s.written());
    BufferedImage first = ImageIO.read(files.get(0).toFile());
    String input = first.getWidth() + "x" + first.getHeight() + " " + dir.getFileName();
    double lcpu = loopCpu.all() / 1e3 / n;
    double jcpu = jobCpu.all() / 1e3 / n;
    return new String[] {
        String.format(Locale.ROOT, "| %s | %d | %dx%dx%d uint8 | %.0f | %.0f | %.2fx | %.0f / %.0f | %.2f |", input, n,
            c, h, w, loop, job, job / loop, lcpu, jcpu, jcpu / lcpu) + " <!-- " + px + " -->",
        loopCpu.row(input, "ImageIO.read loop", n),
        jobCpu.row(input, "preprocess job", n)};
  }

  private static String loadAverage() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + ", " + f[1] + ", " + f[2];
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
  }

  /**
   * CPU time of the whole JVM in nanoseconds (all threads: Spark's, the GC's and the JIT's too), so the
   * cost per image can be compared on a machine whose cores other processes share.
   */
  private static long processCpu() {
    return ((com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static PreprocessOptions opts(Path in, Path out, int c, int h, int w, int shard) {
    return PreprocessOptions.defaults(in.toUri().toString(), out.toUri().toString(), c, h, w)
        .with(NormalizeSpec.COMPUTE, ShardFormat.UINT8, shard, false);
  }

  /** The baseline: decode each file with ImageIO.read, touching one pixel so nothing is skipped. */
  private static long decodeLoop(List<Path> files) throws IOException {
    long sum = 0;
    for (Path f : files) {
      BufferedImage b = ImageIO.read(f.toFile());
      sum += b.getRGB(b.getWidth() / 2, b.getHeight() / 2) & 0xFF;
    }
    return sum;
  }

  /** 224 x 224 RGB: the grey image upscaled 8x (bilinear) and tinted by class-dependent colour. */
  private static BufferedImage big(BufferedImage g, int i) {
    BufferedImage out = new BufferedImage(224, 224, BufferedImage.TYPE_3BYTE_BGR);
    java.awt.Graphics2D gr = out.createGraphics();
    gr.setRenderingHint(RenderingHints.KEY_INTERPOLATION, RenderingHints.VALUE_INTERPOLATION_BILINEAR);
    gr.drawImage(g, 0, 0, 224, 224, null);
    gr.dispose();
    int tint = i % 3;
    byte[] bgr = ((java.awt.image.DataBufferByte) out.getRaster().getDataBuffer()).getData();
    for (int y = 0, k = 0; y < 224; y++) {
      for (int x = 0; x < 224; x++, k += 3) {
        int v = bgr[k] & 0xFF;   // the grey drawn into all three bytes
        bgr[k + 2] = (byte) (tint == 0 ? v : v * 3 / 4);
        bgr[k + 1] = (byte) (tint == 1 ? v : v / 2);
        bgr[k] = (byte) (tint == 2 ? v : (x + y) & 0x3F);
      }
    }
    return out;
  }
}
