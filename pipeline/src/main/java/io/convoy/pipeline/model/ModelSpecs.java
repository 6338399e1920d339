package io.convoy.pipeline.model;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Reads a {@link ModelSpec} from a plain tree (Map / List / Number / String / Boolean, as HOCON's
 * {@code root().unwrapped()} or a JSON parser gives) and writes it back.
 *
 * <p>Model keys: {@code {input: [c, h, w], loss: softmax_cross_entropy, classes: 10, layers: [...]}}.
 * Layer keys: {@code {type: conv2d, name?: conv1, filters: 32, kernel: 3 | [3, 3], stride: 1 | [1, 1],
 * padding: 1 | [1, 1] | same | valid, bias: true}}, {@code {type: maxpool2d | avgpool2d, kernel: 2,
 * stride: (default kernel)}}, {@code {type: dense, units: 128, bias?}}, {@code {type: flatten}},
 * {@code {type: dropout, rate: 0.25}}, {@code {type: batchnorm, eps?: 1e-5, momentum?: 0.1}},
 * {@code {type: relu | leaky_relu | elu | sigmoid | tanh | softmax, alpha?}} (alpha for leaky_relu and elu only),
 * {@code {type: residual, body: [...], projection?: {...}}}, {@code {type: conv_transpose2d, ...as conv2d}}.
 * {@code padding: same} needs stride 1 and an odd kernel.
 *
 * <p>Every error names the full key path and the value seen, e.g.
 * {@code model.layers[3].kernel: expected a positive integer or [h, w], got -2}.
 */
public final class ModelSpecs {

  private static final Set<String> MODEL_KEYS = Set.of("input", "loss", "classes", "layers");
  private static final List<String> LAYER_TYPES = List.of("conv2d", "conv_transpose2d", "maxpool2d", "avgpool2d",
      "dense", "flatten", "dropout", "batchnorm", "relu", "leaky_relu", "elu", "sigmoid", "tanh", "softmax", "residual");

  private ModelSpecs() {
  }

  /** Parses a model tree found at key {@code path} (e.g. {@code "model"}). */
  public static ModelSpec fromTree(Map<String, Object> tree, String path) {
    if (tree == null) {
      throw new ModelSpecException(path + ": expected a model object, got nothing");
    }
    checkKeys(tree, MODEL_KEYS, path);
    TensorShape input = parseInput(require(tree, "input", path), path + ".input");
    String lossName = string(require(tree, "loss", path), path + ".loss");
    LossKind loss = null;
    for (LossKind k : LossKind.values()) {
      if (k.key().equals(lossName)) {
        loss = k;
      }
    }
    if (loss == null) {
      throw new ModelSpecException(path + ".loss: unknown loss '" + lossName + "', expected one of "
          + keys(LossKind.values()));
    }
    int classes = positiveInt(require(tree, "classes", path), path + ".classes");
    List<LayerSpec> layers = parseLayers(require(tree, "layers", path), path + ".layers");
    try {
      return new ModelSpec(input, layers, loss, classes);
    } catch (ModelSpecException e) {
      throw new ModelSpecException(path + ": " + e.getMessage(), e);
    }
  }

  /** The tree form of a spec; {@code fromTree(toTree(s), p)} equals {@code s}. */
  public static Map<String, Object> toTree(ModelSpec spec) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("input", List.of(spec.input().c(), spec.input().h(), spec.input().w()));
    t.put("loss", spec.loss().key());
    t.put("classes", spec.numClasses());
    t.put("layers", layersToTree(spec.layers()));
    return t;
  }

  private static List<Object> layersToTree(List<LayerSpec> layers) {
    List<Object> out = new ArrayList<>();
    for (LayerSpec l : layers) {
      out.add(layerToTree(l));
    }
    return out;
  }

  private static Map<String, Object> layerToTree(LayerSpec l) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("type", l.typeKey());
    if (l.name() != null) {
      t.put("name", l.name());
    }
    if (l instanceof Conv2dSpec c) {
      putConv(t, c.filters(), c.kernelH(), c.kernelW(), c.strideH(), c.strideW(), c.padH(), c.padW(), c.bias());
    } else if (l instanceof ConvTranspose2dSpec c) {
      putConv(t, c.filters(), c.kernelH(), c.kernelW(), c.strideH(), c.strideW(), c.padH(), c.padW(), c.bias());
    } else if (l instanceof MaxPool2dSpec p) {
      t.put("kernel", pair(p.kernelH(), p.kernelW()));
      t.put("stride", pair(p.strideH(), p.strideW()));
    } else if (l instanceof AvgPool2dSpec p) {
      t.put("kernel", pair(p.kernelH(), p.kernelW()));
      t.put("stride", pair(p.strideH(), p.strideW()));
    } else if (l instanceof DenseSpec d) {
      t.put("units", d.units());
      t.put("bias", d.bias());
    } else if (l instanceof DropoutSpec d) {
      t.put("rate", num(d.rate()));
    } else if (l instanceof BatchNormSpec b) {
      t.put("eps", num(b.eps()));
      t.put("momentum", num(b.momentum()));
    } else if (l instanceof ActivationSpec a) {
      if (a.kind() == ActivationKind.LEAKY_RELU || a.kind() == ActivationKind.ELU) {
        t.put("alpha", num(a.alpha()));
      }
    } else if (l instanceof ResidualSpec r) {
      t.put("body", layersToTree(r.body()));
      if (r.projection() != null) {
        t.put("projection", layerToTree(r.projection()));
      }
    }
    return t;
  }

  private static void putConv(Map<String, Object> t, int filters, int kh, int kw, int sh, int sw, int ph, int pw,
      boolean bias) {
    t.put("filters", filters);
    t.put("kernel", pair(kh, kw));
    t.put("stride", pair(sh, sw));
    t.put("padding", pair(ph, pw));
    t.put("bias", bias);
  }

  private static Object pair(int a, int b) {
    return a == b ? (Object) a : List.of(a, b);
  }

  /** A float as the shortest decimal double that converts back to the same float. */
  private static Double num(float f) {
    return Double.parseDouble(Float.toString(f));
  }

  private static List<LayerSpec> parseLayers(Object value, String path) {
    if (!(value instanceof List<?> list)) {
      throw new ModelSpecException(path + ": expected a list of layers, got " + show(value));
    }
    if (list.isEmpty()) {
      throw new ModelSpecException(path + ": expected at least one layer, got an empty list");
    }
    List<LayerSpec> out = new ArrayList<>(list.size());
    for (int i = 0; i < list.size(); i++) {
      out.add(parseLayer(list.get(i), path + "[" + i + "]"));
    }
    return out;
  }

  @SuppressWarnings("unchecked")
  private static LayerSpec parseLayer(Object value, String path) {
    if (!(value instanceof Map<?, ?> raw)) {
      throw new ModelSpecException(path + ": expected a layer object {type: ...}, got " + show(value));
    }
    Map<String, Object> m = (Map<String, Object>) raw;
    String type = string(require(m, "type", path), path + ".type");
    String name = m.containsKey("name") ? string(m.get("name"), path + ".name") : null;
    try {
      return switch (type) {
        case "conv2d", "conv_transpose2d" -> {
          checkKeys(m, Set.of("type", "name", "filters", "kernel", "stride", "padding", "bias"), path);
          int filters = positiveInt(require(m, "filters", path), path + ".filters");
          int[] k = intPair(require(m, "kernel", path), path + ".kernel", true);
          int[] s = m.containsKey("stride") ? intPair(m.get("stride"), path + ".stride", true) : new int[] {1, 1};
          int[] p = padding(m.get("padding"), path + ".padding", k, s);
          boolean bias = m.containsKey("bias") ? bool(m.get("bias"), path + ".bias") : true;
          yield type.equals("conv2d")
              ? new Conv2dSpec(name, filters, k[0], k[1], s[0], s[1], p[0], p[1], bias)
              : new ConvTranspose2dSpec(name, filters, k[0], k[1], s[0], s[1], p[0], p[1], bias);
        }
        case "maxpool2d", "avgpool2d" -> {
          checkKeys(m, Set.of("type", "name", "kernel", "stride"), path);
          int[] k = intPair(require(m, "kernel", path), path + ".kernel", true);
          int[] s = m.containsKey("stride") ? intPair(m.get("stride"), path + ".stride", true) : k;
          yield type.equals("maxpool2d")
              ? new MaxPool2dSpec(name, k[0], k[1], s[0], s[1])
              : new AvgPool2dSpec(name, k[0], k[1], s[0], s[1]);
        }
        case "dense" -> {
          checkKeys(m, Set.of("type", "name", "units", "bias"), path);
          int units = positiveInt(require(m, "units", path), path + ".units");
          boolean bias = m.containsKey("bias") ? bool(m.get("bias"), path + ".bias") : true;
          yield new DenseSpec(name, units, bias);
        }
        case "flatten" -> {
          checkKeys(m, Set.of("type", "name"), path);
          yield new FlattenSpec(name);
        }
        case "dropout" -> {
          checkKeys(m, Set.of("type", "name", "rate"), path);
          float rate = number(require(m, "rate", path), path + ".rate");
          if (!(rate >= 0f && rate < 1f)) {
            throw new ModelSpecException(path + ".rate: expected a number in [0, 1), got " + show(m.get("rate")));
          }
          yield new DropoutSpec(name, rate);
        }
        case "batchnorm" -> {
          checkKeys(m, Set.of("type", "name", "eps", "momentum"), path);
          float eps = m.containsKey("eps") ? number(m.get("eps"), path + ".eps") : 1e-5f;
          if (!(eps > 0f)) {
            throw new ModelSpecException(path + ".eps: expected a number > 0, got " + show(m.get("eps")));
          }
          float mom = m.containsKey("momentum") ? number(m.get("momentum"), path + ".momentum") : 0.1f;
          if (!(mom >= 0f && mom <= 1f)) {
            throw new ModelSpecException(path + ".momentum: expected a number in [0, 1], got " + show(m.get("momentum")));
          }
          yield new BatchNormSpec(name, eps, mom);
        }
        case "relu", "sigmoid", "tanh", "softmax" -> {
          checkKeys(m, Set.of("type", "name"), path);
          yield ActivationSpec.of(name, ActivationKind.valueOf(type.toUpperCase(Locale.ROOT)));
        }
        case "leaky_relu", "elu" -> {
          checkKeys(m, Set.of("type", "name", "alpha"), path);
          ActivationKind kind = ActivationKind.valueOf(type.toUpperCase(Locale.ROOT));
          float alpha = m.containsKey("alpha") ? number(m.get("alpha"), path + ".alpha") : ActivationSpec.defaultAlpha(kind);
          yield new ActivationSpec(name, kind, alpha);
        }
        case "residual" -> {
          checkKeys(m, Set.of("type", "name", "body", "projection"), path);
          List<LayerSpec> body = parseLayers(require(m, "body", path), path + ".body");
          LayerSpec proj = m.get("projection") == null ? null : parseLayer(m.get("projection"), path + ".projection");
          yield new ResidualSpec(name, body, proj);
        }
        default -> throw new ModelSpecException(path + ".type: unknown layer type '" + type + "', expected one of "
            + LAYER_TYPES);
      };
    } catch (ModelSpecException e) {
      if (e.getMessage().startsWith(path)) {
        throw e;
      }
      throw new ModelSpecException(path + ": " + e.getMessage(), e);
    }
  }

  private static int[] padding(Object v, String path, int[] kernel, int[] stride) {
    if (v == null) {
      return new int[] {0, 0};
    }
    if (v instanceof String s) {
      if (s.equals("valid")) {
        return new int[] {0, 0};
      }
      if (s.equals("same")) {
        if (stride[0] != 1 || stride[1] != 1 || kernel[0] % 2 == 0 || kernel[1] % 2 == 0) {
          throw new ModelSpecException(path + ": 'same' needs stride 1 and an odd kernel, got kernel "
              + kernel[0] + "x" + kernel[1] + " and stride " + stride[0] + "x" + stride[1]);
        }
        return new int[] {(kernel[0] - 1) / 2, (kernel[1] - 1) / 2};
      }
      throw new ModelSpecException(path + ": expected a non-negative integer, [h, w], 'same' or 'valid', got "
          + show(v));
    }
    return intPair(v, path, false);
  }

  private static int[] intPair(Object v, String path, boolean positive) {
    String expected = positive ? "a positive integer or [h, w]" : "a non-negative integer or [h, w]";
    if (v instanceof List<?> l) {
      if (l.size() != 2) {
        throw new ModelSpecException(path + ": expected " + expected + ", got a list of " + l.size() + " " + show(v));
      }
      Integer a = asInt(l.get(0));
      Integer b = asInt(l.get(1));
      if (a == null || b == null || a < (positive ? 1 : 0) || b < (positive ? 1 : 0)) {
        throw new ModelSpecException(path + ": expected " + expected + ", got " + show(v));
      }
      return new int[] {a, b};
    }
    Integer a = asInt(v);
    if (a == null || a < (positive ? 1 : 0)) {
      throw new ModelSpecException(path + ": expected " + expected + ", got " + show(v));
    }
    return new int[] {a, a};
  }

  private static TensorShape parseInput(Object v, String path) {
    if (v instanceof List<?> l && l.size() == 3) {
      Integer c = asInt(l.get(0));
      Integer h = asInt(l.get(1));
      Integer w = asInt(l.get(2));
      if (c != null && h != null && w != null && c > 0 && h > 0 && w > 0) {
        return new TensorShape(c, h, w);
      }
    }
    throw new ModelSpecException(path + ": expected [channels, height, width] of positive integers, got " + show(v));
  }

  private static Object require(Map<String, Object> m, String key, String path) {
    Object v = m.get(key);
    if (v == null) {
      throw new ModelSpecException(path + "." + key + ": missing (required)");
    }
    return v;
  }

  private static void checkKeys(Map<String, Object> m, Set<String> allowed, String path) {
    Set<String> unknown = new TreeSet<>();
    for (Object k : m.keySet()) {
      if (!allowed.contains(String.valueOf(k))) {
        unknown.add(String.valueOf(k));
      }
    }
    if (!unknown.isEmpty()) {
      throw new ModelSpecException(path + ": unknown key(s) " + unknown + ", expected only " + new TreeSet<>(allowed));
    }
  }

  private static Integer asInt(Object v) {
    if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
      long x = ((Number) v).longValue();
      return x >= Integer.MIN_VALUE && x <= Integer.MAX_VALUE ? (int) x : null;
    }
    if (v instanceof Number n) {
      double d = n.doubleValue();
      return d == Math.rint(d) && Math.abs(d) <= Integer.MAX_VALUE ? (int) d : null;
    }
    return null;
  }

  private static int positiveInt(Object v, String path) {
    Integer i = asInt(v);
    if (i == null || i <= 0) {
      throw new ModelSpecException(path + ": expected a positive integer, got " + show(v));
    }
    return i;
  }

  private static float number(Object v, String path) {
    if (v instanceof Number n && Double.isFinite(n.doubleValue())) {
      return n.floatValue();
    }
    throw new ModelSpecException(path + ": expected a number, got " + show(v));
  }

  private static boolean bool(Object v, String path) {
    if (v instanceof Boolean b) {
      return b;
    }
    throw new ModelSpecException(path + ": expected true or false, got " + show(v));
  }

  private static String string(Object v, String path) {
    if (v instanceof String s && !s.isBlank()) {
      return s;
    }
    throw new ModelSpecException(path + ": expected a non-empty string, got " + show(v));
  }

  private static String show(Object v) {
    if (v == null) {
      return "nothing";
    }
    return v instanceof String s ? "'" + s + "'" : String.valueOf(v);
  }

  private static String keys(LossKind[] kinds) {
    List<String> out = new ArrayList<>();
    for (LossKind k : kinds) {
      out.add(k.key());
    }
    return out.toString();
  }
}
