package io.convoy.pipeline.model;

import java.util.Arrays;

/**
 * Where one parameter tensor lives in the flat parameter vector, e.g. {@code conv1.weight} at
 * offset 0, length 288, shape (32, 1, 3, 3). Shapes follow PyTorch's layouts.
 */
public record ParamSlice(String name, int offset, int length, int[] shape) {

  public ParamSlice {
    shape = shape.clone();
  }

  @Override
  public int[] shape() {
    return shape.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParamSlice p && p.name.equals(name) && p.offset == offset && p.length == length
        && Arrays.equals(p.shape, shape);
  }

  @Override
  public int hashCode() {
    return name.hashCode() * 31 + offset;
  }

  @Override
  public String toString() {
    return name + " " + Arrays.toString(shape) + " @" + offset + "+" + length;
  }
}
