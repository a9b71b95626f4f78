package io.deltaview.it.driver;

import io.deltaview.it.DeltaviewDatabase;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.engine.EngineRegistry;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code deltaview.consistency=strong}: a write committed on another connection is visible to the very next
 * query through the driver — served from the view while the engine keeps up, from the base tables when it
 * cannot within {@code deltaview.strongTimeoutMs}; never stale.
 */
class StrongConsistencyTest {

  static final String VIEW = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status";
  static final String QUERY = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders"
      + " WHERE status = 'strong' GROUP BY status";

  @Test
  void everyReadSeesTheWriteCommittedJustBeforeAndIsServedFromTheView() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("strong").withShop(1);
    try (Connection dv = db.deltaview(DeltaviewOptions.CONSISTENCY, "strong",
             DeltaviewOptions.STRONG_TIMEOUT_MS, "30000");
         Connection writer = db.plain();
         PreparedStatement insert = writer.prepareStatement(
             "INSERT INTO orders VALUES (?, 1, now()::timestamp, 'strong', ?)")) {
      exec(dv, "CREATE INCREMENTAL VIEW status_totals AS " + VIEW);
      List<String> plan = explain(dv, QUERY);
      assertEquals("t", plan.get(0), "must be answerable from the view: " + plan);
      assertEquals("public.status_totals", plan.get(1));
      long hitsBefore = hits(dv, "public.status_totals");
      long sum = 0;
      for (int i = 1; i <= 100; i++) {
        insert.setInt(1, 1_000_000 + i);
        insert.setBigDecimal(2, BigDecimal.valueOf(i));
        insert.executeUpdate(); // autocommit: committed when this returns
        sum += i;
        List<List<String>> seen = rows(dv, QUERY);
        assertEquals(List.of(List.of("strong", Integer.toString(i), sum + ".00")), seen,
            "read number " + i + " must see the write committed just before it");
      }
      assertEquals(hitsBefore + 100, hits(dv, "public.status_totals"),
          "every one of the 100 strong reads must have been served from the view");
    }
  }

  @Test
  void whenTheEngineCannotCatchUpQueriesGoToTheBaseTablesAndAreNeverStale() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("strongfallback").withShop(2);
    try (Connection dv = db.deltaview(DeltaviewOptions.CONSISTENCY, "strong",
             DeltaviewOptions.STRONG_TIMEOUT_MS, "200");
         Connection patient = db.deltaview(DeltaviewOptions.CONSISTENCY, "strong",
             DeltaviewOptions.STRONG_TIMEOUT_MS, "30000");
         Connection writer = db.plain()) {
      exec(dv, "CREATE INCREMENTAL VIEW status_totals AS " + VIEW);
      exec(writer, "INSERT INTO orders VALUES (2000001, 1, now()::timestamp, 'strong', 5)");
      assertEquals(List.of(List.of("strong", "1", "5.00")), rows(patient, QUERY));
      assertEquals(1, hits(dv, "public.status_totals"), "served from the view while the engine runs");

      EngineRegistry.stop(db.pgUrl); // maintenance stops; the rewriter still knows the view
      for (int i = 2; i <= 6; i++) {
        exec(writer, "INSERT INTO orders VALUES (" + (2_000_000 + i) + ", 1, now()::timestamp, 'strong', 5)");
        long started = System.nanoTime();
        assertEquals(List.of(List.of("strong", Integer.toString(i), (5 * i) + ".00")), rows(dv, QUERY),
            "with the engine stopped the query must fall back to the base tables");
        long tookMs = (System.nanoTime() - started) / 1_000_000;
        assertTrue(tookMs < 5_000, "the fallback must come after about strongTimeoutMs, took " + tookMs + " ms");
      }
      assertEquals(List.of(List.of("strong", "1", "5.00")),
          rows(writer, "SELECT status, n, total FROM status_totals WHERE status = 'strong'"),
          "the result table really is stale, so the fallback was needed");
      assertEquals("t", explain(dv, QUERY).get(0), "the query still matches the view");
    }
  }

  @Test
  void insideRepeatableReadTransactionsStrongQueriesReadTheBaseTables() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("strongrr").withShop(3);
    try (Connection dv = db.deltaview(DeltaviewOptions.CONSISTENCY, "strong",
             DeltaviewOptions.STRONG_TIMEOUT_MS, "30000");
         Connection writer = db.plain()) {
      exec(dv, "CREATE INCREMENTAL VIEW status_totals AS " + VIEW);
      exec(writer, "INSERT INTO orders VALUES (3000001, 1, now()::timestamp, 'strong', 7)");
      assertEquals(List.of(List.of("strong", "1", "7.00")), rows(dv, QUERY));
      long served = hits(dv, "public.status_totals");
      dv.setTransactionIsolation(Connection.TRANSACTION_REPEATABLE_READ);
      dv.setAutoCommit(false);
      try (AutoCloseable paused = EngineRegistry.existing(db.pgUrl).pauseApplying()) {
        exec(writer, "INSERT INTO orders VALUES (3000002, 1, now()::timestamp, 'strong', 7)");
        // the transaction's snapshot is taken now: it holds the second order, the result table does not yet
        rows(dv, "SELECT 1");
      }
      assertEquals(List.of(List.of("strong", "2", "14.00")), rows(dv, QUERY),
          "a REPEATABLE READ transaction must see what its snapshot holds, as PostgreSQL would");
      dv.commit();
      dv.setAutoCommit(true);
      assertEquals(served, hits(dv, "public.status_totals"), "inside the transaction nothing was served");
      assertEquals(List.of(List.of("strong", "2", "14.00")), rows(dv, QUERY));
      assertEquals(served + 1, hits(dv, "public.status_totals"), "outside a transaction it is served again");
    }
  }
}
