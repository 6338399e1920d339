package io.convoy.tests;

import java.io.FilterOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.URI;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system under the scheme {@code failfs://}, which can be told to fail like a full
 * disk. The authority names a set of rules, so {@code failfs://full/tmp/x} and {@code failfs://ok/tmp/x}
 * are the same local file {@code /tmp/x} seen through different rules (Hadoop caches one instance per
 * scheme and authority). For authority {@code A}: writes to a file whose name contains
 * {@code failfs.A.fail-write-name} throw {@code IOException("No space left on device")} once
 * {@code failfs.A.fail-after-bytes} bytes have gone into that file, and renames onto a name containing
 * {@code failfs.A.fail-rename-name} return false (as HDFS does when a rename cannot happen). Everything
 * else is the real local file system.
 *
 * <p>Register it with {@code fs.failfs.impl = io.convoy.tests.FailingFileSystem}; in a Spark job through
 * {@code spark.hadoop.}-prefixed settings.
 */
public class FailingFileSystem extends RawLocalFileSystem {
  public static final String SCHEME = "failfs";

  private URI root;
  private String failWriteName;
  private long failAfterBytes;
  private String failRenameName;

  @Override
  public void initialize(URI uri, Configuration conf) throws IOException {
    super.initialize(uri, conf);
    String a = uri.getAuthority() == null ? "" : uri.getAuthority();
    root = URI.create(SCHEME + "://" + a + "/");
    failWriteName = emptyToNull(conf.get("failfs." + a + ".fail-write-name"));
    failAfterBytes = conf.getLong("failfs." + a + ".fail-after-bytes", 0L);
    failRenameName = emptyToNull(conf.get("failfs." + a + ".fail-rename-name"));
  }

  private static String emptyToNull(String s) {
    return s == null || s.isEmpty() ? null : s;
  }

  @Override
  public URI getUri() {
    return root != null ? root : URI.create(SCHEME + ":///");   // the constructor asks before initialize
  }

  @Override
  public String getScheme() {
    return SCHEME;
  }

  @Override
  public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
      short replication, long blockSize, Progressable progress) throws IOException {
    return failing(f, super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress));
  }

  @Override
  public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
      Progressable progress) throws IOException {
    return failing(f, super.create(f, overwrite, bufferSize, replication, blockSize, progress));
  }

  private FSDataOutputStream failing(Path f, FSDataOutputStream inner) {
    if (failWriteName == null || !f.getName().contains(failWriteName)) {
      return inner;
    }
    return new FSDataOutputStream(new FullDisk(inner, failAfterBytes, f), null);
  }

  @Override
  public boolean rename(Path src, Path dst) throws IOException {
    if (failRenameName != null && dst.getName().contains(failRenameName)) {
      return false;
    }
    return super.rename(src, dst);
  }

  /** Passes bytes through until {@code limit}, then fails every write as a full device does. */
  private static final class FullDisk extends FilterOutputStream {
    private final long limit;
    private final Path path;
    private long written;

    FullDisk(OutputStream out, long limit, Path path) {
      super(out);
      this.limit = limit;
      this.path = path;
    }

    @Override
    public void write(int b) throws IOException {
      room(1);
      out.write(b);
      written++;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      room(len);
      out.write(b, off, len);
      written += len;
    }

    private void room(int len) throws IOException {
      if (written + len > limit) {
        throw new IOException("No space left on device (failfs: " + path + " after " + written + " bytes)");
      }
    }
  }
}
