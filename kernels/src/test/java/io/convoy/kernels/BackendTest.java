package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
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
  void theVectorSizeCanBeForcedAndABadOneIsNamed() {
    assertEquals(16, VectorInfo.species("512").length());
    assertEquals(8, VectorInfo.species(" 256 ").length());
    assertEquals(4, VectorInfo.species("128").length());
    assertEquals(jdk.incubator.vector.FloatVector.SPECIES_PREFERRED, VectorInfo.species(null));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VectorInfo.species("1024"));
    assertEquals("-D" + Backend.VECTOR_BITS_PROPERTY + " must be 128, 256 or 512 (bits per vector), got '1024'",
        e.getMessage());
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
  void aJvmWithTheDefaultLimitIsWarned() {
    ChildJvm.Result r = ChildJvm.run(List.of("--add-modules=jdk.incubator.vector"), BackendTest.class, List.of(),
        Duration.ofSeconds(60)).assertSucceeded("Backend.describe() at HotSpot's defaults");
    String out = r.output();
    assertTrue(out.contains("Convoy kernels: Vector API"), out);
    assertTrue(out.contains("-XX:PerMethodTrapLimit=100,") && out.contains("add " + Backend.TRAP_LIMIT_OPTION), out);
  }
}
