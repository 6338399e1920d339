package io.convoy.pipeline.spark;

import io.convoy.pipeline.model.TensorShape;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/** Test source: the records {@code i >= from} with {@code i % every == 0} of another source. */
record FilteredSource(DataSource inner, int from, int every) implements DataSource {
  private static final long serialVersionUID = 1L;

  @Override
  public JavaRDD<DataChunk> load(JavaSparkContext sc, int partitions, long seed, int numClasses) {
    int lo = from;
    int k = every;
    return inner.load(sc, partitions, seed, numClasses).map(c -> {
      int s = c.pixels().length / Math.max(1, c.size());
      int n = 0;
      for (int i : c.indices()) {
        n += i >= lo && i % k == 0 ? 1 : 0;
      }
      int[] idx = new int[n];
      int[] lab = new int[n];
      byte[] px = new byte[n * s];
      int w = 0;
      for (int i = 0; i < c.size(); i++) {
        int r = c.indices()[i];
        if (r >= lo && r % k == 0) {
          idx[w] = r;
          lab[w] = c.labels()[i];
          System.arraycopy(c.pixels(), i * s, px, w * s, s);
          w++;
        }
      }
      return new DataChunk(c.partition(), idx, lab, px);
    });
  }

  @Override
  public TensorShape shape() {
    return inner.shape();
  }

  @Override
  public int numClasses() {
    return inner.numClasses();
  }

  @Override
  public long count() {
    return -1;
  }

  @Override
  public String describe() {
    return inner.describe() + " from " + from + " every " + every;
  }
}
