package io.convoy.pipeline.fuzz;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.UnaryOperator;

/**
 * Seeded corruptions of a valid file: case {@code i} of seed {@code s} is always the same bytes. The
 * kinds cycle so that every run of a few hundred cases holds each: truncation (every length up to 64
 * bytes, then spread over the file, then the last bytes), bit flips, overwritten bytes, a wrong magic,
 * absurd values in the header's size fields, random bytes, inserted, deleted and repeated runs.
 */
final class Corruptions {
  enum Kind { TRUNCATE, BIT_FLIP, BYTE_SET, WRONG_MAGIC, ABSURD_FIELD, RANDOM_BYTES, INSERT, DELETE, REPEAT }

  /** A size field of the header: byte offset, width 4 or 8, and byte order. */
  record Field(String name, int offset, int width, ByteOrder order) {
  }

  /** One corrupted input and how it was made (for the failure message). */
  record Case(int index, Kind kind, String what, byte[] bytes) {
    @Override
    public String toString() {
      return "case " + index + " (" + kind + ": " + what + ", " + bytes.length + " bytes)";
    }
  }

  private static final long[] ABSURD = {0, -1, 1, 2, Integer.MAX_VALUE, Integer.MIN_VALUE, 0x7fff_0000L, 0x0001_0000L,
      Integer.MAX_VALUE - 7, 1L << 40, Long.MAX_VALUE, Long.MIN_VALUE, 0xFFFF_FFF0L};

  private final byte[] valid;
  private final Field[] fields;
  private final int magicLength;
  private final long seed;
  /** Applied to some cases after the damage, e.g. to recompute a checksum so the parser behind it is reached. */
  private final UnaryOperator<byte[]> fixup;

  Corruptions(byte[] valid, int magicLength, long seed, UnaryOperator<byte[]> fixup, Field... fields) {
    this.valid = valid.clone();
    this.fields = fields;
    this.magicLength = magicLength;
    this.seed = seed;
    this.fixup = fixup;
  }

  Case make(int i) {
    SplittableRandom rnd = new SplittableRandom(seed * 0x9E3779B97F4A7C15L + i);
    Kind kind = Kind.values()[i % Kind.values().length];
    int n = valid.length;
    byte[] b = valid.clone();
    String what;
    switch (kind) {
      case TRUNCATE -> {
        int round = i / Kind.values().length;
        int len;
        if (round <= 64) {
          len = Math.min(round, n - 1);
        } else if (round % 3 == 0) {
          len = n - 1 - rnd.nextInt(Math.min(16, n));
        } else {
          len = rnd.nextInt(n);
        }
        b = Arrays.copyOf(b, Math.max(0, len));
        what = "cut to " + b.length;
      }
      case BIT_FLIP -> {
        int flips = 1 + rnd.nextInt(8);
        StringBuilder s = new StringBuilder("bits");
        for (int k = 0; k < flips; k++) {
          int at = rnd.nextInt(n);
          int bit = rnd.nextInt(8);
          b[at] ^= (byte) (1 << bit);
          s.append(' ').append(at).append('.').append(bit);
        }
        what = s.toString();
      }
      case BYTE_SET -> {
        int at = rnd.nextInt(Math.min(n, 256));   // mostly the header, where the structure is
        int v = rnd.nextInt(256);
        b[at] = (byte) v;
        what = "byte " + at + " = " + v;
      }
      case WRONG_MAGIC -> {
        int at = rnd.nextInt(Math.max(1, magicLength));
        b[at] = (byte) (b[at] + 1 + rnd.nextInt(255));
        what = "magic byte " + at;
      }
      case ABSURD_FIELD -> {
        Field f = fields.length == 0 ? new Field("first word", 0, 4, ByteOrder.BIG_ENDIAN) : fields[rnd.nextInt(fields.length)];
        long v = rnd.nextInt(4) == 0 ? rnd.nextLong() : ABSURD[rnd.nextInt(ABSURD.length)];
        ByteBuffer w = ByteBuffer.wrap(b).order(f.order());
        if (f.offset() + f.width() <= n) {
          if (f.width() == 8) {
            w.putLong(f.offset(), v);
          } else {
            w.putInt(f.offset(), (int) v);
          }
        }
        what = f.name() + " = " + (f.width() == 8 ? v : (int) v);
      }
      case RANDOM_BYTES -> {
        int len = rnd.nextInt(4) == 0 ? rnd.nextInt(64) : rnd.nextInt(2 * n + 1);
        b = new byte[len];
        for (int k = 0; k < len; k++) {
          b[k] = (byte) rnd.nextInt(256);
        }
        if (len >= magicLength && rnd.nextBoolean()) {
          System.arraycopy(valid, 0, b, 0, Math.min(magicLength, len));   // random body behind a valid magic
        }
        what = "random, " + len + " bytes";
      }
      case INSERT -> {
        int at = rnd.nextInt(n + 1);
        int len = 1 + rnd.nextInt(64);
        byte[] out = new byte[n + len];
        System.arraycopy(b, 0, out, 0, at);
        for (int k = 0; k < len; k++) {
          out[at + k] = (byte) rnd.nextInt(256);
        }
        System.arraycopy(b, at, out, at + len, n - at);
        b = out;
        what = len + " bytes inserted at " + at;
      }
      case DELETE -> {
        int at = rnd.nextInt(n);
        int len = 1 + rnd.nextInt(Math.min(64, n - at));
        byte[] out = new byte[n - len];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(b, at + len, out, at, n - at - len);
        b = out;
        what = len + " bytes deleted at " + at;
      }
      default -> {   // REPEAT: a run copied over another place
        int from = rnd.nextInt(n);
        int to = rnd.nextInt(n);
        int len = Math.min(1 + rnd.nextInt(128), Math.min(n - from, n - to));
        System.arraycopy(valid, from, b, to, len);
        what = len + " bytes from " + from + " copied to " + to;
      }
    }
    if (fixup != null && kind != Kind.TRUNCATE && kind != Kind.RANDOM_BYTES && rnd.nextBoolean()) {
      b = fixup.apply(b);
      what += ", checksum fixed";
    }
    return new Case(i, kind, what, b);
  }
}
