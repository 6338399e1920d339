package io.convoy.pipeline.preprocess;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.preprocess.PreprocessOptions.ShardFormat;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Serializable;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * The {@code manifest.json} of a shard folder: what the shards hold and how to check them. Written
 * last, so a folder without one is not a result. Contains no time stamps: the same input and
 * config give a byte-identical manifest.
 *
 * @param shape one example (C, H, W)
 * @param format pixel type of the shards
 * @param classes class names; a label is an index into this list
 * @param splits per split name (train, validation, test; only the non-empty ones): counts and shards
 * @param normalization per-channel mean/std of pixel / 255 to apply (computed, given, or unit)
 * @param normalizeMode none, compute or given
 * @param summary read / written / rejected counts, rejects by reason
 * @param config the options used, as a config tree
 */
public record ShardManifest(TensorShape shape, ShardFormat format, List<String> classes, Map<String, SplitInfo> splits,
    Normalization normalization, String normalizeMode, Map<String, Object> summary, Map<String, Object> config)
    implements Serializable {
  private static final long serialVersionUID = 1L;
  /** File name inside the shard folder. */
  public static final String FILE = "manifest.json";
  /** The value of the manifest's {@code format} field. */
  public static final String KIND = "convoy-shards";
  /** Layout version this code writes and reads. */
  public static final int VERSION = 1;
  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  /**
   * One split.
   *
   * @param count examples
   * @param perClass examples per class index
   * @param shards the shard files in record order
   */
  public record SplitInfo(long count, long[] perClass, List<ShardInfo> shards) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /**
   * One shard file.
   *
   * @param file path relative to the shard folder ({@code train/part-00000.arrow})
   * @param rows examples in it
   * @param firstRecord record number (within the split) of its first row
   * @param bytes file length
   * @param crc32c CRC32C of the whole file
   */
  public record ShardInfo(String file, int rows, long firstRecord, long bytes, long crc32c) implements Serializable {
    private static final long serialVersionUID = 1L;
  }

  /** The manifest as a JSON tree (ordered, so the text is reproducible). */
  public Map<String, Object> toTree() {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("format", KIND);
    t.put("version", VERSION);
    t.put("shape", List.of(shape.c(), shape.h(), shape.w()));
    t.put("pixel_type", format.key());
    t.put("classes", classes);
    Map<String, Object> idx = new LinkedHashMap<>();
    for (int i = 0; i < classes.size(); i++) {
      idx.put(classes.get(i), i);
    }
    t.put("class_index", idx);
    Map<String, Object> n = new LinkedHashMap<>();
    n.put("mode", normalizeMode);
    n.put("mean", toList(normalization.mean()));
    n.put("std", toList(normalization.std()));
    t.put("normalization", n);
    Map<String, Object> sp = new LinkedHashMap<>();
    for (Map.Entry<String, SplitInfo> e : splits.entrySet()) {
      SplitInfo s = e.getValue();
      Map<String, Object> st = new LinkedHashMap<>();
      st.put("count", s.count());
      Map<String, Object> pc = new LinkedHashMap<>();
      for (int c = 0; c < classes.size(); c++) {
        pc.put(classes.get(c), s.perClass()[c]);
      }
      st.put("per_class", pc);
      List<Object> sh = new ArrayList<>();
      for (ShardInfo i : s.shards()) {
        Map<String, Object> it = new LinkedHashMap<>();
        it.put("file", i.file());
        it.put("rows", i.rows());
        it.put("first_record", i.firstRecord());
        it.put("bytes", i.bytes());
        it.put("crc32c", String.format("%08x", i.crc32c()));
        sh.add(it);
      }
      st.put("shards", sh);
      sp.put(e.getKey(), st);
    }
    t.put("splits", sp);
    t.put("summary", summary);
    t.put("config", config);
    return t;
  }

  /** The JSON text. */
  public byte[] toJson() {
    try {
      return (JSON.writeValueAsString(toTree()) + "\n").getBytes(StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new IllegalStateException("manifest cannot be written as JSON: " + e, e);
    }
  }

  /** Writes {@code folder/manifest.json}. */
  void write(Path folder, Configuration conf) throws IOException {
    try (OutputStream out = Preprocessor.create(new Path(folder, FILE), conf)) {
      out.write(toJson());
    }
  }

  /**
   * Reads and checks {@code folder/manifest.json}. A folder without one, or one that is not a
   * complete Convoy manifest, is refused with the folder named.
   */
  public static ShardManifest read(String folder, Configuration conf) {
    Path dir = new Path(folder);
    if (dir.getName().contains(Preprocessor.TMP_MARK)) {
      throw new IllegalArgumentException(folder + " is the temporary folder of a preprocessing run that did not"
          + " commit; expected the committed output folder");
    }
    Path p = new Path(dir, FILE);
    Map<String, Object> t;
    try {
      FileSystem fs = p.getFileSystem(conf);
      if (!fs.exists(p)) {
        throw new IllegalArgumentException(folder + " has no " + FILE + ": not a complete shard folder (an interrupted"
            + " or foreign folder is never read)");
      }
      try (InputStream in = fs.open(p)) {
        @SuppressWarnings("unchecked")
        Map<String, Object> m = JSON.readValue(in, Map.class);
        t = m;
      }
    } catch (IOException e) {
      throw new IllegalArgumentException(p + ": cannot read the manifest: " + e, e);
    }
    return fromTree(t, p.toString());
  }

  /** Parses a manifest tree; {@code where} names the file in errors. */
  @SuppressWarnings("unchecked")
  static ShardManifest fromTree(Map<String, Object> t, String where) {
    try {
      if (!KIND.equals(t.get("format")) || !(t.get("version") instanceof Number v) || v.intValue() != VERSION) {
        throw new IllegalArgumentException(where + ": format/version are " + t.get("format") + "/" + t.get("version")
            + ", expected " + KIND + "/" + VERSION);
      }
      List<Number> sh = (List<Number>) t.get("shape");
      TensorShape shape = new TensorShape(sh.get(0).intValue(), sh.get(1).intValue(), sh.get(2).intValue());
      ShardFormat format = ShardFormat.valueOf(((String) t.get("pixel_type")).toUpperCase(Locale.ROOT));
      List<String> classes = new ArrayList<>((List<String>) t.get("classes"));
      Map<String, Object> n = (Map<String, Object>) t.get("normalization");
      Normalization norm = new Normalization(floats((List<Number>) n.get("mean")), floats((List<Number>) n.get("std")));
      Map<String, SplitInfo> splits = new LinkedHashMap<>();
      for (Map.Entry<String, Object> e : ((Map<String, Object>) t.get("splits")).entrySet()) {
        Map<String, Object> st = (Map<String, Object>) e.getValue();
        Map<String, Object> pc = (Map<String, Object>) st.get("per_class");
        long[] perClass = new long[classes.size()];
        for (int c = 0; c < classes.size(); c++) {
          Object x = pc.get(classes.get(c));
          perClass[c] = x == null ? 0 : ((Number) x).longValue();
        }
        List<ShardInfo> shards = new ArrayList<>();
        long next = 0;
        for (Object o : (List<Object>) st.get("shards")) {
          Map<String, Object> it = (Map<String, Object>) o;
          ShardInfo info = new ShardInfo((String) it.get("file"), ((Number) it.get("rows")).intValue(),
              ((Number) it.get("first_record")).longValue(), ((Number) it.get("bytes")).longValue(),
              Long.parseLong((String) it.get("crc32c"), 16));
          if (info.firstRecord() != next || info.rows() < 0 || info.file().isEmpty() || info.file().contains("..")) {
            throw new IllegalArgumentException(where + ": split " + e.getKey() + " shard " + info.file()
                + " starts at record " + info.firstRecord() + " with " + info.rows() + " rows, expected start " + next);
          }
          next += info.rows();
          shards.add(info);
        }
        long count = ((Number) st.get("count")).longValue();
        if (count != next) {
          throw new IllegalArgumentException(where + ": split " + e.getKey() + " count is " + count
              + " but its shards hold " + next + " rows");
        }
        splits.put(e.getKey(), new SplitInfo(count, perClass, shards));
      }
      return new ShardManifest(shape, format, classes, splits, norm, (String) n.get("mode"),
          (Map<String, Object>) t.get("summary"), (Map<String, Object>) t.get("config"));
    } catch (ClassCastException | NullPointerException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException(where + ": not a complete Convoy shard manifest (" + e + ")", e);
    } catch (IllegalArgumentException e) {   // bad shape, normalisation, pixel type or CRC text: name the file
      if (e.getMessage() != null && e.getMessage().startsWith(where)) {
        throw e;
      }
      throw new IllegalArgumentException(where + ": not a valid Convoy shard manifest: " + e.getMessage(), e);
    }
  }

  /** The named split, or an error naming the splits that exist. */
  public SplitInfo split(String name) {
    SplitInfo s = splits.get(name);
    if (s == null) {
      throw new IllegalArgumentException("shard split \"" + name + "\" does not exist, the manifest holds "
          + splits.keySet());
    }
    return s;
  }

  private static List<Double> toList(float[] f) {
    List<Double> l = new ArrayList<>();
    for (float v : f) {
      l.add((double) v);
    }
    return l;
  }

  private static float[] floats(List<Number> l) {
    float[] f = new float[l.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = l.get(i).floatValue();
    }
    return f;
  }
}
