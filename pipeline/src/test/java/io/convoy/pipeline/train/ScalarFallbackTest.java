package io.convoy.pipeline.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.kernels.Backend;
import io.convoy.kernels.ChildJvm;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.data.Normalization;
import io.convoy.pipeline.model.InitKind;
import io.convoy.pipeline.model.ModelSpec;
import io.convoy.pipeline.model.Network;
import io.convoy.pipeline.model.TensorShape;
import io.convoy.pipeline.optim.OptimizerSpec;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The README's promise for a JVM without the Vector API module: "the kernels fall back to their scalar
 * twins and say so in the log". A child JVM started with this JVM's options minus
 * {@code --add-modules=jdk.incubator.vector} trains the Keras course model (conv, relu, max pool, dense,
 * softmax cross entropy, SGD) for 4 mini-batch steps on seeded synthetic images and writes its parameters
 * to a file; this JVM (Vector API kernels) trains the same and compares.
 *
 * <p>Tolerance. A scalar twin and its vector kernel sum the same products in different orders, and the
 * kernels' tests bound each output's difference by a multiple of the sum of its terms' absolute values:
 * GemmTest by 4 float ulps per term, DirectConvTest by {@code 1e-5 * sum |terms|}, the looser, used here.
 * Plain SGD keeps that difference linear: a parameter after T steps is {@code p0 - lr * sum_t g_t}, so
 * rounding enters once per step and in 4 steps is barely fed back (momentum would only rescale it; Adam's
 * division by {@code sqrt(v)} would turn a rounding difference in a near-zero gradient into a whole step).
 * The terms' sizes are not known per parameter, so the bound takes the parameter's own size plus the
 * largest change any parameter made as the scale: {@code |scalar - vector| <= 1e-5 * T * (|p| +
 * max_i |p_i - p0_i|)}. Measured: the worst parameter is at 3% of it; dropping the last of the 2704 terms
 * of the scalar GEMM's dense-layer sums puts parameter 0 at 57 times it.
 */
class ScalarFallbackTest {
  static final int STEPS = 4;
  static final int BATCH = 16;
  static final float LR = 0.05f;
  static final long SEED = 41L;
  static final String FALLBACK_LOG = "Convoy kernels: scalar, because the jdk.incubator.vector module is missing;"
      + " add --add-modules jdk.incubator.vector to the JVM options for the Vector API kernels";

  /** 64 synthetic 28x28 images, label i % 10, a bright 6x6 square at a place that depends on the label. */
  static ImageSet images() {
    int n = STEPS * BATCH;
    TensorShape shape = new TensorShape(1, 28, 28);
    byte[] px = new byte[n * shape.size()];
    int[] labels = new int[n];
    Random rnd = new Random(SEED);
    for (int i = 0; i < n; i++) {
      labels[i] = i % 10;
      int top = 2 + 4 * (labels[i] / 4);
      int left = 2 + 6 * (labels[i] % 4);
      for (int y = 0; y < 28; y++) {
        for (int x = 0; x < 28; x++) {
          boolean on = y >= top && y < top + 6 && x >= left && x < left + 6;
          px[i * shape.size() + y * 28 + x] = (byte) ((on ? 160 : 0) + rnd.nextInt(90));
        }
      }
    }
    return new ImageSet(shape, px, labels, 10);
  }

  static TrainResult train() {
    ImageSet set = images();
    return new LocalTrainer().train(ModelSpec.kerasCourse(), TrainOptions.of(1, BATCH, OptimizerSpec.sgd(LR), SEED),
        set, null, Normalization.compute(set), null);
  }

  /** The He-initialised parameters both runs start from. */
  static float[] initial() {
    ImageSet set = images();
    Network net = new LocalReplica(ModelSpec.kerasCourse(), BATCH, Normalization.compute(set), null, SEED).network();
    float[] p0 = new float[net.numParams()];
    net.initParams(p0, new float[net.numBuffers()], InitKind.HE, SEED);
    return p0;
  }

  /** In the child: trains, writes the parameters to {@code args[0]} and says which backend ran. */
  public static void main(String[] args) throws IOException {
    TrainResult r = train();
    try (DataOutputStream out = new DataOutputStream(Files.newOutputStream(Path.of(args[0])))) {
      out.writeInt(r.params().length);
      for (float v : r.params()) {
        out.writeFloat(v);
      }
    }
    System.out.println("child: Backend.VECTOR=" + Backend.VECTOR + ", " + r.optimizerStep() + " steps, epoch loss "
        + r.last().loss());
  }

  @Test
  void withoutTheModuleTrainingRunsScalarSaysSoAndMatchesTheVectorRun(@TempDir Path dir) throws IOException {
    assertTrue(Backend.VECTOR, "the build's JVMs run the Vector API kernels: " + Backend.describe());
    Path file = dir.resolve("scalar-params.bin");
    List<String> options = ChildJvm.parentOptionsExcept(o -> o.contains("jdk.incubator.vector"));
    options.add("-Xmx512m");
    ChildJvm.Result child = ChildJvm.run(options, ScalarFallbackTest.class, List.of(file.toString()),
        Duration.ofSeconds(120)).assertSucceeded("training without the jdk.incubator.vector module");
    String out = child.output();
    assertTrue(out.contains(FALLBACK_LOG), "the fallback's log line is missing; the child printed:\n" + out);
    assertTrue(out.contains("child: Backend.VECTOR=false, " + STEPS + " steps"), out);

    float[] scalar;
    try (DataInputStream in = new DataInputStream(Files.newInputStream(file))) {
      scalar = new float[in.readInt()];
      for (int i = 0; i < scalar.length; i++) {
        scalar[i] = in.readFloat();
      }
    }
    TrainResult vector = train();
    assertEquals(STEPS, vector.optimizerStep());
    float[] p0 = initial();
    float[] pv = vector.params();
    assertEquals(pv.length, scalar.length, "parameter count");
    double maxChange = 0;
    for (int i = 0; i < pv.length; i++) {
      maxChange = Math.max(maxChange, Math.abs(pv[i] - p0[i]));
    }
    double worst = 0;
    int differing = 0;
    for (int i = 0; i < pv.length; i++) {
      double d = Math.abs(scalar[i] - pv[i]);
      double bound = 1e-5 * STEPS * (Math.abs(pv[i]) + maxChange);
      worst = Math.max(worst, d / bound);
      differing += d > 0 ? 1 : 0;
      if (d > bound) {
        throw new AssertionError("parameter " + i + " of " + pv.length + ": scalar " + scalar[i] + ", vector " + pv[i]
            + ", initial " + p0[i] + ": differ by " + d + " > " + bound + " (1e-5 * " + STEPS + " steps * (|p| + largest"
            + " change " + maxChange + "))");
      }
    }
    System.out.printf("scalar fallback vs Vector API after %d SGD steps: %d of %d parameters differ, largest change"
        + " %.3g, worst |difference| / bound %.3g%n", STEPS, differing, pv.length, maxChange, worst);
    assertTrue(maxChange > 1e-3, "the steps changed the parameters: largest change " + maxChange);
  }
}
