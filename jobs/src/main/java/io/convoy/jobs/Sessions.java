package io.convoy.jobs;

import java.util.Map;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * Creates the job's SparkSession. What spark-submit (or {@code -Dspark.*} system properties) already
 * set wins: {@code spark.master} from the config is used only when no master is set, and the app name
 * and {@code spark.conf.*} only fill keys that are not set. Local masters are bound to 127.0.0.1 and send
 * executor heartbeats every 2 s (unless set), so the progress bar moves smoothly inside an averaging round.
 */
public final class Sessions {
  private Sessions() {}

  /** The SparkConf a job would start with (exposed for tests). */
  public static SparkConf sparkConf(JobConfig.SparkSettings s) {
    SparkConf conf = new SparkConf(true);   // loads spark.* system properties, as spark-submit sets them
    if (!conf.contains("spark.master")) {
      conf.setMaster(s.master());
    }
    if (!conf.contains("spark.app.name")) {
      conf.setAppName(s.appName());
    }
    for (Map.Entry<String, String> e : s.conf().entrySet()) {
      if (!conf.contains(e.getKey())) {
        conf.set(e.getKey(), e.getValue());
      }
    }
    if (conf.get("spark.master").startsWith("local")) {
      conf.setIfMissing("spark.driver.host", "127.0.0.1");
      conf.setIfMissing("spark.driver.bindAddress", "127.0.0.1");
      // Heartbeats carry the running tasks' progress to the driver's progress bar.
      conf.setIfMissing("spark.executor.heartbeatInterval", "2s");
    }
    return conf;
  }

  /** Gets or creates the session. */
  public static SparkSession create(JobConfig.SparkSettings s) {
    return SparkSession.builder().config(sparkConf(s)).getOrCreate();
  }
}
