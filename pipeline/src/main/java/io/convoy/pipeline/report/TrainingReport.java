package io.convoy.pipeline.report;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.spark.Evaluation;
import io.convoy.pipeline.train.EpochMetrics;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * One training run as a single self-contained HTML page: loss and accuracy curves, images per
 * second, the compute/communication/wait time per epoch, the confusion matrix, per-class precision
 * and recall, the first convolution layer's filters and their activation maps on a sample image,
 * the model and the run's config. Every picture is an inline {@code data:image/png;base64} URI and
 * the CSS is inline, so the file opens anywhere without a network. Charts come from JFreeChart,
 * rendered headless.
 *
 * <p>Two ways in: {@link #write(java.nio.file.Path)} (or {@link #write(Path, Configuration, ImageSet)})
 * reads a run directory ({@code metrics.jsonl}, {@code config.conf}, {@code model.cvm},
 * {@code evaluation.json} when present) and writes {@code report.html} into it; a trainer that
 * holds the pieces in memory uses {@link Builder}. Missing pieces give a section that says what is
 * missing and how to get it, never a failure.
 *
 * <p>The page carries a small inline script that, once the page has loaded, sets
 * {@code data-images-loaded="ok/total"} and {@code data-report-ready="true|false"} on
 * {@code <body>}, so a headless browser can check that every picture decoded.
 */
public final class TrainingReport {
  /** The report's file name inside a run directory. */
  public static final String FILE_NAME = "report.html";
  /** Fashion-MNIST's class names, label 0 to 9. */
  public static final List<String> FASHION_MNIST_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress",
      "Coat", "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");
  /** The ids of the page's sections, in order. */
  public static final List<String> SECTIONS = List.of("summary", "loss", "accuracy", "throughput", "time",
      "confusion", "per-class", "filters", "activations", "model", "config");

  static {
    if (System.getProperty("java.awt.headless") == null) {
      System.setProperty("java.awt.headless", "true");
    }
  }

  private final String html;

  private TrainingReport(String html) {
    this.html = html;
  }

  /** The page. */
  public String html() {
    return html;
  }

  /** Writes the page to a file on any Hadoop file system (temporary name, then rename). */
  public void writeTo(Path file, Configuration conf) {
    Path tmp = new Path(file.getParent(), "." + file.getName() + ".tmp");
    try {
      FileSystem fs = file.getFileSystem(conf);
      try (OutputStream out = fs.create(tmp, true)) {
        out.write(html.getBytes(StandardCharsets.UTF_8));
      }
      fs.delete(file, false);
      if (!fs.rename(tmp, file)) {
        throw new IOException("rename of " + tmp + " failed");
      }
    } catch (IOException e) {
      throw new UncheckedIOException("report: cannot write " + file + ": " + e, e);
    }
  }

  /** Writes the page to a local file. */
  public void writeTo(java.nio.file.Path file) {
    writeTo(new Path(file.toAbsolutePath().toUri()), new Configuration());
  }

  /** A builder for a report from pieces in memory. */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Reads the local run directory {@code runDir} and writes {@code runDir/report.html}; returns
   * that file. Without {@code evaluation.json} and without a sample set there is no confusion
   * matrix and no activation maps (see {@link #write(Path, Configuration, ImageSet)}).
   */
  public static java.nio.file.Path write(java.nio.file.Path runDir) {
    write(new Path(runDir.toAbsolutePath().toUri()), new Configuration(), null);
    return runDir.resolve(FILE_NAME);
  }

  /**
   * Reads a run directory on any Hadoop file system and writes {@code report.html} into it.
   * {@code samples} (nullable) is a labelled set in the model's input shape: its first image
   * gives the activation maps, and when the run has no {@code evaluation.json} the confusion matrix
   * is computed on it.
   *
   * @return the report file
   */
  public static Path write(Path runDir, Configuration conf, ImageSet samples) {
    Builder b = RunFiles.read(runDir, conf);
    if (samples != null) {
      b.samples(samples);
    }
    Path file = new Path(runDir, FILE_NAME);
    b.build().writeTo(file, conf);
    return file;
  }

  /**
   * Collects the pieces of a report. Everything is optional; {@link #build()} draws what it has.
   * Epochs of {@link EpochMetrics} are 0-based (as trainers produce them) and shown 1-based.
   */
  public static final class Builder {
    private String title = "Convoy training report";
    private String runName;
    private String config;
    private List<EpochMetrics> history = List.of();
    private SavedModel model;
    private Evaluation evaluation;
    private String evaluationSource;
    private ImageSet samples;
    private int sampleIndex;
    private Normalization normalization;
    private List<String> classNames;
    private final List<String> notes = new ArrayList<>();

    Builder() {}

    /** The page title. */
    public Builder title(String t) {
      this.title = t;
      return this;
    }

    /** Where the run lives, shown under the title. */
    public Builder runName(String name) {
      this.runName = name;
      return this;
    }

    /** The run's config as text (HOCON), shown as is. */
    public Builder config(String text) {
      this.config = text;
      return this;
    }

    /** Metrics of every epoch, in order. */
    public Builder history(List<EpochMetrics> h) {
      this.history = h == null ? List.of() : List.copyOf(h);
      return this;
    }

    /** The trained model (spec and parameters). Its metadata may hold the normalisation used in training. */
    public Builder model(SavedModel m) {
      this.model = m;
      return this;
    }

    /** Results on a held-out set; {@code source} says which (e.g. "evaluation.json", "test set"). */
    public Builder evaluation(Evaluation e, String source) {
      this.evaluation = e;
      this.evaluationSource = source;
      return this;
    }

    /**
     * A labelled set in the model's input shape: image 0 is the sample for the activation maps, and
     * without an {@link #evaluation} the model is evaluated on the whole set.
     */
    public Builder samples(ImageSet set) {
      this.samples = set;
      return this;
    }

    /** Which image of the sample set the activation maps use (default 0). */
    public Builder sampleIndex(int i) {
      this.sampleIndex = i;
      return this;
    }

    /** The normalisation of the model's input; default: the model's metadata, else computed from the samples. */
    public Builder normalization(Normalization n) {
      this.normalization = n;
      return this;
    }

    /** Class names by label (e.g. {@link #FASHION_MNIST_CLASSES}); default: the label numbers. */
    public Builder classNames(List<String> names) {
      this.classNames = names == null ? null : List.copyOf(names);
      return this;
    }

    /** A line for the summary section (e.g. Spark stragglers). */
    public Builder note(String line) {
      notes.add(line);
      return this;
    }

    /** Draws the report. */
    public TrainingReport build() {
      Normalization norm = normalization;
      if (norm == null && model != null) {
        norm = RunFiles.normalization(model.metadata());
      }
      if (norm == null && samples != null) {
        norm = Normalization.compute(samples);
      }
      if (samples != null && (sampleIndex < 0 || sampleIndex >= samples.size())) {
        throw new IllegalArgumentException("report sample index " + sampleIndex + " is outside the sample set of "
            + samples.size() + " images");
      }
      if (samples != null && model != null && !samples.shape().equals(model.spec().input())) {
        throw new IllegalArgumentException("report sample set holds images of shape " + samples.shape()
            + ", the model input is " + model.spec().input());
      }
      Evaluation eval = evaluation;
      String evalSource = evaluationSource;
      if (eval == null && samples != null && model != null) {
        Network net = new Network(model.spec(), Math.min(256, Math.max(1, samples.size())));
        eval = SampleEvaluation.evaluate(net, model.params(), model.buffers(), samples, norm);
        evalSource = samples.size() + " sample images given to the report";
      }
      return new TrainingReport(new Page(this, eval, evalSource, norm).render());
    }
  }

  /** Renders the HTML. */
  private static final class Page {
    private final Builder b;
    private final Evaluation eval;
    private final String evalSource;
    private final Normalization norm;
    private final StringBuilder sb = new StringBuilder(1 << 16);

    Page(Builder b, Evaluation eval, String evalSource, Normalization norm) {
      this.b = b;
      this.eval = eval;
      this.evalSource = evalSource;
      this.norm = norm;
    }

    String render() {
      sb.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
      sb.append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
      sb.append("<title>").append(esc(b.title)).append("</title>\n<style>\n").append(CSS).append("</style>\n");
      sb.append("</head>\n<body>\n<h1>").append(esc(b.title)).append("</h1>\n");
      if (b.runName != null) {
        sb.append("<p class=\"muted\">").append(esc(b.runName)).append("</p>\n");
      }
      summary();
      List<EpochMetrics> h = b.history;
      sb.append("<div class=\"charts\">\n");
      chartSection("loss", "Loss", h.isEmpty() ? null : Charts.loss(h), "training loss per epoch");
      chartSection("accuracy", "Accuracy", h.isEmpty() ? null : Charts.accuracy(h),
          "train (during the epoch), validation and test accuracy per epoch");
      chartSection("throughput", "Throughput", h.isEmpty() ? null : Charts.throughput(h), "training images per second");
      chartSection("time", "Time per epoch", h.isEmpty() ? null : Charts.timeBreakdown(h),
          "seconds of compute, communication and waiting per epoch");
      sb.append("</div>\n");
      metricsTable(h);
      confusion();
      perClass();
      filtersAndActivations();
      open("model", "Model");
      if (b.model == null) {
        missing("no model (model.cvm) was given");
      } else {
        sb.append("<pre>").append(esc(b.model.spec().summary())).append("</pre>\n");
      }
      close();
      open("config", "Config");
      if (b.config == null || b.config.isBlank()) {
        missing("no config (config.conf) was given");
      } else {
        sb.append("<pre>").append(esc(b.config)).append("</pre>\n");
      }
      close();
      sb.append("<footer class=\"muted\">Written by Convoy on ")
          .append(ZonedDateTime.now().format(DateTimeFormatter.RFC_1123_DATE_TIME)).append("</footer>\n");
      sb.append(SCRIPT);
      sb.append("</body>\n</html>\n");
      return sb.toString();
    }

    private void summary() {
      open("summary", "Summary");
      sb.append("<table class=\"kv\">\n");
      List<EpochMetrics> h = b.history;
      row("epochs", String.valueOf(h.size()));
      if (!h.isEmpty()) {
        EpochMetrics last = h.get(h.size() - 1);
        row("final loss", num("%.4f", last.loss()));
        row("final train accuracy", pct(last.trainAccuracy()));
        row("final validation accuracy", pct(last.valAccuracy()));
        row("final test accuracy", pct(last.testAccuracy()));
        double images = 0;
        double seconds = 0;
        for (EpochMetrics m : h) {
          if (Double.isFinite(m.imagesPerSecond()) && Double.isFinite(m.computeSeconds())) {
            seconds += m.computeSeconds() + finite(m.communicationSeconds()) + finite(m.waitSeconds());
          }
          images = Math.max(images, finite(m.imagesPerSecond()));
        }
        row("training time", num("%.1f", seconds) + " s");
        row("best images/s", num("%.0f", images));
      }
      if (eval != null) {
        row("evaluation accuracy", pct(eval.accuracy()) + " on " + eval.count() + " images (" + esc(evalSource) + ")");
      }
      if (b.model != null) {
        row("parameters", String.valueOf(b.model.spec().paramCount()));
      }
      sb.append("</table>\n");
      for (String n : b.notes) {
        sb.append("<p>").append(esc(n)).append("</p>\n");
      }
      close();
    }

    private void row(String k, String v) {
      sb.append("<tr><th>").append(esc(k)).append("</th><td>").append(v).append("</td></tr>\n");
    }

    private void chartSection(String id, String title, byte[] png, String alt) {
      open(id, title);
      if (png == null) {
        missing("no epochs were recorded (metrics.jsonl is missing or empty)");
      } else {
        img(png, alt, "chart");
      }
      close();
    }

    private void metricsTable(List<EpochMetrics> h) {
      if (h.isEmpty()) {
        return;
      }
      sb.append("<details><summary>Per-epoch numbers</summary>\n<table class=\"grid\">\n<tr><th>epoch</th>"
          + "<th>loss</th><th>train</th><th>validation</th><th>test</th><th>images/s</th><th>compute s</th>"
          + "<th>communication s</th><th>wait s</th><th>learning rate</th></tr>\n");
      for (EpochMetrics m : h) {
        sb.append("<tr><td>").append(m.epoch() + 1).append("</td><td>").append(num("%.4f", m.loss()))
            .append("</td><td>").append(pct(m.trainAccuracy())).append("</td><td>").append(pct(m.valAccuracy()))
            .append("</td><td>").append(pct(m.testAccuracy())).append("</td><td>").append(num("%.0f", m.imagesPerSecond()))
            .append("</td><td>").append(num("%.2f", m.computeSeconds())).append("</td><td>")
            .append(num("%.2f", m.communicationSeconds())).append("</td><td>").append(num("%.2f", m.waitSeconds()))
            .append("</td><td>").append(num("%.3g", m.learningRate())).append("</td></tr>\n");
      }
      sb.append("</table>\n</details>\n");
    }

    private void confusion() {
      open("confusion", "Confusion matrix");
      if (eval == null) {
        missing("no evaluation: run <code>bin/convoy evaluate</code> to write evaluation.json, or pass "
            + "<code>--images</code>/<code>--labels</code> to <code>bin/convoy report</code>");
        close();
        return;
      }
      int k = eval.classes();
      long[][] cm = eval.confusion();
      sb.append("<p class=\"muted\">Rows: true class, columns: predicted class; ").append(eval.count())
          .append(" images (").append(esc(evalSource)).append("), accuracy ").append(pct(eval.accuracy()))
          .append(". Cells are shaded by their share of the row.</p>\n");
      sb.append("<table class=\"cm\">\n<tr><th>true \\ predicted</th>");
      for (int p = 0; p < k; p++) {
        sb.append("<th title=\"").append(esc(className(p))).append("\">").append(esc(shortName(p))).append("</th>");
      }
      sb.append("</tr>\n");
      for (int t = 0; t < k; t++) {
        long rowSum = 0;
        for (long c : cm[t]) {
          rowSum += c;
        }
        sb.append("<tr><th>").append(esc(className(t))).append("</th>");
        for (int p = 0; p < k; p++) {
          double share = rowSum == 0 ? 0 : (double) cm[t][p] / rowSum;
          String colour = t == p ? "44,160,44" : "214,39,40";
          double alpha = cm[t][p] == 0 ? 0 : 0.08 + 0.92 * share;
          sb.append("<td style=\"background:rgba(").append(colour).append(',')
              .append(String.format(Locale.ROOT, "%.3f", alpha)).append(")").append(alpha > 0.55 ? ";color:#fff" : "")
              .append("\" title=\"").append(esc(className(t))).append(" as ").append(esc(className(p))).append(": ")
              .append(String.format(Locale.ROOT, "%.1f%%", 100 * share)).append("\">").append(cm[t][p])
              .append("</td>");
        }
        sb.append("</tr>\n");
      }
      sb.append("</table>\n");
      close();
    }

    private void perClass() {
      open("per-class", "Precision and recall per class");
      if (eval == null) {
        missing("no evaluation (see the confusion matrix)");
        close();
        return;
      }
      long[][] cm = eval.confusion();
      sb.append("<table class=\"grid\">\n<tr><th>label</th><th>class</th><th>precision</th><th>recall</th>"
          + "<th>F1</th><th>images</th></tr>\n");
      for (int c = 0; c < eval.classes(); c++) {
        double p = eval.precision()[c];
        double r = eval.recall()[c];
        long n = 0;
        for (long v : cm[c]) {
          n += v;
        }
        sb.append("<tr><td>").append(c).append("</td><td>").append(esc(className(c))).append("</td><td>")
            .append(bar(p)).append("</td><td>").append(bar(r)).append("</td><td>")
            .append(num("%.3f", p + r == 0 ? 0 : 2 * p * r / (p + r))).append("</td><td>").append(n)
            .append("</td></tr>\n");
      }
      sb.append("</table>\n");
      close();
    }

    private void filtersAndActivations() {
      Pictures.FirstConv fc = b.model == null ? null : Pictures.firstConv(b.model.spec());
      open("filters", "First convolution layer: filters");
      if (fc == null) {
        missing(b.model == null ? "no model was given" : "the model has no top-level convolution layer");
      } else {
        int k = fc.conv().filters();
        int c = fc.input().c();
        int r = fc.conv().kernelH();
        int s = fc.conv().kernelW();
        int offset = weightOffset(fc);
        sb.append("<p class=\"muted\">").append(esc(fc.conv().name())).append(": ").append(k).append(" filters of ")
            .append(c).append("x").append(r).append("x").append(s)
            .append(", each scaled from its smallest weight (black) to its largest (white).</p>\n<div class=\"tiles\">\n");
        int scale = Math.max(4, Math.min(16, 48 / Math.max(r, s)));
        List<BufferedImage> imgs = Pictures.filters(b.model.params(), offset, k, c, r, s, scale);
        for (int f = 0; f < k; f++) {
          sb.append("<figure>");
          img(Pictures.png(imgs.get(f)), fc.conv().name() + " filter " + f, "px");
          sb.append("<figcaption>").append(f).append("</figcaption></figure>\n");
        }
        sb.append("</div>\n");
      }
      close();
      open("activations", "First convolution layer: activation maps");
      if (fc == null) {
        missing(b.model == null ? "no model was given" : "the model has no top-level convolution layer");
      } else if (b.samples == null) {
        missing("no sample image: pass <code>--images</code>/<code>--labels</code> to <code>bin/convoy report</code>");
      } else {
        float[] a = Pictures.firstConvOutput(b.model.spec(), b.model.params(), b.model.buffers(), fc, b.samples,
            b.sampleIndex, norm);
        int k = fc.conv().filters();
        int p = fc.conv().outputShape(fc.input()).h();
        int q = fc.conv().outputShape(fc.input()).w();
        int label = b.samples.labels()[b.sampleIndex];
        int scale = Math.max(2, Math.min(8, 112 / Math.max(p, q)));
        sb.append("<p class=\"muted\">Sample image ").append(b.sampleIndex).append(" (class ")
            .append(esc(className(label))).append(") through ").append(esc(fc.conv().name()))
            .append(fc.activation() == null ? "" : " and " + esc(fc.activation().name()))
            .append("; each map scaled from zero (black) to its own largest value (white).</p>\n<div class=\"tiles\">\n<figure class=\"sample\">");
        int side = Math.max(b.samples.shape().h(), b.samples.shape().w());
        img(Pictures.png(Pictures.sample(b.samples, b.sampleIndex, Math.max(2, 112 / side))),
            "sample image", "px");
        sb.append("<figcaption>input</figcaption></figure>\n");
        List<BufferedImage> maps = Pictures.maps(a, 0, k, p, q, scale);
        for (int f = 0; f < k; f++) {
          sb.append("<figure>");
          img(Pictures.png(maps.get(f)), fc.conv().name() + " map " + f, "px");
          sb.append("<figcaption>").append(f).append("</figcaption></figure>\n");
        }
        sb.append("</div>\n");
      }
      close();
    }

    private int weightOffset(Pictures.FirstConv fc) {
      Network net = new Network(b.model.spec(), 1);
      String name = fc.conv().name() + ".weight";
      for (var s : net.slices()) {
        if (s.name().equals(name)) {
          return s.offset();
        }
      }
      throw new IllegalStateException("report: the model has no parameter tensor " + name);
    }

    private String className(int c) {
      List<String> names = b.classNames;
      return names != null && c < names.size() ? names.get(c) : String.valueOf(c);
    }

    private String shortName(int c) {
      String n = className(c);
      return n.length() > 10 ? n.substring(0, 9) + "." : n;
    }

    private void img(byte[] png, String alt, String cls) {
      sb.append("<img class=\"").append(cls).append("\" alt=\"").append(esc(alt))
          .append("\" src=\"data:image/png;base64,").append(Base64.getEncoder().encodeToString(png)).append("\">");
    }

    private void open(String id, String title) {
      sb.append("<section id=\"").append(id).append("\">\n<h2>").append(esc(title)).append("</h2>\n");
    }

    private void close() {
      sb.append("</section>\n");
    }

    private void missing(String htmlText) {
      sb.append("<p class=\"missing\">").append(htmlText).append("</p>\n");
    }

    private static String bar(double v) {
      double w = Double.isFinite(v) ? Math.max(0, Math.min(1, v)) * 100 : 0;
      return String.format(Locale.ROOT, "<span class=\"bar\"><span style=\"width:%.1f%%\"></span></span> %.3f", w, v);
    }
  }

  static String esc(String s) {
    if (s == null) {
      return "";
    }
    StringBuilder o = new StringBuilder(s.length() + 16);
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> o.append("&lt;");
        case '>' -> o.append("&gt;");
        case '&' -> o.append("&amp;");
        case '"' -> o.append("&quot;");
        case '\'' -> o.append("&#39;");
        default -> o.append(c);
      }
    }
    return o.toString();
  }

  private static String pct(double f) {
    return Double.isFinite(f) ? String.format(Locale.ROOT, "%.2f%%", 100 * f) : "&ndash;";
  }

  private static String num(String fmt, double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, fmt, v) : "&ndash;";
  }

  private static double finite(double v) {
    return Double.isFinite(v) ? v : 0;
  }

  private static final String CSS = """
      body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; margin: 24px auto; max-width: 1200px;
             color: #222; background: #fff; padding: 0 16px; }
      h1 { margin-bottom: 4px; }
      h2 { border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 32px; }
      section { margin-bottom: 16px; }
      .charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(540px, 1fr)); column-gap: 24px; }
      .muted { color: #666; font-size: 0.9em; }
      .missing { color: #a55; font-style: italic; }
      img.chart { max-width: 100%; border: 1px solid #eee; }
      img.px { image-rendering: pixelated; display: block; }
      table { border-collapse: collapse; font-size: 0.9em; }
      table.kv th { text-align: left; padding: 2px 16px 2px 0; font-weight: normal; color: #555; }
      table.grid td, table.grid th { border: 1px solid #ddd; padding: 3px 8px; text-align: right; }
      table.grid td:nth-child(2) { text-align: left; }
      table.cm td, table.cm th { border: 1px solid #ddd; padding: 4px 6px; text-align: right; min-width: 36px; }
      table.cm th { background: #f6f6f6; font-weight: normal; }
      .bar { display: inline-block; width: 80px; height: 9px; background: #eee; vertical-align: middle; }
      .bar > span { display: block; height: 100%; background: #1f77b4; }
      .tiles { display: flex; flex-wrap: wrap; gap: 8px; }
      figure { margin: 0; text-align: center; font-size: 0.75em; color: #666; }
      figure.sample img { outline: 2px solid #1f77b4; }
      pre { background: #f6f6f6; padding: 12px; overflow-x: auto; font-size: 0.85em; }
      footer { margin-top: 40px; }
      """;

  private static final String SCRIPT = """
      <script>
      window.addEventListener('load', function () {
        var imgs = document.images, ok = 0;
        for (var i = 0; i < imgs.length; i++) {
          if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; }
        }
        document.body.setAttribute('data-images-loaded', ok + '/' + imgs.length);
        document.body.setAttribute('data-report-ready', ok === imgs.length ? 'true' : 'false');
      });
      </script>
      """;
}
