package io.convoy.jobs;

/**
 * A job configuration that cannot be used: a missing or unknown key, a value of the wrong type or out
 * of range. The message names the key and the value found. {@link Main} turns it into exit code 2.
 */
public class JobConfigException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public JobConfigException(String message) {
    super(message);
  }

  public JobConfigException(String message, Throwable cause) {
    super(message, cause);
  }
}
