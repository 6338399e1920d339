package io.convoy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/** The preferred float species of this JVM; loaded only when the Vector API module is present. */
final class VectorInfo {
  static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

  private VectorInfo() {}

  /**
   * The sum of v's lanes, added from lane 0 up. {@code reduceLanes(ADD)} leaves the order of a float sum
   * to the implementation: the Java fallback (interpreter, C1) adds in lane order, C2's intrinsic in
   * another, so the same inputs summed before and after a method is compiled can differ in the last bit,
   * and a prediction or a training step would depend on how warm the JIT is. This order is fixed: C2
   * unrolls the loop over the constant lane count into lane extracts.
   */
  static float sumLanes(FloatVector v) {
    float s = 0f;
    for (int i = 0; i < v.length(); i++) {
      s += v.lane(i);
    }
    return s;
  }

  static String describe() {
    return "Convoy kernels: Vector API, " + SPECIES.vectorBitSize() + "-bit, "
        + SPECIES.length() + " float lanes";
  }
}
