package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The direct path of {@link Conv2d} ({@link DirectConv}: stride 1, few weights) against
 * {@link ScalarConv2d} (direct loops summed in double) at awkward sizes, and its backward passes
 * against finite differences.
 *
 * <p>Lanes: the specialised kernels and the dispatch between them follow the lane count, so
 * {@link #specialisedDispatch} checks the expected kernels of each shape at this JVM's lane count and
 * {@link LaneShapesTest} runs the whole class again in a child JVM at the vector shape (8 or 16 lanes) the
 * build's JVM lacks.
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

  // The kernels a pass can take: forward channel-vector / shifted-plane / direct, backward-data
  // rows / direct, backward-weights channel-vector / shifted-plane (ShiftedPlaneGrad) / direct.
  private static final String CV = "channel-vector";
  private static final String SP = "shifted-plane";
  private static final String RW = "rows";
  private static final String D = "direct";

  /**
   * A shape and the kernels its three passes take (forward/backward-data/backward-weights, see
   * {@link #route}) at 4, 8 and 16 float lanes: the lane count decides ChannelVectorConv (K a multiple of
   * it), DirectConvRows (an input row fits one vector) and ShiftedPlaneConv (at least 6 vectors of
   * outputs), so each JVM checks the column of its own lane count, and LaneShapesTest runs this class at
   * the shapes the build's JVM lacks.
   */
  record Route(String what, ConvShape shape, String at4, String at8, String at16) {
    String at(int lanes) {
      switch (lanes) {
        case 4: return at4;
        case 8: return at8;
        case 16: return at16;
        default: throw new AssertionError("no expected route for " + lanes + " lanes: add a column to "
            + "DirectConvTest.Route");
      }
    }
  }

  private static String r(String fwd, String data, String weights) {
    return fwd + "/" + data + "/" + weights;
  }

  /**
   * Awkward shapes for the specialised kernels (odd batches, one input channel, channel counts that leave
   * a partial register block, overlapping last blocks, padding), each reaching a specialised kernel at
   * 8 or 16 lanes or both.
   */
  static final List<Route> SPECIALISED = List.of(
      new Route("one 2x10 block, C = 1 (2 unused channel slots)", new ConvShape(1, 1, 6, 14, 16, 5, 5, 1, 1, 0, 0),
          r(D, D, D), r(CV, D, CV), r(CV, RW, CV)),
      new Route("odd P and Q: last blocks overlap; 2 lane slices", new ConvShape(3, 4, 11, 13, 32, 3, 5, 1, 1, 1, 2),
          r(D, D, D), r(CV, D, CV), r(CV, RW, CV)),
      new Route("C = 7: channel groups 3, 3, 1", new ConvShape(2, 7, 7, 15, 16, 2, 5, 1, 1, 1, 0),
          r(D, D, D), r(CV, D, CV), r(CV, RW, CV)),
      new Route("LeNet-5 conv2, batch 1", new ConvShape(1, 6, 14, 14, 16, 5, 5, 1, 1, 0, 0),
          r(D, D, D), r(CV, D, CV), r(CV, RW, CV)),
      new Route("rows of 7, odd batch, C = 7, padding: lanes past the row masked",
          new ConvShape(3, 7, 9, 7, 5, 3, 5, 1, 1, 2, 2), r(D, D, D), r(D, RW, D), r(D, RW, D)),
      new Route("row exactly one 8-lane vector, C = 1", new ConvShape(1, 1, 8, 8, 3, 5, 3, 1, 1, 0, 1),
          r(D, D, D), r(D, RW, D), r(D, RW, D)),
      new Route("one-pixel-wide image", new ConvShape(3, 2, 5, 1, 4, 2, 1, 1, 1, 1, 0),
          r(D, RW, SP), r(D, RW, D), r(D, RW, D)),
      new Route("rows of 6, 4x4 kernel, pad 3: rows see 1 to 4 kernel rows", new ConvShape(2, 13, 4, 6, 2, 4, 4, 1, 1, 3, 0),
          r(D, D, D), r(D, RW, D), r(D, RW, D)),
      new Route("rows of 13, odd batch, C = 7, padding", new ConvShape(3, 7, 9, 13, 5, 3, 5, 1, 1, 2, 2),
          r(D, D, D), r(D, D, D), r(D, RW, D)),
      new Route("row exactly one 16-lane vector, C = 1", new ConvShape(1, 1, 16, 16, 3, 5, 3, 1, 1, 0, 1),
          r(D, D, D), r(D, D, D), r(D, RW, D)),
      new Route("rows of 11, 4x4 kernel, pad 3", new ConvShape(2, 13, 4, 11, 2, 4, 4, 1, 1, 3, 0),
          r(D, D, D), r(D, D, D), r(D, RW, D)),
      new Route("LeNet-5 conv2 with K = 17: not channel-vector", new ConvShape(3, 6, 14, 14, 17, 5, 5, 1, 1, 0, 0),
          r(D, D, D), r(D, D, D), r(D, RW, D)),
      new Route("96 outputs (6 vectors of 16), odd K", new ConvShape(3, 1, 10, 12, 5, 3, 3, 1, 1, 0, 1),
          r(SP, D, SP), r(SP, D, SP), r(SP, RW, SP)),
      new Route("120 outputs: two blocks of 7 vectors of 8", new ConvShape(1, 2, 11, 9, 3, 2, 2, 1, 1, 1, 1),
          r(SP, D, SP), r(SP, D, SP), r(SP, RW, SP)),
      new Route("rows wider than a vector", new ConvShape(2, 3, 13, 17, 2, 1, 3, 1, 1, 0, 1),
          r(SP, D, SP), r(SP, D, SP), r(SP, D, SP)),
      new Route("64 outputs: too few for the shifted forward at 16 lanes", new ConvShape(1, 1, 8, 8, 4, 3, 3, 1, 1, 1, 1),
          r(SP, D, SP), r(SP, RW, SP), r(D, RW, SP)),
      new Route("48 outputs (6 vectors of 8)", new ConvShape(1, 1, 6, 8, 4, 3, 3, 1, 1, 1, 1),
          r(SP, D, SP), r(SP, RW, SP), r(D, RW, SP)),
      new Route("40 outputs: too few for the shifted forward at 8 lanes", new ConvShape(1, 1, 5, 8, 4, 3, 3, 1, 1, 1, 1),
          r(SP, D, SP), r(D, RW, SP), r(D, RW, SP)));

  /** The layers the benchmarks time (batch 128: dispatch only, too large for the scalar comparison). */
  static final List<Route> BENCHMARK_LAYERS = List.of(
      new Route("LeNet-5 conv2", ConvShape.square(128, 6, 14, 14, 16, 5, 1, 0), r(D, D, D), r(CV, D, CV), r(CV, RW, CV)),
      new Route("reference conv1", ConvShape.square(128, 1, 28, 28, 32, 3, 1, 1), r(SP, D, SP), r(SP, D, SP), r(SP, D, SP)),
      new Route("LeNet-5 conv1 stays on the general kernels", ConvShape.square(128, 1, 28, 28, 6, 5, 1, 2),
          r(D, D, D), r(D, D, D), r(D, D, D)));

  /** The kernels DirectConv's three passes pick for s, in the order DirectConv asks. */
  static String route(ConvShape s) {
    String fwd = ChannelVectorConv.applies(s) ? CV : ShiftedPlaneConv.applies(s) ? SP : D;
    String data = DirectConvRows.applies(s) ? RW : D;
    String weights = ChannelVectorConv.applies(s) ? CV : ShiftedPlaneGrad.applies(s) ? SP : D;
    return r(fwd, data, weights);
  }

  @Test
  void specialisedKernelsMatchScalarTwin() {
    assumeTrue(Backend.VECTOR, "the direct path runs on the Vector API only");
    Random rnd = new Random(29);
    double[] worst = new double[3];
    for (Route r : SPECIALISED) {
      assertTrue(Conv2d.usesDirect(r.shape()), r.shape().toString());
      ConvChecks.againstScalar(r.shape(), rnd, 5, 3, TOL, worst);
    }
    System.out.printf("Specialised direct kernels vs ScalarConv2d at %d lanes, largest |difference| / (sum |terms|"
        + " + 1e-3): forward %.3g, backwardData %.3g, backwardWeights %.3g (bound %.1g)%n", VectorInfo.SPECIES.length(),
        worst[0], worst[1], worst[2], TOL);
  }

  @Test
  void specialisedDispatch() {
    assumeTrue(Backend.VECTOR, "the direct path runs on the Vector API only");
    int lanes = VectorInfo.SPECIES.length();
    Set<String> kernelsSeen = new TreeSet<>();
    for (List<Route> routes : List.of(SPECIALISED, BENCHMARK_LAYERS)) {
      for (Route r : routes) {
        String where = r.what() + " " + r.shape() + " at " + lanes + " lanes";
        assertTrue(Conv2d.usesDirect(r.shape()), where);
        String expected = r.at(lanes);
        assertEquals(expected, route(r.shape()), where);
        // ShiftedPlaneGrad sums the bias gradient in its own pass; every other weight kernel leaves it to Conv2d
        assertEquals(expected.endsWith("/" + SP), DirectConv.fusesBias(r.shape()), "fusesBias, " + where);
        kernelsSeen.addAll(List.of(expected.split("/")));
      }
    }
    if (lanes >= 8) {
      assertEquals(new TreeSet<>(List.of(CV, SP, RW, D)), kernelsSeen, "every kernel is reached at " + lanes + " lanes");
    }
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
