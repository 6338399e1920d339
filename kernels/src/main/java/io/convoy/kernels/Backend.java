package io.convoy.kernels;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;
import java.util.Optional;
import java.util.logging.Logger;

/**
 * Chooses, once per JVM, whether the kernels run on the Vector API or on their scalar twins.
 *
 * <p>The Vector API path runs when the {@code jdk.incubator.vector} module is in the boot layer and
 * the system property {@code convoy.kernels.scalar} is not {@code true}. Classes that touch
 * {@code jdk.incubator.vector} are only loaded behind {@link #VECTOR}, so a JVM started without the
 * module still runs every kernel (slowly) instead of failing with {@code NoClassDefFoundError}.
 *
 * <p>It also checks HotSpot's {@code PerMethodTrapLimit} (see {@link #RECOMMENDED_TRAP_LIMIT}) and logs a
 * warning, also part of {@link #describe()}, when it is below what the kernels need.
 */
public final class Backend {
  private static final Logger LOG = Logger.getLogger(Backend.class.getName());

  /** Name of the system property that forces the scalar kernels. */
  public static final String FORCE_SCALAR_PROPERTY = "convoy.kernels.scalar";

  /**
   * Name of the system property that sets the vector size in bits (128, 256 or 512) instead of the
   * JVM's preferred one, so that a test can run the 16-lane kernels on an 8-lane machine.
   */
  public static final String VECTOR_BITS_PROPERTY = "convoy.kernels.vector-bits";

  /** True when the Vector API kernels run. */
  public static final boolean VECTOR;

  /**
   * The {@code -XX:PerMethodTrapLimit} the kernels need on HotSpot (default 100). C2 adds up the
   * deoptimization traps recorded in the profile of every method it inlines into one compiled method;
   * once the sum for a reason passes the limit it stops speculating on that reason and compiles a real
   * virtual call beside the inlined path. The Vector API's own methods ({@code FloatVector.lanewiseTemplate},
   * {@code VectorOperators$ImplCache.find}, ...) often carry 1-7 class-check traps from the JIT's warm-up,
   * and an unrolled kernel inlines them hundreds of times, so the sum passed 100 in some JVMs and not in
   * others: C2 then kept vectors boxed on the heap and the kernel ran 3-8x slower (docs/design.md, "The
   * JIT and the kernels"). At 100000 the sum never stops the speculation; C2 still checks each bytecode's
   * own trap record first, so a call that has trapped before is not speculated on again.
   */
  public static final long RECOMMENDED_TRAP_LIMIT = 100_000;

  /** The JVM option that sets {@link #RECOMMENDED_TRAP_LIMIT}. */
  public static final String TRAP_LIMIT_OPTION = "-XX:PerMethodTrapLimit=" + RECOMMENDED_TRAP_LIMIT;

  private static final String DESCRIPTION;
  private static final String WARNING;

  static {
    boolean moduleThere = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    boolean forcedScalar = Boolean.getBoolean(FORCE_SCALAR_PROPERTY);
    VECTOR = moduleThere && !forcedScalar;
    String description;
    if (VECTOR) {
      description = VectorInfo.describe();
    } else if (forcedScalar) {
      description = "Convoy kernels: scalar (forced by -D" + FORCE_SCALAR_PROPERTY + "=true)";
    } else {
      description = "Convoy kernels: scalar, because the jdk.incubator.vector module is missing;"
          + " add --add-modules jdk.incubator.vector to the JVM options for the Vector API kernels";
    }
    Optional<String> advice = VECTOR ? trapLimitAdvice(hotSpotOption("PerMethodTrapLimit")) : Optional.empty();
    WARNING = advice.orElse(!moduleThere ? description : null);
    if (advice.isPresent()) {
      DESCRIPTION = description + "; " + advice.get();
      LOG.warning(advice.get());
    } else {
      DESCRIPTION = description;
      LOG.info(DESCRIPTION);
    }
  }

  private Backend() {}

  /**
   * The warning for a {@code PerMethodTrapLimit} of {@code value} (null: not a HotSpot JVM, or the option
   * could not be read), or empty when it is at least {@link #RECOMMENDED_TRAP_LIMIT}.
   */
  static Optional<String> trapLimitAdvice(String value) {
    long limit;
    try {
      limit = value == null ? -1 : Long.parseLong(value.trim());
    } catch (NumberFormatException e) {
      limit = -1;
    }
    if (value == null || limit >= RECOMMENDED_TRAP_LIMIT) {
      return Optional.empty();
    }
    return Optional.of("warning: this JVM runs with -XX:PerMethodTrapLimit=" + value.trim() + ", below the "
        + RECOMMENDED_TRAP_LIMIT + " the Vector API kernels need: C2 may compile some of them with boxed vectors,"
        + " several times slower; add " + TRAP_LIMIT_OPTION + " to the JVM options (driver and executors)");
  }

  private static String hotSpotOption(String name) {
    try {
      return ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class).getVMOption(name).getValue();
    } catch (RuntimeException | LinkageError e) {
      return null;   // not HotSpot, or no such option: nothing to advise
    }
  }

  /**
   * What is wrong with this JVM's options for the kernels, if anything: the Vector API module missing
   * (the kernels run scalar) or a trap limit below {@link #RECOMMENDED_TRAP_LIMIT}. Empty when the JVM
   * runs the kernels as intended, or when the scalar kernels were asked for.
   */
  public static Optional<String> warning() {
    return Optional.ofNullable(WARNING);
  }

  /** One line that says which backend runs, e.g. "Convoy kernels: Vector API, 256-bit, 8 float lanes". */
  public static String describe() {
    return DESCRIPTION;
  }
}
