package io.convoy.kernels;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.apache.arrow.memory.ArrowBuf;

/**
 * Bulk copies out of Arrow buffers into caller-owned, reused Java arrays. Arrow stores values
 * little-endian; {@code byteOffset} counts bytes from the start of the buffer and {@code count} counts
 * values. Ranges are checked against the buffer's capacity and the destination array first, so a bad
 * offset fails with a message instead of reading foreign memory.
 */
public final class ArrowCopy {
  private ArrowCopy() {}

  /** src holds {@code count} little-endian float32 values at {@code byteOffset}; dst gets them at dstOff. */
  public static void floats(ArrowBuf src, long byteOffset, float[] dst, int dstOff, int count) {
    String where = "ArrowCopy.floats";
    checkSource(where, src, byteOffset, count, Float.BYTES);
    checkDest(where, dst == null ? -1 : dst.length, dstOff, count);
    if (count == 0) {
      return;
    }
    view(src, byteOffset, (long) count * Float.BYTES).asFloatBuffer().get(dst, dstOff, count);
  }

  /** src holds {@code count} little-endian int32 values at {@code byteOffset}; dst gets them at dstOff. */
  public static void ints(ArrowBuf src, long byteOffset, int[] dst, int dstOff, int count) {
    String where = "ArrowCopy.ints";
    checkSource(where, src, byteOffset, count, Integer.BYTES);
    checkDest(where, dst == null ? -1 : dst.length, dstOff, count);
    if (count == 0) {
      return;
    }
    view(src, byteOffset, (long) count * Integer.BYTES).asIntBuffer().get(dst, dstOff, count);
  }

  /**
   * src holds {@code count} unsigned bytes (pixels 0..255) at {@code byteOffset}; writes
   * {@code dst[dstOff + i] = byte_i * scale + shift}, e.g. scale 1/255 and shift 0 for [0, 1].
   */
  public static void unsignedBytesToFloats(ArrowBuf src, long byteOffset, float[] dst, int dstOff, int count,
      float scale, float shift) {
    String where = "ArrowCopy.unsignedBytesToFloats";
    checkSource(where, src, byteOffset, count, 1);
    checkDest(where, dst == null ? -1 : dst.length, dstOff, count);
    if (count == 0) {
      return;
    }
    ByteBuffer bytes = view(src, byteOffset, count);
    for (int i = 0; i < count; i++) {
      dst[dstOff + i] = (bytes.get(i) & 0xFF) * scale + shift;
    }
  }

  private static ByteBuffer view(ArrowBuf src, long byteOffset, long bytes) {
    return src.nioBuffer(byteOffset, (int) bytes).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static void checkSource(String where, ArrowBuf src, long byteOffset, int count, int width) {
    if (src == null) {
      throw new IllegalArgumentException(where + ": source buffer is null");
    }
    if (count < 0) {
      throw new IllegalArgumentException(where + ": count must be >= 0, got " + count);
    }
    long bytes = (long) count * width;
    if (bytes > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(where + ": " + count + " values of " + width
          + " bytes exceed one copy's limit of " + Integer.MAX_VALUE + " bytes");
    }
    long capacity = src.capacity();
    if (byteOffset < 0 || byteOffset + bytes > capacity) {
      throw new IllegalArgumentException(where + ": bytes [" + byteOffset + ", " + (byteOffset + bytes)
          + ") (" + count + " values of " + width + " bytes) are outside the buffer's capacity of "
          + capacity + " bytes");
    }
  }

  private static void checkDest(String where, int length, int dstOff, int count) {
    if (length < 0) {
      throw new IllegalArgumentException(where + ": destination array is null");
    }
    if (dstOff < 0 || (long) dstOff + count > length) {
      throw new IllegalArgumentException(where + ": destination needs elements [" + dstOff + ", "
          + ((long) dstOff + count) + "), array length is " + length);
    }
  }
}
