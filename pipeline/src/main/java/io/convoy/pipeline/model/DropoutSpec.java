package io.convoy.pipeline.model;

/** Inverted dropout: in training each value is zeroed with probability {@code rate}, the rest scaled by 1/(1-rate). */
public record DropoutSpec(String name, float rate) implements LayerSpec {

  public DropoutSpec {
    if (!(rate >= 0f && rate < 1f)) {
      throw new ModelSpecException("layer " + (name == null ? "dropout" : name) + ": rate must be in [0, 1), got " + rate);
    }
  }

  @Override
  public TensorShape outputShape(TensorShape in) {
    return in;
  }

  @Override
  public int paramCount(TensorShape in) {
    return 0;
  }

  @Override
  public String typeKey() {
    return "dropout";
  }

  @Override
  public DropoutSpec withName(String newName) {
    return new DropoutSpec(newName, rate);
  }
}
