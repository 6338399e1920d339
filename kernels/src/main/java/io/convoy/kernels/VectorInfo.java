package io.convoy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The float species every Vector API kernel uses: this JVM's preferred one, or the one that
 * {@value Backend#VECTOR_BITS_PROPERTY} names. Loaded only when the Vector API module is present.
 */
final class VectorInfo {
  private static final String FORCED_BITS = System.getProperty(Backend.VECTOR_BITS_PROPERTY);
  static final VectorSpecies<Float> SPECIES = species(FORCED_BITS);

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

  /**
   * The species for a {@value Backend#VECTOR_BITS_PROPERTY} value (null: the preferred species). A
   * size the hardware lacks still runs correctly, on the Vector API's Java fallback (several times
   * slower): the tests use it to run the 16-lane kernels on an 8-lane machine.
   */
  static VectorSpecies<Float> species(String bits) {
    if (bits == null) {
      return FloatVector.SPECIES_PREFERRED;
    }
    switch (bits.trim()) {
      case "128":
        return FloatVector.SPECIES_128;
      case "256":
        return FloatVector.SPECIES_256;
      case "512":
        return FloatVector.SPECIES_512;
      default:
        throw new IllegalArgumentException("-D" + Backend.VECTOR_BITS_PROPERTY + " must be 128, 256 or 512 (bits"
            + " per vector), got '" + bits + "'");
    }
  }

  static String describe() {
    return "Convoy kernels: Vector API, " + SPECIES.vectorBitSize() + "-bit, " + SPECIES.length() + " float lanes"
        + (FORCED_BITS == null ? "" : " (forced by -D" + Backend.VECTOR_BITS_PROPERTY + "=" + FORCED_BITS.trim()
        + "; the preferred species is " + FloatVector.SPECIES_PREFERRED.vectorBitSize() + "-bit)");
  }
}
