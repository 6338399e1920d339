package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The in-register 16 x 16 transposes against a plain double loop, with strides, offsets and
 * destinations that are not multiples of 16 and every bias / accumulate combination. Skipped on a
 * JVM whose preferred species is not 512-bit (there WinogradConv copies with plain loops, which its
 * own tests cover).
 */
class VectorTransposeTest {

  private static float[] random(Random rnd, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = rnd.nextFloat() * 2 - 1;
    }
    return a;
  }

  @Test
  void toRowsStoresEachColumnWhereItsOffsetSays() {
    assumeTrue(VectorTranspose.AVAILABLE, "needs 16-lane vectors");
    Random rnd = new Random(7);
    int ld = 37;
    int sOff = 5;
    float[] src = random(rnd, sOff + 15 * ld + 16 + 3);
    // destinations in shuffled order, some far apart, none overlapping
    int[] offs = new int[20];
    for (int j = 0; j < offs.length; j++) {
      offs[j] = ((j * 7) % offs.length) * 19;
    }
    int oIdx = 3;
    int dOff = 2;
    float[] dst = new float[dOff + 19 * 19 + 16];
    float[] before = dst.clone();
    VectorTranspose.toRows(src, sOff, ld, dst, offs, oIdx, dOff);
    float[] expected = before.clone();
    for (int j = 0; j < 16; j++) {
      for (int i = 0; i < 16; i++) {
        expected[offs[oIdx + j] + dOff + i] = src[sOff + i * ld + j];
      }
    }
    assertArrayEquals(expected, dst, 0f);
  }

  @Test
  void toRowsAddingOverwritesWithBiasOrAdds() {
    assumeTrue(VectorTranspose.AVAILABLE, "needs 16-lane vectors");
    Random rnd = new Random(11);
    int ld = 64;
    int sOff = 9;
    int ldd = 196;
    int dOff = 13;
    float[] src = random(rnd, sOff + 15 * ld + 16);
    float[] bias = random(rnd, 40);
    int bOff = 17;
    for (int mode = 0; mode < 3; mode++) {
      boolean accumulate = mode == 2;
      float[] b = mode == 1 ? bias : null;
      float[] dst = random(rnd, dOff + 15 * ldd + 16 + 4);
      float[] expected = dst.clone();
      for (int j = 0; j < 16; j++) {
        for (int i = 0; i < 16; i++) {
          float v = src[sOff + i * ld + j];
          int at = dOff + j * ldd + i;
          expected[at] = accumulate ? expected[at] + v : v + (b == null ? 0f : b[bOff + j]);
        }
      }
      VectorTranspose.toRowsAdding(src, sOff, ld, dst, dOff, ldd, b, bOff, accumulate);
      assertArrayEquals(expected, dst, 0f, "mode " + mode);
    }
  }

  @Test
  void availableExactlyForSixteenLanes() {
    assertEquals(VectorInfo.SPECIES.length() == 16, VectorTranspose.AVAILABLE);
  }
}
