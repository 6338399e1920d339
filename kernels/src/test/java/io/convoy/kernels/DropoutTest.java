package io.convoy.kernels;

import static io.convoy.kernels.ActivationsTest.random;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

/** Dropout: mask values, keep rate, reproducibility from the seed, identity at p = 0, backward. */
class DropoutTest {
  @Test
  void maskIsZeroOrInverseKeepAndReproducible() {
    int n = 20_000;
    float p = 0.3f;
    float[] in = random(new SplittableRandom(51), n, -1, 1);
    float[] out = new float[n];
    float[] mask = new float[n];
    Dropout.forward(out, mask, in, n, p, 1234L);
    int kept = 0;
    for (int i = 0; i < n; i++) {
      assertTrue(mask[i] == 0f || mask[i] == 1f / (1f - p), "mask[" + i + "] = " + mask[i]);
      assertEquals(in[i] * mask[i], out[i], 0f);
      kept += mask[i] != 0f ? 1 : 0;
    }
    // keep rate 0.7; 5 standard deviations of a binomial with n = 20000 is about 0.016
    assertEquals(0.7, kept / (double) n, 0.016);

    float[] again = new float[n];
    float[] out2 = new float[n];
    Dropout.forward(out2, again, in, n, p, 1234L);
    assertArrayEquals(mask, again, 0f, "same seed, same mask");
    Dropout.forward(out2, again, in, n, p, 1235L);
    assertFalse(Arrays.equals(mask, again), "another seed gives another mask");
  }

  @Test
  void zeroProbabilityIsIdentityAndBackwardAdds() {
    float[] in = random(new SplittableRandom(52), 17, -1, 1);
    float[] out = new float[17];
    float[] mask = new float[17];
    Dropout.forward(out, mask, in, 17, 0f, 9L);
    assertArrayEquals(in, out, 0f);
    float[] dIn = {1f, 1f, 1f};
    Dropout.backward(dIn, new float[] {2f, 3f, 4f}, new float[] {0f, 2f, 2f}, 3);
    assertArrayEquals(new float[] {1f, 7f, 9f}, dIn, 0f);
  }

  @Test
  void rejectsProbabilityOutsideRange() {
    for (float p : new float[] {-0.1f, 1f, Float.NaN}) {
      IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
          () -> Dropout.forward(new float[2], new float[2], new float[2], 2, p, 1L));
      assertTrue(e.getMessage().contains("[0, 1)") && e.getMessage().contains(String.valueOf(p)), e.getMessage());
    }
  }
}
