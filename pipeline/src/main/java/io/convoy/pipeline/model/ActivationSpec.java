package io.convoy.pipeline.model;

/**
 * An activation as a layer. {@code alpha} is the negative slope of leaky ReLU or the alpha of ELU;
 * other kinds ignore it. Softmax runs over all values of one example.
 */
public record ActivationSpec(String name, ActivationKind kind, float alpha) implements LayerSpec {

  public ActivationSpec {
    if (kind == null) {
      throw new ModelSpecException("layer " + name + ": activation kind is missing");
    }
  }

  /** Activation with PyTorch's default alpha (0.01 for leaky ReLU, 1 for ELU). */
  public static ActivationSpec of(String name, ActivationKind kind) {
    return new ActivationSpec(name, kind, defaultAlpha(kind));
  }

  /** 0.01 for leaky ReLU, 1 for ELU, 0 otherwise. */
  public static float defaultAlpha(ActivationKind kind) {
    return switch (kind) {
      case LEAKY_RELU -> 0.01f;
      case ELU -> 1f;
      default -> 0f;
    };
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
    return kind.key();
  }

  @Override
  public ActivationSpec withName(String newName) {
    return new ActivationSpec(newName, kind, alpha);
  }
}
