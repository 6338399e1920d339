package io.convoy.pipeline.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.model.TensorShape;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** IdxReader on the real Fashion-MNIST files and on small generated ones, good and broken. */
class IdxReaderTest {
  static final String FASHION = "/usr/share/datasets/fashion-mnist/";
  static final Configuration CONF = new Configuration();

  @TempDir
  java.nio.file.Path dir;

  static Path local(java.nio.file.Path p) {
    return new Path(p.toUri());
  }

  @Test
  void readsFashionMnist() {
    ImageSet train = IdxReader.read(new Path("file://" + FASHION + "train-images-idx3-ubyte.gz"),
        new Path("file://" + FASHION + "train-labels-idx1-ubyte.gz"), CONF);
    assertEquals(60000, train.size());
    assertEquals(new TensorShape(1, 28, 28), train.shape());
    assertEquals(10, train.numClasses());
    // The first training labels of Fashion-MNIST: ankle boot, t-shirt, t-shirt, dress, t-shirt
    assertArrayEquals(new int[] {9, 0, 0, 3, 0, 2, 7, 2, 5, 5}, Arrays.copyOf(train.labels(), 10));
    int[] counts = new int[10];
    for (int l : train.labels()) {
      counts[l]++;
    }
    for (int c : counts) {
      assertEquals(6000, c);
    }
    ImageSet test = IdxReader.read(new Path("file://" + FASHION + "t10k-images-idx3-ubyte.gz"),
        new Path("file://" + FASHION + "t10k-labels-idx1-ubyte.gz"), CONF, 10);
    assertEquals(10000, test.size());
    assertArrayEquals(new int[] {9, 2, 1, 1, 6}, Arrays.copyOf(test.labels(), 5));
    Normalization n = Normalization.compute(train);
    System.out.println("Fashion-MNIST train " + n);
    assertEquals(0.2860, n.mean()[0], 1e-3);
    assertEquals(0.3530, n.std()[0], 1e-3);
  }

  static byte[] idx(int magic, int[] dims, byte[] body, int cut) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(b);
    d.writeInt(magic);
    for (int v : dims) {
      d.writeInt(v);
    }
    d.write(body);
    byte[] all = b.toByteArray();
    return Arrays.copyOf(all, all.length - cut);
  }

  static byte[] gzip(byte[] raw) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (GZIPOutputStream g = new GZIPOutputStream(b)) {
      g.write(raw);
    }
    return b.toByteArray();
  }

  Path write(String name, byte[] bytes) throws IOException {
    java.nio.file.Path p = dir.resolve(name);
    Files.write(p, bytes);
    return local(p);
  }

  static byte[] pixels(int n) {
    byte[] px = new byte[n * 12];
    for (int i = 0; i < px.length; i++) {
      px[i] = (byte) (i * 37);
    }
    return px;
  }

  @Test
  void readsPlainAndGzipRegardlessOfName() throws IOException {
    byte[] px = pixels(5);
    byte[] lab = {0, 1, 2, 3, 4};
    byte[] imgFile = idx(IdxReader.IMAGES_MAGIC, new int[] {5, 3, 4}, px, 0);
    byte[] labFile = idx(IdxReader.LABELS_MAGIC, new int[] {5}, lab, 0);
    // plain bytes under a .gz name, gzip under a plain name
    ImageSet a = IdxReader.read(write("img.gz", imgFile), write("lab.gz", labFile), CONF);
    ImageSet b = IdxReader.read(write("img.idx", gzip(imgFile)), write("lab.idx", gzip(labFile)), CONF);
    for (ImageSet s : new ImageSet[] {a, b}) {
      assertEquals(new TensorShape(1, 3, 4), s.shape());
      assertArrayEquals(px, s.pixels());
      assertArrayEquals(new int[] {0, 1, 2, 3, 4}, s.labels());
      assertEquals(5, s.numClasses());
    }
  }

  @Test
  void rejectsBrokenFiles() throws IOException {
    byte[] px = pixels(5);
    Path labels = write("lab", idx(IdxReader.LABELS_MAGIC, new int[] {5}, new byte[] {0, 1, 2, 3, 4}, 0));

    Path wrongMagic = write("magic", idx(0x00000801, new int[] {5, 3, 4}, px, 0));
    String m = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(wrongMagic, labels, CONF)).getMessage();
    assertTrue(m.contains(wrongMagic.toString()) && m.contains("magic number is 0x00000801, expected 0x00000803"), m);

    Path truncPlain = write("trunc", idx(IdxReader.IMAGES_MAGIC, new int[] {5, 3, 4}, px, 7));
    m = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(truncPlain, labels, CONF)).getMessage();
    assertTrue(m.contains(truncPlain.toString()) && m.contains("truncated, the header promises 76 bytes, the file holds 69"), m);

    Path truncGz = write("trunc-gz", gzip(idx(IdxReader.IMAGES_MAGIC, new int[] {5, 3, 4}, px, 7)));
    m = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(truncGz, labels, CONF)).getMessage();
    assertTrue(m.contains(truncGz.toString()) && m.contains("truncated in image record 4 of 5 (5 of 12 bytes present)"), m);

    Path fewer = write("fewer", idx(IdxReader.IMAGES_MAGIC, new int[] {4, 3, 4}, Arrays.copyOf(px, 48), 0));
    m = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(fewer, labels, CONF)).getMessage();
    assertTrue(m.contains("record counts differ") && m.contains("holds 4 images") && m.contains("holds 5 labels"), m);

    Path huge = write("huge", gzip(idx(IdxReader.IMAGES_MAGIC, new int[] {2_000_000, 1000, 1000}, px, 0)));
    m = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(huge, labels, CONF)).getMessage();
    assertTrue(m.contains(huge.toString()) && m.contains("more than one array can hold"), m);

    Path big = write("big", gzip(idx(IdxReader.IMAGES_MAGIC, new int[] {1000, 1000, 100}, px, 0)));
    m = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(big, labels, CONF)).getMessage();
    assertTrue(m.contains("gzip bytes can expand to"), m);

    Path zeroDim = write("zero", idx(IdxReader.IMAGES_MAGIC, new int[] {5, 0, 4}, px, 0));
    m = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(zeroDim, labels, CONF)).getMessage();
    assertTrue(m.contains("dimensions 5 x 0 x 4 are invalid"), m);

    Path shortHeader = write("short", Arrays.copyOf(idx(IdxReader.IMAGES_MAGIC, new int[] {5, 3, 4}, px, 0), 10));
    m = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(shortHeader, labels, CONF)).getMessage();
    assertTrue(m.contains(shortHeader.toString()) && m.contains("truncated in the header"), m);

    Path extra = write("extra", idx(IdxReader.IMAGES_MAGIC, new int[] {5, 3, 4}, Arrays.copyOf(px, 61), 0));
    m = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(extra, labels, CONF)).getMessage();
    assertTrue(m.contains("data after the last of its 5 records"), m);

    Path images = write("img", idx(IdxReader.IMAGES_MAGIC, new int[] {5, 3, 4}, px, 0));
    Path badLabel = write("badlab", idx(IdxReader.LABELS_MAGIC, new int[] {5}, new byte[] {0, 1, 12, 3, 4}, 0));
    m = assertThrows(IllegalArgumentException.class, () -> IdxReader.read(images, badLabel, CONF, 10)).getMessage();
    assertTrue(m.contains(badLabel.toString()) && m.contains("record 2 has label 12, expected a class in [0, 10)"), m);
  }

  @Test
  void imageSetValidates() {
    TensorShape s = new TensorShape(1, 2, 2);
    assertEquals("ImageSet: record 1 has label -1, expected a class in [0, 3)",
        assertThrows(IllegalArgumentException.class, () -> new ImageSet(s, new byte[8], new int[] {0, -1}, 3)).getMessage());
    assertEquals("ImageSet: 2 labels of shape " + s + " need 8 pixels, got 7",
        assertThrows(IllegalArgumentException.class, () -> new ImageSet(s, new byte[7], new int[] {0, 1}, 3)).getMessage());
  }
}
