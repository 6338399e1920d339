package io.convoy.pipeline.report;

import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.ActivationSpec;
import io.convoy.pipeline.model.Conv2dSpec;
import io.convoy.pipeline.model.LayerSpec;
import io.convoy.pipeline.model.LossKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.model.ParamSlice;
import io.convoy.pipeline.model.TensorShape;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;

/** Greyscale pictures of the first convolution layer: its filters and its activation maps. */
final class Pictures {
  private Pictures() {}

  /** The first top-level convolution layer and what the report needs to run it. */
  record FirstConv(int index, Conv2dSpec conv, ActivationSpec activation, TensorShape input) {}

  /** The first top-level {@link Conv2dSpec} of {@code spec}, or null when there is none. */
  static FirstConv firstConv(ModelSpec spec) {
    List<LayerSpec> layers = spec.layers();
    List<TensorShape> shapes = spec.shapes();
    for (int i = 0; i < layers.size(); i++) {
      if (layers.get(i) instanceof Conv2dSpec c) {
        ActivationSpec act = i + 1 < layers.size() && layers.get(i + 1) instanceof ActivationSpec a ? a : null;
        return new FirstConv(i, c, act, shapes.get(i));
      }
    }
    return null;
  }

  /**
   * The filters of a convolution as greyscale images, one per output channel; a filter with several
   * input channels shows them side by side. Each filter is scaled on its own: its smallest weight
   * black, its largest white. Every filter pixel becomes {@code scale x scale} pixels.
   */
  static List<BufferedImage> filters(float[] weights, int offset, int k, int c, int r, int s, int scale) {
    List<BufferedImage> out = new ArrayList<>(k);
    int per = c * r * s;
    for (int f = 0; f < k; f++) {
      int base = offset + f * per;
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int i = 0; i < per; i++) {
        lo = Math.min(lo, weights[base + i]);
        hi = Math.max(hi, weights[base + i]);
      }
      int gap = c > 1 ? 1 : 0;
      BufferedImage img = new BufferedImage((c * s + (c - 1) * gap) * scale, r * scale, BufferedImage.TYPE_BYTE_GRAY);
      for (int ch = 0; ch < c; ch++) {
        for (int y = 0; y < r; y++) {
          for (int x = 0; x < s; x++) {
            float v = weights[base + (ch * r + y) * s + x];
            fill(img, (ch * (s + gap) + x) * scale, y * scale, scale, grey(v, lo, hi));
          }
        }
      }
      out.add(img);
    }
    return out;
  }

  /**
   * Channels of an activation (channels, h, w) at {@code off} as greyscale images. Each map is scaled
   * on its own, from min(0, its smallest value) black to its largest value white (a map that is zero
   * everywhere stays black), so weak filters still show their pattern.
   */
  static List<BufferedImage> maps(float[] a, int off, int channels, int h, int w, int scale) {
    List<BufferedImage> out = new ArrayList<>(channels);
    for (int ch = 0; ch < channels; ch++) {
      int base = off + ch * h * w;
      float lo = 0;
      float hi = 0;
      for (int i = 0; i < h * w; i++) {
        lo = Math.min(lo, a[base + i]);
        hi = Math.max(hi, a[base + i]);
      }
      BufferedImage img = new BufferedImage(w * scale, h * scale, BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 0; y < h; y++) {
        for (int x = 0; x < w; x++) {
          float v = a[base + y * w + x];
          fill(img, x * scale, y * scale, scale, hi > lo ? grey(v, lo, hi) : 0);
        }
      }
      out.add(img);
    }
    return out;
  }

  /** One raw image of a set (channels averaged), upscaled. */
  static BufferedImage sample(ImageSet set, int index, int scale) {
    TensorShape s = set.shape();
    BufferedImage img = new BufferedImage(s.w() * scale, s.h() * scale, BufferedImage.TYPE_BYTE_GRAY);
    for (int y = 0; y < s.h(); y++) {
      for (int x = 0; x < s.w(); x++) {
        int sum = 0;
        for (int c = 0; c < s.c(); c++) {
          sum += set.pixel(index, (c * s.h() + y) * s.w() + x);
        }
        fill(img, x * scale, y * scale, scale, sum / s.c());
      }
    }
    return img;
  }

  /**
   * Runs the model's layers up to and including the first convolution and the activation right
   * after it on one image of {@code set}, with the model's own parameters (copied by tensor name
   * into a network of those layers only); returns (channels, p, q) at offset 0.
   */
  static float[] firstConvOutput(ModelSpec spec, float[] params, float[] buffers, FirstConv fc, ImageSet set,
      int index, Normalization norm) {
    int last = fc.activation() == null ? fc.index() : fc.index() + 1;
    List<LayerSpec> prefix = spec.layers().subList(0, last + 1);
    TensorShape out = spec.shapes().get(last + 1);
    // the loss is never evaluated: the prefix network only runs forward
    ModelSpec head = new ModelSpec(spec.input(), prefix, LossKind.MEAN_SQUARED_ERROR, out.size());
    Network full = new Network(spec, 1);
    Network part = new Network(head, 1);
    float[] p = copyByName(full.slices(), params, part.slices(), part.numParams(), "parameter");
    float[] b = copyByName(full.bufferSlices(), buffers, part.bufferSlices(), part.numBuffers(), "buffer");
    float[] x = new float[set.imageSize()];
    normalize(set, norm, index, 1, x);
    float[] y = part.forwardOutput(p, b, x, 1, false, 0L);
    float[] result = new float[out.size()];
    System.arraycopy(y, 0, result, 0, result.length);
    return result;
  }

  private static float[] copyByName(ParamSlice[] from, float[] src, ParamSlice[] to, int n, String what) {
    Map<String, ParamSlice> byName = new HashMap<>();
    for (ParamSlice s : from) {
      byName.put(s.name(), s);
    }
    float[] dst = new float[n];
    for (ParamSlice t : to) {
      ParamSlice s = byName.get(t.name());
      if (s == null || s.length() != t.length()) {
        throw new IllegalStateException("report: " + what + " tensor " + t.name() + " of the first layers is "
            + (s == null ? "missing from the model" : "of length " + s.length() + " in the model, expected "
            + t.length()));
      }
      System.arraycopy(src, s.offset(), dst, t.offset(), t.length());
    }
    return dst;
  }

  /** Images {@code from .. from+count} of {@code set} as normalised floats into {@code x}. */
  static void normalize(ImageSet set, Normalization norm, int from, int count, float[] x) {
    int size = set.imageSize();
    int hw = set.shape().h() * set.shape().w();
    for (int i = 0; i < count; i++) {
      for (int k = 0; k < size; k++) {
        x[i * size + k] = norm.apply(set.pixel(from + i, k), k / hw);
      }
    }
  }

  /** A PNG file's bytes. */
  static byte[] png(BufferedImage img) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      if (!ImageIO.write(img, "png", bytes)) {
        throw new IllegalStateException("report: no PNG writer for a " + img.getWidth() + "x" + img.getHeight()
            + " image of type " + img.getType());
      }
      return bytes.toByteArray();
    } catch (IOException e) {
      throw new UncheckedIOException("report: cannot encode a PNG: " + e, e);
    }
  }

  private static int grey(float v, float lo, float hi) {
    if (!(hi > lo) || !Float.isFinite(v)) {
      return 128;
    }
    return Math.max(0, Math.min(255, Math.round((v - lo) / (hi - lo) * 255)));
  }

  private static void fill(BufferedImage img, int x0, int y0, int scale, int grey) {
    int rgb = 0xFF000000 | grey << 16 | grey << 8 | grey;
    for (int y = 0; y < scale; y++) {
      for (int x = 0; x < scale; x++) {
        img.setRGB(x0 + x, y0 + y, rgb);
      }
    }
  }
}
