package io.deltaview.it.driver;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.Consistency;
import io.deltaview.Deltaview;
import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.it.DeltaviewDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code deltaview.mode=opt-in} through the URL prefix: only queries marked by a hint or an open
 * {@link Deltaview#optIn()} scope on the executing thread are served from views; everything else passes
 * through. A mark may also choose the query's consistency.
 */
class OptInTest {

  static final String VIEW_NAME = "public.status_totals";
  static final String VIEW = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status";
  static final String QUERY = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders"
      + " WHERE status = 'paid' GROUP BY status";

  static DeltaviewDatabase db;

  @BeforeAll
  static void createView() throws SQLException {
    db = new DeltaviewDatabase("optin").withShop(11);
    try (Connection dv = db.deltaview()) {
      exec(dv, "CREATE INCREMENTAL VIEW status_totals AS " + VIEW);
    }
  }

  @AfterEach
  void noScopeLeft() {
    assertEquals(null, Deltaview.currentOptIn(), "a test left an opt-in scope open");
  }

  private static Connection optIn() throws SQLException {
    return db.deltaview(DeltaviewOptions.MODE, "opt-in", DeltaviewOptions.AUTO_CREATE, "false");
  }

  /** Runs {@code sql} on {@code dv}, checks its rows against plain pgjdbc's, and says whether a view served it. */
  private static boolean served(Connection dv, String sql) throws SQLException {
    long before = hits(dv, VIEW_NAME);
    List<List<String>> got = rows(dv, sql);
    long after = hits(dv, VIEW_NAME);
    try (Connection plain = db.plain()) {
      assertEquals(rows(plain, sql), got, "rows of " + sql);
    }
    return after > before;
  }

  @Test
  void unmarkedQueriesPassThroughAndHintedOnesAreServed() throws SQLException {
    try (Connection dv = optIn()) {
      assertTrue(!served(dv, QUERY), "unmarked query must not be served in opt-in mode");
      List<String> plan = explain(dv, QUERY);
      assertEquals("f", plan.get(0));
      assertTrue(plan.get(3).contains("opt-in"), plan.toString());

      String hintedFirst = "/*+ incremental */ " + QUERY;
      String hintedAfterSelect = QUERY.replaceFirst("SELECT", "SELECT /*+ incremental */");
      assertTrue(served(dv, hintedFirst));
      assertTrue(served(dv, hintedAfterSelect));
      assertEquals("t", explain(dv, hintedFirst).get(0));
      assertEquals(VIEW_NAME, explain(dv, hintedAfterSelect).get(1));

      try (PreparedStatement ps = dv.prepareStatement("/*+ incremental */ SELECT status, count(*) AS n FROM orders"
          + " WHERE status = ? GROUP BY status")) {
        long before = hits(dv, VIEW_NAME);
        ps.setString(1, "paid");
        assertEquals(rows(db.plain(), QUERY).get(0).subList(0, 2), DeltaviewDatabase.rows(ps.executeQuery()).get(0));
        assertEquals(before + 1, hits(dv, VIEW_NAME), "a hinted prepared statement is served");
      }
    }
  }

  @Test
  void aScopeMarksOnlyItsThreadAndOnlyWhileOpen() throws Exception {
    try (Connection dv = optIn(); Connection other = optIn()) {
      try (Deltaview.Scope scope = Deltaview.optIn()) {
        assertTrue(served(dv, QUERY), "inside the scope");
        assertEquals("t", explain(dv, QUERY).get(0));
        boolean otherThreadServed = CompletableFuture.supplyAsync(() -> {
          try {
            return served(other, QUERY);
          } catch (SQLException e) {
            throw new IllegalStateException(e);
          }
        }).get();
        assertTrue(!otherThreadServed, "another thread's queries are not marked by this thread's scope");
      }
      assertTrue(!served(dv, QUERY), "after the scope closed");

      assertThrows(IllegalStateException.class, () -> {
        try (Deltaview.Scope scope = Deltaview.optIn()) {
          assertTrue(served(dv, QUERY));
          throw new IllegalStateException("the application fails inside the scope");
        }
      });
      assertTrue(!served(dv, QUERY), "an exception inside must not leave the scope open");
    }
  }

  @Test
  void aMarkChoosesStrongConsistencyForItsQueriesOnly() throws Exception {
    String strongHinted = "/*+ incremental(consistency=strong) */ SELECT status, count(*) AS n, sum(amount) AS"
        + " total FROM orders WHERE status = 'optin-strong' GROUP BY status";
    try (Connection dv = db.deltaview(DeltaviewOptions.MODE, "opt-in", DeltaviewOptions.AUTO_CREATE, "false",
             DeltaviewOptions.STRONG_TIMEOUT_MS, "30000");
         Connection writer = db.plain();
         PreparedStatement insert = writer.prepareStatement(
             "INSERT INTO orders VALUES (?, 1, now()::timestamp, 'optin-strong', ?)")) {
      long before = hits(dv, VIEW_NAME);
      long sum = 0;
      for (int i = 1; i <= 20; i++) {
        insert.setInt(1, 3_000_000 + i);
        insert.setBigDecimal(2, BigDecimal.valueOf(i));
        insert.executeUpdate();
        sum += i;
        List<List<String>> expected = List.of(List.of("optin-strong", Integer.toString(i), sum + ".00"));
        if (i % 2 == 0) {
          assertEquals(expected, rows(dv, strongHinted), "hinted strong read " + i + " sees the write before it");
        } else {
          try (Deltaview.Scope scope = Deltaview.optIn(Consistency.STRONG)) {
            assertEquals(expected, rows(dv, strongHinted.substring(strongHinted.indexOf("*/") + 2)),
                "strong scope read " + i + " sees the write before it");
          }
        }
      }
      assertEquals(before + 20, hits(dv, VIEW_NAME), "every strong read was served from the view");
    }
  }
}
