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

  /**
   * Shapes for the specialised kernels, at awkward sizes (odd batches, one input channel, channel
   * counts that leave a partial register block, overlapping last blocks, padding): with 16 lanes the
   * first four run {@link ChannelVectorConv} (forward, backward-weights), the next five
   * {@link DirectConvRows} (backward-data), the last three {@link ShiftedPlaneConv} (forward).
   */
  static final List<ConvShape> CHANNEL_VECTOR = List.of(
      new ConvShape(1, 1, 6, 14, 16, 5, 5, 1, 1, 0, 0),     // one 2x10 block, C = 1 (2 unused channel slots)
      new ConvShape(3, 4, 11, 13, 32, 3, 5, 1, 1, 1, 2),    // odd P and Q: last blocks overlap; 2 lane slices
      new ConvShape(2, 7, 7, 15, 16, 2, 5, 1, 1, 1, 0),     // C = 7: channel groups 3, 3, 1
      new ConvShape(1, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0));   // LeNet-5 conv2, batch 1
  static final List<ConvShape> ROWS = List.of(
      new ConvShape(3, 7, 9, 13, 5, 3, 5, 1, 1, 2, 2),      // odd batch, C = 7, padding: lanes past the row masked
      new ConvShape(1, 1, 16, 16, 3, 5, 3, 1, 1, 0, 1),     // row exactly one vector, C = 1
      new ConvShape(3, 2, 5, 1, 4, 2, 1, 1, 1, 1, 0),       // one-pixel-wide image
      new ConvShape(2, 13, 4, 11, 2, 4, 4, 1, 1, 3, 0),     // 4x4 kernel, pad 3: rows see 1 to 4 kernel rows
      new ConvShape(3, 6, 14, 14, 17, 5, 5, 1, 1, 0, 0));   // LeNet-5 conv2 with K = 17: not channel-vector
  static final List<ConvShape> SHIFTED = List.of(
      new ConvShape(3, 1, 10, 12, 5, 3, 3, 1, 1, 0, 1),     // 96 outputs (6 vectors), odd K
      new ConvShape(1, 2, 11, 9, 3, 2, 2, 1, 1, 1, 1),      // 120 outputs: two blocks of 7 vectors
      new ConvShape(2, 3, 13, 17, 2, 1, 3, 1, 1, 0, 1));    // rows wider than a vector

  @Test
  void specialisedKernelsMatchScalarTwin() {
    assumeTrue(Backend.VECTOR, "the direct path runs on the Vector API only");
    Random rnd = new Random(29);
    double[] worst = new double[3];
    for (List<ConvShape> shapes : List.of(CHANNEL_VECTOR, ROWS, SHIFTED)) {
      for (ConvShape s : shapes) {
        assertTrue(Conv2d.usesDirect(s), s.toString());
        ConvChecks.againstScalar(s, rnd, 5, 3, TOL, worst);
      }
    }
    System.out.printf("Specialised direct kernels vs ScalarConv2d, largest |difference| / (sum |terms| + 1e-3):"
        + " forward %.3g, backwardData %.3g, backwardWeights %.3g (bound %.1g)%n", worst[0], worst[1], worst[2], TOL);
  }

  @Test
  void specialisedDispatch() {
    assumeTrue(Backend.VECTOR, "the direct path runs on the Vector API only");
    assumeTrue(VectorInfo.SPECIES.length() == 16, "the shapes are chosen for 16 lanes");
    for (ConvShape s : CHANNEL_VECTOR) {
      assertTrue(ChannelVectorConv.applies(s), s.toString());
    }
    for (ConvShape s : ROWS) {
      assertTrue(DirectConvRows.applies(s), s.toString());
      assertFalse(ChannelVectorConv.applies(s), s.toString());
    }
    for (ConvShape s : SHIFTED) {
      assertTrue(ShiftedPlaneConv.applies(s), s.toString());
      assertFalse(ChannelVectorConv.applies(s), s.toString());
    }
    // the layers the benchmarks time
    assertTrue(ChannelVectorConv.applies(ConvShape.square(128, 6, 14, 14, 16, 5, 1, 0)), "LeNet-5 conv2");
    assertTrue(DirectConvRows.applies(ConvShape.square(128, 6, 14, 14, 16, 5, 1, 0)), "LeNet-5 conv2");
    assertTrue(ShiftedPlaneConv.applies(ConvShape.square(128, 1, 28, 28, 32, 3, 1, 1)), "reference conv1");
    assertTrue(DirectConv.fusesBias(ConvShape.square(128, 1, 28, 28, 32, 3, 1, 1)), "reference conv1 weights");
    assertFalse(DirectConv.fusesBias(ConvShape.square(128, 6, 14, 14, 16, 5, 1, 0)), "LeNet-5 conv2 weights");
    ConvShape lenet1 = ConvShape.square(128, 1, 28, 28, 6, 5, 1, 2);
    assertFalse(ChannelVectorConv.applies(lenet1) || ShiftedPlaneConv.applies(lenet1) || DirectConvRows.applies(lenet1),
        "LeNet-5 conv1 stays on the general kernels");
    assertFalse(ShiftedPlaneConv.applies(new ConvShape(1, 1, 8, 8, 4, 3, 3, 1, 1, 1, 1)), "64 outputs: too few");
  }

  @Test
  void specialisedBackwardMatchesFiniteDifferences() {
    assumeTrue(Backend.VECTOR, "the direct path runs on the Vector API only");
    Random rnd = new Random(31);
    double worst = 0;
    for (ConvShape s : List.of(
        new ConvShape(3, 2, 6, 13, 16, 2, 5, 1, 1, 0, 1),   // channel-vector passes, rows data, odd batch
        new ConvShape(1, 1, 10, 12, 3, 3, 3, 1, 1, 0, 1))) { // shifted-plane forward
      assertTrue(Conv2d.usesDirect(s), s.toString());
      worst = Math.max(worst, ConvChecks.finiteDifferences(s, rnd, 0.05));
    }
    System.out.printf("Specialised direct kernels backward vs finite differences: largest difference %.3g%n", worst);
  }

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
