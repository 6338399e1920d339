package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.PrintWriter;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.TestFactory;
import org.junit.platform.engine.TestExecutionResult;
import org.junit.platform.engine.discovery.DiscoverySelectors;
import org.junit.platform.engine.support.descriptor.MethodSource;
import org.junit.platform.launcher.Launcher;
import org.junit.platform.launcher.LauncherDiscoveryRequest;
import org.junit.platform.launcher.MethodFilter;
import org.junit.platform.launcher.TagFilter;
import org.junit.platform.launcher.TestExecutionListener;
import org.junit.platform.launcher.TestIdentifier;
import org.junit.platform.launcher.core.LauncherDiscoveryRequestBuilder;
import org.junit.platform.launcher.core.LauncherFactory;
import org.junit.platform.launcher.listeners.SummaryGeneratingListener;
import org.junit.platform.launcher.listeners.TestExecutionSummary;

/**
 * The Vector API kernels' tests at both vector shapes the kernels are written for, 8 float lanes (256-bit,
 * AVX2) and 16 (512-bit, AVX-512), whatever the machine: the build's JVM runs them at its own shape, and
 * for each shape it lacks this test starts ONE child JVM that runs the same test classes at that shape and
 * reports back (exit code and output, which the parent asserts on).
 *
 * <p>How the child gets its shape. Every kernel takes its species from {@link VectorInfo#SPECIES}, chosen
 * once per JVM, so the shape is a JVM-wide choice: the child runs with {@code -XX:MaxVectorSize=32} (HotSpot
 * then has 256-bit vectors at most, 8 lanes, also on an AVX-512 machine) and
 * {@code -D}{@value Backend#VECTOR_BITS_PROPERTY} naming the shape. For 16 lanes that is a species wider
 * than the hardware vectors: C2 does not intrinsify it and the Vector API runs its Java fallback, which
 * computes the same lane-wise results, several times slower. So on an AVX2 machine the 16-lane child
 * executes the 16-lane kernel code (the 16 x 16 transposes, 16-wide tiles and blocks, the gathers, the
 * 16-lane dispatch); on an AVX-512 machine the 8-lane child executes the 8-lane code natively, and its
 * {@link VectorTransposeTest} runs the 512-bit transposes in a JVM capped at 256-bit vectors, the check
 * that the fallback is right.
 *
 * <p>The child runs the {@link #LANE_DEPENDENT} classes through the JUnit Platform launcher, without the
 * {@code long} tag and without {@link #LEFT_OUT} (finite-difference checks, which check the backward maths
 * that the vector-against-scalar comparisons then tie to every shape, and JIT checks, which are about C2
 * compiling the native shape; at the fallback's speed they would take most of the child's time). It exits
 * with 0 only if its lane count is the one asked for, every class ran at least one test, and nothing
 * failed, aborted (an assumption) or was skipped.
 */
class LaneShapesTest {
  /** The test classes whose kernels follow the lane count: tiles, blocks, tails, dispatch. */
  static final List<Class<?>> LANE_DEPENDENT = List.of(
      DirectConvTest.class, WinogradConvTest.class, ShiftedPlaneGradTest.class, VectorTransposeTest.class,
      Conv2dTest.class, Conv2dTransposeTest.class, GemmTest.class, Pool2dTest.class, ActivationsTest.class,
      VectorOpsTest.class, OptimizersTest.class, BiasTest.class, BatchNormTest.class, DropoutTest.class,
      LossesTest.class);

  /** Method names (a regular expression on {@code class#method(params)}) the child leaves out. */
  static final String LEFT_OUT = ".*#.*(FiniteDifferences|OnceCompiled).*";

  /** The vector sizes in bits the kernels must be tested at. */
  static final int[] SHAPES = {256, 512};

  /**
   * In the child: checks that the kernels run {@code args[0]} float lanes, runs {@link #LANE_DEPENDENT}
   * and exits with 0 if all passed (see the class comment), 1 otherwise.
   */
  public static void main(String[] args) {
    int expected = Integer.parseInt(args[0]);
    System.out.println(Backend.describe());
    if (!Backend.VECTOR || VectorInfo.SPECIES.length() != expected) {
      System.out.println("FAILED: the kernels run " + (Backend.VECTOR ? VectorInfo.SPECIES.length() + " lanes" : "scalar")
          + ", expected " + expected + " lanes");
      System.exit(1);
    }
    LauncherDiscoveryRequest request = LauncherDiscoveryRequestBuilder.request()
        .selectors(LANE_DEPENDENT.stream().map(DiscoverySelectors::selectClass).toList())
        .filters(TagFilter.excludeTags("long"), MethodFilter.excludeMethodNamePatterns(LEFT_OUT))
        .build();
    SummaryGeneratingListener summary = new SummaryGeneratingListener();
    Set<String> classesPassed = new LinkedHashSet<>();
    List<String> notRun = new ArrayList<>();
    TestExecutionListener perTest = new TestExecutionListener() {
      @Override
      public void executionFinished(TestIdentifier id, TestExecutionResult result) {
        if (id.isTest() && result.getStatus() == TestExecutionResult.Status.SUCCESSFUL
            && id.getSource().orElse(null) instanceof MethodSource m) {
          classesPassed.add(m.getClassName());
        }
      }

      @Override
      public void executionSkipped(TestIdentifier id, String reason) {
        notRun.add(id.getDisplayName() + ": " + reason);
      }
    };
    Launcher launcher = LauncherFactory.create();
    launcher.execute(request, summary, perTest);
    TestExecutionSummary s = summary.getSummary();
    PrintWriter out = new PrintWriter(System.out, true);
    s.printFailuresTo(out, 15);
    for (Class<?> c : LANE_DEPENDENT) {
      if (!classesPassed.contains(c.getName())) {
        notRun.add(c.getSimpleName() + ": no test of it passed");
      }
    }
    notRun.forEach(n -> out.println("NOT RUN " + n));
    out.printf("child summary at %d lanes: %d tests found, %d succeeded, %d failed, %d aborted, %d skipped%n",
        expected, s.getTestsFoundCount(), s.getTestsSucceededCount(), s.getTotalFailureCount(),
        s.getTestsAbortedCount(), s.getTestsSkippedCount());
    boolean ok = s.getTestsFoundCount() > 0 && s.getTotalFailureCount() == 0 && s.getTestsAbortedCount() == 0
        && s.getTestsSkippedCount() == 0 && notRun.isEmpty()
        && s.getTestsSucceededCount() == s.getTestsFoundCount();
    System.exit(ok ? 0 : 1);
  }

  @TestFactory
  Stream<DynamicTest> theShapesThisJvmLacks() {
    int lanesHere = Backend.VECTOR ? VectorInfo.SPECIES.length() : 0;
    List<DynamicTest> tests = new ArrayList<>();
    for (int bits : SHAPES) {
      int lanes = bits / Float.SIZE;
      if (lanes != lanesHere) {
        tests.add(DynamicTest.dynamicTest(lanes + " lanes (" + bits + "-bit) in a child JVM", () -> runAt(bits)));
      }
    }
    return tests.stream();
  }

  private static void runAt(int bits) {
    int lanes = bits / Float.SIZE;
    List<String> options = new ArrayList<>(ChildJvm.parentOptionsExcept(
        o -> o.startsWith("-XX:MaxVectorSize") || o.startsWith("-D" + Backend.VECTOR_BITS_PROPERTY)));
    options.addAll(List.of("-Xmx1g", "-ea", "-XX:MaxVectorSize=32", "-D" + Backend.VECTOR_BITS_PROPERTY + "=" + bits));
    long t0 = System.nanoTime();
    ChildJvm.Result r = ChildJvm.run(options, LaneShapesTest.class, List.of(String.valueOf(lanes)),
        Duration.ofMinutes(5));
    r.assertSucceeded("the kernels' tests at " + lanes + " lanes");
    r.output().lines().filter(l -> l.startsWith("Convoy kernels") || l.startsWith("child summary"))
        .forEach(l -> System.out.printf("child JVM at %d lanes (%.1f s): %s%n", lanes, (System.nanoTime() - t0) / 1e9, l));
    assertTrue(r.output().contains(bits + "-bit, " + lanes + " float lanes (forced by -D"
        + Backend.VECTOR_BITS_PROPERTY + "=" + bits), r.output());
    assertTrue(r.output().contains(" 0 failed, 0 aborted, 0 skipped"), r.output());
  }
}
