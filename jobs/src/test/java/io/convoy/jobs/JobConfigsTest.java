package io.convoy.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.optim.LrSchedule;
import io.convoy.pipeline.optim.OptimizerKind;
import io.convoy.pipeline.spark.Strategy;
import java.io.File;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Loading and checking job configurations: every bad value is reported with its key. */
class JobConfigsTest {
  private static final File ROOT = new File(System.getProperty("convoy.project.root", "..")).getAbsoluteFile();
  private static final File FASHION = new File(ROOT, "conf/fashion-mnist.conf");

  private static JobConfig fashion(String... overrides) {
    return JobConfigs.parse(JobConfigs.load(FASHION, List.of(overrides)));
  }

  private static String error(String... overrides) {
    return assertThrows(JobConfigException.class, () -> fashion(overrides)).getMessage();
  }

  @Test
  void fashionMnistConfigLoadsWithReferenceDefaults() {
    JobConfig c = fashion();
    assertEquals(10, c.train().epochs());
    assertEquals(64, c.train().batchSize());
    assertEquals(Strategy.PARAMETER_AVERAGING, c.train().strategy());
    assertEquals(47, c.train().averagingPeriod());
    assertEquals(io.convoy.pipeline.spark.LrScaling.NONE, c.train().lrScaling());
    assertEquals(OptimizerKind.ADAM, c.optimizer().kind());
    assertEquals(1e-3f, c.optimizer().learningRate());
    assertEquals(InitKind.HE, c.init());
    assertEquals("local[*]", c.spark().master());
    assertEquals("./runs", c.outputDir());
    assertTrue(c.data().train().isSet());
    assertTrue(c.data().train().images().startsWith("file:///usr/share/datasets/fashion-mnist/"));
    assertFalse(c.data().validation().isSet());
    assertEquals(11, c.model().layers().size());
    assertEquals(10, c.model().numClasses());
    assertFalse(c.modelTree().containsKey("init"));
    assertTrue(c.schedule() instanceof LrSchedule.Constant);
  }

  @Test
  void commandLineOverridesWinAndBracketsNeedNoQuotes() {
    JobConfig c = fashion("train.epochs=3", "spark.master=local[2]", "optimizer.kind=sgd", "spark.conf.spark.ui.enabled=false");
    assertEquals(3, c.train().epochs());
    assertEquals("local[2]", c.spark().master());
    assertEquals(OptimizerKind.SGD, c.optimizer().kind());
    assertEquals("false", c.spark().conf().get("spark.ui.enabled"));
    assertEquals("local[*]", fashion("spark.master=\"local[*]\"").spark().master());
  }

  @Test
  void scheduleKindsBuildTheirRecords() {
    assertTrue(fashion("schedule.kind=cosine").schedule() instanceof LrSchedule.Cosine);
    assertEquals(new LrSchedule.StepDecay(2, 0.5f), fashion("schedule.kind=step", "schedule.every-epochs=2",
        "schedule.gamma=0.5").schedule());
    assertTrue(fashion("schedule.warmup-epochs=1").schedule() instanceof LrSchedule.Warmup);
    assertTrue(error("schedule.kind=linear").startsWith("schedule.kind must be one of"), error("schedule.kind=linear"));
  }

  @Test
  void classNamesGoOnePerClass() {
    assertEquals("Ankle boot", fashion().data().classNames().get(9));
    assertEquals("data.class-names holds 2 names, expected one per class: model.classes = 10",
        error("data.class-names=[a, b]"));
    assertTrue(error("data.class-names=[1]").startsWith("data.class-names[0]: expected a string"));
    assertTrue(fashion("data.class-names=[]").data().classNames().isEmpty());
  }

  @Test
  void negativeBatchSizeNamesKeyAndValue() {
    assertEquals("train.batch-size must be > 0, got -3", error("train.batch-size=-3"));
  }

  @Test
  void wrongTypeNamesKeyTypeAndValue() {
    assertEquals("train.epochs: expected a number, got STRING 'ten'", error("train.epochs=ten"));
    assertEquals("train.epochs: expected a whole number, got NUMBER 2.5", error("train.epochs=2.5"));
    assertEquals("checkpoint.every-epoch: expected true or false, got STRING 'often'", error("checkpoint.every-epoch=often"));
    assertTrue(error("data.normalization.mean=[a]").startsWith("data.normalization.mean[0]: expected a number"));
  }

  @Test
  void unknownKeyIsRejectedWithDidYouMean() {
    String msg = error("train.epoch=3");
    assertTrue(msg.startsWith("unknown key train.epoch"), msg);
    assertTrue(msg.contains("did you mean train.epochs?"), msg);
    msg = error("trian.epochs=3");
    assertTrue(msg.contains("did you mean train?"), msg);
    msg = error("optimizer.zzzzzzzz=1");
    assertTrue(msg.startsWith("unknown key optimizer.zzzzzzzz"), msg);
    assertFalse(msg.contains("did you mean"), msg);
  }

  @Test
  void optimizerErrorsUseTheirKeys() {
    assertEquals("optimizer.learning-rate must be > 0, got -1", error("optimizer.learning-rate=-1"));
    assertTrue(error("optimizer.kind=adagrad").startsWith("optimizer.kind must be one of"));
  }

  @Test
  void unknownLayerTypeNamesTheLayer() {
    String msg = assertThrows(JobConfigException.class, () -> JobConfigs.parse(JobConfigs.loadString(
        "model.layers = [{type: flatten}, {type: dense2, units: 10}]", List.of()))).getMessage();
    assertTrue(msg.contains("model.layers[1]"), msg);
    assertTrue(msg.contains("dense2"), msg);
  }

  @Test
  void emptyModelIsRejected() {
    String msg = assertThrows(JobConfigException.class,
        () -> JobConfigs.parse(JobConfigs.loadString("", List.of()))).getMessage();
    assertTrue(msg.startsWith("model.layers must be a non-empty list"), msg);
  }

  @Test
  void dataPathsComeInPairsAndSplitIsChecked() {
    String msg = error("data.train.labels=null");
    assertTrue(msg.startsWith("data.train: images and labels must be given together"), msg);
    assertEquals("data.validation-split must be in [0, 1), got 1.5", error("data.validation-split=1.5"));
    assertEquals("data.train.limit must be >= 0, got -1", error("data.train.limit=-1"));
  }

  @Test
  void badOverrideSyntaxIsAConfigError() {
    assertTrue(error("train.epochs").startsWith("override 'train.epochs' is not key=value"));
  }

  @Test
  void missingFileIsAConfigError() {
    String msg = assertThrows(JobConfigException.class,
        () -> JobConfigs.load(new File(ROOT, "conf/no-such.conf"), List.of())).getMessage();
    assertTrue(msg.contains("no-such.conf"), msg);
  }

  @Test
  void averagingLrScalingReachesTheTrainerAndBadValuesNameTheKey() {
    assertEquals(io.convoy.pipeline.spark.LrScaling.LINEAR,
        fashion("train.averaging-lr-scaling=linear").sparkTrainOptions(null, false).lrScaling());
    assertEquals(io.convoy.pipeline.spark.LrScaling.SQRT,
        fashion("train.averaging-lr-scaling=SQRT").train().lrScaling());
    assertEquals(io.convoy.pipeline.spark.LrScaling.NONE,
        fashion("train.averaging-lr-scaling=none").sparkTrainOptions(null, false).lrScaling());
    assertEquals("train.averaging-lr-scaling must be one of none, sqrt, linear, got 'double'",
        error("train.averaging-lr-scaling=double"));
  }
}
