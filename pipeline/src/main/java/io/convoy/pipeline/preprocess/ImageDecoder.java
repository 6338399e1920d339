package io.convoy.pipeline.preprocess;

import io.convoy.pipeline.preprocess.PreprocessOptions.ResizeMode;
import java.awt.color.ColorSpace;
import java.awt.image.BufferedImage;
import java.awt.image.ColorModel;
import java.awt.image.DataBufferByte;
import java.awt.image.Raster;
import java.io.IOException;
import java.util.Iterator;
import javax.imageio.ImageIO;
import javax.imageio.ImageReader;

/**
 * Decodes one image file's bytes into (C, H, W) unsigned bytes with javax.imageio, or says why not.
 *
 * <p>The format is found from the CONTENT, never from the file name: a PNG named {@code .jpg} is
 * decoded as the PNG it is (and counted as an extension mismatch in the summary). The image size is
 * read from the header with {@link ImageReader#getWidth} / {@link ImageReader#getHeight} and checked
 * against {@code maxPixels} before any pixel is decoded, so a header claiming 100000 x 100000 costs
 * nothing. A decoder warning (a truncated JPEG decodes partially and only warns) rejects the file.
 *
 * <p>Colour: grey images (any bit depth, with or without alpha) are read from the raster and scaled
 * linearly to 0..255 ({@code round(v * 255 / (2^bits - 1))}), so 8-bit grey comes through unchanged
 * (going through {@code getRGB} would apply a gamma curve to grey). Everything else (RGB, RGBA,
 * palette, 16-bit colour, CMYK JPEGs that ImageIO can read) goes through {@code getRGB} as 8-bit
 * sRGB, except images already held as interleaved 8-bit sRGB bytes (colour JPEGs), whose bytes are
 * read directly (the same values {@code getRGB} gives). Alpha is dropped (colour values are kept as
 * stored, not composited). RGB to grey is {@code round(0.299 R + 0.587 G + 0.114 B)} (ITU-R BT.601);
 * grey to RGB repeats the value.
 *
 * <p>Keeps one ImageReader per format, one input stream and one colour JPEG image, and reuses them
 * from file to file. Not thread-safe: one per task.
 */
final class ImageDecoder {
  private final int channels;
  private final int height;
  private final int width;
  private final ResizeMode mode;
  private final long maxPixels;
  private String warning;

  ImageDecoder(int channels, int height, int width, ResizeMode mode, long maxPixels) {
    this.channels = channels;
    this.height = height;
    this.width = width;
    this.mode = mode;
    this.maxPixels = maxPixels;
  }

  /** Decoding failed for a reason that goes into the rejects report. */
  static final class DecodeException extends Exception {
    private static final long serialVersionUID = 1L;
    final Reject.Reason reason;

    DecodeException(Reject.Reason reason, String detail) {
      super(detail);
      this.reason = reason;
    }
  }

  /** One reader per leading two bytes of the content, reused from file to file (creating one per file is costly). */
  private final java.util.Map<Integer, ImageReader> readers = new java.util.HashMap<>();

  /** What the content turned out to be: ImageIO's format name (png, jpeg, gif, bmp, ...). */
  private String lastFormat;

  /** Format name of the last decoded file (lower case). */
  String lastFormat() {
    return lastFormat;
  }

  /**
   * Decodes {@code bytes} and writes (C, H, W) unsigned bytes into {@code dst} from {@code off}.
   *
   * @throws DecodeException with the reason when the bytes are not a decodable image of a sane size
   */
  void decode(byte[] bytes, byte[] dst, int off) throws DecodeException {
    if (bytes.length == 0) {
      throw new DecodeException(Reject.Reason.EMPTY, "the file has 0 bytes");
    }
    ImageReader reader = null;
    BytesImageInputStream in = stream;
    in.rewind(bytes, bytes.length);
    try {
      int magic = bytes.length >= 2 ? ((bytes[0] & 0xFF) << 8) | (bytes[1] & 0xFF) : -1;
      reader = readers.get(magic);
      if (reader == null || !reader.getOriginatingProvider().canDecodeInput(in)) {
        Iterator<ImageReader> found = ImageIO.getImageReaders(in);
        if (!found.hasNext()) {
          throw new DecodeException(Reject.Reason.NOT_AN_IMAGE, "no image reader recognises the content (first bytes "
              + firstBytes(bytes) + ")");
        }
        if (reader != null) {
          reader.dispose();
        }
        reader = found.next();
        readers.put(magic, reader);
      }
      reader.setInput(in, true, true);
      lastFormat = reader.getFormatName().toLowerCase(java.util.Locale.ROOT);
      int w;
      int h;
      try {
        w = reader.getWidth(0);
        h = reader.getHeight(0);
      } catch (IOException | RuntimeException e) {
        throw new DecodeException(Reject.Reason.CORRUPT, lastFormat + " header unreadable: " + e);
      }
      if (w <= 0 || h <= 0 || (long) w * h > maxPixels) {
        throw new DecodeException(Reject.Reason.BAD_DIMENSIONS, lastFormat + " header claims " + w + " x " + h
            + " pixels, expected positive sizes with width * height <= " + maxPixels + " (preprocess.max-pixels)");
      }
      warning = null;
      reader.addIIOReadWarningListener((source, message) -> {
        if (warning == null) {
          warning = message;
        }
      });
      BufferedImage img;
      try {
        img = reader.read(0, readParam(reader, w, h));
      } catch (IOException | RuntimeException e) {
        throw new DecodeException(Reject.Reason.CORRUPT, lastFormat + " data cannot be decoded: " + e);
      } catch (OutOfMemoryError e) {
        throw new DecodeException(Reject.Reason.BAD_DIMENSIONS, lastFormat + " image of " + w + " x " + h
            + " does not fit in memory: " + e.getMessage());
      }
      if (warning != null) {
        throw new DecodeException(Reject.Reason.CORRUPT, lastFormat + " decoder warning: " + warning);
      }
      if (!shrinkInterleaved(img, dst, off)) {
        byte[] planes = toPlanes(img);
        Resizer.resize(planes, channels, img.getHeight(), img.getWidth(), dst, off, height, width, mode);
      }
    } catch (IOException e) {
      throw new DecodeException(Reject.Reason.CORRUPT, "cannot open the content as an image stream: " + e);
    } finally {
      if (reader != null) {
        reader.reset();   // keeps the reader (and its native state) for the next file of this format
      }
    }
  }

  /**
   * The common JPEG case in one pass: an image of interleaved 8-bit R, G, B bytes (in either byte
   * order) whose size is a whole multiple {@code f} of the output in both axes goes straight to
   * (C, H, W) by f x f area averages (for grey, of the BT.601 luma of each pixel), without building
   * source-size planes first. Gives exactly what {@link #toPlanes} followed by {@link Resizer#resize}
   * gives. False when the image does not qualify.
   */
  boolean shrinkInterleaved(BufferedImage img, byte[] dst, int off) {
    int w = img.getWidth();
    int h = img.getHeight();
    if (w % width != 0 || h % height != 0 || w / width != h / height || w / width < 1) {
      return false;
    }
    int[] order = rgbOrder(img);
    if (order == null) {
      return false;
    }
    byte[] px = ((DataBufferByte) img.getRaster().getDataBuffer()).getData();
    Resizer.shrinkInterleaved(px, order[0], order[1], order[2], h, w, w / width, channels, dst, off, height, width);
    return true;
  }

  /**
   * For an image held as interleaved 8-bit sRGB bytes, 3 per pixel, rows packed from offset 0 (ImageIO's
   * {@code TYPE_3BYTE_BGR}, or the R, G, B image {@link #readParam} gives the JPEG reader): the byte
   * offsets of red, green and blue within a pixel. Null for any other layout.
   */
  static int[] rgbOrder(BufferedImage img) {
    Raster r = img.getRaster();
    ColorModel cm = img.getColorModel();
    if (!(cm instanceof java.awt.image.ComponentColorModel) || cm.hasAlpha() || cm.getNumComponents() != 3
        || !cm.getColorSpace().isCS_sRGB() || cm.getTransferType() != java.awt.image.DataBuffer.TYPE_BYTE
        || !(r.getDataBuffer() instanceof DataBufferByte db) || db.getOffset() != 0
        || !(r.getSampleModel() instanceof java.awt.image.PixelInterleavedSampleModel sm) || sm.getPixelStride() != 3
        || sm.getScanlineStride() != 3 * img.getWidth() || r.getSampleModelTranslateX() != 0
        || r.getSampleModelTranslateY() != 0 || r.getNumBands() != 3) {
      return null;
    }
    int[] bo = sm.getBandOffsets();
    if (bo.length != 3) {
      return null;
    }
    int seen = 0;
    for (int o : bo) {
      if (o < 0 || o > 2) {
        return null;
      }
      seen |= 1 << o;
    }
    if (seen != 7) {   // 0, 1 and 2 in some order
      return null;
    }
    return bo;
  }

  /**
   * Read settings for a colour JPEG: decode into an R, G, B interleaved image (reused while the size
   * stays the same) instead of ImageIO's default {@code TYPE_3BYTE_BGR}. The reader hands its rows over
   * in R, G, B order, so into a B, G, R image it copies pixel by pixel and band by band
   * ({@code ByteInterleavedRaster.putByteData}: about 90 of the 190 us thread CPU time of decoding a
   * 224 x 224 file), while into R, G, B it copies each row with one {@code System.arraycopy}; reusing the image also saves allocating and
   * zeroing 3 x w x h bytes per file. Same sRGB colour space, so the reader converts colours exactly as
   * for its default image. A file that decodes only partly is rejected, so stale pixels never reach a
   * shard. Null (defaults) for other formats and for JPEGs the reader would not decode to 3-byte colour
   * (grey, CMYK, ...).
   */
  private javax.imageio.ImageReadParam readParam(ImageReader reader, int w, int h) throws IOException {
    if (!"jpeg".equals(lastFormat)) {
      return null;
    }
    Iterator<javax.imageio.ImageTypeSpecifier> types = reader.getImageTypes(0);
    if (!types.hasNext() || types.next().getBufferedImageType() != BufferedImage.TYPE_3BYTE_BGR) {
      return null;
    }
    if (rgb == null || rgb.getWidth() != w || rgb.getHeight() != h) {
      ColorModel cm = new java.awt.image.ComponentColorModel(ColorSpace.getInstance(ColorSpace.CS_sRGB),
          new int[] {8, 8, 8}, false, false, java.awt.Transparency.OPAQUE, java.awt.image.DataBuffer.TYPE_BYTE);
      java.awt.image.WritableRaster r = Raster.createInterleavedRaster(java.awt.image.DataBuffer.TYPE_BYTE, w, h,
          3 * w, 3, new int[] {0, 1, 2}, null);
      rgb = new BufferedImage(cm, r, false, null);
    }
    javax.imageio.ImageReadParam p = reader.getDefaultReadParam();
    p.setDestination(rgb);
    return p;
  }

  /** The R, G, B image colour JPEGs decode into, reused from file to file of the same size. */
  private BufferedImage rgb;

  /** One input stream for every file of the task, pointed at each file's bytes in turn. */
  private final BytesImageInputStream stream = new BytesImageInputStream();

  /** The image as {@code channels} planes of 8-bit values, source size. */
  byte[] toPlanes(BufferedImage img) {
    int w = img.getWidth();
    int h = img.getHeight();
    int hw = w * h;
    byte[] out = new byte[channels * hw];
    ColorModel cm = img.getColorModel();
    Raster r = img.getRaster();
    boolean grey = cm.getColorSpace().getType() == ColorSpace.TYPE_GRAY && !(cm instanceof java.awt.image.IndexColorModel);
    if (grey) {
      byte[] g = new byte[hw];
      if (img.getType() == BufferedImage.TYPE_BYTE_GRAY && r.getDataBuffer() instanceof DataBufferByte db
          && r.getSampleModel() instanceof java.awt.image.ComponentSampleModel sm && sm.getPixelStride() == 1
          && sm.getScanlineStride() == w && db.getOffset() == 0 && r.getSampleModelTranslateX() == 0
          && r.getSampleModelTranslateY() == 0) {
        System.arraycopy(db.getData(), 0, g, 0, hw);
      } else {
        int bits = cm.getComponentSize(0);
        long max = (1L << bits) - 1;
        int[] row = new int[w];
        for (int y = 0; y < h; y++) {
          r.getSamples(0, y, w, 1, 0, row);
          for (int x = 0; x < w; x++) {
            g[y * w + x] = (byte) ((row[x] * 255L + max / 2) / max);
          }
        }
      }
      for (int c = 0; c < channels; c++) {
        System.arraycopy(g, 0, out, c * hw, hw);
      }
      return out;
    }
    int[] order = rgbOrder(img);
    if (order != null) {
      // the common JPEG case: interleaved R, G, B bytes in some order
      byte[] px = ((DataBufferByte) r.getDataBuffer()).getData();
      int ro = order[0];
      int go = order[1];
      int bo = order[2];
      for (int i = 0, k = 0; i < hw; i++, k += 3) {
        int rr = px[k + ro] & 0xFF;
        int gg = px[k + go] & 0xFF;
        int bb = px[k + bo] & 0xFF;
        if (channels == 3) {
          out[i] = (byte) rr;
          out[hw + i] = (byte) gg;
          out[2 * hw + i] = (byte) bb;
        } else {
          out[i] = (byte) luma(rr, gg, bb);
        }
      }
      return out;
    }
    int[] argb = new int[w];
    for (int y = 0; y < h; y++) {
      img.getRGB(0, y, w, 1, argb, 0, w);
      int base = y * w;
      for (int x = 0; x < w; x++) {
        int p = argb[x];
        int rr = (p >> 16) & 0xFF;
        int gg = (p >> 8) & 0xFF;
        int bb = p & 0xFF;
        if (channels == 3) {
          out[base + x] = (byte) rr;
          out[hw + base + x] = (byte) gg;
          out[2 * hw + base + x] = (byte) bb;
        } else {
          out[base + x] = (byte) luma(rr, gg, bb);
        }
      }
    }
    return out;
  }

  /** BT.601 luma, rounded: {@code round(0.299 R + 0.587 G + 0.114 B)} in integer arithmetic. */
  static int luma(int r, int g, int b) {
    return (299 * r + 587 * g + 114 * b + 500) / 1000;
  }

  private static String firstBytes(byte[] b) {
    StringBuilder s = new StringBuilder();
    for (int i = 0; i < Math.min(8, b.length); i++) {
      s.append(String.format("%02x", b[i] & 0xFF));
    }
    return s.toString();
  }
}
