package io.deltaview.flink;

import java.sql.SQLException;

/**
 * Where and how a view's Flink job runs: on a MiniCluster in a JVM this process started ({@link LocalFlinkRunner},
 * {@code deltaview.flink.rest=local}) or on a Flink cluster reached through its REST API ({@link RestFlinkRunner}).
 * The two differ in what {@link #close} does: a local job ends with the process that started it, a job on a
 * cluster lives on without it.
 */
public interface FlinkJobRunner extends AutoCloseable {

  /** Flink's id of the job. */
  String jobId();

  /** Whether the job runs (or is restarting a failed task from its last checkpoint). */
  boolean isRunning();

  /** Why the job does not run (Flink's reason, the end of its JVM, a cluster that does not answer), or null. */
  String failure();

  /**
   * The id of the job's newest completed checkpoint, 0 if none yet: the ids grow with every checkpoint, so two
   * answers tell whether checkpoints completed in between.
   */
  long newestCheckpoint() throws SQLException;

  /**
   * How far behind PostgreSQL the job reads, in milliseconds: the largest, over its sources, of the last fetched
   * change's time from its commit to Flink CDC fetching it (Flink's {@code currentFetchEventTimeLag}); the sink's
   * flush comes on top. Null before any change was fetched, or where it cannot be read.
   */
  Long lagMs();

  /**
   * How often the job restarted from a checkpoint since it was submitted (Flink's {@code numRestarts}); 0 where it
   * cannot be read. A restart inside the first snapshot leaves the result table inexact for good.
   */
  long restarts();

  /** Which job runs where, as {@code SHOW} and {@code EXPLAIN} name it: {@code Flink job <id> in JVM <pid>}, … */
  String describe();

  /**
   * Lets go of the job because this process stops maintaining the view (the engine closes): a local job is
   * cancelled, resumably (its checkpoints are kept); a job on a cluster keeps running, for the next engine to find.
   */
  @Override
  void close();

  /** Stops the job for good (the view is dropped) and waits until it no longer runs. */
  void cancel() throws SQLException;
}
