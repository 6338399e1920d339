package io.convoy.pipeline.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.preprocess.PreprocessOptions.ResizeMode;
import java.awt.image.BufferedImage;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * One decoder (one reader per format, one input stream, one colour JPEG image) over a mixed
 * sequence of files, as a shard task sees them: every file must decode exactly as on its own. A
 * BMP switches the shared stream to little-endian, a failed file leaves a reader mid-read, and a
 * colour JPEG of another size needs a new destination image.
 */
class DecoderReuseTest {

  @Test
  void mixedFormatsDecodeAsOnTheirOwn() throws Exception {
    ImageSet set = ImageTree.fashion(4);
    byte[][] grey = new byte[4][];
    byte[][] files = new byte[12][];
    for (int i = 0; i < 4; i++) {
      grey[i] = ImageTree.image(set, i);
    }
    BufferedImage rgb28 = colour(grey[2], 28);
    BufferedImage rgb56 = colour(ImageTree.upscale(grey[3], 2), 56);
    files[0] = ImageTree.encode(ImageTree.grey(grey[0], 28, 28), "png");
    files[1] = ImageTree.encode(bgr(grey[1]), "bmp");
    files[2] = ImageTree.encode(ImageTree.grey(grey[0], 28, 28), "png");
    files[3] = ImageTree.jpeg(rgb28, 0.95f);
    files[4] = "not an image at all".getBytes(java.nio.charset.StandardCharsets.UTF_8);
    files[5] = ImageTree.jpeg(rgb56, 0.95f);
    files[6] = Arrays.copyOf(files[3], files[3].length / 2);   // truncated JPEG: rejected
    files[7] = ImageTree.jpeg(rgb28, 0.95f);
    files[8] = ImageTree.encode(bgr(grey[1]), "bmp");
    files[9] = ImageTree.encode(ImageTree.grey(grey[0], 28, 28), "png");
    files[10] = ImageTree.encode(ImageTree.grey(grey[0], 28, 28), "gif");
    files[11] = ImageTree.jpeg(rgb56, 0.95f);
    ImageDecoder shared = new ImageDecoder(3, 28, 28, ResizeMode.CROP, 1L << 30);
    for (int i = 0; i < files.length; i++) {
      byte[] alone = decodeOrNull(new ImageDecoder(3, 28, 28, ResizeMode.CROP, 1L << 30), files[i]);
      byte[] got = decodeOrNull(shared, files[i]);
      if (i == 4 || i == 6) {
        assertEquals(null, alone, "file " + i + " must be rejected");
        assertEquals(null, got, "file " + i + " must be rejected by the shared decoder too");
        continue;
      }
      assertArrayEquals(alone, got, "file " + i + " (" + shared.lastFormat() + ") decodes as on its own");
    }
    // lossless files against the source pixels, in all three channels
    byte[] png = decodeOrNull(shared, files[9]);
    byte[] bmp = decodeOrNull(shared, files[8]);
    for (int c = 0; c < 3; c++) {
      assertArrayEquals(grey[0], Arrays.copyOfRange(png, c * 784, (c + 1) * 784), "PNG channel " + c);
      assertArrayEquals(grey[1], Arrays.copyOfRange(bmp, c * 784, (c + 1) * 784), "BMP channel " + c);
    }
    // the 56x56 colour JPEG, halved, against the tinted source. JPEG is lossy (chroma is stored at half
    // resolution, so colour edges blur: a mean of about 4.5 here, single values off by up to ~80);
    // swapped R and B would be off by |2v - 255|, about 100 on average for these images.
    byte[] jpg = decodeOrNull(shared, files[11]);
    long total = 0;
    int worst = 0;
    for (int p = 0; p < 784; p++) {
      int v = grey[3][p] & 0xFF;
      int[] want = {v, v / 2, 255 - v};
      for (int c = 0; c < 3; c++) {
        int d = Math.abs((jpg[c * 784 + p] & 0xFF) - want[c]);
        total += d;
        worst = Math.max(worst, d);
      }
    }
    double mean = total / (3.0 * 784);
    assertTrue(mean < 10, "colour JPEG: mean difference to the source " + mean + " (worst " + worst + ")");
    assertThrows(ImageDecoder.DecodeException.class, () -> shared.decode(files[6], new byte[3 * 784], 0));
  }

  private static byte[] decodeOrNull(ImageDecoder dec, byte[] file) {
    byte[] out = new byte[3 * 784];
    try {
      dec.decode(file, out, 0);
      return out;
    } catch (ImageDecoder.DecodeException e) {
      return null;
    }
  }

  /** Grey as a B, G, R image (BMP's usual layout). */
  private static BufferedImage bgr(byte[] g) {
    BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_3BYTE_BGR);
    for (int p = 0; p < 784; p++) {
      int v = g[p] & 0xFF;
      b.setRGB(p % 28, p / 28, (v << 16) | (v << 8) | v);
    }
    return b;
  }

  /** A colour image from grey: R = v, G = v / 2, B = 255 - v. */
  private static BufferedImage colour(byte[] g, int side) {
    BufferedImage b = new BufferedImage(side, side, BufferedImage.TYPE_3BYTE_BGR);
    for (int p = 0; p < side * side; p++) {
      int v = g[p] & 0xFF;
      b.setRGB(p % side, p / side, (v << 16) | ((v / 2) << 8) | (255 - v));
    }
    return b;
  }
}
