package io.convoy.pipeline.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class NetworkTest {

  @Test
  void referenceCnnSlices() {
    Network net = new Network(ModelSpec.referenceCnn(), 4);
    assertEquals(421642, net.numParams());
    ParamSlice[] s = net.slices();
    assertEquals(8, s.length);
    assertEquals(new ParamSlice("conv1.weight", 0, 288, new int[] {32, 1, 3, 3}), s[0]);
    assertEquals(new ParamSlice("conv1.bias", 288, 32, new int[] {32}), s[1]);
    assertEquals(new ParamSlice("fc1.weight", 320 + 18496, 128 * 3136, new int[] {128, 3136}), s[4]);
    ParamSlice last = s[7];
    assertEquals("fc2.bias", last.name());
    assertEquals(net.numParams(), last.offset() + last.length());
  }

  @Test
  void initIsSeededAndFollowsTheScheme() {
    Network net = new Network(ModelSpec.referenceCnn(), 2);
    float[] a = new float[net.numParams()];
    float[] b = new float[net.numParams()];
    net.initParams(a, new float[0], InitKind.HE, 5L);
    net.initParams(b, new float[0], InitKind.HE, 5L);
    assertArrayEquals(a, b);
    net.initParams(b, new float[0], InitKind.HE, 6L);
    assertNotEquals(a[0], b[0]);
    ParamSlice fc1 = net.slices()[4];
    double sq = 0;
    for (int i = fc1.offset(); i < fc1.offset() + fc1.length(); i++) {
      sq += a[i] * a[i];
    }
    double std = Math.sqrt(sq / fc1.length());
    assertEquals(Math.sqrt(2.0 / 3136), std, 0.02 * std, "He normal std of fc1.weight");
    ParamSlice bias = net.slices()[5];
    for (int i = bias.offset(); i < bias.offset() + bias.length(); i++) {
      assertEquals(0f, a[i]);
    }
    net.initParams(a, new float[0], InitKind.UNIFORM, 5L);
    float max = 0;
    for (float v : a) {
      max = Math.max(max, Math.abs(v));
    }
    assertTrue(max <= 0.3f && max > 0.29f, "UNIFORM is +-0.3, max |w| = " + max);
    net.initParams(a, new float[0], InitKind.XAVIER, 5L);
    double limit = Math.sqrt(6.0 / (3136 + 128));
    for (int i = fc1.offset(); i < fc1.offset() + fc1.length(); i++) {
      assertTrue(Math.abs(a[i]) <= limit);
    }
  }

  @Test
  void batchNormStartsAtOneAndZero() {
    ModelSpec spec = new ModelSpec(new TensorShape(2, 3, 3), List.of(BatchNormSpec.of("bn"),
        new DenseSpec("fc", 3, true)), LossKind.SOFTMAX_CROSS_ENTROPY, 3);
    Network net = new Network(spec, 2);
    float[] p = new float[net.numParams()];
    float[] buf = new float[net.numBuffers()];
    net.initParams(p, buf, InitKind.XAVIER, 1L);
    assertArrayEquals(new float[] {1, 1, 0, 0}, java.util.Arrays.copyOf(p, 4));
    assertArrayEquals(new float[] {0, 0, 1, 1}, buf);
    assertEquals("bn.running_var", net.bufferSlices()[1].name());
  }

  /** Two Gaussian blobs per class on a tiny CNN: plain SGD on the flat vectors must learn them. */
  @Test
  void learnsASeparableProblem() {
    ModelSpec spec = new ModelSpec(new TensorShape(1, 6, 6), List.of(Conv2dSpec.of("conv1", 4, 3, 1, 1),
        ActivationSpec.of("relu1", ActivationKind.RELU), MaxPool2dSpec.of("pool1", 2), new FlattenSpec("flat"),
        new DenseSpec("fc1", 16, true), ActivationSpec.of("relu2", ActivationKind.RELU),
        new DropoutSpec("drop", 0.1f), new DenseSpec("fc2", 3, true)), LossKind.SOFTMAX_CROSS_ENTROPY, 3);
    int batch = 32;
    Network net = new Network(spec, batch);
    float[] p = new float[net.numParams()];
    float[] g = new float[p.length];
    net.initParams(p, new float[0], InitKind.HE, 3L);
    SplittableRandom rnd = new SplittableRandom(9);
    float[][] centers = new float[3][36];
    for (float[] c : centers) {
      for (int i = 0; i < 36; i++) {
        c[i] = (float) rnd.nextGaussian();
      }
    }
    float[] x = new float[batch * 36];
    int[] y = new int[batch];
    float first = 0;
    float last = 0;
    for (int step = 0; step < 60; step++) {
      for (int b = 0; b < batch; b++) {
        y[b] = rnd.nextInt(3);
        for (int i = 0; i < 36; i++) {
          x[b * 36 + i] = centers[y[b]][i] + (float) (0.5 * rnd.nextGaussian());
        }
      }
      java.util.Arrays.fill(g, 0f);
      float loss = net.forwardBackward(p, g, new float[0], x, y, batch, step);
      for (int i = 0; i < p.length; i++) {
        p[i] -= 0.05f * g[i];
      }
      if (step == 0) {
        first = loss;
      }
      last = loss;
    }
    float evalLoss = net.evaluate(p, new float[0], x, y, batch);
    assertTrue(last < 0.3f * first, "loss should fall: first " + first + ", last " + last);
    assertTrue(net.lastCorrect() >= batch - 2, "correct " + net.lastCorrect() + " of " + batch);
    assertTrue(evalLoss < 0.5f, "evaluate loss " + evalLoss);
    float[] probs = new float[batch * 3];
    net.predict(p, new float[0], x, batch, probs);
    for (int b = 0; b < batch; b++) {
      assertEquals(1f, probs[b * 3] + probs[b * 3 + 1] + probs[b * 3 + 2], 1e-5f);
    }
    // a smaller batch than maxBatch works and agrees with the full batch's first rows
    float[] probs5 = new float[5 * 3];
    net.predict(p, new float[0], x, 5, probs5);
    for (int i = 0; i < 15; i++) {
      assertEquals(probs[i], probs5[i], 1e-6f);
    }
  }

  @Test
  void callErrorsSayWhatWasSeen() {
    Network net = new Network(ModelSpec.kerasCourse(), 8);
    float[] p = new float[net.numParams()];
    float[] x = new float[8 * 784];
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> net.forwardBackward(p, p.clone(), new float[0], x, new int[9], 9, 0L));
    assertEquals("batch must be in [1, 8] (the network's maxBatch), got 9", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> net.forwardBackward(p, p.clone(), new float[0], x, new int[] {0, 10}, 2, 0L));
    assertEquals("labels[1] = 10 is not a class in [0, 10)", e.getMessage());
    e = assertThrows(IllegalArgumentException.class,
        () -> net.forwardBackward(new float[5], p.clone(), new float[0], x, new int[2], 2, 0L));
    assertEquals("params must hold at least 87050 floats, got 5", e.getMessage());
  }

  @Test
  void inferenceForwardMatchesTheTrainingLayersAndReportsClasses() {
    // the reference CNN has two 2x2 max-pooling layers, which inference runs without recording argmax
    ModelSpec spec = ModelSpec.referenceCnn();
    Network net = new Network(spec, 16);
    float[] p = new float[net.numParams()];
    float[] b = new float[net.numBuffers()];
    net.initParams(p, b, InitKind.HE, 5L);
    SplittableRandom rnd = new SplittableRandom(9);
    int batch = 13;
    float[] x = new float[batch * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    x[3 * 784 + 100] = Float.NaN;   // a NaN input must come out as NaN for that example only, as in training mode
    int[] y = new int[batch];
    for (int i = 0; i < batch; i++) {
      y[i] = rnd.nextInt(10);
    }
    float[] logits = net.forwardOutput(p, b, x, batch, false, 0L).clone();
    float[] probs = new float[batch * 10];
    net.predict(p, b, x, batch, probs);
    float[] expect = new float[batch * 10];
    io.convoy.kernels.Activations.softmaxForward(expect, logits, batch, 10);
    assertArrayEquals(expect, probs);
    assertTrue(Float.isNaN(probs[3 * 10]));
    assertTrue(!Float.isNaN(probs[4 * 10]));

    int[] predicted = new int[batch];
    float loss = net.evaluate(p, b, x, y, batch, predicted);
    int correct = net.lastCorrect();
    assertEquals(loss, net.evaluate(p, b, x, y, batch), 0f, "the predicted classes change nothing else");
    int count = 0;
    for (int i = 0; i < batch; i++) {
      if (i == 3) {
        continue;   // NaN logits: no class is larger
      }
      int best = 0;
      for (int c = 1; c < 10; c++) {
        if (logits[i * 10 + c] > logits[i * 10 + best]) {
          best = c;
        }
      }
      assertEquals(best, predicted[i], "example " + i);
      count += best == y[i] ? 1 : 0;
    }
    assertEquals(count + (predicted[3] == y[3] ? 1 : 0), correct);
    assertThrows(IllegalArgumentException.class, () -> net.evaluate(p, b, x, y, batch, new int[batch - 1]));
  }

  @Test
  void inferenceModeMaxPoolingGivesTheTrainingOutputAndStillBackPropagates() {
    // the Keras course model (no dropout, no batch norm): only the 2x2 max pooling differs between the
    // modes, which in inference mode skips its argmax until a backward pass asks for it
    ModelSpec spec = ModelSpec.kerasCourse();
    Network net = new Network(spec, 8);
    float[] p = new float[net.numParams()];
    float[] b = new float[net.numBuffers()];
    net.initParams(p, b, InitKind.HE, 3L);
    SplittableRandom rnd = new SplittableRandom(4);
    int batch = 5;
    float[] x = new float[batch * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    float[] g = new float[batch * 10];
    for (int i = 0; i < g.length; i++) {
      g[i] = (float) rnd.nextGaussian();
    }
    float[] trainOut = net.forwardOutput(p, b, x, batch, true, 0L).clone();
    float[] trainGrads = new float[p.length];
    float[] trainDx = net.backwardInput(p, trainGrads, x, g, batch).clone();

    float[] inferOut = net.forwardOutput(p, b, x, batch, false, 0L).clone();
    float[] inferGrads = new float[p.length];
    float[] inferDx = net.backwardInput(p, inferGrads, x, g, batch).clone();
    assertArrayEquals(trainOut, inferOut);
    assertArrayEquals(trainGrads, inferGrads);
    assertArrayEquals(trainDx, inferDx);
  }
}
