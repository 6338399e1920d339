package io.convoy.pipeline.model;

import io.convoy.kernels.Activations;
import io.convoy.kernels.Losses;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The runtime math of one {@link ModelSpec}: forward, loss and backward over flat vectors.
 *
 * <p>Parameters, gradients and buffers (batch-norm running statistics) are plain {@code float[]}
 * of length {@link #numParams()} / {@link #numBuffers()} passed into every call, laid out layer by
 * layer as {@link #slices()} and {@link #bufferSlices()} describe. The network owns the activation
 * and gradient arrays of every layer for up to {@code maxBatch} examples, allocated once in the
 * constructor: a training step allocates nothing. Flatten (and dropout in inference) are views of
 * their input array. NOT thread-safe: one network per task or thread.
 *
 * <p>The loss is applied to the last layer's output as is: softmax cross entropy on logits with the
 * labels; binary cross entropy (the output must be probabilities, e.g. after a sigmoid) and mean
 * squared error against one-hot targets made from the labels. Dropout masks are seeded by
 * {@code dropoutSeed} plus a per-layer offset ({@code index * 0x9E3779B97F4A7C15}); callers pass a
 * different seed per step.
 */
public final class Network {
  private final ModelSpec spec;
  private final int maxBatch;
  private final RuntimeLayer[] layers;
  private final float[][] inputs;
  private final int numParams;
  private final int numBuffers;
  private final int inSize;
  private final int classes;
  private final float[] dLogits;
  private final float[] probs;
  private final float[] target;
  private final RuntimeLayer.Workspace ws = new RuntimeLayer.Workspace();
  private int lastCorrect;
  private int layerCounter;
  private int paramCursor;
  private int bufferCursor;

  /** Builds the layers of {@code spec} with workspaces for batches of up to {@code maxBatch}. */
  public Network(ModelSpec spec, int maxBatch) {
    if (spec == null) {
      throw new IllegalArgumentException("network spec is null");
    }
    if (maxBatch <= 0) {
      throw new IllegalArgumentException("network maxBatch must be > 0, got " + maxBatch);
    }
    this.spec = spec;
    this.maxBatch = maxBatch;
    this.inSize = spec.input().size();
    this.classes = spec.numClasses();
    List<LayerSpec> specs = spec.layers();
    this.layers = new RuntimeLayer[specs.size()];
    TensorShape s = spec.input();
    int wsSize = 0;
    for (int i = 0; i < layers.length; i++) {
      layers[i] = build(specs.get(i), s);
      wsSize = Math.max(wsSize, layers[i].workspaceSize());
      s = layers[i].out;
    }
    ws.data = new float[wsSize];
    this.inputs = new float[layers.length][];
    this.numParams = paramCursor;
    this.numBuffers = bufferCursor;
    if (numParams != spec.paramCount() || numBuffers != spec.bufferCount()) {
      throw new IllegalStateException("network layout holds " + numParams + " params / " + numBuffers
          + " buffers but the spec counts " + spec.paramCount() + " / " + spec.bufferCount());
    }
    int logits = Math.multiplyExact(maxBatch, classes);
    this.dLogits = new float[logits];
    this.probs = new float[logits];
    this.target = spec.loss() == LossKind.SOFTMAX_CROSS_ENTROPY ? null : new float[logits];
  }

  private RuntimeLayer build(LayerSpec l, TensorShape in) {
    int index = layerCounter++;
    int pOff = paramCursor;
    paramCursor += l.paramCount(in);
    RuntimeLayer r;
    if (l instanceof Conv2dSpec c) {
      r = new RuntimeLayer.Conv(c, in, maxBatch, pOff, ws);
    } else if (l instanceof ConvTranspose2dSpec c) {
      r = new RuntimeLayer.ConvTranspose(c, in, maxBatch, pOff, ws);
    } else if (l instanceof MaxPool2dSpec || l instanceof AvgPool2dSpec) {
      r = new RuntimeLayer.Pool(l, in, maxBatch);
    } else if (l instanceof DenseSpec d) {
      r = new RuntimeLayer.Dense(d, in, maxBatch, pOff);
    } else if (l instanceof FlattenSpec f) {
      r = new RuntimeLayer.Flatten(f, in, maxBatch);
    } else if (l instanceof DropoutSpec d) {
      r = new RuntimeLayer.Drop(d, in, maxBatch, index);
    } else if (l instanceof BatchNormSpec b) {
      int bufOff = bufferCursor;
      bufferCursor += b.bufferCount(in);
      r = new RuntimeLayer.Norm(b, in, maxBatch, pOff, bufOff);
    } else if (l instanceof ActivationSpec a) {
      r = new RuntimeLayer.Act(a, in, maxBatch);
    } else {
      ResidualSpec res = (ResidualSpec) l;
      paramCursor = pOff;          // children claim their own slices, in order
      TensorShape s = in;
      RuntimeLayer[] body = new RuntimeLayer[res.body().size()];
      for (int i = 0; i < body.length; i++) {
        body[i] = build(res.body().get(i), s);
        s = body[i].out;
      }
      RuntimeLayer proj = res.projection() == null ? null : build(res.projection(), in);
      r = new RuntimeLayer.Residual(res, in, body, proj, maxBatch);
    }
    return r;
  }

  /** The spec this network runs. */
  public ModelSpec spec() {
    return spec;
  }

  /** Largest batch the workspaces hold. */
  public int maxBatch() {
    return maxBatch;
  }

  /** Length of the parameter (and gradient) vector. */
  public int numParams() {
    return numParams;
  }

  /** Length of the buffer vector (batch-norm running mean and variance). */
  public int numBuffers() {
    return numBuffers;
  }

  /**
   * Initial parameters and buffers, reproducible from {@code seed}: weights per {@code init}
   * (UNIFORM +-0.3, XAVIER Glorot uniform, HE normal with std sqrt(2/fan_in)), biases 0,
   * batch-norm gamma 1 and beta 0, running mean 0 and running variance 1.
   */
  public void initParams(float[] params, float[] buffers, InitKind init, long seed) {
    checkLength("params", params, numParams);
    checkLength("buffers", buffers, numBuffers);
    Arrays.fill(params, 0, numParams, 0f);
    if (buffers != null) {
      Arrays.fill(buffers, 0, numBuffers, 0f);
    }
    SplittableRandom rnd = new SplittableRandom(seed);
    for (RuntimeLayer l : layers) {
      l.init(params, buffers, init, rnd);
    }
  }

  /**
   * Training step math: forward in training mode, loss, backward. ADDS into {@code grads} and
   * returns the mean loss of the batch. {@code x} is (batch, C, H, W) from index 0.
   */
  public float forwardBackward(float[] params, float[] grads, float[] buffers, float[] x, int[] labels, int batch,
      long dropoutSeed) {
    checkCall(params, buffers, x, batch);
    checkLength("grads", grads, numParams);
    checkLabels(labels, batch);
    float[] logits = runForward(params, buffers, x, batch, true, dropoutSeed);
    float loss = loss(logits, labels, batch, null);
    runBackward(params, grads, x, dLogits, batch, false);
    return loss;
  }

  /** Correct predictions (argmax == label) of the last {@link #forwardBackward} or {@link #evaluate}. */
  public int lastCorrect() {
    return lastCorrect;
  }

  /**
   * Inference (dropout off, batch-norm running statistics); writes (batch, classes) probabilities:
   * the softmax of the logits for softmax cross entropy, the output as is for the other losses.
   */
  public void predict(float[] params, float[] buffers, float[] x, int batch, float[] probsOut) {
    checkCall(params, buffers, x, batch);
    checkLength("probsOut", probsOut, batch * classes);
    float[] logits = runForward(params, buffers, x, batch, false, 0L);
    if (spec.loss() == LossKind.SOFTMAX_CROSS_ENTROPY) {
      Activations.softmaxForward(probsOut, logits, batch, classes);
    } else {
      System.arraycopy(logits, 0, probsOut, 0, batch * classes);
    }
  }

  /** Mean loss in inference mode, no gradients; {@link #lastCorrect()} gives the correct count. */
  public float evaluate(float[] params, float[] buffers, float[] x, int[] labels, int batch) {
    return evaluate(params, buffers, x, labels, batch, null);
  }

  /**
   * {@link #evaluate(float[], float[], float[], int[], int)} that also writes each example's predicted
   * class (the argmax of the output, the class {@link #lastCorrect()} counts) into {@code predictedOut}
   * when it is not null: loss, accuracy and a confusion matrix from one forward pass.
   */
  public float evaluate(float[] params, float[] buffers, float[] x, int[] labels, int batch, int[] predictedOut) {
    checkCall(params, buffers, x, batch);
    checkLabels(labels, batch);
    if (predictedOut != null && predictedOut.length < batch) {
      throw new IllegalArgumentException("predictedOut must hold at least " + batch + " values, got "
          + predictedOut.length);
    }
    float[] logits = runForward(params, buffers, x, batch, false, 0L);
    return loss(logits, labels, batch, predictedOut);
  }

  /** Name, offset, length and shape of every parameter tensor, in vector order ({@code conv1.weight}, ...). */
  public ParamSlice[] slices() {
    List<ParamSlice> acc = new ArrayList<>();
    for (RuntimeLayer l : layers) {
      l.paramSlices(acc);
    }
    return acc.toArray(new ParamSlice[0]);
  }

  /** The same for the buffer vector ({@code bn1.running_mean}, {@code bn1.running_var}). */
  public ParamSlice[] bufferSlices() {
    List<ParamSlice> acc = new ArrayList<>();
    for (RuntimeLayer l : layers) {
      l.bufferSlices(acc);
    }
    return acc.toArray(new ParamSlice[0]);
  }

  /**
   * Hook for tests and tools: runs the layers forward (no loss) and returns the array holding the
   * last layer's output, (batch, output size) from index 0. The array belongs to the network and is
   * overwritten by the next call. Training mode uses batch statistics and dropout.
   */
  public float[] forwardOutput(float[] params, float[] buffers, float[] x, int batch, boolean training,
      long dropoutSeed) {
    checkCall(params, buffers, x, batch);
    return runForward(params, buffers, x, batch, training, dropoutSeed);
  }

  /**
   * Hook for tests and tools: after {@link #forwardOutput}, back-propagates {@code gradOutput}
   * (batch, output size), ADDS parameter gradients into {@code grads} and returns the array holding
   * the gradient with respect to the input (batch, input size), owned by the network.
   */
  public float[] backwardInput(float[] params, float[] grads, float[] x, float[] gradOutput, int batch) {
    checkLength("grads", grads, numParams);
    checkLength("gradOutput", gradOutput, batch * layers[layers.length - 1].out.size());
    return runBackward(params, grads, x, gradOutput, batch, true);
  }

  private float[] runForward(float[] params, float[] buffers, float[] x, int batch, boolean training, long seed) {
    float[] a = x;
    for (int i = 0; i < layers.length; i++) {
      inputs[i] = a;
      a = layers[i].forward(a, params, buffers, batch, training, seed);
    }
    return a;
  }

  private float[] runBackward(float[] params, float[] grads, float[] x, float[] dOut, int batch, boolean inputGrad) {
    float[] d = dOut;
    for (int i = layers.length - 1; i >= 0; i--) {
      d = layers[i].backward(inputs[i], d, params, grads, batch, inputGrad || i > 0);
    }
    return d;
  }

  private float loss(float[] out, int[] labels, int batch, int[] predictedOut) {
    int n = batch * classes;
    float loss;
    switch (spec.loss()) {
      case SOFTMAX_CROSS_ENTROPY -> loss = Losses.softmaxCrossEntropy(dLogits, probs, out, labels, batch, classes);
      case BINARY_CROSS_ENTROPY -> {
        oneHot(labels, batch);
        loss = Losses.binaryCrossEntropy(dLogits, out, target, n);
      }
      default -> {
        oneHot(labels, batch);
        loss = Losses.meanSquaredError(dLogits, out, target, n);
      }
    }
    int correct = 0;
    for (int b = 0; b < batch; b++) {
      int base = b * classes;
      int best = 0;
      for (int j = 1; j < classes; j++) {
        if (out[base + j] > out[base + best]) {
          best = j;
        }
      }
      if (best == labels[b]) {
        correct++;
      }
      if (predictedOut != null) {
        predictedOut[b] = best;
      }
    }
    lastCorrect = correct;
    return loss;
  }

  private void oneHot(int[] labels, int batch) {
    Arrays.fill(target, 0, batch * classes, 0f);
    for (int b = 0; b < batch; b++) {
      target[b * classes + labels[b]] = 1f;
    }
  }

  private void checkCall(float[] params, float[] buffers, float[] x, int batch) {
    if (batch <= 0 || batch > maxBatch) {
      throw new IllegalArgumentException("batch must be in [1, " + maxBatch + "] (the network's maxBatch), got "
          + batch);
    }
    checkLength("params", params, numParams);
    checkLength("buffers", buffers, numBuffers);
    checkLength("x", x, batch * inSize);
  }

  private static void checkLength(String what, float[] a, int need) {
    if (need > 0 && (a == null || a.length < need)) {
      throw new IllegalArgumentException(what + " must hold at least " + need + " floats, got "
          + (a == null ? "null" : a.length));
    }
  }

  private void checkLabels(int[] labels, int batch) {
    if (labels == null || labels.length < batch) {
      throw new IllegalArgumentException("labels must hold at least " + batch + " values, got "
          + (labels == null ? "null" : labels.length));
    }
    for (int b = 0; b < batch; b++) {
      if (labels[b] < 0 || labels[b] >= classes) {
        throw new IllegalArgumentException("labels[" + b + "] = " + labels[b] + " is not a class in [0, "
            + classes + ")");
      }
    }
  }
}
