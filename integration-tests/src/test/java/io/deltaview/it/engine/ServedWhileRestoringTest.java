package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.difference;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.engine.ViewStatus;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Assertions;
import org.junit.jupiter.api.Test;

/**
 * A restarted engine serves the views it resumes from checkpoints from their result tables while it reads the
 * checkpoints (which takes time in proportion to the state), and maintains them once they are read: queries are
 * answered again as soon as the engine has checked what it will resume, whatever the views' size.
 *
 * <p>The reading is held up by a lock on the second view's result table, which the engine counts at the end
 * of reading that view's checkpoint; the first view's checkpoint is read by then, and nothing reads the
 * first view's table but the queries served from it.
 */
class ServedWhileRestoringTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String REVENUE = "SELECT c.region, count(*) AS n, sum(l.qty * l.price) AS revenue"
      + " FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN customers c ON c.id = o.customer_id"
      + " GROUP BY c.region";
  private static final String STATUSES = "SELECT status, count(*) AS n FROM orders GROUP BY status";

  @Test
  void resumedViewsAreServedFromTheirTablesWhileTheirCheckpointsAreRead() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("restoreserve");
    ShopWorkload workload = new ShopWorkload(31);
    try (Connection plain = db.plain()) {
      EngineConfig config = stoppedWithCheckpoints(db, workload, plain);
      try (Connection locker = db.plain()) {
        Engine engine = startHeldUp(config, plain, locker);

        assertFalse(engine.checkpointsRead());
        assertEquals(List.of("public.rs_revenue", "public.rs_statuses"),
            engine.readyViews().stream().map(ViewRecord::qualifiedName).sorted().toList());
        assertTrue(engine.serve(List.of("public.rs_revenue")), "served from its table meanwhile");
        assertTrue(engine.serve(List.of("public.rs_revenue", "public.rs_statuses")),
            "both tables hold the same position: read together");
        for (ViewStatus s : engine.status(plain)) {
          assertEquals(ViewState.READY, s.status(), s.toString());
          assertEquals("checkpoint", s.stateSource(), s.toString());
          assertTrue(s.progress().startsWith("reading its checkpoint"), s.toString());
          assertNull(s.stalenessMs(), "not maintained yet: how stale it is is not known");
        }
        // A strong read cannot be proven fresh before the stream is applied: it waits, then passes through.
        assertFalse(engine.awaitCurrent(300));

        // Through the driver: the view's query is answered from its table, and equals PostgreSQL's answer (no
        // transaction committed since the stop). Connections with other properties than before the stop: a
        // runtime of their own, which finds this engine (the earlier one still holds the stopped engine).
        try (Connection dv = db.deltaview("ApplicationName", "restore-test")) {
          await("the driver to serve rs_revenue", WAIT,
              () -> "t".equals(explain(dv, REVENUE).get(0)) ? null : explain(dv, REVENUE).toString());
          assertEquals(sorted(rows(plain, REVENUE)), sorted(rows(dv, REVENUE)));
          assertTrue(DeltaviewDatabase.hits(dv, "public.rs_revenue") > 0, "answered from the view");

          // A CREATE waits until the reading is done and the loop runs, rather than starting a loop without them.
          CompletableFuture<Void> create = CompletableFuture.runAsync(() -> {
            try (Connection other = db.deltaview("ApplicationName", "restore-test")) {
              exec(other, "CREATE INCREMENTAL VIEW rs_tiers AS SELECT tier, count(*) AS n FROM customers GROUP BY tier");
            } catch (Exception e) {
              throw new RuntimeException(e);
            }
          });
          Assertions.assertThrows(TimeoutException.class, () -> create.get(500, TimeUnit.MILLISECONDS),
              "the CREATE waits for the checkpoints to be read");
          workload.randomTransaction(plain, 4);
          locker.rollback();
          create.get(WAIT.toSeconds(), TimeUnit.SECONDS);
        }
        await("the checkpoints to be read", WAIT, () -> engine.checkpointsRead() ? null : "still reading");
        assertEquals(1L, engine.snapshotReads(), "only the new view was loaded from a snapshot");
        assertEquals(2L, engine.checkpointResumes());
        awaitExact(plain, "after the restart");
        for (ViewStatus s : engine.status(plain)) {
          assertEquals(ViewState.READY, s.status(), s.toString());
          assertNull(s.progress(), s.toString());
        }
      }
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  /**
   * The maintainer's connections are lost while it reads the checkpoints (as at a database restart): that reading
   * is abandoned, no view is rebuilt from its base tables for it, and once the lock is taken again the views
   * resume from their checkpoints, read afresh, with one apply loop.
   */
  @Test
  void connectionsLostWhileCheckpointsAreReadAreRetriedNotRebuilt() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("restorelost");
    ShopWorkload workload = new ShopWorkload(32);
    try (Connection plain = db.plain()) {
      EngineConfig config = stoppedWithCheckpoints(db, workload, plain);
      try (Connection locker = db.plain()) {
        Engine engine = startHeldUp(config, plain, locker);
        long reader = waitingReader(plain);
        assertTrue(scalarLong(plain, "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname"
            + " = current_database() AND application_name = 'deltaview-engine'") > 0);
        await("the lock taken again and the checkpoints read afresh", WAIT, () -> {
          long now = waitingReader(plain);
          return now != 0 && now != reader ? null : "reader " + now;
        });
        assertEquals(2, engine.readyViews().size(), "served from their tables again meanwhile");
        workload.randomTransaction(plain, 4);
        locker.rollback();
        await("the checkpoints to be read", WAIT, () -> engine.checkpointsRead() ? null : "still reading");
        assertEquals(0L, engine.snapshotReads(), "no view was rebuilt from its base tables");
        assertEquals(2L, engine.checkpointResumes(), "each resumed once: the abandoned reading activated nothing");
        awaitExact(plain, "after the retried restart");
        assertEquals(1L, scalarLong(plain, "SELECT count(*) FROM pg_replication_slots WHERE database ="
            + " current_database() AND NOT temporary AND active"), "one stream");
      }
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  /**
   * Creates the two views over the shop data, changes it, and stops the engine cleanly (each view checkpointed
   * where it stopped); returns the configuration to start it again with.
   */
  private static EngineConfig stoppedWithCheckpoints(DeltaviewDatabase db, ShopWorkload workload, Connection plain)
      throws Exception {
    ShopWorkload.createSchema(plain);
    workload.load(plain, 40, 300, 900, n -> { });
    try (Connection dv = db.deltaview()) {
      exec(dv, "CREATE INCREMENTAL VIEW rs_revenue AS " + REVENUE); // created first: its checkpoint is read first
      exec(dv, "CREATE INCREMENTAL VIEW rs_statuses AS " + STATUSES);
    }
    for (int t = 0; t < 20; t++) {
      workload.randomTransaction(plain, 4);
    }
    awaitExact(plain, "before the stop");
    EngineRegistry.stop(db.pgUrl);
    assertEquals(2L, scalarLong(plain, "SELECT count(DISTINCT view_name) FROM deltaview.checkpoints"));
    String database = db.pgUrl.substring(db.pgUrl.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
    return new EngineConfig(db.pgUrl, db.server.credentials(), database);
  }

  /**
   * Starts the engine with {@code locker} holding the second view's result table, and returns once its reading
   * of the checkpoints waits for that lock. Starting returns once the checkpoints are checked, not read; it is
   * waited for with a timeout all the same: an engine that read them before returning would wait for the lock
   * this thread holds.
   */
  private static Engine startHeldUp(EngineConfig config, Connection plain, Connection locker) throws Exception {
    locker.setAutoCommit(false);
    exec(locker, "LOCK TABLE rs_statuses IN ACCESS EXCLUSIVE MODE");
    Engine engine = CompletableFuture.supplyAsync(() -> {
      try {
        return EngineRegistry.engineFor(config);
      } catch (Exception e) {
        throw new RuntimeException(e);
      }
    }).get(WAIT.toSeconds(), TimeUnit.SECONDS);
    await("the engine's reading of the checkpoints to wait for the lock", WAIT,
        () -> waitingReader(plain) != 0 ? null : "not waiting yet");
    return engine;
  }

  /** The pid of the engine's connection waiting for the lock on rs_statuses; 0 if none waits. */
  private static long waitingReader(Connection plain) throws Exception {
    try (PreparedStatement ps = plain.prepareStatement("SELECT coalesce(max(pid), 0) FROM pg_stat_activity"
        + " WHERE datname = current_database() AND application_name = 'deltaview-engine'"
        + " AND wait_event_type = 'Lock' AND query LIKE '%rs_statuses%'");
         ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static List<List<String>> sorted(List<List<String>> rows) {
    return rows.stream().sorted((a, b) -> String.join("|", a).compareTo(String.join("|", b))).toList();
  }

  private static void awaitExact(Connection plain, String when) throws Exception {
    await("rs_revenue exact " + when, WAIT, () -> difference(plain, "rs_revenue", REVENUE));
    await("rs_statuses exact " + when, WAIT, () -> difference(plain, "rs_statuses", STATUSES));
  }
}
