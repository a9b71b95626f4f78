package io.deltaview.it.metrics;

import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.difference;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.metrics.DeltaviewMeters;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.TimeGauge;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.sql.Connection;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * Deltaview's Micrometer meters against a real engine: per view (rows equal to the result table's, changes
 * applied, queries served, staleness), per database (served and passed-through queries by reason, strong-read
 * waits), and a dropped view's meters leave the registry.
 */
class MetersTest {

  private static final Duration WAIT = Duration.ofSeconds(60);
  private static final String QUERY = "SELECT kind, sum(qty) AS total FROM items GROUP BY kind";

  @Test
  void metersFollowViewsQueriesAndDrops() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("meters");
    SimpleMeterRegistry registry = new SimpleMeterRegistry();
    try (DeltaviewMeters meters = new DeltaviewMeters(); Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE items (id int PRIMARY KEY, kind int NOT NULL, qty int NOT NULL)");
      exec(plain, "INSERT INTO items SELECT g, g % 10, g % 7 FROM generate_series(1, 200) g");
      exec(dv, "CREATE INCREMENTAL VIEW item_totals AS " + QUERY);
      meters.bindTo(registry);
      String database = plain.getCatalog();

      exec(plain, "INSERT INTO items SELECT g, g % 13, 1 FROM generate_series(201, 260) g");
      exec(plain, "DELETE FROM items WHERE id % 9 = 0");
      await("the view to be exact", WAIT, () -> difference(plain, "item_totals", QUERY));
      long tableRows = scalarLong(plain, "SELECT count(*) FROM item_totals");
      await("deltaview.view.rows to equal the table's rows", WAIT, () -> {
        Gauge g = registry.find("deltaview.view.rows").tags("database", database, "view", "public.item_totals")
            .gauge();
        return g != null && g.value() == tableRows ? null : "gauge " + (g == null ? "absent" : g.value());
      });
      FunctionCounter changes = registry.find("deltaview.view.changes.applied").tag("view", "public.item_totals")
          .functionCounter();
      assertTrue(changes.count() > 0, "changes applied " + changes.count());
      await("a staleness below 5 s", WAIT, () -> {
        TimeGauge t = registry.find("deltaview.view.staleness").tag("view", "public.item_totals").timeGauge();
        double s = t == null ? Double.NaN : t.value(TimeUnit.SECONDS);
        return s >= 0 && s < 5 ? null : "staleness " + s;
      });

      assertEquals(rows(plain, QUERY + " ORDER BY kind"), rows(dv, QUERY + " ORDER BY kind"));
      assertEquals(rows(plain, QUERY + " ORDER BY kind"), rows(dv, "/*+ incremental(consistency=strong) */ " + QUERY
          + " ORDER BY kind"));
      exec(dv, "UPDATE items SET qty = qty + 1 WHERE id = 1");
      FunctionCounter served = registry.find("deltaview.queries.served").tag("database", database)
          .functionCounter();
      assertTrue(served != null && served.count() >= 2, "served " + (served == null ? "absent" : served.count()));
      assertTrue(registry.find("deltaview.queries.passed").tags("database", database, "reason", "not_a_query")
          .functionCounter().count() >= 1);
      assertTrue(registry.find("deltaview.strong.waits").tag("database", database).functionCounter().count() >= 1);
      assertTrue(registry.find("deltaview.view.queries.served").tag("view", "public.item_totals").functionCounter()
          .count() >= 2);

      exec(dv, "DROP INCREMENTAL VIEW item_totals");
      await("the dropped view's meters to leave the registry", WAIT, () -> registry.find("deltaview.view.rows")
          .tag("view", "public.item_totals").gauge() == null ? null : "still there");
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }
}
