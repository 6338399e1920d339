package io.convoy.pipeline.spark;

import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import java.lang.ref.SoftReference;
import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Supplier;

/**
 * Executor-side state reused across tasks: one {@link Network} per task thread and spec (its
 * workspaces are large; building one per round would re-allocate them), and decoded training
 * partitions, so that a per-step job (SYNC_SGD) or a per-round job does not decode the Arrow chunks
 * again. Decoded partitions are held through soft references (the JVM may drop them under memory
 * pressure; they are then decoded again from the cached RDD) and at most {@link #MAX_PARTITIONS}.
 */
final class TaskState {
  static final int MAX_PARTITIONS = 8;

  private TaskState() {
  }

  private record NetKey(ModelSpec spec, int maxBatch) {
  }

  private static final ThreadLocal<Map<NetKey, Network>> NETWORKS = ThreadLocal.withInitial(HashMap::new);

  /** This thread's network for {@code spec} with room for {@code maxBatch} examples. */
  static Network network(ModelSpec spec, int maxBatch) {
    Map<NetKey, Network> m = NETWORKS.get();
    NetKey k = new NetKey(spec, maxBatch);
    Network n = m.get(k);
    if (n == null) {
      if (m.size() >= 4) {
        m.clear();
      }
      n = new Network(spec, maxBatch);
      m.put(k, n);
    }
    return n;
  }

  private record DataKey(String dataId, int partition) {
  }

  private static final Map<DataKey, SoftReference<SparkData.PartitionData>> PARTITIONS =
      new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<DataKey, SoftReference<SparkData.PartitionData>> e) {
          return size() > MAX_PARTITIONS;
        }
      };

  /** The decoded partition {@code partition} of data set {@code dataId}, decoding it when not held. */
  static SparkData.PartitionData partition(String dataId, int partition, Supplier<SparkData.PartitionData> decode) {
    DataKey k = new DataKey(dataId, partition);
    synchronized (PARTITIONS) {
      SoftReference<SparkData.PartitionData> r = PARTITIONS.get(k);
      SparkData.PartitionData d = r == null ? null : r.get();
      if (d != null) {
        return d;
      }
    }
    SparkData.PartitionData d = decode.get();
    synchronized (PARTITIONS) {
      PARTITIONS.put(k, new SoftReference<>(d));
    }
    return d;
  }

  /** Drops the decoded partitions of {@code dataId} held by this JVM. */
  static void forget(String dataId) {
    synchronized (PARTITIONS) {
      Iterator<DataKey> it = PARTITIONS.keySet().iterator();
      while (it.hasNext()) {
        if (it.next().dataId().equals(dataId)) {
          it.remove();
        }
      }
    }
  }
}
