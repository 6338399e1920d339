package io.convoy.pipeline.model;

import java.util.Locale;

/** Shape arithmetic shared by the layer specs; every message names the layer. */
final class SpecChecks {
  private SpecChecks() {
  }

  static void positive(String layer, String what, int v) {
    if (v <= 0) {
      throw new ModelSpecException("layer " + layer + ": " + what + " must be > 0, got " + v);
    }
  }

  static void nonNegative(String layer, String what, int v) {
    if (v < 0) {
      throw new ModelSpecException("layer " + layer + ": " + what + " must be >= 0, got " + v);
    }
  }

  /**
   * Output size of a sliding window {@code (size + 2*pad - kernel) / stride + 1}; rejects windows
   * larger than the padded input and strides that do not end exactly on the last row or column.
   */
  static int windowOut(LayerSpec layer, String dim, int size, int kernel, int stride, int pad) {
    long padded = size + 2L * pad;
    String expr = pad == 0 ? "(" + size + " - " + kernel + ")" : "(" + size + " + 2*" + pad + " - " + kernel + ")";
    String facts = "(input " + dim + " " + size + ", kernel " + kernel + ", stride " + stride + ", padding " + pad + ")";
    if (kernel > padded) {
      throw new ModelSpecException(layer.where() + "kernel " + dim + " " + kernel + " is larger than the padded input: "
          + expr + " < 0 " + facts);
    }
    long span = padded - kernel;
    if (span % stride != 0) {
      String exact = String.format(Locale.ROOT, "%.2f", (double) span / stride + 1);
      throw new ModelSpecException(layer.where() + expr + " / " + stride + " + 1 = " + exact
          + " is not an integer " + facts);
    }
    return (int) (span / stride + 1);
  }

  /** Output size of a transposed convolution: {@code (size - 1)*stride - 2*pad + kernel}. */
  static int transposeOut(LayerSpec layer, String dim, int size, int kernel, int stride, int pad) {
    long out = (long) (size - 1) * stride - 2L * pad + kernel;
    if (out <= 0) {
      throw new ModelSpecException(layer.where() + "(" + size + " - 1)*" + stride + " - 2*" + pad + " + " + kernel
          + " = " + out + " is not a positive size (input " + dim + " " + size + ", kernel " + kernel + ", stride "
          + stride + ", padding " + pad + ")");
    }
    return (int) out;
  }

}
