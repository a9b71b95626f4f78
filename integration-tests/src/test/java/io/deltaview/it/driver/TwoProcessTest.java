package io.deltaview.it.driver;

import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.EngineChild;
import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.driver.metrics.RouteStats;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Several JVMs on one database: exactly one maintains (the holder of the maintainer lock), the others only
 * rewrite, follow views created and dropped elsewhere, and take over maintenance when the maintainer dies.
 */
class TwoProcessTest {

  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("tp_status", "SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status");
    VIEWS.put("tp_regions", "SELECT c.region, count(*) AS n, sum(o.amount) AS s FROM orders o JOIN customers c"
        + " ON o.customer_id = c.id GROUP BY c.region");
  }

  @Test
  void whenTheMaintainerDiesThisJvmTakesOverAndTheViewsAreExactAgain() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("takeover").withShop(8);
    ShopWorkload workload = new ShopWorkload(88);
    try (Connection writer = db.plain()) {
      workload.attach(writer, 10_000_000);
      EngineChild maintainer = new EngineChild(db);
      try (Connection dv = db.deltaview(); Connection strong = db.deltaview(DeltaviewOptions.CONSISTENCY, "strong",
          DeltaviewOptions.STRONG_TIMEOUT_MS, "30000")) {
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          maintainer.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
        }
        assertNull(EngineRegistry.existing(db.pgUrl), "the child holds the lock: this JVM only rewrites");
        // DDL here is carried out by the child, as this connection's role; it returns once done there.
        exec(dv, "CREATE INCREMENTAL VIEW tp_other AS SELECT id, amount FROM orders WHERE amount > 5");
        assertNull(DeltaviewDatabase.difference(writer, "tp_other",
            "SELECT id, amount FROM orders WHERE amount > 5"), "created by the child, loaded before it returned");
        SQLException refused = assertThrows(SQLException.class,
            () -> exec(dv, "CREATE INCREMENTAL VIEW tp_bad AS SELECT id FROM orders_missing"));
        assertEquals("42P01", refused.getSQLState(), "the child's refusal, reported here: " + refused.getMessage());
        exec(dv, "DROP INCREMENTAL VIEW tp_other");
        assertEquals(0L, DeltaviewDatabase.scalarLong(writer, "SELECT count(*) FROM pg_class WHERE relname IN"
            + " ('tp_other', 'tp_bad')"), "no result table left");
        awaitRewritten(dv, "this JVM to see the child's views as ready");
        for (int t = 0; t < 30; t++) {
          workload.randomTransaction(writer, 4);
        }
        assertExact(db, "while the child maintains");
        assertServedLikePlain(db, dv, "while the child maintains");

        maintainer.kill();
        for (int t = 0; t < 30; t++) {
          workload.randomTransaction(writer, 4);
          // Strong reads stay correct throughout the failover: base tables until this JVM maintains.
          String q = VIEWS.get("tp_regions") + " ORDER BY 1";
          assertEquals(rows(writer, q), rows(strong, q), "strong read during failover, after transaction " + t);
        }
        await("this JVM to take over maintenance", Duration.ofSeconds(30),
            () -> EngineRegistry.existing(db.pgUrl) != null ? null : "no engine in this JVM yet");
        assertExact(db, "after the takeover");
        for (int t = 0; t < 20; t++) {
          workload.randomTransaction(writer, 4);
        }
        assertExact(db, "after the takeover and more changes");
        awaitRewritten(dv, "the views to be served by this JVM's engine");
        long h0 = hits(strong, "public.tp_status");
        String q = VIEWS.get("tp_status") + " ORDER BY 1";
        assertEquals(rows(writer, q), rows(strong, q));
        assertEquals(h0 + 1, hits(strong, "public.tp_status"), "served from the view by the new maintainer");
        for (String name : VIEWS.keySet()) {
          exec(dv, "DROP INCREMENTAL VIEW " + name); // only a maintainer can
        }
      } finally {
        maintainer.close();
      }
    }
  }

  @Test
  void engineNoneFollowsViewsCreatedAndDroppedElsewhere() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("enginenone").withShop(9);
    String view = VIEWS.get("tp_status");
    String query = view + " ORDER BY status";
    try (EngineChild maintainer = new EngineChild(db); Connection none = db.deltaview(DeltaviewOptions.ENGINE, "none");
         Connection plain = db.plain()) {
      assertEquals("f", explain(none, view).get(0), "no view yet");
      maintainer.execute("CREATE INCREMENTAL VIEW tp_status AS " + view);
      await("the engine=none connection to use the new view", Duration.ofSeconds(10), () -> {
        List<String> plan = explain(none, view);
        return plan.get(0).equals("t") && "public.tp_status".equals(plan.get(1)) ? null : "plan " + plan;
      });
      assertEquals(rows(plain, query), rows(none, query));
      List<List<String>> shown = rows(none, "SHOW INCREMENTAL VIEWS");
      assertEquals(1, shown.size());
      assertEquals(List.of("public.tp_status", "ready"), shown.get(0).subList(0, 2));
      // Row counts are the maintaining process's, kept in memory; another process does not scan for them.
      assertNull(shown.get(0).get(3), "row_count outside the maintaining process");

      try (java.sql.PreparedStatement prepared = none.prepareStatement(query)) {
        assertEquals(rows(plain, query), rows(prepared.executeQuery()), "prepared, served from the view");
        maintainer.execute("DROP INCREMENTAL VIEW tp_status");
        // This JVM may not have noticed the drop yet: a rewrite that finds its table gone runs the original SQL.
        assertEquals(rows(plain, query), rows(none, query), "right after the view was dropped elsewhere");
        assertEquals(rows(plain, query), rows(prepared.executeQuery()), "prepared, after the drop");
      }
      await("the engine=none connection to forget the dropped view", Duration.ofSeconds(10), () -> {
        List<String> plan = explain(none, view);
        return plan.get(0).equals("f") ? null : "plan " + plan;
      });
      assertEquals(rows(plain, query), rows(none, query), "the query reads the base tables again");

      maintainer.execute("CREATE INCREMENTAL VIEW tp_status AS " + view);
      await("the engine=none connection to use the re-created view", Duration.ofSeconds(10),
          () -> explain(none, view).get(0).equals("t") ? null : "not rewritten");
      maintainer.kill();
      await("the engine=none connection to stop serving views nobody maintains", Duration.ofSeconds(15), () -> {
        List<String> plan = explain(none, view);
        return plan.get(0).equals("f") ? null : "still rewritten: " + plan;
      });
      exec(plain, "INSERT INTO orders VALUES (5000001, 1, now()::timestamp, 'after_death', 1)");
      assertEquals(rows(plain, query), rows(none, query), "no stale answers from an unmaintained view");
      assertTrue(rows(none, query).stream().anyMatch(r -> r.get(0).equals("after_death")));
    }
  }

  @Test
  void engineNoneReadsSeveralViewsInOneStatementOnceTheCatalogSaysTheyReflectOneState() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("enginenonetwo").withShop(11);
    String paid = "SELECT id, customer_id, amount FROM orders WHERE status = 'paid'";
    String shipped = "SELECT id, customer_id, amount FROM orders WHERE status = 'shipped'";
    String query = paid + " UNION ALL " + shipped;
    try (EngineChild maintainer = new EngineChild(db); Connection none = db.deltaview(DeltaviewOptions.ENGINE, "none");
         Connection plain = db.plain();
         java.sql.Statement statement = none.createStatement()) {
      maintainer.execute("CREATE INCREMENTAL VIEW tp_paid AS " + paid);
      maintainer.execute("CREATE INCREMENTAL VIEW tp_shipped AS " + shipped);
      io.deltaview.driver.DeltaviewStatement routed = statement.unwrap(io.deltaview.driver.DeltaviewStatement.class);
      // Ready views become readable together once the applied position recorded with the result tables has
      // reached the position each was loaded at: a change to orders moves it.
      exec(plain, "UPDATE orders SET amount = amount + 1 WHERE id = (SELECT min(id) FROM orders)");
      await("the engine=none connection to read both views in one statement", Duration.ofSeconds(20), () -> {
        try (java.sql.ResultSet rs = statement.executeQuery(query)) {
          rows(rs);
        }
        return "public.tp_paid, public.tp_shipped".equals(routed.servedBy()) ? null
            : "served by " + routed.servedBy() + ", passed through: " + routed.passReason();
      });
      for (int round = 0; round < 3; round++) {
        exec(plain, "UPDATE orders SET status = CASE status WHEN 'paid' THEN 'shipped' WHEN 'shipped' THEN 'new'"
            + " ELSE 'paid' END WHERE id % 7 = " + round);
        await("the views to reflect round " + round, Duration.ofSeconds(20), () -> {
          List<List<String>> want = sorted(rows(plain, query));
          List<List<String>> got;
          try (java.sql.ResultSet rs = statement.executeQuery(query)) {
            got = sorted(rows(rs));
          }
          return want.equals(got) ? null : "not yet equal (served by " + routed.servedBy() + ")";
        });
      }
    }
  }

  private static List<List<String>> sorted(List<List<String>> rows) {
    List<List<String>> out = new java.util.ArrayList<>(rows);
    out.sort(java.util.Comparator.comparing(Object::toString));
    return out;
  }

  @Test
  void whereAnotherProcessMaintainsBoundedReadsAndReadsAfterOwnWritesGoToTheBaseTables() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("enginenonefresh").withShop(10);
    String view = VIEWS.get("tp_status");
    String query = view + " ORDER BY status";
    try (EngineChild maintainer = new EngineChild(db); Connection none = db.deltaview(DeltaviewOptions.ENGINE, "none");
         Connection ryw = db.deltaview(DeltaviewOptions.ENGINE, "none", DeltaviewOptions.CONSISTENCY,
             "read-your-writes");
         Connection plain = db.plain()) {
      maintainer.execute("CREATE INCREMENTAL VIEW tp_status AS " + view);
      await("the engine=none connections to use the view", Duration.ofSeconds(10),
          () -> explain(none, view).get(0).equals("t") && explain(ryw, view).get(0).equals("t") ? null
              : "not rewritten");
      RouteStats stats = RouteStats.all().get(EngineRegistry.key(db.pgUrl));

      String bounded = "/*+ incremental(consistency=bounded(3600000)) */ " + query;
      long unknown = stats.passedThroughCount(RouteStats.PassThrough.STALENESS_UNKNOWN);
      assertEquals(rows(plain, query), rows(none, bounded));
      assertEquals(unknown + 1, stats.passedThroughCount(RouteStats.PassThrough.STALENESS_UNKNOWN),
          "only the maintainer knows how stale the views are: even a loose bound is not taken for met");
      List<String> plan = explain(none, bounded);
      assertEquals("f", plan.get(0), "EXPLAIN: " + plan);
      assertTrue(plan.get(3).contains("not known"), plan.get(3));

      long served = stats.servedCount();
      assertEquals(rows(plain, query), rows(ryw, query));
      assertEquals(served + 1, stats.servedCount(), "read-your-writes with nothing written: served");
      exec(ryw, "INSERT INTO customers VALUES (9000001, 'north', 'fresh', 1)");
      long notApplied = stats.passedThroughCount(RouteStats.PassThrough.WRITE_NOT_APPLIED);
      assertEquals(rows(plain, query), rows(ryw, query));
      assertEquals(notApplied + 1, stats.passedThroughCount(RouteStats.PassThrough.WRITE_NOT_APPLIED),
          "after a write, nothing in this process can tell when the maintainer has applied it");
      assertEquals(served + 1, stats.servedCount());
    }
  }

  /** Views appear in another JVM's rewriter within about a second: wait until every view is used. */
  private static void awaitRewritten(Connection dv, String what) throws Exception {
    await(what, Duration.ofSeconds(30), () -> {
      for (String query : VIEWS.values()) {
        List<String> plan = explain(dv, query);
        if (!plan.get(0).equals("t")) {
          return "not rewritten: " + plan;
        }
      }
      return null;
    });
  }

  private static void assertExact(DeltaviewDatabase db, String when) throws Exception {
    for (Map.Entry<String, String> v : VIEWS.entrySet()) {
      await(v.getKey() + " exact " + when, Duration.ofSeconds(60), () -> {
        try (Connection c = db.plain()) {
          List<List<String>> table = rows(c, "SELECT * FROM " + v.getKey() + " ORDER BY 1");
          List<List<String>> query = rows(c, v.getValue() + " ORDER BY 1");
          return table.equals(query) ? null : "result table " + table + " vs query " + query;
        }
      });
    }
  }

  private static void assertServedLikePlain(DeltaviewDatabase db, Connection dv, String when) throws Exception {
    try (Connection plain = db.plain()) {
      for (String query : VIEWS.values()) {
        List<String> plan = explain(dv, query);
        assertEquals("t", plan.get(0), query + ": " + plan);
        assertEquals(rows(plain, query + " ORDER BY 1"), rows(dv, query + " ORDER BY 1"), when + ": " + query);
      }
    }
  }
}
