package io.convoy.pipeline.model;

import io.convoy.kernels.Activations;
import io.convoy.kernels.BatchNorm;
import io.convoy.kernels.Bias;
import io.convoy.kernels.Conv2d;
import io.convoy.kernels.ConvShape;
import io.convoy.kernels.Dropout;
import io.convoy.kernels.Gemm;
import io.convoy.kernels.Pool2d;
import io.convoy.kernels.PoolShape;
import io.convoy.kernels.VectorOps;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The math of one layer for a {@link Network}: owns its output and input-gradient arrays, sized for
 * {@code maxBatch} once, and reads its parameters as a slice of the flat vector.
 *
 * <p>Contract: {@code forward} returns the array holding the output (its own, or the input itself
 * for views such as flatten); {@code backward} ADDS parameter gradients and returns an array holding
 * the input gradient, written (not added), or null when {@code needInput} is false.
 */
abstract class RuntimeLayer {
  final String name;
  final TensorShape in;
  final TensorShape out;
  final int maxBatch;

  RuntimeLayer(String name, TensorShape in, TensorShape out, int maxBatch) {
    this.name = name;
    this.in = in;
    this.out = out;
    this.maxBatch = maxBatch;
  }

  abstract float[] forward(float[] x, float[] params, float[] buffers, int batch, boolean training, long seed);

  abstract float[] backward(float[] x, float[] dOut, float[] params, float[] grads, int batch, boolean needInput);

  /** Adds this layer's parameter tensors. */
  void paramSlices(List<ParamSlice> acc) {
  }

  /** Adds this layer's buffer tensors. */
  void bufferSlices(List<ParamSlice> acc) {
  }

  /** Writes initial parameters and buffers (the vectors are zero on entry). */
  void init(float[] params, float[] buffers, InitKind kind, SplittableRandom rnd) {
  }

  /** Workspace floats this layer needs from the shared conv workspace. */
  int workspaceSize() {
    return 0;
  }

  static float[] alloc(int maxBatch, TensorShape s) {
    return new float[Math.multiplyExact(maxBatch, s.size())];
  }

  /** Draws {@code n} weights at {@code off} for the given fans. */
  static void fillWeights(float[] p, int off, int n, int fanIn, int fanOut, InitKind kind, SplittableRandom rnd) {
    switch (kind) {
      case UNIFORM -> {
        for (int i = 0; i < n; i++) {
          p[off + i] = (float) ((rnd.nextDouble() * 2 - 1) * 0.3);
        }
      }
      case XAVIER -> {
        double limit = Math.sqrt(6.0 / (fanIn + fanOut));
        for (int i = 0; i < n; i++) {
          p[off + i] = (float) ((rnd.nextDouble() * 2 - 1) * limit);
        }
      }
      case HE -> {
        double std = Math.sqrt(2.0 / fanIn);
        for (int i = 0; i < n; i++) {
          p[off + i] = (float) (rnd.nextGaussian() * std);
        }
      }
    }
  }

  /** Shared conv workspace, sized once after every layer is built. */
  static final class Workspace {
    float[] data = new float[0];
  }

  /** 2-D convolution via {@link Conv2d}, the whole batch per call, one image's columns in the workspace. */
  static final class Conv extends RuntimeLayer {
    private final Conv2dSpec spec;
    private final int wOff;
    private final int bOff;
    private final Workspace ws;
    private final float[] outArr;
    private final float[] dInArr;
    private ConvShape shape;

    Conv(Conv2dSpec spec, TensorShape in, int maxBatch, int pOff, Workspace ws) {
      super(spec.name(), in, spec.outputShape(in), maxBatch);
      this.spec = spec;
      this.wOff = pOff;
      this.bOff = pOff + spec.filters() * in.c() * spec.kernelH() * spec.kernelW();
      this.ws = ws;
      this.outArr = alloc(maxBatch, out);
      this.dInArr = alloc(maxBatch, in);
      this.shape = shapeFor(maxBatch);
    }

    private ConvShape shapeFor(int batch) {
      return new ConvShape(batch, in.c(), in.h(), in.w(), spec.filters(), spec.kernelH(), spec.kernelW(),
          spec.strideH(), spec.strideW(), spec.padH(), spec.padW());
    }

    private ConvShape shape(int batch) {
      if (shape.n() != batch) {
        shape = shapeFor(batch);   // only when the batch size changes (e.g. the last batch of an epoch)
      }
      return shape;
    }

    @Override
    int workspaceSize() {
      return Conv2d.workspaceSize(shapeFor(maxBatch));
    }

    @Override
    float[] forward(float[] x, float[] params, float[] buffers, int batch, boolean training, long seed) {
      Conv2d.forward(outArr, x, params, wOff, spec.bias() ? params : null, bOff, shape(batch), ws.data);
      return outArr;
    }

    @Override
    float[] backward(float[] x, float[] dOut, float[] params, float[] grads, int batch, boolean needInput) {
      ConvShape s = shape(batch);
      Conv2d.backwardWeights(grads, wOff, spec.bias() ? grads : null, bOff, dOut, x, s, ws.data);
      if (!needInput) {
        return null;
      }
      Arrays.fill(dInArr, 0, batch * in.size(), 0f);
      Conv2d.backwardData(dInArr, dOut, params, wOff, s, ws.data);
      return dInArr;
    }

    @Override
    void paramSlices(List<ParamSlice> acc) {
      int[] w = {spec.filters(), in.c(), spec.kernelH(), spec.kernelW()};
      acc.add(new ParamSlice(name + ".weight", wOff, bOff - wOff, w));
      if (spec.bias()) {
        acc.add(new ParamSlice(name + ".bias", bOff, spec.filters(), new int[] {spec.filters()}));
      }
    }

    @Override
    void init(float[] params, float[] buffers, InitKind kind, SplittableRandom rnd) {
      int rs = spec.kernelH() * spec.kernelW();
      fillWeights(params, wOff, bOff - wOff, in.c() * rs, spec.filters() * rs, kind, rnd);
    }
  }

  /**
   * Transposed convolution: its forward is a convolution's backward-data with the weight read as
   * (K = in channels, C = filters, R, S), which is PyTorch's (in, out, R, S) layout; its backward
   * uses the convolution's forward (input gradient) and backward-weights with the roles swapped.
   */
  static final class ConvTranspose extends RuntimeLayer {
    private final ConvTranspose2dSpec spec;
    private final int wOff;
    private final int bOff;
    private final Workspace ws;
    private final float[] outArr;
    private final float[] dInArr;
    private ConvShape shape;

    ConvTranspose(ConvTranspose2dSpec spec, TensorShape in, int maxBatch, int pOff, Workspace ws) {
      super(spec.name(), in, spec.outputShape(in), maxBatch);
      this.spec = spec;
      this.wOff = pOff;
      this.bOff = pOff + in.c() * spec.filters() * spec.kernelH() * spec.kernelW();
      this.ws = ws;
      this.outArr = alloc(maxBatch, out);
      this.dInArr = alloc(maxBatch, in);
      this.shape = shapeFor(maxBatch);
    }

    // the convolution whose input gradient this layer computes: input = our output, output = our input
    private ConvShape shapeFor(int batch) {
      return new ConvShape(batch, spec.filters(), out.h(), out.w(), in.c(), spec.kernelH(), spec.kernelW(),
          spec.strideH(), spec.strideW(), spec.padH(), spec.padW());
    }

    private ConvShape shape(int batch) {
      if (shape.n() != batch) {
        shape = shapeFor(batch);
      }
      return shape;
    }

    @Override
    int workspaceSize() {
      return Conv2d.workspaceSize(shapeFor(maxBatch));
    }

    @Override
    float[] forward(float[] x, float[] params, float[] buffers, int batch, boolean training, long seed) {
      Arrays.fill(outArr, 0, batch * out.size(), 0f);
      Conv2d.backwardData(outArr, x, params, wOff, shape(batch), ws.data);
      if (spec.bias()) {
        Bias.addChannels(outArr, batch, out.c(), out.h() * out.w(), params, bOff);
      }
      return outArr;
    }

    @Override
    float[] backward(float[] x, float[] dOut, float[] params, float[] grads, int batch, boolean needInput) {
      ConvShape s = shape(batch);
      // the convolution's dW[k=in, c=filters] += sum its dOut (our x) * its input (our dOut)
      Conv2d.backwardWeights(grads, wOff, null, 0, x, dOut, s, ws.data);
      if (spec.bias()) {
        Bias.backwardChannels(grads, bOff, dOut, batch, out.c(), out.h() * out.w());
      }
      if (!needInput) {
        return null;
      }
      Conv2d.forward(dInArr, dOut, params, wOff, null, 0, s, ws.data);   // overwrites
      return dInArr;
    }

    @Override
    void paramSlices(List<ParamSlice> acc) {
      int[] w = {in.c(), spec.filters(), spec.kernelH(), spec.kernelW()};
      acc.add(new ParamSlice(name + ".weight", wOff, bOff - wOff, w));
      if (spec.bias()) {
        acc.add(new ParamSlice(name + ".bias", bOff, spec.filters(), new int[] {spec.filters()}));
      }
    }

    @Override
    void init(float[] params, float[] buffers, InitKind kind, SplittableRandom rnd) {
      int rs = spec.kernelH() * spec.kernelW();
      // PyTorch's fans for a (in, out, R, S) weight: fan_in = out*R*S, fan_out = in*R*S
      fillWeights(params, wOff, bOff - wOff, spec.filters() * rs, in.c() * rs, kind, rnd);
    }
  }

  /**
   * Max or average pooling via {@link Pool2d}. An inference-mode forward ({@code training} false) of a
   * 2x2 stride-2 max pooling skips the argmax that only the backward pass reads; a backward after such a
   * forward computes it then from its input (the same maxima, bit for bit).
   */
  static final class Pool extends RuntimeLayer {
    private final boolean max;
    private final int kh;
    private final int kw;
    private final int sh;
    private final int sw;
    private final float[] outArr;
    private final float[] dInArr;
    private final int[] argmax;
    private final boolean max2x2;
    private boolean argmaxStale;
    private PoolShape shape;

    Pool(LayerSpec spec, TensorShape in, int maxBatch) {
      super(spec.name(), in, spec.outputShape(in), maxBatch);
      if (spec instanceof MaxPool2dSpec m) {
        max = true;
        kh = m.kernelH();
        kw = m.kernelW();
        sh = m.strideH();
        sw = m.strideW();
      } else {
        AvgPool2dSpec a = (AvgPool2dSpec) spec;
        max = false;
        kh = a.kernelH();
        kw = a.kernelW();
        sh = a.strideH();
        sw = a.strideW();
      }
      outArr = alloc(maxBatch, out);
      dInArr = alloc(maxBatch, in);
      argmax = max ? new int[outArr.length] : null;
      max2x2 = max && kh == 2 && kw == 2 && sh == 2 && sw == 2;
      shape = shapeFor(maxBatch);
    }

    private PoolShape shapeFor(int batch) {
      return new PoolShape(batch, in.c(), in.h(), in.w(), kh, kw, sh, sw);
    }

    private PoolShape shape(int batch) {
      if (shape.n() != batch) {
        shape = shapeFor(batch);
      }
      return shape;
    }

    @Override
    float[] forward(float[] x, float[] params, float[] buffers, int batch, boolean training, long seed) {
      argmaxStale = max2x2 && !training;
      if (argmaxStale) {
        Pool2d.maxForwardInference(outArr, x, shape(batch));
      } else if (max) {
        Pool2d.maxForward(outArr, argmax, x, shape(batch));
      } else {
        Pool2d.avgForward(outArr, x, shape(batch));
      }
      return outArr;
    }

    @Override
    float[] backward(float[] x, float[] dOut, float[] params, float[] grads, int batch, boolean needInput) {
      if (!needInput) {
        return null;
      }
      Arrays.fill(dInArr, 0, batch * in.size(), 0f);
      if (max) {
        if (argmaxStale) {   // after an inference-mode forward: same output, now with its argmax
          Pool2d.maxForward(outArr, argmax, x, shape(batch));
          argmaxStale = false;
        }
        Pool2d.maxBackward(dInArr, dOut, argmax, shape(batch));
      } else {
        Pool2d.avgBackward(dInArr, dOut, shape(batch));
      }
      return dInArr;
    }
  }

  /** Dense {@code out = in @ W^T + b} over the flattened input, W (units, inFeatures). */
  static final class Dense extends RuntimeLayer {
    private final DenseSpec spec;
    private final int inF;
    private final int units;
    private final int wOff;
    private final int bOff;
    private final float[] outArr;
    private final float[] dInArr;

    Dense(DenseSpec spec, TensorShape in, int maxBatch, int pOff) {
      super(spec.name(), in, spec.outputShape(in), maxBatch);
      this.spec = spec;
      this.inF = in.size();
      this.units = spec.units();
      this.wOff = pOff;
      this.bOff = pOff + units * inF;
      this.outArr = alloc(maxBatch, out);
      this.dInArr = alloc(maxBatch, in);
    }

    @Override
    float[] forward(float[] x, float[] params, float[] buffers, int batch, boolean training, long seed) {
      Gemm.sgemm(false, true, batch, units, inF, 1f, x, 0, inF, params, wOff, inF, 0f, outArr, 0, units);
      if (spec.bias()) {
        Bias.addRows(outArr, batch, units, params, bOff);
      }
      return outArr;
    }

    @Override
    float[] backward(float[] x, float[] dOut, float[] params, float[] grads, int batch, boolean needInput) {
      // dW (units x inF) += dOut^T (units x batch) @ x (batch x inF)
      Gemm.sgemm(true, false, units, inF, batch, 1f, dOut, 0, units, x, 0, inF, 1f, grads, wOff, inF);
      if (spec.bias()) {
        Bias.backwardRows(grads, bOff, dOut, batch, units);
      }
      if (!needInput) {
        return null;
      }
      // dIn (batch x inF) = dOut (batch x units) @ W (units x inF)
      Gemm.sgemm(false, false, batch, inF, units, 1f, dOut, 0, units, params, wOff, inF, 0f, dInArr, 0, inF);
      return dInArr;
    }

    @Override
    void paramSlices(List<ParamSlice> acc) {
      acc.add(new ParamSlice(name + ".weight", wOff, units * inF, new int[] {units, inF}));
      if (spec.bias()) {
        acc.add(new ParamSlice(name + ".bias", bOff, units, new int[] {units}));
      }
    }

    @Override
    void init(float[] params, float[] buffers, InitKind kind, SplittableRandom rnd) {
      fillWeights(params, wOff, units * inF, inF, units, kind, rnd);
    }
  }

  /** Flatten: a view, the same array forward and backward. */
  static final class Flatten extends RuntimeLayer {
    Flatten(FlattenSpec spec, TensorShape in, int maxBatch) {
      super(spec.name(), in, spec.outputShape(in), maxBatch);
    }

    @Override
    float[] forward(float[] x, float[] params, float[] buffers, int batch, boolean training, long seed) {
      return x;
    }

    @Override
    float[] backward(float[] x, float[] dOut, float[] params, float[] grads, int batch, boolean needInput) {
      return needInput ? dOut : null;
    }
  }

  /** Inverted dropout via {@link Dropout}; identity (a view) in inference or with rate 0. */
  static final class Drop extends RuntimeLayer {
    private final float rate;
    private final long seedOffset;
    private final float[] outArr;
    private final float[] dInArr;
    private final float[] mask;

    Drop(DropoutSpec spec, TensorShape in, int maxBatch, int layerIndex) {
      super(spec.name(), in, in, maxBatch);
      this.rate = spec.rate();
      // distinct, well-spread streams per layer for the same step seed
      this.seedOffset = layerIndex * 0x9E3779B97F4A7C15L;
      this.outArr = alloc(maxBatch, in);
      this.dInArr = alloc(maxBatch, in);
      this.mask = alloc(maxBatch, in);
    }

    @Override
    float[] forward(float[] x, float[] params, float[] buffers, int batch, boolean training, long seed) {
      if (!training || rate == 0f) {
        return x;
      }
      Dropout.forward(outArr, mask, x, batch * in.size(), rate, seed + seedOffset);
      return outArr;
    }

    @Override
    float[] backward(float[] x, float[] dOut, float[] params, float[] grads, int batch, boolean needInput) {
      if (!needInput) {
        return null;
      }
      if (rate == 0f) {
        return dOut;
      }
      int n = batch * in.size();
      Arrays.fill(dInArr, 0, n, 0f);
      Dropout.backward(dInArr, dOut, mask, n);
      return dInArr;
    }
  }

  /** Batch norm per channel (images) or per feature (flat inputs) via {@link BatchNorm}. */
  static final class Norm extends RuntimeLayer {
    private final BatchNormSpec spec;
    private final int c;
    private final int hw;
    private final int pOff;
    private final int bufOff;
    private final float[] outArr;
    private final float[] dInArr;
    private final float[] saveMean;
    private final float[] saveInvStd;

    Norm(BatchNormSpec spec, TensorShape in, int maxBatch, int pOff, int bufOff) {
      super(spec.name(), in, in, maxBatch);
      this.spec = spec;
      this.c = in.c();
      this.hw = in.h() * in.w();
      this.pOff = pOff;
      this.bufOff = bufOff;
      this.outArr = alloc(maxBatch, in);
      this.dInArr = alloc(maxBatch, in);
      this.saveMean = new float[c];
      this.saveInvStd = new float[c];
    }

    @Override
    float[] forward(float[] x, float[] params, float[] buffers, int batch, boolean training, long seed) {
      if (training) {
        BatchNorm.forwardTraining(outArr, x, batch, c, hw, params, pOff, params, pOff + c, buffers, bufOff,
            buffers, bufOff + c, saveMean, saveInvStd, spec.eps(), spec.momentum());
      } else {
        BatchNorm.forwardInference(outArr, x, batch, c, hw, params, pOff, params, pOff + c, buffers, bufOff,
            buffers, bufOff + c, spec.eps());
      }
      return outArr;
    }

    @Override
    float[] backward(float[] x, float[] dOut, float[] params, float[] grads, int batch, boolean needInput) {
      Arrays.fill(dInArr, 0, batch * in.size(), 0f);
      BatchNorm.backward(dInArr, grads, pOff, grads, pOff + c, dOut, x, batch, c, hw, params, pOff, saveMean,
          saveInvStd);
      return needInput ? dInArr : null;
    }

    @Override
    void paramSlices(List<ParamSlice> acc) {
      acc.add(new ParamSlice(name + ".weight", pOff, c, new int[] {c}));
      acc.add(new ParamSlice(name + ".bias", pOff + c, c, new int[] {c}));
    }

    @Override
    void bufferSlices(List<ParamSlice> acc) {
      acc.add(new ParamSlice(name + ".running_mean", bufOff, c, new int[] {c}));
      acc.add(new ParamSlice(name + ".running_var", bufOff + c, c, new int[] {c}));
    }

    @Override
    void init(float[] params, float[] buffers, InitKind kind, SplittableRandom rnd) {
      Arrays.fill(params, pOff, pOff + c, 1f);
      Arrays.fill(buffers, bufOff + c, bufOff + 2 * c, 1f);
    }
  }

  /** Activation layers via {@link Activations}; softmax runs over each example's values. */
  static final class Act extends RuntimeLayer {
    private final ActivationKind kind;
    private final float alpha;
    private final float[] outArr;
    private final float[] dInArr;

    Act(ActivationSpec spec, TensorShape in, int maxBatch) {
      super(spec.name(), in, in, maxBatch);
      this.kind = spec.kind();
      this.alpha = spec.alpha();
      this.outArr = alloc(maxBatch, in);
      this.dInArr = alloc(maxBatch, in);
    }

    @Override
    float[] forward(float[] x, float[] params, float[] buffers, int batch, boolean training, long seed) {
      int n = batch * in.size();
      switch (kind) {
        case RELU -> Activations.reluForward(outArr, x, n);
        case LEAKY_RELU -> Activations.leakyReluForward(outArr, x, n, alpha);
        case ELU -> Activations.eluForward(outArr, x, n, alpha);
        case SIGMOID -> Activations.sigmoidForward(outArr, x, n);
        case TANH -> Activations.tanhForward(outArr, x, n);
        case SOFTMAX -> Activations.softmaxForward(outArr, x, batch, in.size());
      }
      return outArr;
    }

    @Override
    float[] backward(float[] x, float[] dOut, float[] params, float[] grads, int batch, boolean needInput) {
      if (!needInput) {
        return null;
      }
      int n = batch * in.size();
      Arrays.fill(dInArr, 0, n, 0f);
      switch (kind) {
        case RELU -> Activations.reluBackward(dInArr, dOut, x, n);
        case LEAKY_RELU -> Activations.leakyReluBackward(dInArr, dOut, x, n, alpha);
        case ELU -> Activations.eluBackward(dInArr, dOut, x, n, alpha);
        case SIGMOID -> Activations.sigmoidBackward(dInArr, dOut, outArr, n);
        case TANH -> Activations.tanhBackward(dInArr, dOut, outArr, n);
        case SOFTMAX -> Activations.softmaxBackward(dInArr, dOut, outArr, batch, in.size());
      }
      return dInArr;
    }
  }

  /** Residual block: {@code out = body(x) + projection(x)} (or {@code + x}). */
  static final class Residual extends RuntimeLayer {
    private final RuntimeLayer[] body;
    private final RuntimeLayer projection;
    private final float[][] bodyIn;
    private final float[] outArr;
    private final float[] dInArr;

    Residual(ResidualSpec spec, TensorShape in, RuntimeLayer[] body, RuntimeLayer projection, int maxBatch) {
      super(spec.name(), in, spec.outputShape(in), maxBatch);
      this.body = body;
      this.projection = projection;
      this.bodyIn = new float[body.length][];
      this.outArr = alloc(maxBatch, out);
      this.dInArr = alloc(maxBatch, in);
    }

    @Override
    float[] forward(float[] x, float[] params, float[] buffers, int batch, boolean training, long seed) {
      float[] a = x;
      for (int i = 0; i < body.length; i++) {
        bodyIn[i] = a;
        a = body[i].forward(a, params, buffers, batch, training, seed);
      }
      float[] skip = projection == null ? x : projection.forward(x, params, buffers, batch, training, seed);
      int n = batch * out.size();
      System.arraycopy(a, 0, outArr, 0, n);
      VectorOps.add(outArr, 0, skip, 0, n);
      return outArr;
    }

    @Override
    float[] backward(float[] x, float[] dOut, float[] params, float[] grads, int batch, boolean needInput) {
      float[] d = dOut;
      for (int i = body.length - 1; i >= 0; i--) {
        d = body[i].backward(bodyIn[i], d, params, grads, batch, needInput || i > 0);
      }
      float[] dSkip = projection == null ? dOut : projection.backward(x, dOut, params, grads, batch, needInput);
      if (!needInput) {
        return null;
      }
      int n = batch * in.size();
      System.arraycopy(d, 0, dInArr, 0, n);
      VectorOps.add(dInArr, 0, dSkip, 0, n);
      return dInArr;
    }

    @Override
    void paramSlices(List<ParamSlice> acc) {
      for (RuntimeLayer l : body) {
        l.paramSlices(acc);
      }
      if (projection != null) {
        projection.paramSlices(acc);
      }
    }

    @Override
    void bufferSlices(List<ParamSlice> acc) {
      for (RuntimeLayer l : body) {
        l.bufferSlices(acc);
      }
      if (projection != null) {
        projection.bufferSlices(acc);
      }
    }

    @Override
    void init(float[] params, float[] buffers, InitKind kind, SplittableRandom rnd) {
      for (RuntimeLayer l : body) {
        l.init(params, buffers, kind, rnd);
      }
      if (projection != null) {
        projection.init(params, buffers, kind, rnd);
      }
    }

    @Override
    int workspaceSize() {
      int m = projection == null ? 0 : projection.workspaceSize();
      for (RuntimeLayer l : body) {
        m = Math.max(m, l.workspaceSize());
      }
      return m;
    }
  }
}
