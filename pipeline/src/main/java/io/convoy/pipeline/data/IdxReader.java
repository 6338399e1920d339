package io.convoy.pipeline.data;

import io.convoy.pipeline.model.TensorShape;
import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads MNIST-style IDX files (unsigned-byte images {@code idx3}, labels {@code idx1}) from any
 * Hadoop file system ({@code file://}, {@code hdfs://}, ...). Gzip is recognised by its magic bytes
 * ({@code 1f 8b}), not by the file name.
 *
 * <p>Checks: the magic number ({@code 0x00000803} for images, {@code 0x00000801} for labels),
 * positive dimensions, sizes that fit in one Java array and that the file can hold (against its
 * length, and for gzip against the largest deflate ratio) before anything is allocated, matching
 * record counts, truncation (naming the record that is cut short) and trailing bytes. Every error
 * names the file.
 */
public final class IdxReader {
  /** Magic number of an unsigned-byte IDX file with 3 dimensions (images). */
  public static final int IMAGES_MAGIC = 0x00000803;
  /** Magic number of an unsigned-byte IDX file with 1 dimension (labels). */
  public static final int LABELS_MAGIC = 0x00000801;
  /** Deflate cannot expand data by more than about 1032:1; a larger claim is a corrupt header. */
  static final long MAX_GZIP_RATIO = 1100;

  private IdxReader() {}

  /** Images and labels as read from IDX, before they become an {@link ImageSet}. */
  public record Images(int count, int rows, int cols, byte[] pixels) {}

  /**
   * Reads an image file and a label file into an {@link ImageSet} of shape (1, rows, cols) whose
   * class count is the largest label + 1 (at least 1).
   */
  public static ImageSet read(Path images, Path labels, Configuration conf) {
    return read(images, labels, conf, 0);
  }

  /**
   * Like {@link #read(Path, Path, Configuration)} with a fixed class count ({@code numClasses > 0}):
   * a label outside {@code [0, numClasses)} is an error naming the label file and record.
   */
  public static ImageSet read(Path images, Path labels, Configuration conf, int numClasses) {
    Images img = readImages(images, conf);
    int[] lab = readLabels(labels, conf);
    if (img.count() != lab.length) {
      throw new IllegalArgumentException("IDX record counts differ: " + images + " holds " + img.count()
          + " images, " + labels + " holds " + lab.length + " labels");
    }
    int classes = numClasses;
    if (classes <= 0) {
      for (int v : lab) {
        classes = Math.max(classes, v + 1);
      }
      classes = Math.max(classes, 1);
    } else {
      for (int i = 0; i < lab.length; i++) {
        if (lab[i] >= classes) {
          throw new IllegalArgumentException(labels + ": record " + i + " has label " + lab[i]
              + ", expected a class in [0, " + classes + ")");
        }
      }
    }
    return new ImageSet(new TensorShape(1, img.rows(), img.cols()), img.pixels(), lab, classes);
  }

  /** Reads an IDX3 unsigned-byte image file. */
  public static Images readImages(Path file, Configuration conf) {
    try (Opened in = open(file, conf)) {
      DataInputStream d = in.data;
      int magic = header(d, file, "magic number");
      if (magic != IMAGES_MAGIC) {
        throw new IllegalArgumentException(file + ": magic number is 0x" + hex(magic) + ", expected 0x"
            + hex(IMAGES_MAGIC) + " (IDX unsigned-byte images, 3 dimensions)");
      }
      int n = header(d, file, "image count");
      int rows = header(d, file, "row count");
      int cols = header(d, file, "column count");
      if (n < 0 || rows <= 0 || cols <= 0) {
        throw new IllegalArgumentException(file + ": dimensions " + n + " x " + rows + " x " + cols
            + " are invalid, expected count >= 0 and rows, columns > 0");
      }
      long per = (long) rows * cols;
      if (per > Integer.MAX_VALUE - 16) {   // checked first: per * n could overflow a long and pass the size checks
        throw new IllegalArgumentException(file + ": header claims images of " + rows + " x " + cols + " = " + per
            + " bytes, more than one array can hold (" + (Integer.MAX_VALUE - 16) + ")");
      }
      long total = per * n;
      in.checkSize(total, 16);
      byte[] pixels = new byte[(int) total];
      for (int i = 0; i < n; i++) {
        readRecord(d, pixels, (int) (i * per), (int) per, file, i, n, "image");
      }
      in.checkEnd(n);
      return new Images(n, rows, cols, pixels);
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }

  /** Reads an IDX1 unsigned-byte label file. */
  public static int[] readLabels(Path file, Configuration conf) {
    try (Opened in = open(file, conf)) {
      DataInputStream d = in.data;
      int magic = header(d, file, "magic number");
      if (magic != LABELS_MAGIC) {
        throw new IllegalArgumentException(file + ": magic number is 0x" + hex(magic) + ", expected 0x"
            + hex(LABELS_MAGIC) + " (IDX unsigned-byte labels, 1 dimension)");
      }
      int n = header(d, file, "label count");
      if (n < 0) {
        throw new IllegalArgumentException(file + ": label count is " + n + ", expected >= 0");
      }
      in.checkSize(n, 8);
      byte[] raw = new byte[n];
      readRecord(d, raw, 0, n, file, 0, n, "label");
      in.checkEnd(n);
      int[] labels = new int[n];
      for (int i = 0; i < n; i++) {
        labels[i] = raw[i] & 0xFF;
      }
      return labels;
    } catch (IOException e) {
      throw new UncheckedIOException(file + ": " + e.getMessage(), e);
    }
  }

  private static void readRecord(DataInputStream d, byte[] dst, int off, int len, Path file, int record,
      int count, String what) throws IOException {
    int done = 0;
    while (done < len) {
      int r = d.read(dst, off + done, len - done);
      if (r < 0) {
        if (what.equals("label")) {
          throw new IllegalArgumentException(file + ": truncated at label record " + done + " of " + count
              + " (the header promises " + count + " labels)");
        }
        throw new IllegalArgumentException(file + ": truncated in " + what + " record " + record + " of " + count
            + " (" + done + " of " + len + " bytes present)");
      }
      done += r;
    }
  }

  private static int header(DataInputStream d, Path file, String field) throws IOException {
    try {
      return d.readInt();
    } catch (EOFException e) {
      throw new IllegalArgumentException(file + ": truncated in the header, the " + field + " is missing", e);
    }
  }

  private static String hex(int v) {
    return String.format("%08x", v);
  }

  private static Opened open(Path file, Configuration conf) throws IOException {
    FileSystem fs = file.getFileSystem(conf);
    long length = fs.getFileStatus(file).getLen();
    BufferedInputStream raw = new BufferedInputStream(fs.open(file), 1 << 16);
    boolean gzip = startsWithGzip(raw);
    return new Opened(file, length, gzip, new DataInputStream(gzip ? gunzip(raw) : raw));
  }

  /**
   * Opens an IDX file's bytes for reading: buffered, and decompressed when the file starts with the gzip
   * magic (1f 8b), whatever its name. The Spark readers of record ranges use it too.
   */
  public static InputStream openBody(FileSystem fs, Path file) throws IOException {
    BufferedInputStream raw = new BufferedInputStream(fs.open(file), 1 << 16);
    return startsWithGzip(raw) ? gunzip(raw) : raw;
  }

  /** Whether the stream starts with the gzip magic; the stream is left where it was. */
  private static boolean startsWithGzip(BufferedInputStream in) throws IOException {
    in.mark(2);
    int b0 = in.read();
    int b1 = in.read();
    in.reset();
    return b0 == 0x1f && b1 == 0x8b;
  }

  private static InputStream gunzip(InputStream raw) throws IOException {
    return new BufferedInputStream(new GZIPInputStream(raw, 1 << 16), 1 << 16);
  }

  /** An open IDX stream and what is known of its size. */
  private static final class Opened implements AutoCloseable {
    final Path file;
    final long length;
    final boolean gzip;
    final DataInputStream data;

    Opened(Path file, long length, boolean gzip, DataInputStream data) {
      this.file = file;
      this.length = length;
      this.gzip = gzip;
      this.data = data;
    }

    /** Rejects a body size that no Java array or no file of this length can hold. */
    void checkSize(long body, int headerBytes) {
      if (body > Integer.MAX_VALUE - 16) {
        throw new IllegalArgumentException(file + ": header claims " + body
            + " bytes of data, more than one array can hold (" + (Integer.MAX_VALUE - 16) + ")");
      }
      if (!gzip && headerBytes + body > length) {
        throw new IllegalArgumentException(file + ": truncated, the header promises " + (headerBytes + body)
            + " bytes, the file holds " + length);
      }
      if (gzip && body > length * MAX_GZIP_RATIO + (1 << 16)) {
        throw new IllegalArgumentException(file + ": header claims " + body + " bytes of data, more than "
            + length + " gzip bytes can expand to");
      }
    }

    void checkEnd(int count) throws IOException {
      if (data.read() >= 0) {
        throw new IllegalArgumentException(file + ": holds data after the last of its " + count + " records");
      }
    }

    @Override
    public void close() throws IOException {
      data.close();
    }
  }
}
