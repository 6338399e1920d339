package io.convoy.pipeline.model;

/**
 * 2-D convolution with zero padding; weight (filters, inChannels, kernelH, kernelW) then bias (filters).
 * The stride must end exactly on the last row and column of the padded input.
 */
public record Conv2dSpec(String name, int filters, int kernelH, int kernelW, int strideH, int strideW,
    int padH, int padW, boolean bias) implements LayerSpec {

  public Conv2dSpec {
    String self = name == null ? "conv2d" : name;
    SpecChecks.positive(self, "filters", filters);
    SpecChecks.positive(self, "kernel height", kernelH);
    SpecChecks.positive(self, "kernel width", kernelW);
    SpecChecks.positive(self, "stride height", strideH);
    SpecChecks.positive(self, "stride width", strideW);
    SpecChecks.nonNegative(self, "padding height", padH);
    SpecChecks.nonNegative(self, "padding width", padW);
  }

  /** Square kernel, same stride and padding both ways, with bias. */
  public static Conv2dSpec of(String name, int filters, int kernel, int stride, int pad) {
    return new Conv2dSpec(name, filters, kernel, kernel, stride, stride, pad, pad, true);
  }

  @Override
  public TensorShape outputShape(TensorShape in) {
    int p = SpecChecks.windowOut(this, "height", in.h(), kernelH, strideH, padH);
    int q = SpecChecks.windowOut(this, "width", in.w(), kernelW, strideW, padW);
    return new TensorShape(filters, p, q);
  }

  @Override
  public int paramCount(TensorShape in) {
    return filters * in.c() * kernelH * kernelW + (bias ? filters : 0);
  }

  @Override
  public String typeKey() {
    return "conv2d";
  }

  @Override
  public Conv2dSpec withName(String newName) {
    return new Conv2dSpec(newName, filters, kernelH, kernelW, strideH, strideW, padH, padW, bias);
  }
}
