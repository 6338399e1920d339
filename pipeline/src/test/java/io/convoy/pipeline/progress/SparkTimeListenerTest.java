package io.convoy.pipeline.progress;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.stream.IntStream;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** A real local[2] Spark session whose job has one slow partition. */
class SparkTimeListenerTest {
  private static SparkSession spark;

  @BeforeAll
  static void start() {
    spark = SparkSession.builder().master("local[2]").appName("convoy-spark-time-test")
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
  }

  @Test
  void slowPartitionIsNamedAStragglerOfItsEpoch() throws Exception {
    JavaSparkContext sc = JavaSparkContext.fromSparkContext(spark.sparkContext());
    SparkTimeListener listener = new SparkTimeListener();
    sc.sc().addSparkListener(listener);
    try {
      JavaRDD<Integer> rdd = sc.parallelize(IntStream.range(0, 4).boxed().toList(), 4);
      sc.setJobGroup("convoy-run", "convoy: epoch 3 averaging round 1/1", false);
      // partition 2 sleeps 1.5 s, the others 100 ms
      long sum = rdd.mapPartitionsWithIndex((p, it) -> {
        Thread.sleep(p == 2 ? 1500 : 100);
        long s = 0;
        while (it.hasNext()) {
          s += it.next();
        }
        return List.of(s).iterator();
      }, false).reduce(Long::sum);
      assertEquals(6, sum);
      sc.setJobDescription("convoy: epoch 4 validation");
      assertEquals(4, rdd.count());
      sc.clearJobGroup();

      // events reach the listener asynchronously: wait until both jobs and their stages are in
      long deadline = System.nanoTime() + 20_000_000_000L;
      while ((listener.jobs().size() < 2 || listener.jobs().stream().anyMatch(j -> Double.isNaN(j.wallSeconds()))
          || listener.epoch(4).tasks() < 4 || listener.stragglers().isEmpty()) && System.nanoTime() < deadline) {
        Thread.sleep(20);
      }

      List<SparkTimeListener.Straggler> s = listener.stragglers();
      assertEquals(1, s.size(), "expected exactly the slow partition, got " + s);
      SparkTimeListener.Straggler slow = s.get(0);
      assertEquals(2, slow.taskIndex(), slow.toString());
      assertEquals("driver", slow.executorId(), slow.toString());
      assertFalse(slow.host().isBlank(), slow.toString());
      assertEquals("convoy: epoch 3 averaging round 1/1", slow.job());
      assertTrue(slow.millis() >= 1500 && slow.medianMillis() < 1000, slow.toString());

      SparkTimeListener.EpochTimes e3 = listener.epoch(3);
      assertEquals(1, e3.jobs());
      assertEquals(4, e3.tasks());
      assertEquals(1, e3.stragglers().size());
      // four tasks sleep 1.8 s in all, inside executor run time
      assertTrue(e3.computeSeconds() >= 1.75, "compute " + e3.computeSeconds());
      assertTrue(e3.communicationSeconds() >= 0 && e3.communicationSeconds() < 2, "communication "
          + e3.communicationSeconds());
      // with 2 slots and tasks 0, 1, 3 done long before task 2, they wait about 1.4 s each at least once
      assertTrue(e3.waitSeconds() >= 1.0, "wait " + e3.waitSeconds());
      assertTrue(e3.wallSeconds() >= 1.5, "wall " + e3.wallSeconds());

      SparkTimeListener.EpochTimes e4 = listener.epoch(4);
      assertEquals(1, e4.jobs());
      assertTrue(e4.stragglers().isEmpty(), e4.stragglers().toString());
      assertEquals(0, listener.epoch(7).jobs());

      List<String> lines = listener.describeEpoch(3);
      assertEquals(2, lines.size(), lines.toString());
      assertTrue(lines.get(0).startsWith("spark: 1 jobs, 4 tasks"), lines.get(0));
      assertTrue(lines.get(1).startsWith("straggler: task 2 of stage "), lines.get(1));
      assertTrue(lines.get(1).contains("on executor driver"), lines.get(1));
    } finally {
      sc.sc().removeSparkListener(listener);
    }
  }

  @Test
  void keysAndEpochNumbers() {
    java.util.Properties p = new java.util.Properties();
    assertEquals("job 5", SparkTimeListener.keyOf(p, 5));
    p.setProperty("spark.jobGroup.id", "g");
    assertEquals("g", SparkTimeListener.keyOf(p, 5));
    p.setProperty("spark.job.description", "convoy: epoch 12 sync step 3/9");
    assertEquals("convoy: epoch 12 sync step 3/9", SparkTimeListener.keyOf(p, 5));
    assertEquals(12, SparkTimeListener.epochOf("convoy: epoch 12 sync step 3/9"));
    assertEquals(-1, SparkTimeListener.epochOf("convoy: load training data"));
  }
}
