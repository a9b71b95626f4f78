package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.rows;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.EngineChild;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The maintainer's connections all go away at once — what a database restart does to it — while a second
 * JVM waits to take over: exactly one process maintains afterwards (never two, never none), strong reads on
 * new connections keep working, and the views are exact again.
 */
class LeadershipTest {

  static final String VIEW = "SELECT customer_id, count(*) AS n, sum(amount) AS total FROM orders"
      + " GROUP BY customer_id";

  @Test
  void afterLosingEveryConnectionExactlyOneProcessMaintainsAgain() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("leadership").withShop(17);
    ShopWorkload workload = new ShopWorkload(171);
    try (Connection writer = db.plain(); Connection dv = db.deltaview()) {
      workload.attach(writer, 10_000_000);
      rows(dv, "SHOW INCREMENTAL VIEWS"); // this JVM maintains
      DeltaviewDatabase.exec(dv, "CREATE INCREMENTAL VIEW ld_totals AS " + VIEW);
      try (EngineChild standby = new EngineChild(db)) { // only rewrites: the lock is taken
        assertEquals(1, lockHolders(writer));
        for (int round = 1; round <= 2; round++) {
          long terminated = scalarLong(writer, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
              + " WHERE datname = current_database() AND application_name = 'deltaview-engine'"
              + " AND pid <> pg_backend_pid()");
          if (terminated == 0) {
            throw new AssertionError("no engine connection to terminate in round " + round);
          }
          for (int t = 0; t < 20; t++) {
            workload.randomTransaction(writer, 4);
          }
          DeltaviewDatabase.await("one process maintaining again (round " + round + ")", Duration.ofSeconds(60),
              () -> lockHolders(writer) == 1 && walsenders(writer) == 1 ? null
                  : lockHolders(writer) + " lock holders, " + walsenders(writer) + " walsenders");
          DeltaviewDatabase.await("ld_totals exact (round " + round + ")", Duration.ofSeconds(90),
              () -> DeltaviewDatabase.difference(writer, "ld_totals", VIEW));
          try (Connection strong = db.deltaview(DeltaviewOptions.CONSISTENCY, "strong")) {
            String q = VIEW + " ORDER BY 1";
            assertEquals(rows(writer, q), rows(strong, q), "a strong read on a new connection, round " + round);
          }
          // Stays at one: the loser keeps asking, never maintains beside the winner.
          for (int i = 0; i < 3; i++) {
            workload.randomTransaction(writer, 4);
            assertEquals(1, lockHolders(writer), "lock holders");
          }
        }
        try {
          DeltaviewDatabase.exec(dv, "DROP INCREMENTAL VIEW ld_totals");
        } catch (SQLException e) {
          assertEquals("55000", e.getSQLState(), "DROP where the child maintains: " + e.getMessage());
          standby.execute("DROP INCREMENTAL VIEW ld_totals");
        }
      }
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  /**
   * The other backends' views (a Flink job) follow the lock too: stopped in this process when it loses the lock,
   * as another process may then resume them, and resumed here when it takes the lock again.
   */
  @Test
  void otherBackendsStopWithTheLostLockAndResumeWhenItIsTakenAgain() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("leadbackend");
    try (Connection writer = db.plain(); Connection dv = db.deltaview()) {
      rows(dv, "SHOW INCREMENTAL VIEWS"); // this JVM maintains
      String database = rows(writer, "SELECT current_database()").get(0).get(0);
      assertEquals(1, RecordingBackend.resumes(database), "resumed when the engine started");
      assertEquals(0, RecordingBackend.closes(database));
      scalarLong(writer, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname ="
          + " current_database() AND application_name = 'deltaview-engine' AND pid <> pg_backend_pid()");
      DeltaviewDatabase.await("the backend stopped with the lost lock", Duration.ofSeconds(30),
          () -> RecordingBackend.closes(database) == 1 ? null : RecordingBackend.closes(database) + " closes");
      DeltaviewDatabase.await("the lock taken again and the backend resumed", Duration.ofSeconds(30),
          () -> RecordingBackend.resumes(database) == 2 && lockHolders(writer) == 1 ? null
              : RecordingBackend.resumes(database) + " resumes, " + lockHolders(writer) + " lock holders");
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  private static long lockHolders(Connection c) throws SQLException {
    return scalarLong(c, "SELECT count(*) FROM pg_locks WHERE locktype = 'relation' AND mode = 'ExclusiveLock'"
        + " AND granted AND relation = 'deltaview.maintainer'::regclass");
  }

  private static long walsenders(Connection c) throws SQLException {
    return scalarLong(c, "SELECT count(*) FROM pg_replication_slots WHERE database = current_database()"
        + " AND NOT temporary AND active");
  }
}
