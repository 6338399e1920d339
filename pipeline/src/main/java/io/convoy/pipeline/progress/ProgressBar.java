package io.convoy.pipeline.progress;

import io.convoy.pipeline.train.EpochMetrics;
import io.convoy.pipeline.train.TrainingListener;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.function.IntFunction;
import java.util.function.Supplier;

/**
 * Shows training progress. On a terminal it redraws one line in place (with {@code \r}): epoch, a
 * bar, batches done of the epoch's total, the running mean loss of the epoch, images per second and
 * the time left. The running loss weights each call's loss by the batches the call advances, so
 * trainers that report several batches at once (an averaging round, live progress) still give the
 * mean over batches. Elsewhere (a log file, a pipe, Spark's driver log) it prints plain lines instead:
 * one every {@link #logEveryPercent(int)} percent of an epoch at most. After every epoch both modes
 * print one summary line: loss, train/validation/test accuracy, images per second and the
 * compute/communication/wait seconds, then any extra lines an {@link #epochDetail(IntFunction)}
 * source gives (for instance {@link SparkTimeListener#describeEpoch(int)}).
 *
 * <p>Epochs are shown 1-based ("epoch 1/10") although listeners receive them 0-based. Time comes
 * from an injected nanosecond clock so that tests can drive it. Not thread-safe: calls must not
 * overlap (the Spark trainer's live calls from the listener bus never overlap its own).
 */
public final class ProgressBar implements TrainingListener {
  /** Default smallest interval between two redraws of the terminal line. */
  public static final long DEFAULT_REDRAW_NANOS = 100_000_000L;

  private final PrintStream out;
  private final boolean terminal;
  private final Supplier<Long> clock;
  private int imagesPerBatch;
  private int totalEpochs;
  private int barWidth = 30;
  private int logEveryPercent = 10;
  private long redrawNanos = DEFAULT_REDRAW_NANOS;
  private IntFunction<List<String>> epochDetail = e -> List.of();

  // state of the current epoch
  private int epoch = -1;
  private long epochStart;
  private long lastRedraw = Long.MIN_VALUE;
  private int nextLogPercent;
  private double lossSum;
  private long lossCount;
  private int lastDone;
  private int lineLength;
  private int firstDone;
  private double secondsOfEpochs;
  private int epochsTimed;
  private long lastEpochEnd = Long.MIN_VALUE;

  /**
   * A progress display writing to {@code out}.
   *
   * @param out where to print
   * @param terminal true to redraw one line in place, false for plain log lines
   * @param nanoClock monotonic time in nanoseconds (e.g. {@code System::nanoTime})
   */
  public ProgressBar(PrintStream out, boolean terminal, Supplier<Long> nanoClock) {
    if (out == null || nanoClock == null) {
      throw new IllegalArgumentException("ProgressBar: out and nanoClock must not be null");
    }
    this.out = out;
    this.terminal = terminal;
    this.clock = nanoClock;
  }

  /**
   * A progress display on standard output; it redraws in place when the JVM has a console
   * ({@code System.console() != null}) or {@code forceTerminal} is true.
   */
  public static ProgressBar console(boolean forceTerminal) {
    return new ProgressBar(System.out, forceTerminal || System.console() != null, System::nanoTime);
  }

  /** Images per optimizer step, for images per second between epochs (0 = unknown: batches/s shown). */
  public ProgressBar imagesPerBatch(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("progress images per batch must be >= 0, got " + n);
    }
    this.imagesPerBatch = n;
    return this;
  }

  /** Number of epochs of the run (0 = unknown), for "epoch 3/10" and the time left of the whole run. */
  public ProgressBar totalEpochs(int n) {
    if (n < 0) {
      throw new IllegalArgumentException("progress total epochs must be >= 0, got " + n);
    }
    this.totalEpochs = n;
    return this;
  }

  /** Characters of the bar (default 30). */
  public ProgressBar barWidth(int n) {
    if (n < 1) {
      throw new IllegalArgumentException("progress bar width must be >= 1, got " + n);
    }
    this.barWidth = n;
    return this;
  }

  /** In plain mode, at most one line every this many percent of an epoch (1..100, default 10). */
  public ProgressBar logEveryPercent(int p) {
    if (p < 1 || p > 100) {
      throw new IllegalArgumentException("progress log interval must be within 1..100 percent, got " + p);
    }
    this.logEveryPercent = p;
    return this;
  }

  /** In terminal mode, the smallest interval between redraws in nanoseconds (default 100 ms; 0 = every batch). */
  public ProgressBar redrawNanos(long nanos) {
    if (nanos < 0) {
      throw new IllegalArgumentException("progress redraw interval must be >= 0 ns, got " + nanos);
    }
    this.redrawNanos = nanos;
    return this;
  }

  /** Extra lines printed after each epoch's summary, given the 0-based epoch (e.g. Spark times, stragglers). */
  public ProgressBar epochDetail(IntFunction<List<String>> source) {
    this.epochDetail = source == null ? e -> List.of() : source;
    return this;
  }

  /** True when the display redraws one line in place. */
  public boolean terminal() {
    return terminal;
  }

  @Override
  public void onBatch(int epoch, int batch, int batches, double loss) {
    long now = clock.get();
    if (epoch != this.epoch) {
      startEpoch(epoch, now);
      firstDone = Math.min(batch + 1, Math.max(batches, 1));
    }
    int done = Math.min(batch + 1, Math.max(batches, 1));
    // a call's loss is the mean over the batches it advances (one per step; more for a trainer that
    // reports a whole averaging round, or live progress between heartbeats): weight it by them
    int advanced = Math.max(1, done - lastDone);
    lastDone = Math.max(lastDone, done);
    if (Double.isFinite(loss)) {
      lossSum += loss * advanced;
      lossCount += advanced;
    }
    int total = Math.max(batches, done);
    boolean last = done >= total;
    if (terminal) {
      if (last || redrawNanos == 0 || lastRedraw == Long.MIN_VALUE || now - lastRedraw >= redrawNanos) {
        lastRedraw = now;
        redraw(barLine(done, total, now));
      }
    } else {
      int percent = (int) (100L * done / total);
      if (percent >= nextLogPercent && !last) {
        out.println(plainLine(done, total, percent, now));
        nextLogPercent = (percent / logEveryPercent + 1) * logEveryPercent;
      }
    }
  }

  @Override
  public void onEpoch(EpochMetrics m) {
    long now = clock.get();
    if (lastEpochEnd != Long.MIN_VALUE) {   // epoch to epoch, validation and Spark set-up included
      secondsOfEpochs += (now - lastEpochEnd) / 1e9;
      epochsTimed++;
    }
    lastEpochEnd = now;
    if (terminal && lineLength > 0) {
      out.print('\r' + " ".repeat(lineLength) + '\r');
      lineLength = 0;
    }
    out.println(summary(m));
    for (String line : epochDetail.apply(m.epoch())) {
      out.println("  " + line);
    }
    out.flush();
    this.epoch = -1;
  }

  /** The summary line printed after an epoch. */
  public String summary(EpochMetrics m) {
    StringBuilder sb = new StringBuilder();
    sb.append(epochLabel(m.epoch())).append(": loss ").append(fmt("%.4f", m.loss()));
    sb.append(", accuracy train ").append(pct(m.trainAccuracy()));
    sb.append(" val ").append(pct(m.valAccuracy()));
    sb.append(" test ").append(pct(m.testAccuracy()));
    sb.append(", ").append(fmt("%.0f", m.imagesPerSecond())).append(" images/s");
    sb.append(", compute ").append(fmt("%.1f", m.computeSeconds())).append(" s");
    sb.append(", communication ").append(fmt("%.1f", m.communicationSeconds())).append(" s");
    sb.append(", wait ").append(fmt("%.1f", m.waitSeconds())).append(" s");
    if (Double.isFinite(m.learningRate())) {
      sb.append(", lr ").append(String.format(Locale.ROOT, "%.3g", m.learningRate()));
    }
    return sb.toString();
  }

  private void startEpoch(int e, long now) {
    if (terminal && lineLength > 0) {   // an epoch ended without onEpoch: keep its last line
      out.println();
      lineLength = 0;
    }
    this.epoch = e;
    this.epochStart = now;
    this.lastRedraw = Long.MIN_VALUE;
    this.nextLogPercent = logEveryPercent;
    this.lossSum = 0;
    this.lossCount = 0;
    this.lastDone = 0;
  }

  private String barLine(int done, int total, long now) {
    int filled = (int) ((long) barWidth * done / total);
    StringBuilder sb = new StringBuilder();
    sb.append(epochLabel(epoch)).append(" [");
    sb.append("=".repeat(filled));
    if (filled < barWidth) {
      sb.append('>').append(" ".repeat(barWidth - filled - 1));
    }
    sb.append("] ").append(done).append('/').append(total);
    appendRates(sb, done, total, now);
    return sb.toString();
  }

  private String plainLine(int done, int total, int percent, long now) {
    StringBuilder sb = new StringBuilder();
    sb.append(epochLabel(epoch)).append(": batch ").append(done).append('/').append(total)
        .append(" (").append(percent).append("%)");
    appendRates(sb, done, total, now);
    return sb.toString();
  }

  private void appendRates(StringBuilder sb, int done, int total, long now) {
    // the clock starts when the epoch's first batch is reported, so rates count the batches after it
    double seconds = (now - epochStart) / 1e9;
    int timed = done - firstDone;
    sb.append("  loss ").append(lossCount == 0 ? "-" : fmt("%.4f", lossSum / lossCount));
    if (seconds > 0 && timed > 0) {
      if (imagesPerBatch > 0) {
        sb.append("  ").append(fmt("%.0f", timed * (double) imagesPerBatch / seconds)).append(" images/s");
      } else {
        sb.append("  ").append(fmt("%.2f", timed / seconds)).append(" batches/s");
      }
      double epochLeft = seconds / timed * (total - done);
      sb.append("  ETA ").append(duration(epochLeft));
      if (totalEpochs > 0 && epoch + 1 < totalEpochs) {
        double perEpoch = epochsTimed > 0 ? secondsOfEpochs / epochsTimed : seconds / timed * total;
        sb.append(" (run ").append(duration(epochLeft + perEpoch * (totalEpochs - epoch - 1))).append(')');
      }
    }
  }

  private void redraw(String line) {
    int pad = Math.max(0, lineLength - line.length());
    out.print('\r' + line + " ".repeat(pad));
    out.flush();
    lineLength = line.length();
  }

  private String epochLabel(int e) {
    return "epoch " + (e + 1) + (totalEpochs > 0 ? "/" + totalEpochs : "");
  }

  /** Seconds as m:ss, or h:mm:ss from an hour on. */
  static String duration(double seconds) {
    if (!Double.isFinite(seconds) || seconds < 0) {
      return "-";
    }
    long s = Math.round(seconds);
    long h = s / 3600;
    long m = s / 60 % 60;
    long r = s % 60;
    return h > 0 ? String.format(Locale.ROOT, "%d:%02d:%02d", h, m, r) : String.format(Locale.ROOT, "%d:%02d", m, r);
  }

  private static String pct(double fraction) {
    return Double.isFinite(fraction) ? String.format(Locale.ROOT, "%.2f%%", 100 * fraction) : "-";
  }

  private static String fmt(String f, double v) {
    return Double.isFinite(v) ? String.format(Locale.ROOT, f, v) : "-";
  }
}
