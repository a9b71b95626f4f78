package io.deltaview.it.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/**
 * A dropped replication stream loses nothing when the target transaction committed or rolled back cleanly:
 * the engine restarts reading from the slot and keeps every view's operator state. Terminating the walsender
 * under a stream of small transactions must reload no view (no snapshot load, SHOW never leaves {@code ready})
 * while the views end exact.
 */
class StreamResumeTest {

  @Test
  void aTerminatedWalsenderReloadsNothing() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("resume");
    try (Connection c = db.plain()) {
      ShopWorkload.createSchema(c);
      new ShopWorkload(41).load(c, 50, 300, 1200, n -> { });
    }
    AtomicBoolean stop = new AtomicBoolean();
    AtomicInteger committed = new AtomicInteger();
    AtomicReference<Throwable> background = new AtomicReference<>();
    AtomicReference<String> notReady = new AtomicReference<>();
    try (Connection dv = db.deltaview(); Statement s = dv.createStatement(); Connection admin = db.plain()) {
      for (Map.Entry<String, String> v : SupervisionTest.VIEWS.entrySet()) {
        s.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
      }
      Engine engine = EngineRegistry.existing(db.pgUrl);
      long loads = engine.snapshotLoads();
      Thread writer = new Thread(() -> {
        ShopWorkload workload = new ShopWorkload(42);
        try (Connection c = db.plain()) {
          workload.attach(c, 10_000_000);
          while (!stop.get()) {
            workload.randomTransaction(c, 4);
            committed.incrementAndGet();
          }
        } catch (Throwable e) {
          background.set(e);
        }
      }, "resume-writer");
      Thread watcher = new Thread(() -> {
        try (Connection w = db.deltaview(); Statement ws = w.createStatement()) {
          while (!stop.get()) {
            try (ResultSet rs = ws.executeQuery("SHOW INCREMENTAL VIEWS")) {
              while (rs.next()) {
                if (!"ready".equals(rs.getString("status"))) {
                  notReady.compareAndSet(null, rs.getString("name") + " was " + rs.getString("status") + ": "
                      + rs.getString("last_error"));
                }
              }
            }
            Thread.onSpinWait();
          }
        } catch (Throwable e) {
          background.set(e);
        }
      }, "resume-watcher");
      writer.start();
      watcher.start();
      try {
        for (int round = 0; round < 3; round++) {
          int before = committed.get();
          DeltaviewDatabase.await("transactions before the kill", Duration.ofSeconds(60),
              () -> committed.get() >= before + 30 ? null : committed.get() - before + " transactions");
          int killed = Walsenders.terminate(admin);
          DeltaviewDatabase.await("a new walsender", Duration.ofSeconds(90), () -> {
            Integer pid = Walsenders.pid(admin);
            return pid != null && pid != killed ? null : "walsender pid " + pid;
          });
        }
        int after = committed.get();
        DeltaviewDatabase.await("transactions after the last restart", Duration.ofSeconds(60),
            () -> committed.get() >= after + 30 ? null : committed.get() - after + " transactions");
      } finally {
        stop.set(true);
        writer.join(30_000);
        watcher.join(30_000);
      }
      if (background.get() != null) {
        throw new AssertionError("writer or watcher failed", background.get());
      }
      try (Connection c = db.plain()) {
        for (Map.Entry<String, String> v : SupervisionTest.VIEWS.entrySet()) {
          DeltaviewDatabase.await(v.getKey() + " exact", Duration.ofSeconds(60),
              () -> DeltaviewDatabase.difference(c, v.getKey(), v.getValue()));
        }
      }
      assertNull(notReady.get(), "a view left ready while the stream was restarted");
      assertEquals(loads, engine.snapshotLoads(), "views were reloaded from a snapshot");
    }
  }
}
