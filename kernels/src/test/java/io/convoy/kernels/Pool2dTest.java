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
