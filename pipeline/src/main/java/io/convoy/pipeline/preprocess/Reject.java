package io.convoy.pipeline.preprocess;

import java.io.Serializable;
import java.util.Locale;

/**
 * One input file that was not turned into an example, with why.
 *
 * @param path the file (full URI)
 * @param reason the kind of failure
 * @param detail what the decoder said, one line
 */
public record Reject(String path, Reason reason, String detail) implements Serializable {
  private static final long serialVersionUID = 1L;

  /** Why a file was rejected. */
  public enum Reason {
    /** Zero bytes. */
    EMPTY,
    /** No image reader recognises the content (text, unknown format). */
    NOT_AN_IMAGE,
    /** Recognised but cannot be decoded completely (truncated, corrupt data). */
    CORRUPT,
    /** The header claims more pixels than preprocess.max-pixels, or a non-positive size. */
    BAD_DIMENSIONS,
    /** No label: a file outside any class folder or missing from the label file. */
    NO_LABEL,
    /** The file system could not read the file. */
    READ_ERROR;

    /** The spelling in rejects.csv and the summary. */
    public String key() {
      return name().toLowerCase(Locale.ROOT).replace('_', '-');
    }
  }

  public Reject {
    detail = detail == null ? "" : detail.replace('\n', ' ').replace('\r', ' ');
  }

  /** One CSV line {@code path,reason,detail} with RFC 4180 quoting. */
  public String csvLine() {
    return quote(path) + "," + reason.key() + "," + quote(detail);
  }

  static String quote(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0) {
      return s;
    }
    return "\"" + s.replace("\"", "\"\"") + "\"";
  }
}
