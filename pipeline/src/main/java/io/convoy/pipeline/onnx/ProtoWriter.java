package io.convoy.pipeline.onnx;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * A minimal Protocol Buffers encoder: enough of the wire format to write ONNX messages (varints,
 * 32-bit floats, length-delimited strings, bytes and nested messages). Fields are written in the
 * order of the calls; repeated fields are written one element at a time (the unpacked form that
 * every protobuf parser reads).
 */
final class ProtoWriter {
  private static final int VARINT = 0;
  private static final int FIXED32 = 5;
  private static final int LENGTH_DELIMITED = 2;

  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  /** An int32, int64 or enum field. Negative values take ten bytes, as protobuf does. */
  ProtoWriter varint(int field, long value) {
    tag(field, VARINT);
    rawVarint(value);
    return this;
  }

  /** A float field. */
  ProtoWriter float32(int field, float value) {
    tag(field, FIXED32);
    int bits = Float.floatToRawIntBits(value);
    for (int i = 0; i < 4; i++) {
      out.write((bits >>> (8 * i)) & 0xFF);
    }
    return this;
  }

  /** A string field, UTF-8. */
  ProtoWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  /** A bytes field. */
  ProtoWriter bytes(int field, byte[] value) {
    tag(field, LENGTH_DELIMITED);
    rawVarint(value.length);
    out.write(value, 0, value.length);
    return this;
  }

  /** A nested message field. */
  ProtoWriter message(int field, ProtoWriter message) {
    return bytes(field, message.toBytes());
  }

  /** The encoded message. */
  byte[] toBytes() {
    return out.toByteArray();
  }

  private void tag(int field, int wireType) {
    if (field <= 0) {
      throw new IllegalArgumentException("protobuf field number must be > 0, got " + field);
    }
    rawVarint(((long) field << 3) | wireType);
  }

  private void rawVarint(long v) {
    long x = v;
    while ((x & ~0x7FL) != 0) {
      out.write((int) ((x & 0x7F) | 0x80));
      x >>>= 7;
    }
    out.write((int) x);
  }
}
