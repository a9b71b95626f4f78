package io.deltaview.benchmarks;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.fixture.PostgresFixture;
import io.deltaview.it.fixture.ResultBag;
import io.deltaview.it.fixture.oracle.EngineSettled;
import io.deltaview.it.fixture.oracle.OracleSchema;
import io.deltaview.it.fixture.oracle.OracleViews;
import io.deltaview.it.fixture.oracle.OracleWorkload;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.locks.LockSupport;

/**
 * The differential oracle as a soak run: the views and the random workload of {@code OracleTest}, at a larger scale
 * and for many more transactions, checking after every batch that each result table holds exactly its query's rows
 * and that each query answered through the driver equals PostgreSQL's own answer. A view found wrong is reported
 * (with the batch and the seed) and counted, and not checked again (it would time out every batch). Prints
 * progress and, at the end, the number of mismatches; exits 1 if there was any.
 *
 * <p>Options ({@code -D}): {@code oracle.txns} (transactions, default 100,000), {@code oracle.sf} (TPC-H scale
 * factor, default 0.01), {@code oracle.batch} (transactions between checks, default 500), {@code oracle.large}
 * (rows of a large transaction, default 100,000), {@code oracle.largeEvery} (default 5,000),
 * {@code oracle.truncateEvery} (default 1,000), {@code oracle.seed} (0, the default: the clock; printed),
 * {@code oracle.timeout} (seconds the engine may take to apply a batch, default 1,800).
 */
public final class Oracle {

  /** How long a view may still differ once the engine has caught up (it should not need any of it). */
  private static final long GRACE_MILLIS = 10_000;

  private Oracle() {
  }

  public static void main(String[] args) throws Exception {
    long mismatches;
    try {
      mismatches = run();
    } finally {
      PostgresFixture.stopIfStarted();
    }
    System.exit(mismatches == 0 ? 0 : 1);
  }

  static long run() throws Exception {
    long txns = Long.getLong("oracle.txns", 100_000);
    double scale = Double.parseDouble(System.getProperty("oracle.sf", "0.01"));
    int batch = Integer.getInteger("oracle.batch", 500);
    int large = Integer.getInteger("oracle.large", 100_000);
    int largeEvery = Integer.getInteger("oracle.largeEvery", 5_000);
    int truncateEvery = Integer.getInteger("oracle.truncateEvery", 1_000);
    long seed = Long.getLong("oracle.seed", 0);
    if (seed == 0) {
      seed = System.currentTimeMillis();
    }
    long timeoutMillis = Long.getLong("oracle.timeout", 1800) * 1000;
    System.out.printf(Locale.ROOT, "Oracle: seed %d, SF %s, %,d transactions, checks every %,d, large transactions"
        + " of %,d rows every %,d, a TRUNCATE every %,d%n", seed, scale, txns, batch, large, largeEvery, truncateEvery);

    long start = System.nanoTime();
    PostgresFixture server = PostgresFixture.get();
    String pgUrl = server.createDatabase("oracle");
    String dvUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
    long mismatches = 0;
    Map<String, String> checked = new LinkedHashMap<>();
    try (Connection plain = server.connect(pgUrl)) {
      OracleSchema.load(plain, scale);
    }
    System.out.printf(Locale.ROOT, "Loaded in %.1f s%n", seconds(start));
    try (Connection plain = server.connect(pgUrl);
         Connection dv = DriverManager.getConnection(dvUrl, server.credentials())) {
      long c0 = System.nanoTime();
      try (Statement s = dv.createStatement()) {
        for (Map.Entry<String, String> v : OracleViews.checked().entrySet()) {
          try {
            s.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
            checked.put(v.getKey(), v.getValue());
          } catch (SQLException | RuntimeException e) {
            mismatches++;
            System.out.println("REFUSED " + v.getKey() + ": " + e);
          }
        }
      }
      System.out.printf(Locale.ROOT, "%d views created in %.1f s (known mismatches left out: %d)%n", checked.size(),
          seconds(c0), OracleViews.KNOWN_MISMATCHES.size());
      Engine engine = EngineRegistry.existing(pgUrl);
      mismatches += check(plain, dv, engine, checked, "after the load", seed, timeoutMillis);

      OracleWorkload workload = new OracleWorkload(seed, large, largeEvery, truncateEvery);
      workload.attach(plain);
      long t0 = System.nanoTime();
      for (long t = 1; t <= txns; t++) {
        workload.nextTransaction(plain, 5);
        if (t % batch == 0 || t == txns) {
          long k0 = System.nanoTime();
          mismatches += check(plain, dv, engine, checked, "after transaction " + t, seed, timeoutMillis);
          System.out.printf(Locale.ROOT, "%,d / %,d transactions, %.0f s (check %.1f s), %d mismatches%n", t, txns,
              seconds(t0), seconds(k0), mismatches);
        }
      }
    }
    System.out.printf(Locale.ROOT, "Done in %.0f s: %d mismatches (seed %d)%n", seconds(start), mismatches, seed);
    return mismatches;
  }

  /**
   * Waits (up to the timeout) until the engine has applied every transaction committed so far and no view is
   * loading ({@link EngineSettled}), then compares each
   * view; a result table that differs still gets {@link #GRACE_MILLIS} to become equal. Wrong views are removed
   * from {@code views}.
   */
  private static long check(Connection plain, Connection dv, Engine engine, Map<String, String> views, String when,
      long seed, long timeoutMillis) throws Exception {
    long w0 = System.nanoTime();
    String unsettled = engine == null ? "no engine runs" : EngineSettled.await(engine, timeoutMillis);
    if (unsettled != null) {
      System.out.println(unsettled + " " + when);
    } else {
      System.out.printf(Locale.ROOT, "caught up %s in %.1f s%n", when, seconds(w0));
    }
    long found = 0;
    for (var it = views.entrySet().iterator(); it.hasNext(); ) {
      Map.Entry<String, String> v = it.next();
      String problem = resultTableProblem(plain, v.getKey(), v.getValue(), GRACE_MILLIS);
      if (problem == null) {
        try {
          problem = ResultBag.query(dv, v.getValue()).difference(ResultBag.query(plain, v.getValue()), true);
          problem = problem == null ? null : "through the driver: " + problem;
        } catch (SQLException e) {
          problem = "through the driver: [" + e.getSQLState() + "] " + e.getMessage();
        }
      }
      if (problem != null) {
        found++;
        it.remove();
        System.out.println("MISMATCH " + v.getKey() + " " + when + " (seed " + seed + "): " + problem);
      }
    }
    return found;
  }

  private static String resultTableProblem(Connection plain, String view, String query, long timeoutMillis)
      throws SQLException {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000;
    while (true) {
      String problem = ResultBag.query(plain, "SELECT * FROM " + view).difference(ResultBag.query(plain, query), false);
      if (problem == null || System.nanoTime() > deadline) {
        return problem;
      }
      LockSupport.parkNanos(100_000_000L);
    }
  }

  private static double seconds(long since) {
    return (System.nanoTime() - since) / 1e9;
  }
}
