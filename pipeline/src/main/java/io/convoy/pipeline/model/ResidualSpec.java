package io.convoy.pipeline.model;

import java.util.ArrayList;
import java.util.List;

/**
 * Residual block {@code out = body(x) + projection(x)}, or {@code body(x) + x} when the projection
 * is null (identity). The body's output shape must equal the projection's (or the input's).
 * Parameters: the body's layers in order, then the projection's.
 */
public record ResidualSpec(String name, List<LayerSpec> body, LayerSpec projection) implements LayerSpec {

  public ResidualSpec {
    String self = name == null ? "residual" : name;
    if (body == null || body.isEmpty()) {
      throw new ModelSpecException("layer " + self + ": a residual block needs at least one body layer");
    }
    for (LayerSpec l : body) {
      if (l == null) {
        throw new ModelSpecException("layer " + self + ": body holds a null layer");
      }
    }
    body = List.copyOf(body);
  }

  /** Shapes through the body, the block input first. */
  public List<TensorShape> bodyShapes(TensorShape in) {
    List<TensorShape> out = new ArrayList<>(body.size() + 1);
    out.add(in);
    TensorShape s = in;
    for (LayerSpec l : body) {
      s = l.outputShape(s);
      out.add(s);
    }
    return out;
  }

  @Override
  public TensorShape outputShape(TensorShape in) {
    List<TensorShape> walk = bodyShapes(in);
    TensorShape bodyOut = walk.get(walk.size() - 1);
    TensorShape skip = projection == null ? in : projection.outputShape(in);
    if (!bodyOut.equals(skip)) {
      throw new ModelSpecException(where() + "body output " + bodyOut + " does not match the "
          + (projection == null ? "identity skip (the block input) " : "projection " + projection.name() + " output ")
          + skip + " for input " + in + (projection == null ? "; add a projection (e.g. a 1x1 conv2d)" : ""));
    }
    return bodyOut;
  }

  @Override
  public int paramCount(TensorShape in) {
    int n = 0;
    TensorShape s = in;
    for (LayerSpec l : body) {
      n += l.paramCount(s);
      s = l.outputShape(s);
    }
    return n + (projection == null ? 0 : projection.paramCount(in));
  }

  @Override
  public int bufferCount(TensorShape in) {
    int n = 0;
    TensorShape s = in;
    for (LayerSpec l : body) {
      n += l.bufferCount(s);
      s = l.outputShape(s);
    }
    return n + (projection == null ? 0 : projection.bufferCount(in));
  }

  @Override
  public String typeKey() {
    return "residual";
  }

  @Override
  public ResidualSpec withName(String newName) {
    return new ResidualSpec(newName, body, projection);
  }

  /** The same block with other body layers and projection (used when names are filled in). */
  public ResidualSpec withChildren(List<LayerSpec> newBody, LayerSpec newProjection) {
    return new ResidualSpec(name, newBody, newProjection);
  }
}
