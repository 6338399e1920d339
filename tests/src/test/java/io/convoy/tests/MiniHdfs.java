package io.convoy.tests;

import java.io.File;
import java.io.IOException;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.hdfs.MiniDFSCluster;

/**
 * A real HDFS for a test class: a {@link MiniDFSCluster} with one data node, every port on 127.0.0.1
 * (the recipe of STACK.md), its blocks under a folder the test owns. The caller shuts it down.
 */
final class MiniHdfs {
  private MiniHdfs() {}

  /** A Hadoop configuration that keeps the cluster on loopback and its files under {@code baseDir}. */
  static Configuration conf(File baseDir) {
    Configuration conf = new Configuration();
    conf.set(MiniDFSCluster.HDFS_MINIDFS_BASEDIR, baseDir.getAbsolutePath());
    conf.set("dfs.namenode.rpc-bind-host", "127.0.0.1");
    conf.set("dfs.namenode.http-address", "127.0.0.1:0");
    conf.set("dfs.datanode.address", "127.0.0.1:0");
    conf.set("dfs.datanode.http.address", "127.0.0.1:0");
    conf.set("dfs.datanode.ipc.address", "127.0.0.1:0");
    return conf;
  }

  /** Starts the cluster and waits until it serves. */
  static MiniDFSCluster start(Configuration conf) throws IOException {
    MiniDFSCluster cluster = new MiniDFSCluster.Builder(conf).numDataNodes(1).build();
    cluster.waitActive();
    return cluster;
  }

  /** The file system URI, e.g. {@code hdfs://127.0.0.1:41234}. */
  static String uri(MiniDFSCluster cluster) {
    return "hdfs://127.0.0.1:" + cluster.getNameNodePort();
  }
}
