package io.convoy.pipeline.ml;

import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.TensorShape;
import java.util.Set;
import org.apache.spark.ml.linalg.Vector;
import org.apache.spark.ml.linalg.VectorUDT;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.BinaryType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DoubleType;
import org.apache.spark.sql.types.FloatType;
import org.apache.spark.sql.types.NumericType;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import scala.collection.immutable.ArraySeq;
import scala.collection.Seq;

/**
 * The feature column types the Spark ML stages read, and how one value becomes an example of the
 * model's input shape (C, H, W).
 *
 * <ul>
 *   <li>{@link #IMAGE}: Spark's image data source struct ({@code origin, height, width, nChannels,
 *       mode, data}); {@code data} holds unsigned bytes row after row, pixel after pixel, channels in
 *       BGR(A) order. Channels are reordered to RGB(A) planes (CHW), and {@code height},
 *       {@code width} and {@code nChannels} must equal the model input's H, W and C.</li>
 *   <li>{@link #BYTES}: {@code binary}, {@code C*H*W} unsigned bytes already in CHW order (what
 *       {@link ShardFrames} gives).</li>
 *   <li>{@link #FLOATS}, {@link #DOUBLES}, {@link #VECTOR}: {@code array<float>},
 *       {@code array<double>} or an ML {@code Vector} of {@code C*H*W} values in CHW order, used as
 *       they are (no normalisation: they are taken to be normalised already).</li>
 * </ul>
 * Byte kinds are normalised per channel ({@code pixel / 255}, then mean and std) with the
 * statistics computed at fit time.
 */
public enum FeatureKind {
  /** Spark's image data source struct. */
  IMAGE(true),
  /** Binary CHW unsigned bytes. */
  BYTES(true),
  /** {@code array<float>}. */
  FLOATS(false),
  /** {@code array<double>}. */
  DOUBLES(false),
  /** ML vector. */
  VECTOR(false);

  private static final Set<String> IMAGE_FIELDS = Set.of("origin", "height", "width", "nChannels", "mode", "data");

  private final boolean bytes;

  FeatureKind(boolean bytes) {
    this.bytes = bytes;
  }

  /** True when values are unsigned bytes that the model normalises. */
  public boolean isBytes() {
    return bytes;
  }

  /**
   * The kind of column {@code col} of {@code schema}; fails naming {@code who}'s param
   * {@code featuresCol}, the column and the type found.
   */
  public static FeatureKind of(StructType schema, String col, String who) {
    if (!java.util.Arrays.asList(schema.fieldNames()).contains(col)) {
      throw new IllegalArgumentException(who + " param featuresCol: column \"" + col + "\" does not exist; columns are "
          + String.join(", ", schema.fieldNames()));
    }
    DataType t = schema.apply(col).dataType();
    if (t instanceof StructType s && java.util.Arrays.asList(s.fieldNames()).containsAll(IMAGE_FIELDS)) {
      return IMAGE;
    }
    if (t instanceof BinaryType) {
      return BYTES;
    }
    if (t instanceof ArrayType a && a.elementType() instanceof FloatType) {
      return FLOATS;
    }
    if (t instanceof ArrayType a && a.elementType() instanceof DoubleType) {
      return DOUBLES;
    }
    if (t instanceof VectorUDT) {
      return VECTOR;
    }
    throw new IllegalArgumentException(who + " param featuresCol: column \"" + col + "\" has type "
        + t.simpleString() + "; expected an image struct (Spark's image data source), binary (CHW bytes),"
        + " array<float>, array<double> or vector");
  }

  /** Checks that {@code col} exists and is numeric (the label column). */
  static void checkLabel(StructType schema, String col, String who) {
    if (!java.util.Arrays.asList(schema.fieldNames()).contains(col)) {
      throw new IllegalArgumentException(who + " param labelCol: column \"" + col + "\" does not exist; columns are "
          + String.join(", ", schema.fieldNames()));
    }
    DataType t = schema.apply(col).dataType();
    if (!(t instanceof NumericType)) {
      throw new IllegalArgumentException(who + " param labelCol: column \"" + col + "\" has type " + t.simpleString()
          + "; expected a numeric type holding class indices 0, 1, ...");
    }
  }

  /** Fails when an output column already exists. */
  static void checkNew(StructType schema, String param, String col, String who) {
    for (StructField f : schema.fields()) {
      if (f.name().equals(col)) {
        throw new IllegalArgumentException(who + " param " + param + ": output column \"" + col
            + "\" already exists in the input");
      }
    }
  }

  /**
   * The unsigned bytes of one IMAGE or BYTES value as CHW; {@code where} names the column and row
   * for errors.
   */
  byte[] bytes(Object value, TensorShape shape, String where) {
    if (value == null) {
      throw new IllegalArgumentException(where + ": features value is null");
    }
    if (this == BYTES) {
      byte[] b = (byte[]) value;
      if (b.length != shape.size()) {
        throw new IllegalArgumentException(where + ": " + b.length + " bytes, the model input " + shape + " needs "
            + shape.size());
      }
      return b;
    }
    Row img = (Row) value;
    int h = img.getInt(img.fieldIndex("height"));
    int w = img.getInt(img.fieldIndex("width"));
    int c = img.getInt(img.fieldIndex("nChannels"));
    if (h != shape.h() || w != shape.w() || c != shape.c()) {
      String origin = img.isNullAt(img.fieldIndex("origin")) ? "?" : img.getString(img.fieldIndex("origin"));
      throw new IllegalArgumentException(where + " (" + origin + "): image is " + h + "x" + w + " with " + c
          + " channels, the model input " + shape + " needs " + shape.h() + "x" + shape.w() + " with " + shape.c()
          + " (resize first, e.g. with Convoy's preprocessing)");
    }
    byte[] data = (byte[]) img.get(img.fieldIndex("data"));
    if (data == null || data.length != shape.size()) {
      throw new IllegalArgumentException(where + ": image data holds " + (data == null ? "null" : data.length)
          + " bytes, " + h + "x" + w + "x" + c + " needs " + shape.size());
    }
    byte[] out = new byte[shape.size()];
    int hw = h * w;
    for (int ch = 0; ch < c; ch++) {
      // BGR(A) interleaved to RGB(A) planes
      int src = c >= 3 && ch < 3 ? 2 - ch : ch;
      for (int p = 0; p < hw; p++) {
        out[ch * hw + p] = data[p * c + src];
      }
    }
    return out;
  }

  /**
   * Writes one example of {@code shape.size()} floats at {@code dst[off]}: normalised bytes for
   * byte kinds (with {@code norm}), the values as they are for float kinds.
   */
  void floats(Object value, TensorShape shape, Normalization norm, float[] dst, int off, String where) {
    int n = shape.size();
    if (bytes) {
      byte[] b = bytes(value, shape, where);
      int hw = shape.h() * shape.w();
      for (int c = 0; c < shape.c(); c++) {
        float scale = norm.scale(c);
        float shift = norm.shift(c);
        for (int p = c * hw; p < (c + 1) * hw; p++) {
          dst[off + p] = (b[p] & 0xFF) * scale + shift;
        }
      }
      return;
    }
    if (value == null) {
      throw new IllegalArgumentException(where + ": features value is null");
    }
    switch (this) {
      case VECTOR -> {
        Vector v = (Vector) value;
        checkSize(v.size(), n, shape, where);
        for (int i = 0; i < n; i++) {
          dst[off + i] = (float) v.apply(i);
        }
      }
      default -> {
        Seq<?> s = value instanceof Seq<?> q ? q : ArraySeq.unsafeWrapArray(((java.util.List<?>) value).toArray());
        checkSize(s.length(), n, shape, where);
        for (int i = 0; i < n; i++) {
          Object x = s.apply(i);
          if (x == null) {
            throw new IllegalArgumentException(where + ": element " + i + " is null");
          }
          dst[off + i] = ((Number) x).floatValue();
        }
      }
    }
  }

  private static void checkSize(int got, int n, TensorShape shape, String where) {
    if (got != n) {
      throw new IllegalArgumentException(where + ": " + got + " values, the model input " + shape + " needs " + n);
    }
  }
}
