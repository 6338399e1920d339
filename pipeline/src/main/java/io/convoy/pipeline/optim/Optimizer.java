package io.convoy.pipeline.optim;

import io.convoy.kernels.Optimizers;
import io.convoy.kernels.VectorOps;

/**
 * Applies one {@link OptimizerSpec} to a flat parameter vector, keeping its state (velocity, Adam's
 * moments, RMSprop's mean of squares) in the parameter layout.
 *
 * <p>The state is {@link OptimizerKind#slots()} vectors of {@code numParams} floats. The kernels
 * take each slot as its own array, so they are held as separate arrays; {@link #state()} gives them
 * as one flat copy, slot after slot ({@code stateSize() = slots * numParams}), and
 * {@link #setState(float[])} loads such a vector back (checkpoints, averaging across replicas).
 *
 * <p>{@link #step(float[], float[], float)} first clips the gradient to the spec's global norm
 * (when {@code clipNorm > 0}; the gradient array is scaled in place), then updates the parameters
 * and increments the step count, which Adam's bias correction uses (the first step is 1).
 * Not thread-safe.
 */
public final class Optimizer {
  private final OptimizerSpec spec;
  private final int numParams;
  private final float[][] slots;
  private int step;
  private float lastGradNorm = Float.NaN;

  /** An optimizer with zeroed state at step 0. */
  public Optimizer(OptimizerSpec spec, int numParams) {
    if (spec == null) {
      throw new IllegalArgumentException("Optimizer: spec is null");
    }
    if (numParams < 0) {
      throw new IllegalArgumentException("Optimizer: numParams must be >= 0, got " + numParams);
    }
    this.spec = spec;
    this.numParams = numParams;
    this.slots = new float[spec.slots()][numParams];
  }

  /** The hyperparameters. */
  public OptimizerSpec spec() {
    return spec;
  }

  /** Parameters this optimizer updates. */
  public int numParams() {
    return numParams;
  }

  /** {@code slots * numParams}. */
  public int stateSize() {
    return slots.length * numParams;
  }

  /**
   * Updates {@code params} with {@code grads} at learning rate {@code lr} (the scheduled rate; the
   * spec's rate is the base). When clipping is on, {@code grads} is scaled in place first.
   */
  public void step(float[] params, float[] grads, float lr) {
    if (params == null || params.length < numParams) {
      throw new IllegalArgumentException("Optimizer.step: params needs " + numParams + " floats, got "
          + (params == null ? "null" : params.length));
    }
    if (grads == null || grads.length < numParams) {
      throw new IllegalArgumentException("Optimizer.step: grads needs " + numParams + " floats, got "
          + (grads == null ? "null" : grads.length));
    }
    if (!(lr > 0f) || Float.isInfinite(lr)) {
      throw new IllegalArgumentException("Optimizer.step: learning rate must be > 0, got " + lr);
    }
    if (spec.clipNorm() > 0f && numParams > 0) {
      lastGradNorm = VectorOps.clipGradNorm(grads, 0, numParams, spec.clipNorm());
    }
    step++;
    int n = numParams;
    switch (spec.kind()) {
      case SGD -> Optimizers.sgd(params, grads, n, lr, spec.weightDecay());
      case MOMENTUM -> Optimizers.momentum(params, grads, slots[0], n, lr, spec.momentum(), 0f, false,
          spec.weightDecay());
      case NESTEROV -> Optimizers.momentum(params, grads, slots[0], n, lr, spec.momentum(), 0f, true,
          spec.weightDecay());
      case ADAM -> Optimizers.adam(params, grads, slots[0], slots[1], n, lr, spec.beta1(), spec.beta2(),
          spec.eps(), spec.weightDecay(), step);
      case ADAMW -> Optimizers.adamW(params, grads, slots[0], slots[1], n, lr, spec.beta1(), spec.beta2(),
          spec.eps(), spec.weightDecay(), step);
      case RMSPROP -> Optimizers.rmsprop(params, grads, slots[0], slots[1], n, lr, spec.alpha(), spec.eps(),
          spec.weightDecay(), spec.momentum());
      default -> throw new IllegalStateException("Optimizer: unknown kind " + spec.kind());
    }
  }

  /** The gradient norm before clipping in the last step (NaN when clipping is off). */
  public float lastGradNorm() {
    return lastGradNorm;
  }

  /** A flat copy of the state, slot after slot ({@link #stateSize()} floats). */
  public float[] state() {
    float[] out = new float[stateSize()];
    copyStateTo(out, 0);
    return out;
  }

  /** Copies the flat state into {@code dst} from {@code off}. */
  public void copyStateTo(float[] dst, int off) {
    checkRange("copyStateTo", dst, off);
    for (int s = 0; s < slots.length; s++) {
      System.arraycopy(slots[s], 0, dst, off + s * numParams, numParams);
    }
  }

  /** Loads a flat state as produced by {@link #state()}. */
  public void setState(float[] state) {
    if (state == null || state.length != stateSize()) {
      throw new IllegalArgumentException("Optimizer.setState: " + spec.kind().configName() + " state needs "
          + stateSize() + " floats (" + slots.length + " slots x " + numParams + " params), got "
          + (state == null ? "null" : state.length));
    }
    loadState(state, 0);
  }

  /** Loads {@link #stateSize()} floats of flat state from {@code src} at {@code off}. */
  public void loadState(float[] src, int off) {
    checkRange("loadState", src, off);
    for (int s = 0; s < slots.length; s++) {
      System.arraycopy(src, off + s * numParams, slots[s], 0, numParams);
    }
  }

  /** The live array of one state slot (0-based); writes change the optimizer's state. */
  public float[] slot(int index) {
    if (index < 0 || index >= slots.length) {
      throw new IllegalArgumentException("Optimizer.slot: " + spec.kind().configName() + " has "
          + slots.length + " slots, got index " + index);
    }
    return slots[index];
  }

  /** Steps taken so far (Adam's t of the last step). */
  public int step() {
    return step;
  }

  /** Sets the step count (resuming from a checkpoint). */
  public void setStep(int t) {
    if (t < 0) {
      throw new IllegalArgumentException("Optimizer.setStep: step must be >= 0, got " + t);
    }
    this.step = t;
  }

  /** Zeroes the state and the step count. */
  public void reset() {
    for (float[] s : slots) {
      java.util.Arrays.fill(s, 0f);
    }
    step = 0;
  }

  private void checkRange(String where, float[] a, int off) {
    if (a == null || off < 0 || (long) off + stateSize() > a.length) {
      throw new IllegalArgumentException("Optimizer." + where + ": needs " + stateSize() + " floats from offset "
          + off + ", array length is " + (a == null ? "null" : a.length));
    }
  }
}
