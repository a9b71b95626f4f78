package io.deltaview.flink;

import io.deltaview.flink.job.JobSpec;
import io.deltaview.sql.SqlStates;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Runs one view's Flink job on a Flink MiniCluster in a JVM of its own ({@code deltaview.flink.rest=local}), whose
 * class path is the job module's (Flink, Flink CDC and its own pgjdbc), never this JVM's. The job and the password
 * go to that JVM on its standard input, so neither is on its command line; its log goes to {@code flink.log} in the
 * work directory. Closing the runner cancels the job and ends the JVM, which also ends by itself when this JVM goes
 * away (its standard input closes).
 */
public final class LocalFlinkRunner implements FlinkJobRunner {

  private static final System.Logger LOG = System.getLogger(LocalFlinkRunner.class.getName());
  private static final String MAIN = "io.deltaview.flink.job.FlinkJobMain";

  /** What Flink 1.20 needs opened on Java 17 (its own launch scripts pass the same). */
  static final List<String> JAVA_17_OPENS = List.of(
      "--add-exports=java.base/sun.net.util=ALL-UNNAMED",
      "--add-exports=java.rmi/sun.rmi.registry=ALL-UNNAMED",
      "--add-exports=java.security.jgss/sun.security.krb5=ALL-UNNAMED",
      "--add-opens=java.base/java.lang=ALL-UNNAMED",
      "--add-opens=java.base/java.net=ALL-UNNAMED",
      "--add-opens=java.base/java.io=ALL-UNNAMED",
      "--add-opens=java.base/java.nio=ALL-UNNAMED",
      "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
      "--add-opens=java.base/java.lang.reflect=ALL-UNNAMED",
      "--add-opens=java.base/java.text=ALL-UNNAMED",
      "--add-opens=java.base/java.time=ALL-UNNAMED",
      "--add-opens=java.base/java.util=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.atomic=ALL-UNNAMED",
      "--add-opens=java.base/java.util.concurrent.locks=ALL-UNNAMED");

  private final Process process;
  private final OutputStream commands;
  private final String jobId;
  private final Path log;
  /** The last lag the job's JVM reported ({@code LAG <ms>}), or null before any. */
  private volatile Long lagMs;
  /** How often the job restarted from a checkpoint, as its JVM last reported ({@code RESTARTS <n>}). */
  private volatile long restarts;
  /** Where the job's checkpoints are written ({@code <work directory>/checkpoints}). */
  private final Path checkpoints;
  private volatile String failure;

  private LocalFlinkRunner(Process process, OutputStream commands, String jobId, Path log, Path checkpoints) {
    this.process = process;
    this.commands = commands;
    this.jobId = jobId;
    this.log = log;
    this.checkpoints = checkpoints;
  }

  /**
   * Starts the Flink JVM for {@code job} and returns once the job is submitted and running.
   *
   * @throws SQLException {@code XX000} if the JVM cannot start or the job is refused by Flink
   *     (with Flink's reason and where its log is), {@code 57014} if it is not running within {@code timeout}
   */
  public static LocalFlinkRunner start(JobSpec job, String password, FlinkSettings settings, Duration timeout)
      throws SQLException {
    Path work = settings.workDirectory();
    Path log = work.resolve("flink.log");
    Process process;
    try {
      // checkpoints hold base-table rows: readable by this user only
      Files.createDirectories(work);
      try {
        Files.setPosixFilePermissions(work, java.nio.file.attribute.PosixFilePermissions.fromString("rwx------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system; the directory keeps its defaults
      }
      List<String> command = new ArrayList<>();
      command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      command.add("-Xmx" + settings.heap());
      command.add("-XX:+IgnoreUnrecognizedVMOptions");
      command.addAll(JAVA_17_OPENS);
      command.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=" + System.getProperty("deltaview.flink.logLevel", "warn"));
      command.add("-cp");
      command.add(String.join(java.io.File.pathSeparator, jobClassPath()));
      command.add(MAIN);
      ProcessBuilder pb = new ProcessBuilder(command).directory(work.toFile())
          .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()));
      process = pb.start();
    } catch (IOException e) {
      throw new SQLException("could not start the Flink JVM: " + e.getMessage(), SqlStates.INTERNAL_ERROR, e);
    }
    CompletableFuture<String> started = new CompletableFuture<>();
    LocalFlinkRunner[] self = new LocalFlinkRunner[1];
    Thread reader = new Thread(() -> readReports(process.getInputStream(), started, self), "deltaview-flink-reports");
    reader.setDaemon(true);
    reader.start();
    OutputStream stdin = process.getOutputStream();
    try {
      job.write(stdin, password);
    } catch (IOException e) {
      process.destroyForcibly();
      throw new SQLException("could not hand the job to the Flink JVM: " + e.getMessage() + " (its log: " + log + ")",
          SqlStates.INTERNAL_ERROR, e);
    }
    String first;
    try {
      first = started.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      process.destroyForcibly();
      throw new SQLException("the Flink job was not running after " + timeout.toSeconds() + " s (its log: " + log
          + ")", SqlStates.QUERY_CANCELED);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new SQLException("interrupted while starting the Flink job", SqlStates.QUERY_CANCELED, e);
    } catch (ExecutionException e) {
      process.destroyForcibly();
      throw new SQLException("the Flink JVM ended before its job ran (its log: " + log + ")", SqlStates.INTERNAL_ERROR,
          e.getCause());
    }
    if (!first.startsWith("RUNNING ")) {
      process.destroyForcibly();
      throw new SQLException("Flink did not run the view's job: " + first.replaceFirst("^FAILED ", "") + " (its log: "
          + log + ")", SqlStates.INTERNAL_ERROR);
    }
    LocalFlinkRunner runner = new LocalFlinkRunner(process, stdin, first.substring("RUNNING ".length()), log,
        work.resolve("checkpoints"));
    self[0] = runner;
    LOG.log(System.Logger.Level.INFO, "Flink job " + runner.jobId + " (" + job.jobName() + ") running in JVM "
        + process.pid() + ", log " + log);
    return runner;
  }

  private static void readReports(InputStream out, CompletableFuture<String> started, LocalFlinkRunner[] self) {
    try (BufferedReader r = new BufferedReader(new InputStreamReader(out, StandardCharsets.UTF_8))) {
      String line;
      while ((line = r.readLine()) != null) {
        if (!started.isDone()) {
          started.complete(line);
        } else if (line.startsWith("LAG ") && self[0] != null) {
          Long lag = figure(line, "LAG ");
          self[0].lagMs = lag != null ? lag : self[0].lagMs;
        } else if (line.startsWith("RESTARTS ") && self[0] != null) {
          Long restarts = figure(line, "RESTARTS ");
          self[0].restarts = restarts != null ? restarts : self[0].restarts;
        } else if (line.startsWith("FAILED ") && self[0] != null) {
          self[0].failure = line.substring("FAILED ".length());
          LOG.log(System.Logger.Level.WARNING, "Flink job " + self[0].jobId + " failed: " + self[0].failure);
        }
      }
    } catch (IOException e) {
      // the JVM ended; isRunning() says so
    }
    started.completeExceptionally(new IOException("the Flink JVM closed its output"));
  }

  /** The whole number after {@code prefix} on a report line, or null when it is not one (the line is ignored). */
  private static Long figure(String line, String prefix) {
    try {
      return Long.parseLong(line.substring(prefix.length()).strip());
    } catch (NumberFormatException e) {
      return null;
    }
  }

  /**
   * The jars of the job module's class path as its build wrote them, and the module's own classes: everything the
   * Flink JVM runs with.
   */
  static List<String> jobClassPath() {
    List<String> entries = new ArrayList<>();
    try {
      entries.add(Path.of(JobSpec.class.getProtectionDomain().getCodeSource().getLocation().toURI()).toString());
    } catch (URISyntaxException e) {
      throw new IllegalStateException("cannot locate the Flink job's classes", e);
    }
    try (InputStream in = JobSpec.class.getResourceAsStream("class-path.txt")) {
      if (in == null) {
        throw new IllegalStateException("the Flink job module was built without its class path (class-path.txt)");
      }
      for (String entry : new String(in.readAllBytes(), StandardCharsets.UTF_8).strip().split(java.io.File.pathSeparator)) {
        if (!entry.isBlank()) {
          entries.add(entry.strip());
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return entries;
  }

  /** The process id of the Flink JVM. */
  public long pid() {
    return process.pid();
  }

  @Override
  public String jobId() {
    return jobId;
  }

  /** Whether the job's JVM is still up (it ends when the job fails for good). */
  @Override
  public boolean isRunning() {
    return process.isAlive() && failure == null;
  }

  /** Why the job failed (Flink's reason), that its JVM ended, or null while it runs. */
  @Override
  public String failure() {
    return failure != null ? failure : process.isAlive() ? null : "its Flink JVM ended (its log: " + log + ")";
  }

  @Override
  public String describe() {
    return "Flink job " + jobId + " in JVM " + process.pid();
  }

  @Override
  public Long lagMs() {
    return lagMs;
  }

  @Override
  public long restarts() {
    return restarts;
  }

  /** The newest completed checkpoint ({@code chk-N} with its {@code _metadata}) in the work directory. */
  @Override
  public long newestCheckpoint() throws SQLException {
    return FlinkViews.newestCheckpointNumber(checkpoints);
  }

  /** The Flink JVM's log. */
  public Path log() {
    return log;
  }

  /** Ends the Flink JVM at once, as a crash would: the job's state is what its last checkpoint holds. */
  void kill() throws InterruptedException {
    process.destroyForcibly();
    process.waitFor(30, TimeUnit.SECONDS);
  }

  /** As {@link #close}: a local job never outlives its runner. */
  @Override
  public void cancel() {
    close();
  }

  /**
   * Cancels the job and waits (at most a minute) for its JVM to end; kills it past that. Its checkpoints stay, for
   * {@link FlinkViews#resume}.
   */
  @Override
  public void close() {
    try {
      commands.write("stop\n".getBytes(StandardCharsets.UTF_8));
      commands.close();
    } catch (IOException e) {
      // already gone
    }
    try {
      if (!process.waitFor(60, TimeUnit.SECONDS)) {
        LOG.log(System.Logger.Level.WARNING, "Flink JVM " + process.pid() + " did not stop; killing it");
        process.destroyForcibly();
        process.waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }
}
