package io.deltaview.engine.cdc;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;
import org.postgresql.PGProperty;

/** Opens walsender ("replication=database") connections and retries what a just-released slot makes fail. */
final class ReplicationConnections {

  /** SQLState of "replication slot ... is active for PID ...": the previous walsender has not exited yet. */
  static final String OBJECT_IN_USE = "55006";

  private static final System.Logger LOG = System.getLogger(ReplicationConnections.class.getName());

  private ReplicationConnections() {
  }

  /**
   * A logical walsender connection. The walsender only speaks the simple query protocol, and
   * {@code assumeMinServerVersion} stops pgjdbc from sending startup parameters it would reject.
   */
  static Connection open(String url, Properties credentials) throws SQLException {
    Properties p = new Properties();
    p.putAll(credentials);
    PGProperty.REPLICATION.set(p, "database");
    PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
    PGProperty.PREFER_QUERY_MODE.set(p, "simple");
    return DriverManager.getConnection(url, p);
  }

  /** Something that may fail with {@link #OBJECT_IN_USE} while another walsender still holds a slot. */
  @FunctionalInterface
  interface SlotAction<T> {
    T run() throws SQLException;
  }

  /**
   * Runs {@code action}, retrying with exponential backoff (50 ms doubling to 1 s) while it fails with
   * SQLState 55006, for at most {@code patience}. Right after a reader stops, PostgreSQL needs a moment to
   * end its walsender; any other failure, or the last 55006 once patience runs out, is thrown unchanged.
   */
  static <T> T retryWhileSlotActive(String slotName, Duration patience, SlotAction<T> action) throws SQLException {
    long deadline = System.nanoTime() + patience.toNanos();
    long backoffMillis = 50;
    while (true) {
      try {
        return action.run();
      } catch (SQLException e) {
        if (!OBJECT_IN_USE.equals(e.getSQLState()) || System.nanoTime() + backoffMillis * 1_000_000L > deadline) {
          throw e;
        }
        LOG.log(System.Logger.Level.DEBUG, () -> "slot " + slotName + " still active, retrying: " + e.getMessage());
        try {
          Thread.sleep(backoffMillis);
        } catch (InterruptedException interrupted) {
          Thread.currentThread().interrupt();
          throw e;
        }
        backoffMillis = Math.min(backoffMillis * 2, 1000);
      }
    }
  }
}
