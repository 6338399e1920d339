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
        "-XX:PerMethodTrapLimit=100000 --add-modules=jdk.incubator.vector --add-opens=java.base/java.nio=ALL-UNNAMED");
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

  /**
   * A standalone Spark cluster started by {@link #startStandalone}: the master's port and the worker
   * processes (their executors are their descendants).
   */
  record Standalone(int masterPort, String classpath, Map<String, String> env, List<Process> workers) {
    String url() {
      return "spark://127.0.0.1:" + masterPort;
    }
  }

  /**
   * Starts a Master and {@code workers} Workers (1 core, 1 GB each, work folders under {@code work}) as
   * separate JVMs on 127.0.0.1 from the Spark jars in {@code jars}, as StandaloneClusterTest does.
   */
  Standalone startStandalone(Path jars, Path work, int workers) throws IOException, InterruptedException {
    String cp = jars.toAbsolutePath() + File.separator + "*";
    Map<String, String> env = Map.of("SPARK_HOME", jars.toAbsolutePath().getParent().toString(),
        "SPARK_SCALA_VERSION", "2.13", "SPARK_LOCAL_IP", "127.0.0.1", "SPARK_LOG_DIR", logs.toString());
    int port = freePort();
    Process master = java("master", cp, env, "org.apache.spark.deploy.master.Master",
        List.of("--host", "127.0.0.1", "--port", String.valueOf(port), "--webui-port", String.valueOf(freePort())));
    awaitLog("master", "I have been elected leader", 90, master);
    List<Process> ws = new ArrayList<>();
    for (int i = 1; i <= workers; i++) {
      Path dir = Files.createDirectories(work.resolve("worker" + i));
      Process w = java("worker" + i, cp, env, "org.apache.spark.deploy.worker.Worker",
          List.of("--host", "127.0.0.1", "--webui-port", String.valueOf(freePort()), "--cores", "1",
              "--memory", "1g", "--work-dir", dir.toString(), "spark://127.0.0.1:" + port));
      awaitLog("worker" + i, "Successfully registered with master", 90, w);
      ws.add(w);
    }
    return new Standalone(port, cp, env, ws);
  }

  /**
   * The live descendants of {@code parent} (children, grandchildren) whose command line mentions
   * {@code mainClass}, e.g. the {@code CoarseGrainedExecutorBackend} JVMs a Spark Worker launched.
   */
  static List<ProcessHandle> descendants(Process parent, String mainClass) {
    return parent.descendants().filter(ProcessHandle::isAlive)
        .filter(h -> h.info().commandLine().map(c -> c.contains(mainClass)).orElse(false)
            || h.info().arguments().map(a -> Arrays.asList(a).contains(mainClass)).orElse(false))
        .toList();
  }

  /** Kills {@code p} at once (SIGKILL: no shutdown hooks run) and waits until it is gone. */
  static void killNow(ProcessHandle p) throws InterruptedException {
    p.destroyForcibly();
    try {
      p.onExit().get(30, TimeUnit.SECONDS);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new IllegalStateException("process " + p.pid() + " did not exit within 30 s of SIGKILL: " + e, e);
    }
  }

  /** Waits until {@code condition} holds, or fails after {@code seconds} naming {@code what}. */
  static void await(String what, int seconds, java.util.function.BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new IllegalStateException("waited " + seconds + " s for " + what);
      }
      Thread.sleep(100);
    }
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
