package io.deltaview.flink;

import io.deltaview.flink.job.JobSpec;
import io.deltaview.sql.SqlIdentifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * A view whose result table a running Flink job keeps. {@link #close} lets go of the job (a local job stops, a job
 * on a cluster keeps running) and leaves the table, the replication slots and the checkpoints ({@link
 * FlinkViews#resume} goes on from them, or finds the job still running); {@link #drop} cancels the job and removes
 * everything the view made in the database.
 */
public final class FlinkView implements AutoCloseable {

  /** How long {@link #drop} waits for the stopped job's slots to be released. */
  private static final long SLOT_RELEASE_MILLIS = 30_000;

  private final String schema;
  private final String name;
  private final String replicationName;
  private final JobSpec job;
  private final FlinkJobRunner runner;

  FlinkView(String schema, String name, String replicationName, JobSpec job, FlinkJobRunner runner) {
    this.schema = schema;
    this.name = name;
    this.replicationName = replicationName;
    this.job = job;
    this.runner = runner;
  }

  public String schema() {
    return schema;
  }

  public String name() {
    return name;
  }

  /** The job as Flink SQL, the password masked. */
  public String describeJob() {
    return job.describe();
  }

  /** What runs the job: a Flink JVM of its own, or a Flink cluster. */
  public FlinkJobRunner runner() {
    return runner;
  }

  /**
   * Lets go of the job: a local job stops, a job on a Flink cluster keeps running; the result table stays as the
   * job last wrote it.
   */
  @Override
  public void close() {
    runner.close();
  }

  /** Cancels the job and drops the result table, the job's replication slots and its publication. */
  public void drop(Connection c) throws SQLException {
    runner.cancel();
    dropReplicationAndTable(c, schema, name, replicationName);
  }

  static void dropReplicationAndTable(Connection c, String schema, String name, String replicationName)
      throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(true);
    try (Statement s = c.createStatement()) {
      dropSlots(c, replicationName);
      s.execute("DROP PUBLICATION IF EXISTS " + SqlIdentifiers.quote(replicationName));
      s.execute("DROP TABLE IF EXISTS " + SqlIdentifiers.quote(schema, name));
    } finally {
      c.setAutoCommit(autoCommit);
    }
  }

  /**
   * Drops the slots named {@code prefix_…} once no process holds them (the stopped job's walsenders end a moment
   * after its JVM), waiting at most {@link #SLOT_RELEASE_MILLIS}.
   */
  private static void dropSlots(Connection c, String prefix) throws SQLException {
    long deadline = System.currentTimeMillis() + SLOT_RELEASE_MILLIS;
    while (true) {
      List<String> active = new ArrayList<>();
      List<String> idle = new ArrayList<>();
      try (PreparedStatement ps = c.prepareStatement("SELECT slot_name, active FROM pg_replication_slots"
          + " WHERE left(slot_name, ?) = ?")) {
        ps.setInt(1, prefix.length() + 1);
        ps.setString(2, prefix + "_");
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            (rs.getBoolean(2) ? active : idle).add(rs.getString(1));
          }
        }
      }
      try (PreparedStatement drop = c.prepareStatement("SELECT pg_drop_replication_slot(?)")) {
        for (String slot : idle) {
          drop.setString(1, slot);
          drop.execute();
        }
      }
      if (active.isEmpty()) {
        return;
      }
      if (System.currentTimeMillis() > deadline) {
        throw new SQLException("replication slots " + active + " of the stopped Flink job are still in use",
            io.deltaview.sql.SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
      }
      try {
        Thread.sleep(100);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException("interrupted while dropping the Flink job's slots",
            io.deltaview.sql.SqlStates.QUERY_CANCELED, e);
      }
    }
  }
}
