package io.convoy.pipeline.model;

import java.io.Serializable;

/**
 * A layer description: small, serializable and free of buffers. It computes its output shape and
 * parameter count and rejects inputs it cannot take with a message that names the layer.
 */
public sealed interface LayerSpec extends Serializable permits Conv2dSpec, ConvTranspose2dSpec, MaxPool2dSpec,
    AvgPool2dSpec, DenseSpec, FlattenSpec, DropoutSpec, BatchNormSpec, ActivationSpec, ResidualSpec {

  /** Layer name, e.g. {@code conv1}; null until {@link ModelSpec} gives it a default. */
  String name();

  /** Output shape for one example; throws {@link ModelSpecException} naming the layer and the arithmetic. */
  TensorShape outputShape(TensorShape in);

  /** Trainable floats this layer owns in the flat parameter vector. */
  int paramCount(TensorShape in);

  /** Non-trainable floats (batch-norm running statistics). */
  default int bufferCount(TensorShape in) {
    return 0;
  }

  /** Tree type key, e.g. {@code conv2d}; also the prefix of default names. */
  String typeKey();

  /** The same layer under another name. */
  LayerSpec withName(String name);

  /** Prefix for error messages: {@code "layer conv1: "}. */
  default String where() {
    return "layer " + name() + ": ";
  }
}
