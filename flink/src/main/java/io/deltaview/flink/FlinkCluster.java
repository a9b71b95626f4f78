package io.deltaview.flink;

import io.deltaview.flink.job.JobSpec;
import io.deltaview.sql.SqlStates;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.util.Objects;
import java.util.stream.Stream;

/**
 * A Flink cluster that runs views' jobs ({@code deltaview.flink.rest=http://host:port}): its REST API, where one
 * view's job keeps its checkpoints (a URI the cluster reaches: {@code file:///shared/…}, {@code s3://…}), the name
 * of the environment variable the cluster's processes read the database password from, and the shaded job jar to
 * upload (null: the one built next to the job's classes).
 */
public record FlinkCluster(URI rest, String checkpointDirectory, String passwordVariable, Path jobJar) {

  /** The environment variable the password is read from on the cluster unless {@code deltaview.flink.passwordEnv}. */
  public static final String DEFAULT_PASSWORD_VARIABLE = "DELTAVIEW_FLINK_PASSWORD";

  public FlinkCluster {
    Objects.requireNonNull(rest, "rest");
    if (!"http".equals(rest.getScheme()) && !"https".equals(rest.getScheme()) || rest.getHost() == null) {
      throw new IllegalArgumentException("a Flink REST address is http://host:port, not " + rest);
    }
    Objects.requireNonNull(checkpointDirectory, "checkpointDirectory");
    if (!passwordVariable.matches("[A-Za-z_][A-Za-z0-9_]*")) {
      throw new IllegalArgumentException("not an environment variable's name: " + passwordVariable);
    }
  }

  /**
   * The cluster of {@code deltaview.flink.rest} (system properties), with view {@code replicationName}'s
   * checkpoints under {@code deltaview.flink.checkpointDir}; null for {@code local} (the default).
   *
   * @throws SQLException {@code 22023} for an address that is not {@code http(s)://host:port}, no checkpoint
   *     directory, or a password variable that is not a plain name
   */
  static FlinkCluster fromSystemProperties(String replicationName) throws SQLException {
    String mode = System.getProperty("deltaview.flink.rest", "local");
    if (mode.equals("local")) {
      return null;
    }
    String checkpoints = System.getProperty("deltaview.flink.checkpointDir");
    if (checkpoints == null || checkpoints.isBlank()) {
      throw new SQLException("deltaview.flink.rest=" + mode + " needs deltaview.flink.checkpointDir: a directory the"
          + " Flink cluster keeps the views' checkpoints in (file:///shared/…, s3://…)",
          SqlStates.INVALID_PARAMETER_VALUE);
    }
    String jar = System.getProperty("deltaview.flink.jobJar");
    try {
      URI rest = new URI(mode.endsWith("/") ? mode.substring(0, mode.length() - 1) : mode);
      URI base = new URI(checkpoints.endsWith("/") ? checkpoints : checkpoints + "/");
      if (base.getScheme() == null) {
        throw new URISyntaxException(checkpoints, "a URI with a scheme (file:, s3:, hdfs:) expected");
      }
      return new FlinkCluster(rest, base.resolve(replicationName).toString(),
          System.getProperty("deltaview.flink.passwordEnv", DEFAULT_PASSWORD_VARIABLE),
          jar == null ? null : Path.of(jar));
    } catch (URISyntaxException | IllegalArgumentException e) {
      throw new SQLException("deltaview.flink.rest, .checkpointDir or .passwordEnv: " + e.getMessage(),
          SqlStates.INVALID_PARAMETER_VALUE, e);
    }
  }

  /**
   * The shaded job jar: {@link #jobJar}, else {@code deltaview-flink-job-<version>-job.jar} beside the job module's
   * classes (its build directory in a reactor build, its directory in a Maven repository).
   */
  Path jar() throws SQLException {
    if (jobJar != null) {
      if (!Files.isRegularFile(jobJar)) {
        throw new SQLException("deltaview.flink.jobJar " + jobJar + " is not a file", SqlStates.INVALID_PARAMETER_VALUE);
      }
      return jobJar;
    }
    Path classes;
    try {
      classes = Path.of(JobSpec.class.getProtectionDomain().getCodeSource().getLocation().toURI());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the Flink job's classes", e);
    }
    // target/classes or target/<module>.jar in a build, <module>.jar in a Maven repository: the shaded jar is beside
    Path dir = classes.getParent();
    try (Stream<Path> files = dir == null ? Stream.empty() : Files.list(dir)) {
      return files.filter(p -> p.getFileName().toString().matches("deltaview-flink-job-.*-job\\.jar"))
          .findFirst()
          .orElseThrow(() -> new SQLException("no shaded Flink job jar (deltaview-flink-job-<version>-job.jar) in "
              + classes.getParent() + ": build the flink-job module, or name the jar with deltaview.flink.jobJar",
              SqlStates.INVALID_PARAMETER_VALUE));
    } catch (IOException | UncheckedIOException e) {
      throw new SQLException("cannot look for the shaded Flink job jar: " + e.getMessage(), SqlStates.INTERNAL_ERROR,
          e);
    }
  }
}
