package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * CREATE INCREMENTAL VIEW locks its base tables; a writer holding one of them and then asking for another
 * that CREATE already holds makes a deadlock. Whichever side PostgreSQL aborts, CREATE must end with a ready,
 * exact view (it retries its registration when it is the victim).
 */
class CreateDeadlockTest {

  static final String VIEW = "SELECT c.region, count(*) AS n FROM orders o JOIN customers c ON o.customer_id = c.id"
      + " GROUP BY c.region";

  @Test
  void createSurvivesADeadlockWithAWriter() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("createdeadlock").withShop(5);
    AtomicReference<Throwable> createFailure = new AtomicReference<>();
    try (Connection writer = db.plain(); Connection observer = db.plain()) {
      writer.setAutoCommit(false);
      exec(writer, "UPDATE customers SET name = name WHERE id = 1");
      Thread creator = new Thread(() -> {
        try (Connection dv = db.deltaview()) {
          exec(dv, "CREATE INCREMENTAL VIEW regions AS " + VIEW);
        } catch (Throwable e) {
          createFailure.set(e);
        }
      }, "creator");
      creator.start();
      // CREATE holds orders and waits for customers, which the writer holds.
      DeltaviewDatabase.await("CREATE to hold orders and wait for customers", Duration.ofSeconds(30), () ->
          scalarLong(observer, "SELECT count(*) FROM pg_locks w JOIN pg_locks h ON h.pid = w.pid"
              + " WHERE w.relation = 'customers'::regclass AND NOT w.granted AND w.mode = 'AccessExclusiveLock'"
              + " AND h.relation = 'orders'::regclass AND h.granted AND h.mode = 'AccessExclusiveLock'") == 1
              ? null : "not yet (locks are taken in the order orders, customers)");
      try {
        exec(writer, "UPDATE orders SET status = status WHERE id = 1"); // closes the cycle
        writer.commit();
      } catch (SQLException e) {
        if (!"40P01".equals(e.getSQLState())) {
          throw e;
        }
        writer.rollback(); // PostgreSQL chose the writer as the victim
      }
      creator.join(60_000);
      if (createFailure.get() != null) {
        throw new AssertionError("CREATE INCREMENTAL VIEW failed", createFailure.get());
      }
      assertNull(DeltaviewDatabase.difference(observer, "regions", VIEW));
      try (Connection dv = db.deltaview()) {
        exec(dv, "DROP INCREMENTAL VIEW regions");
      }
    }
  }
}
