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
   * Whether every source of the job reads its replication slot now (on {@code c}): Flink CDC streams from a
   * source's slot only once that source's snapshot is read.
   */
  boolean sourcesStreaming(Connection c) throws SQLException {
    List<String> slots = sourceSlots();
    try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_replication_slots"
        + " WHERE active AND slot_name = ANY (?)")) {
      ps.setArray(1, c.createArrayOf("text", slots.toArray()));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getInt(1) == slots.size();
      }
    }
  }

  /**
   * Where the job's replication slots stand, on {@code c}.
   *
   * @param confirmedLsn the lowest position the job's sources confirmed to their slots (Flink CDC confirms at
   *     each completed checkpoint, after the sink flushed for it): the result table holds the changes before it;
   *     null while a source has no slot yet
   * @param walStatus the worst {@code wal_status} of the view's slots (its sources' and the snapshot's)
   * @param retainedWalBytes the most WAL one of them holds back
   */
  record Slots(String confirmedLsn, String walStatus, Long retainedWalBytes) {
  }

  Slots slots(Connection c) throws SQLException {
    List<String> sources = sourceSlots();
    try (PreparedStatement ps = c.prepareStatement("SELECT CASE WHEN count(confirmed_flush_lsn) FILTER (WHERE"
        + " slot_name = ANY (?)) = ? THEN min(confirmed_flush_lsn) FILTER (WHERE slot_name = ANY (?))::text END,"
        + " (array_agg(wal_status::text ORDER BY CASE wal_status WHEN 'lost' THEN 0 WHEN 'unreserved' THEN 1"
        + "  WHEN 'extended' THEN 2 ELSE 3 END))[1],"
        + " max(pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
        + "  ELSE pg_current_wal_lsn() END, restart_lsn))::bigint"
        + " FROM pg_replication_slots WHERE left(slot_name, ?) = ?")) {
      java.sql.Array names = c.createArrayOf("text", sources.toArray());
      ps.setArray(1, names);
      ps.setInt(2, sources.size());
      ps.setArray(3, names);
      ps.setInt(4, replicationName.length() + 1);
      ps.setString(5, replicationName + "_");
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        long retained = rs.getLong(3);
        return new Slots(rs.getString(1), rs.getString(2), rs.wasNull() ? null : retained);
      }
    }
  }

  /** The replication slot each of the job's sources streams from (its snapshot's backfill slots aside). */
  private List<String> sourceSlots() {
    List<String> slots = new ArrayList<>();
    for (JobSpec.Table source : job.sources()) {
      slots.add(source.options().get("slot.name"));
    }
    return slots;
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
