package io.deltaview.it.agent;

import io.deltaview.it.app.ShopApp;
import io.deltaview.it.app.ShopReports;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.locks.LockSupport;
import org.jooq.SQLDialect;
import org.jooq.impl.DSL;
import org.junit.jupiter.api.Test;

/**
 * The agent on a real application: {@link ShopApp} (HikariCP with a plain {@code jdbc:postgresql:} URL, jOOQ)
 * runs in a child JVM with {@code -javaagent:deltaview-agent.jar=deltaview.mode=opt-in,...}. Its
 * {@code @Incremental} report is served from the view it registered and returns exactly what the same jOOQ
 * code returns on plain pgjdbc in this JVM, before and after random writes; the same query from unmarked code
 * is not served.
 */
class ShopAppAgentTest {

  static final String VIEW = "public.revenue_by_region_month";

  @Test
  void markedReportIsServedFromItsViewAndEqualsPostgresBeforeAndAfterWrites() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("shopapp").withShop(21);
    try (AppChild app = new AppChild("deltaview.mode=opt-in,deltaview.consistency=strong,"
            + "deltaview.strongTimeoutMs=60000,deltaview.autoCreate=false", ShopApp.class,
            db.pgUrl, db.server.user(), db.server.password());
         Connection plain = db.plain()) {
      ShopReports direct = new ShopReports(DSL.using(plain, SQLDialect.POSTGRES));
      app.send("migrate");
      assertEquals("ready", view(app).get(1), "the registered view is ready once migrate returns");

      long hits = hits(app);
      assertEquals(csv(direct, null), app.send("report"));
      assertEquals(hits + 1, hits(app), "the @Incremental report was served from the view");
      assertEquals(csv(direct, "north"), app.send("report north"));
      assertEquals(hits + 2, hits(app), "with a bind value on a group key too");
      assertEquals(csv(direct, null), app.send("report-unmarked"));
      assertEquals(hits + 2, hits(app), "the same query from unmarked code is not served (opt-in)");

      ShopWorkload writes = new ShopWorkload(22);
      writes.attach(plain, 5_000_000);
      for (int round = 1; round <= 5; round++) {
        for (int t = 0; t < 10; t++) {
          writes.randomTransaction(plain, 4);
        }
        assertEquals(csv(direct, null), app.send("report"), "after write round " + round);
        assertEquals(csv(direct, ShopWorkload.REGIONS[round % ShopWorkload.REGIONS.length]),
            app.send("report " + ShopWorkload.REGIONS[round % ShopWorkload.REGIONS.length]));
      }
      assertEquals(hits + 12, hits(app), "every marked report was served (strong consistency kept up)");
    }
  }

  @Test
  void aMarkedQueryNoViewAnswersGetsAnAutomaticViewServingEveryRegion() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("shopauto").withShop(23);
    try (AppChild app = new AppChild("deltaview.mode=opt-in,deltaview.consistency=strong,"
            + "deltaview.strongTimeoutMs=60000", ShopApp.class, db.pgUrl, db.server.user(), db.server.password());
         Connection plain = db.plain()) {
      ShopReports direct = new ShopReports(DSL.using(plain, SQLDialect.POSTGRES));
      assertEquals(customers(direct, "north"), app.send("customers north"), "passes through while no view exists");
      // Ready in SHOW INCREMENTAL VIEWS comes a moment before the rewriter serves from it: wait until it does.
      long deadline = System.nanoTime() + 120_000_000_000L;
      List<String> auto = null;
      long before = -1;
      while (true) {
        auto = autoView(app);
        if (auto != null) {
          long hitsBefore = hits(app, auto.get(0));
          assertEquals(customers(direct, "north"), app.send("customers north"));
          before = hits(app, auto.get(0));
          if (before > hitsBefore) {
            break;
          }
        }
        assertTrue(System.nanoTime() < deadline, "no automatic view served the query within 120 s: " + auto);
        LockSupport.parkNanos(50_000_000L); // between polls of a condition, not a synchronisation
      }
      assertEquals("auto", auto.get(3));
      assertTrue(auto.get(0).startsWith("deltaview.auto_"), auto.toString());
      ShopWorkload writes = new ShopWorkload(24);
      writes.attach(plain, 6_000_000);
      for (String region : ShopWorkload.REGIONS) {
        writes.randomTransaction(plain, 4);
        assertEquals(customers(direct, region), app.send("customers " + region), "region " + region);
      }
      assertEquals(before + ShopWorkload.REGIONS.length, hits(app, auto.get(0)),
          "every region, other parameter values included, is served from the one automatic view");
    }
  }

  private static List<String> customers(ShopReports reports, String region) {
    return List.of(reports.customerTotalsUnmarked(region).formatCSV().split("\n"));
  }

  /** The first origin=auto row of SHOW INCREMENTAL VIEWS as the app prints it, or null. */
  private static List<String> autoView(AppChild app) throws Exception {
    for (String line : app.send("views")) {
      List<String> cols = List.of(line.split(",", -1));
      if (cols.get(3).equals("auto")) {
        return cols;
      }
    }
    return null;
  }

  private static List<String> csv(ShopReports reports, String region) {
    return List.of(reports.revenueByRegionMonthUnmarked(region).formatCSV().split("\n"));
  }

  /** A view's SHOW INCREMENTAL VIEWS row as the app prints it: name, status, hits, origin. */
  private static List<String> view(AppChild app, String name) throws Exception {
    for (String line : app.send("views")) {
      List<String> cols = List.of(line.split(",", -1));
      if (cols.get(0).equals(name)) {
        return new ArrayList<>(cols.subList(0, 4));
      }
    }
    throw new AssertionError("the application sees no " + name);
  }

  private static List<String> view(AppChild app) throws Exception {
    return view(app, VIEW);
  }

  private static long hits(AppChild app, String name) throws Exception {
    String h = view(app, name).get(2);
    return h == null || h.equals("null") ? 0 : Long.parseLong(h);
  }

  private static long hits(AppChild app) throws Exception {
    return hits(app, VIEW);
  }
}
