package io.convoy.tests;

import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;

/** Writes the first records of an IDX file (gzip in, gzip out) so tests train on a small real data set. */
final class IdxSubset {
  static final String FASHION = "/usr/share/datasets/fashion-mnist/";

  private IdxSubset() {}

  /**
   * Copies the header (with the count changed to {@code records}) and the first {@code records} records
   * of {@code source} (a gzip IDX file) to {@code out} as gzip.
   */
  static void copy(Path source, int records, OutputStream out) throws IOException {
    try (InputStream raw = Files.newInputStream(source);
         DataInputStream in = new DataInputStream(new GZIPInputStream(raw));
         DataOutputStream o = new DataOutputStream(new GZIPOutputStream(out))) {
      int magic = in.readInt();
      int dims = magic & 0xFF;
      int count = in.readInt();
      if (records > count) {
        throw new IllegalArgumentException(source + " holds " + count + " records, asked for " + records);
      }
      o.writeInt(magic);
      o.writeInt(records);
      int recordBytes = 1;
      for (int d = 1; d < dims; d++) {
        int size = in.readInt();
        o.writeInt(size);
        recordBytes *= size;
      }
      byte[] body = new byte[records * recordBytes];
      in.readFully(body);
      o.write(body);
    }
  }

  static Path fashion(String name) {
    return Path.of(FASHION, name);
  }
}
