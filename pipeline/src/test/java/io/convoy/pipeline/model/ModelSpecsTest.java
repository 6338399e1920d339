package io.convoy.pipeline.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelSpecsTest {

  @SuppressWarnings("unchecked")
  private static Map<String, Object> json(String text) throws Exception {
    return new ObjectMapper().readValue(text.replace('\'', '"'), Map.class);
  }

  private static final String SMALL = "{'input': [1, 28, 28], 'loss': 'softmax_cross_entropy', 'classes': 10,"
      + " 'layers': [{'type': 'conv2d', 'name': 'conv1', 'filters': 8, 'kernel': 3, 'padding': 'same'},"
      + " {'type': 'relu'}, {'type': 'maxpool2d', 'kernel': 2}, {'type': 'batchnorm'},"
      + " {'type': 'residual', 'body': [{'type': 'conv2d', 'filters': 8, 'kernel': [3, 3], 'padding': [1, 1]},"
      + "   {'type': 'leaky_relu', 'alpha': 0.2}], 'projection': {'type': 'conv2d', 'filters': 8, 'kernel': 1}},"
      + " {'type': 'conv_transpose2d', 'filters': 4, 'kernel': 2, 'stride': 2, 'bias': false},"
      + " {'type': 'avgpool2d', 'kernel': [2, 2], 'stride': 2}, {'type': 'flatten'},"
      + " {'type': 'dense', 'units': 32}, {'type': 'elu'}, {'type': 'dropout', 'rate': 0.25},"
      + " {'type': 'tanh'}, {'type': 'dense', 'units': 10, 'bias': false}]}";

  @Test
  void parsesEveryLayerType() throws Exception {
    ModelSpec m = ModelSpecs.fromTree(json(SMALL), "model");
    assertEquals(new TensorShape(1, 28, 28), m.input());
    assertEquals(new Conv2dSpec("conv1", 8, 3, 3, 1, 1, 1, 1, true), m.layers().get(0));
    assertEquals(new MaxPool2dSpec("maxpool2d_1", 2, 2, 2, 2), m.layers().get(2));
    ResidualSpec r = (ResidualSpec) m.layers().get(4);
    assertEquals(new ActivationSpec("leaky_relu_1", ActivationKind.LEAKY_RELU, 0.2f), r.body().get(1));
    assertEquals(new Conv2dSpec("conv2d_2", 8, 1, 1, 1, 1, 0, 0, true), r.projection());
    assertEquals(new ConvTranspose2dSpec("conv_transpose2d_1", 4, 2, 2, 2, 2, 0, 0, false), m.layers().get(5));
    assertEquals(new TensorShape(4, 28, 28), m.shapes().get(6));
    assertEquals(new DropoutSpec("dropout_1", 0.25f), m.layers().get(10));
    assertEquals(new DenseSpec("dense_2", 10, false), m.layers().get(12));
  }

  @Test
  void roundTripGivesAnEqualSpec() throws Exception {
    for (ModelSpec m : List.of(ModelSpecs.fromTree(json(SMALL), "model"), ModelSpec.referenceCnn(),
        ModelSpec.lenet5(), ModelSpec.kerasCourse())) {
      Map<String, Object> tree = ModelSpecs.toTree(m);
      assertEquals(m, ModelSpecs.fromTree(tree, "model"));
      // and through JSON text, as a checkpoint header stores it
      ObjectMapper om = new ObjectMapper();
      @SuppressWarnings("unchecked")
      Map<String, Object> back = om.readValue(om.writeValueAsString(tree), Map.class);
      assertEquals(m, ModelSpecs.fromTree(back, "model"));
    }
  }

  @SuppressWarnings("unchecked")
  private static String error(String text, java.util.function.Consumer<Map<String, Object>> edit) throws Exception {
    Map<String, Object> tree = json(text);
    edit.accept(tree);
    return assertThrows(ModelSpecException.class, () -> ModelSpecs.fromTree(tree, "model")).getMessage();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> layer(Map<String, Object> tree, int i) {
    return (Map<String, Object>) ((List<Object>) tree.get("layers")).get(i);
  }

  @Test
  void errorsNameTheKeyPathAndTheValue() throws Exception {
    assertEquals("model.layers[3].kernel: expected a positive integer or [h, w], got -2",
        error(SMALL, t -> layer(t, 3).putAll(Map.of("type", "maxpool2d", "kernel", -2))));
    assertEquals("model.layers[0].kernel: expected a positive integer or [h, w], got [3, 0]",
        error(SMALL, t -> layer(t, 0).put("kernel", List.of(3, 0))));
    assertEquals("model.layers[0].filters: expected a positive integer, got 2.5",
        error(SMALL, t -> layer(t, 0).put("filters", 2.5)));
    assertEquals("model.layers[0].padding: expected a non-negative integer, [h, w], 'same' or 'valid', got 'full'",
        error(SMALL, t -> layer(t, 0).put("padding", "full")));
    assertEquals("model.classes: expected a positive integer, got 'ten'",
        error(SMALL, t -> t.put("classes", "ten")));
    assertEquals("model.input: expected [channels, height, width] of positive integers, got [28, 28]",
        error(SMALL, t -> t.put("input", List.of(28, 28))));
    assertEquals("model.layers[8].units: missing (required)",
        error(SMALL, t -> layer(t, 8).remove("units")));
    assertEquals("model.layers[10].rate: expected a number in [0, 1), got 1.5",
        error(SMALL, t -> layer(t, 10).put("rate", 1.5)));
    assertEquals("model.layers[4].body[1].alpha: expected a number, got 'x'",
        error(SMALL, t -> ((Map<String, Object>) ((List<Object>) layer(t, 4).get("body")).get(1)).put("alpha", "x")));
  }

  @Test
  void unknownTypesAndKeysAreListed() throws Exception {
    String msg = error(SMALL, t -> layer(t, 1).put("type", "gelu"));
    assertTrue(msg.startsWith("model.layers[1].type: unknown layer type 'gelu', expected one of [conv2d, "), msg);
    assertTrue(msg.contains("residual"), msg);
    assertEquals("model.layers[8]: unknown key(s) [kernal, unit], expected only [bias, name, type, units]",
        error(SMALL, t -> {
          layer(t, 8).put("kernal", 3);
          layer(t, 8).put("unit", 3);
        }));
    assertEquals("model: unknown key(s) [optimizer], expected only [classes, input, layers, loss]",
        error(SMALL, t -> t.put("optimizer", "adam")));
    msg = error(SMALL, t -> t.put("loss", "hinge"));
    assertTrue(msg.startsWith("model.loss: unknown loss 'hinge', expected one of [softmax_cross_entropy"), msg);
    assertEquals("model.layers[1]: unknown key(s) [alpha], expected only [name, type]",
        error(SMALL, t -> layer(t, 1).put("alpha", 0.1)));
  }

  @Test
  void shapeErrorsKeepThePathAndTheLayer() throws Exception {
    Map<String, Object> tree = new LinkedHashMap<>();
    tree.put("input", List.of(1, 7, 7));
    tree.put("loss", "softmax_cross_entropy");
    tree.put("classes", 2);
    List<Object> layers = new ArrayList<>();
    layers.add(new LinkedHashMap<>(Map.of("type", "conv2d", "name", "conv1", "filters", 1, "kernel", 3, "stride", 3)));
    layers.add(new LinkedHashMap<>(Map.of("type", "dense", "units", 2)));
    tree.put("layers", layers);
    String msg = assertThrows(ModelSpecException.class, () -> ModelSpecs.fromTree(tree, "model")).getMessage();
    assertEquals("model: layer conv1: (7 - 3) / 3 + 1 = 2.33 is not an integer "
        + "(input height 7, kernel 3, stride 3, padding 0)", msg);
    assertTrue(error(SMALL, t -> layer(t, 0).put("stride", 2)).startsWith("model.layers[0].padding: 'same' needs"));
  }
}
