package io.convoy.pipeline.fuzz;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.spark.IdxSource;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * IDX images and labels, plain and gzip, corrupted thousands of ways: {@link IdxReader} and the
 * header reads of {@link IdxSource} (what the Spark driver does) end in a read or an
 * IllegalArgumentException / UncheckedIOException naming the file, within the timeout and without
 * allocating what an absurd header claims.
 */
class IdxFuzzTest {
  static final Configuration CONF = new Configuration();
  static final int IMAGES = 30;

  @TempDir
  Path tmp;

  static byte[] images(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    ByteBuffer b = ByteBuffer.allocate(16 + IMAGES * 28 * 28).order(ByteOrder.BIG_ENDIAN);
    b.putInt(IdxReader.IMAGES_MAGIC).putInt(IMAGES).putInt(28).putInt(28);
    while (b.hasRemaining()) {
      b.put((byte) r.nextInt(256));
    }
    return b.array();
  }

  static byte[] labels(long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    ByteBuffer b = ByteBuffer.allocate(8 + IMAGES).order(ByteOrder.BIG_ENDIAN);
    b.putInt(IdxReader.LABELS_MAGIC).putInt(IMAGES);
    while (b.hasRemaining()) {
      b.put((byte) r.nextInt(10));
    }
    return b.array();
  }

  static byte[] gzip(byte[] b) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (GZIPOutputStream z = new GZIPOutputStream(out)) {
      z.write(b);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return out.toByteArray();
  }

  void fuzz(int cases, long seed) throws IOException {
    byte[] img = images(seed);
    byte[] lab = labels(seed + 1);
    Corruptions.Field[] imageFields = {
        new Corruptions.Field("magic", 0, 4, ByteOrder.BIG_ENDIAN),
        new Corruptions.Field("image count", 4, 4, ByteOrder.BIG_ENDIAN),
        new Corruptions.Field("rows", 8, 4, ByteOrder.BIG_ENDIAN),
        new Corruptions.Field("columns", 12, 4, ByteOrder.BIG_ENDIAN)};
    Corruptions.Field[] labelFields = {
        new Corruptions.Field("magic", 0, 4, ByteOrder.BIG_ENDIAN),
        new Corruptions.Field("label count", 4, 4, ByteOrder.BIG_ENDIAN)};
    Corruptions[] gens = {
        new Corruptions(img, 4, seed, null, imageFields),
        new Corruptions(lab, 4, seed + 2, null, labelFields),
        new Corruptions(gzip(img), 10, seed + 3, null),
        new Corruptions(gzip(lab), 10, seed + 4, null)};
    Path goodImages = tmp.resolve("good-images.idx");
    Path goodLabels = tmp.resolve("good-labels.idx");
    Files.write(goodImages, img);
    Files.write(goodLabels, lab);
    FuzzRun reader = new FuzzRun("IdxReader", IllegalArgumentException.class, UncheckedIOException.class);
    FuzzRun headers = new FuzzRun("IdxSource headers", IllegalArgumentException.class);
    for (int i = 0; i < cases; i++) {
      int which = i % 4;
      Corruptions.Case c = gens[which].make(i / 4);
      boolean isImages = which % 2 == 0;
      Path bad = tmp.resolve((isImages ? "bad-images-" : "bad-labels-") + i + (which >= 2 ? ".idx.gz" : ".idx"));
      Files.write(bad, c.bytes());
      String im = (isImages ? bad : goodImages).toUri().toString();
      String lb = (isImages ? goodLabels : bad).toUri().toString();
      String name = bad.getFileName().toString();
      reader.run(c, name, (k, n) -> {
        ImageSet set = IdxReader.read(new org.apache.hadoop.fs.Path(im), new org.apache.hadoop.fs.Path(lb), CONF, 10);
        // a read must be consistent: as many pixels as the header's records promise
        if (set.pixels().length != (long) set.labels().length * set.shape().size()) {
          throw new AssertionError(n + ": read " + set.labels().length + " records of shape " + set.shape() + " but "
              + set.pixels().length + " pixel bytes");
        }
      });
      // the driver's header reads; a count that differs from the other file's names both files
      headers.run(c, name, (k, n) -> {
        IdxSource s = new IdxSource(im, lb, 10);
        s.shape(CONF);
        s.count();
      });
      Files.delete(bad);
    }
    reader.check();
    headers.check();
  }

  @Test
  void corruptIdxFilesEndInDocumentedErrors() throws IOException {
    fuzz(2000, 11L);
  }

  @Test
  @Tag("long")
  void corruptIdxFilesEndInDocumentedErrorsManyCases() throws IOException {
    fuzz(40_000, 12L);
  }
}
