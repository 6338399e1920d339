package io.convoy.pipeline.preprocess;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.ObjectInputStream;
import java.io.ObjectOutputStream;
import java.util.Locale;
import org.junit.jupiter.api.Test;

/**
 * A shard task survives Java serialization (how Spark ships it) unchanged, whether its paths share
 * the listing's prefix (packed once) or not (IDX records, mixed prefixes: kept in full).
 */
class TaskSerializationTest {

  @Test
  void roundTripsWithAndWithoutACommonPrefix() throws Exception {
    int n = 1000;
    Preprocessor.Entry[] listed = new Preprocessor.Entry[n];
    Preprocessor.Entry[] mixed = new Preprocessor.Entry[n];
    Preprocessor.Entry[] idx = new Preprocessor.Entry[n];
    for (int i = 0; i < n; i++) {
      String rel = "class" + (i % 7) + "/img-" + i + ".png";
      listed[i] = new Preprocessor.Entry("file:/data/images/" + rel, rel, 300 + i, i % 7, i % 3, -1);
      mixed[i] = new Preprocessor.Entry((i == 500 ? "hdfs://nn:8020/other/" : "file:/data/images/") + rel, rel, 10L * i,
          i % 7, 0, -1);
      idx[i] = new Preprocessor.Entry("file:/data/t10k-images-idx3-ubyte#" + i,
          String.format(Locale.ROOT, "record-%08d", i), 0, i % 10, 2, i);
    }
    for (Preprocessor.Entry[] es : new Preprocessor.Entry[][] {listed, mixed, idx, new Preprocessor.Entry[0]}) {
      Preprocessor.Task t = new Preprocessor.Task(3, 1, 7, es);
      Preprocessor.Task back = (Preprocessor.Task) roundTrip(t);
      assertEquals(3, back.number());
      assertEquals(1, back.split());
      assertEquals(7, back.index());
      assertEquals(t.file(), back.file());
      assertArrayEquals(es, back.entries());
    }
    // what packing saves: the same entries serialized as a Task (packed) and as the bare record array
    long bytesPacked = size(new Preprocessor.Task(0, 0, 0, listed));
    long bytesRecords = size(listed);
    System.out.printf(Locale.ROOT, "1000 listed entries: %d bytes as a packed task, %d as records%n", bytesPacked,
        bytesRecords);
  }

  private static Object roundTrip(Object o) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(b)) {
      out.writeObject(o);
    }
    try (ObjectInputStream in = new ObjectInputStream(new ByteArrayInputStream(b.toByteArray()))) {
      return in.readObject();
    }
  }

  private static long size(Object o) throws Exception {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    try (ObjectOutputStream out = new ObjectOutputStream(b)) {
      out.writeObject(o);
    }
    return b.size();
  }
}
