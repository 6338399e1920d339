package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** The backend's description and its advice on HotSpot's {@code PerMethodTrapLimit}. */
class BackendTest {

  /** Prints {@link Backend#describe()}: run in a child JVM by {@link #aJvmWithTheDefaultLimitIsWarned}. */
  public static void main(String[] args) {
    System.out.println(Backend.describe());
  }

  @Test
  void adviceNamesTheValueAndTheOptionToAdd() {
    Optional<String> a = Backend.trapLimitAdvice("100");
    assertTrue(a.isPresent());
    assertTrue(a.get().contains("-XX:PerMethodTrapLimit=100,"), a.get());
    assertTrue(a.get().contains("add " + Backend.TRAP_LIMIT_OPTION), a.get());
    assertTrue(Backend.trapLimitAdvice("99999").isPresent());
    assertEquals(Optional.empty(), Backend.trapLimitAdvice("100000"));
    assertEquals(Optional.empty(), Backend.trapLimitAdvice("2000000"));
    assertEquals(Optional.empty(), Backend.trapLimitAdvice(null), "not HotSpot: nothing to advise");
  }

  @Test
  void theBuildsJvmsRunWithTheRecommendedLimit() {
    String value = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class)
        .getVMOption("PerMethodTrapLimit").getValue();
    assertEquals(String.valueOf(Backend.RECOMMENDED_TRAP_LIMIT), value,
        "the root pom's convoy.jvm.flags (the tests' argLine) set " + Backend.TRAP_LIMIT_OPTION);
    assertFalse(Backend.describe().contains("warning"), Backend.describe());
  }

  @Test
  void aJvmWithTheDefaultLimitIsWarned() throws IOException, InterruptedException {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Process p = new ProcessBuilder(List.of(java, "--add-modules=jdk.incubator.vector", "-cp",
        System.getProperty("java.class.path"), BackendTest.class.getName()))
        .redirectErrorStream(true).start();
    assertTrue(p.waitFor(60, TimeUnit.SECONDS), "the child JVM did not finish");
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(0, p.exitValue(), out);
    assertTrue(out.contains("Convoy kernels: Vector API"), out);
    assertTrue(out.contains("-XX:PerMethodTrapLimit=100,") && out.contains("add " + Backend.TRAP_LIMIT_OPTION), out);
  }
}
