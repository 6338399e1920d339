package io.convoy.jobs.bench;

import io.convoy.kernels.Gemm;
import io.convoy.pipeline.model.Conv2dSpec;
import io.convoy.pipeline.model.DenseSpec;
import io.convoy.pipeline.model.LayerSpec;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.TensorShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * One SGEMM problem {@code C (m x n) = op(A) (m x k) * op(B) (k x n)}, row-major, with its label, and the
 * operands to run it on. {@code op} is NN, NT, TN or TT (T: the operand is stored transposed).
 *
 * @param label what the product is ({@code "NN 1024"}, {@code "conv2 fwd"})
 * @param op NN, NT, TN or TT
 */
record GemmShape(String label, String op, int m, int n, int k) {

  GemmShape {
    if (!op.matches("[NT][NT]") || m <= 0 || n <= 0 || k <= 0) {
      throw new IllegalArgumentException("GEMM shape " + label + ": expected op in NN/NT/TN/TT and m, n, k > 0, got "
          + op + " " + m + " x " + n + " x " + k);
    }
  }

  static GemmShape square(int n) {
    return new GemmShape("NN " + n, "NN", n, n, n);
  }

  /** {@code op:m:n:k}, the form the numpy peer takes. */
  String spec() {
    return op + ":" + m + ":" + n + ":" + k;
  }

  double flops() {
    return 2.0 * m * n * k;
  }

  /** A key for bench.json: {@code n1024}, {@code conv2_fwd}. */
  String key() {
    return label.startsWith("NN ") ? "n" + label.substring(3) : label.toLowerCase(Locale.ROOT).replace(' ', '_');
  }

  /**
   * The products the layers of {@code model} run in training as Convoy's kernels compute them: per image,
   * a convolution is an im2col product (forward K x PQ x CRS, weight gradient dOut * col^T as NT, data
   * gradient W^T * dOut as TN; none for the first layer, whose input needs no gradient); a dense layer
   * works on the whole batch (forward x * W^T as NT, input gradient NN, weight gradient TN).
   */
  static List<GemmShape> ofModel(ModelSpec model, int batch) {
    List<GemmShape> out = new ArrayList<>();
    TensorShape in = model.input();
    boolean first = true;
    for (LayerSpec l : model.layers()) {
      TensorShape o = l.outputShape(in);
      if (l instanceof Conv2dSpec c) {
        int crs = in.c() * c.kernelH() * c.kernelW();
        int pq = o.h() * o.w();
        out.add(new GemmShape(c.name() + " fwd", "NN", c.filters(), pq, crs));
        out.add(new GemmShape(c.name() + " dW", "NT", c.filters(), crs, pq));
        if (!first) {
          out.add(new GemmShape(c.name() + " dX", "TN", crs, pq, c.filters()));
        }
      } else if (l instanceof DenseSpec d) {
        int f = in.size();
        out.add(new GemmShape(d.name() + " fwd", "NT", batch, d.units(), f));
        if (!first) {
          out.add(new GemmShape(d.name() + " dX", "NN", batch, f, d.units()));
        }
        out.add(new GemmShape(d.name() + " dW", "TN", d.units(), f, batch));
      }
      if (l.paramCount(in) > 0) {
        first = false;
      }
      in = o;
    }
    return out;
  }

  /** Operands and output for this product, seeded. */
  Operands operands() {
    return new Operands(this);
  }

  /** The arrays of one product; {@link #half} runs a slice of C so that two threads can share it. */
  static final class Operands {
    final GemmShape s;
    final float[] a;
    final float[] b;
    final float[] c;
    private final boolean ta;
    private final boolean tb;

    Operands(GemmShape s) {
      this.s = s;
      this.ta = s.op.charAt(0) == 'T';
      this.tb = s.op.charAt(1) == 'T';
      Random rnd = new Random(1);
      a = random(rnd, s.m * s.k);
      b = random(rnd, s.k * s.n);
      c = new float[s.m * s.n];
    }

    void run() {
      Gemm.sgemm(ta, tb, s.m, s.n, s.k, 1f, a, 0, ta ? s.m : s.k, b, 0, tb ? s.k : s.n, 0f, c, 0, s.n);
    }

    /**
     * Half {@code part} (0 or 1) of C: the rows when m >= n, else the columns, through offsets into the
     * same operands (no copies); the two halves together compute exactly the whole product.
     */
    Runnable half(int part) {
      int lda = ta ? s.m : s.k;
      int ldb = tb ? s.k : s.n;
      if (s.m >= s.n) {
        int m0 = part == 0 ? 0 : s.m / 2;
        int rows = part == 0 ? s.m / 2 : s.m - s.m / 2;
        int aOff = ta ? m0 : m0 * lda;
        return () -> Gemm.sgemm(ta, tb, rows, s.n, s.k, 1f, a, aOff, lda, b, 0, ldb, 0f, c, m0 * s.n, s.n);
      }
      int n0 = part == 0 ? 0 : s.n / 2;
      int cols = part == 0 ? s.n / 2 : s.n - s.n / 2;
      int bOff = tb ? n0 * ldb : n0;
      return () -> Gemm.sgemm(ta, tb, s.m, cols, s.k, 1f, a, 0, lda, b, bOff, ldb, 0f, c, n0, s.n);
    }

    private static float[] random(Random rnd, int n) {
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = rnd.nextFloat() * 2 - 1;
      }
      return x;
    }
  }
}
