package io.convoy.pipeline.model;

/** A model description that cannot work: a shape that does not fit, a bad key, a duplicate name. */
public class ModelSpecException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  public ModelSpecException(String message) {
    super(message);
  }

  public ModelSpecException(String message, Throwable cause) {
    super(message, cause);
  }
}
