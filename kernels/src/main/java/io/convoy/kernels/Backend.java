package io.convoy.kernels;

import java.util.logging.Logger;

/**
 * Chooses, once per JVM, whether the kernels run on the Vector API or on their scalar twins.
 *
 * <p>The Vector API path runs when the {@code jdk.incubator.vector} module is in the boot layer and
 * the system property {@code convoy.kernels.scalar} is not {@code true}. Classes that touch
 * {@code jdk.incubator.vector} are only loaded behind {@link #VECTOR}, so a JVM started without the
 * module still runs every kernel (slowly) instead of failing with {@code NoClassDefFoundError}.
 */
public final class Backend {
  private static final Logger LOG = Logger.getLogger(Backend.class.getName());

  /** Name of the system property that forces the scalar kernels. */
  public static final String FORCE_SCALAR_PROPERTY = "convoy.kernels.scalar";

  /** True when the Vector API kernels run. */
  public static final boolean VECTOR;

  private static final String DESCRIPTION;

  static {
    boolean moduleThere = ModuleLayer.boot().findModule("jdk.incubator.vector").isPresent();
    boolean forcedScalar = Boolean.getBoolean(FORCE_SCALAR_PROPERTY);
    VECTOR = moduleThere && !forcedScalar;
    if (VECTOR) {
      DESCRIPTION = VectorInfo.describe();
    } else if (forcedScalar) {
      DESCRIPTION = "Convoy kernels: scalar (forced by -D" + FORCE_SCALAR_PROPERTY + "=true)";
    } else {
      DESCRIPTION = "Convoy kernels: scalar, because the jdk.incubator.vector module is missing;"
          + " add --add-modules jdk.incubator.vector to the JVM options for the Vector API kernels";
    }
    LOG.info(DESCRIPTION);
  }

  private Backend() {}

  /** One line that says which backend runs, e.g. "Convoy kernels: Vector API, 256-bit, 8 float lanes". */
  public static String describe() {
    return DESCRIPTION;
  }
}
