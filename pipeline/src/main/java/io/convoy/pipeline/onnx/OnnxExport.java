package io.convoy.pipeline.onnx;

import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.model.ActivationSpec;
import io.convoy.pipeline.model.AvgPool2dSpec;
import io.convoy.pipeline.model.BatchNormSpec;
import io.convoy.pipeline.model.Conv2dSpec;
import io.convoy.pipeline.model.ConvTranspose2dSpec;
import io.convoy.pipeline.model.DenseSpec;
import io.convoy.pipeline.model.DropoutSpec;
import io.convoy.pipeline.model.FlattenSpec;
import io.convoy.pipeline.model.LayerSpec;
import io.convoy.pipeline.model.LossKind;
import io.convoy.pipeline.model.MaxPool2dSpec;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.model.ParamSlice;
import io.convoy.pipeline.model.ResidualSpec;
import io.convoy.pipeline.model.TensorShape;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Writes a trained Convoy model as an ONNX model (a {@code ModelProto}, IR version 7, opset 13),
 * encoded by hand: no protobuf or ONNX library is needed.
 *
 * <p>The graph has one input and two outputs:
 * <ul>
 *   <li>{@code input}: float {@code [N, C, H, W]}, the normalised example as Convoy's
 *       {@code Network} takes it; or, when a {@link Normalization} is given, the raw pixel values
 *       {@code 0..255} as floats, normalised inside the graph ({@code x * scale[c] + shift[c]}).</li>
 *   <li>{@code logits}: float {@code [N, classes]}, the last layer's output.</li>
 *   <li>{@code probability}: float {@code [N, classes]}: {@code Softmax(logits)} for a softmax
 *       cross-entropy model, the logits as they are for the other losses (what
 *       {@code Network.predict} gives).</li>
 * </ul>
 * Layer mapping: conv2d to {@code Conv}, conv_transpose2d to {@code ConvTranspose}, maxpool2d to
 * {@code MaxPool}, avgpool2d to {@code AveragePool}, dense to {@code Gemm} (transB = 1, after a
 * {@code Flatten} when its input is an image), flatten to {@code Flatten}, dropout to nothing
 * (identity at inference), batchnorm to {@code BatchNormalization} with the running statistics,
 * the activations to {@code Relu}, {@code LeakyRelu}, {@code Elu}, {@code Sigmoid}, {@code Tanh}
 * and {@code Softmax} (over all features of an example), residual blocks to their body, their
 * projection and an {@code Add}.
 */
public final class OnnxExport {
  /** ONNX IR version written. */
  public static final int IR_VERSION = 7;
  /** Opset of the default domain. */
  public static final int OPSET = 13;
  /** Name of the graph input. */
  public static final String INPUT = "input";
  /** Name of the logits output. */
  public static final String LOGITS = "logits";
  /** Name of the probability output. */
  public static final String PROBABILITY = "probability";

  // field numbers of onnx.proto
  private static final int MODEL_IR_VERSION = 1;
  private static final int MODEL_PRODUCER_NAME = 2;
  private static final int MODEL_PRODUCER_VERSION = 3;
  private static final int MODEL_GRAPH = 7;
  private static final int MODEL_OPSET_IMPORT = 8;
  private static final int OPSET_DOMAIN = 1;
  private static final int OPSET_VERSION = 2;
  private static final int GRAPH_NODE = 1;
  private static final int GRAPH_NAME = 2;
  private static final int GRAPH_INITIALIZER = 5;
  private static final int GRAPH_INPUT = 11;
  private static final int GRAPH_OUTPUT = 12;
  private static final int NODE_INPUT = 1;
  private static final int NODE_OUTPUT = 2;
  private static final int NODE_NAME = 3;
  private static final int NODE_OP_TYPE = 4;
  private static final int NODE_ATTRIBUTE = 5;
  private static final int ATTR_NAME = 1;
  private static final int ATTR_F = 2;
  private static final int ATTR_I = 3;
  private static final int ATTR_INTS = 8;
  private static final int ATTR_TYPE = 20;
  private static final int ATTR_TYPE_FLOAT = 1;
  private static final int ATTR_TYPE_INT = 2;
  private static final int ATTR_TYPE_INTS = 7;
  private static final int TENSOR_DIMS = 1;
  private static final int TENSOR_DATA_TYPE = 2;
  private static final int TENSOR_NAME = 8;
  private static final int TENSOR_RAW_DATA = 9;
  private static final int DATA_TYPE_FLOAT = 1;
  private static final int DATA_TYPE_INT64 = 7;
  private static final int VALUE_INFO_NAME = 1;
  private static final int VALUE_INFO_TYPE = 2;
  private static final int TYPE_TENSOR = 1;
  private static final int TYPE_TENSOR_ELEM_TYPE = 1;
  private static final int TYPE_TENSOR_SHAPE = 2;
  private static final int SHAPE_DIM = 1;
  private static final int DIM_VALUE = 1;
  private static final int DIM_PARAM = 2;

  private final ModelSpec spec;
  private final float[] params;
  private final float[] buffers;
  private final Map<String, ParamSlice> slices = new HashMap<>();
  private final Map<String, ParamSlice> bufferSlices = new HashMap<>();
  private final List<ProtoWriter> nodes = new ArrayList<>();
  private final List<ProtoWriter> initializers = new ArrayList<>();
  private int counter;

  private OnnxExport(ModelSpec spec, float[] params, float[] buffers) {
    this.spec = spec;
    this.params = params;
    this.buffers = buffers;
    Network net = new Network(spec, 1);
    for (ParamSlice s : net.slices()) {
      slices.put(s.name(), s);
    }
    for (ParamSlice s : net.bufferSlices()) {
      bufferSlices.put(s.name(), s);
    }
  }

  /** The ONNX bytes of {@code model}; see the class comment for inputs and outputs. */
  public static byte[] toBytes(SavedModel model, Normalization norm) {
    if (model == null) {
      throw new IllegalArgumentException("ONNX export: model must not be null");
    }
    return toBytes(model.spec(), model.params(), model.buffers(), norm);
  }

  /**
   * The ONNX bytes of a model given by its spec and flat vectors.
   *
   * @param norm null: the graph takes normalised input; else it takes raw pixel values 0..255
   */
  public static byte[] toBytes(ModelSpec spec, float[] params, float[] buffers, Normalization norm) {
    if (spec == null || params == null || buffers == null) {
      throw new IllegalArgumentException("ONNX export: spec, params and buffers must not be null");
    }
    if (params.length != spec.paramCount() || buffers.length != spec.bufferCount()) {
      throw new IllegalArgumentException("ONNX export: the spec has " + spec.paramCount() + " parameters and "
          + spec.bufferCount() + " buffer floats, got " + params.length + " and " + buffers.length);
    }
    if (norm != null && norm.channels() != spec.input().c()) {
      throw new IllegalArgumentException("ONNX export: normalization has " + norm.channels()
          + " channels, the model input " + spec.input() + " has " + spec.input().c());
    }
    return new OnnxExport(spec, params, buffers).build(norm);
  }

  /** Writes the ONNX file to {@code path} on any Hadoop file system (overwriting it). */
  public static void write(SavedModel model, Normalization norm, Path path, Configuration conf) {
    byte[] bytes = toBytes(model, norm);
    try {
      FileSystem fs = path.getFileSystem(conf);
      try (OutputStream out = fs.create(path, true)) {
        out.write(bytes);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("ONNX export: cannot write " + path + ": " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------------------------ graph

  /** A tensor flowing through the graph: its name, the Convoy shape and whether it is (N, features). */
  private record Value(String name, TensorShape shape, boolean flat) {
  }

  private byte[] build(Normalization norm) {
    TensorShape in = spec.input();
    Value v = new Value(INPUT, in, false);
    if (norm != null) {
      float[] scale = new float[in.c()];
      float[] shift = new float[in.c()];
      for (int c = 0; c < in.c(); c++) {
        scale[c] = norm.scale(c);
        shift[c] = norm.shift(c);
      }
      String s = floatInit("normalization.scale", new long[] {1, in.c(), 1, 1}, scale);
      String b = floatInit("normalization.shift", new long[] {1, in.c(), 1, 1}, shift);
      String scaled = node("Mul", "normalize_scale", List.of(INPUT, s), List.of());
      v = new Value(node("Add", "normalize_shift", List.of(scaled, b), List.of()), in, false);
    }
    for (LayerSpec l : spec.layers()) {
      v = layer(l, v);
    }
    if (!v.flat()) {
      v = new Value(node("Flatten", "output_flatten", List.of(v.name()), List.of(intAttr("axis", 1))), v.shape(),
          true);
    }
    addNode("Identity", "logits", List.of(v.name()), List.of(LOGITS), List.of());
    if (spec.loss() == LossKind.SOFTMAX_CROSS_ENTROPY) {
      addNode("Softmax", "probability", List.of(LOGITS), List.of(PROBABILITY), List.of(intAttr("axis", 1)));
    } else {
      addNode("Identity", "probability", List.of(LOGITS), List.of(PROBABILITY), List.of());
    }

    ProtoWriter graph = new ProtoWriter();
    for (ProtoWriter n : nodes) {
      graph.message(GRAPH_NODE, n);
    }
    graph.string(GRAPH_NAME, "convoy");
    for (ProtoWriter t : initializers) {
      graph.message(GRAPH_INITIALIZER, t);
    }
    graph.message(GRAPH_INPUT, valueInfo(INPUT, in.c(), in.h(), in.w()));
    graph.message(GRAPH_OUTPUT, valueInfo(LOGITS, spec.numClasses()));
    graph.message(GRAPH_OUTPUT, valueInfo(PROBABILITY, spec.numClasses()));

    ProtoWriter model = new ProtoWriter();
    model.varint(MODEL_IR_VERSION, IR_VERSION);
    model.string(MODEL_PRODUCER_NAME, "convoy");
    model.string(MODEL_PRODUCER_VERSION, "0.1");
    model.message(MODEL_GRAPH, graph);
    model.message(MODEL_OPSET_IMPORT, new ProtoWriter().string(OPSET_DOMAIN, "").varint(OPSET_VERSION, OPSET));
    return model.toBytes();
  }

  private Value layer(LayerSpec l, Value v) {
    TensorShape out = l.outputShape(v.shape());
    String n = l.name();
    if (l instanceof Conv2dSpec c) {
      List<String> ins = new ArrayList<>(List.of(image(v).name(), param(n + ".weight")));
      if (c.bias()) {
        ins.add(param(n + ".bias"));
      }
      return new Value(node("Conv", n, ins, List.of(ints("kernel_shape", c.kernelH(), c.kernelW()),
          ints("strides", c.strideH(), c.strideW()), ints("pads", c.padH(), c.padW(), c.padH(), c.padW()))),
          out, false);
    }
    if (l instanceof ConvTranspose2dSpec c) {
      List<String> ins = new ArrayList<>(List.of(image(v).name(), param(n + ".weight")));
      if (c.bias()) {
        ins.add(param(n + ".bias"));
      }
      return new Value(node("ConvTranspose", n, ins, List.of(ints("kernel_shape", c.kernelH(), c.kernelW()),
          ints("strides", c.strideH(), c.strideW()), ints("pads", c.padH(), c.padW(), c.padH(), c.padW()))),
          out, false);
    }
    if (l instanceof MaxPool2dSpec p) {
      return new Value(node("MaxPool", n, List.of(image(v).name()), List.of(ints("kernel_shape", p.kernelH(),
          p.kernelW()), ints("strides", p.strideH(), p.strideW()))), out, false);
    }
    if (l instanceof AvgPool2dSpec p) {
      return new Value(node("AveragePool", n, List.of(image(v).name()), List.of(ints("kernel_shape", p.kernelH(),
          p.kernelW()), ints("strides", p.strideH(), p.strideW()))), out, false);
    }
    if (l instanceof DenseSpec d) {
      List<String> ins = new ArrayList<>(List.of(flat(v, n).name(), param(n + ".weight")));
      if (d.bias()) {
        ins.add(param(n + ".bias"));
      }
      return new Value(node("Gemm", n, ins, List.of(intAttr("transB", 1))), out, true);
    }
    if (l instanceof FlattenSpec) {
      return new Value(node("Flatten", n, List.of(v.name()), List.of(intAttr("axis", 1))), out, true);
    }
    if (l instanceof DropoutSpec) {
      return new Value(v.name(), out, v.flat());      // identity at inference
    }
    if (l instanceof BatchNormSpec b) {
      return new Value(node("BatchNormalization", n, List.of(v.name(), param(n + ".weight"), param(n + ".bias"),
          buffer(n + ".running_mean"), buffer(n + ".running_var")), List.of(floatAttr("epsilon", b.eps()))),
          out, v.flat());
    }
    if (l instanceof ActivationSpec a) {
      return activation(a, v, out);
    }
    ResidualSpec r = (ResidualSpec) l;
    Value body = v;
    for (LayerSpec b : r.body()) {
      body = layer(b, body);
    }
    Value skip = r.projection() == null ? v : layer(r.projection(), v);
    if (body.flat() != skip.flat()) {
      body = body.flat() ? body : flat(body, n + ".body");
      skip = skip.flat() ? skip : flat(skip, n + ".skip");
    }
    return new Value(node("Add", n, List.of(body.name(), skip.name()), List.of()), out, body.flat());
  }

  private Value activation(ActivationSpec a, Value v, TensorShape out) {
    String n = a.name();
    return switch (a.kind()) {
      case RELU -> new Value(node("Relu", n, List.of(v.name()), List.of()), out, v.flat());
      case LEAKY_RELU -> new Value(node("LeakyRelu", n, List.of(v.name()), List.of(floatAttr("alpha", a.alpha()))),
          out, v.flat());
      case ELU -> new Value(node("Elu", n, List.of(v.name()), List.of(floatAttr("alpha", a.alpha()))), out,
          v.flat());
      case SIGMOID -> new Value(node("Sigmoid", n, List.of(v.name()), List.of()), out, v.flat());
      case TANH -> new Value(node("Tanh", n, List.of(v.name()), List.of()), out, v.flat());
      case SOFTMAX -> {
        // Convoy's softmax runs over every feature of an example
        String sm = node("Softmax", n, List.of(flat(v, n).name()), List.of(intAttr("axis", 1)));
        yield v.flat() ? new Value(sm, out, true) : image(new Value(sm, out, true));
      }
    };
  }

  /** {@code v} as (N, C*H*W). */
  private Value flat(Value v, String layer) {
    if (v.flat()) {
      return v;
    }
    return new Value(node("Flatten", layer + ".flatten", List.of(v.name()), List.of(intAttr("axis", 1))), v.shape(),
        true);
  }

  /** {@code v} as (N, C, H, W). */
  private Value image(Value v) {
    if (!v.flat()) {
      return v;
    }
    TensorShape s = v.shape();
    String shape = int64Init("reshape" + (counter + 1) + ".shape", new long[] {-1, s.c(), s.h(), s.w()});
    return new Value(node("Reshape", "reshape", List.of(v.name(), shape), List.of()), s, false);
  }

  // ------------------------------------------------------------------------------------ protobuf pieces

  private String param(String name) {
    ParamSlice s = slices.get(name);
    if (s == null) {
      throw new IllegalStateException("ONNX export: no parameter tensor " + name + " in the model's layout");
    }
    return floatInit(name, s, params);
  }

  private String buffer(String name) {
    ParamSlice s = bufferSlices.get(name);
    if (s == null) {
      throw new IllegalStateException("ONNX export: no buffer tensor " + name + " in the model's layout");
    }
    return floatInit(name, s, buffers);
  }

  private String floatInit(String name, ParamSlice s, float[] from) {
    int[] shape = s.shape();
    long[] dims = new long[shape.length];
    for (int i = 0; i < shape.length; i++) {
      dims[i] = shape[i];
    }
    float[] data = new float[s.length()];
    System.arraycopy(from, s.offset(), data, 0, s.length());
    return floatInit(name, dims, data);
  }

  private String floatInit(String name, long[] dims, float[] data) {
    ByteBuffer bb = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    bb.asFloatBuffer().put(data);
    initializers.add(tensor(name, dims, DATA_TYPE_FLOAT, bb.array()));
    return name;
  }

  private String int64Init(String name, long[] data) {
    ByteBuffer bb = ByteBuffer.allocate(data.length * 8).order(ByteOrder.LITTLE_ENDIAN);
    bb.asLongBuffer().put(data);
    initializers.add(tensor(name, new long[] {data.length}, DATA_TYPE_INT64, bb.array()));
    return name;
  }

  private static ProtoWriter tensor(String name, long[] dims, int type, byte[] raw) {
    ProtoWriter t = new ProtoWriter();
    for (long d : dims) {
      t.varint(TENSOR_DIMS, d);
    }
    t.varint(TENSOR_DATA_TYPE, type);
    t.string(TENSOR_NAME, name);
    t.bytes(TENSOR_RAW_DATA, raw);
    return t;
  }

  /** Adds a node with one fresh output, named after the layer; returns the output name. */
  private String node(String op, String layer, List<String> inputs, List<ProtoWriter> attrs) {
    String out = layer + ":" + op + ":" + (++counter);
    addNode(op, layer + "/" + counter, inputs, List.of(out), attrs);
    return out;
  }

  private void addNode(String op, String name, List<String> inputs, List<String> outputs, List<ProtoWriter> attrs) {
    ProtoWriter n = new ProtoWriter();
    for (String i : inputs) {
      n.string(NODE_INPUT, i);
    }
    for (String o : outputs) {
      n.string(NODE_OUTPUT, o);
    }
    n.string(NODE_NAME, name);
    n.string(NODE_OP_TYPE, op);
    for (ProtoWriter a : attrs) {
      n.message(NODE_ATTRIBUTE, a);
    }
    nodes.add(n);
  }

  private static ProtoWriter intAttr(String name, long v) {
    return new ProtoWriter().string(ATTR_NAME, name).varint(ATTR_I, v).varint(ATTR_TYPE, ATTR_TYPE_INT);
  }

  private static ProtoWriter floatAttr(String name, float v) {
    return new ProtoWriter().string(ATTR_NAME, name).float32(ATTR_F, v).varint(ATTR_TYPE, ATTR_TYPE_FLOAT);
  }

  private static ProtoWriter ints(String name, long... v) {
    ProtoWriter a = new ProtoWriter().string(ATTR_NAME, name);
    for (long x : v) {
      a.varint(ATTR_INTS, x);
    }
    return a.varint(ATTR_TYPE, ATTR_TYPE_INTS);
  }

  /** A float tensor value info with a symbolic batch dimension {@code N} and the given other dimensions. */
  private static ProtoWriter valueInfo(String name, int... dims) {
    ProtoWriter shape = new ProtoWriter();
    shape.message(SHAPE_DIM, new ProtoWriter().string(DIM_PARAM, "N"));
    for (int d : dims) {
      shape.message(SHAPE_DIM, new ProtoWriter().varint(DIM_VALUE, d));
    }
    ProtoWriter tensor = new ProtoWriter().varint(TYPE_TENSOR_ELEM_TYPE, DATA_TYPE_FLOAT).message(TYPE_TENSOR_SHAPE,
        shape);
    return new ProtoWriter().string(VALUE_INFO_NAME, name).message(VALUE_INFO_TYPE,
        new ProtoWriter().message(TYPE_TENSOR, tensor));
  }
}
