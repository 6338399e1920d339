package io.convoy.pipeline.spark;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;

/** Small IDX files cut from the Fashion-MNIST set for the Spark tests. */
final class SparkTestData {
  static final String DIR = "/usr/share/datasets/fashion-mnist/";

  private SparkTestData() {
  }

  /**
   * Writes records {@code [from, from+count)} of the named Fashion-MNIST set ({@code "train"} or
   * {@code "t10k"}) as uncompressed IDX files {@code name-images.idx} / {@code name-labels.idx} in
   * {@code dir}; returns the two paths as file URIs. {@code badLabelAt} >= 0 replaces that record's
   * label with {@code badLabel}.
   */
  static String[] write(Path dir, String set, String name, int from, int count, int badLabelAt, int badLabel)
      throws IOException {
    Path im = dir.resolve(name + "-images.idx");
    Path lb = dir.resolve(name + "-labels.idx");
    try (DataInputStream in = new DataInputStream(gz(DIR + set + "-images-idx3-ubyte.gz"));
        DataOutputStream out = new DataOutputStream(new FileOutputStream(im.toFile()))) {
      in.readInt();
      in.readInt();
      int rows = in.readInt();
      int cols = in.readInt();
      out.writeInt(0x00000803);
      out.writeInt(count);
      out.writeInt(rows);
      out.writeInt(cols);
      in.skipNBytes((long) from * rows * cols);
      copy(in, out, (long) count * rows * cols);
    }
    try (DataInputStream in = new DataInputStream(gz(DIR + set + "-labels-idx1-ubyte.gz"));
        DataOutputStream out = new DataOutputStream(new FileOutputStream(lb.toFile()))) {
      in.readInt();
      in.readInt();
      out.writeInt(0x00000801);
      out.writeInt(count);
      in.skipNBytes(from);
      byte[] labels = in.readNBytes(count);
      if (badLabelAt >= 0) {
        labels[badLabelAt] = (byte) badLabel;
      }
      out.write(labels);
    }
    return new String[] {im.toUri().toString(), lb.toUri().toString()};
  }

  private static InputStream gz(String path) throws IOException {
    return new GZIPInputStream(new FileInputStream(path), 1 << 16);
  }

  private static void copy(InputStream in, OutputStream out, long n) throws IOException {
    byte[] buf = new byte[1 << 16];
    long left = n;
    while (left > 0) {
      int k = in.read(buf, 0, (int) Math.min(buf.length, left));
      if (k < 0) {
        throw new IOException("source ends " + left + " bytes early");
      }
      out.write(buf, 0, k);
      left -= k;
    }
  }
}
