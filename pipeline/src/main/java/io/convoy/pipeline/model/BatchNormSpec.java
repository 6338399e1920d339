package io.convoy.pipeline.model;

/**
 * Batch normalisation per channel of an image (c, h, w) or per feature of a flat input (n, 1, 1).
 * Parameters gamma then beta (one per channel); buffers running mean then running variance.
 * {@code momentum} is PyTorch's: {@code running = (1 - momentum)*running + momentum*batch}.
 */
public record BatchNormSpec(String name, float eps, float momentum) implements LayerSpec {

  public BatchNormSpec {
    String n = name == null ? "batchnorm" : name;
    if (!(eps > 0f)) {
      throw new ModelSpecException("layer " + n + ": eps must be > 0, got " + eps);
    }
    if (!(momentum >= 0f && momentum <= 1f)) {
      throw new ModelSpecException("layer " + n + ": momentum must be in [0, 1], got " + momentum);
    }
  }

  /** PyTorch's defaults: eps 1e-5, momentum 0.1. */
  public static BatchNormSpec of(String name) {
    return new BatchNormSpec(name, 1e-5f, 0.1f);
  }

  /** Normalised channels: c of an image, or the feature count of a flat input. */
  public static int channels(TensorShape in) {
    return in.c();
  }

  @Override
  public TensorShape outputShape(TensorShape in) {
    return in;
  }

  @Override
  public int paramCount(TensorShape in) {
    return 2 * in.c();
  }

  @Override
  public int bufferCount(TensorShape in) {
    return 2 * in.c();
  }

  @Override
  public String typeKey() {
    return "batchnorm";
  }

  @Override
  public BatchNormSpec withName(String newName) {
    return new BatchNormSpec(newName, eps, momentum);
  }
}
