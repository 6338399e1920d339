package io.convoy.jobs.bench;

import java.io.File;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Runs one measured child process (a training job, a peer) with its output in files and, while it runs,
 * samples its peak resident set size ({@code VmHWM} in {@code /proc/<pid>/status}, which the kernel keeps
 * as a high-water mark, so a sample taken shortly before the exit holds the peak) and its CPU time
 * ({@code utime + stime} in {@code /proc/<pid>/stat}) every 100 ms. Where {@code /proc} is missing the
 * memory and CPU figures are absent (null), not guessed.
 */
final class ChildProcess {
  /** What a child did. {@code peakRssBytes} and {@code cpuSeconds} are null when /proc could not be read. */
  record Result(List<String> command, int exitCode, double wallSeconds, Double cpuSeconds, Long peakRssBytes,
      Path stdout, Path stderr) {
    boolean ok() {
      return exitCode == 0;
    }

    List<String> stdoutLines() {
      try {
        return Files.readAllLines(stdout, StandardCharsets.UTF_8);
      } catch (IOException e) {
        return List.of();
      }
    }

    /** The last lines of stderr, for an error message. */
    String stderrTail(int lines) {
      try {
        List<String> all = Files.readAllLines(stderr, StandardCharsets.UTF_8);
        return String.join("\n", all.subList(Math.max(0, all.size() - lines), all.size()));
      } catch (IOException e) {
        return "(no stderr: " + e.getMessage() + ")";
      }
    }
  }

  private static final long CLOCK_TICKS = 100;   // USER_HZ: 100 on every Linux ABI Convoy runs on

  private ChildProcess() {}

  /**
   * Runs {@code command} in {@code dir} with stdout and stderr in {@code <logs>/<name>.stdout/.stderr}.
   *
   * @param env variables to set (a null value removes the variable)
   * @param timeoutMinutes the child is killed after this long (the result then has exit code -1)
   */
  static Result run(String name, List<String> command, Map<String, String> env, Path logs, long timeoutMinutes)
      throws IOException {
    Files.createDirectories(logs);
    Path out = logs.resolve(name + ".stdout");
    Path err = logs.resolve(name + ".stderr");
    ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile())
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    for (Map.Entry<String, String> e : env.entrySet()) {
      if (e.getValue() == null) {
        pb.environment().remove(e.getKey());
      } else {
        pb.environment().put(e.getKey(), e.getValue());
      }
    }
    long t0 = System.nanoTime();
    Process p = pb.start();
    long pid = p.pid();
    Long rss = null;
    Double cpu = null;
    try {
      while (!p.waitFor(100, TimeUnit.MILLISECONDS)) {
        Long r = peakRss(pid);
        Double c = cpuSeconds(pid);
        rss = r != null ? r : rss;
        cpu = c != null ? c : cpu;
        if (System.nanoTime() - t0 > TimeUnit.MINUTES.toNanos(timeoutMinutes)) {
          p.destroyForcibly();
          p.waitFor();
          return new Result(command, -1, (System.nanoTime() - t0) / 1e9, cpu, rss, out, err);
        }
      }
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while " + name + " ran", e);
    }
    return new Result(command, p.exitValue(), (System.nanoTime() - t0) / 1e9, cpu, rss, out, err);
  }

  /** VmHWM of a running process in bytes, or null. */
  static Long peakRss(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"), StandardCharsets.UTF_8)) {
        if (line.startsWith("VmHWM:")) {
          String[] f = line.substring(6).trim().split("\\s+");
          return Long.parseLong(f[0]) * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      return null;
    }
    return null;
  }

  /** utime + stime of a running process in seconds, or null. */
  static Double cpuSeconds(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"), StandardCharsets.UTF_8);
      // fields after the command name, which is in parentheses and may hold spaces
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
      return (Long.parseLong(f[11]) + Long.parseLong(f[12])) / (double) CLOCK_TICKS;
    } catch (IOException | RuntimeException e) {
      return null;
    }
  }

  /**
   * The command that starts {@code mainClass} in a new JVM like this one: the same java binary, JVM
   * options (heap, module flags, system properties such as {@code convoy.home}) and classpath. Debugger
   * and profiler agents are left out.
   */
  static List<String> javaCommand(String mainClass, List<String> args) {
    List<String> cmd = new ArrayList<>();
    cmd.add(ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    for (String a : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!a.startsWith("-agentlib") && !a.startsWith("-javaagent") && !a.startsWith("-Xrunjdwp")) {
        cmd.add(a);
      }
    }
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(mainClass);
    cmd.addAll(args);
    return cmd;
  }
}
