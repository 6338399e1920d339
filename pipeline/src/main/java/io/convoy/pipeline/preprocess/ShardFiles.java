package io.convoy.pipeline.preprocess;

import io.convoy.pipeline.data.MiniBatch;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.preprocess.PreprocessOptions.ShardFormat;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.zip.CRC32C;
import java.util.zip.CheckedOutputStream;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.UInt1Vector;
import org.apache.arrow.vector.VarCharVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowFileReader;
import org.apache.arrow.vector.ipc.ArrowFileWriter;
import org.apache.arrow.vector.ipc.SeekableReadChannel;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;
import org.apache.arrow.vector.util.ByteArrayReadableSeekableByteChannel;

/**
 * The shard file: an Arrow IPC FILE (random-access format, magic {@code ARROW1}) with columns
 * <ul>
 *   <li>{@code pixels}: fixed-size list of {@code C*H*W} per row, NCHW; uint8 (raw 0..255) or float32
 *       (normalised; then the columns {@code pixels} and {@code labels} are exactly
 *       {@link MiniBatch}'s schema);</li>
 *   <li>{@code labels}: int32 class index;</li>
 *   <li>{@code path}: UTF-8 source file path relative to the input (for tracing a row to its file).</li>
 * </ul>
 * The schema metadata carries {@code convoy.shape = "c,h,w"} as MiniBatch does. Rows are written in
 * record batches of at most {@link #BATCH_ROWS}, so a task holds one batch, not a whole shard.
 */
final class ShardFiles {
  /** Rows per Arrow record batch inside a shard. */
  static final int BATCH_ROWS = 256;

  private ShardFiles() {
  }

  /** Bytes, CRC32C and row count of a written shard. */
  record Written(long bytes, long crc32c, int rows) {
  }

  static Schema schema(TensorShape shape, ShardFormat format) {
    ArrowType px = format == ShardFormat.UINT8 ? new ArrowType.Int(8, false)
        : new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
    Field item = new Field("$data$", FieldType.notNullable(px), null);
    Field pixels = new Field("pixels", FieldType.notNullable(new ArrowType.FixedSizeList(shape.size())), List.of(item));
    Field labels = new Field("labels", FieldType.notNullable(new ArrowType.Int(32, true)), null);
    Field path = new Field("path", FieldType.notNullable(ArrowType.Utf8.INSTANCE), null);
    return new Schema(List.of(pixels, labels, path),
        Map.of(MiniBatch.SHAPE_KEY, shape.c() + "," + shape.h() + "," + shape.w()));
  }

  /**
   * Streams rows into one shard file, counting bytes and CRC32C as they go out. Use:
   * {@code add(...)} per example, then {@link #finish()}; {@link #close()} always.
   */
  static final class Writer implements AutoCloseable {
    private final TensorShape shape;
    private final ShardFormat format;
    private final float[] scale;
    private final float[] shift;
    private final VectorSchemaRoot root;
    private final ArrowFileWriter writer;
    private final CRC32C crc = new CRC32C();
    private final CountingStream counted;
    private final FixedSizeListVector pixels;
    private final IntVector labels;
    private final VarCharVector paths;
    private int rows;
    private int total;

    /**
     * @param scale, shift per-channel {@code pixel * scale + shift} for float32 shards (ignored for uint8)
     */
    Writer(BufferAllocator allocator, OutputStream out, TensorShape shape, ShardFormat format, float[] scale,
        float[] shift) throws IOException {
      this.shape = shape;
      this.format = format;
      this.scale = scale;
      this.shift = shift;
      this.root = VectorSchemaRoot.create(schema(shape, format), allocator);
      this.pixels = (FixedSizeListVector) root.getVector("pixels");
      this.labels = (IntVector) root.getVector("labels");
      this.paths = (VarCharVector) root.getVector("path");
      this.counted = new CountingStream(new CheckedOutputStream(out, crc));
      this.writer = new ArrowFileWriter(root, null, new StreamChannel(counted));
      writer.start();
      pixels.setInitialCapacity(BATCH_ROWS);
      pixels.allocateNew();
      labels.allocateNew(BATCH_ROWS);
      paths.allocateNew(BATCH_ROWS * 48L, BATCH_ROWS);
      rows = 0;
    }

    /**
     * Empties the batch for the next rows, keeping its buffers: allocating a fresh multi-megabyte
     * batch every 256 rows cost more than the pixel copies (fresh pages, zeroed). Only validity bits
     * and the path offsets are cleared; pixel bytes and labels are overwritten row by row.
     */
    private void resetBatch() {
      pixels.getValidityBuffer().setZero(0, pixels.getValidityBuffer().capacity());
      FieldVector data = pixels.getDataVector();
      data.getValidityBuffer().setZero(0, data.getValidityBuffer().capacity());
      labels.getValidityBuffer().setZero(0, labels.getValidityBuffer().capacity());
      paths.reset();
      rows = 0;
    }

    /** Adds one example: {@code shape.size()} bytes of {@code px} from {@code off}. */
    void add(byte[] px, int off, int label, String relPath) throws IOException {
      int s = shape.size();
      int hw = shape.h() * shape.w();
      long base = (long) rows * s;
      if (format == ShardFormat.UINT8) {
        UInt1Vector data = (UInt1Vector) pixels.getDataVector();
        data.getDataBuffer().setBytes(base, px, off, s);
      } else {
        Float4Vector data = (Float4Vector) pixels.getDataVector();
        java.nio.FloatBuffer fb = data.getDataBuffer().nioBuffer(base * 4, s * 4).order(ByteOrder.LITTLE_ENDIAN)
            .asFloatBuffer();
        for (int c = 0; c < shape.c(); c++) {
          float sc = scale[c];
          float sh = shift[c];
          int o = off + c * hw;
          for (int k = 0; k < hw; k++) {
            fb.put((px[o + k] & 0xFF) * sc + sh);
          }
        }
      }
      pixels.setNotNull(rows);
      labels.set(rows, label);
      paths.setSafe(rows, relPath.getBytes(StandardCharsets.UTF_8));
      rows++;
      if (rows == BATCH_ROWS) {
        flush();
      }
    }

    private void flush() throws IOException {
      if (rows == 0) {
        return;
      }
      FieldVector data = pixels.getDataVector();
      int n = rows * shape.size();
      data.getValidityBuffer().setOne(0L, (n + 7L) / 8);
      data.setValueCount(n);
      pixels.setValueCount(rows);
      labels.setValueCount(rows);
      paths.setValueCount(rows);
      root.setRowCount(rows);
      writer.writeBatch();
      total += rows;
      resetBatch();
    }

    /** Writes the last batch and the file footer; returns size and checksum. */
    Written finish() throws IOException {
      flush();
      writer.end();
      counted.flush();
      return new Written(counted.count, crc.getValue(), total);
    }

    @Override
    public void close() throws IOException {
      try {
        writer.close();
      } finally {
        root.close();
      }
    }
  }

  /**
   * A channel onto an output stream that moves direct buffers (Arrow's) in 1 MiB pieces:
   * {@code Channels.newChannel} copies them 8 KiB at a time, one file system write each.
   */
  private static final class StreamChannel implements java.nio.channels.WritableByteChannel {
    private final OutputStream out;
    private byte[] chunk;
    private boolean open = true;

    StreamChannel(OutputStream out) {
      this.out = out;
    }

    @Override
    public int write(java.nio.ByteBuffer src) throws IOException {
      int n = src.remaining();
      if (src.hasArray()) {
        out.write(src.array(), src.arrayOffset() + src.position(), n);
        src.position(src.limit());
        return n;
      }
      if (chunk == null) {
        chunk = new byte[1 << 20];
      }
      while (src.hasRemaining()) {
        int k = Math.min(chunk.length, src.remaining());
        src.get(chunk, 0, k);
        out.write(chunk, 0, k);
      }
      return n;
    }

    @Override
    public boolean isOpen() {
      return open;
    }

    @Override
    public void close() throws IOException {
      if (open) {
        open = false;
        out.close();
      }
    }
  }

  /** Counts bytes on their way out. */
  private static final class CountingStream extends java.io.FilterOutputStream {
    long count;

    CountingStream(OutputStream out) {
      super(out);
    }

    @Override
    public void write(int b) throws IOException {
      out.write(b);
      count++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      out.write(b, off, len);
      count += len;
    }
  }

  /** The CRC32C of a whole byte array. */
  static long crc32c(byte[] bytes) {
    CRC32C c = new CRC32C();
    c.update(bytes, 0, bytes.length);
    return c.getValue();
  }

  /** Rows of a uint8 shard held in the JVM heap. */
  record Rows(int[] labels, byte[] pixels, List<String> paths) {
  }

  /**
   * Reads a whole uint8 or float32 shard from its bytes; {@code where} names the file in errors.
   * For float32 shards {@code pixels} is null and the floats come in {@code floats}.
   */
  static Rows read(byte[] bytes, BufferAllocator allocator, TensorShape shape, ShardFormat format, String where) {
    try (ArrowFileReader r = new ArrowFileReader(new SeekableReadChannel(new ByteArrayReadableSeekableByteChannel(bytes)),
        allocator)) {
      VectorSchemaRoot root = r.getVectorSchemaRoot();
      Schema want = schema(shape, format);
      if (!root.getSchema().getFields().equals(want.getFields())) {
        throw new IllegalArgumentException(where + ": columns are " + root.getSchema().getFields() + ", expected "
            + want.getFields());
      }
      // the footer's blocks must lie inside the file: Arrow allocates a block's metadata as the footer says
      List<org.apache.arrow.vector.ipc.message.ArrowBlock> blocks = new ArrayList<>(r.getRecordBlocks());
      blocks.addAll(r.getDictionaryBlocks());
      for (org.apache.arrow.vector.ipc.message.ArrowBlock b : blocks) {
        if (b.getOffset() < 0 || b.getMetadataLength() < 0 || b.getBodyLength() < 0
            || b.getOffset() + b.getMetadataLength() + b.getBodyLength() > bytes.length) {
          throw new IllegalArgumentException(where + ": a block at offset " + b.getOffset() + " with "
              + b.getMetadataLength() + " metadata and " + b.getBodyLength() + " body bytes does not fit in the "
              + bytes.length + "-byte file");
        }
      }
      List<int[]> lab = new ArrayList<>();
      List<byte[]> px = new ArrayList<>();
      List<String> paths = new ArrayList<>();
      int total = 0;
      while (r.loadNextBatch()) {
        int n = root.getRowCount();
        IntVector lv = (IntVector) root.getVector("labels");
        VarCharVector pv = (VarCharVector) root.getVector("path");
        FixedSizeListVector fv = (FixedSizeListVector) root.getVector("pixels");
        // a damaged batch may claim more rows than its buffers hold: refuse before allocating for them
        if (n < 0 || n > 0 && (4L * n > lv.getDataBuffer().capacity() || 4L * (n + 1) > pv.getOffsetBuffer().capacity()
            || format == ShardFormat.UINT8 && (long) n * shape.size() > fv.getDataVector().getDataBuffer().capacity())
            || ((long) total + n) * shape.size() > Integer.MAX_VALUE - 16) {
          throw new IllegalArgumentException(where + ": a record batch claims " + n + " rows, more than its buffers"
              + " hold (" + lv.getDataBuffer().capacity() + " label bytes) or than one array holds");
        }
        int[] l = new int[n];
        for (int i = 0; i < n; i++) {
          l[i] = lv.get(i);
          long start = pv.getStartOffset(i);
          long len = pv.getValueLength(i);
          if (start < 0 || len < 0 || start + len > pv.getDataBuffer().capacity()) {   // before get() allocates len
            throw new IllegalArgumentException(where + ": row " + i + " path has offsets " + start + " + " + len
                + ", outside its " + pv.getDataBuffer().capacity() + "-byte buffer");
          }
          paths.add(new String(pv.get(i), StandardCharsets.UTF_8));
        }
        lab.add(l);
        FixedSizeListVector fl = (FixedSizeListVector) root.getVector("pixels");
        if (format == ShardFormat.UINT8) {
          byte[] b = new byte[n * shape.size()];
          fl.getDataVector().getDataBuffer().getBytes(0, b, 0, b.length);
          px.add(b);
        }
        total += n;
      }
      int[] labels = new int[total];
      byte[] pixels = format == ShardFormat.UINT8 ? new byte[total * shape.size()] : null;
      int at = 0;
      for (int k = 0; k < lab.size(); k++) {
        int[] l = lab.get(k);
        System.arraycopy(l, 0, labels, at, l.length);
        if (pixels != null) {
          System.arraycopy(px.get(k), 0, pixels, at * shape.size(), l.length * shape.size());
        }
        at += l.length;
      }
      return new Rows(labels, pixels, paths);
    } catch (IOException e) {
      throw new IllegalArgumentException(where + ": not a readable Arrow IPC file: " + e, e);
    } catch (RuntimeException e) {   // Arrow's own checks on damaged metadata throw all kinds of unchecked errors
      if (e instanceof IllegalArgumentException && e.getMessage() != null && e.getMessage().startsWith(where)) {
        throw e;
      }
      throw new IllegalArgumentException(where + ": not a readable Arrow IPC file: " + e, e);
    }
  }
}
