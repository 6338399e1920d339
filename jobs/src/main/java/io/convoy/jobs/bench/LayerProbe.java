package io.convoy.jobs.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.convoy.kernels.Activations;
import io.convoy.kernels.Bias;
import io.convoy.kernels.Conv2d;
import io.convoy.kernels.ConvShape;
import io.convoy.kernels.Dropout;
import io.convoy.kernels.Gemm;
import io.convoy.kernels.Pool2d;
import io.convoy.kernels.PoolShape;
import io.convoy.pipeline.model.ActivationSpec;
import io.convoy.pipeline.model.AvgPool2dSpec;
import io.convoy.pipeline.model.Conv2dSpec;
import io.convoy.pipeline.model.DenseSpec;
import io.convoy.pipeline.model.DropoutSpec;
import io.convoy.pipeline.model.FlattenSpec;
import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.model.LayerSpec;
import io.convoy.pipeline.model.MaxPool2dSpec;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.model.TensorShape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Forward, backward-data and backward-weights (+ bias) of every layer of a model, each pass timed on its
 * own through Convoy's public kernel APIs ({@link Conv2d}, {@link Gemm}, {@link Pool2d},
 * {@link Activations}, {@link Dropout}, {@link Bias}) with the calls {@code Network}'s layers make, and
 * the whole training step through {@link Network#forwardBackward}. The model's first layer has no
 * backward-data pass: its input is the image, which needs no gradient (the network skips it too).
 * Flatten is a view and costs nothing. With 2 threads each thread runs the layer on its own half of the
 * batch with its own arrays, as two Spark tasks split the data.
 */
public final class LayerProbe {
  static final String FORWARD = "forward";
  static final String BACKWARD_DATA = "backward-data";
  static final String BACKWARD_WEIGHTS = "backward-weights";

  /** The passes of one layer on one (part of a) batch. */
  record Passes(String layer, String kind, Map<String, Runnable> byName) {}

  /** One layer's timings: per pass, best wall and CPU ms for the whole batch. */
  record LayerTimes(String layer, String kind, Map<String, Timing.Ms> passes) {
    Timing.Ms total() {
      Timing.Ms t = new Timing.Ms(0, 0);
      for (Timing.Ms m : passes.values()) {
        t = t.plus(m);
      }
      return t;
    }
  }

  /** A model at one thread count: its layers and the whole step (null when a peer printed none). */
  record ModelTimes(String model, int threads, int batch, List<LayerTimes> layers, Timing.Ms step) {
    /** The layer called {@code name}, or null. */
    LayerTimes layer(String name) {
      for (LayerTimes lt : layers) {
        if (lt.layer().equals(name)) {
          return lt;
        }
      }
      return null;
    }
  }

  private LayerProbe() {}

  /**
   * Child JVM of the benchmark's layers section: times one model at one thread count and prints one JSON
   * line per pass, {@code {"what":"layer","layer":..,"kind":..,"pass":..,"ms":..,"cpu_ms":..}}, then
   * {@code {"what":"step","ms":..,"cpu_ms":..}}: the records the PyTorch peer prints. Each model and thread
   * count gets a JVM of its own, as a training job has and as the peer runs in a process of its own, so that
   * what C2 compiles for one network does not depend on what the JVM ran before (the profiles and traps that
   * the other network's and the SGEMM section's warm-ups left; docs/design.md, "The JIT and the kernels").
   *
   * <p>Arguments: {@code <model> <batch> <threads> <rounds> <seconds per round> <warm-up seconds>}.
   */
  public static void main(String[] args) throws Exception {
    if (args.length != 6) {
      System.err.println("usage: LayerProbe <model> <batch> <threads> <rounds> <seconds> <warm-up seconds>");
      System.exit(2);
    }
    String model = args[0];
    ModelTimes m;
    try (Timing timing = new Timing(Integer.parseInt(args[3]), Double.parseDouble(args[4]),
        Double.parseDouble(args[5]))) {
      m = measure(model, spec(model), Integer.parseInt(args[1]), Integer.parseInt(args[2]), timing);
    }
    ObjectMapper json = new ObjectMapper();
    for (LayerTimes lt : m.layers()) {
      for (Map.Entry<String, Timing.Ms> e : lt.passes().entrySet()) {
        Map<String, Object> r = new LinkedHashMap<>();
        r.put("what", "layer");
        r.put("layer", lt.layer());
        r.put("kind", lt.kind());
        r.put("pass", e.getKey());
        r.put("ms", e.getValue().wall());
        r.put("cpu_ms", e.getValue().cpu());
        System.out.println(json.writeValueAsString(r));
      }
    }
    System.out.println(json.writeValueAsString(Map.of("what", "step", "ms", m.step().wall(),
        "cpu_ms", m.step().cpu())));
    System.out.flush();
  }

  /** The model a layers-section name stands for: {@code reference-cnn} or {@code lenet5}. */
  static ModelSpec spec(String model) {
    return switch (model) {
      case "reference-cnn" -> ModelSpec.referenceCnn();
      case "lenet5" -> ModelSpec.lenet5();
      default -> throw new IllegalArgumentException("bench.layers.models: expected reference-cnn or lenet5, got "
          + model);
    };
  }

  /**
   * The {@link ModelTimes} from the records {@link #main} or the PyTorch peer printed, in their order: layers
   * and passes as they come (a peer's have no kind), step null when there is no step record.
   */
  static ModelTimes fromRecords(String model, int threads, int batch, List<Map<String, Object>> records) {
    Map<String, LayerTimes> layers = new LinkedHashMap<>();
    Timing.Ms step = null;
    for (Map<String, Object> r : records) {
      Timing.Ms ms = new Timing.Ms(((Number) r.get("ms")).doubleValue(), ((Number) r.get("cpu_ms")).doubleValue());
      if ("layer".equals(r.get("what"))) {
        String name = (String) r.get("layer");
        layers.computeIfAbsent(name, k -> new LayerTimes(name, (String) r.get("kind"), new LinkedHashMap<>()))
            .passes().put((String) r.get("pass"), ms);
      } else if ("step".equals(r.get("what"))) {
        step = ms;
      }
    }
    return new ModelTimes(model, threads, batch, new ArrayList<>(layers.values()), step);
  }

  /** Times every layer of {@code model} and its whole step at {@code threads} (1 or 2). */
  static ModelTimes measure(String name, ModelSpec model, int batch, int threads, Timing timing) {
    if (threads != 1 && threads != 2) {
      throw new IllegalArgumentException("layer timings run on 1 or 2 threads, got " + threads);
    }
    List<LayerTimes> out = new ArrayList<>();
    int half = batch / 2;
    List<Passes> a = passes(model, threads == 1 ? batch : half, 1);
    List<Passes> b = threads == 1 ? null : passes(model, batch - half, 2);
    for (int i = 0; i < a.size(); i++) {
      Map<String, Timing.Ms> t = new LinkedHashMap<>();
      for (Map.Entry<String, Runnable> e : a.get(i).byName().entrySet()) {
        t.put(e.getKey(), threads == 1 ? timing.one(e.getValue())
            : timing.two(e.getValue(), b.get(i).byName().get(e.getKey())));
      }
      out.add(new LayerTimes(a.get(i).layer(), a.get(i).kind(), t));
    }
    Runnable s1 = step(model, threads == 1 ? batch : half, 1);
    Timing.Ms step = threads == 1 ? timing.one(s1) : timing.two(s1, step(model, batch - half, 2));
    return new ModelTimes(name, threads, batch, out, step);
  }

  /** A training step of the whole network: gradients cleared, forward, loss, backward. */
  static Runnable step(ModelSpec model, int batch, long seed) {
    Network net = new Network(model, batch);
    float[] params = new float[net.numParams()];
    float[] grads = new float[net.numParams()];
    float[] buffers = new float[net.numBuffers()];
    net.initParams(params, buffers, InitKind.HE, seed);
    Random rnd = new Random(seed);
    float[] x = random(rnd, batch * model.input().size());
    int[] labels = new int[batch];
    for (int i = 0; i < batch; i++) {
      labels[i] = rnd.nextInt(model.numClasses());
    }
    long[] stepSeed = {seed};
    return () -> {
      Arrays.fill(grads, 0f);
      net.forwardBackward(params, grads, buffers, x, labels, batch, stepSeed[0]++);
    };
  }

  /** The passes of every layer except flatten, for a batch of {@code batch}, on seeded random data. */
  static List<Passes> passes(ModelSpec model, int batch, long seed) {
    Random rnd = new Random(seed);
    List<Passes> out = new ArrayList<>();
    TensorShape in = model.input();
    boolean first = true;
    for (LayerSpec l : model.layers()) {
      TensorShape o = l.outputShape(in);
      if (!(l instanceof FlattenSpec)) {
        out.add(passes(l, in, o, batch, first, rnd));
      }
      first = false;
      in = o;
    }
    return out;
  }

  private static Passes passes(LayerSpec l, TensorShape in, TensorShape o, int batch, boolean first, Random rnd) {
    float[] x = random(rnd, batch * in.size());
    float[] y = new float[batch * o.size()];
    float[] dOut = random(rnd, batch * o.size());
    float[] dIn = new float[batch * in.size()];
    int nIn = batch * in.size();
    Map<String, Runnable> p = new LinkedHashMap<>();
    String kind;
    if (l instanceof Conv2dSpec c) {
      kind = "conv";
      ConvShape s = new ConvShape(batch, in.c(), in.h(), in.w(), c.filters(), c.kernelH(), c.kernelW(),
          c.strideH(), c.strideW(), c.padH(), c.padW());
      int bOff = c.filters() * in.c() * c.kernelH() * c.kernelW();
      float[] w = random(rnd, l.paramCount(in));
      float[] dW = new float[w.length];
      float[] bias = c.bias() ? w : null;
      float[] dBias = c.bias() ? dW : null;
      float[] ws = new float[Conv2d.workspaceSize(s)];
      p.put(FORWARD, () -> Conv2d.forward(y, x, w, 0, bias, bOff, s, ws));
      if (!first) {
        p.put(BACKWARD_DATA, () -> {
          Arrays.fill(dIn, 0, nIn, 0f);
          Conv2d.backwardData(dIn, dOut, w, 0, s, ws);
        });
      }
      p.put(BACKWARD_WEIGHTS, () -> Conv2d.backwardWeights(dW, 0, dBias, bOff, dOut, x, s, ws));
    } else if (l instanceof DenseSpec d) {
      kind = "dense";
      int f = in.size();
      int units = d.units();
      int bOff = units * f;
      float[] w = random(rnd, l.paramCount(in));
      float[] dW = new float[w.length];
      p.put(FORWARD, () -> {
        Gemm.sgemm(false, true, batch, units, f, 1f, x, 0, f, w, 0, f, 0f, y, 0, units);
        if (d.bias()) {
          Bias.addRows(y, batch, units, w, bOff);
        }
      });
      if (!first) {
        p.put(BACKWARD_DATA, () -> Gemm.sgemm(false, false, batch, f, units, 1f, dOut, 0, units, w, 0, f, 0f,
            dIn, 0, f));
      }
      p.put(BACKWARD_WEIGHTS, () -> {
        Gemm.sgemm(true, false, units, f, batch, 1f, dOut, 0, units, x, 0, f, 1f, dW, 0, f);
        if (d.bias()) {
          Bias.backwardRows(dW, bOff, dOut, batch, units);
        }
      });
    } else if (l instanceof MaxPool2dSpec m) {
      kind = "maxpool";
      PoolShape s = new PoolShape(batch, in.c(), in.h(), in.w(), m.kernelH(), m.kernelW(), m.strideH(), m.strideW());
      int[] argmax = new int[y.length];
      p.put(FORWARD, () -> Pool2d.maxForward(y, argmax, x, s));
      Pool2d.maxForward(y, argmax, x, s);
      p.put(BACKWARD_DATA, () -> {
        Arrays.fill(dIn, 0, nIn, 0f);
        Pool2d.maxBackward(dIn, dOut, argmax, s);
      });
    } else if (l instanceof AvgPool2dSpec a) {
      kind = "avgpool";
      PoolShape s = new PoolShape(batch, in.c(), in.h(), in.w(), a.kernelH(), a.kernelW(), a.strideH(), a.strideW());
      p.put(FORWARD, () -> Pool2d.avgForward(y, x, s));
      p.put(BACKWARD_DATA, () -> {
        Arrays.fill(dIn, 0, nIn, 0f);
        Pool2d.avgBackward(dIn, dOut, s);
      });
    } else if (l instanceof DropoutSpec d) {
      kind = "dropout";
      float[] mask = new float[nIn];
      long[] seed = {1};
      p.put(FORWARD, () -> Dropout.forward(y, mask, x, nIn, d.rate(), seed[0]++));
      Dropout.forward(y, mask, x, nIn, d.rate(), 0);
      p.put(BACKWARD_DATA, () -> {
        Arrays.fill(dIn, 0, nIn, 0f);
        Dropout.backward(dIn, dOut, mask, nIn);
      });
    } else if (l instanceof ActivationSpec a) {
      kind = a.kind().name().toLowerCase(java.util.Locale.ROOT);
      switch (a.kind()) {
        case RELU -> {
          p.put(FORWARD, () -> Activations.reluForward(y, x, nIn));
          p.put(BACKWARD_DATA, () -> {
            Arrays.fill(dIn, 0, nIn, 0f);
            Activations.reluBackward(dIn, dOut, x, nIn);
          });
        }
        case TANH -> {
          p.put(FORWARD, () -> Activations.tanhForward(y, x, nIn));
          Activations.tanhForward(y, x, nIn);
          p.put(BACKWARD_DATA, () -> {
            Arrays.fill(dIn, 0, nIn, 0f);
            Activations.tanhBackward(dIn, dOut, y, nIn);
          });
        }
        case SIGMOID -> {
          p.put(FORWARD, () -> Activations.sigmoidForward(y, x, nIn));
          Activations.sigmoidForward(y, x, nIn);
          p.put(BACKWARD_DATA, () -> {
            Arrays.fill(dIn, 0, nIn, 0f);
            Activations.sigmoidBackward(dIn, dOut, y, nIn);
          });
        }
        default -> throw new IllegalArgumentException("layer " + l.name() + ": the benchmark times relu, tanh and"
            + " sigmoid activations, got " + a.kind());
      }
      if (first) {
        p.remove(BACKWARD_DATA);
      }
    } else {
      throw new IllegalArgumentException("layer " + l.name() + ": the benchmark does not time " + l.typeKey()
          + " layers");
    }
    return new Passes(l.name(), kind, p);
  }

  private static float[] random(Random rnd, int n) {
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = rnd.nextFloat() * 2 - 1;
    }
    return v;
  }
}
