package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The Winograd F(4x4, 3x3) path of {@link Conv2d} against {@link ScalarConv2d} (direct loops summed
 * in double) at awkward sizes, and its backward passes against finite differences.
 *
 * <p>Tolerance. Winograd does not sum the same products as the direct loops: its transforms scale
 * intermediate values up (B by up to 5, A by up to 8, G divides by 24) and round each of them to
 * float, so its error is proportional to the size of the terms, not of the result (which can cancel
 * to near zero). Each element is therefore checked against the sum of the absolute values of its
 * terms, computed by the scalar twin on |input| and |weight|:
 * {@code |winograd - exact| <= 2e-5 * (sum |terms| + 1e-3)}. That is about 170 float ulps of the
 * term sum: loose enough for the transforms' growth (the largest seen is printed and is several
 * times below it), tight enough to catch any wrong index, which gives errors of order 1.
 */
class WinogradConvTest {
  static final double TOL = 2e-5;

  /** 3x3, stride 1 shapes (n, c, h, w, k, r, s, strideH, strideW, padH, padW) that take the Winograd path. */
  static final List<ConvShape> SHAPES = List.of(
      new ConvShape(1, 8, 1, 1, 8, 3, 3, 1, 1, 1, 1),       // 1x1 image, one partial tile
      new ConvShape(1, 17, 6, 5, 9, 3, 3, 1, 1, 1, 1),      // odd channels, K below a vector
      new ConvShape(2, 33, 7, 9, 19, 3, 3, 1, 1, 0, 0),     // no padding, 5x7 output, C = 33
      new ConvShape(1, 8, 5, 5, 40, 3, 3, 1, 1, 2, 2),      // padding 2 (backward-data pads 0)
      new ConvShape(3, 12, 4, 6, 8, 3, 3, 1, 1, 2, 0),      // mixed paddings
      new ConvShape(3, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1),   // the reference CNN's conv2, 2 blocks of images
      new ConvShape(5, 32, 14, 14, 64, 3, 3, 1, 1, 1, 1),   // backward-weights: blocks of 3 + 2 images
      new ConvShape(2, 32, 28, 28, 32, 3, 3, 1, 1, 1, 1),   // one image per block
      new ConvShape(1, 16, 8, 8, 16, 3, 3, 1, 1, 1, 1));    // exact tiles, channels one vector

  @Test
  void dispatch() {
    assumeTrue(Backend.VECTOR, "Winograd runs on the Vector API only");
    for (ConvShape s : SHAPES) {
      assertTrue(Conv2d.usesWinograd(s), s.toString());
    }
    assertFalse(Conv2d.usesWinograd(ConvShape.square(1, 1, 28, 28, 32, 3, 1, 1)), "C = 1 stays on im2col");
    assertFalse(Conv2d.usesWinograd(ConvShape.square(1, 16, 9, 9, 16, 3, 2, 1)), "stride 2 stays on im2col");
    assertFalse(Conv2d.usesWinograd(ConvShape.square(1, 16, 9, 9, 16, 5, 1, 2)), "5x5 stays on im2col");
    assertFalse(Conv2d.usesWinograd(ConvShape.square(1, 16, 9, 9, 16, 3, 1, 3)), "pad 3 stays on im2col");
  }

  @Test
  void matchesScalarTwin() {
    assumeTrue(Backend.VECTOR, "Winograd runs on the Vector API only");
    Random rnd = new Random(11);
    double[] worst = new double[3];
    for (ConvShape s : SHAPES) {
      ConvChecks.againstScalar(s, rnd, 5, 3, TOL, worst);
    }
    System.out.printf("Winograd vs ScalarConv2d, largest |difference| / (sum |terms| + 1e-3): forward %.3g,"
        + " backwardData %.3g, backwardWeights %.3g (bound %.1g)%n", worst[0], worst[1], worst[2], TOL);
  }

  @Test
  void backwardMatchesFiniteDifferences() {
    assumeTrue(Backend.VECTOR, "Winograd runs on the Vector API only");
    Random rnd = new Random(5);
    double eps = 0.05;
    double worst = 0;
    for (ConvShape s : List.of(
        new ConvShape(2, 8, 5, 6, 9, 3, 3, 1, 1, 1, 1),
        new ConvShape(1, 9, 6, 5, 8, 3, 3, 1, 1, 0, 2))) {
      assertTrue(Conv2d.usesWinograd(s), s.toString());
      worst = Math.max(worst, ConvChecks.finiteDifferences(s, rnd, eps));
    }
    System.out.printf("Winograd conv backward vs finite differences: largest difference %.3g%n", worst);
  }
}
