package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RefJsonTest {

  @Test
  void parsesAllValueKinds() {
    Object v = RefJson.parse(
        "{\"a\": [1, -2.5e1, 3E-1], \"s\": \"x\\\"y\\u0041\\n\", \"t\": true, \"f\": false, \"z\": null, \"o\": {}}",
        "inline");
    Map<?, ?> m = (Map<?, ?>) v;
    assertEquals(List.of(1.0, -25.0, 0.3), m.get("a"));
    assertEquals("x\"yA\n", m.get("s"));
    assertEquals(Boolean.TRUE, m.get("t"));
    assertEquals(Boolean.FALSE, m.get("f"));
    assertTrue(m.containsKey("z"));
    assertEquals(null, m.get("z"));
    assertEquals(Map.of(), m.get("o"));
  }

  @Test
  @SuppressWarnings("unchecked")
  void extractsTensorsAndParams() {
    Map<String, Object> file = (Map<String, Object>) RefJson.parse(
        "{\"op\": \"x\", \"cases\": [{\"name\": \"c1\", \"params\": {\"stride\": [2, 1], \"alpha\": 0.5},"
            + " \"tensors\": {\"input\": {\"shape\": [1, 2], \"data\": [0.25, -1]}}}]}", "inline");
    Map<String, Object> c = RefJson.cases(file).get(0);
    assertEquals("c1", RefJson.name(c));
    assertArrayEquals(new float[] {0.25f, -1f}, RefJson.tensor(c, "input"));
    assertArrayEquals(new int[] {1, 2}, RefJson.shape(c, "input"));
    assertArrayEquals(new int[] {2, 1}, RefJson.intsParam(c, "stride"));
    assertEquals(0.5, RefJson.numberParam(c, "alpha"));
    assertTrue(RefJson.hasTensor(c, "input"));
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> RefJson.tensor(c, "weight"));
    assertTrue(e.getMessage().contains("c1") && e.getMessage().contains("weight"), e.getMessage());
  }

  @Test
  void reportsWhereTheTextIsBroken() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> RefJson.parse("{\"a\": [1, 2 3]}", "broken.json"));
    assertTrue(e.getMessage().contains("broken.json") && e.getMessage().contains("character 12"), e.getMessage());
  }

  /** The folder is the in-repo one by default; one named by the property that is missing or empty fails. */
  @Test
  void referenceFolderIsInTheRepositoryAndAMissingOrEmptyOneFails(@org.junit.jupiter.api.io.TempDir java.nio.file.Path tmp)
      throws java.io.IOException {
    String before = System.getProperty("convoy.reference.dir");
    try {
      System.clearProperty("convoy.reference.dir");
      java.nio.file.Path dir = RefJson.requireReferenceDir();
      assertTrue(dir.endsWith(RefJson.IN_REPO), dir.toString());
      assertTrue(java.nio.file.Files.isRegularFile(dir.resolve("conv2d.json")), dir + " has conv2d.json");

      java.nio.file.Path missing = tmp.resolve("no-such-folder");
      System.setProperty("convoy.reference.dir", missing.toString());
      IllegalStateException e = assertThrows(IllegalStateException.class, RefJson::requireReferenceDir);
      assertTrue(e.getMessage().contains(missing.toString()) && e.getMessage().contains("does not exist"),
          e.getMessage());

      java.nio.file.Path empty = java.nio.file.Files.createDirectory(tmp.resolve("empty"));
      java.nio.file.Files.writeString(empty.resolve("README.md"), "no cases here");
      System.setProperty("convoy.reference.dir", empty.toString());
      e = assertThrows(IllegalStateException.class, RefJson::requireReferenceDir);
      assertTrue(e.getMessage().contains(empty.toString()) && e.getMessage().contains("no *.json"), e.getMessage());
    } finally {
      if (before == null) {
        System.clearProperty("convoy.reference.dir");
      } else {
        System.setProperty("convoy.reference.dir", before);
      }
    }
  }
}
