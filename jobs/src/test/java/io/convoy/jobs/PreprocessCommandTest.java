package io.convoy.jobs;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.io.ModelFile;
import io.convoy.pipeline.io.SavedModel;
import io.convoy.pipeline.preprocess.ShardManifest;
import java.awt.image.BufferedImage;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code preprocess} command end to end: a small tree of PNGs becomes shards, and {@code train}
 * reads them through {@code data.*.shards}; plus its configuration errors.
 */
class PreprocessCommandTest {
  private static final String ROOT = System.getProperty("convoy.project.root", "..");
  private static final String FASHION = ROOT + "/conf/fashion-mnist.conf";
  private static final String EXAMPLE = ROOT + "/conf/preprocess-example.conf";
  private static final String[] CLASSES = {"t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt",
      "sneaker", "bag", "boot"};

  /** The first {@code n} Fashion-MNIST test images as 28x28 grey PNGs in class folders, plus one text file. */
  private static void writeTree(Path root, int n) throws Exception {
    ImageSet set = IdxReader.read(new org.apache.hadoop.fs.Path("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz"),
        new org.apache.hadoop.fs.Path("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz"),
        new Configuration(), 10);
    for (int i = 0; i < n; i++) {
      BufferedImage img = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      img.getRaster().setDataElements(0, 0, 28, 28, java.util.Arrays.copyOfRange(set.pixels(), i * 784, (i + 1) * 784));
      Path dir = root.resolve(CLASSES[set.labels()[i]]);
      Files.createDirectories(dir);
      ImageIO.write(img, "png", dir.resolve(String.format("%04d.png", i)).toFile());
    }
    Files.writeString(root.resolve("bag/notes.png"), "these are notes, not an image", StandardCharsets.UTF_8);
  }

  @Test
  void preprocessesATreeAndTrainsFromItsShards(@TempDir Path tmp) throws Exception {
    Path images = tmp.resolve("images");
    writeTree(images, 600);
    Path shards = tmp.resolve("shards");
    MainTest.Result p = MainTest.main("preprocess", EXAMPLE, "spark.master=local[2]",
        "spark.conf.spark.ui.enabled=false", "preprocess.input=\"" + images.toUri() + "\"",
        "preprocess.output=\"" + shards.toUri() + "\"", "preprocess.shard-size=128");
    assertEquals(0, p.code(), p.err() + p.out());
    assertEquals(shards.toString(), Path.of(java.net.URI.create(p.lastLine())).toString(), p.out());
    assertTrue(p.out().contains("601 files") && p.out().contains("600 written") && p.out().contains("not-an-image=1"),
        p.out());
    ShardManifest m = ShardManifest.read(shards.toUri().toString(), new Configuration());
    assertEquals("compute", m.normalizeMode());
    long train = m.split("train").count();
    assertEquals(600, train + m.split("validation").count() + m.split("test").count());

    String dir = "\"" + shards.toUri() + "\"";
    MainTest.Result t = MainTest.main("train", FASHION, "spark.master=local[2]", "spark.conf.spark.ui.enabled=false",
        "data.train.images=null", "data.train.labels=null", "data.train.shards=" + dir,
        "data.validation.shards=" + dir, "data.test.images=null", "data.test.labels=null", "data.test.shards=" + dir,
        "data.normalization.compute=true", "train.epochs=1", "train.partitions=2", "output.dir=\"" + tmp.resolve("runs")
            + "\"");
    assertEquals(0, t.code(), t.err() + t.out());
    assertTrue(t.out().contains("shards ") && t.out().contains("[train]"), t.out());
    Path run = Path.of(t.lastLine());
    List<String> metrics = Files.readAllLines(run.resolve("metrics.jsonl"));
    assertEquals(1, metrics.size());
    assertTrue(metrics.get(0).startsWith("{\"epoch\":1,"), metrics.get(0));
    for (String key : List.of("train_accuracy", "val_accuracy", "test_accuracy")) {
      assertTrue(metrics.get(0).contains("\"" + key + "\":"), key + " missing in " + metrics.get(0));
    }
    // compute = true with shards whose manifest computed mean/std: the manifest's values are used and saved
    SavedModel model = ModelFile.readModel(new org.apache.hadoop.fs.Path(run.resolve("model.cvm").toUri()), new Configuration());
    Object mean = model.metadata().get("normalization-mean");
    assertNotNull(mean, "model.cvm has no normalisation");
    assertArrayEquals(new double[] {m.normalization().mean()[0]},
        ((List<?>) mean).stream().mapToDouble(v -> ((Number) v).doubleValue()).toArray(), 1e-6);
  }

  @Test
  void configErrorsExitWithTwoNamingTheKey(@TempDir Path tmp) {
    MainTest.Result r = MainTest.main("preprocess", EXAMPLE, "preprocess.channels=2");
    assertEquals(2, r.code(), r.err());
    assertEquals("convoy: preprocess.channels must be 1 or 3, got 2", r.err().strip());

    r = MainTest.main("preprocess", EXAMPLE, "preprocess.heigth=32");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("unknown key preprocess.heigth") && r.err().contains("did you mean preprocess.height"),
        r.err());

    r = MainTest.main("preprocess", EXAMPLE, "preprocess.output=null");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("preprocess.output is required"), r.err());

    r = MainTest.main("train", FASHION, "data.train.shards=\"file:///data/shards\"");
    assertEquals(2, r.code(), r.err());
    assertTrue(r.err().contains("data.train.shards and data.train.images/labels are both set"), r.err());

    r = MainTest.main("preprocess", EXAMPLE, "spark.master=local[1]", "spark.conf.spark.ui.enabled=false",
        "preprocess.input=\"" + tmp.resolve("nothing-here").toUri() + "\"");
    assertEquals(1, r.code(), r.err());
    assertTrue(r.err().contains("nothing-here") && r.err().contains("does not exist"), r.err());
  }
}
