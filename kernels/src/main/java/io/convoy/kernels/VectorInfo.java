package io.convoy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The preferred float species of this JVM; loaded only when the Vector API module is present. */
final class VectorInfo {
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  private VectorInfo() {}

  static String describe() {
    return "Convoy kernels: Vector API, " + SPECIES.vectorBitSize() + "-bit, "
        + SPECIES.length() + " float lanes";
  }
}
