package io.convoy.pipeline.train;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** Fashion-MNIST from the Debian package's IDX files, read once per test JVM. */
final class FashionMnist {
  static final String DIR = "file:///usr/share/datasets/fashion-mnist/";
  private static ImageSet train;
  private static ImageSet test;

  private FashionMnist() {}

  static synchronized ImageSet train() {
    if (train == null) {
      train = IdxReader.read(new Path(DIR + "train-images-idx3-ubyte.gz"), new Path(DIR + "train-labels-idx1-ubyte.gz"),
          new Configuration(), 10);
    }
    return train;
  }

  static synchronized ImageSet test() {
    if (test == null) {
      test = IdxReader.read(new Path(DIR + "t10k-images-idx3-ubyte.gz"), new Path(DIR + "t10k-labels-idx1-ubyte.gz"),
          new Configuration(), 10);
    }
    return test;
  }
}
