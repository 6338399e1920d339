package io.convoy.pipeline.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class ModelSpecTest {

  private static TensorShape img(int c, int h, int w) {
    return new TensorShape(c, h, w);
  }

  @Test
  void sevenBySevenWithThreeByThree() {
    TensorShape in = img(1, 7, 7);
    assertEquals(img(1, 5, 5), Conv2dSpec.of("conv1", 1, 3, 1, 0).outputShape(in));
    assertEquals(img(1, 3, 3), Conv2dSpec.of("conv1", 1, 3, 2, 0).outputShape(in));
    ModelSpecException e = assertThrows(ModelSpecException.class,
        () -> Conv2dSpec.of("conv1", 1, 3, 3, 0).outputShape(in));
    assertEquals("layer conv1: (7 - 3) / 3 + 1 = 2.33 is not an integer "
        + "(input height 7, kernel 3, stride 3, padding 0)", e.getMessage());
  }

  @Test
  void stride3RejectedWhenTheModelIsBuilt() {
    ModelSpecException e = assertThrows(ModelSpecException.class, () -> new ModelSpec(img(1, 7, 7),
        List.of(Conv2dSpec.of("conv1", 1, 3, 3, 0), new DenseSpec("out", 2, true)),
        LossKind.SOFTMAX_CROSS_ENTROPY, 2));
    assertTrue(e.getMessage().contains("layer conv1: (7 - 3) / 3 + 1 = 2.33"), e.getMessage());
  }

  @Test
  void paddedConvKeepsSizeAndCounts760Params() {
    Conv2dSpec conv = Conv2dSpec.of("conv1", 10, 5, 1, 2);
    assertEquals(img(10, 32, 32), conv.outputShape(img(3, 32, 32)));
    assertEquals(760, conv.paramCount(img(3, 32, 32)));
  }

  @Test
  void kernelLargerThanInputIsRejected() {
    ModelSpecException e = assertThrows(ModelSpecException.class,
        () -> MaxPool2dSpec.of("pool9", 4).outputShape(img(2, 3, 3)));
    assertTrue(e.getMessage().startsWith("layer pool9: kernel height 4 is larger"), e.getMessage());
  }

  @Test
  void lenetShapeWalk() {
    ModelSpec m = ModelSpec.lenet5();
    assertEquals(List.of(img(3, 32, 32), img(6, 28, 28), img(6, 28, 28), img(6, 14, 14), img(16, 10, 10),
        img(16, 10, 10), img(16, 5, 5), TensorShape.flat(400), TensorShape.flat(120), TensorShape.flat(120),
        TensorShape.flat(84), TensorShape.flat(84), TensorShape.flat(10)), m.shapes());
    assertEquals(456 + 2416 + 48120 + 10164 + 850, m.paramCount());
  }

  @Test
  void kerasCourseModel() {
    ModelSpec m = ModelSpec.kerasCourse();
    assertEquals(List.of(img(1, 28, 28), img(16, 26, 26), img(16, 26, 26), img(16, 13, 13), TensorShape.flat(2704),
        TensorShape.flat(32), TensorShape.flat(32), TensorShape.flat(10)), m.shapes());
    assertEquals(160 + 86560 + 330, m.paramCount());
    assertEquals(87050, m.paramCount());
    String summary = m.summary();
    assertTrue(summary.contains("dense1") && summary.contains("86560") && summary.contains("total params 87050"),
        summary);
  }

  @Test
  void referenceCnn() {
    ModelSpec m = ModelSpec.referenceCnn();
    List<TensorShape> s = m.shapes();
    assertEquals(img(32, 28, 28), s.get(1));
    assertEquals(img(32, 14, 14), s.get(3));
    assertEquals(img(64, 14, 14), s.get(4));
    assertEquals(img(64, 7, 7), s.get(6));
    assertEquals(TensorShape.flat(3136), s.get(7));
    assertEquals(TensorShape.flat(128), s.get(8));
    assertEquals(TensorShape.flat(10), s.get(11));
    assertEquals(320 + 18496 + 401536 + 1290, m.paramCount());
    assertEquals(0, m.bufferCount());
  }

  @Test
  void denseAcceptsImagesAsFlattened() {
    ModelSpec m = new ModelSpec(img(2, 3, 3), List.of(new DenseSpec("fc", 4, true)),
        LossKind.SOFTMAX_CROSS_ENTROPY, 4);
    assertEquals(4 * 18 + 4, m.paramCount());
  }

  @Test
  void defaultNamesAndDuplicates() {
    ModelSpec m = new ModelSpec(img(1, 8, 8), List.of(
        Conv2dSpec.of(null, 2, 3, 1, 1), ActivationSpec.of(null, ActivationKind.RELU),
        Conv2dSpec.of("conv2d_1", 2, 3, 1, 1), Conv2dSpec.of(null, 2, 3, 1, 1),
        new FlattenSpec(null), new DenseSpec(null, 3, true)), LossKind.SOFTMAX_CROSS_ENTROPY, 3);
    assertEquals(List.of("conv2d_2", "relu_1", "conv2d_1", "conv2d_3", "flatten_1", "dense_1"),
        m.layers().stream().map(LayerSpec::name).toList());
    ModelSpecException e = assertThrows(ModelSpecException.class, () -> new ModelSpec(img(1, 4, 4), List.of(
        new FlattenSpec("a"), new DenseSpec("a", 3, true)), LossKind.SOFTMAX_CROSS_ENTROPY, 3));
    assertTrue(e.getMessage().contains("layer name a is used twice"), e.getMessage());
  }

  @Test
  void outputMustMatchClasses() {
    ModelSpecException e = assertThrows(ModelSpecException.class, () -> new ModelSpec(img(1, 4, 4), List.of(
        new DenseSpec("fc", 5, true)), LossKind.SOFTMAX_CROSS_ENTROPY, 10));
    assertTrue(e.getMessage().contains("expected classes = 10"), e.getMessage());
  }

  @Test
  void residualShapesMustMatch() {
    ResidualSpec identity = new ResidualSpec("res1", List.of(Conv2dSpec.of("c1", 4, 3, 1, 1)), null);
    ModelSpecException e = assertThrows(ModelSpecException.class, () -> identity.outputShape(img(2, 6, 6)));
    assertTrue(e.getMessage().startsWith("layer res1: body output (4, 6, 6) does not match the identity skip"),
        e.getMessage());
    ResidualSpec projected = new ResidualSpec("res1", List.of(Conv2dSpec.of("c1", 4, 3, 1, 1)),
        Conv2dSpec.of("proj", 4, 1, 1, 0));
    assertEquals(img(4, 6, 6), projected.outputShape(img(2, 6, 6)));
    assertEquals(4 * 2 * 9 + 4 + 4 * 2 + 4, projected.paramCount(img(2, 6, 6)));
  }

  @Test
  void convTransposeShape() {
    ConvTranspose2dSpec t = new ConvTranspose2dSpec("up", 3, 3, 3, 2, 2, 1, 1, true);
    assertEquals(img(3, 7, 7), t.outputShape(img(5, 4, 4)));
    assertEquals(5 * 3 * 9 + 3, t.paramCount(img(5, 4, 4)));
  }

  @Test
  void batchNormCounts() {
    BatchNormSpec bn = BatchNormSpec.of("bn");
    assertEquals(8, bn.paramCount(img(4, 5, 5)));
    assertEquals(8, bn.bufferCount(img(4, 5, 5)));
    assertEquals(6, bn.bufferCount(TensorShape.flat(3)));
  }

  @Test
  void specsSurviveJavaSerialization() throws Exception {
    ModelSpec m = new ModelSpec(img(1, 8, 8), List.of(new ResidualSpec(null,
        List.of(Conv2dSpec.of(null, 2, 3, 1, 1), BatchNormSpec.of(null)), Conv2dSpec.of(null, 2, 1, 1, 0)),
        new FlattenSpec(null), new DenseSpec(null, 3, true)), LossKind.MEAN_SQUARED_ERROR, 3);
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (java.io.ObjectOutputStream out = new java.io.ObjectOutputStream(bytes)) {
      out.writeObject(m);
    }
    try (java.io.ObjectInputStream in = new java.io.ObjectInputStream(
        new java.io.ByteArrayInputStream(bytes.toByteArray()))) {
      assertEquals(m, in.readObject());
    }
    ResidualSpec r = (ResidualSpec) m.layers().get(0);
    assertEquals("residual_1", r.name());
    assertEquals(List.of("conv2d_1", "batchnorm_1"), r.body().stream().map(LayerSpec::name).toList());
    assertEquals("conv2d_2", r.projection().name());
    assertEquals(4, m.bufferCount());
  }
}
