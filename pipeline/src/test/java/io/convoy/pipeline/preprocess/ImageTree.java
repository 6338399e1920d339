package io.convoy.pipeline.preprocess;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import java.awt.image.BufferedImage;
import java.awt.image.IndexColorModel;
import java.awt.image.WritableRaster;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.zip.CRC32;
import javax.imageio.IIOImage;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriteParam;
import javax.imageio.ImageWriter;
import javax.imageio.stream.MemoryCacheImageOutputStream;
import org.apache.hadoop.conf.Configuration;

/**
 * Builds a labelled image tree from Fashion-MNIST test images: PNGs in class folders plus the other
 * formats and colour modes, and planted broken files. Records what each good file must decode to
 * (28 x 28 grey) and why each broken file must be rejected.
 */
final class ImageTree {
  static final String FASHION = "/usr/share/datasets/fashion-mnist/";
  static final String[] CLASSES = {"t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
      "bag", "boot"};

  /** Relative path -> expected 28x28 grey pixels. */
  final Map<String, byte[]> expected = new LinkedHashMap<>();
  /** Relative path -> class name. */
  final Map<String, String> classOf = new HashMap<>();
  /** Relative paths that are lossy (JPEG): compared with a tolerance. */
  final java.util.Set<String> lossy = new java.util.HashSet<>();
  /** Relative path of each planted broken file -> the reason key it must be rejected with. */
  final Map<String, String> broken = new LinkedHashMap<>();

  /** The first {@code count} Fashion-MNIST test images. */
  static ImageSet fashion(int count) {
    String set = count <= 10_000 ? "t10k" : "train";   // the test set, or the 60,000 training images for more
    ImageSet all = IdxReader.read(new org.apache.hadoop.fs.Path(FASHION + set + "-images-idx3-ubyte.gz"),
        new org.apache.hadoop.fs.Path(FASHION + set + "-labels-idx1-ubyte.gz"), new Configuration(), 10);
    return all.slice(0, count);
  }

  static byte[] image(ImageSet set, int i) {
    byte[] p = new byte[784];
    System.arraycopy(set.pixels(), i * 784, p, 0, 784);
    return p;
  }

  /** Writes the tree under {@code root}: {@code pngs} plain PNGs then the special cases. */
  static ImageTree build(Path root, int pngs) throws IOException {
    ImageTree t = new ImageTree();
    ImageSet set = fashion(pngs + 40);
    for (int i = 0; i < pngs; i++) {
      t.put(root, i, set, "img-%04d.png", encode(grey(image(set, i), 28, 28), "png"), false);
    }
    int k = pngs;
    for (int j = 0; j < 8; j++, k++) {      // grey JPEG
      t.put(root, k, set, "jpg-%04d.jpg", jpeg(grey(image(set, k), 28, 28), 0.95f), true);
    }
    for (int j = 0; j < 4; j++, k++) {      // RGB PNG with a known luma
      t.putRgb(root, k, set, false);
    }
    for (int j = 0; j < 3; j++, k++) {      // RGBA PNG, alpha ignored
      t.putRgb(root, k, set, true);
    }
    for (int j = 0; j < 3; j++, k++) {      // 16-bit grey PNG
      byte[] p = image(set, k);
      BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_USHORT_GRAY);
      WritableRaster r = b.getRaster();
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++) {
          r.setSample(x, y, 0, (p[y * 28 + x] & 0xFF) * 257);
        }
      }
      t.put(root, k, set, "grey16-%04d.png", encode(b, "png"), false);
    }
    for (int j = 0; j < 3; j++, k++) {      // palette GIF (256 greys)
      byte[] g = new byte[256];
      for (int v = 0; v < 256; v++) {
        g[v] = (byte) v;
      }
      BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_INDEXED, new IndexColorModel(8, 256, g, g, g));
      b.getRaster().setDataElements(0, 0, 28, 28, image(set, k));
      t.put(root, k, set, "palette-%04d.gif", encode(b, "gif"), false);
    }
    for (int j = 0; j < 3; j++, k++) {      // BMP
      byte[] p = image(set, k);
      BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_3BYTE_BGR);
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++) {
          int v = p[y * 28 + x] & 0xFF;
          b.setRGB(x, y, (v << 16) | (v << 8) | v);
        }
      }
      t.put(root, k, set, "bmp-%04d.bmp", encode(b, "bmp"), false);
    }
    // 2x nearest upscale (56 x 56): area averaging gives the original back exactly
    byte[] p = image(set, k);
    t.put(root, k, set, "big-%04d.png", encode(grey(upscale(p, 2), 56, 56), "png"), false);
    k++;
    // 56 x 70: 7 junk rows above and below a 2x upscale; the centre crop removes them exactly
    p = image(set, k);
    byte[] tall = new byte[56 * 70];
    java.util.Arrays.fill(tall, (byte) 200);
    System.arraycopy(upscale(p, 2), 0, tall, 7 * 56, 56 * 56);
    t.put(root, k, set, "tall-%04d.png", encode(grey(tall, 56, 70), "png"), false);
    k++;
    // a PNG named .jpg: decoded by content and kept
    t.put(root, k, set, "really-png-%04d.jpg", encode(grey(image(set, k), 28, 28), "png"), false);
    k++;

    // planted broken files
    byte[] goodPng = encode(grey(image(set, 0), 28, 28), "png");
    t.plant(root, "dress/truncated.png", java.util.Arrays.copyOf(goodPng, goodPng.length / 2), "corrupt");
    t.plant(root, "dress/empty.png", new byte[0], "empty");
    t.plant(root, "coat/notes.png", "these are notes, not pixels\n".getBytes(StandardCharsets.UTF_8), "not-an-image");
    t.plant(root, "bag/huge.png", hugePng(100000, 100000), "bad-dimensions");
    byte[] goodJpg = jpeg(grey(image(set, 1), 28, 28), 0.9f);
    t.plant(root, "boot/truncated.jpg", java.util.Arrays.copyOf(goodJpg, goodJpg.length / 2), "corrupt");
    t.plant(root, "stray.png", goodPng, "no-label");
    // hidden files are not inputs at all
    Files.write(root.resolve("bag/.hidden.png"), goodPng);
    return t;
  }

  private void put(Path root, int i, ImageSet set, String pattern, byte[] bytes, boolean isLossy) throws IOException {
    String cls = CLASSES[set.labels()[i]];
    String rel = cls + "/" + String.format(Locale.ROOT, pattern, i);
    Files.createDirectories(root.resolve(cls));
    Files.write(root.resolve(rel), bytes);
    expected.put(rel, image(set, i));
    classOf.put(rel, cls);
    if (isLossy) {
      lossy.add(rel);
    }
  }

  /** An RGB (or RGBA) PNG whose BT.601 luma is the original grey value exactly. */
  private void putRgb(Path root, int i, ImageSet set, boolean alpha) throws IOException {
    byte[] p = image(set, i);
    BufferedImage b = new BufferedImage(28, 28, alpha ? BufferedImage.TYPE_INT_ARGB : BufferedImage.TYPE_INT_RGB);
    SplittableRandom rnd = new SplittableRandom(i);
    byte[] want = new byte[784];
    for (int y = 0; y < 28; y++) {
      for (int x = 0; x < 28; x++) {
        int v = p[y * 28 + x] & 0xFF;
        int r = v;
        int g = 255 - v;
        int bl = v / 2;
        int a = alpha ? 1 + rnd.nextInt(255) : 255;
        b.setRGB(x, y, (a << 24) | (r << 16) | (g << 8) | bl);
        want[y * 28 + x] = (byte) ImageDecoder.luma(r, g, bl);
      }
    }
    String cls = CLASSES[set.labels()[i]];
    String rel = cls + "/" + String.format(Locale.ROOT, alpha ? "rgba-%04d.png" : "rgb-%04d.png", i);
    Files.createDirectories(root.resolve(cls));
    Files.write(root.resolve(rel), encode(b, "png"));
    expected.put(rel, want);
    classOf.put(rel, cls);
  }

  private void plant(Path root, String rel, byte[] bytes, String reason) throws IOException {
    Files.createDirectories(root.resolve(rel).getParent());
    Files.write(root.resolve(rel), bytes);
    broken.put(rel, reason);
  }

  static BufferedImage grey(byte[] p, int w, int h) {
    BufferedImage b = new BufferedImage(w, h, BufferedImage.TYPE_BYTE_GRAY);
    b.getRaster().setDataElements(0, 0, w, h, p);
    return b;
  }

  static byte[] upscale(byte[] p, int f) {
    byte[] out = new byte[784 * f * f];
    int w = 28 * f;
    for (int y = 0; y < w; y++) {
      for (int x = 0; x < w; x++) {
        out[y * w + x] = p[(y / f) * 28 + x / f];
      }
    }
    return out;
  }

  static byte[] encode(BufferedImage b, String format) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(b, format, out)) {
      throw new IOException("no ImageIO writer for " + format);
    }
    return out.toByteArray();
  }

  static byte[] jpeg(BufferedImage b, float quality) throws IOException {
    ImageWriter w = ImageIO.getImageWritersByFormatName("jpeg").next();
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try (MemoryCacheImageOutputStream ios = new MemoryCacheImageOutputStream(out)) {
      w.setOutput(ios);
      ImageWriteParam p = w.getDefaultWriteParam();
      p.setCompressionMode(ImageWriteParam.MODE_EXPLICIT);
      p.setCompressionQuality(quality);
      w.write(null, new IIOImage(b, null, null), p);
    } finally {
      w.dispose();
    }
    return out.toByteArray();
  }

  /** A PNG signature and an IHDR chunk (valid CRC) claiming {@code w x h} 8-bit grey, then a token IDAT and IEND. */
  static byte[] hugePng(int w, int h) throws IOException {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    DataOutputStream out = new DataOutputStream(bytes);
    out.write(new byte[] {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'});
    ByteArrayOutputStream ihdr = new ByteArrayOutputStream();
    DataOutputStream d = new DataOutputStream(ihdr);
    d.writeInt(w);
    d.writeInt(h);
    d.writeByte(8);
    d.writeByte(0);
    d.writeByte(0);
    d.writeByte(0);
    d.writeByte(0);
    chunk(out, "IHDR", ihdr.toByteArray());
    chunk(out, "IDAT", new byte[] {0x78, (byte) 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01});
    chunk(out, "IEND", new byte[0]);
    return bytes.toByteArray();
  }

  private static void chunk(DataOutputStream out, String type, byte[] data) throws IOException {
    out.writeInt(data.length);
    byte[] t = type.getBytes(StandardCharsets.US_ASCII);
    out.write(t);
    out.write(data);
    CRC32 crc = new CRC32();
    crc.update(t);
    crc.update(data);
    out.writeInt((int) crc.getValue());
  }
}
