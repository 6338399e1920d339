package io.convoy.pipeline.fuzz;

import static org.junit.jupiter.api.Assertions.assertEquals;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.convoy.pipeline.preprocess.PreprocessOptions;
import io.convoy.pipeline.preprocess.PreprocessSummary;
import io.convoy.pipeline.preprocess.Preprocessor;
import io.convoy.pipeline.preprocess.ShardManifest;
import io.convoy.pipeline.preprocess.ShardSource;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.stream.Stream;
import java.util.zip.CRC32C;
import javax.imageio.ImageIO;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Shard folders made by the real preprocessing job, then damaged: the manifest (bytes and JSON values)
 * and the Arrow IPC shards (with the manifest's size and CRC32C updated to match, so the Arrow reader
 * itself meets the damage). {@link ShardManifest#read} and {@link ShardSource#readAll} end in a read or
 * an IllegalArgumentException / UncheckedIOException naming the folder, in time, without absurd
 * allocations.
 */
class ShardFuzzTest {
  static final ObjectMapper JSON = new ObjectMapper();
  static final Configuration CONF = new Configuration();

  @TempDir
  static Path tmp;
  static Path shards;
  static byte[] manifest;

  @BeforeAll
  static void preprocess() throws IOException {
    Path images = tmp.resolve("images");
    SplittableRandom r = new SplittableRandom(5L);
    for (int i = 0; i < 48; i++) {
      Path dir = images.resolve("class" + (i % 3));
      Files.createDirectories(dir);
      BufferedImage b = new BufferedImage(8, 8, BufferedImage.TYPE_BYTE_GRAY);
      for (int y = 0; y < 8; y++) {
        for (int x = 0; x < 8; x++) {
          b.getRaster().setSample(x, y, 0, r.nextInt(256));
        }
      }
      ImageIO.write(b, "png", dir.resolve(String.format(Locale.ROOT, "img-%02d.png", i)).toFile());
    }
    shards = tmp.resolve("shards");
    SparkSession spark = SparkSession.builder().master("local[1]").appName("convoy-shard-fuzz")
        .config("spark.ui.enabled", "false").config("spark.driver.host", "127.0.0.1")
        .config("spark.driver.bindAddress", "127.0.0.1").getOrCreate();
    try {
      PreprocessSummary s = Preprocessor.run(spark, PreprocessOptions.defaults(images.toUri().toString(),
          shards.toUri().toString(), 1, 8, 8).with(PreprocessOptions.NormalizeSpec.NONE,
          PreprocessOptions.ShardFormat.UINT8, 16, false));
      assertEquals(48, s.written());
    } finally {
      spark.stop();
    }
    manifest = Files.readAllBytes(shards.resolve(ShardManifest.FILE));
  }

  /** A fresh copy of the shard folder (no Hadoop .crc side files, so our own checks are what refuses). */
  static Path copy(String name) throws IOException {
    Path dst = tmp.resolve(name);
    try (Stream<Path> files = Files.walk(shards)) {
      for (Path f : (Iterable<Path>) files::iterator) {
        Path to = dst.resolve(shards.relativize(f).toString());
        if (Files.isDirectory(f)) {
          Files.createDirectories(to);
        } else if (!f.getFileName().toString().endsWith(".crc")) {
          Files.copy(f, to);
        }
      }
    }
    return dst;
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> firstShard(Map<String, Object> m) {
    Map<String, Object> train = (Map<String, Object>) ((Map<String, Object>) m.get("splits")).get("train");
    return (Map<String, Object>) ((List<Object>) train.get("shards")).get(0);
  }

  private static final Object[] ABSURD = {null, -1, 0, Integer.MAX_VALUE, Long.MAX_VALUE, 1e300, -1e300, "x", "",
      "../../etc/passwd", List.of(), Map.of(), true, List.of(1 << 20, 1 << 20, 1 << 20), "ffffffffffffffffff"};

  static byte[] mutateJson(byte[] json, SplittableRandom r) throws IOException {
    Map<String, Object> m = JSON.readValue(json, new TypeReference<LinkedHashMap<String, Object>>() {});
    List<Object[]> slots = new ArrayList<>();
    collect(m, slots);
    Object[] slot = slots.get(r.nextInt(slots.size()));
    Object v = ABSURD[r.nextInt(ABSURD.length)];
    if (slot[0] instanceof Map<?, ?> mm) {
      @SuppressWarnings("unchecked")
      Map<String, Object> w = (Map<String, Object>) mm;
      if (r.nextInt(6) == 0) {
        w.remove((String) slot[1]);
      } else {
        w.put((String) slot[1], v);
      }
    } else {
      @SuppressWarnings("unchecked")
      List<Object> l = (List<Object>) slot[0];
      l.set((Integer) slot[1], v);
    }
    return JSON.writeValueAsBytes(m);
  }

  private static void collect(Object node, List<Object[]> out) {
    if (node instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        out.add(new Object[] {m, e.getKey()});
        collect(e.getValue(), out);
      }
    } else if (node instanceof List<?> l) {
      for (int i = 0; i < l.size(); i++) {
        out.add(new Object[] {l, i});
        collect(l.get(i), out);
      }
    }
  }

  void fuzz(int cases, long seed) throws IOException {
    Path mdir = copy("fuzz-manifest-" + seed);
    Path sdir = copy("fuzz-shard-" + seed);
    Map<String, Object> m = JSON.readValue(manifest, new TypeReference<LinkedHashMap<String, Object>>() {});
    String shardFile = (String) firstShard(m).get("file");
    byte[] shard = Files.readAllBytes(shards.resolve(shardFile));
    Corruptions manifestBytes = new Corruptions(manifest, 16, seed, null);
    Corruptions shardBytes = new Corruptions(shard, 6, seed + 1, null);
    FuzzRun manifests = new FuzzRun("shard manifest", IllegalArgumentException.class, UncheckedIOException.class);
    FuzzRun shardRun = new FuzzRun("Arrow shard", IllegalArgumentException.class, UncheckedIOException.class);
    for (int i = 0; i < cases; i++) {
      SplittableRandom r = new SplittableRandom(seed * 1_000_003L + i);
      if (i % 2 == 0) {
        Corruptions.Case c = i % 4 == 0 ? manifestBytes.make(i / 4)
            : new Corruptions.Case(i, Corruptions.Kind.BYTE_SET, "JSON value", mutateJson(manifest, r));
        Files.write(mdir.resolve(ShardManifest.FILE), c.bytes());
        manifests.run(c, mdir.getFileName().toString(), (k, n) -> {
          ShardManifest.read(mdir.toUri().toString(), CONF);
          new ShardSource(mdir.toUri().toString(), "train").readAll(CONF);
        });
      } else {
        Corruptions.Case c = shardBytes.make(i / 2);
        Files.write(sdir.resolve(shardFile), c.bytes());
        CRC32C crc = new CRC32C();
        crc.update(c.bytes());
        Map<String, Object> first = firstShard(m);
        first.put("bytes", c.bytes().length);
        first.put("crc32c", String.format("%08x", crc.getValue()));
        Files.write(sdir.resolve(ShardManifest.FILE), JSON.writeValueAsBytes(m));
        shardRun.run(c, sdir.getFileName().toString(),
            (k, n) -> new ShardSource(sdir.toUri().toString(), "train").readAll(CONF));
      }
    }
    manifests.check();
    shardRun.check();
  }

  @Test
  void corruptManifestsAndShardsEndInDocumentedErrors() throws IOException {
    fuzz(2000, 31L);
  }

  @Test
  @Tag("long")
  void corruptManifestsAndShardsEndInDocumentedErrorsManyCases() throws IOException {
    fuzz(30_000, 32L);
  }
}
