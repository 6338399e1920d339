package io.convoy.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The command line: exit codes and messages, and a small real training run on Fashion-MNIST. */
class MainTest {
  private static final String CONF = System.getProperty("convoy.project.root", "..") + "/conf/fashion-mnist.conf";

  /** Exit code, stdout, stderr. */
  record Result(int code, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1].strip();
    }
  }

  static Result main(String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  @Test
  void configErrorsExitWithTwoAndOneLine() {
    Result r = main("train", CONF, "train.batch-size=-3");
    assertEquals(2, r.code());
    assertEquals("convoy: train.batch-size must be > 0, got -3", r.err().strip());
    assertEquals("", r.out());

    r = main("train", CONF, "train.epochs=ten");
    assertEquals(2, r.code());
    assertEquals("convoy: train.epochs: expected a number, got STRING 'ten'", r.err().strip());
  }

  @Test
  void usageErrorsExitWithTwo() {
    assertEquals(2, main("train").code());
    Result r = main("fit", CONF);
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown command 'fit'"), r.err());
    r = main("train", "no-such-file.conf");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("no-such-file.conf does not exist"), r.err());
    r = main("evaluate", CONF);
    assertEquals(2, r.code());
    assertTrue(r.err().contains("evaluate.model is required"), r.err());
    r = main("train", CONF, "--resume");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("checkpoint.dir"), r.err());
  }

  @Test
  void missingDataFileIsARuntimeErrorNamingTheFile(@TempDir Path tmp) {
    Result r = main("train", CONF, "spark.master=local[2]", "spark.conf.spark.ui.enabled=false",
        "data.train.images=\"file://" + tmp + "/missing-images.gz\"", "output.dir=\"" + tmp + "\"", "train.epochs=1");
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().contains("missing-images.gz"), r.err());
  }

  @Test
  void trainsOnASubsetAndWritesTheRun(@TempDir Path tmp) throws Exception {
    Result r = main("train", CONF, "spark.master=local[2]", "spark.conf.spark.ui.enabled=false",
        "data.train.limit=1024", "data.test.limit=512", "train.epochs=2", "train.partitions=2",
        "output.dir=\"" + tmp + "\"");
    assertEquals(0, r.code(), r.err() + r.out());
    Path run = Path.of(r.lastLine());
    assertTrue(run.startsWith(tmp), "last line is not the run directory: " + r.lastLine());
    assertTrue(Files.isRegularFile(run.resolve("model.cvm")));
    assertTrue(Files.isRegularFile(run.resolve("config.conf")));
    assertTrue(Files.isDirectory(run.resolve("checkpoints")));
    List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(2, lines.size());
    for (String key : List.of("epoch", "loss", "train_accuracy", "val_accuracy", "test_accuracy", "images_per_second",
        "compute_s", "communication_s", "wait_s", "learning_rate")) {
      assertTrue(lines.get(1).contains("\"" + key + "\":"), key + " missing in " + lines.get(1));
    }
    assertTrue(lines.get(1).startsWith("{\"epoch\":2,"), lines.get(1));
    // The resolved config reloads and gives the same settings.
    JobConfig again = JobConfigs.parse(JobConfigs.load(run.resolve("config.conf").toFile(), List.of()));
    assertEquals(2, again.train().epochs());
    assertEquals(1024, again.data().train().limit());
    // The run ends with a test evaluation and a self-contained HTML report; `report` rewrites it.
    assertTrue(Files.isRegularFile(run.resolve("evaluation.json")));
    assertTrue(r.out().contains("test accuracy"), r.out());
    String html = Files.readString(run.resolve("report.html"));
    assertTrue(html.contains("data:image/png;base64,"), "report has no images");
    assertTrue(html.contains("Ankle boot"), "the report does not use data.class-names");
    Files.delete(run.resolve("report.html"));
    Result rep = main("report", run.toString());
    assertEquals(0, rep.code(), rep.err() + rep.out());
    assertEquals(run.resolve("report.html").toUri().getPath(), Path.of(java.net.URI.create(rep.lastLine())).toString());
    assertEquals(2, main("report", tmp.toString()).code(), "a folder without metrics.jsonl is a usage error");

    Result e = main("evaluate", CONF, "spark.master=local[2]", "spark.conf.spark.ui.enabled=false",
        "data.test.limit=512", "evaluate.model=\"" + run.resolve("model.cvm") + "\"");
    assertEquals(0, e.code(), e.err() + e.out());
    assertTrue(e.out().contains("accuracy"), e.out());
    String json = Files.readString(run.resolve("evaluation.json"));
    for (String key : List.of("accuracy", "precision", "recall", "confusion")) {
      assertTrue(json.contains("\"" + key + "\":"), json);
    }

    Result p = main("predict", CONF, "spark.master=local[2]", "spark.conf.spark.ui.enabled=false",
        "data.test.limit=100", "predict.model=\"" + run.resolve("model.cvm") + "\"");
    assertEquals(0, p.code(), p.err() + p.out());
    assertTrue(p.out().contains("predicted 100 examples"), p.out());
    assertTrue(Files.exists(run.resolve("predictions.csv")), p.lastLine());
  }
}
