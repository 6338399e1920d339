package io.convoy.pipeline.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.train.EpochMetrics;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

class ProgressBarTest {
  private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
  private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);
  private final AtomicLong now = new AtomicLong(1_000_000_000L);

  private String text() {
    return bytes.toString(StandardCharsets.UTF_8);
  }

  private static EpochMetrics metrics(int epoch) {
    return new EpochMetrics(epoch, 0.4321, 0.85, 0.84, Double.NaN, 1234, 12.3, 1.5, 0.25, 1e-3);
  }

  @Test
  void terminalRedrawsOneLineWithBarRateAndEta() {
    ProgressBar bar = new ProgressBar(out, true, now::get).imagesPerBatch(100).totalEpochs(2).barWidth(10)
        .redrawNanos(0);
    // 10 batches of 100 images, 0.5 s each: 200 images/s, loss 1.0 .. 0.1
    for (int b = 0; b < 10; b++) {
      now.addAndGet(500_000_000L);
      bar.onBatch(0, b, 10, 1.0 - 0.1 * b);
      if (b == 3) {
        String s = text();
        String line = s.substring(s.lastIndexOf('\r') + 1);
        // 4 of 10 done, 3 of them timed in 1.5 s: bar 4/10 filled, mean loss (1+.9+.8+.7)/4 = .85,
        // 3 s left in the epoch, plus one more epoch estimated at 5 s
        assertEquals("epoch 1/2 [====>     ] 4/10  loss 0.8500  200 images/s  ETA 0:03 (run 0:08)", line.stripTrailing());
        assertFalse(s.contains("\n"), "a terminal bar must not add lines while an epoch runs: " + s);
      }
    }
    bar.onEpoch(metrics(0));
    String s = text();
    assertEquals(11, s.chars().filter(c -> c == '\r').count() - 1, "one redraw per batch plus one clearing: " + s);
    String last = s.substring(s.lastIndexOf('\r') + 1);
    assertEquals("epoch 1/2: loss 0.4321, accuracy train 85.00% val 84.00% test -, 1234 images/s, compute 12.3 s, "
        + "communication 1.5 s, wait 0.3 s, lr 0.00100" + System.lineSeparator(), last);
  }

  @Test
  void runningLossWeightsEachCallByTheBatchesItAdvances() {
    ProgressBar bar = new ProgressBar(out, true, now::get).redrawNanos(0).barWidth(10);
    // a live report of batches 1-2 at loss 2.0, then the rest of the epoch (8 batches) at loss 1.0
    now.addAndGet(500_000_000L);
    bar.onBatch(0, 1, 10, 2.0);
    now.addAndGet(500_000_000L);
    bar.onBatch(0, 9, 10, 1.0);
    String s = text();
    String line = s.substring(s.lastIndexOf('\r') + 1);
    assertTrue(line.contains("10/10  loss 1.2000"), "(2*2 + 8*1) / 10 = 1.2 expected: " + line);
  }

  @Test
  void terminalThrottlesRedraws() {
    ProgressBar bar = new ProgressBar(out, true, now::get).imagesPerBatch(10);
    for (int b = 0; b < 100; b++) {
      now.addAndGet(10_000_000L);   // 10 ms per batch, redraws at most every 100 ms
      bar.onBatch(0, b, 100, 0.5);
    }
    long redraws = text().chars().filter(c -> c == '\r').count();
    assertTrue(redraws >= 10 && redraws <= 12, "expected about 11 redraws in 1 s at 100 ms, got " + redraws);
    assertTrue(text().contains("100/100"), "the last batch is always drawn: " + text());
  }

  @Test
  void plainModeLogsEveryTenPercentAndAnEpochSummary() {
    ProgressBar bar = new ProgressBar(out, false, now::get).epochDetail(e -> List.of("detail of epoch " + e));
    for (int epoch = 0; epoch < 2; epoch++) {
      for (int b = 0; b < 469; b++) {
        now.addAndGet(20_000_000L);
        bar.onBatch(epoch, b, 469, 0.3);
      }
      bar.onEpoch(metrics(epoch));
    }
    String s = text();
    assertFalse(s.contains("\r"), "plain mode never redraws: " + s);
    List<String> lines = s.lines().toList();
    // per epoch: 9 progress lines (10% .. 90%), the summary, the detail line
    assertEquals(22, lines.size(), s);
    assertTrue(lines.get(0).startsWith("epoch 1: batch 47/469 (10%)  loss 0.3000  50.00 batches/s"), lines.get(0));
    assertTrue(lines.get(0).contains("ETA 0:08"), lines.get(0));
    assertTrue(lines.get(9).startsWith("epoch 1: loss 0.4321"), lines.get(9));
    assertEquals("  detail of epoch 0", lines.get(10));
    assertTrue(lines.get(11).startsWith("epoch 2: batch 47/469"), lines.get(11));
    assertEquals("  detail of epoch 1", lines.get(21));
  }

  @Test
  void durationsAndRejectedSettings() {
    assertEquals("0:05", ProgressBar.duration(4.6));
    assertEquals("2:03", ProgressBar.duration(123));
    assertEquals("1:00:01", ProgressBar.duration(3601));
    assertEquals("-", ProgressBar.duration(Double.NaN));
    ProgressBar bar = new ProgressBar(out, false, now::get);
    IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
        () -> bar.logEveryPercent(0));
    assertTrue(e.getMessage().contains("got 0"), e.getMessage());
  }
}
