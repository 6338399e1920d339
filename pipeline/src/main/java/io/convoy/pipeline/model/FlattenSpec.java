package io.convoy.pipeline.model;

/** Reshapes (c, h, w) into (c*h*w, 1, 1); at run time a view of the same array, no copy. */
public record FlattenSpec(String name) implements LayerSpec {

  @Override
  public TensorShape outputShape(TensorShape in) {
    return TensorShape.flat(in.size());
  }

  @Override
  public int paramCount(TensorShape in) {
    return 0;
  }

  @Override
  public String typeKey() {
    return "flatten";
  }

  @Override
  public FlattenSpec withName(String newName) {
    return new FlattenSpec(newName);
  }
}
