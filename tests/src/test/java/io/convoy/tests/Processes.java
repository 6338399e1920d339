package io.convoy.tests;

import java.io.File;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Starts child JVMs with the project's JVM flags and logs to files, and kills them all at the end. */
final class Processes implements AutoCloseable {
  private final List<Process> started = new ArrayList<>();
  private final Path logs;

  Processes(Path logs) throws IOException {
    this.logs = Files.createDirectories(logs);
  }

  static String javaBin() {
    return Path.of(System.getProperty("java.home"), "bin", "java").toString();
  }

  static List<String> jvmFlags() {
    String flags = System.getProperty("convoy.jvm.flags",
        "--add-modules=jdk.incubator.vector --add-opens=java.base/java.nio=ALL-UNNAMED");
    return Arrays.asList(flags.trim().split("\\s+"));
  }

  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /**
   * Starts {@code java <flags> -cp classpath mainClass args} with the environment additions; stderr (where
   * Spark logs) goes to logs/name.log, stdout to logs/name.out.
   */
  Process java(String name, String classpath, Map<String, String> env, String mainClass, List<String> args)
      throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBin());
    cmd.add("-Xmx1g");
    cmd.addAll(jvmFlags());
    cmd.add("-cp");
    cmd.add(classpath);
    cmd.add(mainClass);
    cmd.addAll(args);
    ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(log(name))
        .redirectOutput(logs.resolve(name + ".out").toFile());
    pb.environment().putAll(env);
    Process p = pb.start();
    started.add(p);
    return p;
  }

  /** What the process printed on stdout. */
  String stdout(String name) {
    try {
      return Files.readString(logs.resolve(name + ".out"));
    } catch (IOException e) {
      return "(no output: " + e + ")";
    }
  }

  File log(String name) {
    return logs.resolve(name + ".log").toFile();
  }

  String logText(String name) {
    try {
      return Files.readString(log(name).toPath());
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  /** Waits until the log of {@code name} contains {@code text}, or fails after {@code seconds}. */
  void awaitLog(String name, String text, int seconds, Process p) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (System.nanoTime() < end) {
      if (logText(name).contains(text)) {
        return;
      }
      if (!p.isAlive()) {
        throw new IllegalStateException(name + " exited with " + p.exitValue() + " before logging '" + text
            + "':\n" + logText(name));
      }
      Thread.sleep(250);
    }
    throw new IllegalStateException(name + " did not log '" + text + "' within " + seconds + " s:\n" + logText(name));
  }

  /** Kills every started process and its children, newest first. */
  @Override
  public void close() {
    for (int i = started.size() - 1; i >= 0; i--) {
      Process p = started.get(i);
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      try {
        p.waitFor(20, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    started.clear();
  }
}
