package io.convoy.jobs.bench;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The Python peers: numpy on OpenBLAS ({@code scripts/numpy_sgemm.py}) and PyTorch
 * ({@code scripts/torch_peer.py}), run as child processes that print one JSON object per line.
 * {@link #check} finds out, without installing anything, whether each peer can run at its best (Python,
 * the module, OpenBLAS loaded rather than Debian's reference BLAS) and says what to install if not.
 */
final class Peers {
  static final String NUMPY = "numpy";
  static final String TORCH = "pytorch";
  private static final ObjectMapper JSON = new ObjectMapper();

  /** A peer that cannot run: who, why, and the command that installs it. */
  record Missing(String peer, String packages, String reason, String install) {
    String message() {
      return "peer missing: " + peer + " (" + packages + ") - " + reason + " - install with: " + install;
    }

    Map<String, Object> json() {
      Map<String, Object> m = new LinkedHashMap<>();
      m.put("peer", peer);
      m.put("packages", packages);
      m.put("reason", reason);
      m.put("install", install);
      return m;
    }
  }

  private final BenchSettings settings;
  private final Path logs;
  private final Map<String, Map<String, Object>> info = new LinkedHashMap<>();
  private final Map<String, Missing> missing = new LinkedHashMap<>();

  Peers(BenchSettings settings, Path logs) {
    this.settings = settings;
    this.logs = logs;
  }

  /** Checks both peers once; returns the missing ones (also kept for {@link #missing()}). */
  List<Missing> check() throws IOException {
    String py = settings.python();
    ChildProcess.Result version = null;
    try {
      version = ChildProcess.run("peer-python", List.of(py, "--version"), Map.of(), logs, 1);
    } catch (IOException e) {
      // not there, or not executable: reported below
    }
    if (version == null || !version.ok()) {
      String why = "bench.python = " + py + " does not run";
      missing.put(NUMPY, new Missing("numpy with OpenBLAS", "python3-numpy", why,
          "sudo apt-get install -y python3 python3-numpy libopenblas0-pthread"));
      missing.put(TORCH, new Missing("PyTorch", "python3-torch", why,
          "sudo apt-get install -y python3 python3-torch libopenblas0-pthread"));
      return List.copyOf(missing.values());
    }
    probe(NUMPY, "numpy with OpenBLAS", "python3-numpy",
        List.of(py, script("numpy_sgemm.py").toString(), "--info"));
    probe(TORCH, "PyTorch", "python3-torch",
        List.of(py, script("torch_peer.py").toString(), "info", "--threads", "1"));
    return List.copyOf(missing.values());
  }

  private void probe(String key, String label, String pkg, List<String> cmd) throws IOException {
    ChildProcess.Result r = ChildProcess.run("peer-" + key + "-info", cmd, env(1), logs, 5);
    List<Map<String, Object>> lines = records(r);
    String install = "sudo apt-get install -y " + pkg + " libopenblas0-pthread";
    if (!r.ok() || lines.isEmpty()) {
      String err = r.stderrTail(1).trim();
      missing.put(key, new Missing(label, pkg, err.isEmpty() ? "its check failed (exit " + r.exitCode() + ")" : err,
          install));
      return;
    }
    Map<String, Object> i = lines.get(0);
    info.put(key, i);
    String blas = String.valueOf(i.get("blas"));
    if (!blas.startsWith("OpenBLAS") && !blas.startsWith("MKL") && !blas.startsWith("BLIS")) {
      missing.put(key, new Missing(label, "libopenblas0-pthread",
          "it loaded " + blas + ", several times slower than OpenBLAS, so it would not run at its best",
          "sudo apt-get install -y libopenblas0-pthread"));
    }
  }

  boolean has(String key) {
    return info.containsKey(key) && !missing.containsKey(key);
  }

  Map<String, Map<String, Object>> info() {
    return info;
  }

  List<Missing> missing() {
    return List.copyOf(missing.values());
  }

  Path script(String name) {
    return settings.home().resolve("scripts").resolve(name);
  }

  /**
   * The peer's environment: BLAS and OpenMP pinned to {@code threads}, the variables listed in
   * {@code bench.peer-env-unset} removed (on this kind of machine OPENBLAS_CORETYPE may pin OpenBLAS to an
   * older kernel; a peer at its best picks its own) and those of {@code bench.peer-env} set (glibc's malloc
   * tuning, see conf/bench.conf).
   */
  Map<String, String> env(int threads) {
    Map<String, String> env = new LinkedHashMap<>();
    for (String v : settings.peerEnvUnset()) {
      env.put(v, null);
    }
    env.putAll(settings.peerEnv());
    String t = Integer.toString(threads);
    env.put("OPENBLAS_NUM_THREADS", t);
    env.put("OMP_NUM_THREADS", t);
    env.put("MKL_NUM_THREADS", t);
    return env;
  }

  /** Runs a peer script and returns its JSON lines; fails with the stderr tail when the script fails. */
  List<Map<String, Object>> run(String name, String script, List<String> args, int threads) throws IOException {
    return records(runMeasured(name, script, args, threads));
  }

  /** Runs a peer script and keeps the process figures (RSS, CPU, wall); fails when the script fails. */
  ChildProcess.Result runMeasured(String name, String script, List<String> args, int threads) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(settings.python());
    cmd.add(script(script).toString());
    cmd.addAll(args);
    ChildProcess.Result r = ChildProcess.run(name, cmd, env(threads), logs, settings.childTimeoutMinutes());
    if (!r.ok()) {
      throw new IOException(name + " failed (exit " + r.exitCode() + "): " + r.stderrTail(5) + " [log: "
          + r.stderr() + "]");
    }
    return r;
  }

  /** The JSON objects a child printed, one per line; other lines are skipped. */
  static List<Map<String, Object>> records(ChildProcess.Result r) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String line : r.stdoutLines()) {
      if (line.startsWith("{")) {
        out.add(parse(line));
      }
    }
    return out;
  }

  static Map<String, Object> parse(String line) {
    try {
      return JSON.readValue(line, new TypeReference<LinkedHashMap<String, Object>>() {});
    } catch (IOException e) {
      throw new IllegalStateException("not a JSON object: " + line, e);
    }
  }

  static List<Map<String, Object>> readJsonLines(Path file) throws IOException {
    List<Map<String, Object>> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      if (line.startsWith("{")) {
        out.add(parse(line));
      }
    }
    return out;
  }
}
