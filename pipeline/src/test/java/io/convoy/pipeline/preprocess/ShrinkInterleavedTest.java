package io.convoy.pipeline.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.preprocess.PreprocessOptions.ResizeMode;
import java.awt.image.BufferedImage;
import java.awt.image.DataBufferByte;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * The one-pass path for interleaved 3-byte images (B, G, R: ImageIO's usual JPEG decode; R, G, B: the
 * image the decoder gives the JPEG reader) against the general path: planes first, then
 * {@link Resizer#resize}; and those planes against {@code getRGB}. Seeded random pixels; shrink
 * factors 1, 2, 3 and 5 on odd output sizes; grey and RGB output.
 */
class ShrinkInterleavedTest {

  @Test
  void givesExactlyTheGeneralPathsBytes() {
    SplittableRandom rnd = new SplittableRandom(42);
    int[][] sizes = {{1, 1}, {7, 5}, {17, 3}, {28, 28}, {112, 112}, {9, 13}};
    for (boolean rgbOrder : new boolean[] {false, true}) {
      for (int channels : new int[] {1, 3}) {
        for (int f : new int[] {1, 2, 3, 5}) {
          for (int[] hw : sizes) {
            int h = hw[0];
            int w = hw[1];
            BufferedImage img = rgbOrder ? rgbImage(w * f, h * f)
                : new BufferedImage(w * f, h * f, BufferedImage.TYPE_3BYTE_BGR);
            byte[] data = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
            for (int i = 0; i < data.length; i++) {
              data[i] = (byte) rnd.nextInt(256);
            }
            ImageDecoder dec = new ImageDecoder(channels, h, w, ResizeMode.CROP, 1L << 30);
            byte[] want = new byte[channels * h * w];
            Resizer.resize(dec.toPlanes(img), channels, h * f, w * f, want, 0, h, w, ResizeMode.CROP);
            byte[] got = new byte[channels * h * w + 3];
            assertTrue(dec.shrinkInterleaved(img, got, 3), "qualifies: " + f + "x of " + h + "x" + w);
            byte[] gotCut = java.util.Arrays.copyOfRange(got, 3, got.length);
            assertArrayEquals(want, gotCut, (rgbOrder ? "R, G, B, " : "B, G, R, ") + channels + " channel(s), factor "
                + f + ", output " + h + "x" + w);
            assertArrayEquals(planesByGetRgb(img, channels), dec.toPlanes(img), "planes as getRGB gives them");
          }
        }
      }
    }
  }

  /** An sRGB image of interleaved R, G, B bytes (the layout the decoder reads colour JPEGs into). */
  static BufferedImage rgbImage(int w, int h) {
    java.awt.image.ColorModel cm = new java.awt.image.ComponentColorModel(
        java.awt.color.ColorSpace.getInstance(java.awt.color.ColorSpace.CS_sRGB), new int[] {8, 8, 8}, false, false,
        java.awt.Transparency.OPAQUE, java.awt.image.DataBuffer.TYPE_BYTE);
    return new BufferedImage(cm, java.awt.image.Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, w,
        h, 3 * w, 3, new int[] {0, 1, 2}, null), false, null);
  }

  /** The oracle: planes from {@code BufferedImage.getRGB}, grey by the decoder's BT.601 luma. */
  private static byte[] planesByGetRgb(BufferedImage img, int channels) {
    int w = img.getWidth();
    int hw = w * img.getHeight();
    byte[] out = new byte[channels * hw];
    for (int i = 0; i < hw; i++) {
      int p = img.getRGB(i % w, i / w);
      int r = (p >> 16) & 0xFF;
      int g = (p >> 8) & 0xFF;
      int b = p & 0xFF;
      if (channels == 3) {
        out[i] = (byte) r;
        out[hw + i] = (byte) g;
        out[2 * hw + i] = (byte) b;
      } else {
        out[i] = (byte) ImageDecoder.luma(r, g, b);
      }
    }
    return out;
  }

  @Test
  void otherShapesAndTypesTakeTheGeneralPath() {
    ImageDecoder dec = new ImageDecoder(3, 10, 10, ResizeMode.CROP, 1L << 30);
    byte[] dst = new byte[300];
    assertFalse(dec.shrinkInterleaved(new BufferedImage(20, 30, BufferedImage.TYPE_3BYTE_BGR), dst, 0), "aspect differs");
    assertFalse(dec.shrinkInterleaved(new BufferedImage(25, 25, BufferedImage.TYPE_3BYTE_BGR), dst, 0), "not a multiple");
    assertFalse(dec.shrinkInterleaved(new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB), dst, 0), "not interleaved bytes");
    assertFalse(dec.shrinkInterleaved(new BufferedImage(5, 5, BufferedImage.TYPE_3BYTE_BGR), dst, 0), "growing");
    assertFalse(dec.shrinkInterleaved(new BufferedImage(20, 20, BufferedImage.TYPE_4BYTE_ABGR), dst, 0), "alpha");
    assertTrue(dec.shrinkInterleaved(rgbImage(20, 20), dst, 0), "R, G, B bytes");
  }
}
