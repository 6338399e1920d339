package io.convoy.kernels;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * Runs a test's {@code main} in a child JVM: the same java binary ({@code ProcessHandle.current().info()
 * .command()}) and class path ({@code java.class.path}) as this JVM, with the JVM options the caller picks,
 * and hands back the exit code and everything the child printed (stdout and stderr together) for the
 * parent to assert on. The tests that need another JVM shape (lane count, no Vector API module, the
 * HotSpot defaults) share it, in kernels and, through the test jar, in pipeline.
 */
public final class ChildJvm {
  private ChildJvm() {}

  /** What a child JVM did: its exit code and its output. */
  public record Result(int exitCode, String output) {
    /** Fails with the whole output unless the child exited with 0. */
    public Result assertSucceeded(String what) {
      if (exitCode != 0) {
        throw new AssertionError(what + ": the child JVM exited with " + exitCode + ", expected 0; its output:\n"
            + output);
      }
      return this;
    }
  }

  /** The java binary this JVM runs on. */
  public static String javaBinary() {
    return ProcessHandle.current().info().command()
        .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString());
  }

  /**
   * This JVM's own options (the build's argLine: module flags, {@code --add-opens}, the trap limit) minus
   * those {@code drop} matches, for a child that should differ in one thing only. The heap option is
   * always dropped: a child picks its own.
   */
  public static List<String> parentOptionsExcept(Predicate<String> drop) {
    List<String> out = new ArrayList<>();
    for (String o : ManagementFactory.getRuntimeMXBean().getInputArguments()) {
      if (!o.startsWith("-Xmx") && !drop.test(o)) {
        out.add(o);
      }
    }
    return out;
  }

  /**
   * Runs {@code main.main(args)} in a child JVM with {@code options} and waits at most {@code timeout};
   * a child still running then is killed and the call fails with what it printed so far.
   */
  public static Result run(List<String> options, Class<?> main, List<String> args, Duration timeout) {
    List<String> cmd = new ArrayList<>();
    cmd.add(javaBinary());
    cmd.addAll(options);
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(main.getName());
    cmd.addAll(args);
    Process p;
    try {
      p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    } catch (IOException e) {
      throw new UncheckedIOException("could not start " + cmd, e);
    }
    CompletableFuture<String> output = CompletableFuture.supplyAsync(() -> readAll(p.getInputStream()));
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        p.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
        String sofar;
        try {
          sofar = output.get(5, TimeUnit.SECONDS);
        } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
          sofar = "(unreadable: " + e + ")";
        }
        throw new AssertionError("the child JVM " + main.getName() + " " + options + " did not finish within "
            + timeout + "; its output:\n" + sofar);
      }
      return new Result(p.exitValue(), output.get(30, TimeUnit.SECONDS));
    } catch (InterruptedException e) {
      p.destroyForcibly();
      Thread.currentThread().interrupt();
      throw new AssertionError("interrupted while waiting for the child JVM " + main.getName(), e);
    } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
      throw new AssertionError("could not read the output of the child JVM " + main.getName(), e);
    }
  }

  private static String readAll(InputStream in) {
    try (in) {
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
