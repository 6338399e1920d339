package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The in-register transposes (16 x 16 and 8 x 8) against a plain double loop, with strides, offsets and
 * destinations that are not multiples of the block and every bias / accumulate combination.
 *
 * <p>Both block sizes run in every JVM: each names its species itself ({@code SPECIES_512} for 16 x 16,
 * {@code SPECIES_256} for 8 x 8) instead of taking the preferred one. Where the hardware vectors are
 * narrower than the block (the 16 x 16 block on an AVX2 machine, or in {@link LaneShapesTest}'s child JVM
 * capped with {@code -XX:MaxVectorSize=32}), C2 does not intrinsify it and the Vector API's Java fallback
 * runs it: slower, and these tests check it gives the same floats.
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
  void toRows16() {
    checkToRows(16);
  }

  @Test
  void toRows8() {
    checkToRows(8);
  }

  @Test
  void toRowsAdding16() {
    checkToRowsAdding(16);
  }

  @Test
  void toRowsAdding8() {
    checkToRowsAdding(8);
  }

  private static void checkToRows(int b) {
    Random rnd = new Random(7 + b);
    int ld = 37;
    int sOff = 5;
    float[] src = random(rnd, sOff + (b - 1) * ld + b + 3);
    // destinations in shuffled order, some far apart, none overlapping
    int[] offs = new int[b + 4];
    for (int j = 0; j < offs.length; j++) {
      offs[j] = ((j * 7) % offs.length) * (b + 3);
    }
    int oIdx = 3;
    int dOff = 2;
    float[] dst = new float[dOff + offs.length * (b + 3) + b];
    float[] expected = dst.clone();
    for (int j = 0; j < b; j++) {
      for (int i = 0; i < b; i++) {
        expected[offs[oIdx + j] + dOff + i] = src[sOff + i * ld + j];
      }
    }
    if (b == 16) {
      VectorTranspose.toRows16(src, sOff, ld, dst, offs, oIdx, dOff);
    } else {
      VectorTranspose.toRows8(src, sOff, ld, dst, offs, oIdx, dOff);
    }
    assertArrayEquals(expected, dst, 0f);
  }

  private static void checkToRowsAdding(int b) {
    Random rnd = new Random(11 + b);
    int ld = 64;
    int sOff = 9;
    int ldd = 196;
    int dOff = 13;
    float[] src = random(rnd, sOff + (b - 1) * ld + b);
    float[] bias = random(rnd, 40);
    int bOff = 17;
    for (int mode = 0; mode < 3; mode++) {
      boolean accumulate = mode == 2;
      float[] bv = mode == 1 ? bias : null;
      float[] dst = random(rnd, dOff + (b - 1) * ldd + b + 4);
      float[] expected = dst.clone();
      for (int j = 0; j < b; j++) {
        for (int i = 0; i < b; i++) {
          float v = src[sOff + i * ld + j];
          int at = dOff + j * ldd + i;
          expected[at] = accumulate ? expected[at] + v : v + (bv == null ? 0f : bv[bOff + j]);
        }
      }
      if (b == 16) {
        VectorTranspose.toRowsAdding16(src, sOff, ld, dst, dOff, ldd, bv, bOff, accumulate);
      } else {
        VectorTranspose.toRowsAdding8(src, sOff, ld, dst, dOff, ldd, bv, bOff, accumulate);
      }
      assertArrayEquals(expected, dst, 0f, "block " + b + ", mode " + mode);
    }
  }

  @Test
  void blockIsThePreferredLaneCountWhenSupported() {
    int lanes = VectorInfo.SPECIES.length();
    assertEquals(lanes == 16 || lanes == 8 ? lanes : 0, VectorTranspose.BLOCK);
  }
}
