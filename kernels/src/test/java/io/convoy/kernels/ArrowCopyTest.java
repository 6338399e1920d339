package io.convoy.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** ArrowCopy against a real allocator (closed after each test, so a leak fails it). */
class ArrowCopyTest {
  private BufferAllocator allocator;

  @BeforeEach
  void open() {
    allocator = new RootAllocator(1 << 20);
  }

  @AfterEach
  void close() {
    allocator.close();
  }

  @Test
  void copiesFloatsAndIntsLittleEndianAtOffsets() {
    try (ArrowBuf buf = allocator.buffer(64)) {
      for (int i = 0; i < 16; i++) {
        buf.setFloat(4L * i, i * 0.5f - 3f); // ArrowBuf writes little-endian
      }
      float[] dst = new float[12];
      ArrowCopy.floats(buf, 8, dst, 1, 10);
      assertEquals(0f, dst[0]);
      for (int i = 0; i < 10; i++) {
        assertEquals((i + 2) * 0.5f - 3f, dst[1 + i]);
      }
      assertEquals(0f, dst[11]);
      for (int i = 0; i < 16; i++) {
        buf.setInt(4L * i, i * 1000 - 7);
      }
      int[] ints = new int[3];
      ArrowCopy.ints(buf, 60, ints, 2, 1);
      assertArrayEquals(new int[] {0, 0, 15 * 1000 - 7}, ints);
      // byte order: 0x01020304 little-endian is bytes 04 03 02 01
      buf.setByte(0, 4);
      buf.setByte(1, 3);
      buf.setByte(2, 2);
      buf.setByte(3, 1);
      ArrowCopy.ints(buf, 0, ints, 0, 1);
      assertEquals(0x01020304, ints[0]);
    }
  }

  @Test
  void unsignedBytesScaleAndShift() {
    try (ArrowBuf buf = allocator.buffer(300)) {
      for (int i = 0; i < 256; i++) {
        buf.setByte(i + 3, i);
      }
      float[] dst = new float[257];
      ArrowCopy.unsignedBytesToFloats(buf, 3, dst, 1, 256, 1f / 255f, -0.5f);
      for (int i = 0; i < 256; i++) {
        assertEquals(i / 255f - 0.5f, dst[1 + i], 1e-7f, "byte " + i + " is unsigned");
      }
    }
  }

  @Test
  void boundsErrorsSayWhatAndWhere() {
    try (ArrowBuf buf = allocator.buffer(16)) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> ArrowCopy.floats(buf, 8, new float[4], 0, 3));
      assertTrue(e.getMessage().contains("[8, 20)") && e.getMessage().contains("capacity of 16"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class, () -> ArrowCopy.ints(buf, 0, new int[2], 1, 2));
      assertTrue(e.getMessage().contains("[1, 3)") && e.getMessage().contains("length is 2"), e.getMessage());
      e = assertThrows(IllegalArgumentException.class,
          () -> ArrowCopy.unsignedBytesToFloats(buf, -1, new float[2], 0, 1, 1f, 0f));
      assertTrue(e.getMessage().contains("[-1, 0)"), e.getMessage());
    }
  }
}
