package io.convoy.pipeline.spark;

import io.convoy.pipeline.model.TensorShape;
import java.io.Serializable;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;

/**
 * A labelled image data set that Spark tasks read themselves: the driver only looks at headers
 * (counts, shapes), never at the examples.
 *
 * <p>{@link #load} gives an RDD with exactly {@code partitions} partitions whose elements are
 * {@link DataChunk}s. Records go to partitions by a permutation of the record numbers seeded with
 * {@code seed} (so partitions are random, balanced to within one record, and reproducible); inside a
 * partition the chunks hold their records in ascending record number. The RDD is not persisted:
 * the caller decides.
 */
public interface DataSource extends Serializable {

  /**
   * Reads the data into {@code partitions} partitions of chunks.
   *
   * @param sc the Spark context (its Hadoop configuration is used to open files)
   * @param partitions number of partitions, > 0
   * @param seed seeds the assignment of records to partitions
   * @param numClasses labels must lie in {@code [0, numClasses)}; a label outside fails the load
   *     with the file, record number and value in the message; 0 skips the check
   */
  JavaRDD<DataChunk> load(JavaSparkContext sc, int partitions, long seed, int numClasses);

  /**
   * The records in record-number order without a shuffle, for prediction: {@code partitions}
   * partitions, partition {@code p} holding a contiguous range of record numbers, all below those of
   * partition {@code p + 1}, in ascending chunks. Null when the source cannot read that way (the
   * caller then uses {@link #load} and sorts).
   */
  default JavaRDD<DataChunk> loadInOrder(JavaSparkContext sc, int partitions, int numClasses) {
    return null;
  }

  /** {@link #load(JavaSparkContext, int, long, int)} with seed 0 and the source's own class count. */
  default JavaRDD<DataChunk> load(JavaSparkContext sc, int partitions) {
    return load(sc, partitions, 0L, numClasses());
  }

  /** Shape of one example (C, H, W), from the header. */
  TensorShape shape();

  /** {@link #shape()} reading through the given Hadoop configuration (the Spark context's). */
  default TensorShape shape(Configuration conf) {
    return shape();
  }

  /** Number of classes the source declares; 0 when it does not know (IDX files do not say). */
  int numClasses();

  /** Number of examples, from the header. */
  long count();

  /** What the data is, for logs and Spark job names: {@code "IDX file:/data/train-images... (60000 x (1, 28, 28))"}. */
  String describe();
}
