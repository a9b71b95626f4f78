package io.deltaview.flink.job;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import org.apache.flink.api.common.JobStatus;
import org.apache.flink.core.execution.JobClient;

/**
 * The Flink JVM of one view in local mode: reads a {@link JobSpec} and the password from standard input, runs the
 * job on a Flink MiniCluster inside this JVM, and reports on standard output, one line each: {@code RUNNING <job
 * id>} once submitted, {@code FAILED <reason>} if it cannot be submitted or fails for good, {@code STOPPED} when it
 * was cancelled; once a second, {@code LAG <ms>} while changes flow and {@code RESTARTS <n>} once the job restarted
 * from a checkpoint ({@link JobMetricsReporter}). A line {@code stop} on standard input, or its end (the engine's JVM
 * went away), cancels the job and ends this JVM; so no job outlives the process that started it.
 */
public final class FlinkJobMain {

  /** How long a cancelled job may take to stop before this JVM exits anyway. */
  private static final long CANCEL_WAIT_SECONDS = 30;

  /** Set once a stop was asked for: the job's cancellation that follows is not a failure. */
  private static volatile boolean stopping;

  private FlinkJobMain() {
  }

  public static void main(String[] args) throws Exception {
    PrintStream report = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    // Flink and its connectors log to standard error; standard output carries only this protocol.
    System.setOut(System.err);
    InputStream in = System.in;
    JobSpec.Received received;
    try {
      received = JobSpec.read(in);
    } catch (IOException | RuntimeException e) {
      report.println("FAILED cannot read the job: " + oneLine(e));
      System.exit(2);
      return;
    }
    JobClient job;
    try {
      // the sources' lag and the job's restarts go to the engine as "LAG <ms>" and "RESTARTS <n>", once a second
      JobMetricsReporter.lagSink = lag -> report.println("LAG " + lag);
      JobMetricsReporter.restartSink = restarts -> report.println("RESTARTS " + restarts);
      java.util.Map<String, String> config = new java.util.LinkedHashMap<>(received.spec().flinkConfig());
      JobMetricsReporter.configure(config, "1 s");
      JobSpec spec = received.spec();
      job = FlinkJobs.submit(new JobSpec(spec.jobName(), spec.sources(), spec.sink(), spec.insertSql(), config),
          received.password());
    } catch (Exception e) {
      e.printStackTrace();
      report.println("FAILED " + oneLine(e));
      System.exit(1);
      return;
    }
    report.println("RUNNING " + job.getJobID());
    Thread watcher = new Thread(() -> watch(job, report), "deltaview-flink-job-watch");
    watcher.setDaemon(true);
    watcher.start();
    BufferedReader commands = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8));
    String line;
    while ((line = commands.readLine()) != null && !line.strip().equals("stop")) {
      // no other commands yet
    }
    stopping = true;
    try {
      job.cancel().get(CANCEL_WAIT_SECONDS, TimeUnit.SECONDS);
    } catch (Exception e) {
      System.err.println("cancelling job " + job.getJobID() + " failed: " + e);
    }
    report.println("STOPPED");
    System.exit(0);
  }

  /** Reports a job that ended by itself (failed past its restart strategy, or finished), then ends this JVM. */
  private static void watch(JobClient job, PrintStream report) {
    try {
      JobStatus status = job.getJobExecutionResult().handle((r, e) -> {
        if (stopping) {
          return JobStatus.CANCELED;
        }
        if (e != null) {
          e.printStackTrace();
          report.println("FAILED " + oneLine(rootCause(e)));
        } else {
          report.println("FAILED the job finished, which a view's job never should");
        }
        return JobStatus.FAILED;
      }).get();
      if (status == JobStatus.FAILED) {
        Runtime.getRuntime().halt(1);
      }
    } catch (Exception e) {
      report.println("FAILED " + oneLine(e));
      Runtime.getRuntime().halt(1);
    }
  }

  private static Throwable rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t;
  }

  private static String oneLine(Throwable e) {
    String m = e.getClass().getName() + ": " + e.getMessage();
    return m.replace('\n', ' ').replace('\r', ' ');
  }
}
