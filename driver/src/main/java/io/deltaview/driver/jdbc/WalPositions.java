package io.deltaview.driver.jdbc;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Where a connection's commits end in the WAL, for read-your-writes: asked on the application's own connection
 * after it committed a write, once, just before a read needs it.
 */
final class WalPositions {

  /**
   * PostgreSQL's WAL insert position: past every record inserted so far, so past every commit that returned,
   * whatever {@code synchronous_commit} said (the write position is not, under {@code synchronous_commit=off}).
   * A server in recovery accepts no writes and answers null: 0, nothing to wait for.
   */
  private static final String SQL =
      "SELECT CASE WHEN pg_is_in_recovery() THEN NULL ELSE pg_current_wal_insert_lsn() END::text";

  private WalPositions() {
  }

  /** The current WAL insert position of {@code raw}'s server, as a {@code pg_lsn} number; 0 if there is none. */
  static long current(Connection raw) throws SQLException {
    try (Statement s = raw.createStatement(); ResultSet rs = s.executeQuery(SQL)) {
      String lsn = rs.next() ? rs.getString(1) : null;
      return lsn == null ? 0 : LogSequenceNumber.valueOf(lsn).asLong();
    }
  }
}
