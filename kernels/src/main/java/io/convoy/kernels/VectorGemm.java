package io.convoy.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Vector API SGEMM, row-major: {@code C = alpha * op(A) * op(B) + beta * C}.
 *
 * <p>Layout: A is m x k (k x m when {@code transA}), B is k x n (n x k when {@code transB}), C is
 * m x n; element (i, j) of a matrix X stored with leading dimension ld sits at {@code x[off + i*ld + j]}.
 *
 * <p>Large products follow the packed scheme of Goto and van de Geijn: for each block of at most
 * {@link #NC} columns of C and {@link #KC} steps of k, the B block is copied into column panels
 * {@link #NR} wide (k-step by k-step, contiguous, zero-padded), then for each block of at most
 * {@link #MC} rows a register-blocked micro-kernel multiplies MR = 6 rows of A by one B panel into
 * 6 x NR accumulators (12 vectors) and merges them into C once per k block. A transposed A that
 * many B panels reuse is packed too, into row panels MR high (scaled by alpha); otherwise the
 * micro-kernel reads A where it lies: a row-major A row is already contiguous along k, and on this
 * machine reading it in place beat packing it at every shape measured (docs/benchmarks.md). Edge
 * tiles compute as full tiles and store only what lies inside C (merge); full tiles with
 * alpha 1 and beta 0 or 1 store straight into C. Per-thread buffers grow once (at most KC * NC +
 * KC * MC floats, about 4.3 MB).
 *
 * <p>Products with at most {@link #SKINNY_ROWS} rows, where packing B would cost as much as the
 * product itself, take a direct path that streams B in place. The species is the JVM's preferred
 * one (chosen once); tiles, panels and tails follow its lane count, so 128-, 256- and 512-bit
 * vectors all work. Single-threaded by design: parallelism comes from the caller.
 */
public final class VectorGemm {
  static final VectorSpecies<Float> SPECIES = VectorInfo.SPECIES;
  /** Float lanes per vector (8 for 256-bit, 16 for 512-bit). */
  static final int L = SPECIES.length();
  /** Rows of the micro-tile. */
  static final int MR = 6;
  /** Columns of the micro-tile: two vectors. */
  static final int NR = 2 * L;
  /** k steps per packed block (A and B panels of this depth). */
  static final int KC = 512;
  /** Rows of C per packed A block (a multiple of MR). */
  static final int MC = 8 * MR;
  /** Columns of C per packed B block (a multiple of NR). */
  static final int NC = (2048 / NR) * NR;

  /** Products with at most this many rows skip packing (see skinny). */
  static final int SKINNY_ROWS = 4;
  /**
   * A transposed operand is packed when at least this many B panels (n / NR) reuse each A panel;
   * otherwise, and always for a non-transposed A, the micro-kernel reads A where it lies.
   */
  static final int PACK_A_MIN_PANELS = 16;

  private static final ThreadLocal<Workspace> WORKSPACE = ThreadLocal.withInitial(Workspace::new);

  private VectorGemm() {}

  /** Per-thread packing buffers; they only ever grow. */
  static final class Workspace {
    float[] packA = new float[0];
    float[] packB = new float[0];
    final float[] tile = new float[MR * NR];
    final int[] rows = new int[NR];
    int rowsLd = -1;

    float[] packA(int size) {
      if (packA.length < size) {
        packA = new float[size];
      }
      return packA;
    }

    float[] packB(int size) {
      if (packB.length < size) {
        packB = new float[size];
      }
      return packB;
    }
  }

  /**
   * Whether a transposed B is packed with gather loads. Measured here: 512-bit gathers packed the
   * dense layer's NT product (128 x 128 x 3136) about 20% faster than scalar copies; with 256- and
   * 128-bit vectors they were no faster, so those keep the scalar copy.
   */
  static final boolean GATHER = L >= 16;

  // Offsets j * ld for j < NR (the gather map of a transposed B panel), rebuilt when ld changes.
  private static int[] gatherRows(int ld) {
    Workspace ws = WORKSPACE.get();
    if (ws.rowsLd != ld) {
      for (int j = 0; j < NR; j++) {
        ws.rows[j] = j * ld;
      }
      ws.rowsLd = ld;
    }
    return ws.rows;
  }

  /** Same contract as {@link Gemm#sgemm}; arguments are assumed checked by the facade. */
  public static void sgemm(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    if (m == 0 || n == 0) {
      return;
    }
    if (k == 0 || alpha == 0f) {
      scaleC(m, n, beta, c, cOff, ldc);
      return;
    }
    if (m <= SKINNY_ROWS) {
      skinny(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    } else {
      packed(transA, transB, m, n, k, alpha, a, aOff, lda, b, bOff, ldb, beta, c, cOff, ldc);
    }
  }

  // Few rows of C (m <= SKINNY_ROWS): packing B would cost as much as the product, and a 6-row tile
  // would run mostly empty. One row at a time: alpha * op(A) row i goes to a contiguous scratch row,
  // then either rows of B are streamed (B not transposed: C row += a(p) * B row p, four vectors of
  // C columns held in registers across all of k) or dot products along k are taken (B transposed:
  // each column of op(B) is a contiguous row of B).
  static void skinny(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    Workspace ws = WORKSPACE.get();
    float[] row = ws.packA(k);
    for (int i = 0; i < m; i++) {
      for (int p = 0; p < k; p++) {
        row[p] = alpha * (transA ? a[aOff + p * lda + i] : a[aOff + i * lda + p]);
      }
      int cRow = cOff + i * ldc;
      if (transB) {
        skinnyDots(n, k, row, b, bOff, ldb, beta, c, cRow);
      } else {
        skinnyRows(n, k, row, b, bOff, ldb, beta, c, cRow);
      }
    }
  }

  // c[cRow + j] = sum_p row[p] * b[bOff + p*ldb + j] + beta * c[cRow + j], j < n.
  private static void skinnyRows(int n, int k, float[] row, float[] b, int bOff, int ldb,
      float beta, float[] c, int cRow) {
    int j = 0;
    int bound4 = n - 4 * L;
    for (; j <= bound4; j += 4 * L) {
      FloatVector s0 = FloatVector.zero(SPECIES);
      FloatVector s1 = s0;
      FloatVector s2 = s0;
      FloatVector s3 = s0;
      int bi = bOff + j;
      for (int p = 0; p < k; p++) {
        FloatVector av = FloatVector.broadcast(SPECIES, row[p]);
        s0 = av.fma(FloatVector.fromArray(SPECIES, b, bi), s0);
        s1 = av.fma(FloatVector.fromArray(SPECIES, b, bi + L), s1);
        s2 = av.fma(FloatVector.fromArray(SPECIES, b, bi + 2 * L), s2);
        s3 = av.fma(FloatVector.fromArray(SPECIES, b, bi + 3 * L), s3);
        bi += ldb;
      }
      int ci = cRow + j;
      if (beta != 0f) {
        FloatVector vb = FloatVector.broadcast(SPECIES, beta);
        s0 = FloatVector.fromArray(SPECIES, c, ci).fma(vb, s0);
        s1 = FloatVector.fromArray(SPECIES, c, ci + L).fma(vb, s1);
        s2 = FloatVector.fromArray(SPECIES, c, ci + 2 * L).fma(vb, s2);
        s3 = FloatVector.fromArray(SPECIES, c, ci + 3 * L).fma(vb, s3);
      }
      s0.intoArray(c, ci);
      s1.intoArray(c, ci + L);
      s2.intoArray(c, ci + 2 * L);
      s3.intoArray(c, ci + 3 * L);
    }
    for (; j <= n - L; j += L) {
      FloatVector s0 = FloatVector.zero(SPECIES);
      int bi = bOff + j;
      for (int p = 0; p < k; p++) {
        s0 = FloatVector.broadcast(SPECIES, row[p]).fma(FloatVector.fromArray(SPECIES, b, bi), s0);
        bi += ldb;
      }
      if (beta != 0f) {
        s0 = FloatVector.fromArray(SPECIES, c, cRow + j).fma(FloatVector.broadcast(SPECIES, beta), s0);
      }
      s0.intoArray(c, cRow + j);
    }
    for (; j < n; j++) {
      float s = 0f;
      for (int p = 0; p < k; p++) {
        s += row[p] * b[bOff + p * ldb + j];
      }
      c[cRow + j] = beta == 0f ? s : s + beta * c[cRow + j];
    }
  }

  // c[cRow + j] = dot(row[0 .. k), b[bOff + j*ldb .. + k)) + beta * c[cRow + j], j < n.
  private static void skinnyDots(int n, int k, float[] row, float[] b, int bOff, int ldb,
      float beta, float[] c, int cRow) {
    int bound2 = k - 2 * L;
    for (int j = 0; j < n; j++) {
      int bj = bOff + j * ldb;
      FloatVector s0 = FloatVector.zero(SPECIES);
      FloatVector s1 = s0;
      int p = 0;
      for (; p <= bound2; p += 2 * L) {
        s0 = FloatVector.fromArray(SPECIES, row, p).fma(FloatVector.fromArray(SPECIES, b, bj + p), s0);
        s1 = FloatVector.fromArray(SPECIES, row, p + L).fma(FloatVector.fromArray(SPECIES, b, bj + p + L), s1);
      }
      float s = VectorInfo.sumLanes(s0.add(s1));
      for (; p < k; p++) {
        s += row[p] * b[bj + p];
      }
      c[cRow + j] = beta == 0f ? s : s + beta * c[cRow + j];
    }
  }

  // C (m x n, ld ldc) = beta * C; beta == 0 writes zeros without reading C.
  static void scaleC(int m, int n, float beta, float[] c, int cOff, int ldc) {
    if (beta == 1f) {
      return;
    }
    int bound = SPECIES.loopBound(n);
    for (int i = 0; i < m; i++) {
      int row = cOff + i * ldc;
      int j = 0;
      if (beta == 0f) {
        FloatVector zero = FloatVector.zero(SPECIES);
        for (; j < bound; j += L) {
          zero.intoArray(c, row + j);
        }
        for (; j < n; j++) {
          c[row + j] = 0f;
        }
      } else {
        for (; j < bound; j += L) {
          FloatVector.fromArray(SPECIES, c, row + j).mul(beta).intoArray(c, row + j);
        }
        for (; j < n; j++) {
          c[row + j] *= beta;
        }
      }
    }
  }

  // The blocked product. Loop order: column blocks (NC), k blocks (KC; pack B), row blocks (MC; pack
  // A if worth it), then micro-tiles: B panels outside (one stays in L1/L2), A panels inside.
  static void packed(boolean transA, boolean transB, int m, int n, int k, float alpha,
      float[] a, int aOff, int lda, float[] b, int bOff, int ldb,
      float beta, float[] c, int cOff, int ldc) {
    Workspace ws = WORKSPACE.get();
    int kcMax = Math.min(k, KC);
    int ncMax = Math.min(roundUp(n, NR), NC);
    int mcMax = Math.min(roundUp(m, MR), MC);
    float[] pb = ws.packB(kcMax * ncMax);
    boolean packAPanels = transA && n >= PACK_A_MIN_PANELS * NR;
    float[] pa = packAPanels ? ws.packA(kcMax * mcMax) : null;
    float[] tile = ws.tile;
    for (int jc = 0; jc < n; jc += NC) {
      int nc = Math.min(NC, n - jc);
      for (int pc = 0; pc < k; pc += KC) {
        int kc = Math.min(KC, k - pc);
        float betaNow = pc == 0 ? beta : 1f;
        packB(transB, b, bOff, ldb, pc, kc, jc, nc, pb);
        for (int ic = 0; ic < m; ic += MC) {
          int mc = Math.min(MC, m - ic);
          if (packAPanels) {
            packA(transA, a, aOff, lda, ic, mc, pc, kc, alpha, pa);
          }
          for (int jr = 0; jr < nc; jr += NR) {
            int nr = Math.min(NR, nc - jr);
            int bIdx = jr * kc;
            for (int ir = 0; ir < mc; ir += MR) {
              int mr = Math.min(MR, mc - ir);
              int cIdx = cOff + (ic + ir) * ldc + jc + jr;
              float scale = packAPanels ? 1f : alpha;
              float[] aSrc = packAPanels ? pa : a;
              int aIdx;
              int rs;
              int ps;
              if (packAPanels) {
                aIdx = ir * kc;
                rs = 1;
                ps = MR;
              } else if (transA) {
                aIdx = aOff + pc * lda + ic + ir;
                rs = 1;
                ps = lda;
              } else {
                aIdx = aOff + (ic + ir) * lda + pc;
                rs = lda;
                ps = 1;
              }
              boolean full = mr == MR && nr == NR;
              if (full && scale == 1f && (betaNow == 0f || betaNow == 1f)) {
                // The common cases (overwrite or add, alpha folded or 1) go straight into C.
                kernel(kc, aSrc, aIdx, rs, ps, mr, pb, bIdx, c, cIdx, ldc, betaNow == 1f);
              } else {
                kernel(kc, aSrc, aIdx, rs, ps, mr, pb, bIdx, tile, 0, NR, false);
                merge(tile, scale, c, cIdx, ldc, betaNow, mr, nr);
              }
            }
          }
        }
      }
    }
  }

  private static int roundUp(int x, int step) {
    return (x + step - 1) / step * step;
  }

  // Packs alpha * op(A)[ic .. ic+mc, pc .. pc+kc] into panels of MR rows:
  // dst[panel * MR * kc + p * MR + r] = alpha * op(A)(ic + panel*MR + r, pc + p); rows past mc are 0.
  static void packA(boolean transA, float[] a, int aOff, int lda, int ic, int mc, int pc, int kc,
      float alpha, float[] dst) {
    for (int ir = 0; ir < mc; ir += MR) {
      int mr = Math.min(MR, mc - ir);
      int base = ir * kc;
      if (transA) {
        // A is stored k x m: the MR values of one k step are contiguous.
        int src = aOff + pc * lda + ic + ir;
        for (int p = 0; p < kc; p++) {
          int d = base + p * MR;
          int s = src + p * lda;
          for (int r = 0; r < mr; r++) {
            dst[d + r] = alpha * a[s + r];
          }
          for (int r = mr; r < MR; r++) {
            dst[d + r] = 0f;
          }
        }
      } else {
        // A is stored m x k: each row is contiguous along k.
        for (int r = 0; r < mr; r++) {
          int s = aOff + (ic + ir + r) * lda + pc;
          int d = base + r;
          for (int p = 0; p < kc; p++) {
            dst[d + p * MR] = alpha * a[s + p];
          }
        }
        for (int r = mr; r < MR; r++) {
          for (int p = 0; p < kc; p++) {
            dst[base + r + p * MR] = 0f;
          }
        }
      }
    }
  }

  // Packs op(B)[pc .. pc+kc, jc .. jc+nc] into panels of NR columns:
  // dst[panel * NR * kc + p * NR + j] = op(B)(pc + p, jc + panel*NR + j); columns past nc are 0.
  static void packB(boolean transB, float[] b, int bOff, int ldb, int pc, int kc, int jc, int nc,
      float[] dst) {
    for (int jr = 0; jr < nc; jr += NR) {
      int nr = Math.min(NR, nc - jr);
      int base = jr * kc;
      if (!transB) {
        // B is stored k x n: NR contiguous values per k step.
        int src = bOff + pc * ldb + jc + jr;
        if (nr == NR) {
          for (int p = 0; p < kc; p++) {
            int s = src + p * ldb;
            int d = base + p * NR;
            FloatVector.fromArray(SPECIES, b, s).intoArray(dst, d);
            FloatVector.fromArray(SPECIES, b, s + L).intoArray(dst, d + L);
          }
        } else {
          for (int p = 0; p < kc; p++) {
            int s = src + p * ldb;
            int d = base + p * NR;
            for (int j = 0; j < nr; j++) {
              dst[d + j] = b[s + j];
            }
            for (int j = nr; j < NR; j++) {
              dst[d + j] = 0f;
            }
          }
        }
      } else if (nr == NR && GATHER) {
        // B is stored n x k: one k step of the panel is NR values ldb apart, gathered two vectors
        // at a time (lane j reads row j of the panel).
        int[] rows = gatherRows(ldb);
        int src = bOff + (jc + jr) * ldb + pc;
        for (int p = 0; p < kc; p++) {
          int d = base + p * NR;
          FloatVector.fromArray(SPECIES, b, src + p, rows, 0).intoArray(dst, d);
          FloatVector.fromArray(SPECIES, b, src + p, rows, L).intoArray(dst, d + L);
        }
      } else {
        // B is stored n x k: each of the NR columns of op(B) is a contiguous row of B.
        for (int j = 0; j < nr; j++) {
          int s = bOff + (jc + jr + j) * ldb + pc;
          int d = base + j;
          for (int p = 0; p < kc; p++) {
            dst[d + p * NR] = b[s + p];
          }
        }
        for (int j = nr; j < NR; j++) {
          for (int p = 0; p < kc; p++) {
            dst[base + j + p * NR] = 0f;
          }
        }
      }
    }
  }

  // Micro-kernel: one 6 x NR tile over kc steps. A element (r, p) of the tile is pa[aIdx + r*rs + p*ps]
  // (a packed panel: rs = 1, ps = MR; A in place: rs = lda, ps = 1, or rs = 1, ps = lda when
  // transposed); rows r >= mr re-read row 0 so nothing past A is touched (their sums are dropped).
  // pb holds kc steps of NR floats (one packed B panel). The 6 x NR sums go to out (rows outLd apart;
  // with accumulate they are added to what out holds): straight into C for a full tile when alpha
  // and beta allow, else into the scratch tile that a merge loop then folds into C. No vector
  // crosses a call, so C2 never has to box one.
  static void kernel(int kc, float[] pa, int aIdx, int rs, int ps, int mr, float[] pb, int bIdx,
      float[] out, int outIdx, int outLd, boolean accumulate) {
    int o1 = mr > 1 ? rs : 0;
    int o2 = mr > 2 ? 2 * rs : 0;
    int o3 = mr > 3 ? 3 * rs : 0;
    int o4 = mr > 4 ? 4 * rs : 0;
    int o5 = mr > 5 ? 5 * rs : 0;
    FloatVector c00 = FloatVector.zero(SPECIES);
    FloatVector c01 = c00;
    FloatVector c10 = c00;
    FloatVector c11 = c00;
    FloatVector c20 = c00;
    FloatVector c21 = c00;
    FloatVector c30 = c00;
    FloatVector c31 = c00;
    FloatVector c40 = c00;
    FloatVector c41 = c00;
    FloatVector c50 = c00;
    FloatVector c51 = c00;
    int ai = aIdx;
    int bi = bIdx;
    for (int p = 0; p < kc; p++) {
      FloatVector b0 = FloatVector.fromArray(SPECIES, pb, bi);
      FloatVector b1 = FloatVector.fromArray(SPECIES, pb, bi + L);
      FloatVector av = FloatVector.broadcast(SPECIES, pa[ai]);
      c00 = av.fma(b0, c00);
      c01 = av.fma(b1, c01);
      av = FloatVector.broadcast(SPECIES, pa[ai + o1]);
      c10 = av.fma(b0, c10);
      c11 = av.fma(b1, c11);
      av = FloatVector.broadcast(SPECIES, pa[ai + o2]);
      c20 = av.fma(b0, c20);
      c21 = av.fma(b1, c21);
      av = FloatVector.broadcast(SPECIES, pa[ai + o3]);
      c30 = av.fma(b0, c30);
      c31 = av.fma(b1, c31);
      av = FloatVector.broadcast(SPECIES, pa[ai + o4]);
      c40 = av.fma(b0, c40);
      c41 = av.fma(b1, c41);
      av = FloatVector.broadcast(SPECIES, pa[ai + o5]);
      c50 = av.fma(b0, c50);
      c51 = av.fma(b1, c51);
      ai += ps;
      bi += NR;
    }
    int r0 = outIdx;
    int r1 = r0 + outLd;
    int r2 = r1 + outLd;
    int r3 = r2 + outLd;
    int r4 = r3 + outLd;
    int r5 = r4 + outLd;
    if (accumulate) {
      c00 = c00.add(FloatVector.fromArray(SPECIES, out, r0));
      c01 = c01.add(FloatVector.fromArray(SPECIES, out, r0 + L));
      c10 = c10.add(FloatVector.fromArray(SPECIES, out, r1));
      c11 = c11.add(FloatVector.fromArray(SPECIES, out, r1 + L));
      c20 = c20.add(FloatVector.fromArray(SPECIES, out, r2));
      c21 = c21.add(FloatVector.fromArray(SPECIES, out, r2 + L));
      c30 = c30.add(FloatVector.fromArray(SPECIES, out, r3));
      c31 = c31.add(FloatVector.fromArray(SPECIES, out, r3 + L));
      c40 = c40.add(FloatVector.fromArray(SPECIES, out, r4));
      c41 = c41.add(FloatVector.fromArray(SPECIES, out, r4 + L));
      c50 = c50.add(FloatVector.fromArray(SPECIES, out, r5));
      c51 = c51.add(FloatVector.fromArray(SPECIES, out, r5 + L));
    }
    c00.intoArray(out, r0);
    c01.intoArray(out, r0 + L);
    c10.intoArray(out, r1);
    c11.intoArray(out, r1 + L);
    c20.intoArray(out, r2);
    c21.intoArray(out, r2 + L);
    c30.intoArray(out, r3);
    c31.intoArray(out, r3 + L);
    c40.intoArray(out, r4);
    c41.intoArray(out, r4 + L);
    c50.intoArray(out, r5);
    c51.intoArray(out, r5 + L);
  }

  // C (mr x nr corner at cIdx) = alpha * tile + beta * C; beta == 0 does not read C. Whole vectors
  // of the corner go through registers; the columns past the last whole vector (nr not a multiple of
  // L) are done one float at a time, so nothing outside the corner is read or written. No masks: on
  // JDK 17 a masked store whose mask is not all-true always runs the Java fallback (FloatVector.stOp),
  // and C2 then boxes both the vector (a float[] payload) and the mask (a boolean[]) on every call;
  // that was the only Vector API allocation left in a warmed-up training run.
  // alpha and beta are broadcast once, not passed as scalar operands to mul/fma.
  static void merge(float[] tile, float alpha, float[] c, int cIdx, int ldc, float beta, int mr,
      int nr) {
    FloatVector va = FloatVector.broadcast(SPECIES, alpha);
    FloatVector vb = FloatVector.broadcast(SPECIES, beta);
    int whole = nr - nr % L;
    for (int r = 0; r < mr; r++) {
      int ci = cIdx + r * ldc;
      int ti = r * NR;
      for (int v = 0; v < whole; v += L) {
        FloatVector acc = FloatVector.fromArray(SPECIES, tile, ti + v).mul(va);
        if (beta != 0f) {
          acc = FloatVector.fromArray(SPECIES, c, ci + v).fma(vb, acc);
        }
        acc.intoArray(c, ci + v);
      }
      for (int j = whole; j < nr; j++) {
        float acc = alpha * tile[ti + j];
        c[ci + j] = beta != 0f ? Math.fma(c[ci + j], beta, acc) : acc;
      }
    }
  }
}
