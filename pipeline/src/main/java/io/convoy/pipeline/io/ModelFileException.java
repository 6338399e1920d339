package io.convoy.pipeline.io;

/** A model or checkpoint file that cannot be read or written; the message names the file. */
public class ModelFileException extends RuntimeException {
  public ModelFileException(String message) {
    super(message);
  }

  public ModelFileException(String message, Throwable cause) {
    super(message, cause);
  }
}
