package io.convoy.pipeline.model;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * A whole model: input shape of one example, layers in order, loss and number of classes.
 *
 * <p>The compact constructor gives unnamed layers a default name, type plus a per-type counter
 * starting at 1 ({@code conv2d_1}, {@code dense_2}; layers inside residual blocks count too), rejects
 * duplicate names, walks the shapes (so a layer that does not fit fails here, naming the layer) and
 * checks that the output holds {@code numClasses} values.
 */
public record ModelSpec(TensorShape input, List<LayerSpec> layers, LossKind loss, int numClasses)
    implements Serializable {

  public ModelSpec {
    if (input == null) {
      throw new ModelSpecException("model input shape is missing");
    }
    if (layers == null || layers.isEmpty()) {
      throw new ModelSpecException("model has no layers");
    }
    if (loss == null) {
      throw new ModelSpecException("model loss is missing");
    }
    if (numClasses <= 0) {
      throw new ModelSpecException("model classes must be > 0, got " + numClasses);
    }
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i) == null) {
        throw new ModelSpecException("model layer " + i + " is null");
      }
    }
    layers = Naming.fill(layers);
    TensorShape s = input;
    for (LayerSpec l : layers) {
      s = l.outputShape(s);
    }
    if (s.size() != numClasses) {
      throw new ModelSpecException("model output " + s + " of layer " + layers.get(layers.size() - 1).name()
          + " holds " + s.size() + " values, expected classes = " + numClasses);
    }
  }

  /**
   * The reference CNN on 28x28x1: conv32 3x3 pad 1, relu, maxpool 2, conv64 3x3 pad 1, relu,
   * maxpool 2, flatten, dense 128, relu, dropout 0.25, dense 10; softmax cross entropy.
   */
  public static ModelSpec referenceCnn() {
    return new ModelSpec(new TensorShape(1, 28, 28), List.of(
        Conv2dSpec.of("conv1", 32, 3, 1, 1),
        ActivationSpec.of("relu1", ActivationKind.RELU),
        MaxPool2dSpec.of("pool1", 2),
        Conv2dSpec.of("conv2", 64, 3, 1, 1),
        ActivationSpec.of("relu2", ActivationKind.RELU),
        MaxPool2dSpec.of("pool2", 2),
        new FlattenSpec("flatten"),
        new DenseSpec("fc1", 128, true),
        ActivationSpec.of("relu3", ActivationKind.RELU),
        new DropoutSpec("dropout", 0.25f),
        new DenseSpec("fc2", 10, true)),
        LossKind.SOFTMAX_CROSS_ENTROPY, 10);
  }

  /**
   * Classic LeNet-5 on 3x32x32 with tanh activations and average pooling (as in LeCun 1998):
   * conv6 5x5 -> 6x28x28, avgpool 2 -> 6x14x14, conv16 5x5 -> 16x10x10, avgpool 2 -> 16x5x5,
   * flatten, dense 120, 84, 10; softmax cross entropy.
   */
  public static ModelSpec lenet5() {
    return new ModelSpec(new TensorShape(3, 32, 32), List.of(
        Conv2dSpec.of("conv1", 6, 5, 1, 0),
        ActivationSpec.of("tanh1", ActivationKind.TANH),
        AvgPool2dSpec.of("pool1", 2),
        Conv2dSpec.of("conv2", 16, 5, 1, 0),
        ActivationSpec.of("tanh2", ActivationKind.TANH),
        AvgPool2dSpec.of("pool2", 2),
        new FlattenSpec("flatten"),
        new DenseSpec("fc1", 120, true),
        ActivationSpec.of("tanh3", ActivationKind.TANH),
        new DenseSpec("fc2", 84, true),
        ActivationSpec.of("tanh4", ActivationKind.TANH),
        new DenseSpec("fc3", 10, true)),
        LossKind.SOFTMAX_CROSS_ENTROPY, 10);
  }

  /**
   * The Keras course model on 28x28x1: conv16 3x3 relu -> 26x26x16, maxpool 2 -> 13x13x16,
   * flatten -> 2704, dense 32 relu, dense 10; softmax cross entropy on the logits.
   */
  public static ModelSpec kerasCourse() {
    return new ModelSpec(new TensorShape(1, 28, 28), List.of(
        Conv2dSpec.of("conv1", 16, 3, 1, 0),
        ActivationSpec.of("relu1", ActivationKind.RELU),
        MaxPool2dSpec.of("pool1", 2),
        new FlattenSpec("flatten"),
        new DenseSpec("dense1", 32, true),
        ActivationSpec.of("relu2", ActivationKind.RELU),
        new DenseSpec("dense2", 10, true)),
        LossKind.SOFTMAX_CROSS_ENTROPY, 10);
  }

  /** The shape walk: the input first, then the output of every top-level layer. */
  public List<TensorShape> shapes() {
    List<TensorShape> out = new ArrayList<>(layers.size() + 1);
    TensorShape s = input;
    out.add(s);
    for (LayerSpec l : layers) {
      s = l.outputShape(s);
      out.add(s);
    }
    return List.copyOf(out);
  }

  /** Trainable floats of the whole model. */
  public int paramCount() {
    long n = 0;
    TensorShape s = input;
    for (LayerSpec l : layers) {
      n += l.paramCount(s);
      s = l.outputShape(s);
    }
    if (n > Integer.MAX_VALUE) {
      throw new ModelSpecException("model has " + n + " parameters, more than one array holds");
    }
    return (int) n;
  }

  /** Non-trainable floats (batch-norm running statistics) of the whole model. */
  public int bufferCount() {
    int n = 0;
    TensorShape s = input;
    for (LayerSpec l : layers) {
      n += l.bufferCount(s);
      s = l.outputShape(s);
    }
    return n;
  }

  /** A table: layer, type, output shape, parameters; then the totals. */
  public String summary() {
    StringBuilder b = new StringBuilder();
    String fmt = "%-16s %-18s %-16s %10s%n";
    b.append(String.format(Locale.ROOT, fmt, "layer", "type", "output", "params"));
    b.append(String.format(Locale.ROOT, fmt, "input", "", input, ""));
    TensorShape s = input;
    for (LayerSpec l : layers) {
      TensorShape o = l.outputShape(s);
      b.append(String.format(Locale.ROOT, fmt, l.name(), l.typeKey(), o, l.paramCount(s)));
      s = o;
    }
    b.append(String.format(Locale.ROOT, "total params %d, buffers %d, loss %s, classes %d%n",
        paramCount(), bufferCount(), loss.key(), numClasses));
    return b.toString();
  }

  /** Default names and the duplicate check. */
  private static final class Naming {
    private final Set<String> taken = new HashSet<>();
    private final Map<String, Integer> counters = new HashMap<>();

    static List<LayerSpec> fill(List<LayerSpec> layers) {
      Naming n = new Naming();
      n.collect(layers, null);
      return n.name(layers);
    }

    private void collect(List<LayerSpec> layers, LayerSpec projection) {
      List<LayerSpec> all = new ArrayList<>(layers);
      if (projection != null) {
        all.add(projection);
      }
      for (LayerSpec l : all) {
        if (l.name() != null) {
          if (l.name().isBlank()) {
            throw new ModelSpecException("layer of type " + l.typeKey() + " has a blank name");
          }
          if (!taken.add(l.name())) {
            throw new ModelSpecException("layer name " + l.name() + " is used twice; layer names must be unique");
          }
        }
        if (l instanceof ResidualSpec r) {
          collect(r.body(), r.projection());
        }
      }
    }

    private List<LayerSpec> name(List<LayerSpec> layers) {
      List<LayerSpec> out = new ArrayList<>(layers.size());
      for (LayerSpec l : layers) {
        out.add(one(l));
      }
      return List.copyOf(out);
    }

    private LayerSpec one(LayerSpec l) {
      LayerSpec named = l.name() != null ? l : l.withName(fresh(l.typeKey()));
      if (named instanceof ResidualSpec r) {
        List<LayerSpec> body = name(r.body());
        LayerSpec proj = r.projection() == null ? null : one(r.projection());
        named = r.withChildren(body, proj);
      }
      return named;
    }

    private String fresh(String type) {
      while (true) {
        int i = counters.merge(type, 1, Integer::sum);
        String candidate = type + "_" + i;
        if (taken.add(candidate)) {
          return candidate;
        }
      }
    }
  }
}
