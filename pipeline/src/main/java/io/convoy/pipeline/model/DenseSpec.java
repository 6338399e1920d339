package io.convoy.pipeline.model;

/**
 * Fully connected layer {@code out = in @ W^T + b}, weight (units, inFeatures) then bias (units).
 * Accepts any input shape and treats it as flattened ({@code inFeatures = c*h*w}), so an explicit
 * flatten before it is optional.
 */
public record DenseSpec(String name, int units, boolean bias) implements LayerSpec {

  public DenseSpec {
    SpecChecks.positive(name == null ? "dense" : name, "units", units);
  }

  @Override
  public TensorShape outputShape(TensorShape in) {
    return TensorShape.flat(units);
  }

  @Override
  public int paramCount(TensorShape in) {
    long n = (long) units * in.size() + (bias ? units : 0);
    if (n > Integer.MAX_VALUE) {
      throw new ModelSpecException(where() + units + " units x " + in.size() + " inputs = " + n
          + " parameters do not fit in one array");
    }
    return (int) n;
  }

  @Override
  public String typeKey() {
    return "dense";
  }

  @Override
  public DenseSpec withName(String newName) {
    return new DenseSpec(newName, units, bias);
  }
}
