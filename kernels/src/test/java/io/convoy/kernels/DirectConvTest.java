package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The direct path of {@link Conv2d} ({@link DirectConv}: stride 1, few weights) against
 * {@link ScalarConv2d} (direct loops summed in double) at awkward sizes, and its backward passes
 * against finite differences.
 *
 * <p>Tolerance: the direct path sums the same products as the scalar twin, in float, so each
 * element is checked against the sum of the absolute values of its terms:
 * {@code |direct - exact| <= 1e-5 * (sum |terms| + 1e-3)} (about 80 float ulps of the term sum,
 * for sums of up to a few thousand terms per lane; a wrong index gives errors of order 1).
 */
class DirectConvTest {
  static final double TOL = 1e-5;

  /** Stride-1 shapes (n, c, h, w, k, r, s, strideH, strideW, padH, padW) that take the direct path. */
  static final List<ConvShape> SHAPES = List.of(
      new ConvShape(1, 1, 28, 28, 6, 5, 5, 1, 1, 2, 2),     // LeNet-5 conv1, batch 1
      new ConvShape(3, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0),    // LeNet-5 conv2, K not a multiple of 3
      new ConvShape(2, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1),    // the reference CNN's conv1
      new ConvShape(1, 1, 2, 2, 3, 2, 2, 1, 1, 1, 1),       // 2x2 image, 2x2 kernel, pad 1
      new ConvShape(2, 3, 5, 7, 4, 3, 3, 1, 1, 2, 1),       // padding 2 / 1, output narrower than a block
      new ConvShape(1, 2, 3, 3, 5, 3, 3, 1, 1, 0, 0),       // 1x1 output
      new ConvShape(2, 5, 9, 71, 7, 2, 4, 1, 1, 1, 3),      // even kernel, wide rows (several blocks a row)
      new ConvShape(1, 7, 33, 17, 2, 5, 1, 1, 1, 2, 0),     // 5x1 kernel, tall image
      new ConvShape(1, 16, 6, 6, 1, 3, 3, 1, 1, 1, 1),      // one output channel, C >= 8 (no Winograd: K < 8)
      new ConvShape(1, 1, 4, 5, 9, 1, 3, 1, 1, 0, 1),       // 1x3 kernel
      new ConvShape(2, 2, 8, 12, 5, 3, 3, 1, 1, 1, 1),      // blocks of 3 channels, last block of j overlapping
      new ConvShape(1, 2, 8, 8, 8, 3, 3, 1, 1, 1, 1));      // blocks of 4 channels, two single vectors of j

  @Test
  void dispatch() {
    assumeTrue(Backend.VECTOR, "the direct path runs on the Vector API only");
    for (ConvShape s : SHAPES) {
      assertTrue(Conv2d.usesDirect(s), s.toString());
    }
    assertFalse(Conv2d.usesDirect(ConvShape.square(1, 32, 14, 14, 64, 3, 1, 1)), "Winograd shape");
    assertFalse(Conv2d.usesDirect(ConvShape.square(1, 1, 27, 27, 6, 5, 2, 2)), "stride 2 stays on im2col");
    assertFalse(Conv2d.usesDirect(ConvShape.square(1, 4, 8, 8, 4, 1, 1, 0)), "pointwise stays on GEMM");
    assertFalse(Conv2d.usesDirect(ConvShape.square(1, 2, 8, 8, 2, 3, 1, 3)), "pad >= kernel stays on im2col");
    assertFalse(Conv2d.usesDirect(ConvShape.square(1, 32, 14, 14, 64, 5, 1, 2)), "many weights stay on im2col");
  }

  @Test
  void matchesScalarTwin() {
    assumeTrue(Backend.VECTOR, "the direct path runs on the Vector API only");
    Random rnd = new Random(17);
    double[] worst = new double[3];
    for (ConvShape s : SHAPES) {
      ConvChecks.againstScalar(s, rnd, 3, 2, TOL, worst);
    }
    System.out.printf("Direct conv vs ScalarConv2d, largest |difference| / (sum |terms| + 1e-3): forward %.3g,"
        + " backwardData %.3g, backwardWeights %.3g (bound %.1g)%n", worst[0], worst[1], worst[2], TOL);
  }

  @Test
  void backwardMatchesFiniteDifferences() {
    assumeTrue(Backend.VECTOR, "the direct path runs on the Vector API only");
    Random rnd = new Random(23);
    double eps = 0.05;
    double worst = 0;
    for (ConvShape s : List.of(
        new ConvShape(2, 2, 6, 7, 4, 5, 5, 1, 1, 2, 2),
        new ConvShape(1, 3, 5, 6, 5, 3, 2, 1, 1, 0, 1))) {
      assertTrue(Conv2d.usesDirect(s), s.toString());
      worst = Math.max(worst, ConvChecks.finiteDifferences(s, rnd, eps));
    }
    System.out.printf("Direct conv backward vs finite differences: largest difference %.3g%n", worst);
  }

}
