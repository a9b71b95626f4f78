package io.deltaview.engine.lead;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.sql.SqlStates;
import io.deltaview.engine.ddl.ViewRequests;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;

/**
 * The maintainer lock of one database, held by this process: among all processes with an engine for the
 * database, only the one holding it maintains the views. It is a table lock ({@link Catalog#lockMaintainer}),
 * which only a role allowed to write Deltaview's catalog can take, held in the open transaction of a
 * connection used for nothing else; losing that connection (database restart, terminated backend) releases
 * it, which {@link #alive()} notices.
 */
public final class MaintainerLock implements AutoCloseable {

  private final Connection connection;

  private MaintainerLock(Connection connection) {
    this.connection = connection;
  }

  /**
   * Takes the lock on {@code fresh}, a new connection that the lock then owns (closed if taking it fails),
   * creating Deltaview's catalog first if needed.
   *
   * @param database for messages
   * @throws SQLException {@code 55000} if another process holds it; {@code 42501} if this role may not create
   *     the catalog or take the lock
   */
  public static MaintainerLock take(Connection fresh, String database) throws SQLException {
    try {
      try (Statement s = fresh.createStatement()) {
        // The lock lives in a transaction that stays open while this process maintains: no server-side
        // timeout may end it. It never gets a transaction id or snapshot, so it holds back neither VACUUM nor
        // the creation of replication slots.
        s.execute("SET idle_in_transaction_session_timeout = 0");
        s.execute("SET statement_timeout = 0");
      }
      fresh.setAutoCommit(false);
      try {
        Catalog.ensureExists(fresh);
        fresh.commit();
      } catch (SQLException e) {
        fresh.rollback();
        if (SqlStates.INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
          throw new SQLException("Deltaview: this role may not create or update schema " + Catalog.SCHEMA
              + " in database " + database + ", so this process cannot maintain incremental views (it"
              + " serves queries from views another process maintains): " + e.getMessage(),
              SqlStates.INSUFFICIENT_PRIVILEGE, e);
        }
        throw e;
      }
      boolean locked;
      try {
        locked = Catalog.lockMaintainer(fresh);
      } catch (SQLException e) {
        if (SqlStates.INSUFFICIENT_PRIVILEGE.equals(e.getSQLState())) {
          throw new SQLException("Deltaview: this role may not take the maintainer lock of database "
              + database + " (" + e.getMessage() + "), so this process cannot maintain incremental views",
              SqlStates.INSUFFICIENT_PRIVILEGE, e);
        }
        throw e;
      }
      if (!locked) {
        throw new SQLException("Deltaview: another process maintains the incremental views of database "
            + database + "; start it with deltaview.engine=none here, or stop the other process",
            SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
      }
      return new MaintainerLock(fresh);
    } catch (SQLException | RuntimeException e) {
      try {
        fresh.close();
      } catch (SQLException ignored) {
        // already failing
      }
      throw e;
    }
  }

  /**
   * Whether some session, in any process, holds the maintainer lock of {@code c}'s database: a process that
   * only rewrites uses it to tell views that are being maintained from views whose maintainer died.
   */
  public static boolean heldBySomeone(Connection c) throws SQLException {
    return Catalog.maintainerAlive(c);
  }

  /** Whether the connection holding the lock is still alive (so the lock is still this process's). */
  public boolean alive() {
    try {
      return connection.isValid(5);
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Whether a view request waits ({@link ViewRequests}), asked on the lock's own connection so that looking
   * costs no connection of its own (the lock's session, inside its transaction, cannot receive notifications).
   * The lock's transaction must survive any error, so the question runs under a savepoint, sent together with
   * it in one round trip; false if it could not be answered (then {@link #alive} tells whether the lock is
   * still held).
   */
  public boolean viewRequestsPending() {
    try (Statement s = connection.createStatement()) {
      s.execute("SAVEPOINT deltaview_look; " + ViewRequests.ANY_PENDING + "; RELEASE SAVEPOINT deltaview_look");
      boolean pending = false;
      do {
        ResultSet rs = s.getResultSet();
        if (rs != null && rs.next()) {
          pending = rs.getBoolean(1);
        }
      } while (s.getMoreResults() || s.getUpdateCount() != -1);
      return pending;
    } catch (SQLException e) {
      try (Statement s = connection.createStatement()) {
        s.execute("ROLLBACK TO SAVEPOINT deltaview_look; RELEASE SAVEPOINT deltaview_look");
      } catch (SQLException lost) {
        // the connection is gone: alive() says so
      }
      return false;
    }
  }

  /** Lets go of the lock (closing its connection). */
  @Override
  public void close() {
    try {
      // Ends the transaction that holds the lock, so that it is released when this returns. A closed socket alone
      // releases it only once the server's backend has noticed and exited: a process asking right after the stop
      // would still see a maintainer, and queue a request nobody carries out.
      connection.rollback();
    } catch (SQLException ignored) {
      // a broken connection: the lock goes with it
    }
    try {
      connection.close();
    } catch (SQLException ignored) {
      // the lock goes with the connection either way
    }
  }
}
