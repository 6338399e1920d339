package io.convoy.pipeline.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.spark.Evaluation;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.LocalTrainer;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reports of a real (tiny) Fashion-MNIST training run. */
class TrainingReportTest {
  static final String DATA = "file:///usr/share/datasets/fashion-mnist/";
  private static final Pattern IMG = Pattern.compile("<img [^>]*src=\"data:image/png;base64,([A-Za-z0-9+/=]+)\"");

  @TempDir
  static java.nio.file.Path tmp;
  static ImageSet train;
  static ImageSet test;
  static SavedModel model;
  static List<EpochMetrics> history;

  @BeforeAll
  static void trainTinyModel() {
    Configuration conf = new Configuration();
    train = IdxReader.read(new Path(DATA + "train-images-idx3-ubyte.gz"), new Path(DATA + "train-labels-idx1-ubyte.gz"),
        conf, 10).slice(0, 400);
    test = IdxReader.read(new Path(DATA + "t10k-images-idx3-ubyte.gz"), new Path(DATA + "t10k-labels-idx1-ubyte.gz"),
        conf, 10).slice(0, 200);
    Normalization norm = Normalization.compute(train);
    ModelSpec spec = ModelSpec.kerasCourse();
    TrainResult r = new LocalTrainer().testSet(test).train(spec, TrainOptions.of(2, 32, OptimizerSpec.adam(1e-3f), 5L),
        train, test.slice(0, 100), norm, null);
    history = r.history();
    Map<String, Object> meta = new LinkedHashMap<>();
    meta.put("normalization-mean", List.of((double) norm.mean()[0]));
    meta.put("normalization-std", List.of((double) norm.std()[0]));
    model = new SavedModel(spec, r.params(), r.buffers(), meta);
  }

  /** A run directory as the train job writes it: config.conf, metrics.jsonl (1-based epochs), model.cvm. */
  static java.nio.file.Path runDir(String name) throws Exception {
    java.nio.file.Path dir = Files.createDirectories(tmp.resolve(name));
    Files.writeString(dir.resolve("config.conf"), "train {\n  epochs = 2\n  batch-size = 32\n}\nmodel = keras-course\n");
    StringBuilder sb = new StringBuilder();
    for (EpochMetrics m : history) {
      sb.append(String.format(Locale.ROOT, "{\"epoch\":%d,\"loss\":%s,\"train_accuracy\":%s,\"val_accuracy\":%s,"
          + "\"test_accuracy\":%s,\"images_per_second\":%s,\"compute_s\":%s,\"communication_s\":0.25,"
          + "\"wait_s\":0.125,\"learning_rate\":%s}%n", m.epoch() + 1, m.loss(), m.trainAccuracy(), m.valAccuracy(),
          m.testAccuracy(), m.imagesPerSecond(), m.computeSeconds(), m.learningRate()));
    }
    Files.writeString(dir.resolve("metrics.jsonl"), sb.toString());
    ModelFile.write(new Path(dir.resolve("model.cvm").toUri()), new Configuration(), model);
    return dir;
  }

  /** Decodes every inline PNG of a page. */
  static List<BufferedImage> images(String html) throws Exception {
    List<BufferedImage> out = new ArrayList<>();
    Matcher m = IMG.matcher(html);
    while (m.find()) {
      BufferedImage img = ImageIO.read(new ByteArrayInputStream(Base64.getDecoder().decode(m.group(1))));
      assertNotNull(img, "an inline image does not decode as PNG");
      out.add(img);
    }
    return out;
  }

  @Test
  void runDirectoryWithSamplesGivesEverySection() throws Exception {
    java.nio.file.Path dir = runDir("full");
    Path file = TrainingReport.write(new Path(dir.toUri()), new Configuration(), test);
    assertEquals("report.html", file.getName());
    String html = Files.readString(dir.resolve("report.html"), StandardCharsets.UTF_8);
    for (String id : TrainingReport.SECTIONS) {
      assertTrue(html.contains("<section id=\"" + id + "\">"), "section " + id + " is missing");
    }
    assertFalse(html.contains("class=\"missing\""), "a section says something is missing");
    // self-contained: nothing is fetched from elsewhere
    assertFalse(Pattern.compile("(src|href)=\"(?!data:)").matcher(html).find(), "an external src/href");
    assertFalse(html.contains("<link"), "a <link> element");

    List<BufferedImage> imgs = images(html);
    // 4 charts, 16 filters, the sample image and 16 activation maps
    assertEquals(4 + 16 + 1 + 16, imgs.size());
    for (int i = 0; i < 4; i++) {
      assertEquals(Charts.WIDTH, imgs.get(i).getWidth());
      assertEquals(Charts.HEIGHT, imgs.get(i).getHeight());
      assertTrue(distinctColours(imgs.get(i)) > 4, "chart " + i + " is blank");
    }
    for (int i = 4; i < 20; i++) {   // 3x3 filters at 16x
      assertEquals(48, imgs.get(i).getWidth());
      assertEquals(48, imgs.get(i).getHeight());
      assertTrue(distinctColours(imgs.get(i)) >= 2, "filter " + (i - 4) + " is flat");
    }
    assertEquals(112, imgs.get(20).getWidth());   // 28x28 sample at 4x
    for (int i = 21; i < imgs.size(); i++) {      // 26x26 maps at 4x
      assertEquals(104, imgs.get(i).getWidth());
      assertEquals(104, imgs.get(i).getHeight());
    }
    // the sample is test image 0, and the maps are that image through conv1 + relu: some map shows structure
    assertTrue(imgs.subList(21, imgs.size()).stream().anyMatch(img -> distinctColours(img) > 16));

    // evaluation computed on the 200 samples: the confusion matrix holds 200 images
    Matcher cm = Pattern.compile("(\\d+) images \\(200 sample images given to the report\\)").matcher(html);
    assertTrue(cm.find(), "no evaluation of the sample images in the page");
    assertEquals("200", cm.group(1));
    assertTrue(html.contains("batch-size = 32"), "config text missing");
    assertTrue(html.contains("conv1"), "model summary missing");
    assertTrue(html.contains("data-report-ready"), "the image check script is missing");
  }

  @Test
  void evaluationJsonIsUsedAndMissingPiecesAreExplained() throws Exception {
    java.nio.file.Path dir = runDir("json");
    Files.writeString(dir.resolve("evaluation.json"), "{\"count\":10,\"accuracy\":0.7,\"loss\":0.9,"
        + "\"precision\":[1,0.5,0.6666667],\"recall\":[0.75,1,0.5],"
        + "\"confusion\":[[3,1,0],[0,2,0],[0,1,1]]}\n");
    // the model has 10 classes but the json 3: the report shows what the file says
    java.nio.file.Path file = TrainingReport.write(dir);
    String html = Files.readString(file);
    assertTrue(html.contains("10 images (evaluation.json)"), "evaluation.json not shown");
    assertTrue(html.contains(">3</td>") && html.contains("70.00%"), "confusion counts or accuracy missing");
    // no sample set: activation maps explain how to get them, filters are still drawn
    assertTrue(html.contains("no sample image"), "missing activation maps not explained");
    assertEquals(4 + 16, images(html).size());
  }

  @Test
  void builderInMemoryWithoutRunDirectory() throws Exception {
    Network net = new Network(model.spec(), 64);
    Evaluation e = SampleEvaluation.evaluate(net, model.params(), model.buffers(), test,
        RunFiles.normalization(model.metadata()));
    assertEquals(200, e.count());
    long diag = 0;
    for (int c = 0; c < 10; c++) {
      diag += e.confusion()[c][c];
    }
    assertEquals(diag / 200.0, e.accuracy(), 1e-12);
    assertTrue(e.accuracy() > 0.4, "2 epochs on 400 images should beat chance clearly, got " + e.accuracy());

    String html = TrainingReport.builder().title("in memory").history(history).model(model).evaluation(e, "test set")
        .samples(test.slice(10, 12)).classNames(TrainingReport.FASHION_MNIST_CLASSES).build().html();
    assertTrue(html.contains("Ankle boot"), "class names missing");
    assertTrue(html.contains("200 images (test set)"));
    assertEquals(4 + 16 + 1 + 16, images(html).size());
    // only the config was not given
    assertEquals(1, html.split("class=\"missing\"", -1).length - 1, "one piece missing expected");
    assertTrue(html.contains("no config (config.conf) was given"));
  }

  @Test
  void emptyBuilderStillRendersEverySectionWithExplanations() throws Exception {
    String html = TrainingReport.builder().build().html();
    for (String id : TrainingReport.SECTIONS) {
      assertTrue(html.contains("<section id=\"" + id + "\">"), id);
    }
    assertTrue(images(html).isEmpty());
    assertTrue(html.contains("metrics.jsonl is missing"));
  }

  @Test
  void malformedFilesAreNamedWithTheLine() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RunFiles.parseMetrics("{\"epoch\":1,\"loss\":0.5}\n\n{\"loss\":0.4}\n", "run/metrics.jsonl"));
    assertTrue(e.getMessage().contains("run/metrics.jsonl line 3") && e.getMessage().contains("\"epoch\""),
        e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> RunFiles.parseEvaluation("{\"confusion\":[[1,2],[3]]}", "run/evaluation.json"));
    assertTrue(e.getMessage().contains("run/evaluation.json confusion row 1 must hold 2 counts"), e.getMessage());
  }

  @Test
  void metricsInBothForms() {
    List<EpochMetrics> a = RunFiles.parseMetrics("{\"epoch\":1,\"loss\":0.5,\"train_accuracy\":0.8,\"val_accuracy\":null,"
        + "\"images_per_second\":100,\"compute_s\":2,\"communication_s\":0,\"wait_s\":0,\"learning_rate\":0.001}", "m");
    assertEquals(0, a.get(0).epoch());
    assertEquals(0.8, a.get(0).trainAccuracy());
    assertTrue(Double.isNaN(a.get(0).valAccuracy()));
    assertTrue(Double.isNaN(a.get(0).testAccuracy()));
    EpochMetrics m = new EpochMetrics(3, 0.25, 0.9, 0.85, 0.8, 1000, 5, 1, 0.5, 1e-3);
    String line = new com.fasterxml.jackson.databind.ObjectMapper().valueToTree(m.toMap()).toString();
    assertEquals(m, RunFiles.parseMetrics(line, "m").get(0));
  }

  @Test
  void precisionAndRecallFromConfusion() {
    Evaluation e = Evaluation.fromConfusion(new long[][] {{3, 1, 0}, {0, 2, 0}, {0, 1, 0}}, 3.5);
    assertEquals(5 / 7.0, e.accuracy(), 1e-12);
    assertArrayEquals(new double[] {1, 0.5, 0}, e.precision(), 1e-12);
    assertArrayEquals(new double[] {0.75, 1, 0}, e.recall(), 1e-12);
    assertEquals(7, e.count());
    assertEquals(0.5, e.loss(), 1e-12);
  }

  private static int distinctColours(BufferedImage img) {
    java.util.Set<Integer> s = new java.util.HashSet<>();
    for (int y = 0; y < img.getHeight(); y += 1) {
      for (int x = 0; x < img.getWidth(); x += 1) {
        s.add(img.getRGB(x, y));
        if (s.size() > 64) {
          return s.size();
        }
      }
    }
    return s.size();
  }
}
