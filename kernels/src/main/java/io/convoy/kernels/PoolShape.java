package io.convoy.kernels;

/**
 * Shape of a 2-D pooling without padding: input (n, c, h, w), window kh x kw moved by strides
 * sh, sw, output (n, c, p, q).
 *
 * <p>Windows may overlap (stride smaller than the window) or leave gaps (stride larger). The
 * compact constructor rejects non-positive values, a window larger than the input and a stride
 * that does not reach the last row or column exactly ({@code (h - kh) % sh != 0}).
 */
public record PoolShape(int n, int c, int h, int w, int kh, int kw, int sh, int sw) {

  public PoolShape {
    ConvShape.positive("batch size n", n);
    ConvShape.positive("channels c", c);
    ConvShape.positive("input height h", h);
    ConvShape.positive("input width w", w);
    ConvShape.positive("window height kh", kh);
    ConvShape.positive("window width kw", kw);
    ConvShape.positive("stride sh", sh);
    ConvShape.positive("stride sw", sw);
    ConvShape.checkFit("pool", "height", h, kh, sh, 0);
    ConvShape.checkFit("pool", "width", w, kw, sw, 0);
    ConvShape.checkIntSize("input n*c*h*w", (long) n * c * h * w);
  }

  /** Convenience: square window with the same stride both ways. */
  public static PoolShape square(int n, int c, int h, int w, int window, int stride) {
    return new PoolShape(n, c, h, w, window, window, stride, stride);
  }

  /** Output height: {@code (h - kh) / sh + 1}. */
  public int p() {
    return (h - kh) / sh + 1;
  }

  /** Output width: {@code (w - kw) / sw + 1}. */
  public int q() {
    return (w - kw) / sw + 1;
  }

  /** Floats in the input, {@code n*c*h*w}. */
  public int inSize() {
    return n * c * h * w;
  }

  /** Floats in the output, {@code n*c*p*q}. */
  public int outSize() {
    return n * c * p() * q();
  }
}
