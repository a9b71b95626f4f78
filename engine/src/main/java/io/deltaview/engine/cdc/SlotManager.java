package io.deltaview.engine.cdc;

import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Properties;
import java.util.regex.Pattern;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Creates and drops the logical replication slots (plugin {@code pgoutput}) that Deltaview reads, and exports
 * snapshots for initial loads. Methods taking a {@link Connection} use an ordinary (non-replication) one.
 */
public final class SlotManager {

  /** The output plugin every Deltaview slot uses. */
  public static final String PLUGIN = "pgoutput";

  /** SQLState 42710: the slot already exists (a concurrent creator won the race). */
  private static final String DUPLICATE_OBJECT = SqlStates.DUPLICATE_OBJECT;

  /** How long to wait for a just-stopped walsender to release a slot. */
  private static final Duration SLOT_RELEASE_PATIENCE = Duration.ofSeconds(15);

  /**
   * Slot names are restricted by PostgreSQL to lower-case letters, digits and underscores; checking it here
   * also makes interpolating them into replication commands (which take no parameters) safe.
   */
  private static final Pattern SLOT_NAME = Pattern.compile("[a-z0-9_]{1,63}");

  private SlotManager() {
  }

  /**
   * Creates the permanent logical slot {@code slotName} with plugin pgoutput unless it exists.
   *
   * @return {@code true} if this call created it
   * @throws IllegalStateException if a slot of that name exists but is not a pgoutput logical slot of this database
   */
  public static boolean createSlotIfAbsent(Connection connection, String slotName) throws SQLException {
    checkSlotName(slotName);
    try (PreparedStatement ps = connection.prepareStatement(
        "SELECT slot_type, plugin, database = current_database() FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slotName);
      try (ResultSet rs = ps.executeQuery()) {
        if (rs.next()) {
          if (!"logical".equals(rs.getString(1)) || !PLUGIN.equals(rs.getString(2)) || !rs.getBoolean(3)) {
            throw new IllegalStateException("replication slot " + slotName + " exists but is a " + rs.getString(1)
                + " slot with plugin " + rs.getString(2) + (rs.getBoolean(3) ? "" : " of another database")
                + "; Deltaview needs a logical pgoutput slot in this database");
          }
          return false;
        }
      }
    }
    try (PreparedStatement ps = connection.prepareStatement("SELECT pg_create_logical_replication_slot(?, ?)")) {
      ps.setString(1, slotName);
      ps.setString(2, PLUGIN);
      ps.execute();
      return true;
    } catch (SQLException e) {
      if (DUPLICATE_OBJECT.equals(e.getSQLState())) {
        return false; // created concurrently between our check and our create: the outcome we wanted
      }
      throw e;
    }
  }

  /**
   * Drops {@code slotName} if it exists, retrying for a while when it is still active because its reader
   * has only just stopped (SQLState 55006).
   *
   * @return {@code true} if a slot was dropped
   */
  public static boolean dropSlotIfExists(Connection connection, String slotName) throws SQLException {
    checkSlotName(slotName);
    return ReplicationConnections.retryWhileSlotActive(slotName, SLOT_RELEASE_PATIENCE, () -> {
      try (PreparedStatement ps = connection.prepareStatement(
          "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = ?")) {
        ps.setString(1, slotName);
        try (ResultSet rs = ps.executeQuery()) {
          return rs.next();
        }
      }
    });
  }

  /**
   * What PostgreSQL says about a slot's hold on WAL (from {@code pg_replication_slots}, readable by every role).
   *
   * @param walStatus {@code reserved}, {@code extended}, {@code unreserved} or {@code lost} (see
   *     PostgreSQL's documentation of {@code pg_replication_slots.wal_status}); null on servers that lack it
   * @param retainedBytes WAL kept for the slot: {@code pg_current_wal_lsn() - restart_lsn}, null once it
   *     is lost (PostgreSQL then clears {@code restart_lsn})
   * @param active whether a walsender streams it now
   */
  public record SlotState(String walStatus, Long retainedBytes, boolean active) {

    /**
     * Whether PostgreSQL invalidated the slot ({@code max_slot_wal_keep_size} exceeded): WAL it needed was
     * removed, so it can never be read again and changes committed since its position are gone for good.
     */
    public boolean lost() {
      return "lost".equals(walStatus);
    }
  }

  /** The state of {@code slotName}, or null if there is no such slot. */
  public static SlotState state(Connection connection, String slotName) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT wal_status,"
        // pg_current_wal_lsn() fails on a standby (logical slots exist there from PostgreSQL 16 on).
        + " pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn()"
        + " ELSE pg_current_wal_lsn() END, restart_lsn)::bigint, active"
        + " FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slotName);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          return null;
        }
        long retained = rs.getLong(2);
        return new SlotState(rs.getString(1), rs.wasNull() ? null : retained, rs.getBoolean(3));
      }
    }
  }

  /** The slot's confirmed flush LSN: where a new reader without a start position resumes. {@code null} if absent. */
  public static LogSequenceNumber confirmedFlushLsn(Connection connection, String slotName) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement(
        "SELECT confirmed_flush_lsn::text FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, slotName);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getString(1) != null ? LogSequenceNumber.valueOf(rs.getString(1)) : null;
      }
    }
  }

  /**
   * Creates a TEMPORARY pgoutput slot {@code slotName} with an exported snapshot on a new replication
   * connection to {@code url}. The caller must close the result once the snapshot has been read.
   */
  public static ExportedSnapshot exportSnapshot(String url, Properties credentials, String slotName)
      throws SQLException {
    checkSlotName(slotName);
    Connection replication = ReplicationConnections.open(url, credentials);
    try (Statement s = replication.createStatement();
         ResultSet rs = s.executeQuery(
             "CREATE_REPLICATION_SLOT " + slotName + " TEMPORARY LOGICAL " + PLUGIN + " EXPORT_SNAPSHOT")) {
      if (!rs.next()) {
        throw new IllegalStateException("CREATE_REPLICATION_SLOT returned no row");
      }
      // Columns: slot_name, consistent_point, snapshot_name, output_plugin.
      return new ExportedSnapshot(rs.getString(1), LogSequenceNumber.valueOf(rs.getString(2)), rs.getString(3),
          replication);
    } catch (SQLException | RuntimeException e) {
      try {
        replication.close();
      } catch (SQLException closing) {
        e.addSuppressed(closing);
      }
      throw e;
    }
  }

  static void checkSlotName(String slotName) {
    if (slotName == null || !SLOT_NAME.matcher(slotName).matches()) {
      throw new IllegalArgumentException("invalid replication slot name " + slotName
          + ": use 1 to 63 lower-case letters, digits and underscores");
    }
  }
}
