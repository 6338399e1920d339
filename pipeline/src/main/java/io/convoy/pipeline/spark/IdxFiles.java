package io.convoy.pipeline.spark;

import io.convoy.pipeline.data.IdxReader;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reading IDX files (gzip-compressed or not) on any Hadoop file system, record range by record
 * range, so that Spark tasks can each read their own slice without the driver holding the data.
 */
final class IdxFiles {
  /** Magic of an unsigned-byte IDX file with {@code d} dimensions is {@code 0x0800 + d}. */
  static final int UBYTE = 0x08;

  private IdxFiles() {
  }

  /**
   * The header of an IDX file: dimensions, first the record count.
   *
   * @param path the file, for messages
   * @param dims sizes, {@code dims[0]} records
   * @param headerBytes bytes before the first record (after decompression)
   */
  record Header(String path, int[] dims, int headerBytes) {
    int count() {
      return dims[0];
    }

    /** Bytes per record: product of the dimensions after the first. */
    int recordBytes() {
      int s = 1;
      for (int i = 1; i < dims.length; i++) {
        s *= dims[i];
      }
      return s;
    }
  }

  /** Opens the file, decompressing it when it starts with the gzip magic. */
  static InputStream open(String path, Configuration conf) throws IOException {
    Path p = new Path(path);
    FileSystem fs = p.getFileSystem(conf);
    if (!fs.exists(p)) {
      throw new IllegalArgumentException("IDX file " + path + " does not exist");
    }
    return IdxReader.openBody(fs, p);
  }

  /** Reads and checks the header; {@code expectedDims} is 3 for images, 1 for labels. */
  static Header readHeader(InputStream in, String path, int expectedDims) throws IOException {
    DataInputStream d = new DataInputStream(in);
    int magic;
    try {
      magic = d.readInt();
    } catch (EOFException e) {
      throw new IllegalArgumentException("IDX file " + path + " is empty or shorter than its 4-byte magic");
    }
    int type = (magic >>> 8) & 0xFF;
    int ndims = magic & 0xFF;
    if ((magic >>> 16) != 0 || type != UBYTE) {
      throw new IllegalArgumentException(String.format("IDX file %s: magic 0x%08x is not an unsigned-byte IDX file"
          + " (expected 0x000008%02x)", path, magic, expectedDims));
    }
    if (ndims != expectedDims) {
      throw new IllegalArgumentException("IDX file " + path + ": has " + ndims + " dimensions, expected "
          + expectedDims + (expectedDims == 3 ? " (images: count, rows, columns)" : " (labels: count)"));
    }
    int[] dims = new int[ndims];
    for (int i = 0; i < ndims; i++) {
      dims[i] = d.readInt();
      if (dims[i] < 0 || (i > 0 && dims[i] == 0)) {
        throw new IllegalArgumentException("IDX file " + path + ": dimension " + i + " is " + dims[i]);
      }
    }
    long record = 1;
    for (int i = 1; i < ndims; i++) {
      record *= dims[i];
    }
    if (record > Integer.MAX_VALUE - 16) {   // rows x columns must fit one array (and the model's input shape)
      throw new IllegalArgumentException("IDX file " + path + ": records of " + record
          + " bytes (the product of the dimensions after the count), more than one array holds ("
          + (Integer.MAX_VALUE - 16) + ")");
    }
    return new Header(path, dims, 4 + 4 * ndims);
  }

  /** Opens the file and reads its header (driver side: counts and shapes only). */
  static Header header(String path, Configuration conf, int expectedDims) {
    try (InputStream in = open(path, conf)) {
      return readHeader(in, path, expectedDims);
    } catch (IOException e) {
      throw new IllegalArgumentException("IDX file " + path + ": cannot read header: " + e, e);
    }
  }

  /** Skips exactly {@code n} bytes (a compressed stream may skip less per call). */
  static void skipFully(InputStream in, long n, String path) throws IOException {
    long left = n;
    while (left > 0) {
      long k = in.skip(left);
      if (k <= 0) {
        if (in.read() < 0) {
          throw new IllegalArgumentException("IDX file " + path + " ends " + left + " bytes early");
        }
        k = 1;
      }
      left -= k;
    }
  }

  /** Reads exactly {@code len} bytes; {@code record} names the record for the message on a short file. */
  static void readFully(InputStream in, byte[] b, int off, int len, String path, long record) throws IOException {
    int done = 0;
    while (done < len) {
      int k = in.read(b, off + done, len - done);
      if (k < 0) {
        throw new IllegalArgumentException("IDX file " + path + " ends inside record " + record
            + " (the header promised more records)");
      }
      done += k;
    }
  }
}
