package io.convoy.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.convoy.jobs.JobConfig;
import io.convoy.jobs.JobConfigException;
import io.convoy.jobs.JobConfigs;
import io.convoy.kernels.Backend;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import java.io.File;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.LocalDateTime;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * {@code bin/convoy bench [config] [key=value ...]}: measures Convoy against its peers in one run on this
 * machine and prints a table per section; writes every figure, and every ratio to the peer measured in the
 * same run under {@code ratios}, to {@code <bench.output-dir>/bench-<timestamp>/bench.json}, and prints that
 * file's absolute path as the last line.
 *
 * <p>Sections (conf/bench.conf): the FP32 FMA peak of a core; SGEMM, Convoy against OpenBLAS through numpy;
 * forward + backward of every layer of the reference CNN and LeNet-5 against PyTorch; end-to-end training on
 * Fashion-MNIST (Convoy's train job on local[1] and local[2], parameter averaging and synchronous SGD, against
 * PyTorch at 1 and 2 threads), with test accuracy and peak memory; inference (the predict job) against
 * PyTorch. Every ratio is Convoy's speed over the peer's (above 1: Convoy is faster); for memory the peer's
 * peak over Convoy's (above 1: Convoy uses less); for accuracy a difference in points. A missing peer is
 * reported with the command that installs it; Convoy's side runs anyway. Nothing is ever installed.
 */
public final class BenchJob {
  private static final DateTimeFormatter STAMP = DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss");
  private static final double MIB = 1024.0 * 1024.0;

  private final BenchSettings s;
  private final PrintStream out;
  private final Path dir;
  private final Path logs;
  private final Peers peers;
  private final Map<String, Object> json = new LinkedHashMap<>();
  private final Map<String, Object> ratios = new LinkedHashMap<>();
  private final Map<String, Object> loads = new LinkedHashMap<>();
  private final List<Map<String, Object>> memory = new ArrayList<>();
  private final List<Map<String, Object>> failures = new ArrayList<>();
  private final TextTable memoryTable = new TextTable("run", "peak RSS MiB", "Arrow peak MiB", "CPU s", "wall s",
      "RSS ratio (peer / Convoy)");
  private Double fmaPeak1t;
  private Path trainedModel;

  private BenchJob(BenchSettings s, PrintStream out, Path dir) {
    this.s = s;
    this.out = out;
    this.dir = dir;
    this.logs = dir.resolve("logs");
    this.peers = new Peers(s, logs);
  }

  /**
   * Runs the benchmark with {@code args} = {@code [config] [key=value ...]} (the first argument is a config file
   * unless it holds '=' and is no file); returns the path of bench.json, which it also prints last, and the
   * number of runs that failed (a failed run is reported and the others go on).
   */
  public static Outcome run(List<String> args, PrintStream out) {
    File file = null;
    List<String> overrides = new ArrayList<>(args);
    if (!overrides.isEmpty() && (!overrides.get(0).contains("=") || new File(overrides.get(0)).isFile())) {
      file = new File(overrides.remove(0));
      if (!file.isFile()) {
        throw new JobConfigException("config file " + file + " does not exist");
      }
    }
    for (String o : overrides) {
      if (o.startsWith("--")) {
        throw new JobConfigException("usage: unknown option '" + o + "' for bench; expected [config] [key=value ...]");
      }
    }
    BenchSettings s = BenchSettings.load(BenchSettings.defaultHome(), file, overrides);
    Path dir = s.outputDir().resolve("bench-" + LocalDateTime.now().format(STAMP));
    try {
      for (int i = 2; Files.exists(dir); i++) {
        dir = s.outputDir().resolve("bench-" + LocalDateTime.now().format(STAMP) + "-" + i);
      }
      Files.createDirectories(dir);
      return new BenchJob(s, out, dir).runAll();
    } catch (IOException e) {
      throw new UncheckedIOException("benchmark failed: " + e.getMessage(), e);
    }
  }

  private Outcome runAll() throws IOException {
    json.put("started", ZonedDateTime.now().toString());
    Map<String, Object> machine = machine();
    json.put("machine", machine);
    json.put("settings", Peers.parse(s.render()));
    out.println("convoy bench: " + machine.get("jdk") + ", " + Backend.describe() + ", " + machine.get("cpu")
        + ", " + machine.get("cores") + " core(s)");
    out.println("  sections " + String.join(", ", s.sections()) + "; threads " + s.threads() + "; results in " + dir);
    out.println("  ratio = Convoy / peer speed (> 1: Convoy faster); memory ratio = peer / Convoy (> 1: Convoy"
        + " uses less); 1-thread compute figures by CPU time, 2-thread figures by wall clock");
    if (s.runs("sgemm") || s.runs("layers") || s.runs("train") || s.runs("predict")) {
      for (Peers.Missing m : peers.check()) {
        out.println(m.message());
      }
      Map<String, Object> p = new LinkedHashMap<>(peers.info());
      json.put("peers", p);
      for (Map.Entry<String, Map<String, Object>> e : peers.info().entrySet()) {
        Map<String, Object> i = e.getValue();
        out.println("  peer " + e.getKey() + ": " + (i.containsKey("torch") ? "torch " + i.get("torch") + ", " : "")
            + "numpy " + i.get("numpy") + ", python " + i.get("python") + ", BLAS " + i.get("blas")
            + (i.get("blas_core") != null ? " (kernel " + i.get("blas_core") + ")" : ""));
      }
    }
    List<Object> missing = new ArrayList<>();
    for (Peers.Missing m : peers.missing()) {
      missing.add(m.json());
    }
    json.put("missing_peers", missing);
    json.put("load", loads);
    for (String section : s.sections()) {
      String start = load();
      out.println();
      out.println("== " + section + " == (load average at start: " + start + ")");
      try {
        switch (section) {
          case "fma" -> fma();
          case "sgemm" -> sgemm();
          case "layers" -> layers();
          case "train" -> train();
          default -> predict();
        }
      } catch (IOException | RuntimeException | LinkageError e) {
        failed(section, e);
      }
      String end = load();
      out.println("(load average at end of " + section + ": " + end + ")");
      loads.put(section, Map.of("start", start, "end", end));
    }
    if (!memory.isEmpty()) {
      out.println();
      out.println("== memory == (peak RSS of each child process; Arrow: the driver JVM's Arrow allocator peak,"
          + " executors included in local mode)");
      memoryTable.print(out);
      json.put("memory", memory);
    }
    json.put("ratios", ratios);
    json.put("failures", failures);
    json.put("finished", ZonedDateTime.now().toString());
    Path file = dir.resolve("bench.json");
    ObjectMapper m = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    Files.writeString(file, m.writeValueAsString(json) + "\n", StandardCharsets.UTF_8);
    out.println();
    out.println(ratios.size() + " ratios in bench.json" + (peers.missing().isEmpty() ? ""
        : "; peers missing (their figures and ratios left out): " + peerNames())
        + (failures.isEmpty() ? "" : "; " + failures.size() + " run(s) FAILED (see \"failures\")"));
    out.println(file.toAbsolutePath());
    out.flush();
    return new Outcome(file.toAbsolutePath(), failures.size());
  }

  /** Where bench.json went, and how many runs or sections failed (their figures are missing). */
  public record Outcome(Path benchJson, int failures) {}

  /** Records a failed run or section and goes on with the next. */
  private void failed(String what, Throwable e) {
    String msg = e.getMessage() == null ? e.toString() : e.getMessage();
    out.println("  FAILED: " + what + ": " + msg.replace('\n', ' '));
    out.flush();
    Map<String, Object> f = new LinkedHashMap<>();
    f.put("what", what);
    f.put("error", msg);
    failures.add(f);
  }

  /** A run that may fail: its result, or null after {@link #failed}. */
  private interface Run<T> {
    T get() throws IOException;
  }

  private <T> T attempt(String what, Run<T> run) {
    try {
      return run.get();
    } catch (IOException | RuntimeException e) {
      failed(what, e);
      return null;
    }
  }

  private String peerNames() {
    List<String> n = new ArrayList<>();
    for (Peers.Missing m : peers.missing()) {
      n.add(m.peer());
    }
    return String.join(", ", n);
  }

  // ---------------------------------------------------------------------------------------------- fma

  private void fma() {
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("species", FmaProbe.species());
    j.put("chains", 12);
    TextTable t = new TextTable("threads", "GFLOPS per core (CPU time)", "GFLOPS all threads (wall)");
    try (Timing timing = new Timing(s.fmaRounds(), s.fmaSeconds(), s.warmUpSeconds())) {
      for (int threads : s.threads()) {
        FmaProbe a = new FmaProbe();
        Timing.Ms ms = threads == 1 ? timing.one(a::run) : timing.two(a::run, new FmaProbe()::run);
        double flops = FmaProbe.FLOPS_PER_CALL * threads;
        double perCore = flops / (ms.cpu() * 1e6);   // ms.cpu sums the threads' CPU time
        double wall = flops / (ms.wall() * 1e6);
        if (threads == 1) {
          fmaPeak1t = perCore;
        }
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("gflops_per_core_cpu_time", num(perCore));
        r.put("gflops_wall", num(wall));
        j.put(threads + "t", r);
        t.row(threads, perCore, wall);
      }
    }
    json.put("fma", j);
    out.println("FP32 FMA peak, Vector API " + FmaProbe.species() + ", 12 independent FMA chains"
        + " (2 threads: one probe per thread)");
    t.print(out);
  }

  // -------------------------------------------------------------------------------------------- sgemm

  private void sgemm() throws IOException {
    List<GemmShape> shapes = new ArrayList<>();
    for (int n : s.sgemmSizes()) {
      shapes.add(GemmShape.square(n));
    }
    if (s.sgemmCnnShapes()) {
      shapes.addAll(GemmShape.ofModel(ModelSpec.referenceCnn(), 128));
    }
    boolean peer = peers.has(Peers.NUMPY);
    Map<Integer, Map<String, Map<String, Object>>> blas = new LinkedHashMap<>();
    Map<Integer, Map<String, Timing.Ms>> convoy = new LinkedHashMap<>();
    List<Map<String, Object>> rows = new ArrayList<>();
    try (Timing timing = new Timing(s.sgemmRounds(), s.sgemmSeconds(), s.warmUpSeconds())) {
      for (int threads : s.threads()) {
        Map<String, Timing.Ms> c = new LinkedHashMap<>();
        for (GemmShape g : shapes) {
          GemmShape.Operands o = g.operands();
          c.put(g.spec(), threads == 1 ? timing.one(o::run) : timing.two(o.half(0), o.half(1)));
        }
        convoy.put(threads, c);
        if (peer) {
          List<String> args = new ArrayList<>(List.of("--json", "--seconds",
              String.format(Locale.ROOT, "%.3f", s.sgemmRounds() * s.sgemmSeconds())));
          for (GemmShape g : shapes) {
            args.add(g.spec());
          }
          Map<String, Map<String, Object>> b = new LinkedHashMap<>();
          for (Map<String, Object> r : peers.run("sgemm-openblas-" + threads + "t", "numpy_sgemm.py", args, threads)) {
            if ("sgemm".equals(r.get("what"))) {
              b.put((String) r.get("shape"), r);
            } else if ("info".equals(r.get("what"))) {
              b.put("info", r);
            }
          }
          blas.put(threads, b);
        }
      }
    }
    List<String> head = new ArrayList<>(List.of("shape", "op m x n x k"));
    for (int t : s.threads()) {
      String by = t == 1 ? "CPU" : "wall";
      head.addAll(List.of("Convoy " + t + "t GF/s (" + by + ")", "OpenBLAS " + t + "t GF/s (" + by + ")",
          "ratio " + t + "t"));
    }
    if (fmaPeak1t != null) {
      head.add("Convoy 1t % of FMA peak");
    }
    TextTable table = new TextTable(head.toArray(new String[0]));
    for (GemmShape g : shapes) {
      Map<String, Object> j = new LinkedHashMap<>();
      j.put("label", g.label());
      j.put("shape", g.spec());
      List<Object> cells = new ArrayList<>(List.of(g.label(), g.op() + " " + g.m() + " x " + g.n() + " x " + g.k()));
      for (int t : s.threads()) {
        Timing.Ms ms = convoy.get(t).get(g.spec());
        double cpu = g.flops() / (ms.cpu() * 1e6);   // per core: ms.cpu sums the threads' CPU time
        double wall = g.flops() / (ms.wall() * 1e6);
        j.put("convoy_" + t + "t_gflops_cpu_time", num(cpu));
        j.put("convoy_" + t + "t_gflops_wall", num(wall));
        double mine = t == 1 ? cpu : wall;
        Double theirs = null;
        if (blas.containsKey(t) && blas.get(t).containsKey(g.spec())) {
          Map<String, Object> b = blas.get(t).get(g.spec());
          j.put("openblas_" + t + "t_gflops_cpu_time", b.get("cpu_gflops"));
          j.put("openblas_" + t + "t_gflops_wall", b.get("gflops"));
          theirs = ((Number) (t == 1 ? b.get("cpu_gflops") : b.get("gflops"))).doubleValue();
          ratio("sgemm_" + t + "t_" + g.key() + "_vs_openblas", mine / theirs);
        }
        cells.add(mine);
        cells.add(theirs);
        cells.add(theirs == null ? null : x(mine / theirs));
      }
      if (fmaPeak1t != null && convoy.containsKey(1)) {
        double cpu = g.flops() / (convoy.get(1).get(g.spec()).cpu() * 1e6);
        j.put("convoy_1t_share_of_fma_peak", num(cpu / fmaPeak1t));
        cells.add(String.format(Locale.ROOT, "%.0f%%", 100 * cpu / fmaPeak1t));
      }
      rows.add(j);
      table.row(cells.toArray());
    }
    Map<String, Object> j = new LinkedHashMap<>();
    j.put("convoy_2_threads", "one product, C split in two halves (rows, or columns when n > m), one per thread;"
        + " the halves synchronise once per round");
    j.put("openblas_2_threads", "one product on OPENBLAS_NUM_THREADS=2");
    for (Map.Entry<Integer, Map<String, Map<String, Object>>> e : blas.entrySet()) {
      j.put("openblas_" + e.getKey() + "t_info", e.getValue().get("info"));
    }
    j.put("shapes", rows);
    json.put("sgemm", j);
    out.println("SGEMM float32 row-major, GFLOPS = 2mnk / time, best round. Convoy 2t: C split in halves over 2"
        + " threads; OpenBLAS 2t: OPENBLAS_NUM_THREADS=2. CNN rows: the reference CNN's training products");
    if (blas.containsKey(1) && blas.get(1).get("info") != null) {
      out.println("OpenBLAS: " + blas.get(1).get("info").get("blas") + ", kernel "
          + blas.get(1).get("info").get("blas_core"));
    }
    table.print(out);
  }

  // ------------------------------------------------------------------------------------------- layers

  private void layers() throws IOException {
    Map<String, Object> j = new LinkedHashMap<>();
    boolean peer = peers.has(Peers.TORCH);
    for (String model : s.layerModels()) {
      String prefix = model.equals("lenet5") ? "lenet5" : "refcnn";
      Map<Integer, LayerProbe.ModelTimes> convoy = new LinkedHashMap<>();
      Map<Integer, LayerProbe.ModelTimes> torch = new LinkedHashMap<>();
      for (int t : s.threads()) {
        convoy.put(t, convoyLayers(model, prefix, t));
        if (peer) {
          torch.put(t, LayerProbe.fromRecords(model, t, s.layerBatch(), peers.run("layers-" + prefix + "-torch-" + t
              + "t", "torch_peer.py", List.of("layers", "--model", model, "--threads", "" + t, "--batch",
              "" + s.layerBatch(), "--rounds", "" + s.layerRounds(), "--seconds", "" + s.layerSeconds(), "--warm-up",
              "" + s.warmUpSeconds()), t)));
        }
      }
      List<String> head = new ArrayList<>(List.of("layer", "kind", "Convoy 1t f / d / w ms"));
      for (int t : s.threads()) {
        String by = t == 1 ? "CPU" : "wall";
        head.addAll(List.of("Convoy " + t + "t ms (" + by + ")", "PyTorch " + t + "t ms (" + by + ")", "ratio " + t + "t"));
      }
      TextTable table = new TextTable(head.toArray(new String[0]));
      List<Map<String, Object>> rows = new ArrayList<>();
      LayerProbe.ModelTimes any = convoy.values().iterator().next();
      Map<Integer, double[]> sums = new LinkedHashMap<>();
      for (int i = 0; i < any.layers().size(); i++) {
        String layer = any.layers().get(i).layer();
        Map<String, Object> row = new LinkedHashMap<>();
        row.put("layer", layer);
        row.put("kind", any.layers().get(i).kind());
        List<Object> cells = new ArrayList<>(List.of(layer, any.layers().get(i).kind(),
            convoy.containsKey(1) ? passes(convoy.get(1).layers().get(i)) : "-"));
        for (int t : s.threads()) {
          LayerProbe.LayerTimes lt = convoy.get(t).layers().get(i);
          row.put("convoy_" + t + "t", passesJson(lt));
          double mine = pick(t, lt.total().wall(), lt.total().cpu());
          Double theirs = null;
          LayerProbe.LayerTimes tp = torch.containsKey(t) ? torch.get(t).layer(layer) : null;
          if (tp != null) {
            row.put("torch_" + t + "t", passesJson(tp));
            theirs = pick(t, tp.total().wall(), tp.total().cpu());
            ratio(prefix + "_" + layer + "_fwd_bwd_" + t + "t_vs_torch", theirs / mine);
          }
          double[] sum = sums.computeIfAbsent(t, k -> new double[2]);
          sum[0] += mine;
          sum[1] += theirs == null ? Double.NaN : theirs;
          cells.addAll(List.of(mine, theirs == null ? "-" : theirs, theirs == null ? "-" : x(theirs / mine)));
        }
        rows.add(row);
        table.row(cells.toArray());
      }
      List<Object> sumCells = new ArrayList<>(List.of("sum of layers", "", ""));
      List<Object> stepCells = new ArrayList<>(List.of("training step", "network", ""));
      Map<String, Object> totals = new LinkedHashMap<>();
      for (int t : s.threads()) {
        double[] sum = sums.get(t);
        sumCells.addAll(List.of(sum[0], Double.isNaN(sum[1]) ? "-" : sum[1],
            Double.isNaN(sum[1]) ? "-" : x(sum[1] / sum[0])));
        Timing.Ms st = convoy.get(t).step();
        double mine = pick(t, st.wall(), st.cpu());
        totals.put("convoy_" + t + "t_layers_sum_ms", num(sum[0]));
        totals.put("convoy_" + t + "t_step_ms", num(st.wall()));
        totals.put("convoy_" + t + "t_step_cpu_ms", num(st.cpu()));
        Timing.Ms ts = torch.containsKey(t) ? torch.get(t).step() : null;
        if (!Double.isNaN(sum[1])) {
          totals.put("torch_" + t + "t_layers_sum_ms", num(sum[1]));
          ratio(prefix + "_layers_sum_" + t + "t_vs_torch", sum[1] / sum[0]);
        }
        if (ts != null) {
          totals.put("torch_" + t + "t_step_ms", num(ts.wall()));
          totals.put("torch_" + t + "t_step_cpu_ms", num(ts.cpu()));
          double theirs = pick(t, ts.wall(), ts.cpu());
          ratio(prefix + "_step_" + t + "t_vs_torch", theirs / mine);
          stepCells.addAll(List.of(mine, theirs, x(theirs / mine)));
        } else {
          stepCells.addAll(List.of(mine, "-", "-"));
        }
      }
      table.row(sumCells.toArray());
      table.row(stepCells.toArray());
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("batch", s.layerBatch());
      m.put("layers", rows);
      m.put("totals", totals);
      j.put(model, m);
      out.println();
      out.println(model + ", batch " + s.layerBatch() + ": forward + backward-data + backward-weights per layer"
          + " (f / d / w; the first layer has no backward-data: its input is the image), ms per batch. Convoy 2t: the batch"
          + " split in halves over 2 threads, as 2 Spark tasks split it; PyTorch 2t: 2 intra-op threads."
          + " Training step: forward, loss and backward of the whole network");
      table.print(out);
    }
    j.put("convoy_2_threads", "each thread runs the layer on its own half of the batch (as two Spark tasks)");
    json.put("layers", j);
  }

  /** Convoy's layer timings of one model at {@code t} threads, measured in a JVM of their own (see LayerProbe). */
  private LayerProbe.ModelTimes convoyLayers(String model, String prefix, int t) throws IOException {
    out.println("  timing Convoy's " + model + " layers, " + t + " thread(s), in a new JVM (load " + load() + ")");
    out.flush();
    List<String> args = List.of(model, "" + s.layerBatch(), "" + t, "" + s.layerRounds(), "" + s.layerSeconds(),
        "" + s.warmUpSeconds());
    ChildProcess.Result r = ChildProcess.run("layers-" + prefix + "-convoy-" + t + "t",
        ChildProcess.javaCommand(LayerProbe.class.getName(), args), Map.of(), logs, s.childTimeoutMinutes());
    if (!r.ok()) {
      throw new IllegalStateException("timing Convoy's " + model + " layers at " + t + " thread(s) failed with exit"
          + " code " + r.exitCode() + ": " + r.stderrTail(5) + " [log: " + r.stderr() + "]");
    }
    LayerProbe.ModelTimes m = LayerProbe.fromRecords(model, t, s.layerBatch(), Peers.records(r));
    if (m.layers().isEmpty() || m.step() == null) {
      throw new IllegalStateException("timing Convoy's " + model + " layers at " + t + " thread(s) printed "
          + m.layers().size() + " layers and " + (m.step() == null ? "no" : "a") + " step [log: " + r.stdout() + "]");
    }
    return m;
  }

  /** A layer's passes as JSON: pass name to {"ms": wall, "cpu_ms": CPU}, in the order they were timed. */
  private static Map<String, Object> passesJson(LayerProbe.LayerTimes lt) {
    Map<String, Object> passes = new LinkedHashMap<>();
    for (Map.Entry<String, Timing.Ms> e : lt.passes().entrySet()) {
      passes.put(e.getKey(), Map.of("ms", num(e.getValue().wall()), "cpu_ms", num(e.getValue().cpu())));
    }
    return passes;
  }

  private static double pick(int threads, double wall, double cpu) {
    return threads == 1 ? cpu : wall;
  }

  private static String passes(LayerProbe.LayerTimes lt) {
    StringBuilder b = new StringBuilder();
    for (String p : List.of(LayerProbe.FORWARD, LayerProbe.BACKWARD_DATA, LayerProbe.BACKWARD_WEIGHTS)) {
      Timing.Ms m = lt.passes().get(p);
      b.append(b.length() == 0 ? "" : " / ").append(m == null ? "-" : TextTable.cell(m.cpu()));
    }
    return b.toString();
  }

  // -------------------------------------------------------------------------------------------- train

  /** One training run's figures. */
  private record TrainRun(String key, String label, List<Double> imagesPerSecond, double testAccuracy,
      ChildProcess.Result process, Long arrowPeakBytes, Path runDir) {

    /** Images over the epochs' total time: the harmonic mean of the per-epoch rates (equal-sized epochs). */
    double overall() {
      double inv = 0;
      for (double v : imagesPerSecond) {
        inv += 1 / v;
      }
      return imagesPerSecond.size() / inv;
    }

    double last() {
      return imagesPerSecond.get(imagesPerSecond.size() - 1);
    }
  }

  private void train() throws IOException {
    List<TrainRun> runs = new ArrayList<>();
    boolean peer = peers.has(Peers.TORCH);
    Map<Integer, TrainRun> averaging = new LinkedHashMap<>();
    Map<Integer, TrainRun> torch = new LinkedHashMap<>();
    for (int t : s.threads()) {
      TrainRun c = attempt("train local[" + t + "] averaging",
          () -> convoyTrain("local" + t + "_averaging", "Convoy local[" + t + "], parameter averaging", t, false));
      if (c != null) {
        runs.add(c);
        averaging.put(t, c);
      }
      if (peer) {
        TrainRun p = attempt("train PyTorch " + t + "t", () -> torchTrain(t));
        if (p != null) {
          runs.add(p);
          torch.put(t, p);
        }
      }
    }
    TrainRun sync = null;
    if (s.trainSyncSgd() && s.threads().contains(2)) {
      sync = attempt("train local[2] sync-sgd",
          () -> convoyTrain("local2_sync_sgd", "Convoy local[2], synchronous SGD", 2, true));
      if (sync != null) {
        runs.add(sync);
      }
    }
    TextTable table = new TextTable("run", "epochs", "img/s (all epochs)", "img/s (last epoch)", "test accuracy",
        "ratio img/s vs PyTorch same threads", "accuracy - PyTorch (points)", "peak RSS MiB");
    List<Map<String, Object>> j = new ArrayList<>();
    for (TrainRun r : runs) {
      int threads = r.key.startsWith("local1") || r.key.equals("torch_1t") ? 1 : 2;
      TrainRun p = r.key.startsWith("torch") ? null : torch.get(threads);
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("run", r.key);
      o.put("label", r.label);
      o.put("epochs", r.imagesPerSecond.size());
      o.put("images_per_second_per_epoch", r.imagesPerSecond);
      o.put("images_per_second", num(r.overall()));
      o.put("images_per_second_last_epoch", num(r.last()));
      o.put("test_accuracy", num(r.testAccuracy));
      o.put("wall_seconds", num(r.process.wallSeconds()));
      o.put("cpu_seconds", r.process.cpuSeconds());
      o.put("peak_rss_bytes", r.process.peakRssBytes());
      o.put("arrow_peak_bytes", r.arrowPeakBytes);
      o.put("run_dir", r.runDir == null ? null : r.runDir.toString());
      j.add(o);
      Object speed = "-";
      Object acc = "-";
      if (p != null) {
        String name = "train_" + r.key + "_vs_torch_" + threads + "t";
        ratio(name, r.overall() / p.overall());
        ratio(name + "_last_epoch", r.last() / p.last());
        ratio("accuracy_" + r.key + "_minus_torch_" + threads + "t_points", 100 * (r.testAccuracy - p.testAccuracy));
        speed = x(r.overall() / p.overall());
        acc = String.format(Locale.ROOT, "%+.2f", 100 * (r.testAccuracy - p.testAccuracy));
      }
      table.row(r.label, r.imagesPerSecond.size(), r.overall(), r.last(),
          String.format(Locale.ROOT, "%.4f", r.testAccuracy), speed, acc, mib(r.process.peakRssBytes()));
      addMemory(r.key, r.label, r.process, r.arrowPeakBytes, p == null ? null : p.key, p == null ? null : p.process,
          "train");
    }
    if (sync != null && averaging.containsKey(2)) {
      ratio("train_local2_sync_sgd_vs_local2_averaging", sync.overall() / averaging.get(2).overall());
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("config", s.trainConfig().toString());
    section.put("batch_size", s.trainBatch());
    section.put("train_limit", s.trainLimit());
    section.put("test_limit", s.testLimit());
    section.put("runs", j);
    json.put("train", section);
    out.println("Fashion-MNIST, reference CNN, batch " + s.trainBatch() + ", " + s.epochs() + " epoch(s)"
        + (s.trainLimit() > 0 ? ", first " + s.trainLimit() + " training images" : "")
        + "; img/s = training images / epoch wall time (test evaluation excluded); accuracy on "
        + (s.testLimit() > 0 ? "the first " + s.testLimit() : "the 10,000") + " test images after the last epoch");
    table.print(out);
  }

  private TrainRun convoyTrain(String key, String label, int threads, boolean syncSgd) throws IOException {
    List<String> args = new ArrayList<>(List.of("train", s.trainConfig().toString(), "train.epochs=" + s.epochs(),
        "spark.master=local[" + threads + "]",
        // the global batch of PyTorch's step: per replica under averaging, split over the tasks under sync SGD
        "train.batch-size=" + (syncSgd ? s.trainBatch() : Math.max(1, s.trainBatch() / threads)),
        "output.dir=" + dir.resolve("train-" + key)));
    if (syncSgd) {
      args.add("train.strategy=sync-sgd");
    }
    if (s.trainLimit() > 0) {
      args.add("data.train.limit=" + s.trainLimit());
    }
    if (s.testLimit() > 0) {
      args.add("data.test.limit=" + s.testLimit());
    }
    args.addAll(s.trainOverrides());
    out.println("  running " + label + " (" + s.epochs() + " epochs; load " + load() + ")");
    out.flush();
    ChildProcess.Result r = ChildProcess.run("train-" + key, ChildProcess.javaCommand("io.convoy.jobs.Main", args),
        Map.of(), logs, s.childTimeoutMinutes());
    if (!r.ok()) {
      throw new IllegalStateException("Convoy's train job (" + label + ") failed with exit code " + r.exitCode()
          + ": " + r.stderrTail(5) + " [log: " + r.stderr() + "]");
    }
    List<String> lines = r.stdoutLines();
    Path run = Path.of(lines.get(lines.size() - 1).trim().replaceFirst("^file:", ""));
    List<Map<String, Object>> metrics = Peers.readJsonLines(run.resolve("metrics.jsonl"));
    List<Double> ips = new ArrayList<>();
    double acc = Double.NaN;
    Long arrow = null;
    for (Map<String, Object> m : metrics) {
      ips.add(((Number) m.get("images_per_second")).doubleValue());
      acc = m.get("test_accuracy") instanceof Number n ? n.doubleValue() : Double.NaN;
      arrow = m.get("arrow_peak_bytes") instanceof Number n ? n.longValue() : null;
    }
    if (!syncSgd && (trainedModel == null || threads == 2)) {
      trainedModel = run.resolve("model.cvm");
    }
    return new TrainRun(key, label, ips, acc, r, arrow, run);
  }

  private TrainRun torchTrain(int threads) throws IOException {
    List<String> args = new ArrayList<>(List.of("train", "--threads", "" + threads, "--epochs", "" + s.epochs(),
        "--batch", "" + s.trainBatch()));
    if (s.trainLimit() > 0) {
      args.addAll(List.of("--limit", "" + s.trainLimit()));
    }
    if (s.testLimit() > 0) {
      args.addAll(List.of("--test-limit", "" + s.testLimit()));
    }
    String label = "PyTorch " + threads + " thread" + (threads == 1 ? "" : "s");
    out.println("  running " + label + " (" + s.epochs() + " epochs; load " + load() + ")");
    out.flush();
    ChildProcess.Result r = peers.runMeasured("train-torch-" + threads + "t", "torch_peer.py", args, threads);
    List<Double> ips = new ArrayList<>();
    double acc = Double.NaN;
    for (Map<String, Object> m : Peers.records(r)) {
      if ("train".equals(m.get("what"))) {
        ips.add(((Number) m.get("images_per_second")).doubleValue());
        acc = ((Number) m.get("test_accuracy")).doubleValue();
      }
    }
    return new TrainRun("torch_" + threads + "t", label, ips, acc, r, null, null);
  }

  /** A memory row; {@code peer} (may be null) is the peer run measured against, {@code peerKey} its name. */
  private void addMemory(String key, String label, ChildProcess.Result r, Long arrow, String peerKey,
      ChildProcess.Result peer, String what) {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("run", what + "_" + key);
    m.put("label", label);
    m.put("peak_rss_bytes", r.peakRssBytes());
    m.put("arrow_peak_bytes", arrow);
    m.put("cpu_seconds", r.cpuSeconds());
    m.put("wall_seconds", num(r.wallSeconds()));
    memory.add(m);
    Object ratio = "-";
    if (r.peakRssBytes() != null) {
      ratios.put(what + "_rss_" + key + "_mib", Math.round(r.peakRssBytes() / MIB * 10) / 10.0);
    }
    if (peer != null && peer.peakRssBytes() != null && r.peakRssBytes() != null) {
      ratio(what + "_rss_" + key + "_vs_" + peerKey, peer.peakRssBytes() / (double) r.peakRssBytes());
      ratio = x(peer.peakRssBytes() / (double) r.peakRssBytes());
    }
    memoryTable.row(what + ": " + label, mib(r.peakRssBytes()), arrow == null ? "-" : arrow / MIB, r.cpuSeconds(),
        r.wallSeconds(), ratio);
  }

  // ------------------------------------------------------------------------------------------ predict

  private void predict() throws IOException {
    Path model = trainedModel;
    String source = "the model trained in this run (" + model + ")";
    JobConfig job = JobConfigs.parse(JobConfigs.load(s.trainConfig().toFile(), List.of()));
    if (model == null || !Files.isRegularFile(model)) {
      model = dir.resolve("predict-model").resolve("model.cvm");
      writeFreshModel(job, model);
      source = "a freshly initialised model (the train section did not run; inference time does not depend on"
          + " the weights)";
    }
    float mean = job.data().mean().length > 0 ? job.data().mean()[0] : 0.2860f;
    float std = job.data().std().length > 0 ? job.data().std()[0] : 0.3530f;
    boolean peer = peers.has(Peers.TORCH);
    Path modelFile = model;
    TextTable table = new TextTable("run", "images", "img/s (best)", "s (best)", "s (first run)", "PyTorch img/s",
        "ratio vs PyTorch same threads", "target 1.5x");
    List<Map<String, Object>> rows = new ArrayList<>();
    for (int t : s.threads()) {
      attempt("predict local[" + t + "]", () -> {
        predictAt(t, modelFile, mean, std, peer, table, rows);
        return Boolean.TRUE;
      });
    }
    Map<String, Object> section = new LinkedHashMap<>();
    section.put("model", model.toString());
    section.put("model_source", source);
    section.put("runs", rows);
    json.put("predict", section);
    out.println("Inference on the test set with " + source + ": Convoy's predict job (read, normalise, infer, write"
        + " the CSV) in a JVM whose Spark session is up; PyTorch the same steps (read the IDX files, normalise,"
        + " forward in batches of " + s.predictBatch() + ", softmax, write the CSV), random weights. Best of "
        + s.predictRepeats() + " after a warm-up");
    table.print(out);
  }

  private void predictAt(int t, Path model, float mean, float std, boolean peer, TextTable table,
      List<Map<String, Object>> rows) throws IOException {
    List<String> args = new ArrayList<>(List.of(s.trainConfig().toString(), "" + s.predictRepeats(),
        "predict.model=" + model, "spark.master=local[" + t + "]",
        "predict.output=" + dir.resolve("predictions-local" + t + ".csv")));
    if (s.predictLimit() > 0) {
      args.add("data.test.limit=" + s.predictLimit());
    }
    out.println("  running Convoy predict job, local[" + t + "] (load " + load() + ")");
    out.flush();
    ChildProcess.Result r = ChildProcess.run("predict-local" + t,
        ChildProcess.javaCommand(PredictTiming.class.getName(), args), Map.of(), logs, s.childTimeoutMinutes());
    if (!r.ok()) {
      throw new IllegalStateException("Convoy's predict job on local[" + t + "] failed with exit code "
          + r.exitCode() + ": " + r.stderrTail(5) + " [log: " + r.stderr() + "]");
    }
    Map<String, Object> c = Peers.records(r).get(0);
    Map<String, Object> row = new LinkedHashMap<>();
    row.put("run", "local" + t);
    row.put("convoy", c);
    double mine = ((Number) c.get("images_per_second")).doubleValue();
    Object theirsCell = "-";
    Object ratioCell = "-";
    Object target = "-";
    ChildProcess.Result tr = null;
    if (peer) {
      List<String> targs = new ArrayList<>(List.of("predict", "--threads", "" + t, "--batch", "" + s.predictBatch(),
          "--repeats", "" + s.predictRepeats(), "--mean", "" + mean, "--std", "" + std, "--output",
          dir.resolve("predictions-torch-" + t + "t.csv").toString()));
      if (s.predictLimit() > 0) {
        targs.addAll(List.of("--limit", "" + s.predictLimit()));
      }
      out.println("  running PyTorch inference, " + t + " thread(s) (load " + load() + ")");
      out.flush();
      tr = peers.runMeasured("predict-torch-" + t + "t", "torch_peer.py", targs, t);
      Map<String, Object> p = Peers.records(tr).get(0);
      row.put("torch", p);
      double theirs = ((Number) p.get("images_per_second")).doubleValue();
      ratio("predict_local" + t + "_vs_torch_" + t + "t", mine / theirs);
    // the same by CPU seconds (the JVM's process CPU: task threads and Spark's own), steadier under load
    ratio("predict_local" + t + "_vs_torch_" + t + "t_cpu_time",
        ((Number) p.get("cpu_seconds")).doubleValue() / ((Number) c.get("cpu_seconds")).doubleValue());
      theirsCell = theirs;
      ratioCell = x(mine / theirs);
      target = mine / theirs >= 1.5 ? "met" : "not met";
    }
    rows.add(row);
    table.row("Convoy predict job, local[" + t + "]", c.get("images"), mine, ((Number) c.get("seconds")).doubleValue(),
        ((Number) c.get("first_seconds")).doubleValue(), theirsCell, ratioCell, target);
    addMemory("local" + t, "Convoy predict job, local[" + t + "]", r, null, "torch_" + t + "t", tr, "predict");
    if (tr != null) {
      addMemory("torch_" + t + "t", "PyTorch inference, " + t + " thread(s)", tr, null, null, null, "predict");
    }
  }

  private static void writeFreshModel(JobConfig job, Path file) throws IOException {
    Network net = new Network(job.model(), 1);
    float[] params = new float[net.numParams()];
    float[] buffers = new float[net.numBuffers()];
    net.initParams(params, buffers, job.init(), 1L);
    Map<String, Object> meta = new LinkedHashMap<>();
    if (job.data().mean().length > 0) {
      meta.put("normalization-mean", floats(job.data().mean()));
      meta.put("normalization-std", floats(job.data().std()));
    }
    Files.createDirectories(file.getParent());
    Files.write(file, ModelFile.toBytes(new SavedModel(job.model(), params, buffers, meta)));
  }

  private static List<Double> floats(float[] v) {
    List<Double> out = new ArrayList<>();
    for (float f : v) {
      out.add((double) f);
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------ helpers

  private void ratio(String name, double value) {
    if (Double.isFinite(value)) {
      ratios.put(name, Math.round(value * 1e4) / 1e4);
    }
  }

  private static String x(double ratio) {
    return Double.isFinite(ratio) ? String.format(Locale.ROOT, "%.2fx", ratio) : "-";
  }

  private static Object mib(Long bytes) {
    return bytes == null ? "-" : String.format(Locale.ROOT, "%,.0f", bytes / MIB);
  }

  private static Double num(double v) {
    return Double.isFinite(v) ? v : null;
  }

  private static String load() {
    try {
      String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
      return f[0] + " " + f[1] + " " + f[2];
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static Map<String, Object> machine() {
    Map<String, Object> m = new LinkedHashMap<>();
    m.put("jdk", "JDK " + System.getProperty("java.version") + " (" + System.getProperty("java.vm.name") + ")");
    m.put("kernels", Backend.describe());
    m.put("vector_species", Backend.VECTOR ? FmaProbe.species() : "scalar");
    m.put("cores", Runtime.getRuntime().availableProcessors());
    String cpu = "unknown CPU";
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          cpu = line.substring(line.indexOf(':') + 1).trim();
          break;
        }
      }
    } catch (IOException e) {
      // not Linux: keep "unknown CPU"
    }
    m.put("cpu", cpu);
    m.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
    m.put("load_at_start", load());
    return m;
  }
}
