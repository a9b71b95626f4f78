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
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code deltaview.consistency=read-your-writes}: a connection's next query sees what it has just committed,
 * served from the view once the engine has applied it; a connection that wrote nothing (or rolled its writes
 * back) is served at once, as with eventual; a transaction that has written reads the base tables.
 */
class ReadYourWritesTest {

  static final String VIEW = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status";
  static final String QUERY = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders"
      + " WHERE status = 'ryw' GROUP BY status";
  static final String INSERT = "INSERT INTO orders VALUES (?, 1, now()::timestamp, 'ryw', ?)";

  @Test
  void everyReadSeesTheWriteTheConnectionCommittedJustBeforeAndIsServedFromTheView() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("ryw").withShop(6);
    try (Connection dv = db.deltaview(DeltaviewOptions.CONSISTENCY, "read-your-writes",
             DeltaviewOptions.STRONG_TIMEOUT_MS, "30000");
         PreparedStatement insert = dv.prepareStatement(INSERT)) {
      exec(dv, "CREATE INCREMENTAL VIEW status_totals AS " + VIEW);
      assertEquals("t", explain(dv, QUERY).get(0), "must be answerable from the view");
      long hitsBefore = hits(dv, "public.status_totals");
      long sum = 0;
      for (int i = 1; i <= 90; i++) {
        switch (i % 3) {
          case 0 -> { // autocommit
            insert.setInt(1, 6_000_000 + i);
            insert.setBigDecimal(2, BigDecimal.valueOf(i));
            insert.executeUpdate();
          }
          case 1 -> { // an explicit transaction, committed through JDBC; the read runs in the next one
            dv.setAutoCommit(false);
            insert.setInt(1, 6_000_000 + i);
            insert.setBigDecimal(2, BigDecimal.valueOf(i));
            insert.executeUpdate();
            dv.commit();
          }
          default -> // a script with its own transaction block
              exec(dv, "BEGIN; INSERT INTO orders VALUES (" + (6_000_000 + i) + ", 1, now()::timestamp, 'ryw', "
                  + i + "); COMMIT");
        }
        sum += i;
        List<List<String>> seen = rows(dv, QUERY);
        if (!dv.getAutoCommit()) {
          dv.commit();
          dv.setAutoCommit(true);
        }
        assertEquals(List.of(List.of("ryw", Integer.toString(i), sum + ".00")), seen,
            "read number " + i + " must see the write this connection committed just before it");
      }
      assertEquals(hitsBefore + 90, hits(dv, "public.status_totals"),
          "every one of the 90 reads must have been served from the view");
    }
  }

  @Test
  void aConnectionThatWroteNothingIsServedWithoutWaiting() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("rywnowrite").withShop(7);
    try (Connection dv = db.deltaview(DeltaviewOptions.CONSISTENCY, "read-your-writes",
             DeltaviewOptions.STRONG_TIMEOUT_MS, "60000");
         Connection writer = db.plain()) {
      exec(dv, "CREATE INCREMENTAL VIEW status_totals AS " + VIEW);
      long hits = hits(dv, "public.status_totals");
      try (AutoCloseable paused = EngineRegistry.existing(db.pgUrl).pauseApplying()) {
        exec(writer, "INSERT INTO orders VALUES (7000001, 1, now()::timestamp, 'ryw', 5)");
        // Waiting would take the whole minute and then read the base tables, which hold the other's order.
        assertEquals(List.of(), rows(dv, QUERY), "served what the view holds: another connection's write is not"
            + " this connection's");
        assertEquals(hits + 1, hits(dv, "public.status_totals"));
      }
    }
  }

  @Test
  void rolledBackWritesOweNothingAndACommittedOneTheEngineHasNotAppliedPassesThrough() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("rywrollback").withShop(8);
    try (Connection dv = db.deltaview(DeltaviewOptions.CONSISTENCY, "read-your-writes",
             DeltaviewOptions.STRONG_TIMEOUT_MS, "300");
         Connection writer = db.plain()) {
      exec(dv, "CREATE INCREMENTAL VIEW status_totals AS " + VIEW);
      RouteStats stats = RouteStats.all().get(EngineRegistry.key(db.pgUrl));
      long hits = hits(dv, "public.status_totals");
      try (AutoCloseable paused = EngineRegistry.existing(db.pgUrl).pauseApplying()) {
        dv.setAutoCommit(false);
        exec(dv, "INSERT INTO orders VALUES (8000001, 1, now()::timestamp, 'ryw', 5)");
        dv.rollback();
        dv.setAutoCommit(true);
        exec(dv, "BEGIN; INSERT INTO orders VALUES (8000002, 1, now()::timestamp, 'ryw', 5); ROLLBACK");
        exec(dv, "BEGIN");
        exec(dv, "INSERT INTO orders VALUES (8000003, 1, now()::timestamp, 'ryw', 5)");
        exec(dv, "ABORT");
        assertEquals(List.of(), rows(dv, QUERY));
        assertEquals(hits + 1, hits(dv, "public.status_totals"), "rolled back: served at once, with no wait");

        // A transaction that has written, whatever it wrote, reads the base tables.
        dv.setAutoCommit(false);
        exec(dv, "INSERT INTO customers VALUES (8000001, 'north', 'ryw', 1)");
        long wrote = stats.passedThroughCount(RouteStats.PassThrough.TRANSACTION_WROTE);
        assertEquals(List.of(), rows(dv, QUERY));
        assertEquals(wrote + 1, stats.passedThroughCount(RouteStats.PassThrough.TRANSACTION_WROTE));
        List<String> plan = explain(dv, QUERY);
        assertEquals("f", plan.get(0), "EXPLAIN: " + plan);
        assertTrue(plan.get(3).contains("read-your-writes"), plan.get(3));
        dv.rollback();
        dv.setAutoCommit(true);
        assertEquals(hits + 1, hits(dv, "public.status_totals"));

        // A committed write the held-back engine cannot apply within the timeout: the base tables answer.
        exec(dv, "INSERT INTO orders VALUES (8000004, 1, now()::timestamp, 'ryw', 5)");
        long notApplied = stats.passedThroughCount(RouteStats.PassThrough.WRITE_NOT_APPLIED);
        assertEquals(List.of(List.of("ryw", "1", "5.00")), rows(dv, QUERY), "the connection sees its own write");
        assertEquals(notApplied + 1, stats.passedThroughCount(RouteStats.PassThrough.WRITE_NOT_APPLIED));
        assertEquals(hits + 1, hits(dv, "public.status_totals"));
        assertEquals(List.of(), rows(writer, "SELECT * FROM status_totals WHERE status = 'ryw'"),
            "the result table really lacks it, so passing through was needed");
      }
      await("served again once the engine has applied the write", Duration.ofSeconds(30), () -> {
        long before = hits(dv, "public.status_totals");
        List<List<String>> seen = rows(dv, QUERY);
        assertEquals(List.of(List.of("ryw", "1", "5.00")), seen, "never without its own write");
        long served = hits(dv, "public.status_totals") - before;
        return served == 1 ? null : "not served";
      });
    }
  }
}
