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
 * averaging), 250 files per shard task. Both sides get one full warm-up pass first, then the
 * measured pass. Speed is printed, never asserted.
 *
 * <p>Run: {@code mvn -B -o -Dconvoy.target=target-prep -pl pipeline -am test -Plong
 * -Dtest=PreprocessBenchmarkTest -Dsurefire.failIfNoSpecifiedTests=false}
 */
@Tag("long")
class PreprocessBenchmarkTest {
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
    System.out.println("| input | files | output | ImageIO.read loop, 1 thread (img/s) | preprocess job, local[2] (img/s) | ratio |");
    System.out.println("|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  private String measure(SparkSession spark, Path dir, int c, int h, int w, int n) throws IOException {
    List<Path> files;
    try (Stream<Path> s = Files.walk(dir)) {
      files = s.filter(Files::isRegularFile).sorted().toList();
    }
    assertEquals(n, files.size());
    decodeLoop(files);   // warm-up: one full pass
    long t0 = System.nanoTime();
    long px = decodeLoop(files);
    double loop = n / ((System.nanoTime() - t0) / 1e9);

    Preprocessor.run(spark, opts(dir, tmp.resolve(dir.getFileName() + "-warm-out"), c, h, w));   // warm-up
    long t1 = System.nanoTime();
    PreprocessSummary s = Preprocessor.run(spark, opts(dir, tmp.resolve(dir.getFileName() + "-out"), c, h, w));
    double job = n / ((System.nanoTime() - t1) / 1e9);
    assertEquals(n, s.written());
    BufferedImage first = ImageIO.read(files.get(0).toFile());
    return String.format(Locale.ROOT, "| %dx%d %s | %d | %dx%dx%d uint8 | %.0f | %.0f | %.2fx |", first.getWidth(),
        first.getHeight(), dir.getFileName(), n, c, h, w, loop, job, job / loop) + " <!-- " + px + " -->";
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
