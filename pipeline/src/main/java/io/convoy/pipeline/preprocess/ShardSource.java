package io.convoy.pipeline.preprocess;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.preprocess.PreprocessOptions.ShardFormat;
import io.convoy.pipeline.spark.Chunks;
import io.convoy.pipeline.spark.DataChunk;
import io.convoy.pipeline.spark.DataSource;
import io.convoy.pipeline.spark.HadoopConf;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.memory.RootAllocator;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import scala.Tuple2;

/**
 * One split ({@code train}, {@code validation} or {@code test}) of a shard folder written by
 * {@link Preprocessor}, as a {@link DataSource} for the trainer.
 *
 * <p>The driver reads and checks {@code manifest.json} only; a folder without a complete manifest
 * (an interrupted run, a temporary folder) is refused. Each Spark task reads one whole shard,
 * checks its length and CRC32C against the manifest (a mismatch fails the load naming the file and
 * both checksums), checks labels against the class count, and sends each example to its partition.
 * Record numbers run 0..count-1 through the split's shards in manifest order. Partitions follow
 * the {@link DataSource} contract: a permutation of the record numbers seeded with {@code seed},
 * cut into balanced contiguous pieces; chunks hold at most {@link #CHUNK} examples in ascending
 * record order. Only uint8 shards can be loaded ({@link DataChunk} carries raw bytes; the trainer
 * normalises itself, and {@link #normalization} gives the manifest's values).
 *
 * @param folder the committed output folder (any Hadoop file system URI)
 * @param split the split name
 */
public record ShardSource(String folder, String split) implements DataSource {
  private static final long serialVersionUID = 1L;
  /** Examples per chunk. */
  public static final int CHUNK = Chunks.CHUNK;

  public ShardSource {
    if (folder == null || folder.isBlank()) {
      throw new IllegalArgumentException("ShardSource: the shard folder must be set, got " + folder);
    }
    if (split == null || !List.of(PreprocessOptions.Split.NAMES).contains(split)) {
      throw new IllegalArgumentException("ShardSource: split must be train, validation or test, got " + split);
    }
  }

  /** The manifest, read and checked through {@code conf}. */
  public ShardManifest manifest(Configuration conf) {
    ShardManifest m = ShardManifest.read(folder, conf);
    try {
      m.split(split);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(folder + ": " + e.getMessage(), e);
    }
    return m;
  }

  /** The normalisation recorded in the manifest (computed, given, or unit). */
  public Normalization normalization(Configuration conf) {
    return manifest(conf).normalization();
  }

  @Override
  public TensorShape shape() {
    return shape(new Configuration());
  }

  @Override
  public TensorShape shape(Configuration conf) {
    return manifest(conf).shape();
  }

  @Override
  public int numClasses() {
    return manifest(new Configuration()).classes().size();
  }

  @Override
  public long count() {
    return manifest(new Configuration()).split(split).count();
  }

  @Override
  public String describe() {
    return "shards " + folder + " [" + split + "]";
  }

  @Override
  public JavaRDD<DataChunk> load(JavaSparkContext sc, int partitions, long seed, int numClasses) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions must be > 0, got " + partitions);
    }
    Configuration conf = sc.hadoopConfiguration();
    ShardManifest m = manifest(conf);
    checkLoadable(m, numClasses);
    ShardManifest.SplitInfo info = m.split(split);
    if (info.count() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(describe() + ": " + info.count() + " examples, more than one load handles");
    }
    int n = (int) info.count();
    int[] partOf = Chunks.assignPartitions(n, partitions, seed);
    org.apache.spark.broadcast.Broadcast<int[]> partOfB = sc.broadcast(partOf);
    HadoopConf ch = new HadoopConf(conf);
    TensorShape shape = m.shape();
    int classes = numClasses > 0 ? numClasses : m.classes().size();
    String dir = folder;
    List<ShardManifest.ShardInfo> shards = info.shards();
    JavaRDD<Tuple2<Integer, Chunks.Rec>> recs = sc.parallelize(shards, Math.max(1, shards.size())).flatMap(s -> {
      ShardFiles.Rows rows = readShard(dir, s, shape, ch.get());
      int[] part = partOfB.value();
      List<Tuple2<Integer, Chunks.Rec>> out = new ArrayList<>(s.rows());
      int size = shape.size();
      for (int i = 0; i < s.rows(); i++) {
        int label = rows.labels()[i];
        if (label < 0 || label >= classes) {
          throw new IllegalArgumentException(dir + "/" + s.file() + " row " + i + ": label " + label
              + " is outside the class range [0, " + classes + ")");
        }
        int rec = (int) (s.firstRecord() + i);
        byte[] px = java.util.Arrays.copyOfRange(rows.pixels(), i * size, (i + 1) * size);
        out.add(new Tuple2<>(part[rec], new Chunks.Rec(rec, label, px)));
      }
      return out.iterator();
    });
    recs.setName("convoy: records of " + describe());
    return Chunks.group(recs, partitions, shape.size());
  }

  /**
   * The whole split as an in-memory {@link ImageSet} (for {@code LocalTrainer} and checks), every
   * shard's checksum verified.
   */
  public ImageSet readAll(Configuration conf) {
    ShardManifest m = manifest(conf);
    checkLoadable(m, 0);
    ShardManifest.SplitInfo info = m.split(split);
    int size = m.shape().size();
    byte[] px = new byte[Math.toIntExact(info.count() * size)];
    int[] labels = new int[(int) info.count()];
    for (ShardManifest.ShardInfo s : info.shards()) {
      ShardFiles.Rows rows = readShard(folder, s, m.shape(), conf);
      System.arraycopy(rows.pixels(), 0, px, (int) s.firstRecord() * size, s.rows() * size);
      System.arraycopy(rows.labels(), 0, labels, (int) s.firstRecord(), s.rows());
    }
    try {
      return new ImageSet(m.shape(), px, labels, Math.max(1, m.classes().size()));
    } catch (IllegalArgumentException e) {   // a label outside the manifest's classes
      throw new IllegalArgumentException(folder + " split " + split + ": " + e.getMessage(), e);
    }
  }

  /** Relative source paths of the split's rows, in record order (to trace a row to its file). */
  public List<String> paths(Configuration conf) {
    ShardManifest m = manifest(conf);
    List<String> out = new ArrayList<>();
    for (ShardManifest.ShardInfo s : m.split(split).shards()) {
      out.addAll(readShardAnyFormat(folder, s, m.shape(), m.format(), conf).paths());
    }
    return out;
  }

  private void checkLoadable(ShardManifest m, int numClasses) {
    if (m.format() != ShardFormat.UINT8) {
      throw new IllegalArgumentException(folder + ": shards are " + m.format().key() + " (preprocess.format), ShardSource"
          + " loads uint8 shards; rerun preprocessing with format = uint8 to train from them");
    }
    if (numClasses > 0 && m.classes().size() > numClasses) {
      throw new IllegalArgumentException(folder + ": the manifest names " + m.classes().size() + " classes "
          + m.classes() + ", the model has " + numClasses);
    }
  }

  /** Reads one shard, checking its length and CRC32C against the manifest first. */
  static ShardFiles.Rows readShard(String folder, ShardManifest.ShardInfo s, TensorShape shape, Configuration conf) {
    return readShardAnyFormat(folder, s, shape, ShardFormat.UINT8, conf);
  }

  private static ShardFiles.Rows readShardAnyFormat(String folder, ShardManifest.ShardInfo s, TensorShape shape,
      ShardFormat format, Configuration conf) {
    Path p = new Path(folder, s.file());
    byte[] bytes;
    try {
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        throw new IllegalArgumentException(p + ": shard listed in the manifest is missing");
      }
      try (InputStream in = fs.open(p)) {
        bytes = in.readAllBytes();
      }
    } catch (org.apache.hadoop.fs.ChecksumException e) {
      throw new IllegalArgumentException(p + ": checksum mismatch reported by the file system: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new UncheckedIOException(p + ": cannot read the shard: " + e, e);
    }
    if (bytes.length != s.bytes()) {
      throw new IllegalArgumentException(p + ": shard has " + bytes.length + " bytes, the manifest says " + s.bytes());
    }
    long crc = ShardFiles.crc32c(bytes);
    if (crc != s.crc32c()) {
      throw new IllegalArgumentException(p + ": checksum mismatch, CRC32C of the file is " + String.format("%08x", crc)
          + ", the manifest says " + String.format("%08x", s.crc32c()));
    }
    ShardFiles.Rows rows;
    // an uncompressed IPC file's buffers fit in its own bytes: a larger claim is damage, refused by the limit
    try (RootAllocator a = new RootAllocator(2L * bytes.length + (1 << 20))) {
      rows = ShardFiles.read(bytes, a, shape, format, p.toString());
    }
    if (rows.labels().length != s.rows()) {
      throw new IllegalArgumentException(p + ": shard holds " + rows.labels().length + " rows, the manifest says "
          + s.rows());
    }
    return rows;
  }
}
