package io.convoy.pipeline.model;

/**
 * Avg pooling without padding over kernelH x kernelW windows moved by the strides; windows must end
 * exactly on the last row and column.
 */
public record AvgPool2dSpec(String name, int kernelH, int kernelW, int strideH, int strideW) implements LayerSpec {

  public AvgPool2dSpec {
    String self = name == null ? "avgpool2d" : name;
    SpecChecks.positive(self, "kernel height", kernelH);
    SpecChecks.positive(self, "kernel width", kernelW);
    SpecChecks.positive(self, "stride height", strideH);
    SpecChecks.positive(self, "stride width", strideW);
  }

  /** Square window with stride equal to the window. */
  public static AvgPool2dSpec of(String name, int kernel) {
    return new AvgPool2dSpec(name, kernel, kernel, kernel, kernel);
  }

  @Override
  public TensorShape outputShape(TensorShape in) {
    int p = SpecChecks.windowOut(this, "height", in.h(), kernelH, strideH, 0);
    int q = SpecChecks.windowOut(this, "width", in.w(), kernelW, strideW, 0);
    return new TensorShape(in.c(), p, q);
  }

  @Override
  public int paramCount(TensorShape in) {
    return 0;
  }

  @Override
  public String typeKey() {
    return "avgpool2d";
  }

  @Override
  public AvgPool2dSpec withName(String newName) {
    return new AvgPool2dSpec(newName, kernelH, kernelW, strideH, strideW);
  }
}
