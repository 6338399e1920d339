package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks the conv and pooling kernels against the PyTorch-made cases in {@link RefJson#referenceDir()}
 * (and its {@code -extra} sibling when there is one): forward and every gradient, with
 * {@code |convoy - ref| <= 1e-4 + 1e-4 * |ref|}.
 *
 * <p>PyTorch floors the output size; Convoy rejects windows that do not tile the (padded) input
 * exactly. For such a case the test asserts that the shape is rejected, then runs the kernels on
 * the part of the input PyTorch actually reads: along a dimension that does not fit, the padding
 * is written out explicitly as zeros and the unread tail is cut off, so the conv runs with
 * padding 0 there; PyTorch's gradient for the unread tail must be zero.
 */
class ConvPoolReferenceTest {

  static Stream<Arguments> cases(String op) throws IOException {
    List<Arguments> all = new ArrayList<>();
    Path dev = RefJson.requireReferenceDir();
    for (Path dir : List.of(dev, RefJson.referenceExtraDir())) {
      Path file = dir.resolve(op + ".json");
      if (!Files.exists(file)) {
        assertTrue(dir != dev, "reference file " + file + " is missing");
        continue;
      }
      for (Map<String, Object> c : RefJson.cases(RefJson.load(file))) {
        all.add(Arguments.of(dir.getFileName() + "/" + RefJson.name(c), c));
      }
    }
    assertTrue(!all.isEmpty(), "no " + op + " cases under " + dev);
    return all.stream();
  }

  static Stream<Arguments> conv2dCases() throws IOException {
    return cases("conv2d");
  }

  static Stream<Arguments> maxpool2dCases() throws IOException {
    return cases("maxpool2d");
  }

  static Stream<Arguments> avgpool2dCases() throws IOException {
    return cases("avgpool2d");
  }

  /** How one spatial dimension of a case maps onto a shape Convoy accepts. */
  private record Dim(int size, int pad, int shift) {
    // size/pad: what the kernel sees; shift: kernel index = original index + shift

    static Dim of(int size, int kernel, int stride, int pad) {
      long span = size + 2L * pad - kernel;
      if (span % stride == 0) {
        return new Dim(size, pad, 0);
      }
      int out = (int) (span / stride) + 1; // PyTorch's floor
      return new Dim((out - 1) * stride + kernel, 0, pad);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("conv2dCases")
  void conv2d(String name, Map<String, Object> c) {
    int[] is = RefJson.shape(c, "input");
    int[] ws = RefJson.shape(c, "weight");
    int[] stride = RefJson.intsParam(c, "stride");
    int[] pad = RefJson.intsParam(c, "padding");
    int n = is[0], ch = is[1], h = is[2], w = is[3], k = ws[0], r = ws[2], s = ws[3];
    Dim dh = Dim.of(h, r, stride[0], pad[0]);
    Dim dw = Dim.of(w, s, stride[1], pad[1]);
    if (dh.shift != 0 || dh.size != h || dw.shift != 0 || dw.size != w) {
      assertThrows(IllegalArgumentException.class,
          () -> new ConvShape(n, ch, h, w, k, r, s, stride[0], stride[1], pad[0], pad[1]),
          name + ": PyTorch floors this shape, Convoy must reject it");
    }
    ConvShape shape = new ConvShape(n, ch, dh.size, dw.size, k, r, s, stride[0], stride[1], dh.pad, dw.pad);
    assertArrayEquals(RefJson.shape(c, "output"), new int[] {n, k, shape.p(), shape.q()}, name + ": output shape");

    float[] in = reframe(RefJson.tensor(c, "input"), n * ch, h, w, dh, dw);
    float[] weight = RefJson.tensor(c, "weight");
    float[] bias = RefJson.tensor(c, "bias");
    float[] gOut = RefJson.tensor(c, "grad_output");
    // parameters at offsets in one flat vector, as the layers hold them
    float[] params = new float[2 + weight.length + bias.length];
    System.arraycopy(weight, 0, params, 2, weight.length);
    System.arraycopy(bias, 0, params, 2 + weight.length, bias.length);
    int bOff = 2 + weight.length;

    double worst = 0;
    double[] share = new double[2];
    for (boolean fast : new boolean[] {true, false}) {
      String who = name + (fast ? " Conv2d" : " ScalarConv2d");
      worstShare = 0;
      float[] wsp = new float[Conv2d.workspaceSize(shape)];
      float[] out = new float[shape.outSize()];
      float[] dIn = new float[shape.inSize()];
      float[] dParams = new float[params.length];
      if (fast) {
        Conv2d.forward(out, in, params, 2, params, bOff, shape, wsp);
        Conv2d.backwardData(dIn, gOut, params, 2, shape, wsp);
        Conv2d.backwardWeights(dParams, 2, dParams, bOff, gOut, in, shape, wsp);
      } else {
        ScalarConv2d.forward(out, in, params, 2, params, bOff, shape, null);
        ScalarConv2d.backwardData(dIn, gOut, params, 2, shape, null);
        ScalarConv2d.backwardWeights(dParams, 2, dParams, bOff, gOut, in, shape, null);
      }
      worst = Math.max(worst, compare(RefJson.tensor(c, "output"), out, who + " output"));
      worst = Math.max(worst, compare(RefJson.tensor(c, "grad_input"), unframe(dIn, n * ch, h, w, dh, dw),
          who + " grad_input"));
      worst = Math.max(worst, compare(RefJson.tensor(c, "grad_weight"), slice(dParams, 2, weight.length),
          who + " grad_weight"));
      worst = Math.max(worst, compare(RefJson.tensor(c, "grad_bias"), slice(dParams, bOff, bias.length),
          who + " grad_bias"));
      share[fast ? 0 : 1] = worstShare;
    }
    String path = Conv2d.usesWinograd(shape) ? " Winograd" : Conv2d.usesDirect(shape) ? " direct" : "";
    System.out.printf("reference conv2d %s: largest difference %.3g (Conv2d%s %.0f%%, ScalarConv2d %.0f%% of the"
        + " tolerance)%n", name, worst, path, 100 * share[0], 100 * share[1]);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("maxpool2dCases")
  void maxpool2d(String name, Map<String, Object> c) {
    pool(name, c, true);
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("avgpool2dCases")
  void avgpool2d(String name, Map<String, Object> c) {
    pool(name, c, false);
  }

  private void pool(String name, Map<String, Object> c, boolean max) {
    int[] is = RefJson.shape(c, "input");
    int[] kernel = RefJson.intsParam(c, "kernel");
    int[] stride = RefJson.intsParam(c, "stride");
    int n = is[0], ch = is[1], h = is[2], w = is[3];
    Dim dh = Dim.of(h, kernel[0], stride[0], 0);
    Dim dw = Dim.of(w, kernel[1], stride[1], 0);
    if (dh.size != h || dw.size != w) {
      assertThrows(IllegalArgumentException.class,
          () -> new PoolShape(n, ch, h, w, kernel[0], kernel[1], stride[0], stride[1]),
          name + ": PyTorch floors this shape, Convoy must reject it");
    }
    PoolShape shape = new PoolShape(n, ch, dh.size, dw.size, kernel[0], kernel[1], stride[0], stride[1]);
    assertArrayEquals(RefJson.shape(c, "output"), new int[] {n, ch, shape.p(), shape.q()}, name + ": output shape");
    float[] in = reframe(RefJson.tensor(c, "input"), n * ch, h, w, dh, dw);
    float[] gOut = RefJson.tensor(c, "grad_output");
    double worst = 0;
    for (boolean fast : new boolean[] {true, false}) {
      String who = name + (fast ? " Pool2d" : " ScalarPool2d");
      float[] out = new float[shape.outSize()];
      float[] dIn = new float[shape.inSize()];
      if (max) {
        int[] argmax = new int[shape.outSize()];
        if (fast) {
          Pool2d.maxForward(out, argmax, in, shape);
          Pool2d.maxBackward(dIn, gOut, argmax, shape);
        } else {
          ScalarPool2d.maxForward(out, argmax, in, shape);
          ScalarPool2d.maxBackward(dIn, gOut, argmax, shape);
        }
      } else if (fast) {
        Pool2d.avgForward(out, in, shape);
        Pool2d.avgBackward(dIn, gOut, shape);
      } else {
        ScalarPool2d.avgForward(out, in, shape);
        ScalarPool2d.avgBackward(dIn, gOut, shape);
      }
      worst = Math.max(worst, compare(RefJson.tensor(c, "output"), out, who + " output"));
      worst = Math.max(worst, compare(RefJson.tensor(c, "grad_input"), unframe(dIn, n * ch, h, w, dh, dw),
          who + " grad_input"));
    }
    System.out.printf("reference %s %s: largest difference %.3g%n", max ? "maxpool2d" : "avgpool2d", name, worst);
  }

  /** Copies planes (h x w) into the kernel's frame (dh.size x dw.size): shifted, zero where outside. */
  private static float[] reframe(float[] x, int planes, int h, int w, Dim dh, Dim dw) {
    float[] y = new float[planes * dh.size * dw.size];
    for (int pl = 0; pl < planes; pl++) {
      for (int i = 0; i < dh.size; i++) {
        for (int j = 0; j < dw.size; j++) {
          int oi = i - dh.shift;
          int oj = j - dw.shift;
          if (oi >= 0 && oi < h && oj >= 0 && oj < w) {
            y[(pl * dh.size + i) * dw.size + j] = x[(pl * h + oi) * w + oj];
          }
        }
      }
    }
    return y;
  }

  /** The inverse of {@link #reframe} for gradients: original elements outside the frame get 0. */
  private static float[] unframe(float[] y, int planes, int h, int w, Dim dh, Dim dw) {
    float[] x = new float[planes * h * w];
    for (int pl = 0; pl < planes; pl++) {
      for (int oi = 0; oi < h; oi++) {
        for (int oj = 0; oj < w; oj++) {
          int i = oi + dh.shift;
          int j = oj + dw.shift;
          if (i < dh.size && j < dw.size) {
            x[(pl * h + oi) * w + oj] = y[(pl * dh.size + i) * dw.size + j];
          }
        }
      }
    }
    return x;
  }

  private static float[] slice(float[] x, int off, int len) {
    float[] y = new float[len];
    System.arraycopy(x, off, y, 0, len);
    return y;
  }

  /** Largest difference / tolerance seen since the last reset (printed per conv case). */
  private static double worstShare;

  /** Asserts the reference tolerance element-wise; returns the largest difference. */
  static double compare(float[] ref, float[] actual, String where) {
    assertEquals(ref.length, actual.length, where + ": element count");
    double worst = 0;
    for (int i = 0; i < ref.length; i++) {
      double diff = Math.abs((double) actual[i] - ref[i]);
      worstShare = Math.max(worstShare, diff / (1e-4 + 1e-4 * Math.abs(ref[i])));
      if (!(diff <= 1e-4 + 1e-4 * Math.abs(ref[i]))) {
        throw new AssertionError(where + ": element " + i + " is " + actual[i] + ", PyTorch gives " + ref[i]
            + " (difference " + diff + ")");
      }
      worst = Math.max(worst, diff);
    }
    return worst;
  }

}
