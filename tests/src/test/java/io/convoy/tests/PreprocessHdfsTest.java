package io.convoy.tests;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.convoy.pipeline.data.IdxReader;
import io.convoy.pipeline.data.ImageSet;
import io.convoy.pipeline.preprocess.PreprocessConfig;
import io.convoy.pipeline.preprocess.PreprocessSummary;
import io.convoy.pipeline.preprocess.Preprocessor;
import io.convoy.pipeline.preprocess.ShardManifest;
import io.convoy.pipeline.preprocess.ShardSource;
import io.convoy.pipeline.spark.DataChunk;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.hdfs.MiniDFSCluster;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Preprocessing against a real HDFS (MiniDFSCluster on 127.0.0.1): 200 Fashion-MNIST PNGs and JPEGs
 * labelled by a CSV file (paths relative to the input folder) plus broken files, input, labels and output all on HDFS. Checks rejects,
 * exact PNG pixels, a re-run giving identical bytes, and loading through {@link ShardSource}.
 */
class PreprocessHdfsTest {
  private static final String FASHION = "/usr/share/datasets/fashion-mnist/";
  private static final int N = 200;
  private static MiniDFSCluster cluster;
  private static String hdfs;
  private static Configuration conf;
  private static FileSystem fs;
  private static SparkSession spark;
  private static ImageSet source;

  @BeforeAll
  static void start() throws Exception {
    File base = Files.createTempDirectory("convoy-minidfs").toFile();
    conf = MiniHdfs.conf(base);
    cluster = MiniHdfs.start(conf);
    hdfs = MiniHdfs.uri(cluster);
    fs = FileSystem.get(java.net.URI.create(hdfs), conf);
    source = IdxReader.read(new Path(FASHION + "t10k-images-idx3-ubyte.gz"),
        new Path(FASHION + "t10k-labels-idx1-ubyte.gz"), new Configuration(), 10).slice(0, N);
    StringBuilder csv = new StringBuilder("path,label\n");
    for (int i = 0; i < N; i++) {
      BufferedImage b = new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY);
      b.getRaster().setDataElements(0, 0, 28, 28, pixels(i));
      String name = String.format("%04d.%s", i, i % 10 == 9 ? "jpg" : "png");
      write("img/" + name, encode(b, i % 10 == 9 ? "jpeg" : "png"));
      csv.append(name).append(',').append(source.labels()[i]).append('\n');
    }
    write("img/zero.png", new byte[0]);
    write("img/readme.png", "not an image".getBytes(StandardCharsets.UTF_8));
    write("img/unlabelled.png", encode(new BufferedImage(28, 28, BufferedImage.TYPE_BYTE_GRAY), "png"));
    csv.append("zero.png,1\nreadme.png,2\n");
    write("labels.csv", csv.toString().getBytes(StandardCharsets.UTF_8));

    spark = SparkSession.builder().master("local[2]").appName("convoy-preprocess-hdfs")
        .config("spark.ui.enabled", "false")
        .config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1")
        .getOrCreate();
  }

  @AfterAll
  static void stop() {
    if (spark != null) {
      spark.stop();
    }
    if (cluster != null) {
      cluster.shutdown(true);
    }
  }

  private static byte[] pixels(int i) {
    byte[] p = new byte[784];
    System.arraycopy(source.pixels(), i * 784, p, 0, 784);
    return p;
  }

  private static byte[] encode(BufferedImage b, String format) throws Exception {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    assertTrue(ImageIO.write(b, format, out));
    return out.toByteArray();
  }

  private static void write(String rel, byte[] bytes) throws Exception {
    try (OutputStream out = fs.create(new Path(hdfs + "/data/" + rel))) {
      out.write(bytes);
    }
  }

  private static PreprocessSummary run(String out) {
    Map<String, Object> tree = new HashMap<>();
    tree.put("input", hdfs + "/data/img");
    tree.put("output", hdfs + out);
    tree.put("labels", hdfs + "/data/labels.csv");
    tree.put("height", 28);
    tree.put("width", 28);
    tree.put("normalize", "compute");
    tree.put("split", Map.of("train", 0.9, "validation", 0.1));
    tree.put("shard-size", 50);
    return Preprocessor.run(spark, PreprocessConfig.fromTree(tree, "preprocess"));
  }

  @Test
  void preprocessesOnHdfsAndRerunsIdentically() throws Exception {
    PreprocessSummary s = run("/shards");
    System.out.println(s.describe());
    assertEquals(N + 3, s.read());
    assertEquals(N, s.written());
    assertEquals(Map.of("empty", 1L, "not-an-image", 1L, "no-label", 1L), s.rejectsByReason());
    String rejects = new String(fs.open(new Path(hdfs + "/shards/rejects.csv")).readAllBytes(), StandardCharsets.UTF_8);
    assertTrue(rejects.contains("/data/img/zero.png,empty,"), rejects);
    assertTrue(rejects.contains("/data/img/readme.png,not-an-image,"), rejects);
    assertTrue(rejects.contains("/data/img/unlabelled.png,no-label,"), rejects);

    ShardManifest m = ShardManifest.read(hdfs + "/shards", conf);
    assertEquals(List.of("0", "1", "2", "3", "4", "5", "6", "7", "8", "9"), m.classes());
    int checked = 0;
    for (String split : List.of("train", "validation")) {
      ShardSource src = new ShardSource(hdfs + "/shards", split);
      ImageSet set = src.readAll(conf);
      List<String> paths = src.paths(conf);
      for (int r = 0; r < set.size(); r++) {
        int i = Integer.parseInt(paths.get(r).substring(0, 4));
        assertEquals(source.labels()[i], set.labels()[r], "label of " + paths.get(r));
        byte[] got = new byte[784];
        System.arraycopy(set.pixels(), r * 784, got, 0, 784);
        if (paths.get(r).endsWith(".png")) {
          assertArrayEquals(pixels(i), got, "pixels of " + paths.get(r));
        } else {
          int max = 0;
          for (int k = 0; k < 784; k++) {
            max = Math.max(max, Math.abs((got[k] & 0xFF) - (pixels(i)[k] & 0xFF)));
          }
          assertTrue(max <= 40, paths.get(r) + ": JPEG differs by up to " + max);
        }
        checked++;
      }
    }
    assertEquals(N, checked);

    List<DataChunk> chunks = new ShardSource(hdfs + "/shards", "train")
        .load(JavaSparkContext.fromSparkContext(spark.sparkContext()), 2, 1L, 10).collect();
    assertEquals(m.split("train").count(), chunks.stream().mapToInt(DataChunk::size).sum());

    byte[] manifest = fs.open(new Path(hdfs + "/shards/manifest.json")).readAllBytes();
    byte[] shard = fs.open(new Path(hdfs + "/shards/train/part-00000.arrow")).readAllBytes();
    run("/shards");
    assertArrayEquals(manifest, fs.open(new Path(hdfs + "/shards/manifest.json")).readAllBytes());
    assertArrayEquals(shard, fs.open(new Path(hdfs + "/shards/train/part-00000.arrow")).readAllBytes());
    assertEquals(1, fs.globStatus(new Path(hdfs + "/shards*")).length, "temporary or old folders left on HDFS");
  }
}
