package io.convoy.jobs;

import io.convoy.pipeline.spark.DataSource;
import io.convoy.pipeline.preprocess.ShardSource;
import io.convoy.pipeline.spark.IdxSource;

/**
 * The data sources a job reads, from the {@code data} section: IDX pairs or shard folders, capped by
 * {@code data.*.limit}, with the validation set either given or cut from the end of the training set
 * ({@code data.validation-split}).
 *
 * @param train the training records
 * @param validation the validation records, or null
 * @param test the test records, or null
 */
record DataSets(DataSource train, DataSource validation, DataSource test) {

  /** One configured IDX pair or shard folder ({@code <key>.shards}, split = the section's name), or null when neither is set. */
  static DataSource source(JobConfig.DataFiles files, int numClasses) {
    if (files.hasShards()) {
      return RecordRange.limit(new ShardSource(files.shards(), files.split()), files.limit());
    }
    if (!files.isSet()) {
      return null;
    }
    return RecordRange.limit(new IdxSource(files.images(), files.labels(), numClasses), files.limit());
  }

  /** The sources of a training run. */
  static DataSets forTraining(JobConfig c) {
    int classes = c.model().numClasses();
    DataSource train = source(c.data().train(), classes);
    DataSource validation = source(c.data().validation(), classes);
    double split = c.data().validationSplit();
    if (validation == null && split > 0) {
      long n = train.count();   // reads the headers only
      long cut = Math.round(n * (1 - split));
      if (cut <= 0 || cut >= n) {
        throw new JobConfigException("data.validation-split = " + split + " leaves " + cut + " of " + n
            + " records for training; expected at least one record on each side");
      }
      validation = new RecordRange(train, cut, n);
      train = new RecordRange(train, 0, cut);
    }
    return new DataSets(train, validation, source(c.data().test(), classes));
  }
}
