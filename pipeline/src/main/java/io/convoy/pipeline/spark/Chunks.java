package io.convoy.pipeline.spark;

import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.SplittableRandom;
import org.apache.spark.Partitioner;
import org.apache.spark.api.java.JavaRDD;
import scala.Tuple2;

/** Grouping single records into per-partition {@link DataChunk}s (used by every {@link DataSource}). */
public final class Chunks {
  /** Examples per stored chunk. */
  public static final int CHUNK = 512;

  private Chunks() {
  }

  /** One example on its way to its partition. */
  public record Rec(int index, int label, byte[] pixels) implements Serializable {
  }

  /**
   * Partition of every record: a permutation of {@code [0, n)} seeded with {@code seed}, cut into
   * {@code partitions} contiguous pieces whose sizes differ by at most one.
   */
  public static int[] assignPartitions(int n, int partitions, long seed) {
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    SplittableRandom rnd = new SplittableRandom(seed ^ 0x5DEECE66DL);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    int[] partOf = new int[n];
    for (int pos = 0; pos < n; pos++) {
      partOf[perm[pos]] = (int) ((long) pos * partitions / n);
    }
    return partOf;
  }

  /** Sends records to their partitions and packs each partition into chunks in ascending record order. */
  public static JavaRDD<DataChunk> group(JavaRDD<Tuple2<Integer, Rec>> records, int partitions, int recordBytes) {
    return records.mapToPair(t -> t).partitionBy(new ExactPartitioner(partitions))
        .mapPartitionsWithIndex((p, it) -> pack(p, it, recordBytes), true);
  }

  private static Iterator<DataChunk> pack(int partition, Iterator<Tuple2<Integer, Rec>> it, int recordBytes) {
    List<Rec> recs = new ArrayList<>();
    while (it.hasNext()) {
      recs.add(it.next()._2());
    }
    recs.sort(Comparator.comparingInt(Rec::index));
    List<DataChunk> out = new ArrayList<>((recs.size() + CHUNK - 1) / CHUNK);
    for (int from = 0; from < recs.size(); from += CHUNK) {
      int m = Math.min(CHUNK, recs.size() - from);
      int[] idx = new int[m];
      int[] lab = new int[m];
      byte[] px = new byte[m * recordBytes];
      for (int i = 0; i < m; i++) {
        Rec r = recs.get(from + i);
        idx[i] = r.index();
        lab[i] = r.label();
        System.arraycopy(r.pixels(), 0, px, i * recordBytes, recordBytes);
      }
      out.add(new DataChunk(partition, idx, lab, px));
    }
    return out.iterator();
  }

  /**
   * Packs records that arrive in ascending record order into chunks of {@link #CHUNK}, lazily (one
   * chunk is built at a time), for partition {@code partition}.
   */
  static Iterator<DataChunk> packInOrder(int partition, Iterator<Rec> recs, int recordBytes) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return recs.hasNext();
      }

      @Override
      public DataChunk next() {
        int[] idx = new int[CHUNK];
        int[] lab = new int[CHUNK];
        byte[] px = new byte[CHUNK * recordBytes];
        int m = 0;
        while (m < CHUNK && recs.hasNext()) {
          Rec r = recs.next();
          idx[m] = r.index();
          lab[m] = r.label();
          System.arraycopy(r.pixels(), 0, px, m * recordBytes, recordBytes);
          m++;
        }
        if (m == 0) {
          throw new java.util.NoSuchElementException();
        }
        return m == CHUNK ? new DataChunk(partition, idx, lab, px)
            : new DataChunk(partition, Arrays.copyOf(idx, m), Arrays.copyOf(lab, m), Arrays.copyOf(px, m * recordBytes));
      }
    };
  }

  /** Partition {@code k} for key {@code k}. */
  static final class ExactPartitioner extends Partitioner {
    private static final long serialVersionUID = 1L;
    private final int n;

    ExactPartitioner(int n) {
      this.n = n;
    }

    @Override
    public int numPartitions() {
      return n;
    }

    @Override
    public int getPartition(Object key) {
      return (Integer) key;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof ExactPartitioner e && e.n == n;
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(new int[] {n});
    }
  }
}
