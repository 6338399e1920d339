package io.convoy.pipeline.spark;

import io.convoy.pipeline.model.TensorShape;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.broadcast.Broadcast;
import scala.Tuple2;

/**
 * A pair of IDX files (images {@code 0x00000803}, labels {@code 0x00000801}), gzip-compressed or
 * not, on any Hadoop file system ({@code file://}, {@code hdfs://}, ...). The driver reads the two
 * headers only; tasks read contiguous record ranges and a shuffle sends each record to its
 * partition. Images are one channel: {@code (1, rows, columns)}.
 *
 * @param imagesPath the images file URI
 * @param labelsPath the labels file URI
 * @param numClasses the number of classes when known (checked by {@link #load}), 0 when not
 */
public record IdxSource(String imagesPath, String labelsPath, int numClasses) implements DataSource {
  private static final long serialVersionUID = 1L;

  public IdxSource {
    if (imagesPath == null || imagesPath.isBlank() || labelsPath == null || labelsPath.isBlank()) {
      throw new IllegalArgumentException("IdxSource: images and labels paths must be set, got images=" + imagesPath
          + ", labels=" + labelsPath);
    }
    if (numClasses < 0) {
      throw new IllegalArgumentException("IdxSource: numClasses must be >= 0 (0 = unknown), got " + numClasses);
    }
  }

  /** A source whose class count is not declared (the model's is used for checks). */
  public IdxSource(String imagesPath, String labelsPath) {
    this(imagesPath, labelsPath, 0);
  }

  /** Both headers, checked against each other. */
  Headers headers(Configuration conf) {
    IdxFiles.Header im = IdxFiles.header(imagesPath, conf, 3);
    IdxFiles.Header lb = IdxFiles.header(labelsPath, conf, 1);
    if (im.count() != lb.count()) {
      throw new IllegalArgumentException("IDX files disagree: " + imagesPath + " holds " + im.count()
          + " images but " + labelsPath + " holds " + lb.count() + " labels");
    }
    return new Headers(im, lb);
  }

  record Headers(IdxFiles.Header images, IdxFiles.Header labels) {
    TensorShape shape() {
      return new TensorShape(1, images.dims()[1], images.dims()[2]);
    }
  }

  @Override
  public TensorShape shape() {
    return headers(new Configuration()).shape();
  }

  @Override
  public TensorShape shape(Configuration conf) {
    return headers(conf).shape();
  }

  @Override
  public long count() {
    return headers(new Configuration()).images().count();
  }

  @Override
  public String describe() {
    return "IDX " + imagesPath + " + " + labelsPath;
  }

  @Override
  public JavaRDD<DataChunk> load(JavaSparkContext sc, int partitions, long seed, int classes) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions must be > 0, got " + partitions);
    }
    Configuration conf = sc.hadoopConfiguration();
    Headers h = headers(conf);
    int n = h.images().count();
    int recordBytes = h.images().recordBytes();
    int ranges = Math.max(1, Math.min(partitions, n));
    int[] partOf = Chunks.assignPartitions(n, partitions, seed);
    Broadcast<int[]> partOfB = sc.broadcast(partOf);
    HadoopConf hc = new HadoopConf(conf);
    String images = imagesPath;
    String labels = labelsPath;
    int check = classes > 0 ? classes : numClasses;
    List<Integer> rangeIds = new ArrayList<>();
    for (int r = 0; r < ranges; r++) {
      rangeIds.add(r);
    }
    JavaRDD<Tuple2<Integer, Chunks.Rec>> records = sc.parallelize(rangeIds, ranges).flatMap(r -> {
      long from = (long) n * r / ranges;
      long to = (long) n * (r + 1) / ranges;
      return new RangeReader(images, labels, hc.get(), (int) from, (int) to, recordBytes, check, partOfB.value());
    });
    records.setName("convoy: IDX records of " + describe());
    return Chunks.group(records, partitions, recordBytes);
  }

  @Override
  public JavaRDD<DataChunk> loadInOrder(JavaSparkContext sc, int partitions, int classes) {
    if (partitions <= 0) {
      throw new IllegalArgumentException("partitions must be > 0, got " + partitions);
    }
    Configuration conf = sc.hadoopConfiguration();
    Headers h = headers(conf);
    int n = h.images().count();
    int recordBytes = h.images().recordBytes();
    int ranges = Math.max(1, Math.min(partitions, n));
    HadoopConf hc = new HadoopConf(conf);
    String images = imagesPath;
    String labels = labelsPath;
    int check = classes > 0 ? classes : numClasses;
    List<Integer> rangeIds = new ArrayList<>();
    for (int r = 0; r < ranges; r++) {
      rangeIds.add(r);
    }
    return sc.parallelize(rangeIds, ranges).mapPartitionsWithIndex((p, ids) -> {
      int from = (int) ((long) n * p / ranges);
      int to = (int) ((long) n * (p + 1) / ranges);
      RangeReader r = new RangeReader(images, labels, hc.get(), from, to, recordBytes, check, null);
      Iterator<Chunks.Rec> recs = new Iterator<>() {
        @Override
        public boolean hasNext() {
          return r.hasNext();
        }

        @Override
        public Chunks.Rec next() {
          return r.next()._2();
        }
      };
      return Chunks.packInOrder(p, recs, recordBytes);
    }, true).setName("convoy: IDX records in order of " + describe());
  }

  /**
   * Reads records {@code [from, to)} of both files, one at a time; closes the files at the end.
   * {@code partOf} (nullable: every record to partition 0) gives each record's partition.
   */
  private static final class RangeReader implements Iterator<Tuple2<Integer, Chunks.Rec>> {
    private final String images;
    private final String labels;
    private final InputStream imIn;
    private final InputStream lbIn;
    private final int to;
    private final int recordBytes;
    private final int classes;
    private final int[] partOf;
    private int next;

    RangeReader(String images, String labels, Configuration conf, int from, int to, int recordBytes, int classes,
        int[] partOf) throws IOException {
      this.images = images;
      this.labels = labels;
      this.to = to;
      this.recordBytes = recordBytes;
      this.classes = classes;
      this.partOf = partOf;
      this.next = from;
      this.imIn = IdxFiles.open(images, conf);
      this.lbIn = IdxFiles.open(labels, conf);
      IdxFiles.Header ih = IdxFiles.readHeader(imIn, images, 3);
      IdxFiles.Header lh = IdxFiles.readHeader(lbIn, labels, 1);
      if (ih.count() < to || lh.count() < to) {
        throw new IllegalArgumentException("IDX files changed while reading: " + images + " holds " + ih.count()
            + " records, " + labels + " " + lh.count() + ", needed " + to);
      }
      IdxFiles.skipFully(imIn, (long) from * recordBytes, images);
      IdxFiles.skipFully(lbIn, from, labels);
      if (from >= to) {
        close();
      }
    }

    @Override
    public boolean hasNext() {
      return next < to;
    }

    @Override
    public Tuple2<Integer, Chunks.Rec> next() {
      if (next >= to) {
        throw new NoSuchElementException();
      }
      try {
        byte[] px = new byte[recordBytes];
        IdxFiles.readFully(imIn, px, 0, recordBytes, images, next);
        int label = lbIn.read();
        if (label < 0) {
          throw new IllegalArgumentException("IDX file " + labels + " ends inside record " + next);
        }
        if (classes > 0 && label >= classes) {
          throw new IllegalArgumentException("IDX file " + labels + " record " + next + ": label " + label
              + " is outside the class range [0, " + classes + ")");
        }
        Tuple2<Integer, Chunks.Rec> t = new Tuple2<>(partOf == null ? 0 : partOf[next],
            new Chunks.Rec(next, label, px));
        next++;
        if (next >= to) {
          close();
        }
        return t;
      } catch (IOException e) {
        close();
        throw new IllegalArgumentException("IDX files " + images + " / " + labels + ": read failed at record " + next
            + ": " + e, e);
      }
    }

    private void close() {
      try {
        imIn.close();
        lbIn.close();
      } catch (IOException e) {
        // reading is done; a failing close loses nothing
      }
    }
  }
}
