package io.convoy.kernels.bench;

import io.convoy.kernels.Conv2d;
import io.convoy.kernels.ConvShape;
import io.convoy.kernels.Im2col;
import io.convoy.kernels.Pool2d;
import io.convoy.kernels.PoolShape;
import io.convoy.kernels.ScalarPool2d;
import java.util.Arrays;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The conv layers of the reference CNN and the 2x2 max/avg pooling that follows each:
 * {@code conv1} 1 -> 32 channels, 3x3, pad 1 on 28x28; {@code conv2} 32 -> 64, 3x3, pad 1 on 14x14.
 * Milliseconds per call for a whole batch; images/s = batch / (ms / 1000). Forward FLOPs are
 * {@code 2*N*K*C*R*S*P*Q} (conv1: 0.45 MFLOP per image, conv2: 7.2 MFLOP per image); each backward
 * pass costs the same. {@code im2col} alone shows the unfolding's share. The pooling pairs (facade vs
 * scalar twin) show whether the specialised 2x2 loop is worth having.
 *
 * <pre>kernels/bench.sh ConvBench -p batch=32</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:PerMethodTrapLimit=100000"})
public class ConvBench {

  @Param({"conv1", "conv2"})
  public String layer;

  @Param({"32"})
  public int batch;

  ConvShape shape;
  PoolShape pool;
  float[] in;
  float[] params;
  int bOff;
  float[] out;
  float[] dOut;
  float[] dIn;
  float[] dParams;
  float[] ws;
  float[] pooled;
  float[] dPooled;
  int[] argmax;

  @Setup
  public void setup() {
    switch (layer) {
      case "conv1":
        shape = ConvShape.square(batch, 1, 28, 28, 32, 3, 1, 1);
        break;
      case "conv2":
        shape = ConvShape.square(batch, 32, 14, 14, 64, 3, 1, 1);
        break;
      default:
        throw new IllegalArgumentException("layer must be conv1 or conv2, got " + layer);
    }
    pool = PoolShape.square(batch, shape.k(), shape.p(), shape.q(), 2, 2);
    Random rnd = new Random(1);
    in = random(rnd, shape.inSize());
    params = random(rnd, shape.paramCount());
    bOff = shape.weightSize();
    out = new float[shape.outSize()];
    dOut = random(rnd, shape.outSize());
    dIn = new float[shape.inSize()];
    dParams = new float[shape.paramCount()];
    ws = new float[Conv2d.workspaceSize(shape)];
    pooled = new float[pool.outSize()];
    dPooled = random(rnd, pool.outSize());
    argmax = new int[pool.outSize()];
    Pool2d.maxForward(pooled, argmax, dOut, pool);
  }

  private static float[] random(Random rnd, int n) {
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = rnd.nextFloat() * 2 - 1;
    }
    return x;
  }

  @Benchmark
  public float[] forward() {
    Conv2d.forward(out, in, params, 0, params, bOff, shape, ws);
    return out;
  }

  @Benchmark
  public float[] backwardData() {
    Conv2d.backwardData(dIn, dOut, params, 0, shape, ws);
    return dIn;
  }

  @Benchmark
  public float[] backwardWeights() {
    Conv2d.backwardWeights(dParams, 0, dParams, bOff, dOut, in, shape, ws);
    return dParams;
  }

  /** The unfolding alone, over the batch (what forward and backwardWeights pay on top of the GEMM). */
  @Benchmark
  public float[] im2col() {
    int chw = shape.c() * shape.h() * shape.w();
    for (int n = 0; n < shape.n(); n++) {
      Im2col.im2col(in, n * chw, shape, ws, 0);
    }
    return ws;
  }

  @Benchmark
  public int[] maxPoolForward() {
    Pool2d.maxForward(pooled, argmax, out, pool);
    return argmax;
  }

  @Benchmark
  public int[] maxPoolForwardScalar() {
    ScalarPool2d.maxForward(pooled, argmax, out, pool);
    return argmax;
  }

  @Benchmark
  public float[] maxPoolBackward() {
    Arrays.fill(dOut, 0f);
    Pool2d.maxBackward(dOut, dPooled, argmax, pool);
    return dOut;
  }

  @Benchmark
  public float[] avgPoolForward() {
    Pool2d.avgForward(pooled, out, pool);
    return pooled;
  }

  @Benchmark
  public float[] avgPoolForwardScalar() {
    ScalarPool2d.avgForward(pooled, out, pool);
    return pooled;
  }
}
