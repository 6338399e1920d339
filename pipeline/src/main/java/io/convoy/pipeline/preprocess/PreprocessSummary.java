package io.convoy.pipeline.preprocess;

import java.util.Locale;
import java.util.Map;

/**
 * What a preprocessing run did.
 *
 * @param output the committed output folder
 * @param read input files considered (after the glob)
 * @param written examples written to shards
 * @param rejected files rejected
 * @param rejectsByReason rejected files per {@link Reject.Reason#key()}
 * @param perSplit examples written per split name
 * @param shards shard files written
 * @param extensionMismatches files decoded whose content format differs from their extension
 * @param seconds wall time of the run
 * @param manifest the manifest written
 */
public record PreprocessSummary(String output, long read, long written, long rejected, Map<String, Long> rejectsByReason,
    Map<String, Long> perSplit, int shards, long extensionMismatches, double seconds, ShardManifest manifest) {

  /** Examples (written + rejected files) per second of wall time. */
  public double imagesPerSecond() {
    return seconds > 0 ? read / seconds : 0;
  }

  /** A few lines for logs and the command line. */
  public String describe() {
    return String.format(Locale.ROOT, "preprocessed %d files in %.1f s (%.0f images/s): %d written %s in %d shards,"
        + " %d rejected %s, %d with a misleading extension; output %s", read, seconds, imagesPerSecond(), written,
        perSplit, shards, rejected, rejectsByReason, extensionMismatches, output);
  }
}
