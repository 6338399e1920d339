package io.convoy.pipeline.io;

import io.convoy.pipeline.model.ModelSpec;
import java.util.Map;

/**
 * A trained model as stored by {@link ModelFile}: its spec, the flat parameter vector, the flat
 * buffer vector (batch-norm running statistics) and free-form metadata (plain JSON values: strings,
 * numbers, booleans, lists, maps). The arrays are kept, not copied.
 *
 * @param spec the model spec
 * @param params {@code spec.paramCount()} floats
 * @param buffers {@code spec.bufferCount()} floats
 * @param metadata JSON-able metadata, e.g. accuracy and training time; never null
 */
public record SavedModel(ModelSpec spec, float[] params, float[] buffers, Map<String, Object> metadata) {

  public SavedModel {
    if (spec == null || params == null || buffers == null) {
      throw new IllegalArgumentException("SavedModel: spec, params and buffers must not be null");
    }
    if (params.length != spec.paramCount()) {
      throw new IllegalArgumentException("SavedModel: the spec has " + spec.paramCount() + " parameters, got "
          + params.length);
    }
    if (buffers.length != spec.bufferCount()) {
      throw new IllegalArgumentException("SavedModel: the spec has " + spec.bufferCount() + " buffer floats, got "
          + buffers.length);
    }
    metadata = metadata == null ? Map.of() : metadata;
  }
}
