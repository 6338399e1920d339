package io.convoy.pipeline.train;

import io.convoy.kernels.VectorOps;
import io.convoy.pipeline.model.Network;
import java.util.Arrays;

/**
 * The gradient of a batch's mean loss, computed in chunks of at most {@code net.maxBatch()} examples
 * and weighted by chunk size. The single-process {@link LocalReplica} and the Spark replicas both
 * use it, so both do the same arithmetic in the same order (which is what makes parameter averaging
 * on one partition bit-identical to single-process training). Not thread-safe, like its Network.
 */
public final class ChunkedGradient {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  /** Writes examples {@code offset .. offset+count} of the batch into the network's input workspace. */
  @FunctionalInterface
  public interface Filler {
    /**
     * @param offset first example of the chunk within the batch
     * @param count examples in the chunk
     * @param augSeed seeds the chunk's augmentation
     */
    void fill(int offset, int count, long augSeed);
  }

  private final Network net;
  private final float[] grads;
  private float[] chunkGrads;
  private int correct;

  /**
   * @param net the network (its {@code maxBatch()} is the chunk size)
   * @param grads the gradient vector this writes, {@code net.numParams()} floats
   */
  public ChunkedGradient(Network net, float[] grads) {
    if (grads.length != net.numParams()) {
      throw new IllegalArgumentException("ChunkedGradient: gradient vector holds " + grads.length
          + " floats, the network has " + net.numParams() + " parameters");
    }
    this.net = net;
    this.grads = grads;
  }

  /**
   * Overwrites the gradient with that of the mean loss over a batch of {@code count} examples and
   * returns that mean loss. For each chunk, {@code filler} writes the examples into {@code x}/{@code y};
   * chunk {@code k} is augmented with seed {@code stepSeed + k} and its dropout seeded with
   * {@code stepSeed * 31 + k}.
   */
  public double compute(float[] params, float[] buffers, float[] x, int[] y, int count, long stepSeed, Filler filler) {
    int n = grads.length;
    int cap = net.maxBatch();
    Arrays.fill(grads, 0f);
    double loss = 0;
    int good = 0;
    for (int done = 0, chunk = 0; done < count; chunk++) {
      int b = Math.min(cap, count - done);
      filler.fill(done, b, stepSeed + chunk);
      long dropSeed = stepSeed * 31 + chunk;
      if (b == count) {
        loss = net.forwardBackward(params, grads, buffers, x, y, b, dropSeed);
      } else {
        if (chunkGrads == null) {
          chunkGrads = new float[n];
        }
        Arrays.fill(chunkGrads, 0f);
        float l = net.forwardBackward(params, chunkGrads, buffers, x, y, b, dropSeed);
        float w = (float) b / count;
        VectorOps.axpy(w, chunkGrads, 0, grads, 0, n);
        loss += (double) l * b / count;
      }
      good += net.lastCorrect();
      done += b;
    }
    correct = good;
    return loss;
  }

  /** The seed of one optimizer step of a replica: {@code replicaSeed} mixed with the global step. */
  public static long stepSeed(long replicaSeed, long step) {
    return replicaSeed ^ (GOLDEN * (step + 1));
  }

  /** Correct predictions in the last {@link #compute} call. */
  public int correct() {
    return correct;
  }
}
