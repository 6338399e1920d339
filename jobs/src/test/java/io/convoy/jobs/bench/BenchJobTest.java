package io.convoy.jobs.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convoy.jobs.Main;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bin/convoy bench} for real at tiny sizes: every section runs (Convoy's training and predict jobs as
 * child JVMs on a subset of Fashion-MNIST), and the peers when this machine has them (numpy on OpenBLAS,
 * PyTorch); where it does not (a clean CI machine), the run must name the missing peer with its install
 * command and still measure Convoy. The environment's OPENBLAS_* variables are left alone (peer-env-unset = []).
 */
class BenchJobTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  /** Exit code, stdout, stderr. */
  record Result(int code, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\n");
      return lines[lines.length - 1].strip();
    }
  }

  static Result bench(String... args) {
    List<String> all = new ArrayList<>(List.of("bench"));
    all.addAll(List.of(args));
    return run(all.toArray(new String[0]));
  }

  /** Runs a Convoy command line in this JVM. */
  static Result run(String... all) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = Main.run(all, new PrintStream(out, true, StandardCharsets.UTF_8),
        new PrintStream(err, true, StandardCharsets.UTF_8));
    return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  /** Small settings for every section, one thread. */
  static List<String> tiny(Path out) {
    return List.of("bench.output-dir=" + out, "bench.peer-env-unset=[]", "bench.threads=[1]", "bench.warm-up-seconds=0.05",
        "bench.fma.rounds=2", "bench.fma.seconds=0.05",
        "bench.sgemm.sizes=[64,128]", "bench.sgemm.cnn-shapes=false", "bench.sgemm.rounds=2", "bench.sgemm.seconds=0.05",
        "bench.layers.models=[lenet5]", "bench.layers.batch=32", "bench.layers.rounds=1", "bench.layers.seconds=0.02",
        "bench.epochs=1", "bench.train.limit=512", "bench.train.test-limit=500", "bench.train.sync-sgd=false",
        "bench.predict.limit=500", "bench.predict.repeats=1");
  }

  @Test
  void quickRunPrintsTablesWritesBenchJsonAndEndsWithItsPath(@TempDir Path tmp) throws Exception {
    Result r = bench(tiny(tmp).toArray(new String[0]));
    assertEquals(0, r.code(), r.err() + "\n" + r.out());
    for (String section : List.of("== fma ==", "== sgemm ==", "== layers ==", "== train ==", "== predict ==",
        "== memory ==")) {
      assertTrue(r.out().contains(section), section + " missing in\n" + r.out());
    }
    assertTrue(r.out().contains("Convoy 1t GF/s (CPU)"), r.out());
    assertTrue(r.out().contains("load average at start"), r.out());

    Path file = Path.of(r.lastLine());
    assertTrue(file.isAbsolute() && file.endsWith("bench.json") && file.startsWith(tmp), r.lastLine());
    JsonNode j = JSON.readTree(Files.readString(file));
    assertTrue(j.get("machine").get("jdk").asText().startsWith("JDK "), j.get("machine").toString());
    assertEquals(0, j.get("failures").size(), j.get("failures").toString());

    // Convoy's side: every section has figures
    assertTrue(j.get("fma").get("1t").get("gflops_per_core_cpu_time").asDouble() > 0);
    assertEquals(2, j.get("sgemm").get("shapes").size());
    assertTrue(j.get("sgemm").get("shapes").get(1).get("convoy_1t_gflops_cpu_time").asDouble() > 0);
    JsonNode conv2 = j.get("layers").get("lenet5").get("layers").get(3);
    assertEquals("conv2", conv2.get("layer").asText());
    assertTrue(conv2.get("convoy_1t").get("backward-data").get("cpu_ms").asDouble() > 0);
    assertFalse(j.get("layers").get("lenet5").get("layers").get(0).get("convoy_1t").has("backward-data"),
        "the first layer has no backward-data pass");
    assertTrue(Files.readString(file.getParent().resolve("logs/layers-lenet5-convoy-1t.stdout"))
        .contains("\"layer\":\"conv2\""), "the layers were timed in a JVM of their own, which logged its records");
    JsonNode train = j.get("train").get("runs").get(0);
    assertEquals("local1_averaging", train.get("run").asText());
    assertTrue(train.get("images_per_second").asDouble() > 0);
    // the figure is the train job's own: the run's written config, trained again by the train command in
    // this JVM, reaches exactly the same test accuracy
    double acc = train.get("test_accuracy").asDouble();
    Path benchRun;
    try (java.util.stream.Stream<Path> runs = Files.list(file.getParent().resolve("train-local1_averaging"))) {
      benchRun = runs.filter(d -> Files.isRegularFile(d.resolve("config.conf"))).findFirst().orElseThrow();
    }
    Result again = run("train", benchRun.resolve("config.conf").toString(), "output.dir=" + tmp.resolve("again"));
    assertEquals(0, again.code(), again.err());
    List<String> metrics = Files.readAllLines(Path.of(again.lastLine().replaceFirst("^file:", ""))
        .resolve("metrics.jsonl"));
    double direct = JSON.readTree(metrics.get(metrics.size() - 1)).get("test_accuracy").asDouble();
    assertEquals(direct, acc, "bench's test accuracy vs the same run through the train command");
    assertTrue(train.get("peak_rss_bytes").asLong() > 50L << 20, train.toString());
    assertTrue(train.get("arrow_peak_bytes").asLong() > 0, "the train job's metrics carry the Arrow peak: " + train);
    JsonNode predict = j.get("predict").get("runs").get(0).get("convoy");
    assertEquals(500, predict.get("images").asInt());
    assertTrue(predict.get("images_per_second").asDouble() > 0);
    assertTrue(Files.exists(file.getParent().resolve("predictions-local1.csv")));

    // the peers: measured with ratios when present, named with their install command when not
    JsonNode ratios = j.get("ratios");
    List<String> missing = new ArrayList<>();
    j.get("missing_peers").forEach(m -> missing.add(m.get("peer").asText()));
    if (missing.stream().noneMatch(m -> m.startsWith("numpy"))) {
      assertTrue(ratios.get("sgemm_1t_n128_vs_openblas").asDouble() > 0, ratios.toString());
    } else {
      assertTrue(r.out().contains("peer missing: numpy"), r.out());
      assertFalse(ratios.has("sgemm_1t_n128_vs_openblas"));
    }
    if (missing.stream().noneMatch(m -> m.startsWith("PyTorch"))) {
      for (String key : List.of("lenet5_conv2_fwd_bwd_1t_vs_torch", "lenet5_step_1t_vs_torch",
          "train_local1_averaging_vs_torch_1t", "accuracy_local1_averaging_minus_torch_1t_points",
          "train_rss_local1_averaging_vs_torch_1t", "predict_local1_vs_torch_1t")) {
        assertNotNull(ratios.get(key), key + " missing in " + ratios);
      }
      assertTrue(j.get("peers").get("pytorch").get("blas").asText().length() > 0);
    } else {
      assertTrue(r.out().contains("peer missing: PyTorch (python3-torch)"), r.out());
      assertFalse(ratios.has("train_local1_averaging_vs_torch_1t"));
    }
  }

  @Test
  void missingPeerIsNamedWithItsInstallCommandAndConvoyStillRuns(@TempDir Path tmp) throws Exception {
    List<String> args = new ArrayList<>(tiny(tmp));
    args.add("bench.python=" + tmp.resolve("no-such-python3"));
    args.add("bench.sections=[sgemm, layers]");
    Result r = bench(args.toArray(new String[0]));
    assertEquals(0, r.code(), r.err() + "\n" + r.out());
    assertTrue(r.out().contains("peer missing: PyTorch (python3-torch)"), r.out());
    assertTrue(r.out().contains("install with: sudo apt-get install -y python3 python3-torch libopenblas0-pthread"),
        r.out());
    assertTrue(r.out().contains("peer missing: numpy with OpenBLAS (python3-numpy)"), r.out());
    assertTrue(r.out().contains("no-such-python3 does not run"), r.out());

    JsonNode j = JSON.readTree(Files.readString(Path.of(r.lastLine())));
    assertEquals(2, j.get("missing_peers").size());
    assertTrue(j.get("missing_peers").get(1).get("install").asText().contains("python3-torch"));
    assertTrue(j.get("sgemm").get("shapes").get(0).get("convoy_1t_gflops_cpu_time").asDouble() > 0);
    assertFalse(j.get("sgemm").get("shapes").get(0).has("openblas_1t_gflops_wall"));
    assertTrue(j.get("layers").get("lenet5").get("totals").get("convoy_1t_step_ms").asDouble() > 0);
    assertEquals(0, j.get("ratios").size(), j.get("ratios").toString());
    assertFalse(j.has("train"), "only the sections asked for run");
  }

  @Test
  void unknownAndBadKeysAreRejectedNamingTheKey(@TempDir Path tmp) {
    Result r = bench("bench.epoch=1", "bench.output-dir=" + tmp);
    assertEquals(2, r.code());
    assertTrue(r.err().contains("unknown key bench.epoch") && r.err().contains("did you mean bench.epochs?"), r.err());

    r = bench("bench.threads=[1,4]");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("bench.threads must list 1 and/or 2, got [1, 4]"), r.err());

    r = bench("bench.sections=[sgemm,gpu]");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("bench.sections: unknown section 'gpu'"), r.err());

    r = bench("bench.peer-env=[\"MALLOC_ARENA_MAX\"]");
    assertEquals(2, r.code());
    assertTrue(r.err().contains("bench.peer-env entries must be NAME=VALUE") && r.err().contains("MALLOC_ARENA_MAX"),
        r.err());

    r = bench(tmp.resolve("missing.conf").toString());
    assertEquals(2, r.code());
    assertTrue(r.err().contains("missing.conf does not exist"), r.err());
    try (var files = Files.list(tmp)) {
      assertEquals(0, files.count(), "a rejected configuration writes nothing");
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
