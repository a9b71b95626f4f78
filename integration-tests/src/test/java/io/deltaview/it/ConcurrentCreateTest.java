package io.deltaview.it;

import io.deltaview.it.fixture.ResultBag;

import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * Writers commit continuously to all tables while a second and a third view are created over tables that are
 * not replicated yet: the publication/snapshot boundary must lose nothing.
 */
class ConcurrentCreateTest {

  @Test
  void viewsCreatedUnderWriteLoadAreExact() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("concurrent");
    try (Connection c = db.plain()) {
      ShopWorkload.createSchema(c);
      new ShopWorkload(99).load(c, 40, 200, 800, n -> { });
    }
    Map<String, String> views = new LinkedHashMap<>();
    views.put("status_counts", DifferentialTest.VIEWS.get("status_counts"));
    views.put("revenue", DifferentialTest.VIEWS.get("revenue"));
    views.put("product_prices", DifferentialTest.VIEWS.get("product_prices"));
    AtomicBoolean stop = new AtomicBoolean();
    AtomicReference<Throwable> writerFailure = new AtomicReference<>();
    List<Thread> writers = new ArrayList<>();
    for (int w = 0; w < 3; w++) {
      long seed = 1000 + w;
      Thread t = new Thread(() -> {
        ShopWorkload workload = new ShopWorkload(seed);
        try (Connection c = db.plain()) {
          workload.attach(c, (int) (seed - 999) * 10_000_000);
          while (!stop.get()) {
            try {
              workload.randomTransaction(c, 3);
            } catch (java.sql.SQLException e) {
              // concurrent writers may conflict (deadlock, duplicate key): that transaction is rolled back
              if (!e.getSQLState().startsWith("40") && !e.getSQLState().equals("23505")) {
                throw e;
              }
            }
          }
        } catch (Throwable e) {
          writerFailure.set(e);
        }
      }, "writer-" + w);
      writers.add(t);
    }
    try (Connection dv = db.deltaview(); Statement s = dv.createStatement()) {
      List<String> names = new ArrayList<>(views.keySet());
      s.execute("CREATE INCREMENTAL VIEW " + names.get(0) + " AS " + views.get(names.get(0)));
      writers.forEach(Thread::start);
      for (int i = 1; i < names.size(); i++) {
        s.execute("CREATE INCREMENTAL VIEW " + names.get(i) + " AS " + views.get(names.get(i)));
      }
      stop.set(true);
      for (Thread t : writers) {
        t.join(30_000);
      }
      if (writerFailure.get() != null) {
        throw new AssertionError("writer failed", writerFailure.get());
      }
      for (Map.Entry<String, String> v : views.entrySet()) {
        DeltaviewDatabase.await(v.getKey() + " exact after concurrent creation", Duration.ofSeconds(60), () -> {
          try (Connection c = db.plain()) {
            return ResultBag.query(c, "SELECT * FROM " + v.getKey()).difference(ResultBag.query(c, v.getValue()), false);
          }
        });
      }
      for (String name : names) {
        s.execute("DROP INCREMENTAL VIEW " + name);
      }
    }
  }
}
