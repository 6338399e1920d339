package io.convoy.pipeline.preprocess;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.preprocess.PreprocessOptions.NormalizeSpec;
import io.convoy.pipeline.preprocess.PreprocessOptions.ShardFormat;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Preprocessing throughput on local[2] beside a plain single-threaded {@code ImageIO.read} loop over
 * the same files, measured in the same run; prints a table. 2000 28x28 grey PNGs (-> 1x28x28) and
 * 2000 224x224 RGB JPEGs made from 8x upscaled, tinted Fashion-MNIST images (-> 3x112x112, area
 * averaging), 250 files per shard task. Both sides get three full warm-up passes, then three measured
 * passes (alternating sides); the best measured pass of each side is reported. Speed is printed, never asserted. Beside wall-clock images per second it prints the
 * JVM's CPU time per image for each side (all threads), which other load on the machine disturbs less.
 *
 * <p>Run: {@code mvn -B -o -Dconvoy.target=target-prep -pl pipeline -am test -Plong
 * -Dtest=PreprocessBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("long")
class PreprocessBenchmarkTest {
  /** Passes per side before measuring, and measured passes (the best one is reported). */
  private static final int WARMUP = 3;
  private static final int MEASURED = 3;

  @TempDir
  Path tmp;

  @Test
  void throughputTable() throws IOException {
    int n = Integer.getInteger("convoy.bench.images", 2000);
    ImageSet set = ImageTree.fashion(n);
    Path png = tmp.resolve("png");
    Path jpg = tmp.resolve("jpg");
    for (int i = 0; i < n; i++) {
      String cls = ImageTree.CLASSES[set.labels()[i]];
      Files.createDirectories(png.resolve(cls));
      Files.createDirectories(jpg.resolve(cls));
      BufferedImage g = ImageTree.grey(ImageTree.image(set, i), 28, 28);
      Files.write(png.resolve(cls + "/" + i + ".png"), ImageTree.encode(g, "png"));
      Files.write(jpg.resolve(cls + "/" + i + ".jpg"), ImageTree.jpeg(big(g, i), 0.9f));
    }
    SparkSession spark = SparkSession.builder().master("local[2]").appName("convoy-preprocess-bench")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
    List<String> rows = new ArrayList<>();
    try {
      rows.add(measure(spark, png, 1, 28, 28, n));
      rows.add(measure(spark, jpg, 3, 112, 112, n));
    } finally {
      spark.stop();
    }
    System.out.println();
    System.out.println("| input | files | output | ImageIO.read loop, 1 thread (img/s) | preprocess job, local[2] (img/s)"
        + " | ratio | CPU per image: loop / job (us) |");
    System.out.println("|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  private String measure(SparkSession spark, Path dir, int c, int h, int w, int n) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    assertEquals(n, files.size());
    long px = 0;
    double loop = 0;
    double loopCpu = 0;
    double job = 0;
    double jobCpu = 0;
    PreprocessSummary s = null;
    // Warm-up passes, then measured passes, alternating the two sides; the best pass of each counts.
    // (With one warm-up pass the JIT was still compiling Spark's code during the measured job.)
    for (int pass = 0; pass < WARMUP + MEASURED; pass++) {
      long c0 = cpu();
      long t0 = System.nanoTime();
      px = decodeLoop(files);
      double l = n / ((System.nanoTime() - t0) / 1e9);
      double lc = (cpu() - c0) / 1e3 / n;
      long c1 = cpu();
      long t1 = System.nanoTime();
      s = Preprocessor.run(spark, opts(dir, tmp.resolve(dir.getFileName() + "-out-" + pass), c, h, w));
      double j = n / ((System.nanoTime() - t1) / 1e9);
      double jc = (cpu() - c1) / 1e3 / n;
      if (pass >= WARMUP) {
        if (l > loop) {
          loop = l;
          loopCpu = lc;
        }
        if (j > job) {
          job = j;
          jobCpu = jc;
        }
      }
    }
    assertEquals(n, s.written());
    BufferedImage first = ImageIO.read(files.get(0).toFile());
    return String.format(Locale.ROOT, "| %dx%d %s | %d | %dx%dx%d uint8 | %.0f | %.0f | %.2fx | %.0f / %.0f |",
        first.getWidth(), first.getHeight(), dir.getFileName(), n, c, h, w, loop, job, job / loop, loopCpu, jobCpu)
        + " <!-- " + px + " -->";
  }

  /**
   * CPU time of the whole JVM in nanoseconds (all threads: Spark's, the GC's and the JIT's too), so the
   * cost per image can be compared on a machine whose cores other processes share.
   */
  private static long cpu() {
    return ((com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  private static PreprocessOptions opts(Path in, Path out, int c, int h, int w) {
    return PreprocessOptions.defaults(in.toUri().toString(), out.toUri().toString(), c, h, w)
        .with(NormalizeSpec.COMPUTE, ShardFormat.UINT8, 250, false);
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
    for (int y = 0; y < 224; y++) {
      for (int x = 0; x < 224; x++) {
        int v = out.getRGB(x, y) & 0xFF;
        int r = tint == 0 ? v : v * 3 / 4;
        int gg = tint == 1 ? v : v / 2;
        int b = tint == 2 ? v : (x + y) & 0x3F;
        out.setRGB(x, y, (r << 16) | (gg << 8) | b);
      }
    }
    return out;
  }
}
