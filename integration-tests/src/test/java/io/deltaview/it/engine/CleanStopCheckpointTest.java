package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.difference;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A clean stop (a deploy, a shutdown) brings every view's checkpoint to the position the engine stopped at and
 * confirms the slot there: the next start resumes each view from its checkpoint and decodes only what was
 * committed after the stop, not the WAL since the last periodic checkpoint.
 */
class CleanStopCheckpointTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("cs_revenue", "SELECT c.region, count(*) AS n, sum(l.qty * l.price) AS revenue FROM order_lines l"
        + " JOIN orders o ON o.id = l.order_id JOIN customers c ON c.id = o.customer_id GROUP BY c.region");
    VIEWS.put("cs_statuses", "SELECT status, count(*) AS n FROM orders GROUP BY status");
    VIEWS.put("cs_quiet", "SELECT tier, count(*) AS n FROM customers GROUP BY tier"); // no change reaches it
  }

  @Test
  void aCleanStopCheckpointsEveryViewWhereItStoppedAndTheNextStartResumesThere() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("cleanstop");
    ShopWorkload workload = new ShopWorkload(77);
    String interval = System.getProperty("deltaview.checkpointMillis");
    // Periodic checkpoints rarely (as by default): only the stop can bring them to the last transaction.
    System.setProperty("deltaview.checkpointMillis", "600000");
    try (Connection plain = db.plain()) {
      ShopWorkload.createSchema(plain);
      workload.load(plain, 40, 300, 900, n -> { });
      try (Connection dv = db.deltaview()) {
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          exec(dv, "CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
        }
      }
      for (int t = 0; t < 30; t++) {
        workload.randomTransaction(plain, 4);
      }
      long beforeLast = scalarLong(plain, "SELECT pg_current_wal_lsn() - '0/0'");
      exec(plain, "UPDATE orders SET status = 'stopped' WHERE id = (SELECT min(id) FROM orders)");
      awaitExact(plain, "before the stop");

      EngineRegistry.stop(db.pgUrl);

      long confirmed = scalarLong(plain, "SELECT confirmed_flush_lsn - '0/0' FROM pg_replication_slots"
          + " WHERE database = current_database()");
      assertTrue(confirmed > beforeLast, "the slot was confirmed past the last transaction before the stop");
      assertEquals(VIEWS.size(), scalarLong(plain, "SELECT count(DISTINCT view_name) FROM deltaview.checkpoints"
          + " WHERE checkpoint_lsn - '0/0' >= " + confirmed), "every view's checkpoint is at the slot's position");

      for (int t = 0; t < 10; t++) {
        workload.randomTransaction(plain, 4); // while no engine runs
      }
      String database = db.pgUrl.substring(db.pgUrl.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
      Engine engine = EngineRegistry.engineFor(new EngineConfig(db.pgUrl, db.server.credentials(), database));
      await("the restarted engine to resume the views", WAIT,
          () -> engine.readyViews().size() == VIEWS.size() && engine.checkpointsRead() ? null
              : engine.readyViews().size() + " ready, checkpoints read: " + engine.checkpointsRead());
      assertEquals(0L, engine.snapshotReads(), "no base table was read");
      assertEquals((long) VIEWS.size(), engine.checkpointResumes());
      awaitExact(plain, "after the restart");
    } finally {
      EngineRegistry.stop(db.pgUrl);
      if (interval == null) {
        System.clearProperty("deltaview.checkpointMillis");
      } else {
        System.setProperty("deltaview.checkpointMillis", interval);
      }
    }
  }

  private static void awaitExact(Connection plain, String when) throws Exception {
    for (Map.Entry<String, String> v : VIEWS.entrySet()) {
      await(v.getKey() + " exact " + when, WAIT, () -> difference(plain, v.getKey(), v.getValue()));
    }
  }
}
