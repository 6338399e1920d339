package io.convoy.pipeline.onnx;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ActivationKind;
import io.convoy.pipeline.model.ActivationSpec;
import io.convoy.pipeline.model.AvgPool2dSpec;
import io.convoy.pipeline.model.BatchNormSpec;
import io.convoy.pipeline.model.Conv2dSpec;
import io.convoy.pipeline.model.ConvTranspose2dSpec;
import io.convoy.pipeline.model.DenseSpec;
import io.convoy.pipeline.model.DropoutSpec;
import io.convoy.pipeline.model.FlattenSpec;
import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.model.LossKind;
import io.convoy.pipeline.model.MaxPool2dSpec;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.model.ResidualSpec;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.LocalTrainer;
import io.convoy.pipeline.train.TrainOptions;
import io.convoy.pipeline.train.TrainResult;
import java.nio.FloatBuffer;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;
import org.junit.jupiter.api.Test;

/** Convoy's ONNX export run in ONNX Runtime against Convoy's own inference. */
class OnnxExportTest {
  static final String DIR = "file:///usr/share/datasets/fashion-mnist/";

  /** Logits and probabilities of {@code n} examples from ONNX Runtime. */
  record OrtOut(float[] logits, float[] probs) {
  }

  static OrtOut runOrt(byte[] onnx, float[] x, int n, TensorShape s, int batch) throws Exception {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
      so.setIntraOpNumThreads(1);
      try (OrtSession session = env.createSession(onnx, so)) {
        int k = -1;
        float[] logits = null;
        float[] probs = null;
        for (int from = 0; from < n; from += batch) {
          int m = Math.min(batch, n - from);
          FloatBuffer fb = FloatBuffer.wrap(x, from * s.size(), m * s.size()).slice();
          try (OnnxTensor t = OnnxTensor.createTensor(env, fb, new long[] {m, s.c(), s.h(), s.w()});
              OrtSession.Result r = session.run(Map.of(OnnxExport.INPUT, t))) {
            float[][] lg = (float[][]) r.get(OnnxExport.LOGITS).get().getValue();
            float[][] pr = (float[][]) r.get(OnnxExport.PROBABILITY).get().getValue();
            if (logits == null) {
              k = lg[0].length;
              logits = new float[n * k];
              probs = new float[n * k];
            }
            for (int i = 0; i < m; i++) {
              System.arraycopy(lg[i], 0, logits, (from + i) * k, k);
              System.arraycopy(pr[i], 0, probs, (from + i) * k, k);
            }
          }
        }
        return new OrtOut(logits, probs);
      }
    }
  }

  static float[] convoyProbs(ModelSpec spec, float[] p, float[] b, float[] x, int n) {
    int s = spec.input().size();
    int k = spec.numClasses();
    int batch = 256;
    Network net = new Network(spec, batch);
    float[] out = new float[n * k];
    float[] probs = new float[batch * k];
    for (int from = 0; from < n; from += batch) {
      int m = Math.min(batch, n - from);
      net.predict(p, b, Arrays.copyOfRange(x, from * s, (from + m) * s), m, probs);
      System.arraycopy(probs, 0, out, from * k, m * k);
    }
    return out;
  }

  static int argmax(float[] v, int off, int k) {
    int best = 0;
    for (int i = 1; i < k; i++) {
      if (v[off + i] > v[off + best]) {
        best = i;
      }
    }
    return best;
  }

  /** Every layer kind, random parameters and batch-norm statistics, random inputs. */
  @Test
  void everyLayerKindMatchesNetwork() throws Exception {
    ModelSpec spec = new ModelSpec(new TensorShape(3, 13, 13), List.of(
        new Conv2dSpec("conv1", 6, 3, 3, 1, 1, 1, 1, true),
        new BatchNormSpec("bn1", 1e-5f, 0.1f),
        new ActivationSpec("lrelu", ActivationKind.LEAKY_RELU, 0.1f),
        new ResidualSpec("res1", List.of(
            new Conv2dSpec("res1.conv", 6, 3, 3, 1, 1, 1, 1, false),
            new ActivationSpec("res1.elu", ActivationKind.ELU, 0.7f)), null),
        new ResidualSpec("res2", List.of(
            new Conv2dSpec("res2.conv", 8, 3, 3, 2, 2, 1, 1, true),
            new ActivationSpec("res2.tanh", ActivationKind.TANH, 0f)),
            new Conv2dSpec("res2.proj", 8, 1, 1, 2, 2, 0, 0, false)),
        new ConvTranspose2dSpec("up", 4, 2, 2, 2, 2, 0, 0, true),
        new ActivationSpec("sig", ActivationKind.SIGMOID, 0f),
        new MaxPool2dSpec("pool1", 2, 2, 2, 2),
        new Conv2dSpec("conv2", 5, 2, 2, 1, 1, 0, 0, true),
        new AvgPool2dSpec("pool2", 1, 2, 1, 2),
        new ActivationSpec("smx", ActivationKind.SOFTMAX, 0f),
        new FlattenSpec("flat"),
        new DenseSpec("fc1", 16, true),
        new BatchNormSpec("bn2", 1e-3f, 0.1f),
        new ActivationSpec("relu", ActivationKind.RELU, 0f),
        new DropoutSpec("drop", 0.5f),
        new DenseSpec("fc2", 7, false)),
        LossKind.SOFTMAX_CROSS_ENTROPY, 7);
    Network net = new Network(spec, 64);
    float[] p = new float[net.numParams()];
    float[] b = new float[net.numBuffers()];
    net.initParams(p, b, InitKind.HE, 11L);
    SplittableRandom rnd = new SplittableRandom(5);
    for (int i = 0; i < b.length; i++) {
      b[i] = (float) rnd.nextDouble(0.2, 1.5);    // running means and variances away from 0 / 1
    }
    for (int i = 0; i < p.length; i++) {
      p[i] += (float) rnd.nextDouble(-0.05, 0.05); // batch-norm gammas and betas away from 1 / 0
    }
    int n = 37;
    float[] x = new float[n * spec.input().size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rnd.nextGaussian();
    }
    byte[] onnx = OnnxExport.toBytes(spec, p, b, null);
    OrtOut ort = runOrt(onnx, x, n, spec.input(), 16);
    float[] want = convoyProbs(spec, p, b, x, n);
    float[] logits = net.forwardOutput(p, b, Arrays.copyOf(x, n * spec.input().size()), n, false, 0L);
    double maxLogit = 0;
    double maxProb = 0;
    for (int i = 0; i < n * 7; i++) {
      maxLogit = Math.max(maxLogit, Math.abs(logits[i] - ort.logits()[i]));
      maxProb = Math.max(maxProb, Math.abs(want[i] - ort.probs()[i]));
    }
    assertTrue(maxLogit < 1e-4, "largest logit difference " + maxLogit);
    assertTrue(maxProb < 1e-5, "largest probability difference " + maxProb);
  }

  /** With a normalisation the graph takes raw pixel values and normalises them itself. */
  @Test
  void normalisationInsideTheGraph() throws Exception {
    ModelSpec spec = ModelSpec.kerasCourse();
    Network net = new Network(spec, 8);
    float[] p = new float[net.numParams()];
    float[] b = new float[0];
    net.initParams(p, b, InitKind.HE, 3L);
    Normalization norm = new Normalization(new float[] {0.286f}, new float[] {0.353f});
    SplittableRandom rnd = new SplittableRandom(9);
    int n = 8;
    float[] raw = new float[n * 784];
    float[] normed = new float[n * 784];
    for (int i = 0; i < raw.length; i++) {
      int px = rnd.nextInt(256);
      raw[i] = px;
      normed[i] = px * norm.scale(0) + norm.shift(0);
    }
    OrtOut ort = runOrt(OnnxExport.toBytes(spec, p, b, norm), raw, n, spec.input(), n);
    float[] want = convoyProbs(spec, p, b, normed, n);
    for (int i = 0; i < want.length; i++) {
      assertEquals(want[i], ort.probs()[i], 1e-5, "probability " + i);
    }
  }

  @Test
  void refusesMismatchedVectors() {
    ModelSpec spec = ModelSpec.kerasCourse();
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> OnnxExport.toBytes(spec, new float[5], new float[0], null));
    assertTrue(e.getMessage().contains("got 5"), e.getMessage());
  }

  /**
   * The reference CNN trained on 2000 Fashion-MNIST images for one epoch, then all 10,000 test
   * images through Convoy and through ONNX Runtime: same class for at least 99.9%, probabilities
   * within 1e-4.
   */
  @Test
  void referenceCnnAgreesOnTheWholeTestSet() throws Exception {
    Configuration conf = new Configuration();
    ImageSet train = IdxReader.read(new Path(DIR + "train-images-idx3-ubyte.gz"),
        new Path(DIR + "train-labels-idx1-ubyte.gz"), conf, 10).slice(0, 2000);
    ImageSet test = IdxReader.read(new Path(DIR + "t10k-images-idx3-ubyte.gz"),
        new Path(DIR + "t10k-labels-idx1-ubyte.gz"), conf, 10);
    ModelSpec spec = ModelSpec.referenceCnn();
    Normalization norm = Normalization.compute(train);
    TrainResult r = new LocalTrainer().train(spec, TrainOptions.of(1, 64, OptimizerSpec.adam(1e-3f), 42L), train,
        null, norm, null);
    int n = test.size();
    float[] x = new float[n * 784];
    for (int i = 0; i < x.length; i++) {
      x[i] = norm.apply(test.pixels()[i] & 0xFF, 0);
    }
    float[] want = convoyProbs(spec, r.params(), r.buffers(), x, n);
    OrtOut ort = runOrt(OnnxExport.toBytes(spec, r.params(), r.buffers(), null), x, n, spec.input(), 500);
    int same = 0;
    int correct = 0;
    double maxDiff = 0;
    for (int i = 0; i < n; i++) {
      int a = argmax(want, i * 10, 10);
      same += a == argmax(ort.probs(), i * 10, 10) ? 1 : 0;
      correct += a == test.labels()[i] ? 1 : 0;
      for (int c = 0; c < 10; c++) {
        maxDiff = Math.max(maxDiff, Math.abs(want[i * 10 + c] - ort.probs()[i * 10 + c]));
      }
    }
    System.out.printf("ONNX agreement on %d test images: same class %d (%.4f%%), largest probability difference"
        + " %.3g, Convoy accuracy %.4f%n", n, same, 100.0 * same / n, maxDiff, (double) correct / n);
    assertTrue(same >= 0.999 * n, "same class for " + same + " of " + n);
    assertTrue(maxDiff <= 1e-4, "largest probability difference " + maxDiff);
    assertTrue(correct > 0.6 * n, "the trained model should beat chance clearly, accuracy " + correct);
  }
}
