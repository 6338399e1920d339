package io.convoy.tests;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;

/**
 * Runs every notebook in {@code notebooks/} top to bottom, headless, with Jupyter's nbconvert and the
 * project's Java kernel, then reads the executed notebook: no cell may have failed, every cell meant to
 * show something must have shown it, and each notebook must have produced its pictures (PNG outputs).
 *
 * <p>Needs Jupyter (Debian packages) and the kernel built by {@code bash notebooks/setup.sh}; when either
 * is missing the test fails and names that command. Convoy's own classes come from this build (the Maven
 * build folder this test runs from) and its third-party jars from this test's class path, so the notebooks
 * run against exactly what was just built.
 */
class NotebooksTest {
  private static final Path ROOT = Path.of(System.getProperty("convoy.project.root", "..")).toAbsolutePath().normalize();
  /** Pictures each notebook must show at least (plots included); any other notebook: one. */
  private static final Map<String, Integer> MIN_IMAGES = Map.of(
      "01-convolution-by-hand.ipynb", 6,
      "02-train-and-look-inside.ipynb", 5,
      "03-averaging-vs-sync-sgd.ipynb", 3);
  private static final long NOTEBOOK_TIMEOUT_MINUTES = 15;

  private static String build;
  private static Path work;

  @BeforeAll
  static void checkSetup() throws Exception {
    build = buildFolder();
    String setup = "CONVOY_TARGET=" + build + " bash notebooks/setup.sh";
    try {
      Process p = new ProcessBuilder("jupyter", "nbconvert", "--version").redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
      if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
        fail("`jupyter nbconvert --version` failed (" + out + "); install Jupyter with: " + setup);
      }
    } catch (IOException e) {
      fail("Jupyter is not installed (" + e.getMessage() + "); install it and the Java kernel with: " + setup);
    }
    Path kernelDir = ROOT.resolve("notebooks/kernel").resolve(build);
    if (!Files.isRegularFile(kernelDir.resolve("convoy-notebook-kernel-0.1.0-SNAPSHOT.jar"))
        || !Files.isRegularFile(kernelDir.resolve("kernel-classpath.txt"))) {
      fail("the notebooks' Java kernel is not built in " + kernelDir + "; build it with: " + setup
          + " (CONVOY_NB_SKIP_CONVOY=1 is enough for this test)");
    }
    for (String module : List.of("kernels", "pipeline", "jobs")) {
      Path classes = ROOT.resolve(module).resolve(build).resolve("classes");
      assertTrue(Files.isDirectory(classes), "Convoy is not built: " + classes + " is missing");
    }
    work = ROOT.resolve("tests").resolve(build).resolve("notebooks");
    Files.createDirectories(work);
    writeKernelSpec(work.resolve("jupyter/kernels/convoy-java"));
  }

  /** The Maven build folder name (-Dconvoy.target): a system property, else the folder holding these test classes. */
  private static String buildFolder() throws Exception {
    String prop = System.getProperty("convoy.build.dir");
    if (prop != null && !prop.isBlank()) {
      return prop;
    }
    Path classes = Path.of(NotebooksTest.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    return classes.getParent().getFileName().toString();   // tests/<build>/test-classes
  }

  /** A kernel spec that starts notebooks/kernel/run-kernel.sh of this tree. */
  private static void writeKernelSpec(Path dir) throws IOException {
    Files.createDirectories(dir);
    String script = ROOT.resolve("notebooks/kernel/run-kernel.sh").toString();
    String json = "{\n  \"argv\": [\"bash\", " + quote(script) + ", \"{connection_file}\"],\n"
        + "  \"display_name\": \"Java (Convoy, tests)\",\n  \"language\": \"java\"\n}\n";
    Files.writeString(dir.resolve("kernel.json"), json);
  }

  private static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  @TestFactory
  Stream<DynamicTest> everyNotebookRunsCleanly() throws IOException {
    List<Path> notebooks;
    try (Stream<Path> files = Files.list(ROOT.resolve("notebooks"))) {
      notebooks = files.filter(p -> p.getFileName().toString().endsWith(".ipynb")).sorted().collect(Collectors.toList());
    }
    assertTrue(notebooks.size() >= 3, "expected at least 3 notebooks in notebooks/, found " + notebooks);
    return notebooks.stream().map(nb -> DynamicTest.dynamicTest(nb.getFileName().toString(), () -> check(nb)));
  }

  private static void check(Path notebook) throws Exception {
    String name = notebook.getFileName().toString();
    Path log = work.resolve(name.replace(".ipynb", ".log"));
    Path executed = work.resolve(name);
    Files.deleteIfExists(executed);
    ProcessBuilder pb = new ProcessBuilder("jupyter", "nbconvert", "--to", "notebook", "--execute",
        "--ExecutePreprocessor.timeout=600", "--ExecutePreprocessor.kernel_name=convoy-java",
        "--output-dir", work.toString(), notebook.toString())
        .redirectErrorStream(true).redirectOutput(log.toFile());
    Map<String, String> env = pb.environment();
    env.put("JUPYTER_PATH", work.resolve("jupyter").toString());
    env.put("CONVOY_TARGET", build);
    env.put("CONVOY_NB_DEPS", System.getProperty("surefire.test.class.path", System.getProperty("java.class.path")));
    env.put("CONVOY_NB_WORKDIR", work.toString());
    env.put("SPARK_LOCAL_IP", "127.0.0.1");
    long start = System.nanoTime();
    Process p = pb.start();
    if (!p.waitFor(NOTEBOOK_TIMEOUT_MINUTES, TimeUnit.MINUTES)) {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      fail(name + " did not finish in " + NOTEBOOK_TIMEOUT_MINUTES + " minutes; log:\n" + tail(log));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    // nbconvert stops at the first failing cell and exits non-zero; the cell's error is in its log
    assertEquals(0, p.exitValue(), name + ": nbconvert failed; log:\n" + tail(log));
    assertTrue(Files.isRegularFile(executed), name + ": no executed notebook at " + executed);

    JsonNode root = new ObjectMapper().readTree(executed.toFile());
    int images = 0;
    int cellNo = 0;
    List<String> problems = new ArrayList<>();
    for (JsonNode cell : root.path("cells")) {
      cellNo++;
      if (!"code".equals(cell.path("cell_type").asText())) {
        continue;
      }
      String source = text(cell.path("source"));
      boolean shown = false;
      for (JsonNode out : cell.path("outputs")) {
        String type = out.path("output_type").asText();
        if ("error".equals(type)) {
          problems.add("cell " + cellNo + " failed: " + out.path("ename").asText() + ": " + out.path("evalue").asText()
              + "\n" + text(out.path("traceback")));
        } else if ("execute_result".equals(type) || "display_data".equals(type)) {
          JsonNode data = out.path("data");
          if (data.has("image/png")) {
            images++;
            shown |= !data.path("image/png").asText().isBlank();
          } else {
            shown |= !text(data.path("text/plain")).isBlank();
          }
        } else if ("stream".equals(type) && "stdout".equals(out.path("name").asText())) {
          shown |= !text(out.path("text")).isBlank();
        }
      }
      if (meantToShow(source) && !shown) {
        problems.add("cell " + cellNo + " showed nothing:\n" + source);
      }
    }
    assertTrue(problems.isEmpty(), name + ":\n" + String.join("\n\n", problems));
    int minImages = MIN_IMAGES.getOrDefault(name, 1);
    assertTrue(images >= minImages, name + " showed " + images + " PNG images, expected at least " + minImages);
    System.out.printf("%s: %d cells, %d PNG images, %.1f s%n", name, cellNo, images, seconds);
  }

  /**
   * A cell is meant to show something when it ends with an expression (its last line ends neither with
   * {@code ;} nor with a brace), prints, or calls {@code display(...)}.
   */
  static boolean meantToShow(String source) {
    String s = source.strip();
    if (s.isEmpty()) {
      return false;
    }
    String last = s.substring(s.lastIndexOf('\n') + 1).strip();
    return !(last.endsWith(";") || last.endsWith("}") || last.startsWith("//"))
        || s.contains("System.out.print") || s.contains("display(");
  }

  /** Jupyter stores text as a string or as a list of lines. */
  private static String text(JsonNode node) {
    if (node.isArray()) {
      StringBuilder sb = new StringBuilder();
      node.forEach(n -> sb.append(n.asText()).append(n.asText().endsWith("\n") ? "" : "\n"));
      return sb.toString();
    }
    return node.isMissingNode() || node.isNull() ? "" : node.asText();
  }

  private static String tail(Path log) throws IOException {
    if (!Files.isRegularFile(log)) {
      return "(no log)";
    }
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 60), lines.size()))
        + "\n(full log: " + log + ")";
  }
}
