package io.convoy.pipeline.spark;

import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/** Task side of evaluation and prediction: inference over a partition in workspace-sized pieces. */
final class Inference {
  /** Examples per inference call. */
  static final int BATCH = 256;

  private Inference() {
  }

  /** Model to run (broadcast). */
  record ModelInput(String dataId, ModelSpec spec, float[] params, float[] buffers) implements Serializable {
  }

  /** Sums over examples; {@code confusion} is {@code [true * classes + predicted]} or null. */
  static final class Sums implements Serializable {
    private static final long serialVersionUID = 1L;
    double lossSum;
    long correct;
    long count;
    long[] confusion;

    Sums merge(Sums o) {
      lossSum += o.lossSum;
      correct += o.correct;
      count += o.count;
      if (o.confusion != null) {
        if (confusion == null) {
          confusion = o.confusion.clone();
        } else {
          for (int i = 0; i < confusion.length; i++) {
            confusion[i] += o.confusion[i];
          }
        }
      }
      return this;
    }
  }

  /** Loss, correct count and (when {@code withConfusion}) the confusion matrix of one partition. */
  static Iterator<Sums> evaluate(int partition, Iterator<BatchChunk> it, ModelInput in, boolean withConfusion,
      boolean cache) {
    SparkData.PartitionData d = cache
        ? TaskState.partition(in.dataId(), partition, () -> SparkData.decode(partition, it, in.spec().input()))
        : SparkData.decode(partition, it, in.spec().input());
    int n = d.size();
    int s = in.spec().input().size();
    int k = in.spec().numClasses();
    Network net = TaskState.network(in.spec(), BATCH);
    Sums out = new Sums();
    if (withConfusion) {
      out.confusion = new long[k * k];
    }
    float[] x = new float[BATCH * s];
    int[] y = new int[BATCH];
    float[] probs = withConfusion ? new float[BATCH * k] : null;
    for (int from = 0; from < n; from += BATCH) {
      int m = Math.min(BATCH, n - from);
      System.arraycopy(d.x(), from * s, x, 0, m * s);
      System.arraycopy(d.labels(), from, y, 0, m);
      out.lossSum += (double) net.evaluate(in.params(), in.buffers(), x, y, m) * m;
      out.correct += net.lastCorrect();
      if (withConfusion) {
        net.predict(in.params(), in.buffers(), x, m, probs);
        for (int i = 0; i < m; i++) {
          out.confusion[y[i] * k + argmax(probs, i * k, k)]++;
        }
      }
      out.count += m;
    }
    return List.of(out).iterator();
  }

  /** Rows (index, label, predicted, p0 .. p(k-1)) of one partition. */
  static Iterator<Row> predict(int partition, Iterator<BatchChunk> it, ModelInput in) {
    SparkData.PartitionData d = SparkData.decode(partition, it, in.spec().input());
    int n = d.size();
    int s = in.spec().input().size();
    int k = in.spec().numClasses();
    Network net = TaskState.network(in.spec(), BATCH);
    float[] x = new float[BATCH * s];
    float[] probs = new float[BATCH * k];
    List<Row> rows = new ArrayList<>(n);
    for (int from = 0; from < n; from += BATCH) {
      int m = Math.min(BATCH, n - from);
      System.arraycopy(d.x(), from * s, x, 0, m * s);
      net.predict(in.params(), in.buffers(), x, m, probs);
      for (int i = 0; i < m; i++) {
        Object[] v = new Object[3 + k];
        v[0] = (long) d.indices()[from + i];
        v[1] = d.labels()[from + i];
        v[2] = argmax(probs, i * k, k);
        for (int c = 0; c < k; c++) {
          v[3 + c] = probs[i * k + c];
        }
        rows.add(RowFactory.create(v));
      }
    }
    return rows.iterator();
  }

  static int argmax(float[] v, int off, int n) {
    int best = 0;
    for (int i = 1; i < n; i++) {
      if (v[off + i] > v[off + best]) {
        best = i;
      }
    }
    return best;
  }
}
