package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class ConvShapeTest {

  @Test
  void courseOutputSizes() {
    ConvShape s1 = ConvShape.square(1, 1, 7, 7, 1, 3, 1, 0);
    assertEquals(5, s1.p());
    assertEquals(5, s1.q());
    ConvShape s2 = ConvShape.square(1, 1, 7, 7, 1, 3, 2, 0);
    assertEquals(3, s2.p());
    assertEquals(3, s2.q());
    ConvShape six = ConvShape.square(1, 1, 6, 6, 1, 3, 1, 0);
    assertEquals(4, six.p());
  }

  @Test
  void strideThreeOnSevenIsRejectedWithTheArithmetic() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> ConvShape.square(1, 1, 7, 7, 1, 3, 3, 0));
    assertEquals("conv window does not fit: (7 + 2*0 - 3) / 3 + 1 = 2.33 is not an integer"
        + " (height 7, kernel 3, stride 3, padding 0)", e.getMessage());
  }

  @Test
  void widthIsCheckedOnItsOwn() {
    // height fits (7-3)/2+1 = 3, width does not: (8 + 2 - 3)/2 + 1 = 4.5
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> new ConvShape(1, 1, 7, 8, 1, 3, 3, 2, 2, 0, 1));
    assertTrue(e.getMessage().startsWith("conv window does not fit: (8 + 2*1 - 3) / 2 + 1 = 4.50"), e.getMessage());
    assertTrue(e.getMessage().contains("(width 8, kernel 3, stride 2, padding 1)"), e.getMessage());
  }

  @Test
  void samePaddingKeepsTheSizeAndCountsParameters() {
    // 32x32x3 input, ten 5x5 filters, stride 1, pad 2 -> 32x32x10; 10*(5*5*3) + 10 = 760 parameters
    ConvShape s = ConvShape.square(1, 3, 32, 32, 10, 5, 1, 2);
    assertEquals(32, s.p());
    assertEquals(32, s.q());
    assertEquals(32 * 32 * 10, s.outSize());
    assertEquals(750, s.weightSize());
    assertEquals(760, s.paramCount());
  }

  @Test
  void rejectsBadValuesNamingThem() {
    assertMessage("output channels k must be > 0, got 0", () -> ConvShape.square(1, 1, 5, 5, 0, 3, 1, 0));
    assertMessage("strideW must be > 0, got -1", () -> new ConvShape(1, 1, 5, 5, 1, 3, 3, 1, -1, 0, 0));
    assertMessage("conv padding must be >= 0, got padH=-1 padW=0", () -> new ConvShape(1, 1, 5, 5, 1, 3, 3, 1, 1, -1, 0));
    assertMessage("conv kernel height 6 is larger than the padded input height 3 + 2*1 = 5",
        () -> new ConvShape(1, 1, 3, 9, 1, 6, 3, 1, 1, 1, 1));
    assertMessage("conv kernel width 4 is larger than the padded input width 3 + 2*0 = 3",
        () -> new ConvShape(1, 1, 5, 3, 1, 3, 4, 1, 1, 0, 0));
  }

  @Test
  void nonSquareShapes() {
    ConvShape s = new ConvShape(2, 3, 5, 7, 4, 2, 3, 1, 2, 0, 1);
    assertEquals(4, s.p());
    assertEquals(4, s.q()); // (7 + 2 - 3) / 2 + 1
    assertEquals(3 * 2 * 3 * 4 * 4, Conv2d.workspaceSize(s));
    assertEquals(0, Conv2d.workspaceSize(ConvShape.square(2, 3, 5, 5, 4, 1, 1, 0)));
  }

  @Test
  void poolShapes() {
    PoolShape p = PoolShape.square(1, 1, 4, 4, 2, 2);
    assertEquals(2, p.p());
    PoolShape overlap = PoolShape.square(1, 1, 7, 9, 3, 2);
    assertEquals(3, overlap.p());
    assertEquals(4, overlap.q());
    assertMessage("pool window does not fit: (7 - 2) / 2 + 1 = 3.50 is not an integer (height 7, kernel 2, stride 2)",
        () -> PoolShape.square(1, 1, 7, 8, 2, 2));
    assertMessage("pool kernel width 5 is larger than the input width 4",
        () -> new PoolShape(1, 1, 6, 4, 2, 5, 2, 1));
    assertMessage("stride sh must be > 0, got 0", () -> new PoolShape(1, 1, 4, 4, 2, 2, 0, 2));
  }

  private static void assertMessage(String expected, org.junit.jupiter.api.function.Executable call) {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, call);
    assertEquals(expected, e.getMessage());
  }
}
