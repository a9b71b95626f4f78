package io.deltaview.it.oracle;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.fixture.oracle.EngineSettled;
import io.deltaview.it.fixture.oracle.OracleSchema;
import io.deltaview.it.fixture.oracle.OracleViews;
import io.deltaview.it.fixture.oracle.OracleWorkload;
import io.deltaview.it.fixture.ResultBag;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The differential oracle at CI size: every view of {@link OracleViews} over TPC-H-shaped data made harder
 * ({@link OracleSchema}), batches of random transactions ({@link OracleWorkload}: moves across groups, join keys,
 * partitions and top-K boundaries, TRUNCATEs, large transactions), and after the load and after each batch every
 * result table must hold exactly its query's rows (as multisets), and every query answered through the driver must
 * equal PostgreSQL's own answer. A failure names the views, the batch and the seed; {@code -Ddeltaview.seed=}
 * replays a run, {@code -Ddeltaview.oracle.transactions=}, {@code .batch=}, {@code .sf=} and {@code .large=} size it.
 */
class OracleTest {

  static final long SEED = Long.getLong("deltaview.seed", 20261204L);
  static final double SCALE = Double.parseDouble(System.getProperty("deltaview.oracle.sf", "0.001"));
  static final int TRANSACTIONS = Integer.getInteger("deltaview.oracle.transactions", 120);
  static final int BATCH = Integer.getInteger("deltaview.oracle.batch", 40);
  static final int LARGE_ROWS = Integer.getInteger("deltaview.oracle.large", 3000);
  /** How long the engine may take to apply a batch. */
  static final Duration CATCH_UP = Duration.ofSeconds(120);
  /** How long a result table may still differ once the engine has applied the batch (it should need none of it). */
  static final Duration GRACE = Duration.ofSeconds(10);

  static DeltaviewDatabase db;
  static final List<String> REFUSED = new ArrayList<>();

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("oracle");
    try (Connection c = db.plain()) {
      OracleSchema.load(c, SCALE);
    }
    long start = System.nanoTime();
    try (Connection c = db.deltaview(); Statement s = c.createStatement()) {
      for (Map.Entry<String, String> v : OracleViews.checked().entrySet()) {
        try {
          s.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
        } catch (SQLException e) {
          REFUSED.add(v.getKey() + " [" + e.getSQLState() + "] " + e.getMessage());
        } catch (RuntimeException e) {
          REFUSED.add(v.getKey() + " failed: " + e);
        }
      }
    }
    System.out.printf("oracle: %d views created in %.1f s%n", OracleViews.checked().size() - REFUSED.size(),
        (System.nanoTime() - start) / 1e9);
  }

  @Test
  void everyViewStaysEqualToItsQueryUnderRandomTransactions() throws Exception {
    assertTrue(REFUSED.isEmpty(), "views refused (seed " + SEED + "):\n" + String.join("\n", REFUSED));
    assertViewsExact("after the initial load");
    OracleWorkload workload = new OracleWorkload(SEED, LARGE_ROWS, 60, 40);
    try (Connection writer = db.plain()) {
      workload.attach(writer);
      for (int t = 1; t <= TRANSACTIONS; t++) {
        try {
          workload.nextTransaction(writer, 5);
        } catch (SQLException e) {
          throw new AssertionError("transaction " + t + " failed (seed " + SEED + ")", e);
        }
        if (t % BATCH == 0 || t == TRANSACTIONS) {
          assertViewsExact("after batch " + ((t + BATCH - 1) / BATCH) + " (transaction " + t + ")");
        }
      }
    }
    reportServed();
  }

  /** Prints how many view queries the driver answered from a view (the rest passed through to PostgreSQL). */
  private static void reportServed() throws SQLException {
    int served = 0;
    try (Connection dv = db.deltaview()) {
      for (String query : OracleViews.checked().values()) {
        String rewritten = DeltaviewDatabase.explain(dv, query).get(0);
        if ("true".equals(rewritten) || "t".equals(rewritten)) {
          served++;
        }
      }
    }
    System.out.printf("oracle: %d of %d view queries answered from a view through the driver%n", served,
        OracleViews.checked().size());
  }

  /** Checks every view, collecting all failures so that one run names every view that is wrong. */
  private static void assertViewsExact(String when) throws Exception {
    long start = System.nanoTime();
    List<String> failures = new ArrayList<>();
    String unsettled = EngineSettled.await(EngineRegistry.existing(db.pgUrl), CATCH_UP.toMillis());
    if (unsettled != null) {
      failures.add(unsettled);
    }
    for (Map.Entry<String, String> v : OracleViews.checked().entrySet()) {
      String view = v.getKey();
      String query = v.getValue();
      try {
        DeltaviewDatabase.await("result table " + view + " to equal its query", GRACE, () -> {
          try (Connection c = db.plain()) {
            return ResultBag.query(c, "SELECT * FROM " + view).difference(ResultBag.query(c, query), false);
          }
        });
      } catch (AssertionError e) {
        failures.add(view + ": " + e.getMessage());
      }
    }
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      for (Map.Entry<String, String> v : OracleViews.checked().entrySet()) {
        String problem;
        try {
          problem = ResultBag.query(dv, v.getValue()).difference(ResultBag.query(plain, v.getValue()), true);
        } catch (SQLException e) {
          problem = "failed through the driver: [" + e.getSQLState() + "] " + e.getMessage();
        }
        if (problem != null) {
          failures.add(v.getKey() + " through the driver: " + problem);
        }
      }
    }
    System.out.printf("oracle: %d views checked %s in %.1f s%n", OracleViews.checked().size(), when,
        (System.nanoTime() - start) / 1e9);
    if (!failures.isEmpty()) {
      throw new AssertionError(failures.size() + " failures " + when + " (seed " + SEED + "):\n"
          + String.join("\n", failures));
    }
  }
}
