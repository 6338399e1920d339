package io.convoy.pipeline.data;

import io.convoy.kernels.ArrowCopy;
import io.convoy.pipeline.model.TensorShape;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * A mini-batch of normalised images and labels in Arrow memory, one row per example, in one
 * {@link VectorSchemaRoot}:
 * <ul>
 *   <li>{@code "pixels"}: a fixed-size list of {@code C*H*W} float32 per row, whose data vector is a
 *       {@link Float4Vector} holding {@code batch*C*H*W} floats, NCHW, contiguous;</li>
 *   <li>{@code "labels"}: an {@link IntVector} of class indices.</li>
 * </ul>
 * (A fixed-size list rather than a bare Float4Vector keeps one row per example, so the root's row
 * count is the batch size and the batch survives Arrow IPC unchanged.) The example shape travels in
 * the schema metadata under {@code convoy.shape} ({@code "c,h,w"}).
 *
 * <p>Owns its Arrow buffers: close it (try-with-resources).
 */
public final class MiniBatch implements AutoCloseable {
  /** Schema metadata key of the example shape. */
  public static final String SHAPE_KEY = "convoy.shape";

  private final TensorShape shape;
  private final int capacity;
  private final VectorSchemaRoot root;
  private final FixedSizeListVector pixels;
  private final Float4Vector pixelData;
  private final IntVector labels;

  private MiniBatch(TensorShape shape, int capacity, FixedSizeListVector pixels, IntVector labels, int rows) {
    this.shape = shape;
    this.capacity = capacity;
    this.pixels = pixels;
    this.pixelData = (Float4Vector) pixels.getDataVector();
    this.labels = labels;
    List<FieldVector> vectors = List.of(pixels, labels);
    List<Field> fields = new ArrayList<>();
    for (FieldVector v : vectors) {
      fields.add(v.getField());
    }
    Schema schema = new Schema(fields, Map.of(SHAPE_KEY, shape.c() + "," + shape.h() + "," + shape.w()));
    this.root = new VectorSchemaRoot(schema, vectors, rows);
  }

  /** An empty batch (size 0) with room for {@code capacity} examples of {@code shape}. */
  public static MiniBatch allocate(BufferAllocator allocator, TensorShape shape, int capacity) {
    if (capacity <= 0) {
      throw new IllegalArgumentException("MiniBatch.allocate: capacity must be > 0, got " + capacity);
    }
    long floats = (long) capacity * shape.size();
    if (floats > Integer.MAX_VALUE / 4) {
      throw new IllegalArgumentException("MiniBatch.allocate: " + capacity + " examples of " + shape + " need "
          + floats + " floats, more than one Arrow buffer holds");
    }
    FixedSizeListVector px = FixedSizeListVector.empty("pixels", shape.size(), allocator);
    IntVector lb = null;
    try {
      px.addOrGetVector(FieldType.notNullable(new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE)));
      px.setInitialCapacity(capacity);
      px.allocateNew();
      lb = new IntVector("labels", allocator);
      lb.allocateNew(capacity);
      return new MiniBatch(shape, capacity, px, lb, 0);
    } catch (RuntimeException e) {
      px.close();
      if (lb != null) {
        lb.close();
      }
      throw e;
    }
  }

  /** Examples in the batch. */
  public int size() {
    return root.getRowCount();
  }

  /** Largest batch this holds. */
  public int capacity() {
    return capacity;
  }

  /** One example's shape. */
  public TensorShape shape() {
    return shape;
  }

  /** The Arrow root (for Spark's Arrow paths); owned by this batch. */
  public VectorSchemaRoot root() {
    return root;
  }

  /**
   * Fills the batch with examples {@code [from, from+count)} of {@code set}, normalised; the size
   * becomes {@code count}.
   */
  public void fill(ImageSet set, int from, int count, Normalization norm) {
    int[] order = new int[count];
    for (int i = 0; i < count; i++) {
      order[i] = from + i;
    }
    if (from < 0 || (long) from + count > set.size()) {
      throw new IllegalArgumentException("MiniBatch.fill: range [" + from + ", " + ((long) from + count)
          + ") is outside the " + set.size() + " examples");
    }
    fill(set, order, 0, count, norm);
  }

  /** Fills the batch with examples {@code order[from .. from+count)} of {@code set}, normalised. */
  public void fill(ImageSet set, int[] order, int from, int count, Normalization norm) {
    if (!set.shape().equals(shape)) {
      throw new IllegalArgumentException("MiniBatch.fill: images are " + set.shape() + ", the batch holds " + shape);
    }
    if (count < 0 || count > capacity) {
      throw new IllegalArgumentException("MiniBatch.fill: " + count + " examples do not fit in capacity " + capacity);
    }
    int n = count * shape.size();
    float[] x = new float[n];
    int[] y = new int[count];
    Batcher.fill(set, order, from, count, norm, null, 0L, x, y);
    set(x, y, count);
  }

  /** Sets the batch from floats ({@code count * shape.size()}, NCHW) and labels. */
  public void set(float[] x, int[] y, int count) {
    if (count < 0 || count > capacity || x.length < count * shape.size() || y.length < count) {
      throw new IllegalArgumentException("MiniBatch.set: " + count + " examples (capacity " + capacity
          + ") from arrays of " + x.length + " floats and " + y.length + " labels");
    }
    int n = count * shape.size();
    ArrowBuf data = pixelData.getDataBuffer();
    data.nioBuffer(0, n * 4).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(x, 0, n);
    pixelData.getValidityBuffer().setOne(0, (n + 7) / 8);
    for (int i = 0; i < count; i++) {
      pixels.setNotNull(i);
      labels.set(i, y[i]);
    }
    root.setRowCount(count);
    pixelData.setValueCount(n);
  }

  /** Copies the {@code size() * shape.size()} pixel floats into {@code dst} from 0 (one bulk copy). */
  public void copyPixelsTo(float[] dst) {
    copyPixelsTo(dst, 0);
  }

  /** Copies the {@code size() * shape.size()} pixel floats into {@code dst} from {@code off} (one bulk copy). */
  public void copyPixelsTo(float[] dst, int off) {
    int n = size() * shape.size();
    if (off < 0 || dst.length - off < n) {
      throw new IllegalArgumentException("MiniBatch.copyPixelsTo: needs " + n + " floats from offset " + off
          + ", array length is " + dst.length);
    }
    ArrowCopy.floats(pixelData.getDataBuffer(), 0L, dst, off, n);
  }

  /** Copies the {@code size()} labels into {@code dst} from 0 (one bulk copy). */
  public void copyLabelsTo(int[] dst) {
    copyLabelsTo(dst, 0);
  }

  /** Copies the {@code size()} labels into {@code dst} from {@code off} (one bulk copy). */
  public void copyLabelsTo(int[] dst, int off) {
    if (off < 0 || dst.length - off < size()) {
      throw new IllegalArgumentException("MiniBatch.copyLabelsTo: needs " + size() + " ints from offset " + off
          + ", array length is " + dst.length);
    }
    ArrowCopy.ints(labels.getDataBuffer(), 0L, dst, off, size());
  }

  /** The batch as an Arrow IPC stream (schema + one record batch). */
  public byte[] toIpcBytes() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(64 + size() * (shape.size() * 4 + 8));
    try (ArrowStreamWriter w = new ArrowStreamWriter(root, null, Channels.newChannel(out))) {
      w.start();
      w.writeBatch();
      w.end();
    } catch (IOException e) {
      throw new UncheckedIOException("MiniBatch.toIpcBytes: " + e.getMessage(), e);
    }
    return out.toByteArray();
  }

  /** Reads a batch written by {@link #toIpcBytes()}; the new batch's buffers come from {@code allocator}. */
  public static MiniBatch fromIpcBytes(BufferAllocator allocator, byte[] bytes) {
    try (ArrowStreamReader r = new ArrowStreamReader(new ByteArrayInputStream(bytes), allocator)) {
      VectorSchemaRoot in = r.getVectorSchemaRoot();
      String shapeText = in.getSchema().getCustomMetadata() == null ? null
          : in.getSchema().getCustomMetadata().get(SHAPE_KEY);
      TensorShape shape = parseShape(shapeText);
      if (!r.loadNextBatch()) {
        throw new IllegalArgumentException("MiniBatch.fromIpcBytes: the stream of " + bytes.length
            + " bytes holds a schema but no record batch");
      }
      int rows = in.getRowCount();
      if (!(in.getVector("pixels") instanceof FixedSizeListVector px) || !(in.getVector("labels") instanceof IntVector)
          || px.getListSize() != shape.size()) {
        throw new IllegalArgumentException("MiniBatch.fromIpcBytes: expected columns pixels (fixed-size list of "
            + shape.size() + " float32) and labels (int32), got schema " + in.getSchema());
      }
      MiniBatch b = allocate(allocator, shape, Math.max(1, rows));
      try {
        float[] x = new float[rows * shape.size()];
        int[] y = new int[rows];
        ArrowCopy.floats(((Float4Vector) px.getDataVector()).getDataBuffer(), 0L, x, 0, x.length);
        ArrowCopy.ints(((IntVector) in.getVector("labels")).getDataBuffer(), 0L, y, 0, rows);
        b.set(x, y, rows);
        return b;
      } catch (RuntimeException e) {
        b.close();
        throw e;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("MiniBatch.fromIpcBytes: not a readable Arrow IPC stream (" + bytes.length
          + " bytes): " + e.getMessage(), e);
    }
  }

  private static TensorShape parseShape(String text) {
    if (text != null) {
      String[] p = text.split(",");
      if (p.length == 3) {
        try {
          return new TensorShape(Integer.parseInt(p[0].trim()), Integer.parseInt(p[1].trim()), Integer.parseInt(p[2].trim()));
        } catch (NumberFormatException e) {
          // reported below
        }
      }
    }
    throw new IllegalArgumentException("MiniBatch.fromIpcBytes: schema metadata " + SHAPE_KEY
        + " must be \"c,h,w\", got " + text);
  }

  @Override
  public void close() {
    root.close();
  }
}
