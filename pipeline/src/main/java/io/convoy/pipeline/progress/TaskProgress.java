package io.convoy.pipeline.progress;

import java.io.Serializable;
import org.apache.spark.util.DoubleAccumulator;
import org.apache.spark.util.LongAccumulator;

/**
 * The task side of {@link LiveProgress}: three named Spark accumulators that a training task adds to
 * after every mini-batch. Capture it in the task closure (never inside a broadcast value): Spark then
 * gives every task its own copy, reports that copy's running value in each executor heartbeat and its
 * final value when the task ends. Adding to it touches nothing but the accumulators, so training
 * arithmetic is unchanged.
 */
public final class TaskProgress implements Serializable {
  private static final long serialVersionUID = 1L;

  private final LongAccumulator batches;
  private final LongAccumulator examples;
  private final DoubleAccumulator lossSum;

  TaskProgress(LongAccumulator batches, LongAccumulator examples, DoubleAccumulator lossSum) {
    this.batches = batches;
    this.examples = examples;
    this.lossSum = lossSum;
  }

  /** Records one finished mini-batch of {@code count} examples whose mean loss was {@code meanLoss}. */
  public void batchDone(int count, double meanLoss) {
    lossSum.add(meanLoss * count);
    examples.add(count);
    batches.add(1);   // last, so a heartbeat never counts a batch whose loss is missing
  }

  long batchesId() {
    return batches.id();
  }

  long examplesId() {
    return examples.id();
  }

  long lossSumId() {
    return lossSum.id();
  }
}
