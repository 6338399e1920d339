package io.convoy.pipeline.model;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/**
 * Finite-difference checks of every layer's backward pass and of each loss. The objective for
 * layers is {@code J = sum(output * r)} with a fixed random {@code r} (the reference convention);
 * losses are checked through {@link Network#forwardBackward}. Central differences in float with
 * eps 1e-3 on a seeded random subset of parameters and inputs; a point passes when
 * {@code |fd - analytic| <= 2e-3 + 1e-2 * |fd|}.
 */
class NetworkGradientTest {
  private static final float EPS = 1e-3f;
  private static final int SAMPLES = 24;

  private static TensorShape img(int c, int h, int w) {
    return new TensorShape(c, h, w);
  }

  /** One model with its whole output as "classes". */
  private static ModelSpec model(TensorShape in, LayerSpec... layers) {
    TensorShape s = in;
    for (LayerSpec l : layers) {
      s = l.outputShape(s);
    }
    return new ModelSpec(in, List.of(layers), LossKind.SOFTMAX_CROSS_ENTROPY, s.size());
  }

  private static float[] random(SplittableRandom rnd, int n, double scale) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
    }
    return a;
  }

  private static double objective(Network net, float[] p, float[] buf, float[] x, float[] r, int batch) {
    float[] out = net.forwardOutput(p, buf, x, batch, true, 42L);
    double j = 0;
    for (int i = 0; i < r.length; i++) {
      j += (double) out[i] * r[i];
    }
    return j;
  }

  /** Checks parameter and input gradients of {@code J = sum(out * r)}. */
  private static void checkLayers(String what, ModelSpec spec, int batch, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Network net = new Network(spec, batch);
    float[] p = new float[net.numParams()];
    float[] buf = new float[net.numBuffers()];
    net.initParams(p, buf, InitKind.XAVIER, seed);
    for (int i = 0; i < p.length; i++) {
      p[i] += (float) ((rnd.nextDouble() * 2 - 1) * 0.2);   // non-zero biases and off-one gammas
    }
    float[] x = random(rnd, batch * spec.input().size(), 1.0);
    float[] r = random(rnd, batch * spec.numClasses(), 1.0);
    float[] g = new float[p.length];
    net.forwardOutput(p, buf, x, batch, true, 42L);
    float[] dx = net.backwardInput(p, g, x, r, batch).clone();
    double worst = 0;
    worst = Math.max(worst, compare(what + " params", p, g, () -> objective(net, p, buf, x, r, batch), rnd));
    worst = Math.max(worst, compare(what + " input", x, dx, () -> objective(net, p, buf, x, r, batch), rnd));
    System.out.printf("%-28s worst |fd - analytic| / tol = %.3f%n", what, worst);
  }

  /** Checks parameter gradients of the model's own loss. */
  private static void checkLoss(String what, ModelSpec spec, int batch, long seed) {
    SplittableRandom rnd = new SplittableRandom(seed);
    Network net = new Network(spec, batch);
    float[] p = new float[net.numParams()];
    float[] buf = new float[net.numBuffers()];
    net.initParams(p, buf, InitKind.XAVIER, seed);
    float[] x = random(rnd, batch * spec.input().size(), 1.0);
    int[] labels = new int[batch];
    for (int i = 0; i < batch; i++) {
      labels[i] = rnd.nextInt(spec.numClasses());
    }
    float[] g = new float[p.length];
    net.forwardBackward(p, g, buf, x, labels, batch, 7L);
    float[] scratch = new float[p.length];
    double worst = compare(what, p, g, () -> net.forwardBackward(p, scratch, buf, x, labels, batch, 7L), rnd);
    System.out.printf("%-28s worst |fd - analytic| / tol = %.3f%n", what, worst);
  }

  /** Central differences on a random subset of {@code v}; returns the worst error / tolerance. */
  private static double compare(String what, float[] v, float[] analytic, java.util.function.DoubleSupplier f,
      SplittableRandom rnd) {
    double maxAbs = 0;
    for (float a : analytic) {
      maxAbs = Math.max(maxAbs, Math.abs(a));
    }
    assertTrue(maxAbs > 1e-3, what + ": analytic gradient is all (near) zero, max |g| = " + maxAbs);
    double worst = 0;
    int n = Math.min(SAMPLES, v.length);
    for (int k = 0; k < n; k++) {
      int i = v.length <= SAMPLES ? k : rnd.nextInt(v.length);
      float keep = v[i];
      v[i] = keep + EPS;
      double up = f.getAsDouble();
      v[i] = keep - EPS;
      double down = f.getAsDouble();
      v[i] = keep;
      double fd = (up - down) / (2 * EPS);
      double tol = 2e-3 + 1e-2 * Math.abs(fd);
      double err = Math.abs(fd - analytic[i]);
      assertTrue(err <= tol, what + "[" + i + "]: finite difference " + fd + " vs analytic " + analytic[i]
          + " (|diff| " + err + " > tol " + tol + ")");
      worst = Math.max(worst, err / tol);
    }
    return worst;
  }

  @Test
  void conv2dStride2PaddingNonSquare() {
    checkLayers("conv2d 3x2 s2x1 p1x0", model(img(2, 7, 6), new Conv2dSpec("conv", 3, 3, 2, 2, 1, 1, 0, true)), 2, 1);
    checkLayers("conv2d no bias 1x1", model(img(3, 4, 4), new Conv2dSpec("conv", 2, 1, 1, 1, 1, 0, 0, false)), 2, 2);
  }

  @Test
  void convTranspose2d() {
    checkLayers("conv_transpose2d 3x2 s2x1 p1x0",
        model(img(3, 3, 4), new ConvTranspose2dSpec("up", 2, 3, 2, 2, 1, 1, 0, true)), 2, 3);
    checkLayers("conv_transpose2d 2x2 s2",
        model(img(2, 3, 3), new ConvTranspose2dSpec("up", 3, 2, 2, 2, 2, 0, 0, false)), 1, 4);
  }

  @Test
  void pooling() {
    checkLayers("maxpool2d 2x3 s2x1", model(img(2, 6, 5), new Conv2dSpec("c", 2, 1, 1, 1, 1, 0, 0, true),
        new MaxPool2dSpec("pool", 2, 3, 2, 1)), 2, 5);
    checkLayers("avgpool2d 3x2 s1x3", model(img(2, 6, 5), new Conv2dSpec("c", 2, 1, 1, 1, 1, 0, 0, true),
        new AvgPool2dSpec("pool", 3, 2, 1, 3)), 2, 6);
  }

  @Test
  void denseOnImageInputAndFlatten() {
    checkLayers("dense (auto-flatten)", model(img(2, 2, 3), new DenseSpec("fc", 5, true)), 3, 7);
    checkLayers("flatten + dense", model(img(2, 2, 3), new FlattenSpec("f"), new DenseSpec("fc", 4, false)), 3, 8);
  }

  @Test
  void batchNorm() {
    checkLayers("batchnorm 2d", model(img(3, 4, 4), BatchNormSpec.of("bn")), 3, 9);
    checkLayers("batchnorm 1d", model(img(6, 1, 1), new DenseSpec("fc", 5, true), BatchNormSpec.of("bn")), 4, 10);
  }

  @Test
  void everyActivation() {
    long seed = 11;
    for (ActivationKind k : ActivationKind.values()) {
      float alpha = k == ActivationKind.LEAKY_RELU ? 0.1f : ActivationSpec.defaultAlpha(k);
      checkLayers("activation " + k.key(), model(img(2, 3, 3), new DenseSpec("fc", 12, true),
          new ActivationSpec("act", k, alpha)), 3, seed++);
    }
  }

  @Test
  void dropoutWithAFixedSeed() {
    checkLayers("dropout 0.5", model(img(4, 1, 1), new DenseSpec("fc", 8, true), new DropoutSpec("drop", 0.5f)),
        3, 20);
  }

  @Test
  void residualIdentityAndProjection() {
    checkLayers("residual identity", model(img(2, 5, 5), new ResidualSpec("res",
        List.of(Conv2dSpec.of("c1", 2, 3, 1, 1), ActivationSpec.of("t1", ActivationKind.TANH)), null)), 2, 21);
    checkLayers("residual projection", model(img(2, 4, 4), new ResidualSpec("res",
        List.of(Conv2dSpec.of("c1", 3, 3, 1, 1), BatchNormSpec.of("bn1"), ActivationSpec.of("r1", ActivationKind.ELU),
            Conv2dSpec.of("c2", 3, 3, 1, 1)), Conv2dSpec.of("proj", 3, 1, 1, 0))), 2, 22);
  }

  @Test
  void eachLoss() {
    TensorShape in = img(3, 2, 2);
    checkLoss("softmax cross entropy", new ModelSpec(in, List.of(new DenseSpec("fc", 4, true)),
        LossKind.SOFTMAX_CROSS_ENTROPY, 4), 5, 30);
    checkLoss("binary cross entropy", new ModelSpec(in, List.of(new DenseSpec("fc", 4, true),
        ActivationSpec.of("sig", ActivationKind.SIGMOID)), LossKind.BINARY_CROSS_ENTROPY, 4), 5, 31);
    checkLoss("mean squared error", new ModelSpec(in, List.of(new DenseSpec("fc", 4, true)),
        LossKind.MEAN_SQUARED_ERROR, 4), 5, 32);
    checkLoss("small cnn + softmax CE", new ModelSpec(img(1, 6, 6), List.of(Conv2dSpec.of("c", 2, 3, 1, 1),
        ActivationSpec.of("r", ActivationKind.RELU), MaxPool2dSpec.of("p", 2), new FlattenSpec("f"),
        new DenseSpec("fc", 3, true)), LossKind.SOFTMAX_CROSS_ENTROPY, 3), 4, 33);
  }
}
