package io.convoy.pipeline.io;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.ModelSpecs;
import io.convoy.pipeline.optim.OptimizerKind;
import io.convoy.pipeline.optim.OptimizerSpec;
import io.convoy.pipeline.train.EpochMetrics;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.zip.CRC32C;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * Reads and writes model and checkpoint files in Convoy's binary format (docs/model-format.md):
 * an 8-byte magic {@code "CONVOY\0\1"}, the format version, the header and data lengths, a UTF-8
 * JSON header, float32 little-endian sections and a CRC32C trailer over everything before it.
 *
 * <p>Files go to any Hadoop file system. A write goes to a temporary name in the target's folder and
 * is then renamed over the target, so a failed write never leaves the target missing or half
 * written. A read checks the magic, the version, the lengths against the file's size (before
 * allocating anything), the checksum and the section table; every error names the file.
 */
public final class ModelFile {
  /** The first 8 bytes of every file. */
  public static final byte[] MAGIC = {'C', 'O', 'N', 'V', 'O', 'Y', 0, 1};
  /** The format version this code writes and reads. */
  public static final int VERSION = 1;
  /** Bytes before the header: magic (8), version (4), header length (4), data length (8). */
  static final int PREFIX = 24;
  /** Bytes of the CRC32C trailer. */
  static final int TRAILER = 4;
  /** Largest header accepted. */
  static final int MAX_HEADER = 64 << 20;

  static final String PARAMS = "params";
  static final String BUFFERS = "buffers";
  static final String OPTIMIZER_STATE = "optimizer-state";

  private static final ObjectMapper JSON = new ObjectMapper();

  private ModelFile() {}

  // ---------------------------------------------------------------- writing

  /** Writes a model file to {@code path} (any Hadoop file system), replacing it atomically. */
  public static void write(Path path, Configuration conf, SavedModel model) {
    writeFile(path, conf, out -> encode(out, modelHeader(model, "model"), sections(model, null)));
  }

  /** Writes a checkpoint file to {@code path}, replacing it atomically. */
  public static void write(Path path, Configuration conf, Checkpoint ckpt) {
    writeFile(path, conf, out -> encode(out, checkpointHeader(ckpt), sections(ckpt.model(), ckpt.optimizerState())));
  }

  /** A model file's bytes (for broadcasting a model without a file system). */
  public static byte[] toBytes(SavedModel model) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      encode(out, modelHeader(model, "model"), sections(model, null));
    } catch (IOException e) {
      throw new ModelFileException("ModelFile.toBytes: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  /** A checkpoint file's bytes. */
  public static byte[] toBytes(Checkpoint ckpt) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      encode(out, checkpointHeader(ckpt), sections(ckpt.model(), ckpt.optimizerState()));
    } catch (IOException e) {
      throw new ModelFileException("ModelFile.toBytes: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  /**
   * Writes {@code bytes} to {@code path} (any Hadoop file system) the way model files are written: under a
   * temporary name beside it, then renamed over it, the previous file kept if the rename fails.
   */
  public static void writeAtomically(Path path, Configuration conf, byte[] bytes) {
    writeFile(path, conf, out -> out.write(bytes));
  }

  private interface Body {
    void writeTo(OutputStream out) throws IOException;
  }

  private static void writeFile(Path path, Configuration conf, Body body) {
    FileSystem fs;
    try {
      fs = path.getFileSystem(conf);
    } catch (IOException e) {
      throw new ModelFileException(path + ": no file system for this path: " + e.getMessage(), e);
    }
    path = fs.makeQualified(path);   // a relative path has no parent to put the temporary file in
    Path parent = path.getParent();
    String id = UUID.randomUUID().toString().substring(0, 8);
    Path tmp = new Path(parent, "." + path.getName() + ".tmp-" + id);
    try {
      try (FSDataOutputStream os = fs.create(tmp, false);
           OutputStream out = new BufferedOutputStream(os, 1 << 16)) {
        body.writeTo(out);
      }
      if (fs.rename(tmp, path)) {
        return;
      }
      // File systems such as HDFS refuse to rename onto an existing file: move the old one aside
      // first, and put it back if the second rename fails.
      if (!fs.exists(path)) {
        throw new IOException("could not rename " + tmp + " to " + path);
      }
      Path old = new Path(parent, "." + path.getName() + ".old-" + id);
      if (!fs.rename(path, old)) {
        throw new IOException("could not move the existing file aside to " + old);
      }
      if (!fs.rename(tmp, path)) {
        fs.rename(old, path);
        throw new IOException("could not rename " + tmp + " to " + path + " (the previous file was kept)");
      }
      fs.delete(old, false);
    } catch (IOException | RuntimeException e) {
      try {
        fs.delete(tmp, false);
      } catch (IOException suppressed) {
        e.addSuppressed(suppressed);
      }
      throw new ModelFileException(path + ": write failed: " + e.getMessage(), e);
    }
  }

  private static Map<String, float[]> sections(SavedModel m, float[] optimizerState) {
    Map<String, float[]> s = new LinkedHashMap<>();
    s.put(PARAMS, m.params());
    s.put(BUFFERS, m.buffers());
    if (optimizerState != null) {
      s.put(OPTIMIZER_STATE, optimizerState);
    }
    return s;
  }

  private static Map<String, Object> modelHeader(SavedModel m, String kind) {
    Map<String, Object> h = new LinkedHashMap<>();
    h.put("format", "convoy-model");
    h.put("kind", kind);
    h.put("model", ModelSpecs.toTree(m.spec()));
    h.put("metadata", m.metadata());
    return h;
  }

  private static Map<String, Object> checkpointHeader(Checkpoint c) {
    Map<String, Object> h = modelHeader(c.model(), "checkpoint");
    h.put("optimizer", optimizerTree(c.optimizer()));
    h.put("optimizer-step", c.optimizerStep());
    h.put("epoch", c.epoch());
    h.put("step", c.step());
    Map<String, Object> rng = new LinkedHashMap<>();
    rng.put("seed", c.seed());
    rng.put("state", c.rngState());
    h.put("rng", rng);
    h.put("config", c.config());
    List<Object> metrics = new ArrayList<>();
    for (EpochMetrics e : c.history()) {
      metrics.add(e.toMap());
    }
    h.put("metrics", metrics);
    return h;
  }

  /** The optimizer spec as a tree keyed like the {@code optimizer.*} config. */
  public static Map<String, Object> optimizerTree(OptimizerSpec o) {
    Map<String, Object> t = new LinkedHashMap<>();
    t.put("kind", o.kind().configName());
    t.put("learning-rate", (double) o.learningRate());
    t.put("momentum", (double) o.momentum());
    t.put("beta1", (double) o.beta1());
    t.put("beta2", (double) o.beta2());
    t.put("eps", (double) o.eps());
    t.put("weight-decay", (double) o.weightDecay());
    t.put("alpha", (double) o.alpha());
    t.put("clip-norm", (double) o.clipNorm());
    return t;
  }

  /** Reads {@link #optimizerTree}'s form; {@code where} names the file in errors. */
  static OptimizerSpec optimizerFromTree(Object tree, String where) {
    if (!(tree instanceof Map<?, ?> t)) {
      throw new ModelFileException(where + ": header.optimizer must be an object, got " + tree);
    }
    try {
      return new OptimizerSpec(OptimizerKind.parse(String.valueOf(t.get("kind")), "header.optimizer.kind"),
          f(t, "learning-rate", where), f(t, "momentum", where), f(t, "beta1", where), f(t, "beta2", where),
          f(t, "eps", where), f(t, "weight-decay", where), f(t, "alpha", where), f(t, "clip-norm", where));
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(where + ": header.optimizer: " + e.getMessage(), e);
    }
  }

  private static float f(Map<?, ?> t, String key, String where) {
    if (!(t.get(key) instanceof Number n)) {
      throw new ModelFileException(where + ": header.optimizer." + key + " must be a number, got " + t.get(key));
    }
    return n.floatValue();
  }

  /** Writes prefix, header, sections and the CRC32C trailer. */
  static void encode(OutputStream raw, Map<String, Object> header, Map<String, float[]> sections) throws IOException {
    List<Object> table = new ArrayList<>();
    long offset = 0;
    for (Map.Entry<String, float[]> s : sections.entrySet()) {
      Map<String, Object> e = new LinkedHashMap<>();
      long bytes = 4L * s.getValue().length;
      e.put("name", s.getKey());
      e.put("offset", offset);
      e.put("length", bytes);
      e.put("count", s.getValue().length);
      table.add(e);
      offset += bytes;
    }
    Map<String, Object> h = new LinkedHashMap<>(header);
    h.put("sections", table);
    byte[] json = JSON.writeValueAsBytes(h);
    CRC32C crc = new CRC32C();
    CheckedOutputStream out = new CheckedOutputStream(raw, crc);
    ByteBuffer prefix = ByteBuffer.allocate(PREFIX).order(ByteOrder.LITTLE_ENDIAN);
    prefix.put(MAGIC).putInt(VERSION).putInt(json.length).putLong(offset);
    out.write(prefix.array());
    out.write(json);
    ByteBuffer chunk = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] data : sections.values()) {
      for (int i = 0; i < data.length; ) {
        int n = Math.min(data.length - i, chunk.capacity() / 4);
        chunk.clear();
        chunk.asFloatBuffer().put(data, i, n);
        out.write(chunk.array(), 0, n * 4);
        i += n;
      }
    }
    out.flush();
    ByteBuffer trailer = ByteBuffer.allocate(TRAILER).order(ByteOrder.LITTLE_ENDIAN);
    trailer.putInt((int) crc.getValue());
    raw.write(trailer.array());
    raw.flush();
  }

  // ---------------------------------------------------------------- reading

  /** Reads a model file (a checkpoint file gives its model). */
  public static SavedModel readModel(Path path, Configuration conf) {
    Decoded d = readFile(path, conf);
    return model(d, path.toString());
  }

  /** Reads a checkpoint file; a model file is refused. */
  public static Checkpoint readCheckpoint(Path path, Configuration conf) {
    return checkpoint(readFile(path, conf), path.toString());
  }

  /** Reads a model from bytes made by {@link #toBytes(SavedModel)}; {@code name} names it in errors. */
  public static SavedModel modelFromBytes(byte[] bytes, String name) {
    return model(decodeBytes(bytes, name), name);
  }

  /** Reads a checkpoint from bytes made by {@link #toBytes(Checkpoint)}. */
  public static Checkpoint checkpointFromBytes(byte[] bytes, String name) {
    return checkpoint(decodeBytes(bytes, name), name);
  }

  private static Decoded decodeBytes(byte[] bytes, String name) {
    try {
      return decode(new ByteArrayInputStream(bytes), bytes.length, name);
    } catch (IOException e) {
      throw new ModelFileException(name + ": " + e.getMessage(), e);
    }
  }

  private static Decoded readFile(Path path, Configuration conf) {
    try {
      FileSystem fs = path.getFileSystem(conf);
      long len = fs.getFileStatus(path).getLen();
      try (InputStream in = new BufferedInputStream(fs.open(path), 1 << 16)) {
        return decode(in, len, path.toString());
      }
    } catch (IOException e) {
      throw new ModelFileException(path + ": cannot read: " + e.getMessage(), e);
    }
  }

  private static SavedModel model(Decoded d, String where) {
    ModelSpec spec;
    try {
      spec = ModelSpecs.fromTree(map(d.header.get("model"), where, "model"), "header.model");
      spec.paramCount();    // a spec whose sizes do not fit (a damaged header) fails here, naming the file
      spec.bufferCount();
    } catch (RuntimeException e) {
      throw new ModelFileException(where + ": " + e.getMessage(), e);
    }
    Map<String, Object> metadata = d.header.get("metadata") == null ? Map.of()
        : map(d.header.get("metadata"), where, "metadata");
    float[] params = d.section(PARAMS, where);
    float[] buffers = d.section(BUFFERS, where);
    if (params.length != spec.paramCount() || buffers.length != spec.bufferCount()) {
      throw new ModelFileException(where + ": the model spec has " + spec.paramCount() + " parameters and "
          + spec.bufferCount() + " buffer floats, the file holds " + params.length + " and " + buffers.length);
    }
    return new SavedModel(spec, params, buffers, metadata);
  }

  private static Checkpoint checkpoint(Decoded d, String where) {
    if (!"checkpoint".equals(d.header.get("kind"))) {
      throw new ModelFileException(where + ": header.kind is " + d.header.get("kind") + ", expected checkpoint");
    }
    SavedModel m = model(d, where);
    OptimizerSpec o = optimizerFromTree(d.header.get("optimizer"), where);
    Map<String, Object> rng = map(d.header.get("rng"), where, "rng");
    List<EpochMetrics> history = new ArrayList<>();
    if (d.header.get("metrics") instanceof List<?> list) {
      for (Object e : list) {
        history.add(EpochMetrics.fromMap(map(e, where, "metrics[]")));
      }
    }
    try {
      return new Checkpoint(m, o, d.section(OPTIMIZER_STATE, where), (int) num(d.header, "optimizer-step", where),
          (int) num(d.header, "epoch", where), num(d.header, "step", where), num(rng, "seed", where),
          num(rng, "state", where), d.header.get("config") == null ? "" : String.valueOf(d.header.get("config")),
          history);
    } catch (IllegalArgumentException e) {
      throw new ModelFileException(where + ": " + e.getMessage(), e);
    }
  }

  private static long num(Map<String, Object> m, String key, String where) {
    if (!(m.get(key) instanceof Number n)) {
      throw new ModelFileException(where + ": header." + key + " must be an integer, got " + m.get(key));
    }
    return n.longValue();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> map(Object v, String where, String key) {
    if (!(v instanceof Map)) {
      throw new ModelFileException(where + ": header." + key + " must be a JSON object, got " + v);
    }
    return (Map<String, Object>) v;
  }

  /** A parsed file: its header and its sections by name. */
  private record Decoded(Map<String, Object> header, Map<String, float[]> sections) {
    float[] section(String name, String where) {
      float[] s = sections.get(name);
      if (s == null) {
        throw new ModelFileException(where + ": section '" + name + "' is missing, the file holds "
            + sections.keySet());
      }
      return s;
    }
  }

  static Decoded decode(InputStream raw, long length, String where) throws IOException {
    long minimum = PREFIX + 2 + TRAILER;
    if (length < minimum) {
      throw new ModelFileException(where + ": " + length + " bytes, too short for a Convoy model file (at least "
          + minimum + ")");
    }
    CRC32C crc = new CRC32C();
    DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
    byte[] prefixBytes = new byte[PREFIX];
    readFully(in, prefixBytes, where, "prefix");
    ByteBuffer prefix = ByteBuffer.wrap(prefixBytes).order(ByteOrder.LITTLE_ENDIAN);
    byte[] magic = Arrays.copyOf(prefixBytes, MAGIC.length);
    if (!Arrays.equals(magic, MAGIC)) {
      throw new ModelFileException(where + ": not a Convoy model file, the magic bytes are " + hex(magic)
          + ", expected " + hex(MAGIC) + " (\"CONVOY\\0\\1\")");
    }
    int version = prefix.getInt(8);
    if (version != VERSION) {
      throw new ModelFileException(where + ": format version " + version + ", this reader knows version " + VERSION);
    }
    int headerLen = prefix.getInt(12);
    long dataLen = prefix.getLong(16);
    if (headerLen < 2 || headerLen > MAX_HEADER) {
      throw new ModelFileException(where + ": header length " + headerLen + " is outside [2, " + MAX_HEADER + "]");
    }
    if (dataLen < 0 || dataLen % 4 != 0 || dataLen > Integer.MAX_VALUE - 8) {
      throw new ModelFileException(where + ": data length " + dataLen
          + " is invalid, expected a multiple of 4 below 2^31");
    }
    long expected = PREFIX + (long) headerLen + dataLen + TRAILER;
    if (expected != length) {
      throw new ModelFileException(where + ": the file holds " + length + " bytes, its prefix promises " + expected
          + " (header " + headerLen + ", data " + dataLen + "): " + (length < expected ? "truncated" : "extra bytes"));
    }
    byte[] json = new byte[headerLen];
    readFully(in, json, where, "header");
    byte[] data = new byte[(int) dataLen];
    readFully(in, data, where, "data");
    int computed = (int) crc.getValue();
    byte[] trailer = new byte[TRAILER];
    readFully(raw, trailer, where, "checksum trailer");
    int stored = ByteBuffer.wrap(trailer).order(ByteOrder.LITTLE_ENDIAN).getInt();
    if (stored != computed) {
      throw new ModelFileException(where + ": checksum mismatch, stored CRC32C " + String.format("%08x", stored)
          + ", computed " + String.format("%08x", computed) + ": the file is corrupt");
    }
    Map<String, Object> header;
    try {
      header = JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
    } catch (IOException e) {
      throw new ModelFileException(where + ": header is not a JSON object: " + e.getMessage(), e);
    }
    Object kind = header.get("kind");
    if (!"model".equals(kind) && !"checkpoint".equals(kind)) {
      throw new ModelFileException(where + ": header.kind is " + kind + ", expected model or checkpoint");
    }
    Map<String, float[]> sections = new LinkedHashMap<>();
    if (!(header.get("sections") instanceof List<?> table)) {
      throw new ModelFileException(where + ": header.sections must be a list, got " + header.get("sections"));
    }
    long next = 0;
    ByteBuffer buf = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < table.size(); i++) {
      Map<String, Object> e = map(table.get(i), where, "sections[" + i + "]");
      String name = String.valueOf(e.get("name"));
      long off = num(e, "offset", where);
      long len = num(e, "length", where);
      long count = num(e, "count", where);
      if (off != next || len != 4 * count || count < 0 || off + len > dataLen) {
        throw new ModelFileException(where + ": header.sections[" + i + "] (" + name + ") has offset " + off
            + ", length " + len + ", count " + count + "; expected offset " + next
            + ", length = 4 * count, within the " + dataLen + " data bytes");
      }
      float[] values = new float[(int) count];
      buf.position((int) off);
      buf.slice().order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(values);
      sections.put(name, values);
      next = off + len;
    }
    if (next != dataLen) {
      throw new ModelFileException(where + ": the sections cover " + next + " of " + dataLen + " data bytes");
    }
    return new Decoded(header, sections);
  }

  private static void readFully(InputStream in, byte[] dst, String where, String part) throws IOException {
    int done = 0;
    while (done < dst.length) {
      int r = in.read(dst, done, dst.length - done);
      if (r < 0) {
        throw new ModelFileException(where + ": truncated in the " + part + " (" + done + " of " + dst.length
            + " bytes)", new EOFException());
      }
      done += r;
    }
  }

  private static String hex(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (byte x : b) {
      if (s.length() > 0) {
        s.append(' ');
      }
      s.append(String.format("%02x", x & 0xFF));
    }
    return s.toString();
  }
}
