package io.convoy.pipeline.spark;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.MiniBatch;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.TensorShape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.JavaRDD;

/**
 * The data path of the Spark trainer: raw chunks to normalised Arrow chunks, normalisation
 * statistics in one distributed pass, and the task-side decoding of a partition into float arrays.
 */
final class SparkData {
  private SparkData() {
  }

  /** One Arrow root allocator per JVM; tasks take named child allocators from it. */
  private static final class Root {
    static final BufferAllocator ROOT = new RootAllocator(Long.MAX_VALUE);
  }

  /** A child allocator for the running task (or the calling thread outside Spark); close it. */
  static BufferAllocator taskAllocator(String what) {
    TaskContext tc = TaskContext.get();
    String name = tc == null ? what + " (" + Thread.currentThread().getName() + ")"
        : what + " (stage " + tc.stageId() + " partition " + tc.partitionId() + " attempt " + tc.attemptNumber() + ")";
    return Root.ROOT.newChildAllocator(name, 0, Long.MAX_VALUE);
  }

  /** Bytes of this JVM's Arrow root allocator currently handed out (a read-only gauge for leak checks). */
  static long arrowAllocatedBytes() {
    return Root.ROOT.getAllocatedMemory();
  }

  /** The most bytes this JVM's Arrow root allocator has handed out at once since it was made. */
  static long arrowPeakBytes() {
    return Root.ROOT.getPeakMemoryAllocation();
  }

  /**
   * Per-channel mean and standard deviation of {@code pixel / 255}, in one pass (treeAggregate of
   * integer sums), with the same arithmetic as {@link Normalization#compute(ImageSet)}, so both give
   * identical floats on the same data.
   */
  static Normalization computeNormalization(JavaRDD<DataChunk> raw, TensorShape shape) {
    int c = shape.c();
    int hw = shape.h() * shape.w();
    long[] zero = new long[2 * c + 1];
    long[] sums = raw.treeAggregate(zero, (acc, ch) -> {
      if (ch.features() != null) {
        return acc;       // float examples are used as they are
      }
      byte[] px = ch.pixels();
      int idx = 0;
      for (int i = 0; i < ch.size(); i++) {
        for (int k = 0; k < c; k++) {
          long s = 0;
          long q = 0;
          for (int j = 0; j < hw; j++) {
            int v = px[idx++] & 0xFF;
            s += v;
            q += v * v;
          }
          acc[k] += s;
          acc[c + k] += q;
        }
      }
      acc[2 * c] += ch.size();
      return acc;
    }, (a, b) -> {
      for (int i = 0; i < a.length; i++) {
        a[i] += b[i];
      }
      return a;
    });
    float[] mean = new float[c];
    float[] std = new float[c];
    double count = (double) sums[2 * c] * hw;
    for (int k = 0; k < c; k++) {
      if (count == 0) {
        mean[k] = 0f;
        std[k] = 1f;
        continue;
      }
      double m = sums[k] / count;
      double var = Math.max(0.0, sums[c + k] / count - m * m);
      mean[k] = (float) (m / 255.0);
      double sd = Math.sqrt(var) / 255.0;
      std[k] = sd > 1e-12 ? (float) sd : 1f;
    }
    return new Normalization(mean, std);
  }

  /** Normalises every raw chunk into a {@link MiniBatch} and keeps its Arrow IPC bytes. */
  static JavaRDD<BatchChunk> toArrow(JavaRDD<DataChunk> raw, TensorShape shape, Normalization norm, int numClasses) {
    int classes = Math.max(1, numClasses);
    return raw.mapPartitions(it -> {
      List<BatchChunk> out = new ArrayList<>();
      try (BufferAllocator a = taskAllocator("convoy: encode chunks")) {
        while (it.hasNext()) {
          DataChunk ch = it.next();
          if (ch.size() == 0) {
            continue;
          }
          int maxLabel = 0;
          for (int l : ch.labels()) {
            maxLabel = Math.max(maxLabel, l);
          }
          try (MiniBatch b = MiniBatch.allocate(a, shape, ch.size())) {
            if (ch.features() != null) {
              b.set(ch.features(), ch.labels(), ch.size());
            } else {
              b.fill(new ImageSet(shape, ch.pixels(), ch.labels(), Math.max(classes, maxLabel + 1)), 0, ch.size(),
                  norm);
            }
            out.add(new BatchChunk(ch.partition(), ch.indices(), b.toIpcBytes()));
          }
        }
      }
      return out.iterator();
    }, true);
  }

  /**
   * A partition decoded for training: all its examples as normalised floats (NCHW, one example
   * after another), labels and record numbers, in ascending record number.
   */
  record PartitionData(int partition, float[] x, int[] labels, int[] indices) {
    int size() {
      return labels.length;
    }
  }

  /** {@link #decode(int, Iterator, TensorShape, int)} of a partition whose size is not known in advance. */
  static PartitionData decode(int partition, Iterator<BatchChunk> it, TensorShape shape) {
    return decode(partition, it, shape, -1);
  }

  /**
   * Decodes a partition's Arrow chunks with a task-scoped child allocator that is closed before
   * returning. The chunks are decoded one at a time as the iterator yields them (a cached partition
   * is deserialised lazily), so only one chunk's bytes are alive beside the output. {@code expected}
   * is the partition's example count when the caller knows it (the output arrays are then allocated
   * once, at their final size), or -1: they then grow as chunks arrive and are trimmed at the end.
   */
  static PartitionData decode(int partition, Iterator<BatchChunk> it, TensorShape shape, int expected) {
    int s = shape.size();
    int cap = Math.max(0, expected);
    float[] x = new float[Math.multiplyExact(cap, s)];
    int[] y = new int[cap];
    int[] idx = new int[cap];
    int at = 0;
    try (BufferAllocator a = taskAllocator("convoy: decode partition " + partition)) {
      while (it.hasNext()) {
        BatchChunk c = it.next();
        try (MiniBatch b = MiniBatch.fromIpcBytes(a, c.ipc())) {
          int m = b.size();
          if (m != c.indices().length) {
            throw new IllegalStateException("chunk of partition " + partition + " holds " + m + " rows but "
                + c.indices().length + " record numbers");
          }
          if (at + m > y.length) {
            int grown = Math.max(at + m, expected >= 0 ? at + m : y.length + (y.length >> 1) + m);
            x = Arrays.copyOf(x, Math.multiplyExact(grown, s));
            y = Arrays.copyOf(y, grown);
            idx = Arrays.copyOf(idx, grown);
          }
          b.copyPixelsTo(x, at * s);
          b.copyLabelsTo(y, at);
          System.arraycopy(c.indices(), 0, idx, at, m);
          at += m;
        }
      }
    }
    if (at != y.length) {
      x = Arrays.copyOf(x, at * s);
      y = Arrays.copyOf(y, at);
      idx = Arrays.copyOf(idx, at);
    }
    return new PartitionData(partition, x, y, idx);
  }
}
