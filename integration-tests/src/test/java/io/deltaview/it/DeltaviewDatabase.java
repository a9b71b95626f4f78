package io.deltaview.it;

import io.deltaview.it.fixture.PostgresFixture;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Properties;

/** A fresh database on the test server, reachable both with plain pgjdbc and through Deltaview's URL. */
final class DeltaviewDatabase {

  final String pgUrl;
  final String deltaviewUrl;
  private final PostgresFixture server;

  DeltaviewDatabase(String prefix) {
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

  Connection deltaview(String option, String value) throws SQLException {
    Properties p = server.credentials();
    p.setProperty(option, value);
    return DriverManager.getConnection(deltaviewUrl, p);
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
      Thread.onSpinWait();
      java.util.concurrent.locks.LockSupport.parkNanos(50_000_000L);
    }
    throw new AssertionError("timed out after " + timeout + " waiting for " + what + ": " + last);
  }

  /** A condition: null when it holds, else what is still wrong. */
  @FunctionalInterface
  interface Check {
    String problem() throws Exception;
  }
}
