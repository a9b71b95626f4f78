package io.deltaview.it.engine;

import io.deltaview.it.fixture.PostgresFixture;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

/**
 * A fresh database for the engine tests, reachable with plain pgjdbc and through Deltaview's URL (the engine
 * then runs embedded in the test JVM), plus a bounded condition wait and an exact result-table check.
 */
final class EngineTestDatabase {

  final String pgUrl;
  final String deltaviewUrl;
  private final PostgresFixture server;

  EngineTestDatabase(String prefix) {
    this.server = PostgresFixture.get();
    this.pgUrl = server.createDatabase(prefix);
    this.deltaviewUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
  }

  Connection plain() throws SQLException {
    return server.connect(pgUrl);
  }

  Connection deltaview() throws SQLException {
    return DriverManager.getConnection(deltaviewUrl, server.credentials());
  }

  /**
   * Null if result table {@code view} holds exactly the rows of {@code query} (as multisets, compared by
   * PostgreSQL itself; the views used here have no floating-point columns), else a description.
   */
  static String difference(Connection c, String view, String query) throws SQLException {
    String sql = "SELECT (SELECT count(*) FROM (SELECT * FROM " + view + " EXCEPT ALL (" + query + ")) a),"
        + " (SELECT count(*) FROM ((" + query + ") EXCEPT ALL SELECT * FROM " + view + ") b)";
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      long extra = rs.getLong(1);
      long missing = rs.getLong(2);
      return extra == 0 && missing == 0 ? null : view + ": " + extra + " rows too many, " + missing + " missing";
    }
  }

  /** Waits (polling, bounded) until {@code condition} holds; fails with {@code what} on timeout. */
  static void await(String what, Duration timeout, Check condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last = null;
    while (System.nanoTime() < deadline) {
      last = condition.problem();
      if (last == null) {
        return;
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    throw new AssertionError("timed out after " + timeout + " waiting for " + what + ": " + last);
  }

  /** A condition: null when it holds, else what is still wrong. */
  @FunctionalInterface
  interface Check {
    String problem() throws Exception;
  }
}
