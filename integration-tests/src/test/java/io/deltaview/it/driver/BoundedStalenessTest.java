package io.deltaview.it.driver;

import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.driver.metrics.RouteStats;
import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code deltaview.consistency=bounded(<ms>)} and the {@code bounded(<ms>)} hint: a query is served while the
 * engine's measured staleness is within the bound, and goes to the base tables (counted and explained) once
 * the engine is held back beyond it.
 */
class BoundedStalenessTest {

  static final String VIEW = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status";
  static final String QUERY = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders"
      + " WHERE status = 'bounded' GROUP BY status";
  /** Well above the heartbeat interval (1 s), which is the granularity staleness is measured with. */
  static final long BOUND_MS = 3000;

  @Test
  void servedWhileWithinTheBoundAndFromTheBaseTablesOnceTheEngineIsHeldBackBeyondIt() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("bounded").withShop(4);
    try (Connection dv = db.deltaview(DeltaviewOptions.CONSISTENCY, "bounded(" + BOUND_MS + ")");
         Connection writer = db.plain()) {
      exec(dv, "CREATE INCREMENTAL VIEW status_totals AS " + VIEW);
      Engine engine = EngineRegistry.existing(db.pgUrl);
      RouteStats stats = RouteStats.all().get(EngineRegistry.key(db.pgUrl));
      exec(writer, "INSERT INTO orders VALUES (4000001, 1, now()::timestamp, 'bounded', 5)");
      List<List<String>> first = List.of(List.of("bounded", "1", "5.00"));
      await("the view to hold the first order and a heartbeat to be applied", Duration.ofSeconds(30), () -> {
        Long staleness = engine.stalenessMs();
        List<List<String>> table = rows(writer, "SELECT status, n, total FROM status_totals WHERE status = 'bounded'");
        return staleness != null && staleness <= BOUND_MS && table.equals(first) ? null
            : "staleness " + staleness + " ms, result table " + table;
      });
      long hits = hits(dv, "public.status_totals");
      assertEquals(first, rows(dv, QUERY));
      assertEquals(hits + 1, hits(dv, "public.status_totals"), "fresh enough: served from the view");
      assertEquals("t", explain(dv, QUERY).get(0));

      try (AutoCloseable paused = engine.pauseApplying()) {
        exec(writer, "INSERT INTO orders VALUES (4000002, 1, now()::timestamp, 'bounded', 5)");
        await("the views to lag beyond the bound", Duration.ofSeconds(60), () -> {
          Long staleness = engine.stalenessMs();
          return staleness != null && staleness > BOUND_MS ? null : "staleness " + staleness + " ms";
        });
        long tooStale = stats.passedThroughCount(RouteStats.PassThrough.TOO_STALE);
        hits = hits(dv, "public.status_totals");
        for (int i = 0; i < 5; i++) {
          assertEquals(List.of(List.of("bounded", "2", "10.00")), rows(dv, QUERY),
              "beyond the bound the query reads the base tables, which hold the second order");
        }
        assertEquals(tooStale + 5, stats.passedThroughCount(RouteStats.PassThrough.TOO_STALE));
        assertEquals(hits, hits(dv, "public.status_totals"), "nothing served from the lagging view");
        List<String> plan = explain(dv, QUERY);
        assertEquals("f", plan.get(0), "EXPLAIN says it passes through: " + plan);
        assertTrue(plan.get(3).contains("bounded(" + BOUND_MS + ")") && plan.get(3).contains("lag by"), plan.get(3));

        // A query that accepts more staleness is still served, with what the view holds.
        String loose = QUERY.replace("SELECT ", "SELECT /*+ incremental(consistency=bounded(3600000)) */ ");
        assertEquals(first, rows(dv, loose), "bounded(3600000): the view's answer, one order behind");
        assertEquals(hits + 1, hits(dv, "public.status_totals"));
        // An eventual hint drops the connection's bound for its query.
        String eventual = QUERY.replace("SELECT ", "SELECT /*+ incremental(consistency=eventual) */ ");
        assertEquals(first, rows(dv, eventual), "eventual: served whatever the view holds");
        assertEquals(hits + 2, hits(dv, "public.status_totals"));
      }
      await("served again once the engine has caught up", Duration.ofSeconds(30), () -> {
        long before = hits(dv, "public.status_totals");
        List<List<String>> seen = rows(dv, QUERY);
        return seen.equals(List.of(List.of("bounded", "2", "10.00"))) && hits(dv, "public.status_totals") == before + 1
            ? null : "answer " + seen + ", served: " + (hits(dv, "public.status_totals") - before);
      });
    }
  }

  @Test
  void aBoundedHintOnAnEventualConnectionPassesThroughWhileTheStalenessIsUnknown() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("boundedhint").withShop(5);
    try (Connection dv = db.deltaview(); Connection writer = db.plain()) {
      exec(dv, "CREATE INCREMENTAL VIEW status_totals AS " + VIEW);
      Engine engine = EngineRegistry.existing(db.pgUrl);
      RouteStats stats = RouteStats.all().get(EngineRegistry.key(db.pgUrl));
      String hinted = QUERY.replace("SELECT ", "SELECT /*+ incremental(consistency=bounded(" + BOUND_MS + ")) */ ");
      await("a heartbeat to be applied", Duration.ofSeconds(30),
          () -> engine.stalenessMs() != null ? null : "staleness not known yet");
      try (AutoCloseable paused = engine.pauseApplying()) {
        exec(writer, "INSERT INTO orders VALUES (5000001, 1, now()::timestamp, 'bounded', 7)");
        await("the views to lag beyond the bound", Duration.ofSeconds(60), () -> {
          Long staleness = engine.stalenessMs();
          return staleness != null && staleness > BOUND_MS ? null : "staleness " + staleness + " ms";
        });
        long tooStale = stats.passedThroughCount(RouteStats.PassThrough.TOO_STALE);
        assertEquals(List.of(List.of("bounded", "1", "7.00")), rows(dv, hinted), "the hint's bound applies");
        assertEquals(tooStale + 1, stats.passedThroughCount(RouteStats.PassThrough.TOO_STALE));
        assertEquals(List.of(), rows(dv, QUERY), "unhinted, the eventual connection is served what the view holds");
      }
      EngineRegistry.stop(db.pgUrl); // nothing measures staleness any more; the rewriter still knows the view
      exec(writer, "INSERT INTO orders VALUES (5000002, 1, now()::timestamp, 'bounded', 7)");
      long unknown = stats.passedThroughCount(RouteStats.PassThrough.STALENESS_UNKNOWN);
      assertEquals(List.of(List.of("bounded", "2", "14.00")), rows(dv, hinted));
      assertEquals(unknown + 1, stats.passedThroughCount(RouteStats.PassThrough.STALENESS_UNKNOWN),
          "unknown staleness is never taken for fresh");
    }
  }
}
