package io.convoy.kernels.bench;

import io.convoy.kernels.ArrowCopy;
import io.convoy.kernels.Conv2d;
import io.convoy.kernels.ConvShape;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What getting a mini-batch out of its Arrow buffer costs, next to the first layer that consumes it.
 *
 * <p>A Fashion-MNIST batch of 128 images (128 x 1 x 28 x 28 floats, 392 KiB) sits in an {@link ArrowBuf}.
 * {@code bulkCopy} moves it into a reused {@code float[]} workspace with one {@link ArrowCopy#floats} call
 * (what the trainer does); {@code readInPlace} reads every float straight from the buffer, the least any
 * kernel reading Arrow memory directly would pay; {@code conv1Forward} is the reference CNN's first
 * convolution (1 -> 32 channels, 3x3, pad 1) on that batch, the layer that reads the input.
 *
 * <pre>kernels/bench.sh ArrowInputBench</pre>
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules=jdk.incubator.vector", "-XX:PerMethodTrapLimit=100000", "--add-opens=java.base/java.nio=ALL-UNNAMED"})
public class ArrowInputBench {

  @Param({"128"})
  public int batch;

  BufferAllocator allocator;
  ArrowBuf buf;
  float[] workspace;
  int count;
  ConvShape conv1;
  float[] params;
  float[] out;
  float[] ws;

  @Setup
  public void setUp() {
    count = batch * 28 * 28;
    allocator = new RootAllocator();
    buf = allocator.buffer(4L * count);
    Random r = new Random(7);
    for (int i = 0; i < count; i++) {
      buf.setFloat(4L * i, r.nextFloat());
    }
    workspace = new float[count];
    conv1 = new ConvShape(batch, 1, 28, 28, 32, 3, 3, 1, 1, 1, 1);
    params = new float[32 * 9 + 32];
    for (int i = 0; i < params.length; i++) {
      params[i] = (float) r.nextGaussian() * 0.1f;
    }
    out = new float[batch * 32 * 28 * 28];
    ws = new float[Conv2d.workspaceSize(conv1)];
    ArrowCopy.floats(buf, 0, workspace, 0, count);
  }

  @TearDown
  public void tearDown() {
    buf.close();
    allocator.close();
  }

  @Benchmark
  public float[] bulkCopy() {
    ArrowCopy.floats(buf, 0, workspace, 0, count);
    return workspace;
  }

  @Benchmark
  public float readInPlace() {
    float s = 0f;
    for (int i = 0; i < count; i++) {
      s += buf.getFloat(4L * i);
    }
    return s;
  }

  @Benchmark
  public float[] conv1Forward() {
    Conv2d.forward(out, workspace, params, 0, params, 32 * 9, conv1, ws);
    return out;
  }
}
