package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** Pool2d against ScalarPool2d, the course example, ties, overlap and finite differences. */
class Pool2dTest {

  static final List<PoolShape> SHAPES = List.of(
      PoolShape.square(1, 1, 4, 4, 2, 2),
      PoolShape.square(3, 17, 6, 8, 2, 2),          // the common case, specialised path
      new PoolShape(2, 3, 7, 5, 3, 3, 2, 2),         // overlapping 3x3 stride 2
      new PoolShape(1, 2, 4, 4, 2, 2, 1, 1),         // stride 1, heavy overlap
      new PoolShape(2, 1, 5, 7, 2, 3, 3, 2),         // non-square window, gaps between rows
      new PoolShape(1, 3, 1, 9, 1, 3, 1, 3),         // 1 x 3 windows
      new PoolShape(2, 2, 28, 28, 2, 2, 2, 2));

  @Test
  void courseMaxPoolExample() {
    float[] in = {
        1, 3, 2, 1,
        2, 9, 1, 1,
        1, 3, 2, 3,
        5, 6, 1, 2};
    PoolShape s = PoolShape.square(1, 1, 4, 4, 2, 2);
    float[] out = new float[4];
    int[] argmax = new int[4];
    Pool2d.maxForward(out, argmax, in, s);
    assertArrayEquals(new float[] {9, 2, 6, 3}, out, 0f);
    assertArrayEquals(new int[] {5, 2, 13, 11}, argmax);
    ScalarPool2d.maxForward(out, argmax, in, s);
    assertArrayEquals(new float[] {9, 2, 6, 3}, out, 0f);
    assertArrayEquals(new int[] {5, 2, 13, 11}, argmax);
  }

  @Test
  void tiesTakeTheFirstMaxInRowMajorOrder() {
    float[] in = {
        4, 4, 0, 1, 0,
        4, 4, 1, 0, 0,
        2, 3, 3, 3, 0,
        3, 3, 3, 3, 0};
    for (PoolShape s : List.of(PoolShape.square(1, 1, 4, 4, 2, 2), new PoolShape(1, 1, 4, 5, 2, 3, 2, 1))) {
      float[] plane = new float[s.h() * s.w()];
      for (int i = 0; i < s.h(); i++) {
        System.arraycopy(in, i * 5, plane, i * s.w(), s.w());
      }
      float[] out = new float[s.outSize()];
      int[] fast = new int[s.outSize()];
      int[] ref = new int[s.outSize()];
      Pool2d.maxForward(out, fast, plane, s);
      ScalarPool2d.maxForward(out, ref, plane, s);
      assertArrayEquals(ref, fast, "argmax " + s);
      assertTrue(fast[0] == 0, "first window of " + s + " has four equal maxima, expected index 0, got " + fast[0]);
    }
    // 2x2 stride 2 on the 4x4 part: windows (4 4/4 4) -> 0, (0 1/1 0) -> 3, (2 3/3 3) -> 9, (3 3/3 3) -> 10
    PoolShape s = PoolShape.square(1, 1, 4, 4, 2, 2);
    float[] plane = {4, 4, 0, 1, 4, 4, 1, 0, 2, 3, 3, 3, 3, 3, 3, 3};
    int[] argmax = new int[4];
    Pool2d.maxForward(new float[4], argmax, plane, s);
    assertArrayEquals(new int[] {0, 3, 9, 10}, argmax);
  }

  @Test
  void fastMatchesScalar() {
    Random rnd = new Random(11);
    double worst = 0;
    for (PoolShape s : SHAPES) {
      float[] in = Conv2dTest.random(rnd, s.inSize());
      // some repeated values to exercise ties
      for (int i = 0; i + 1 < in.length; i += 5) {
        in[i + 1] = in[i];
      }
      float[] outF = Conv2dTest.filled(s.outSize(), Float.NaN);
      float[] outR = Conv2dTest.filled(s.outSize(), Float.NaN);
      int[] amF = new int[s.outSize()];
      int[] amR = new int[s.outSize()];
      Pool2d.maxForward(outF, amF, in, s);
      ScalarPool2d.maxForward(outR, amR, in, s);
      assertArrayEquals(outR, outF, 0f, "max " + s);
      assertArrayEquals(amR, amF, "argmax " + s);

      float[] dOut = Conv2dTest.random(rnd, s.outSize());
      float[] start = Conv2dTest.random(rnd, s.inSize());
      float[] dF = start.clone();
      float[] dR = start.clone();
      Pool2d.maxBackward(dF, dOut, amF, s);
      ScalarPool2d.maxBackward(dR, dOut, amR, s);
      assertArrayEquals(dR, dF, 0f, "maxBackward " + s);

      Pool2d.avgForward(outF, in, s);
      ScalarPool2d.avgForward(outR, in, s);
      worst = Math.max(worst, Conv2dTest.assertClose(outR, outF, "avgForward " + s));
      dF = start.clone();
      dR = start.clone();
      Pool2d.avgBackward(dF, dOut, s);
      ScalarPool2d.avgBackward(dR, dOut, s);
      worst = Math.max(worst, Conv2dTest.assertClose(dR, dF, "avgBackward " + s));
    }
    System.out.printf("Pool2d vs ScalarPool2d: max pooling identical, average pooling largest difference %.3g%n", worst);
  }

  @Test
  void overlappingWindowsAccumulateGradient() {
    // 3x3 stride 1 over a 4x4 plane whose largest value sits in the middle of all four windows
    PoolShape s = PoolShape.square(1, 1, 4, 4, 3, 1);
    float[] in = new float[16];
    in[5] = 10;
    float[] out = new float[4];
    int[] argmax = new int[4];
    Pool2d.maxForward(out, argmax, in, s);
    assertArrayEquals(new int[] {5, 5, 5, 5}, argmax);
    float[] dIn = new float[16];
    Pool2d.maxBackward(dIn, new float[] {1, 2, 3, 4}, argmax, s);
    float[] expected = new float[16];
    expected[5] = 10;
    assertArrayEquals(expected, dIn, 0f);
    // average: element 5 is in all four windows, element 0 only in the first
    float[] dAvg = new float[16];
    Pool2d.avgBackward(dAvg, new float[] {9, 18, 27, 36}, s);
    assertArrayEquals(new float[] {1, 3, 3, 2, 4, 10, 10, 6, 4, 10, 10, 6, 3, 7, 7, 4}, dAvg, 1e-6f);
  }

  @Test
  void backwardMatchesFiniteDifferences() {
    Random rnd = new Random(5);
    double eps = 1e-2;
    double worst = 0;
    for (PoolShape s : List.of(PoolShape.square(2, 2, 4, 6, 2, 2), new PoolShape(1, 2, 7, 5, 3, 3, 2, 2),
        new PoolShape(1, 1, 5, 7, 2, 3, 3, 2))) {
      // distinct values spaced 0.1 apart, so a step of 0.01 never changes which element is the max
      List<Float> values = new ArrayList<>();
      for (int i = 0; i < s.inSize(); i++) {
        values.add(i * 0.1f - 1f);
      }
      Collections.shuffle(values, rnd);
      float[] in = new float[s.inSize()];
      for (int i = 0; i < in.length; i++) {
        in[i] = values.get(i);
      }
      float[] g = Conv2dTest.random(rnd, s.outSize());
      for (boolean max : new boolean[] {true, false}) {
        for (boolean fast : new boolean[] {true, false}) {
          float[] dIn = new float[s.inSize()];
          float[] out = new float[s.outSize()];
          int[] argmax = new int[s.outSize()];
          if (max) {
            Pool2d.maxForward(out, argmax, in, s);
            if (fast) {
              Pool2d.maxBackward(dIn, g, argmax, s);
            } else {
              ScalarPool2d.maxBackward(dIn, g, argmax, s);
            }
          } else if (fast) {
            Pool2d.avgBackward(dIn, g, s);
          } else {
            ScalarPool2d.avgBackward(dIn, g, s);
          }
          for (int i = 0; i < in.length; i++) {
            double num = Conv2dTest.centralDifference(in, i, eps, () -> poolLoss(max, fast, s, in, g));
            worst = Math.max(worst, Conv2dTest.checkGradient(num, dIn[i],
                (max ? "max" : "avg") + (fast ? " fast" : " scalar") + " dIn[" + i + "] " + s));
          }
        }
      }
    }
    System.out.printf("pool backward vs finite differences: largest difference %.3g%n", worst);
  }

  private static double poolLoss(boolean max, boolean fast, PoolShape s, float[] in, float[] g) {
    float[] out = new float[s.outSize()];
    if (max && fast) {
      Pool2d.maxForward(out, new int[s.outSize()], in, s);
    } else if (max) {
      ScalarPool2d.maxForward(out, new int[s.outSize()], in, s);
    } else if (fast) {
      Pool2d.avgForward(out, in, s);
    } else {
      ScalarPool2d.avgForward(out, in, s);
    }
    double sum = 0;
    for (int i = 0; i < out.length; i++) {
      sum += (double) out[i] * g[i];
    }
    return sum;
  }

  /** 2x2 stride-2 shapes whose rows are shorter than, equal to and longer than a vector, batch 1, tails. */
  static final List<PoolShape> TWO_BY_TWO = List.of(
      PoolShape.square(1, 1, 2, 2, 2, 2),
      PoolShape.square(1, 1, 2, 30, 2, 2),
      PoolShape.square(1, 1, 2, 32, 2, 2),
      PoolShape.square(1, 1, 2, 34, 2, 2),
      PoolShape.square(1, 3, 4, 62, 2, 2),
      PoolShape.square(1, 1, 6, 64, 2, 2),
      PoolShape.square(1, 2, 8, 66, 2, 2),
      PoolShape.square(2, 3, 14, 14, 2, 2),
      PoolShape.square(1, 2, 28, 28, 2, 2),
      PoolShape.square(3, 5, 10, 6, 2, 2),
      PoolShape.square(1, 1, 4, 98, 2, 2),
      PoolShape.square(2, 1, 12, 2, 2, 2));

  @Test
  void twoByTwoMatchesScalarBitForBitWithZerosTiesAndNaNs() {
    Random rnd = new Random(23);
    float[] specials = {0f, -0f, 0f, 1f, 1f, Float.NaN, Float.intBitsToFloat(0x7fc00001), Float.NEGATIVE_INFINITY};
    for (PoolShape s : TWO_BY_TWO) {
      // ReLU-like data, ties (+-0, repeats), NaNs (two payloads) and -inf; argmax tells which NaN won
      float[] in = new float[s.inSize() + 40];   // longer than the shape, as Network's max-batch buffers are
      for (int i = 0; i < in.length; i++) {
        int r = rnd.nextInt(10);
        in[i] = r < 4 ? Math.max(0f, (float) rnd.nextGaussian()) : r < 9 ? specials[rnd.nextInt(5)]
            : specials[5 + rnd.nextInt(3)];
      }
      float sentinel = 12345f;
      float[] outF = Conv2dTest.filled(s.outSize() + 40, sentinel);
      float[] outR = Conv2dTest.filled(s.outSize() + 40, sentinel);
      float[] outI = Conv2dTest.filled(s.outSize() + 40, sentinel);
      float[] outIR = Conv2dTest.filled(s.outSize() + 40, sentinel);
      int[] amF = new int[s.outSize()];
      int[] amR = new int[s.outSize()];
      Pool2d.maxForward(outF, amF, in, s);
      ScalarPool2d.maxForward(outR, amR, in, s);
      Pool2d.maxForwardInference(outI, in, s);
      ScalarPool2d.maxForwardInference(outIR, in, s);
      assertArrayEquals(amR, amF, "argmax " + s);
      assertArrayEquals(bits(outR), bits(outF), "max bits " + s);
      assertArrayEquals(bits(outR), bits(outI), "inference max bits " + s);
      assertArrayEquals(bits(outR), bits(outIR), "scalar inference max bits " + s);
      for (int i = s.outSize(); i < outF.length; i++) {
        assertTrue(outF[i] == sentinel && outI[i] == sentinel, "wrote past outSize at " + i + " for " + s);
      }
    }
  }

  @Test
  void twoByTwoStaysIdenticalOnceCompiled() {
    // enough calls for C2 to compile the vector loops, so the compiled code is checked and not just the interpreter's
    Random rnd = new Random(29);
    // 14 windows a row (one row per vector step) and 7 (two rows per step, 105 rows: one left for the tail)
    for (PoolShape s : List.of(PoolShape.square(3, 4, 28, 28, 2, 2), PoolShape.square(3, 5, 14, 14, 2, 2))) {
      float[] in = new float[s.inSize()];
      float[] out = new float[s.outSize()];
      float[] outI = new float[s.outSize()];
      float[] outR = new float[s.outSize()];
      int[] am = new int[s.outSize()];
      int[] amR = new int[s.outSize()];
      for (int round = 0; round < 400; round++) {
        for (int i = 0; i < in.length; i++) {
          int r = rnd.nextInt(50);
          in[i] = r < 20 ? 0f : r < 22 ? -0f : r == 22 ? Float.NaN : (float) rnd.nextGaussian();
        }
        Pool2d.maxForward(out, am, in, s);
        Pool2d.maxForwardInference(outI, in, s);
        if (round % 40 == 39) {
          ScalarPool2d.maxForward(outR, amR, in, s);
          assertArrayEquals(amR, am, "argmax, round " + round + ", " + s);
          assertArrayEquals(bits(outR), bits(out), "max, round " + round + ", " + s);
          assertArrayEquals(bits(outR), bits(outI), "inference max, round " + round + ", " + s);
        }
      }
    }
  }

  @Test
  void twoByTwoSemanticsOnHandPickedWindows() {
    // windows (a b / c d), each repeated across a 2 x 96 plane so both the vector steps and the tail see them
    float nan1 = Float.intBitsToFloat(0x7fc00001);
    float nan2 = Float.intBitsToFloat(0x7fc00002);
    float[][] windows = {
        {-0f, 0f, 0f, 0f},      // ties of zeros keep the first: -0.0 at a
        {0f, -0f, -0f, 0f},     // +0.0 at a
        {1f, 3f, 3f, 3f},       // first 3 at b
        {1f, nan1, 5f, nan2},   // a NaN wins; of two NaNs the later one (as ScalarPool2d and PyTorch): d
        {nan1, 7f, 8f, 9f},     // NaN at a stays
        {-5f, -4f, -3f, -3f}};  // first -3 at c
    int[] expectedCorner = {0, 0, 1, 3, 0, 2};
    PoolShape s = PoolShape.square(1, 1, 2, 96, 2, 2);
    float[] in = new float[s.inSize()];
    for (int oq = 0; oq < s.q(); oq++) {
      float[] win = windows[oq % windows.length];
      in[2 * oq] = win[0];
      in[2 * oq + 1] = win[1];
      in[96 + 2 * oq] = win[2];
      in[96 + 2 * oq + 1] = win[3];
    }
    float[] out = new float[s.outSize()];
    float[] outI = new float[s.outSize()];
    int[] argmax = new int[s.outSize()];
    Pool2d.maxForward(out, argmax, in, s);
    Pool2d.maxForwardInference(outI, in, s);
    for (int oq = 0; oq < s.q(); oq++) {
      int corner = expectedCorner[oq % windows.length];
      int idx = 2 * oq + (corner >= 2 ? 96 : 0) + (corner & 1);
      float want = windows[oq % windows.length][corner];
      assertTrue(argmax[oq] == idx, "window " + oq + ": argmax " + argmax[oq] + ", expected " + idx);
      assertTrue(Float.floatToIntBits(out[oq]) == Float.floatToIntBits(want),
          "window " + oq + ": max " + out[oq] + ", expected " + want);
      assertTrue(Float.floatToIntBits(outI[oq]) == Float.floatToIntBits(want),
          "window " + oq + ": inference max " + outI[oq] + ", expected " + want);
    }
  }

  @Test
  void inferenceRejectsOtherWindows() {
    PoolShape s = PoolShape.square(1, 1, 6, 6, 3, 3);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Pool2d.maxForwardInference(new float[4], new float[36], s));
    assertTrue(e.getMessage().startsWith("Pool2d.maxForwardInference: needs a 2x2 window with stride 2"),
        e.getMessage());
    PoolShape t = PoolShape.square(1, 2, 4, 4, 2, 2);
    e = assertThrows(IllegalArgumentException.class, () -> Pool2d.maxForwardInference(new float[7], new float[32], t));
    assertTrue(e.getMessage().startsWith("Pool2d.maxForwardInference: out has 7 entries, expected at least 8"),
        e.getMessage());
  }

  private static int[] bits(float[] x) {
    int[] b = new int[x.length];
    for (int i = 0; i < x.length; i++) {
      b[i] = Float.floatToIntBits(x[i]);   // tells -0.0 from 0.0; all NaNs alike (the payload is not kept)
    }
    return b;
  }

  @Test
  void rejectsBadArgumentsNamingThem() {
    PoolShape s = PoolShape.square(1, 2, 4, 4, 2, 2);
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> Pool2d.maxForward(new float[8], new int[7], new float[32], s));
    assertTrue(e.getMessage().startsWith("Pool2d.maxForward: argmax has 7 entries, expected at least 8"), e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> Pool2d.maxBackward(new float[32], new float[8], new int[] {0, 1, 2, 3, 4, 5, 6, 32}, s));
    assertTrue(e.getMessage().startsWith("Pool2d.maxBackward: argmax[7] = 32 is outside the input of 32 floats"),
        e.getMessage());
  }
}
