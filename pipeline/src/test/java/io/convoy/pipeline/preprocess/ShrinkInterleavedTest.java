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
 * The one-pass path for interleaved B, G, R images (JPEG's usual decode) against the general path:
 * planes first, then {@link Resizer#resize}. Seeded random pixels; shrink factors 1, 2, 3 and 5 on
 * odd output sizes; grey and RGB output.
 */
class ShrinkInterleavedTest {

  @Test
  void givesExactlyTheGeneralPathsBytes() {
    SplittableRandom rnd = new SplittableRandom(42);
    int[][] sizes = {{1, 1}, {7, 5}, {17, 3}, {28, 28}, {112, 112}, {9, 13}};
    for (int channels : new int[] {1, 3}) {
      for (int f : new int[] {1, 2, 3, 5}) {
        for (int[] hw : sizes) {
          int h = hw[0];
          int w = hw[1];
          BufferedImage img = new BufferedImage(w * f, h * f, BufferedImage.TYPE_3BYTE_BGR);
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
          assertArrayEquals(want, gotCut, channels + " channel(s), factor " + f + ", output " + h + "x" + w);
        }
      }
    }
  }

  @Test
  void otherShapesAndTypesTakeTheGeneralPath() {
    ImageDecoder dec = new ImageDecoder(3, 10, 10, ResizeMode.CROP, 1L << 30);
    byte[] dst = new byte[300];
    assertFalse(dec.shrinkInterleaved(new BufferedImage(20, 30, BufferedImage.TYPE_3BYTE_BGR), dst, 0), "aspect differs");
    assertFalse(dec.shrinkInterleaved(new BufferedImage(25, 25, BufferedImage.TYPE_3BYTE_BGR), dst, 0), "not a multiple");
    assertFalse(dec.shrinkInterleaved(new BufferedImage(20, 20, BufferedImage.TYPE_INT_RGB), dst, 0), "not interleaved bytes");
    assertFalse(dec.shrinkInterleaved(new BufferedImage(5, 5, BufferedImage.TYPE_3BYTE_BGR), dst, 0), "growing");
  }
}
