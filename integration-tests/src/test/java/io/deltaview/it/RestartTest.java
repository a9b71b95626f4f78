package io.deltaview.it;

import io.deltaview.it.fixture.ResultBag;

import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Kills the engine's JVM mid-stream (SIGKILL), keeps writing while it is down, restarts it, and requires
 * every view to be exact again: nothing lost, nothing applied twice.
 */
class RestartTest {

  static final long SEED = Long.getLong("deltaview.seed", 4242L);
  static final Map<String, String> VIEWS = Map.of(
      "revenue", DifferentialTest.VIEWS.get("revenue"),
      "customer_totals", DifferentialTest.VIEWS.get("customer_totals"),
      "big_lines", DifferentialTest.VIEWS.get("big_lines"));

  @Test
  void viewsAreExactAfterTheEngineIsKilledAndRestarted() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("restart");
    ShopWorkload workload = new ShopWorkload(SEED);
    try (Connection writer = db.plain()) {
      ShopWorkload.createSchema(writer);
      workload.load(writer, 50, 300, 1200, n -> { });
      EngineChild first = new EngineChild(db);
      try {
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          first.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
        }
        for (int t = 0; t < 60; t++) {
          workload.randomTransaction(writer, 4);
        }
      } finally {
        first.kill();
      }
      for (int t = 0; t < 60; t++) {
        workload.randomTransaction(writer, 4);
      }
      try (EngineChild second = new EngineChild(db)) {
        assertExact(db, "after restart (seed " + SEED + ")");
        for (int t = 0; t < 40; t++) {
          workload.randomTransaction(writer, 4);
        }
        assertExact(db, "after restart and more changes (seed " + SEED + ")");
        for (String name : VIEWS.keySet()) {
          second.execute("DROP INCREMENTAL VIEW " + name);
        }
      }
    }
  }

  private static void assertExact(DeltaviewDatabase db, String when) throws Exception {
    for (Map.Entry<String, String> v : VIEWS.entrySet()) {
      DeltaviewDatabase.await(v.getKey() + " exact " + when, Duration.ofSeconds(90), () -> {
        try (Connection c = db.plain()) {
          return ResultBag.query(c, "SELECT * FROM " + v.getKey()).difference(ResultBag.query(c, v.getValue()), false);
        }
      });
    }
  }
}
