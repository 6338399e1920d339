package io.convoy.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.report.TrainingReport;
import io.convoy.pipeline.train.LocalTrainer;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import java.awt.image.BufferedImage;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Opens a training report in headless Chromium: every inline image must decode (the report's own
 * script marks {@code <body data-report-ready="true">} once all images have a natural width), the
 * page must log no console error, and a screenshot is kept as
 * {@code tests/<build dir>/report-screenshot.png}. Without Chromium the test fails and says how to
 * install it.
 */
class ReportBrowserTest {
  private static final String DATA = "file:///usr/share/datasets/fashion-mnist/";

  @TempDir
  Path tmp;

  @Test
  void reportRendersInHeadlessChromium() throws Exception {
    String chromium = findChromium();
    Path report = tmp.resolve("run").resolve("report.html");
    Files.createDirectories(report.getParent());
    int images = writeReport(report);

    // 1) the DOM after load: the page's script has checked every <img>
    Path logs = Files.createDirectories(buildDir().resolve("report-browser"));
    Result dom = run(chromium, tmp.resolve("profile-dom"), logs.resolve("dump-dom.stderr.txt"),
        "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", report.toUri().toString());
    assertEquals(0, dom.exit, "chromium --dump-dom exited with " + dom.exit + "; stderr in " + logs);
    Matcher loaded = Pattern.compile("data-images-loaded=\"(\\d+)/(\\d+)\"").matcher(dom.stdout);
    assertTrue(loaded.find(), "the report's image check did not run (no data-images-loaded on <body>); DOM starts: "
        + dom.stdout.substring(0, Math.min(300, dom.stdout.length())));
    assertEquals(String.valueOf(images), loaded.group(2), "images in the rendered DOM");
    assertEquals(loaded.group(2), loaded.group(1), "images that decoded in the browser");
    assertTrue(dom.stdout.contains("data-report-ready=\"true\""), "data-report-ready is not true");
    for (String id : TrainingReport.SECTIONS) {
      assertTrue(dom.stdout.contains("id=\"" + id + "\""), "section " + id + " missing from the rendered DOM");
    }
    // the report itself never logs, so any console line (an uncaught error, a failed load) is a fault
    assertEquals(List.of(), consoleLines(dom.stderr), "console messages of the report page");

    // 2) a screenshot for people (and the README)
    Path shot = buildDir().resolve("report-screenshot.png");
    Files.deleteIfExists(shot);
    Result s = run(chromium, tmp.resolve("profile-shot"), logs.resolve("screenshot.stderr.txt"),
        "--hide-scrollbars", "--window-size=1280,2400", "--virtual-time-budget=10000",
        "--screenshot=" + shot.toAbsolutePath(), report.toUri().toString());
    assertEquals(0, s.exit, "chromium --screenshot exited with " + s.exit + "; stderr in " + logs);
    BufferedImage png = ImageIO.read(shot.toFile());
    assertTrue(png != null, "no screenshot PNG at " + shot);
    assertEquals(1280, png.getWidth());
    assertEquals(2400, png.getHeight());
    assertTrue(nonWhiteShare(png) > 0.05, "the screenshot is (nearly) blank: " + shot);
  }

  /** The checks above do catch faults: a page with a broken image and a script error fails them. */
  @Test
  void brokenImageAndScriptErrorAreDetected() throws Exception {
    String chromium = findChromium();
    Path good = tmp.resolve("good.html");
    int images = writeReport(good);
    String html = Files.readString(good, StandardCharsets.UTF_8);
    String broken = html.replaceFirst("data:image/png;base64,[A-Za-z0-9+/=]+", "data:image/png;base64,AAAA")
        .replace("</body>", "<script>throw new Error('planted fault');</script>\n</body>");
    Path bad = tmp.resolve("bad.html");
    Files.writeString(bad, broken, StandardCharsets.UTF_8);
    Path logs = Files.createDirectories(buildDir().resolve("report-browser"));
    Result dom = run(chromium, tmp.resolve("profile-bad"), logs.resolve("broken.stderr.txt"),
        "--enable-logging=stderr", "--v=0", "--virtual-time-budget=10000", "--dump-dom", bad.toUri().toString());
    assertEquals(0, dom.exit);
    assertTrue(dom.stdout.contains("data-images-loaded=\"" + (images - 1) + "/" + images + "\""),
        "the broken image was not noticed");
    assertTrue(dom.stdout.contains("data-report-ready=\"false\""));
    List<String> console = consoleLines(dom.stderr);
    assertTrue(console.stream().anyMatch(l -> l.contains("planted fault")), "the script error was not logged: "
        + console);
  }

  private static List<String> consoleLines(String stderr) {
    List<String> out = new ArrayList<>();
    for (String line : stderr.split("\n")) {
      if (line.contains(":CONSOLE") || line.contains("Uncaught")) {
        out.add(line);
      }
    }
    return out;
  }

  /** Trains a tiny model on 400 Fashion-MNIST images for 2 epochs and writes its report; returns its image count. */
  private static int writeReport(Path file) {
    Configuration conf = new Configuration();
    ImageSet train = IdxReader.read(new org.apache.hadoop.fs.Path(DATA + "train-images-idx3-ubyte.gz"),
        new org.apache.hadoop.fs.Path(DATA + "train-labels-idx1-ubyte.gz"), conf, 10).slice(0, 400);
    ImageSet test = IdxReader.read(new org.apache.hadoop.fs.Path(DATA + "t10k-images-idx3-ubyte.gz"),
        new org.apache.hadoop.fs.Path(DATA + "t10k-labels-idx1-ubyte.gz"), conf, 10).slice(0, 300);
    Normalization norm = Normalization.compute(train);
    ModelSpec spec = ModelSpec.kerasCourse();
    TrainResult r = new LocalTrainer().testSet(test).train(spec, TrainOptions.of(2, 32, OptimizerSpec.adam(1e-3f), 7L),
        train, test.slice(0, 100), norm, null);
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("normalization-mean", List.of((double) norm.mean()[0]));
    meta.put("normalization-std", List.of((double) norm.std()[0]));
    TrainingReport.builder().title("Convoy training report: keras-course on Fashion-MNIST (tiny test run)")
        .runName(file.getParent().toString())
        .config("data.train = fashion-mnist (first 400 images)\ntrain { epochs = 2, batch-size = 32, optimizer = adam,"
            + " learning-rate = 0.001 }\nmodel = keras-course\n")
        .history(r.history()).model(new SavedModel(spec, r.params(), r.buffers(), meta)).samples(test)
        .classNames(TrainingReport.FASHION_MNIST_CLASSES).build().writeTo(file);
    // 4 charts, 16 filters, the sample and 16 activation maps of keras-course's conv1
    return 4 + 16 + 1 + 16;
  }

  private record Result(int exit, String stdout, String stderr) {}

  private static Result run(String chromium, Path profile, Path stderrFile, String... args) throws Exception {
    Files.createDirectories(profile);
    List<String> cmd = new ArrayList<>(List.of(chromium, "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--disable-dev-shm-usage", "--user-data-dir=" + profile.toAbsolutePath()));
    cmd.addAll(List.of(args));
    Path out = Files.createTempFile(profile, "stdout", ".txt");
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectOutput(out.toFile()).redirectError(stderrFile.toFile());
    Process p = pb.start();
    if (!p.waitFor(120, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      fail("chromium did not finish within 120 s: " + String.join(" ", cmd));
    }
    return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8),
        Files.readString(stderrFile, StandardCharsets.UTF_8));
  }

  /** Chromium from -Dconvoy.chromium, else chromium / chromium-browser on the PATH; fails with the install command. */
  private static String findChromium() {
    String given = System.getProperty("convoy.chromium");
    if (given != null && new File(given).canExecute()) {
      return given;
    }
    for (String dir : System.getenv().getOrDefault("PATH", "/usr/bin").split(File.pathSeparator)) {
      for (String name : List.of("chromium", "chromium-browser")) {
        File f = new File(dir, name);
        if (f.canExecute()) {
          return f.getAbsolutePath();
        }
      }
    }
    fail("headless Chromium is needed for the report test and was not found on the PATH"
        + (given == null ? "" : " nor at -Dconvoy.chromium=" + given) + ": install it with `apt-get install -y chromium`");
    return null;
  }

  /** The module's build folder (target, or target-<name> with -Dconvoy.target). */
  private static Path buildDir() throws Exception {
    String work = System.getProperty("convoy.work.dir");
    Path dir = work != null ? Path.of(work).getParent() : Path.of("target");
    return Files.createDirectories(dir);
  }

  private static double nonWhiteShare(BufferedImage img) {
    long n = 0;
    long dark = 0;
    for (int y = 0; y < img.getHeight(); y += 4) {
      for (int x = 0; x < img.getWidth(); x += 4) {
        int rgb = img.getRGB(x, y);
        int lum = ((rgb >> 16 & 255) + (rgb >> 8 & 255) + (rgb & 255)) / 3;
        n++;
        if (lum < 230) {
          dark++;
        }
      }
    }
    return (double) dark / n;
  }
}
