package io.deltaview.engine.cdc;

import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Writes a heartbeat into the WAL at a fixed interval ({@code deltaview.heartbeatMillis}, default 1000; 0 turns
 * it off): a non-transactional logical message whose content is the time it was written, by this JVM's clock.
 * The replication stream delivers it in WAL order, so once the apply loop has passed it, the views reflect
 * every transaction that committed before that time. That is how a view's staleness is known when no base
 * table changes (a commit's own timestamp says nothing about the quiet time after it) and while the loop
 * lags (the heartbeats queue up behind the changes). Measured against the same clock that wrote it, it is
 * immune to clock skew between this machine and the database server.
 *
 * <p>Cost: one WAL record of about 60 bytes per interval (a quiet database's WAL grows by some 5 MB a day at the
 * default) and one short statement on a connection of its own. Failures are logged once and retried at the
 * next beat; until one gets through, staleness is unknown rather than wrong.
 */
public final class Heartbeat implements AutoCloseable {

  /** The prefix of heartbeat messages in the stream. */
  public static final String PREFIX = "deltaview.heartbeat";

  private static final System.Logger LOG = System.getLogger(Heartbeat.class.getName());

  /** Opens a connection for the heartbeats (autocommit, the engine's role). */
  @FunctionalInterface
  public interface Connector {
    Connection connect() throws SQLException;
  }

  private final Connector connector;
  private final java.util.function.BooleanSupplier wanted;
  private final ScheduledExecutorService timer;
  private Connection connection;
  private boolean failing;

  private Heartbeat(Connector connector, java.util.function.BooleanSupplier wanted, String database, long intervalMs) {
    this.connector = connector;
    this.wanted = wanted;
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "deltaview-heartbeat-" + database);
      t.setDaemon(true);
      return t;
    });
    timer.scheduleWithFixedDelay(this::beat, 0, intervalMs, TimeUnit.MILLISECONDS);
  }

  /** The heartbeat interval the system property sets; 0 when heartbeats are off. */
  public static long intervalMs() {
    return Math.max(0, Long.getLong("deltaview.heartbeatMillis", 1_000));
  }

  /**
   * Starts heartbeats for a database, written while {@code wanted} says so (an apply loop is reading the
   * stream); null if they are off.
   */
  public static Heartbeat start(Connector connector, java.util.function.BooleanSupplier wanted, String database) {
    long interval = intervalMs();
    return interval == 0 ? null : new Heartbeat(connector, wanted, database, interval);
  }

  /** The time a heartbeat was written (milliseconds since the epoch, this JVM's clock); -1 if it is not one. */
  public static long writtenAt(byte[] content) {
    long millis = 0;
    if (content.length == 0 || content.length > 19) {
      return -1;
    }
    for (byte b : content) {
      if (b < '0' || b > '9') {
        return -1;
      }
      millis = millis * 10 + (b - '0');
    }
    return millis;
  }

  private void beat() {
    if (!wanted.getAsBoolean()) {
      closeConnection();
      return;
    }
    try {
      if (connection == null) {
        connection = connector.connect();
      }
      try (PreparedStatement ps = connection.prepareStatement("SELECT pg_logical_emit_message(false, ?, ?)")) {
        ps.setString(1, PREFIX);
        ps.setBytes(2, Long.toString(System.currentTimeMillis()).getBytes(StandardCharsets.US_ASCII));
        ps.execute();
      }
      if (failing) {
        failing = false;
        LOG.log(System.Logger.Level.INFO, "Deltaview heartbeats are written again");
      }
    } catch (SQLException | RuntimeException e) {
      if (!failing) {
        failing = true;
        LOG.log(System.Logger.Level.WARNING, "Deltaview could not write a heartbeat (views' staleness is unknown"
            + " until one is written; tried again every interval): " + e.getMessage());
      }
      closeConnection();
    }
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException e) {
        // it is being let go of
      }
      connection = null;
    }
  }

  @Override
  public void close() {
    timer.shutdownNow();
    try {
      timer.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeConnection();
  }
}
