package io.convoy.pipeline.train;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.optim.OptimizerSpec;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/** The reference CNN on all of Fashion-MNIST: at least 0.90 test accuracy within 5 epochs (Adam 1e-3, batch 128). */
@Tag("long")
class FashionMnistLongTest {

  @Test
  void referenceCnnReaches90PercentIn5Epochs() {
    ImageSet train = FashionMnist.train();
    ImageSet test = FashionMnist.test();
    Normalization norm = Normalization.compute(train);
    double[] best = {0};
    TrainResult r = new LocalTrainer().testSet(test).train(ModelSpec.referenceCnn(),
        TrainOptions.of(5, 128, OptimizerSpec.adam(1e-3f), 1L), train, null, norm, m -> {
          System.out.println("reference CNN, full Fashion-MNIST: " + m.summary());
          best[0] = Math.max(best[0], m.testAccuracy());
        });
    assertTrue(best[0] >= 0.90, "best test accuracy in " + r.history().size() + " epochs: " + best[0]);
  }
}
