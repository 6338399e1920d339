package io.convoy.pipeline.preprocess;

import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.preprocess.PreprocessOptions.ResizeMode;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * The image decoder of the preprocessing job on thousands of damaged PNG, JPEG, BMP and GIF files
 * (truncations, bit flips, absurd sizes in the headers, random bytes, foreign magic): each ends in a
 * decoded image or a {@code DecodeException} with its reject reason, within 5 s, without an Error and
 * without allocating more than 64 MiB for a file of a few hundred bytes (sizes beyond
 * {@code preprocess.max-pixels} are refused from the header). One decoder serves all cases, as one
 * serves a whole task, so a reader left in a bad state by one file would show on the next ones.
 */
class DecoderFuzzTest {
  static final long MAX_PIXELS = 1 << 20;
  static final long MAX_ALLOCATION = 64L << 20;

  static byte[] encode(String format, int type, long seed) throws IOException {
    SplittableRandom r = new SplittableRandom(seed);
    BufferedImage b = new BufferedImage(16, 12, type);
    for (int y = 0; y < 12; y++) {
      for (int x = 0; x < 16; x++) {
        b.setRGB(x, y, r.nextInt(1 << 24));
      }
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (!ImageIO.write(b, format, out)) {
      throw new IllegalStateException("no ImageIO writer for " + format);
    }
    return out.toByteArray();
  }

  /** A valid file and where its size fields are: {offset, width in bytes, 1 = big-endian}. */
  record Seed(String name, byte[] bytes, int[][] fields) {
  }

  static List<Seed> seeds() throws IOException {
    return List.of(
        new Seed("png-grey", encode("png", BufferedImage.TYPE_BYTE_GRAY, 1), new int[][] {{16, 4, 1}, {20, 4, 1}}),
        new Seed("png-rgb", encode("png", BufferedImage.TYPE_INT_RGB, 2), new int[][] {{16, 4, 1}, {20, 4, 1}}),
        new Seed("jpeg", encode("jpeg", BufferedImage.TYPE_INT_RGB, 3), new int[][] {}),
        new Seed("bmp", encode("bmp", BufferedImage.TYPE_INT_RGB, 4), new int[][] {{18, 4, 0}, {22, 4, 0}, {10, 4, 0},
            {2, 4, 0}}),
        new Seed("gif", encode("gif", BufferedImage.TYPE_BYTE_INDEXED, 5), new int[][] {{6, 2, 0}, {8, 2, 0}}));
  }

  private static final long[] ABSURD = {0, -1, 1, 0xFFFF, 0x7FFF_FFFFL, 0x8000_0000L, 0x0001_0000L, 46341, 100_000};

  static byte[] corrupt(Seed s, SplittableRandom r, int i) {
    byte[] v = s.bytes();
    int n = v.length;
    byte[] b = v.clone();
    switch (i % 7) {
      case 0 -> b = Arrays.copyOf(v, i / 7 < n ? (i / 7) % n : r.nextInt(n));   // every length, then random ones
      case 1 -> {
        for (int k = 1 + r.nextInt(8); k > 0; k--) {
          b[r.nextInt(n)] ^= (byte) (1 << r.nextInt(8));
        }
      }
      case 2 -> b[r.nextInt(Math.min(n, 64))] = (byte) r.nextInt(256);
      case 3 -> {
        if (s.fields().length > 0) {
          int[] f = s.fields()[r.nextInt(s.fields().length)];
          long a = r.nextInt(3) == 0 ? r.nextLong() : ABSURD[r.nextInt(ABSURD.length)];
          ByteBuffer w = ByteBuffer.wrap(b).order(f[2] == 1 ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN);
          if (f[1] == 4) {
            w.putInt(f[0], (int) a);
          } else {
            w.putShort(f[0], (short) a);
          }
        } else {   // JPEG: damage the marker segments near the start
          b[2 + r.nextInt(Math.min(n - 2, 200))] = (byte) r.nextInt(256);
        }
      }
      case 4 -> {
        b = new byte[r.nextInt(2 * n)];
        for (int k = 0; k < b.length; k++) {
          b[k] = (byte) r.nextInt(256);
        }
        if (b.length >= 8 && r.nextBoolean()) {
          System.arraycopy(v, 0, b, 0, 8);   // random body behind a valid magic
        }
      }
      case 5 -> {   // a run repeated or moved
        int from = r.nextInt(n);
        int to = r.nextInt(n);
        int len = Math.min(1 + r.nextInt(64), Math.min(n - from, n - to));
        System.arraycopy(v, from, b, to, len);
      }
      default -> {   // bytes inserted
        int at = r.nextInt(n + 1);
        int len = 1 + r.nextInt(32);
        byte[] out = new byte[n + len];
        System.arraycopy(v, 0, out, 0, at);
        for (int k = 0; k < len; k++) {
          out[at + k] = (byte) r.nextInt(256);
        }
        System.arraycopy(v, at, out, at + len, n - at);
        b = out;
      }
    }
    return b;
  }

  void fuzz(int cases, long seed) throws IOException {
    List<Seed> seeds = seeds();
    ImageDecoder decoder = new ImageDecoder(1, 8, 8, ResizeMode.CROP, MAX_PIXELS);
    byte[] dst = new byte[64];
    Map<String, Integer> outcomes = new TreeMap<>();
    List<String> failures = new ArrayList<>();
    long maxAlloc = 0;
    for (int i = 0; i < cases; i++) {
      Seed s = seeds.get(i % seeds.size());
      SplittableRandom r = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
      byte[] bytes = corrupt(s, r, i / seeds.size());
      String id = "case " + i + " (" + s.name() + ", kind " + (i / seeds.size()) % 7 + ", " + bytes.length + " bytes)";
      Object[] result = new Object[2];
      assertTimeoutPreemptively(Duration.ofSeconds(5), () -> {
        com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        long tid = Thread.currentThread().getId();
        long a0 = mx.getThreadAllocatedBytes(tid);
        try {
          decoder.decode(bytes, dst, 0);
          result[0] = "decoded";
        } catch (ImageDecoder.DecodeException e) {
          result[0] = "rejected " + e.reason;
        } catch (Throwable t) {
          result[0] = t;
        }
        result[1] = mx.getThreadAllocatedBytes(tid) - a0;
      }, () -> "decoder did not finish within 5 s on " + id);
      long alloc = (Long) result[1];
      maxAlloc = Math.max(maxAlloc, alloc);
      if (result[0] instanceof Throwable t) {
        outcomes.merge(t.getClass().getSimpleName(), 1, Integer::sum);
        failures.add(id + ": " + t);
      } else {
        outcomes.merge((String) result[0], 1, Integer::sum);
      }
      if (alloc > MAX_ALLOCATION) {
        failures.add(id + ": allocated " + alloc + " bytes");
      }
    }
    System.out.println("fuzz ImageDecoder: " + cases + " cases, outcomes " + outcomes + ", most allocated by one case "
        + (maxAlloc >> 10) + " KiB");
    assertTrue(failures.isEmpty(), failures.size() + " of " + cases + " cases failed; the first:\n"
        + String.join("\n", failures.subList(0, Math.min(15, failures.size()))));
  }

  @Test
  void damagedImagesAreDecodedOrRejectedWithAReason() throws IOException {
    fuzz(2000, 41L);
  }

  @Test
  @Tag("long")
  void damagedImagesAreDecodedOrRejectedWithAReasonManyCases() throws IOException {
    fuzz(40_000, 42L);
  }
}
