package io.deltaview.engine;

import io.deltaview.engine.apply.ApplyLoop;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Strong reads' waits: a WAL watermark written after every transaction the reader may have seen, which the
 * apply loop then has to pass. One connection, with {@code synchronous_commit} on, shared by the readers of
 * the database and reopened when lost.
 */
final class Watermarks implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Watermarks.class.getName());

  private final EngineConfig config;
  private Connection connection;

  private Watermarks(EngineConfig config, Connection connection) {
    this.config = config;
    this.connection = connection;
  }

  /** Opens the watermark connection now: an engine that cannot write watermarks does not start. */
  static Watermarks open(EngineConfig config) throws SQLException {
    return new Watermarks(config, connect(config));
  }

  private static Connection connect(EngineConfig config) throws SQLException {
    Connection c = Engine.connect(config);
    try (Statement s = c.createStatement()) {
      s.execute("SET synchronous_commit = on"); // the watermark's commit flushes the WAL at once
    } catch (SQLException e) {
      Engine.closeQuietly(c);
      throw e;
    }
    return c;
  }

  /**
   * Waits until every transaction committed before this call is reflected by {@code loop}'s views, by writing
   * a watermark and waiting for the loop to pass it. False on timeout, or if the watermark could not be written
   * (a lost connection must not fail the query: it goes to the base tables now, the next one reconnects).
   */
  boolean awaitCurrent(ApplyLoop loop, long timeoutMs) {
    long watermark;
    synchronized (this) {
      try {
        if (connection == null) {
          connection = connect(config);
        }
        try (Statement s = connection.createStatement();
             // Transactional, in its own autocommit transaction with synchronous_commit on: the commit flushes
             // WAL and so wakes the walsender at once (a non-transactional message is not flushed on PostgreSQL
             // 14 and would wait for the WAL writer, up to wal_writer_delay). It arrives after every earlier
             // commit.
             ResultSet rs = s.executeQuery("SELECT pg_logical_emit_message(true, 'deltaview.watermark', '')::text")) {
          rs.next();
          watermark = LogSequenceNumber.valueOf(rs.getString(1)).asLong();
        }
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.DEBUG, () -> "writing a watermark failed (the query passes through): " + e);
        Engine.closeQuietly(connection);
        connection = null;
        return false;
      }
    }
    try {
      return loop.awaitPosition(watermark, timeoutMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  @Override
  public synchronized void close() {
    Engine.closeQuietly(connection);
    connection = null;
  }
}
