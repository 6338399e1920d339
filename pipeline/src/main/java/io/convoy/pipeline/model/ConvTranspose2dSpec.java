package io.convoy.pipeline.model;

/**
 * Transposed 2-D convolution (the gradient of a convolution with respect to its input).
 * Weight layout as in PyTorch: (inChannels, filters, kernelH, kernelW), then bias (filters).
 * Output size {@code (in - 1)*stride - 2*pad + kernel}.
 */
public record ConvTranspose2dSpec(String name, int filters, int kernelH, int kernelW, int strideH, int strideW,
    int padH, int padW, boolean bias) implements LayerSpec {

  public ConvTranspose2dSpec {
    String self = name == null ? "conv_transpose2d" : name;
    SpecChecks.positive(self, "filters", filters);
    SpecChecks.positive(self, "kernel height", kernelH);
    SpecChecks.positive(self, "kernel width", kernelW);
    SpecChecks.positive(self, "stride height", strideH);
    SpecChecks.positive(self, "stride width", strideW);
    SpecChecks.nonNegative(self, "padding height", padH);
    SpecChecks.nonNegative(self, "padding width", padW);
  }

  @Override
  public TensorShape outputShape(TensorShape in) {
    int h = SpecChecks.transposeOut(this, "height", in.h(), kernelH, strideH, padH);
    int w = SpecChecks.transposeOut(this, "width", in.w(), kernelW, strideW, padW);
    return new TensorShape(filters, h, w);
  }

  @Override
  public int paramCount(TensorShape in) {
    return in.c() * filters * kernelH * kernelW + (bias ? filters : 0);
  }

  @Override
  public String typeKey() {
    return "conv_transpose2d";
  }

  @Override
  public ConvTranspose2dSpec withName(String newName) {
    return new ConvTranspose2dSpec(newName, filters, kernelH, kernelW, strideH, strideW, padH, padW, bias);
  }
}
