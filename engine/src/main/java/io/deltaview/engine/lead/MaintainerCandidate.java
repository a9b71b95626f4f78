package io.deltaview.engine.lead;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.concurrent.TimeUnit;

/**
 * A process that may maintain the views of one database: it starts this process's engine
 * ({@link EngineRegistry#engineFor}) if no other process maintains them, and otherwise, asked again now and
 * then, takes over once the maintainer is gone (its maintainer lock released and its replication connection
 * off the slot). What a JVM with {@code deltaview.engine=embedded} and the engine service both do; not
 * thread-safe (one watcher thread asks).
 */
public final class MaintainerCandidate {

  private static final System.Logger LOG = System.getLogger(MaintainerCandidate.class.getName());
  /** How long after a refusal for lack of privileges the next attempt waits. */
  public static final long RETRY_AFTER_REFUSAL_MS = 60_000;

  private final EngineConfig config;
  /** Takeovers are tried only from this {@link System#nanoTime} on. */
  private long notBeforeNanos = System.nanoTime();
  /** Why the last attempt did not start an engine; null once one started. */
  private volatile String standbyReason = "not started yet";

  public MaintainerCandidate(EngineConfig config) {
    this.config = config;
  }

  /**
   * The first attempt: this process's engine for the database, or null if another process maintains the views
   * ({@code 55000}) or this role may not ({@code 42501}) — then {@link #standbyReason} says which.
   *
   * @throws SQLException any other failure to start
   */
  public Engine start() throws SQLException {
    try {
      Engine e = EngineRegistry.engineFor(config);
      standbyReason = null;
      return e;
    } catch (SQLException e) {
      if (!SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE.equals(e.getSQLState())
          && !SqlStates.INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
        throw e;
      }
      refused(e);
      return null;
    }
  }

  /**
   * One look on {@code c} (a connection to the database, of the caller's): if nobody maintains the views and the
   * previous maintainer's replication connection has let go of the slot, starts this process's engine. Another
   * process may win the race: then null, as when someone maintains.
   *
   * @throws SQLException when looking at the database failed ({@code c} is then best replaced)
   */
  public Engine tryTakeOver(Connection c) throws SQLException {
    if (System.nanoTime() - notBeforeNanos < 0) {
      return null;
    }
    if (MaintainerLock.heldBySomeone(c)) {
      standbyReason = "another process maintains the views of database " + config.database();
      return null;
    }
    if (slotActive(c)) {
      standbyReason = "the previous maintainer's replication connection still holds slot " + config.slotName();
      return null;
    }
    try {
      Engine e = EngineRegistry.engineFor(config);
      standbyReason = null;
      return e;
    } catch (SQLException ex) {
      LOG.log(System.Logger.Level.DEBUG, "taking over maintenance of " + config.database() + " failed: " + ex);
      refused(ex);
      return null;
    }
  }

  private void refused(SQLException e) {
    standbyReason = SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE.equals(e.getSQLState())
        ? "another process maintains the incremental views of database " + config.database()
        : e.getMessage();
    if (SqlStates.INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
      // This role may not maintain: asking again every second would only cost connections.
      notBeforeNanos = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(RETRY_AFTER_REFUSAL_MS);
    }
  }

  /** Why this process does not maintain the views (the last attempt's answer); null once it does. */
  public String standbyReason() {
    return standbyReason;
  }

  public EngineConfig config() {
    return config;
  }

  /** The previous maintainer's replication connection still holds the slot: starting now would fail. */
  private boolean slotActive(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
      ps.setString(1, config.slotName());
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && rs.getBoolean(1);
      }
    }
  }
}
