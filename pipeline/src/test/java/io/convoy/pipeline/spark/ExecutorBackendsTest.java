package io.convoy.pipeline.spark;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The driver's one line about executors that run the kernels without the options they need. */
class ExecutorBackendsTest {
  @Test
  void noLineWhenEveryExecutorIsFine() {
    assertEquals(Optional.empty(), ExecutorBackends.line(List.of("0\t", "1\t", "0\t")));
  }

  @Test
  void oneLineGroupsTheExecutorsByWarningAndNamesTheSetting() {
    String line = ExecutorBackends.line(List.of("1\ttrap limit low", "0\t", "2\ttrap limit low", "3\tno module",
        "1\ttrap limit low")).orElseThrow();
    assertEquals("convoy: executor 3 (of 4 asked) warned: no module. executors 1, 2 (of 4 asked) warned: trap limit"
        + " low. Add --add-modules=jdk.incubator.vector -XX:PerMethodTrapLimit=100000 to"
        + " spark.executor.extraJavaOptions (and to spark.driver.extraJavaOptions under spark-submit)", line);
  }

  @Test
  void aLocalMasterIsNotAsked() {
    org.apache.spark.SparkConf conf = new org.apache.spark.SparkConf().setMaster("local[1]").setAppName("t")
        .set("spark.ui.enabled", "false").set("spark.driver.host", "127.0.0.1")
        .set("spark.driver.bindAddress", "127.0.0.1");
    try (org.apache.spark.api.java.JavaSparkContext sc = new org.apache.spark.api.java.JavaSparkContext(conf)) {
      assertTrue(ExecutorBackends.check(sc).isEmpty());
    }
  }
}
