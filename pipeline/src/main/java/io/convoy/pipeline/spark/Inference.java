package io.convoy.pipeline.spark;

import io.convoy.pipeline.data.Batcher;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.model.TensorShape;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.Serializable;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;

/**
 * Task side of evaluation and prediction: inference over a partition in workspace-sized pieces.
 * Evaluation during training runs on the task thread's training network (the same workspace batch),
 * so it allocates no second set of workspaces; the prediction job reads raw chunks, normalises them
 * straight into the network's input batch (no Arrow round trip) and writes CSV text itself.
 */
final class Inference {
  /** Examples per inference call of the evaluate and predict jobs (and the training network's default). */
  static final int BATCH = 128;

  private Inference() {
  }

  /**
   * Model to run (broadcast). {@code batch}: examples per inference call, which is also the
   * workspace size of the task thread's network for {@code spec}; evaluation during training passes
   * the replicas' workspace batch so that it reuses their network.
   */
  record ModelInput(String dataId, ModelSpec spec, float[] params, float[] buffers, int batch)
      implements Serializable {
    ModelInput(String dataId, ModelSpec spec, float[] params, float[] buffers) {
      this(dataId, spec, params, buffers, BATCH);
    }
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
    int batch = in.batch();
    Network net = TaskState.network(in.spec(), batch);
    Sums out = new Sums();
    if (withConfusion) {
      out.confusion = new long[k * k];
    }
    float[] x = new float[batch * s];
    int[] y = new int[batch];
    int[] predicted = withConfusion ? new int[batch] : null;
    for (int from = 0; from < n; from += batch) {
      int m = Math.min(batch, n - from);
      System.arraycopy(d.x(), from * s, x, 0, m * s);
      System.arraycopy(d.labels(), from, y, 0, m);
      // one forward pass gives the loss, the correct count and (for the confusion matrix) the classes
      out.lossSum += (double) net.evaluate(in.params(), in.buffers(), x, y, m, predicted) * m;
      out.correct += net.lastCorrect();
      if (withConfusion) {
        for (int i = 0; i < m; i++) {
          out.confusion[y[i] * k + predicted[i]]++;
        }
      }
      out.count += m;
    }
    return List.of(out).iterator();
  }

  /** Receives the predictions of one inference call: examples {@code 0 .. m-1} of the batch. */
  interface PredictionSink {
    /**
     * @param indices record numbers (from {@code off})
     * @param labels labels (from {@code off})
     * @param probs {@code m * classes} probabilities, example after example, from 0
     */
    void accept(int[] indices, int[] labels, int off, int m, float[] probs) throws IOException;
  }

  /**
   * Predicts every example of a partition of raw chunks in record order: pixels are normalised
   * straight into the network's input batch (the arithmetic of {@code MiniBatch.fill}, so the inputs
   * equal the Arrow path's), float-feature chunks are used as they are. Returns the example count.
   */
  static long predictRaw(Iterator<DataChunk> it, ModelInput in, Normalization norm, PredictionSink sink)
      throws IOException {
    TensorShape shape = in.spec().input();
    int s = shape.size();
    int k = in.spec().numClasses();
    int batch = in.batch();
    Network net = TaskState.network(in.spec(), batch);
    float[] x = new float[batch * s];
    int[] y = new int[batch];
    float[] probs = new float[batch * k];
    int[] order = new int[0];
    long count = 0;
    while (it.hasNext()) {
      DataChunk ch = it.next();
      int n = ch.size();
      ImageSet set = null;
      if (ch.features() == null && n > 0) {
        int maxLabel = 0;
        for (int l : ch.labels()) {
          maxLabel = Math.max(maxLabel, l);
        }
        set = new ImageSet(shape, ch.pixels(), ch.labels(), Math.max(k, maxLabel + 1));
        if (order.length < n) {
          order = new int[n];
          for (int i = 0; i < n; i++) {
            order[i] = i;
          }
        }
      }
      for (int from = 0; from < n; from += batch) {
        int m = Math.min(batch, n - from);
        if (set == null) {
          System.arraycopy(ch.features(), from * s, x, 0, m * s);
        } else {
          Batcher.fill(set, order, from, m, norm, null, 0L, x, y);
        }
        net.predict(in.params(), in.buffers(), x, m, probs);
        sink.accept(ch.indices(), ch.labels(), from, m, probs);
        count += m;
      }
    }
    return count;
  }

  /** The CSV header of predictions: {@code index,label,predicted,p0,...}. */
  static String csvHeader(int classes) {
    StringBuilder sb = new StringBuilder("index,label,predicted");
    for (int c = 0; c < classes; c++) {
      sb.append(",p").append(c);
    }
    return sb.append('\n').toString();
  }

  /**
   * Predicts a partition of raw chunks (in record order) and writes it as one CSV part file
   * {@code part-NNNNN.csv} (with the header line, as Spark's CSV writer does) under {@code folder}.
   * Floats are written as {@link Float#toString(float)}, like Spark's CSV writer. Returns the rows written.
   */
  static long writeCsv(int partition, Iterator<DataChunk> it, ModelInput in, Normalization norm, String folder,
      Configuration conf) throws IOException {
    int k = in.spec().numClasses();
    Path file = new Path(folder, String.format(java.util.Locale.ROOT, "part-%05d.csv", partition));
    FileSystem fs = file.getFileSystem(conf);
    try (Writer w = new BufferedWriter(new OutputStreamWriter(fs.create(file, true), StandardCharsets.UTF_8),
        1 << 16)) {
      w.write(csvHeader(k));
      StringBuilder line = new StringBuilder(256);
      return predictRaw(it, in, norm, (indices, labels, off, m, probs) -> {
        for (int i = 0; i < m; i++) {
          line.setLength(0);
          line.append(indices[off + i]).append(',').append(labels[off + i]).append(',')
              .append(argmax(probs, i * k, k));
          for (int c = 0; c < k; c++) {
            line.append(',').append(probs[i * k + c]);
          }
          line.append('\n');
          w.append(line);
        }
      });
    }
  }

  /** Rows (index, label, predicted, p0 .. p(k-1)) of a partition of raw chunks, in record order. */
  static Iterator<Row> predictRows(Iterator<DataChunk> it, ModelInput in, Normalization norm) throws IOException {
    int k = in.spec().numClasses();
    List<Row> rows = new ArrayList<>();
    predictRaw(it, in, norm, (indices, labels, off, m, probs) -> {
      for (int i = 0; i < m; i++) {
        Object[] v = new Object[3 + k];
        v[0] = (long) indices[off + i];
        v[1] = labels[off + i];
        v[2] = argmax(probs, i * k, k);
        for (int c = 0; c < k; c++) {
          v[3 + c] = probs[i * k + c];
        }
        rows.add(RowFactory.create(v));
      }
    });
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
