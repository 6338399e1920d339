package io.convoy.pipeline.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.LrSchedule;
import io.convoy.pipeline.optim.OptimizerSpec;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The single-process loop on Fashion-MNIST subsets. */
class LocalTrainerTest {

  @Test
  void kerasCourseModelLearnsFashionMnistSubset() {
    ImageSet train = FashionMnist.train().slice(0, 6000);
    ImageSet test = FashionMnist.test().slice(0, 1000);
    Normalization norm = Normalization.compute(train);
    List<double[]> batches = new ArrayList<>();
    TrainResult r = new LocalTrainer().testSet(test).train(ModelSpec.kerasCourse(),
        TrainOptions.of(1, 32, OptimizerSpec.adam(1e-3f), 11L), train, null, norm, new TrainingListener() {
          @Override
          public void onEpoch(EpochMetrics m) {
            System.out.println("keras course, 6000 images: " + m.summary());
          }

          @Override
          public void onBatch(int epoch, int batch, int batches2, double loss) {
            batches.add(new double[] {batch, loss});
          }
        });
    EpochMetrics m = r.last();
    assertEquals(188, batches.size());            // 6000 / 32 rounded up: the short last batch is kept
    assertEquals(188, r.optimizerStep());
    assertTrue(m.testAccuracy() >= 0.7, "test accuracy " + m.testAccuracy());
    assertTrue(m.trainAccuracy() > 0.5, "train accuracy " + m.trainAccuracy());
    assertTrue(m.imagesPerSecond() > 0);
    // the result's parameters are the trained ones
    LocalReplica replica = new LocalReplica(ModelSpec.kerasCourse(), 100, norm, null, 0L);
    assertEquals(m.testAccuracy(), replica.evaluate(r.params(), r.buffers(), test).accuracy(), 1e-12);
  }

  static ImageSet tiny() {
    return FashionMnist.train().slice(0, 48);
  }

  @Test
  void stochasticAndFullBatchReduceTheLoss() {
    ImageSet set = tiny();
    Normalization norm = Normalization.compute(set);
    ModelSpec spec = ModelSpec.kerasCourse();
    LocalReplica probe = new LocalReplica(spec, 48, norm, null, 0L);
    float[] p0 = new float[probe.network().numParams()];
    float[] b0 = new float[probe.network().numBuffers()];
    probe.network().initParams(p0, b0, InitKind.HE, 5L);
    double before = probe.evaluate(p0, b0, set).loss();

    TrainOptions sgd = TrainOptions.of(2, 999, OptimizerSpec.sgd(0.01f), 5L).withMode(GradientDescent.STOCHASTIC);
    TrainResult s = new LocalTrainer().train(spec, sgd, set, null, norm, null);
    assertEquals(96, s.optimizerStep());          // one step per example
    double afterSgd = probe.evaluate(s.params(), s.buffers(), set).loss();

    TrainOptions full = TrainOptions.of(10, 999, OptimizerSpec.adam(3e-3f), 5L).withMode(GradientDescent.FULL_BATCH);
    TrainResult f = new LocalTrainer().workspaceBatch(10).train(spec, full, set, null, norm, null);
    assertEquals(10, f.optimizerStep());          // one step per epoch, accumulated over 5 chunks
    double afterFull = probe.evaluate(f.params(), f.buffers(), set).loss();
    System.out.printf("tiny set loss: initial %.4f, stochastic %.4f, full batch %.4f%n", before, afterSgd, afterFull);
    assertTrue(afterSgd < 0.8 * before, "stochastic: " + before + " -> " + afterSgd);
    assertTrue(afterFull < 0.8 * before, "full batch: " + before + " -> " + afterFull);
  }

  @Test
  void chunkedGradientEqualsWholeBatchGradient() {
    ImageSet set = tiny();
    Normalization norm = Normalization.compute(set);
    ModelSpec spec = ModelSpec.kerasCourse();   // no dropout or batch norm: chunking changes nothing
    LocalReplica whole = new LocalReplica(spec, 48, norm, null, 1L);
    LocalReplica chunked = new LocalReplica(spec, 7, norm, null, 1L);
    float[] p = new float[whole.network().numParams()];
    float[] b = new float[whole.network().numBuffers()];
    whole.network().initParams(p, b, InitKind.HE, 3L);
    int[] order = new int[48];
    for (int i = 0; i < 48; i++) {
      order[i] = (i * 5) % 48;
    }
    double l1 = whole.gradient(p, b, set, order, 0, 48, 0L);
    double l2 = chunked.gradient(p, b, set, order, 0, 48, 0L);
    assertEquals(l1, l2, 1e-5);
    assertEquals(whole.lastCorrect(), chunked.lastCorrect());
    float[] g1 = whole.grads();
    float[] g2 = chunked.grads();
    double worst = 0;
    for (int i = 0; i < g1.length; i++) {
      worst = Math.max(worst, Math.abs(g1[i] - g2[i]));
      assertEquals(g1[i], g2[i], 1e-5 + 1e-4 * Math.abs(g1[i]), "gradient element " + i);
    }
    System.out.printf("chunked vs whole gradient: max |diff| %.3g%n", worst);
  }

  @Test
  void earlyStoppingStopsAndKeepsTheBestParameters() {
    ImageSet set = tiny();
    ImageSet val = FashionMnist.test().slice(0, 50);
    Normalization norm = Normalization.compute(set);
    // a rate so small that nothing improves by the required 0.5
    TrainOptions o = TrainOptions.of(10, 16, OptimizerSpec.sgd(1e-9f), 2L).withEarlyStopping(2, 0.5f);
    TrainResult r = new LocalTrainer().train(ModelSpec.kerasCourse(), o, set, val, norm, null);
    assertEquals(3, r.history().size());           // best at epoch 0, then two epochs without improvement
    assertEquals(0, r.bestEpoch());
    assertTrue(Double.isFinite(r.history().get(0).valAccuracy()));
    String msg = assertThrows(IllegalArgumentException.class,
        () -> new LocalTrainer().train(ModelSpec.kerasCourse(), o, set, null, norm, null)).getMessage();
    assertEquals("train.early-stopping.patience = 2 needs a validation set, got none", msg);
  }

  @Test
  void sameSeedSameResult() {
    ImageSet set = tiny();
    Normalization norm = Normalization.compute(set);
    TrainOptions o = TrainOptions.of(1, 16, OptimizerSpec.momentum(0.01f, 0.9f), 9L)
        .withSchedule(new LrSchedule.Warmup(1, LrSchedule.constant()));
    TrainResult a = new LocalTrainer().train(ModelSpec.referenceCnn(), o, set, null, norm, null);
    TrainResult b = new LocalTrainer().train(ModelSpec.referenceCnn(), o, set, null, norm, null);
    assertArrayEquals(a.params(), b.params(), 0f);
    assertEquals(0.01f, a.last().learningRate(), 1e-9);   // the last warm-up step reaches the base rate
  }

  @Test
  void optionsNameTheirKeys() {
    OptimizerSpec adam = OptimizerSpec.adam(1e-3f);
    assertEquals("train.batch-size must be > 0, got -3",
        assertThrows(IllegalArgumentException.class, () -> TrainOptions.of(1, -3, adam, 0L)).getMessage());
    assertEquals("train.epochs must be > 0, got 0",
        assertThrows(IllegalArgumentException.class, () -> TrainOptions.of(0, 3, adam, 0L)).getMessage());
    assertEquals("train.early-stopping.patience must be >= 0, got -1",
        assertThrows(IllegalArgumentException.class, () -> TrainOptions.of(1, 3, adam, 0L).withEarlyStopping(-1, 0f))
            .getMessage());
    assertEquals("train.mode must be one of mini-batch, stochastic, full-batch, got sgd",
        assertThrows(IllegalArgumentException.class, () -> GradientDescent.parse("sgd", "train.mode")).getMessage());
    assertEquals(GradientDescent.FULL_BATCH, GradientDescent.parse("full-batch", "train.mode"));
  }
}
