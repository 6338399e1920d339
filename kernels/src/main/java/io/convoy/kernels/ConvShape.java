package io.convoy.kernels;

import java.util.Locale;

/**
 * Shape of a 2-D convolution: input (n, c, h, w), weight (k, c, r, s), output (n, k, p, q).
 *
 * <p>Zero padding {@code padH}/{@code padW} is added on both sides. The compact constructor
 * rejects non-positive sizes and strides, negative padding, a kernel larger than the padded input,
 * and windows that do not tile the padded input exactly: unlike PyTorch, which drops the last
 * rows or columns that a stride does not reach, Convoy requires
 * {@code (h + 2*padH - r) % strideH == 0} (and likewise for the width), so no input is silently ignored.
 */
public record ConvShape(int n, int c, int h, int w, int k, int r, int s,
    int strideH, int strideW, int padH, int padW) {

  public ConvShape {
    positive("batch size n", n);
    positive("input channels c", c);
    positive("input height h", h);
    positive("input width w", w);
    positive("output channels k", k);
    positive("kernel height r", r);
    positive("kernel width s", s);
    positive("strideH", strideH);
    positive("strideW", strideW);
    if (padH < 0 || padW < 0) {
      throw new IllegalArgumentException("conv padding must be >= 0, got padH=" + padH + " padW=" + padW);
    }
    checkFit("conv", "height", h, r, strideH, padH);
    checkFit("conv", "width", w, s, strideW, padW);
    // every array the kernels index must be addressable with an int
    checkIntSize("input n*c*h*w", (long) n * c * h * w);
    checkIntSize("weight k*c*r*s", (long) k * c * r * s);
    long p = (h + 2L * padH - r) / strideH + 1;
    long q = (w + 2L * padW - s) / strideW + 1;
    checkIntSize("output n*k*p*q", n * k * p * q);
  }

  /** Convenience: square kernel, same stride and padding in both directions. */
  public static ConvShape square(int n, int c, int h, int w, int k, int kernel, int stride, int pad) {
    return new ConvShape(n, c, h, w, k, kernel, kernel, stride, stride, pad, pad);
  }

  /** Output height: {@code (h + 2*padH - r) / strideH + 1}. */
  public int p() {
    return (h + 2 * padH - r) / strideH + 1;
  }

  /** Output width: {@code (w + 2*padW - s) / strideW + 1}. */
  public int q() {
    return (w + 2 * padW - s) / strideW + 1;
  }

  /** Floats in the input, {@code n*c*h*w}. */
  public int inSize() {
    return n * c * h * w;
  }

  /** Floats in the output, {@code n*k*p*q}. */
  public int outSize() {
    return n * k * p() * q();
  }

  /** Floats in the weight, {@code k*c*r*s}. */
  public int weightSize() {
    return k * c * r * s;
  }

  /** Number of parameters with a bias: {@code k*c*r*s + k}. */
  public int paramCount() {
    return weightSize() + k;
  }

  /** True for a 1x1 kernel with stride 1 and no padding: the image itself is the column matrix. */
  public boolean isPointwise() {
    return r == 1 && s == 1 && strideH == 1 && strideW == 1 && padH == 0 && padW == 0;
  }

  static void positive(String name, int v) {
    if (v <= 0) {
      throw new IllegalArgumentException(name + " must be > 0, got " + v);
    }
  }

  static void checkIntSize(String what, long size) {
    if (size > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(what + " = " + size + " floats does not fit in one Java array (max "
          + Integer.MAX_VALUE + ")");
    }
  }

  /** Rejects a kernel larger than the padded extent and a stride that does not tile it exactly. */
  static void checkFit(String op, String dim, int size, int kernel, int stride, int pad) {
    long padded = size + 2L * pad;
    if (kernel > padded) {
      String input = op.equals("conv") ? "the padded input " + dim + " " + size + " + 2*" + pad + " = " + padded
          : "the input " + dim + " " + size;
      throw new IllegalArgumentException(op + " kernel " + dim + " " + kernel + " is larger than " + input);
    }
    long span = padded - kernel;
    if (span % stride != 0) {
      String exact = String.format(Locale.ROOT, "%.2f", (double) span / stride + 1);
      String padPart = op.equals("conv") ? " + 2*" + pad : "";
      String padNote = op.equals("conv") ? ", padding " + pad : "";
      throw new IllegalArgumentException(op + " window does not fit: (" + size + padPart + " - " + kernel + ") / "
          + stride + " + 1 = " + exact + " is not an integer (" + dim + " " + size + ", kernel " + kernel
          + ", stride " + stride + padNote + ")");
    }
  }
}
