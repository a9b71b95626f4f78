package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.driver.metrics.RouteStats;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Views another engine than the embedded one maintains ({@code WITH (engine = '…')}), through the engine's seam
 * for them, with the test backend {@link RecordingBackend} (which fills a result table once and never maintains it,
 * so an answer served from it can be told from PostgreSQL's): the engine records them, every process lists and
 * explains them, asks the maintaining process to create and drop them, and serves them to eventual reads only.
 */
class OtherBackendViewsTest {

  static final String VIEW = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status";
  static final String QUERY = VIEW + " ORDER BY status";

  @Test
  void everyProcessListsServesAndDropsThemAndFreshReadsPassThrough() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("otherbackend").withShop(31);
    String writer = "otherbackend_writer";
    try (Connection setup = db.plain()) {
      // what default privileges would grant on the catalog's tables when the engine creates them
      exec(setup, "DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '" + writer + "') THEN"
          + " CREATE ROLE " + writer + "; END IF; END $$");
      exec(setup, "ALTER DEFAULT PRIVILEGES GRANT INSERT, UPDATE, DELETE ON TABLES TO " + writer);
    }
    try (Connection maintainer = db.deltaview(); Connection plain = db.plain();
         Connection none = db.deltaview(DeltaviewOptions.ENGINE, "none");
         Connection strong = db.deltaview(DeltaviewOptions.CONSISTENCY, "strong")) {
      rows(maintainer, "SHOW INCREMENTAL VIEWS"); // this JVM's engine maintains
      for (String table : List.of("backend_views", "view_catalog", "progress", "base_tables", "maintainer")) {
        assertEquals(List.of(List.of("f")), rows(plain, "SELECT has_table_privilege('" + writer + "', 'deltaview."
            + table + "', 'INSERT, UPDATE, DELETE')"), "only the engine writes deltaview." + table);
      }
      assertEquals(List.of(List.of("t")), rows(plain, "SELECT has_table_privilege('" + writer + "',"
          + " 'deltaview.backend_views', 'SELECT')"), "every role reads the record");
      exec(plain, "ALTER DEFAULT PRIVILEGES REVOKE INSERT, UPDATE, DELETE ON TABLES FROM " + writer);
      // asked for from a process that does not maintain: carried out by the maintainer, as that role
      exec(none, "CREATE INCREMENTAL VIEW rec_status WITH (engine = 'recording') AS " + VIEW);
      List<List<String>> atCreation = rows(plain, QUERY);
      assertEquals(atCreation, rows(plain, "SELECT * FROM rec_status ORDER BY status"), "filled by the backend");
      for (Connection c : List.of(maintainer, none)) {
        assertEquals(List.of("public.rec_status", "ready"), shown(c).subList(0, 2));
        assertEquals("recording", shown(c).get(2), "state_source names the backend");
        List<List<String>> explained = rows(c, "EXPLAIN INCREMENTAL VIEW rec_status");
        assertTrue(explained.get(0).get(0).startsWith("maintained by engine recording"), explained.toString());
      }
      assertEquals(List.of(List.of("public.rec_status", "ready", "recording")), rows(plain,
          "SELECT name, status, state_source FROM deltaview.views"), "deltaview.views lists it too");

      exec(plain, "UPDATE orders SET amount = amount + 1"); // the backend does not follow: its table is stale now
      assertNotEquals(atCreation, rows(plain, QUERY));
      for (Connection c : List.of(maintainer, none)) {
        await("the view to be rewritten to", Duration.ofSeconds(20),
            () -> explain(c, QUERY).get(0).equals("t") ? null : "plan " + explain(c, QUERY));
        assertEquals("public.rec_status", explain(c, QUERY).get(1));
        assertEquals(atCreation, rows(c, QUERY), "an eventual read is served from the backend's table");
      }
      long before = notProvenFresh();
      assertEquals(rows(plain, QUERY), rows(strong, QUERY), "a strong read goes to the base tables");
      assertEquals(before + 1, notProvenFresh(), "passed through as not proven fresh");

      assertEquals("42P07", assertThrows(SQLException.class,
          () -> exec(maintainer, "CREATE INCREMENTAL VIEW rec_status AS " + VIEW)).getSQLState(),
          "an embedded view may not take its name");
      exec(maintainer, "CREATE INCREMENTAL VIEW IF NOT EXISTS rec_status AS " + VIEW); // quiet, as for any view
      assertEquals(0L, scalarLong(plain, "SELECT count(*) FROM deltaview.view_catalog"));
      assertEquals("42P07", assertThrows(SQLException.class, () -> exec(none,
          "CREATE INCREMENTAL VIEW rec_status WITH (engine = 'recording') AS " + VIEW)).getSQLState());
      exec(none, "CREATE INCREMENTAL VIEW IF NOT EXISTS rec_status WITH (engine = 'recording') AS " + VIEW);
      assertEquals("0A000", assertThrows(SQLException.class, () -> exec(none,
          "CREATE INCREMENTAL VIEW rec_refused WITH (engine = 'recording') AS " + VIEW)).getSQLState(),
          "the backend's refusal, reported to the asking process");
      assertEquals(0L, scalarLong(plain, "SELECT count(*) FROM deltaview.backend_views WHERE view_name ="
          + " 'rec_refused'"), "a refused view leaves no record");
      assertEquals(0L, scalarLong(plain, "SELECT count(*) FROM pg_class WHERE relname = 'rec_refused'"));

      exec(none, "DROP INCREMENTAL VIEW rec_status");
      assertEquals(0L, scalarLong(plain, "SELECT count(*) FROM deltaview.backend_views"), "no record left");
      assertEquals(0L, scalarLong(plain, "SELECT count(*) FROM pg_class WHERE relname = 'rec_status'"));
      for (Connection c : List.of(maintainer, none)) {
        await("the dropped view to be forgotten", Duration.ofSeconds(20),
            () -> explain(c, QUERY).get(0).equals("f") ? null : "plan " + explain(c, QUERY));
        assertEquals(rows(plain, QUERY), rows(c, QUERY));
        assertEquals("42P01", assertThrows(SQLException.class,
            () -> rows(c, "EXPLAIN INCREMENTAL VIEW rec_status")).getSQLState());
      }
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  @Test
  void viewEngineChoosesTheEngineOfCreatesWithoutWithAndOfAutomaticViews() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("viewengine").withShop(32);
    String marked = "/*+ incremental */ SELECT customer_id, count(*) AS n FROM orders GROUP BY customer_id";
    try (Connection plain = db.plain();
         Connection dv = db.deltaview(DeltaviewOptions.VIEW_ENGINE, "recording")) {
      exec(dv, "CREATE INCREMENTAL VIEW rec_default AS " + VIEW);
      assertEquals(List.of(List.of("rec_default", "recording", "sql")), rows(plain,
          "SELECT view_name, backend, origin FROM deltaview.backend_views"));
      exec(dv, "CREATE INCREMENTAL VIEW emb_status WITH (engine = 'embedded') AS " + VIEW);
      assertEquals(1L, scalarLong(plain, "SELECT count(*) FROM deltaview.view_catalog WHERE view_name ="
          + " 'emb_status'"), "WITH (engine) outranks the option");
      exec(dv, "DROP INCREMENTAL VIEW emb_status");
      exec(dv, "DROP INCREMENTAL VIEW rec_default");

      List<List<String>> expected = rows(plain, marked + " ORDER BY 1");
      assertEquals(expected, rows(dv, marked + " ORDER BY 1")); // passes through, and asks for a view
      await("an automatic view on engine recording", Duration.ofSeconds(60), () -> {
        List<String> plan = explain(dv, marked);
        return plan.get(0).equals("t") ? null : "plan " + plan;
      });
      String view = explain(dv, marked).get(1);
      assertTrue(view.startsWith("deltaview.auto_"), view);
      assertEquals(List.of(List.of(view, "recording", "auto")), rows(plain, "SELECT schema_name || '.' ||"
          + " view_name, backend, origin FROM deltaview.backend_views"));
      assertEquals(expected, rows(dv, marked + " ORDER BY 1"), "served from the automatic view");
      exec(dv, "DROP INCREMENTAL VIEW " + view);
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  /** SHOW INCREMENTAL VIEWS' name, status and state_source of the only view. */
  private static List<String> shown(Connection c) throws SQLException {
    List<List<String>> shown = rows(c, "SHOW INCREMENTAL VIEWS");
    assertEquals(1, shown.size(), shown.toString());
    List<String> row = shown.get(0);
    return List.of(row.get(0), row.get(1), row.get(13));
  }

  private static long notProvenFresh() {
    return RouteStats.all().values().stream()
        .mapToLong(r -> r.passedThroughCount(RouteStats.PassThrough.NOT_PROVEN_FRESH)).sum();
  }
}
