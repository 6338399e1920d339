package io.convoy.pipeline.model;

/**
 * Weight initialisation. Biases start at 0 in every scheme.
 * <ul>
 *   <li>UNIFORM: uniform in [-0.3, 0.3], as in the course material.</li>
 *   <li>XAVIER: Glorot uniform, limit sqrt(6 / (fan_in + fan_out)).</li>
 *   <li>HE: He normal, standard deviation sqrt(2 / fan_in).</li>
 * </ul>
 */
public enum InitKind {
  UNIFORM, XAVIER, HE
}
