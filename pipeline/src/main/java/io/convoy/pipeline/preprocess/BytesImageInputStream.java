package io.convoy.pipeline.preprocess;

import javax.imageio.stream.ImageInputStreamImpl;

/**
 * An ImageIO input stream over a byte array already in memory (a whole image file).
 *
 * <p>{@code MemoryCacheImageInputStream} over a {@code ByteArrayInputStream} copies the bytes again
 * into its own cache blocks and registers each stream with the Java2D disposer (a phantom reference
 * per file for the GC to process); neither is needed when the bytes are already an array.
 * {@link #rewind} points the stream at the next file's bytes, so one stream serves a whole task.
 */
final class BytesImageInputStream extends ImageInputStreamImpl {
  private byte[] data;
  private int length;

  BytesImageInputStream() {
    this.data = new byte[0];
  }

  /**
   * Reads {@code bytes[0, length)} from the start, big-endian (a reader may have switched the byte
   * order for the previous file: BMP and little-endian TIFF do).
   */
  void rewind(byte[] bytes, int length) {
    setByteOrder(java.nio.ByteOrder.BIG_ENDIAN);
    this.data = bytes;
    this.length = length;
    this.streamPos = 0;
    this.bitOffset = 0;
    this.flushedPos = 0;
  }

  @Override
  public int read() {
    bitOffset = 0;
    if (streamPos >= length) {
      return -1;
    }
    return data[(int) streamPos++] & 0xFF;
  }

  @Override
  public int read(byte[] b, int off, int len) {
    if (off < 0 || len < 0 || off + len > b.length || off + len < 0) {
      throw new IndexOutOfBoundsException("off " + off + ", len " + len + ", array length " + b.length);
    }
    bitOffset = 0;
    if (len == 0) {
      return 0;
    }
    long left = length - streamPos;
    if (left <= 0) {
      return -1;
    }
    int n = (int) Math.min(len, left);
    System.arraycopy(data, (int) streamPos, b, off, n);
    streamPos += n;
    return n;
  }

  @Override
  public long length() {
    return length;
  }

  @Override
  public boolean isCached() {
    return true;
  }

  @Override
  public boolean isCachedMemory() {
    return true;
  }

  @Override
  public void close() {
    // nothing to release; the stream stays usable after rewind (ImageInputStreamImpl.close would mark it closed)
  }
}
