package io.deltaview.it.engine;

import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Kills the engine's walsender ({@code pg_terminate_backend}), twice, and then its result-table connection,
 * while random transactions keep coming: the engine must notice and restart streaming by itself (a new
 * walsender), views whose state is ahead of their tables are reloaded, and every view must become exact again
 * without anything restarted by the test.
 */
class SupervisionTest {

  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("sv_revenue", "SELECT c.region, count(*) AS n, sum(l.qty * l.price) AS revenue FROM order_lines l"
        + " JOIN orders o ON l.order_id = o.id JOIN customers c ON o.customer_id = c.id GROUP BY c.region");
    VIEWS.put("sv_customer_totals", "SELECT customer_id, sum(amount) AS total, count(amount) AS priced FROM orders"
        + " GROUP BY customer_id");
    VIEWS.put("sv_big_lines", "SELECT l.id, c.name, o.status, l.qty FROM order_lines l JOIN orders o"
        + " ON l.order_id = o.id JOIN customers c ON o.customer_id = c.id WHERE l.qty > 2");
  }

  @Test
  void viewsRecoverAfterTheWalsenderIsTerminated() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("supervision");
    try (Connection c = db.plain()) {
      ShopWorkload.createSchema(c);
      new ShopWorkload(31).load(c, 50, 300, 1200, n -> { });
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger committed = new AtomicInteger();
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    try (Connection dv = db.deltaview(); Statement s = dv.createStatement(); Connection admin = db.plain()) {
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        s.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
      }
      Thread writer = new Thread(() -> {
        ShopWorkload workload = new ShopWorkload(32);
        try (Connection c = db.plain()) {
          workload.attach(c, 10_000_000);
          while (!stop.get()) {
            workload.randomTransaction(c, 4);
            committed.incrementAndGet();
          }
        } catch (Throwable e) {
          writerFailure.set(e);
        }
      }, "sv-writer");
      writer.start();
      try {
        for (int round = 1; round <= 3; round++) {
          int before = committed.get();
          DeltaviewDatabase.await("some transactions before the kill", Duration.ofSeconds(60),
              () -> committed.get() >= before + 20 ? null : committed.get() - before + " transactions");
          int killed;
          if (round < 3) {
            killed = Walsenders.terminate(admin);
          } else {
            // The other way to die: the result-table (sink) connection goes away under the maintaining loop.
            DeltaviewDatabase.await("every view ready before the sink is killed", Duration.ofSeconds(90),
                () -> allReady(s));
            Integer streaming = Walsenders.pid(admin);
            killed = streaming == null ? -1 : streaming;
            terminateEngineClients(admin);
          }
          // Streaming restarts from the slot, on a walsender of its own (with views kept, shown as ready, or
          // reloaded, shown with last_error meanwhile).
          DeltaviewDatabase.await("a new walsender", Duration.ofSeconds(90), () -> {
            Integer pid = Walsenders.pid(admin);
            return pid != null && pid != killed ? null : "walsender pid " + pid;
          });
          int after = committed.get();
          DeltaviewDatabase.await("transactions after the restart", Duration.ofSeconds(60),
              () -> committed.get() >= after + 20 ? null : committed.get() - after + " transactions");
        }
      } finally {
        stop.set(true);
        writer.join(30_000);
      }
      if (writerFailure.get() != null) {
        throw new AssertionError("writer failed", writerFailure.get());
      }
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        DeltaviewDatabase.await(v.getKey() + " exact after the walsender was terminated", Duration.ofSeconds(120),
            () -> {
              try (Connection c = db.plain()) {
                return DeltaviewDatabase.difference(c, v.getKey(), v.getValue());
              }
            });
      }
      DeltaviewDatabase.await("every view ready without last_error", Duration.ofSeconds(60), () -> allReady(s));
      for (String name : VIEWS.keySet()) {
        s.execute("DROP INCREMENTAL VIEW " + name);
      }
    }
  }



  /**
   * Terminates the engine's ordinary connections except the maintainer-lock holder (the sink among them; the
   * others are short-lived and reopened per use).
   */
  private static void terminateEngineClients(Connection admin) throws SQLException {
    try (Statement s = admin.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_terminate_backend(pid)"
        + " FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'deltaview-engine'"
        + " AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        + " AND pid NOT IN (SELECT pid FROM pg_locks WHERE locktype = 'relation' AND mode = 'ExclusiveLock'"
        + " AND relation = 'deltaview.maintainer'::regclass AND granted)")) {
      int terminated = 0;
      while (rs.next()) {
        terminated++;
      }
      if (terminated == 0) {
        throw new AssertionError("no engine connection to terminate");
      }
    }
  }

  /** Null when SHOW INCREMENTAL VIEWS has every view ready without an error, else the first that is not. */
  private static String allReady(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      while (rs.next()) {
        if (!"ready".equals(rs.getString("status")) || rs.getString("last_error") != null) {
          return rs.getString("name") + " is " + rs.getString("status") + ": " + rs.getString("last_error");
        }
      }
    }
    return null;
  }
}
