package io.deltaview.benchmarks;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.fixture.PostgresFixture;
import io.deltaview.it.fixture.ShopWorkload;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;

/**
 * The macro benchmarks, measured side by side in one run on the same data: (a) the demo report query directly
 * vs through Deltaview, (b) the driver's overhead on queries no view answers (and the agent's: start-up and
 * per-query, see {@link AgentCost}), (c) the engine's maintenance
 * throughput next to the raw rate of reading the same changes off a replication slot, and (d) commit → visible
 * latency. Plain pgjdbc on the same server is the baseline throughout.
 *
 * <p>Sizes: {@code -Ddeltaview.bench.lines} (order lines, default 1M), {@code -Ddeltaview.bench.changes}
 * (row changes for (c), default 200k), {@code -Ddeltaview.bench.lookups} (executions per side and query in
 * (b), default 20k), {@code -Ddeltaview.bench.visible} (samples for (d), default 200); {@code
 * -Ddeltaview.bench.parts} runs only some parts (e.g. {@code c}).
 */
public final class Benchmarks {

  /** The parts to run, {@code -Ddeltaview.bench.parts} (default all: {@code abcde}), e.g. {@code c} to profile one. */
  private static final String PARTS = System.getProperty("deltaview.bench.parts", "abcde");
  private static final String VIEW = "revenue_by_region_month";
  private static final int CUSTOMERS = 20_000;
  private static final int CHANGES_PER_TXN = 1_000;
  /** Rounds of (c); all but the first are the steady state (-Ddeltaview.bench.rounds). */
  private static final int THROUGHPUT_ROUNDS = Math.max(1, Integer.getInteger("deltaview.bench.rounds", 5));
  /** New order-line ids for (c) and (d) start here, far above the loaded ones. */
  private static final int LOAD_ID_BASE = 500_000_000;
  private static final int VISIBLE_ID_BASE = 900_000_000;

  private static final String POINT_LOOKUP = "SELECT name, region FROM customers WHERE id = ?";
  private static final String SMALL_JOIN = "SELECT o.status, c.region FROM orders o"
      + " JOIN customers c ON c.id = o.customer_id WHERE o.id = ?";

  private Benchmarks() {
  }

  public static void main(String[] args) throws Exception {
    int lines = Integer.getInteger("deltaview.bench.lines", 1_000_000);
    int changes = Integer.getInteger("deltaview.bench.changes", 200_000);
    int lookups = Integer.getInteger("deltaview.bench.lookups", 20_000);
    int visible = Integer.getInteger("deltaview.bench.visible", 200);
    try {
      run(lines, changes, lookups, visible);
    } finally {
      PostgresFixture.stopIfStarted();
    }
    System.exit(0);
  }

  static void run(int lineCount, int changeCount, int lookups, int visibleSamples) throws Exception {
    long start = System.nanoTime();
    PostgresFixture server = PostgresFixture.get();
    String pgUrl = server.createDatabase("bench");
    String dvUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
    int orderCount = lineCount / 5;
    try (Connection plain = server.connect(pgUrl)) {
      printHeader(plain, server);
      ShopWorkload.createSchema(plain);
      long t0 = System.nanoTime();
      new ShopWorkload(42).load(plain, CUSTOMERS, orderCount, lineCount, n -> { });
      System.out.printf(Locale.ROOT, "Data: %,d customers, %,d orders, %,d order lines, loaded in %.1f s%n",
          CUSTOMERS, orderCount, lineCount, seconds(t0));
      try (Connection dv = DriverManager.getConnection(dvUrl, server.credentials());
           Statement s = dv.createStatement()) {
        long c0 = System.nanoTime();
        s.execute("CREATE INCREMENTAL VIEW " + VIEW + " AS " + Demo.QUERY);
        System.out.printf(Locale.ROOT, "View %s ready in %.1f s (snapshot of the 3 tables)%n%n", VIEW, seconds(c0));
        Engine engine = EngineRegistry.existing(pgUrl);
        if (engine == null) {
          throw new IllegalStateException("no embedded engine for " + pgUrl);
        }

        if (PARTS.indexOf('a') >= 0) {
          reportQuery(plain, dv);
        }
        if (PARTS.indexOf('b') >= 0) {
          reportPassThrough(server, dvUrl, plain, dv, lookups, orderCount);
        }
        if (PARTS.indexOf('e') >= 0) {
          AgentCost.report(server, pgUrl, POINT_LOOKUP, CUSTOMERS, lookups);
        }
        if (PARTS.indexOf('c') >= 0) {
          reportThroughput(server, pgUrl, plain, engine, changeCount, lineCount, orderCount);
        }
        if (PARTS.indexOf('d') >= 0) {
          reportVisibility(server, pgUrl, plain, engine, visibleSamples);
        }

        if (!engine.awaitCurrent(60_000)) {
          throw new IllegalStateException("engine did not catch up within 60 s");
        }
        String check = Demo.compare(plain, dv);
        System.out.println("Result through Deltaview equals PostgreSQL's own answer after all changes: "
            + (check == null ? "yes" : check));
        s.execute("DROP INCREMENTAL VIEW " + VIEW);
        if (check != null) {
          throw new IllegalStateException("benchmark result mismatch: " + check);
        }
      }
    }
    System.out.printf(Locale.ROOT, "Total run time %.0f s%n", seconds(start));
  }

  private static void printHeader(Connection plain, PostgresFixture server) throws SQLException {
    String pgVersion;
    try (Statement s = plain.createStatement(); ResultSet rs = s.executeQuery("SELECT version()")) {
      rs.next();
      pgVersion = rs.getString(1);
    }
    System.out.println("Deltaview benchmarks");
    // The collector matters to (c): the engine's state updates store new rows into old arrays, which G1's write
    // barrier makes far more expensive than ParallelGC's (docs/benchmarks.md).
    String collectors = ManagementFactory.getGarbageCollectorMXBeans().stream()
        .map(GarbageCollectorMXBean::getName).collect(java.util.stream.Collectors.joining(", "));
    System.out.printf(Locale.ROOT, "Machine: %d cores (Runtime.availableProcessors), %s %s (%s), max heap %d MB,"
        + " collectors: %s%n",
        Runtime.getRuntime().availableProcessors(), System.getProperty("java.vm.name"), Runtime.version(),
        System.getProperty("os.name") + " " + System.getProperty("os.arch"),
        Runtime.getRuntime().maxMemory() >> 20, collectors);
    // A heap that grows while (c) runs costs the apply thread page faults of new memory (docs/benchmarks.md).
    System.out.println("JVM options: " + String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
    System.out.println("PostgreSQL: " + pgVersion);
    System.out.println("Server: " + server.description() + " on the same machine; fsync=" + setting(plain, "fsync")
        + ", synchronous_commit=" + setting(plain, "synchronous_commit") + ", wal_writer_delay="
        + setting(plain, "wal_writer_delay"));
    System.out.println("All latencies are medians unless noted; the machine may be shared with other builds.");
  }

  private static String setting(Connection c, String name) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW " + name)) {
      rs.next();
      return rs.getString(1);
    }
  }


  // ---------------------------------------------------------------- (a)

  private static void reportQuery(Connection plain, Connection dv) throws SQLException {
    try (Statement s = dv.createStatement(); ResultSet rs = s.executeQuery("EXPLAIN INCREMENTAL " + Demo.QUERY)) {
      rs.next();
      if (!rs.getBoolean("rewritten")) {
        throw new IllegalStateException("the demo query is not rewritten: " + rs.getString("reason"));
      }
    }
    Demo.medianMillis(plain, Demo.QUERY, 1);
    Demo.medianMillis(dv, Demo.QUERY, 50);
    int directRuns = 7;
    int servedRuns = 300;
    double direct = Demo.medianMillis(plain, Demo.QUERY, directRuns);
    double served = Demo.medianMillis(dv, Demo.QUERY, servedRuns);
    System.out.println("(a) Demo query (revenue per region per month, 3-table join + group by)");
    System.out.printf(Locale.ROOT, "    plain pgjdbc, on the base tables:  median %9.3f ms  (%d runs)%n", direct,
        directRuns);
    System.out.printf(Locale.ROOT, "    through Deltaview (result table):  median %9.3f ms  (%d runs)%n", served,
        servedRuns);
    System.out.printf(Locale.ROOT, "    ratio plain / Deltaview: %.0fx%n%n", direct / served);
  }

  // ---------------------------------------------------------------- (b)

  private static void reportPassThrough(PostgresFixture server, String dvUrl, Connection plain, Connection dv,
      int lookups, int orderCount) throws SQLException {
    System.out.println("(b) Queries no view answers (prepared, pass-through), through the Deltaview driver vs the pgjdbc");
    System.out.println("    connection underneath it (unwrap(PGConnection.class): same backend, so only the driver's own");
    System.out.println("    work differs), in deltaview.mode=all and in opt-in with the query unmarked; a separate plain");
    System.out.printf(Locale.ROOT, "    pgjdbc connection for reference; interleaved (turns of 10 executions) in 40"
        + " rounds, %,d timed executions each after warm-up; ratio of the medians, and median of the per-round"
        + " ratios%n", lookups);
    Properties optInProps = server.credentials();
    optInProps.setProperty("deltaview.mode", "opt-in");
    try (Connection optIn = DriverManager.getConnection(dvUrl, optInProps)) {
      Connection dvRaw = (Connection) dv.unwrap(PGConnection.class);
      Connection optInRaw = (Connection) optIn.unwrap(PGConnection.class);
      for (String[] q : new String[][] {{"point lookup", POINT_LOOKUP, Integer.toString(CUSTOMERS)},
          {"small join  ", SMALL_JOIN, Integer.toString(orderCount)}}) {
        try (Statement s = dv.createStatement(); ResultSet rs = s.executeQuery("EXPLAIN INCREMENTAL " + q[1])) {
          rs.next();
          if (rs.getBoolean("rewritten")) {
            throw new IllegalStateException("expected pass-through, but rewritten: " + q[1]);
          }
        }
        long[][] t = Interleaved.measure(new Connection[] {plain, dvRaw, dv, optInRaw, optIn}, q[1],
            Integer.parseInt(q[2]), lookups);
        System.out.printf(Locale.ROOT, "    %s  mode=all: pgjdbc %6.1f µs, driver %6.1f µs, ratio %.3f (per round"
            + " %.3f);  opt-in unmarked: pgjdbc %6.1f µs, driver %6.1f µs, ratio %.3f (per round %.3f)  (goal <= 1.03;"
            + " plain connection %6.1f µs)%n", q[0], median(t[1]) / 1e3, median(t[2]) / 1e3,
            median(t[2]) / median(t[1]), Interleaved.roundRatio(t, 2, 1), median(t[3]) / 1e3, median(t[4]) / 1e3,
            median(t[4]) / median(t[3]), Interleaved.roundRatio(t, 4, 3), median(t[0]) / 1e3);
        System.out.println("      " + q[1]);
      }
    }
    System.out.println();
  }

  // ---------------------------------------------------------------- (c)

  private static void reportThroughput(PostgresFixture server, String pgUrl, Connection plain, Engine engine,
      int changeCount, int lineCount, int orderCount) throws Exception {
    int txns = Math.max(1, changeCount / CHANGES_PER_TXN);
    System.out.printf(Locale.ROOT, "(c) Maintenance throughput: backlogs of %,d row changes in %d transactions of %,d"
        + " (%d inserts + %d updates moving lines between orders), written with the apply loop paused;%n"
        + "    round 1 warms the JIT up (until then the engine has only loaded a snapshot); rounds 2 on are the steady"
        + " state, judged by the median of their ratios (one round's ratio moves by ±15%% on this shared machine)%n",
        (long) txns * CHANGES_PER_TXN, txns, CHANGES_PER_TXN, CHANGES_PER_TXN / 2, CHANGES_PER_TXN / 2);
    List<Double> steady = new ArrayList<>();
    for (int round = 1; round <= THROUGHPUT_ROUNDS; round++) {
      int batch = round;
      BacklogRace.Result t = BacklogRace.measure(server, pgUrl, plain, engine, c -> ChangeWriter.write(c, txns,
          CHANGES_PER_TXN, LOAD_ID_BASE, batch - 1, batch, lineCount, orderCount), (long) txns * CHANGES_PER_TXN);
      double ratio = t.engineRate() / t.rawRate();
      if (round > 1 || THROUGHPUT_ROUNDS == 1) {
        steady.add(ratio);
      }
      System.out.printf(Locale.ROOT, "    round %d: writer %,9.0f changes/s;  engine applied the backlog in %5.2f s"
          + " = %,9.0f changes/s;  raw read of the same backlog off a second slot %5.2f s = %,9.0f changes/s;"
          + "  ratio %.2f%n", round, t.counted() / t.writeSeconds(), t.applySeconds(), t.engineRate(),
          t.readSeconds(), t.rawRate(), ratio);
      System.out.printf(Locale.ROOT, "      CPU while the engine applied: %s; the walsender %s%n", t.engineCpu(),
          t.engineWalsenderCpu());
      System.out.printf(Locale.ROOT, "      CPU while reading raw: the walsender %s%n", t.rawWalsenderCpu());
    }
    Collections.sort(steady);
    int n = steady.size();
    double median = n % 2 == 1 ? steady.get(n / 2) : (steady.get(n / 2 - 1) + steady.get(n / 2)) / 2;
    System.out.printf(Locale.ROOT, "    ratio engine / raw (steady state, median of rounds %s): %.2f (goal >= 0.9)%n%n",
        THROUGHPUT_ROUNDS == 1 ? "1" : "2-" + THROUGHPUT_ROUNDS, median);
  }


  // ---------------------------------------------------------------- (d)

  private static void reportVisibility(PostgresFixture server, String pgUrl, Connection plain, Engine engine,
      int samples) throws Exception {
    if (!engine.awaitCurrent(60_000)) {
      throw new IllegalStateException("engine did not catch up within 60 s");
    }
    String region;
    String month;
    int orderId = 1;
    try (Statement s = plain.createStatement(); ResultSet rs = s.executeQuery("SELECT c.region,"
        + " date_trunc('month', o.created_at)::text FROM orders o JOIN customers c ON c.id = o.customer_id"
        + " WHERE o.id = " + orderId)) {
      rs.next();
      region = rs.getString(1);
      month = rs.getString(2);
    }
    long[] synced = commitToVisible(server, pgUrl, plain, region, month, orderId, samples, true, 0);
    int asyncSamples = Math.max(1, samples / 10);
    long[] async = commitToVisible(server, pgUrl, plain, region, month, orderId, asyncSamples, false, samples);
    System.out.printf(Locale.ROOT, "(d) Commit -> visible in the result table, single-row transactions that change the"
        + " view (polled every ~0.1 ms)%n");
    printLatencies("writer synchronous_commit=on ", synced);
    printLatencies("writer synchronous_commit=off", async);
    System.out.println("    (the walsender sends only flushed WAL: with synchronous_commit=off a commit waits for the WAL"
        + " writer, wal_writer_delay)");
    System.out.println();
  }

  private static void printLatencies(String label, long[] nanos) {
    Arrays.sort(nanos);
    System.out.printf(Locale.ROOT, "    %s  %3d samples: p50 %6.1f ms  p90 %6.1f ms  p99 %6.1f ms  max %6.1f ms%n",
        label, nanos.length, percentile(nanos, 0.50) / 1e6, percentile(nanos, 0.90) / 1e6,
        percentile(nanos, 0.99) / 1e6, nanos[nanos.length - 1] / 1e6);
  }

  private static long[] commitToVisible(PostgresFixture server, String pgUrl, Connection plain, String region,
      String month, int orderId, int samples, boolean synchronous, int idOffset) throws SQLException {
    long[] nanos = new long[samples];
    BacklogRace.synchronousCommit(plain, synchronous);
    try (Connection poller = server.connect(pgUrl);
         PreparedStatement read = poller.prepareStatement("SELECT lines FROM " + VIEW
             + " WHERE region = ? AND month = ?::timestamp");
         PreparedStatement insert = plain.prepareStatement("INSERT INTO order_lines VALUES (?, ?, 'fig', 1, 10, NULL)")) {
      read.setString(1, region);
      read.setString(2, month);
      long lines = readLines(read);
      for (int i = 0; i < samples; i++) {
        insert.setInt(1, VISIBLE_ID_BASE + idOffset + i);
        insert.setInt(2, orderId);
        insert.executeUpdate(); // autocommit: a single-row transaction
        long t0 = System.nanoTime();
        long want = lines + 1;
        while (readLines(read) != want) {
          if (System.nanoTime() - t0 > 30_000_000_000L) {
            throw new IllegalStateException("change not visible after 30 s");
          }
          LockSupport.parkNanos(100_000);
        }
        nanos[i] = System.nanoTime() - t0;
        lines = want;
      }
    } finally {
      BacklogRace.synchronousCommit(plain, true);
    }
    return nanos;
  }

  private static long readLines(PreparedStatement read) throws SQLException {
    try (ResultSet rs = read.executeQuery()) {
      return rs.next() ? rs.getLong(1) : 0;
    }
  }

  // ---------------------------------------------------------------- helpers

  private static double median(long[] values) {
    return Interleaved.median(values);
  }

  private static double percentile(long[] values, double p) {
    return Interleaved.percentile(values, p);
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
