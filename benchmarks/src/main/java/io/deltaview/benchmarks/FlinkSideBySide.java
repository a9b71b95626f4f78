package io.deltaview.benchmarks;

import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.fixture.PostgresFixture;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.stream.Stream;

/**
 * The same incremental view maintained by the embedded engine and by a Flink job ({@code CREATE INCREMENTAL VIEW v
 * WITH (engine = 'flink') AS …}, on a local MiniCluster in a JVM of its own) at parallelism 1 and 2, measured side
 * by side in one run on one PostgreSQL server, so that the figures compare the backends and not two machines or
 * two days. Each backend gets a database of its own with the same rows (generated deterministically) and the same
 * seeded change workload; only one backend maintains anything at a time (the previous one's view is dropped and
 * its engine stopped).
 *
 * <p>The view is one Flink can compute exactly as PostgreSQL does (see docs/flink.md, "What is translated"): a
 * two-table inner join grouped by a text column, with {@code COUNT(*)} and {@code SUM} of an integer column. Both
 * tables have a primary key and {@code REPLICA IDENTITY FULL}, which Flink CDC needs. Before the clock starts, a
 * small embedded view is created and dropped, so that no figure carries the engine's start in the database (which
 * runs a Flink view's {@code CREATE} too) or the JVM's first planning. For each backend:
 * <ul>
 *   <li><b>initial load</b>: from the {@code CREATE} until the result table equals the query (for Flink this
 *       includes starting its JVM; the time the {@code CREATE} itself took is printed too);</li>
 *   <li><b>maintenance throughput</b>: a batch of row changes (updates that move orders between customers and so
 *       between groups, updates of the summed column, inserts, deletes) committed in transactions of a fixed size,
 *       then the time from the first commit until the result table equals the query, as changes per second; the
 *       time the writer took to commit them all is printed beside it, since a backend cannot be measured faster
 *       than the writer;</li>
 *   <li><b>commit → visible latency</b>: a one-row update that adds 1 to one known group's sum (a group no other
 *       change touches), committed, then the result table polled until that group shows the new sum; p50 and
 *       p99 over the samples, after a few unrecorded ones that warm up both sides.</li>
 * </ul>
 * "Equals the query" is EXCEPT ALL both ways, empty. While waiting the base tables do not change, so the query's
 * answer is taken once into a temporary table and each poll compares the result table with it (cheap, so the
 * polling takes little of the CPU the backend needs); polls are a condition with a short park and a bounded
 * timeout, never a fixed sleep. Latency polls park 1 ms, which bounds the resolution.
 *
 * <p>Each backend runs as shipped: the embedded engine with its default checkpoints, the Flink job with its own
 * (a checkpoint a second, exactly-once, RocksDB, a 768 MB heap) and its JDBC sink flushing every 200 ms, 500 rows
 * or checkpoint. The parallelism of a Flink job is {@code deltaview.flink.parallelism}; the Flink JVM logs at
 * {@code info} here ({@code deltaview.flink.logLevel}, unless set) so that the run can confirm from Flink's log
 * that the job's tasks ran with that many subtasks.
 *
 * <p>Options ({@code -D}):
 * <ul>
 *   <li>{@code deltaview.flinkbench.rows}: orders in the base table (default 50,000);</li>
 *   <li>{@code deltaview.flinkbench.customers}: customers (default 1,000), spread over 50 regions (the groups);</li>
 *   <li>{@code deltaview.flinkbench.changes}: row changes of the throughput batch (default 20,000);</li>
 *   <li>{@code deltaview.flinkbench.txn}: row changes per transaction (default 100);</li>
 *   <li>{@code deltaview.flinkbench.samples}: recorded commit → visible samples (default 100; 10 more warm up);</li>
 *   <li>{@code deltaview.flinkbench.backends}: which, in order, comma-separated, of {@code embedded},
 *       {@code flink1}, {@code flink2} ({@code flink<N>}: a Flink job at parallelism N; default all three);</li>
 *   <li>{@code deltaview.flinkbench.timeout}: seconds any one wait may take before the run fails (default 600).</li>
 * </ul>
 * Exits 0 after printing the results; on any failure prints why, stops what it started (Flink JVMs, engines,
 * PostgreSQL) and exits 1.
 */
public final class FlinkSideBySide {

  /** The view: a join grouped by region; COUNT and SUM only, which Flink computes exactly as PostgreSQL. */
  static final String VIEW = "SELECT c.region, count(*) AS orders, sum(o.qty) AS qty"
      + " FROM orders o JOIN customers c ON c.id = o.customer_id GROUP BY c.region";

  private static final int REGIONS = 50;
  private static final String PROBE_REGION = "probe";
  private static final int WARM_UP_SAMPLES = 10;
  private static final long SEED = 42;

  private FlinkSideBySide() {
  }

  /** One backend's figures. */
  record Result(String backend, String note, double createSeconds, double loadSeconds, int changes,
      double writerSeconds, double catchUpSeconds, double p50Millis, double p99Millis, int samples) {
    double rate() {
      return changes / catchUpSeconds;
    }
  }

  public static void main(String[] args) {
    int status = 0;
    Path work = null;
    try {
      work = Files.createTempDirectory("deltaview-flinkbench-");
      run(work);
    } catch (Throwable e) {
      System.out.flush();
      System.err.println("FlinkSideBySide FAILED: " + e);
      e.printStackTrace();
      status = 1;
    } finally {
      for (String url : EngineRegistry.all().keySet()) {
        try {
          EngineRegistry.stop(url);
        } catch (RuntimeException e) {
          System.err.println("stopping the engine of " + url + " failed: " + e);
        }
      }
      PostgresFixture.stopIfStarted();
      if (work != null) {
        deleteQuietly(work);
      }
    }
    System.exit(status);
  }

  static void run(Path work) throws Exception {
    int rows = Integer.getInteger("deltaview.flinkbench.rows", 50_000);
    int customers = Integer.getInteger("deltaview.flinkbench.customers", 1_000);
    int changes = Integer.getInteger("deltaview.flinkbench.changes", 20_000);
    int perTxn = Integer.getInteger("deltaview.flinkbench.txn", 100);
    int samples = Integer.getInteger("deltaview.flinkbench.samples", 100);
    long timeoutNanos = TimeUnit.SECONDS.toNanos(Long.getLong("deltaview.flinkbench.timeout", 600));
    List<String> backends = Arrays.stream(System.getProperty("deltaview.flinkbench.backends",
        "embedded,flink1,flink2").split(",")).map(String::strip).filter(b -> !b.isEmpty()).toList();
    if (rows < 1 || customers < 1 || changes < 1 || perTxn < 1 || samples < 1 || backends.isEmpty()) {
      throw new IllegalArgumentException("rows, customers, changes, txn and samples must be positive, and at least"
          + " one backend named");
    }
    for (String b : backends) {
      parallelism(b); // refuses an unknown backend before anything starts
    }
    System.setProperty("deltaview.flink.logLevel", System.getProperty("deltaview.flink.logLevel", "info"));
    long start = System.nanoTime();
    PostgresFixture server = PostgresFixture.get();
    System.out.printf(Locale.ROOT, "Embedded engine vs Flink, side by side; %s; %d processors; max heap %d MB%n"
        + "view: %s%n%,d orders, %,d customers in %d regions; %,d changes in transactions of %d; %d latency"
        + " samples (+%d warm-up); backends %s%n", server.description(), Runtime.getRuntime().availableProcessors(),
        Runtime.getRuntime().maxMemory() >> 20, VIEW, rows, customers, REGIONS, changes, perTxn, samples,
        WARM_UP_SAMPLES, backends);
    List<Result> results = new ArrayList<>();
    for (String backend : backends) {
      results.add(measure(server, work, backend, rows, customers, changes, perTxn, samples, timeoutNanos));
    }
    report(results);
    System.out.printf(Locale.ROOT, "Total run time %.0f s%n", seconds(start));
  }

  /** 0 for the embedded engine, else the parallelism of backend {@code flink<N>}. */
  private static int parallelism(String backend) {
    if (backend.equals("embedded")) {
      return 0;
    }
    if (backend.matches("flink[1-9][0-9]?")) {
      return Integer.parseInt(backend.substring("flink".length()));
    }
    throw new IllegalArgumentException("unknown backend " + backend + ": embedded, flink1, flink2, … flink<N>");
  }

  private static Result measure(PostgresFixture server, Path work, String backend, int rows, int customers,
      int changes, int perTxn, int samples, long timeoutNanos) throws Exception {
    int parallelism = parallelism(backend);
    System.out.printf(Locale.ROOT, "%n%s%n", backend.equals("embedded") ? "embedded engine"
        : "Flink job at parallelism " + parallelism);
    String pgUrl = server.createDatabase("flinkbench");
    long t0 = System.nanoTime();
    try (Connection plain = server.connect(pgUrl)) {
      load(plain, rows, customers);
    }
    System.out.printf(Locale.ROOT, "  base tables loaded and vacuumed in %.1f s%n", seconds(t0));
    Path flinkWork = work.resolve(backend);
    Properties credentials = server.credentials();
    if (parallelism > 0) {
      System.setProperty("deltaview.flink.workDir", flinkWork.toString());
      System.setProperty("deltaview.flink.parallelism", Integer.toString(parallelism));
      if (server.password().isEmpty()) {
        // The job connects with the engine's credentials; a server that trusts local connections never checks
        // this one, but the job needs one to pass on.
        credentials.setProperty("password", "unchecked-" + ProcessHandle.current().pid());
      }
    }
    String dvUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
    try (Connection plain = server.connect(pgUrl);
         Connection dv = DriverManager.getConnection(dvUrl, credentials);
         Statement s = dv.createStatement()) {
      try {
        return measureOn(plain, s, new Waiter(plain, dv, parallelism > 0, timeoutNanos), backend, parallelism,
            flinkWork, rows, customers, changes, perTxn, samples);
      } catch (Exception | Error e) {
        try {
          s.execute("DROP INCREMENTAL VIEW IF EXISTS v"); // its job, slots and publication, on a server that stays
        } catch (SQLException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    } finally {
      EngineRegistry.stop(pgUrl); // stops what is left: the engine and, through it, a Flink job still running
      System.clearProperty("deltaview.flink.parallelism");
      System.clearProperty("deltaview.flink.workDir");
    }
  }

  /** Measures the backend on the loaded database: load, throughput, latency; drops the view at the end. */
  private static Result measureOn(Connection plain, Statement s, Waiter waiter, String backend, int parallelism,
      Path flinkWork, int rows, int customers, int changes, int perTxn, int samples) throws Exception {
    // Neither backend's figures should carry the engine's start in this database or this JVM's first planning: a
    // small embedded view, created and dropped before the clock starts, does both (for Flink the engine runs the
    // CREATE too). The engine restores a table's replica identity when its last view goes; Flink needs FULL.
    long w0 = System.nanoTime();
    s.execute("CREATE INCREMENTAL VIEW warm_up AS SELECT region, count(*) AS n FROM customers GROUP BY region");
    s.execute("DROP INCREMENTAL VIEW warm_up");
    try (Statement p = plain.createStatement()) {
      p.execute("ALTER TABLE customers REPLICA IDENTITY FULL");
      p.execute("ALTER TABLE orders REPLICA IDENTITY FULL");
    }
    System.out.printf(Locale.ROOT, "  engine started (a warm-up view created and dropped) in %.2f s%n", seconds(w0));
    waiter.expectQuery();
    long c0 = System.nanoTime();
    s.execute(parallelism > 0 ? "CREATE INCREMENTAL VIEW v WITH (engine = 'flink') AS " + VIEW
        : "CREATE INCREMENTAL VIEW v AS " + VIEW);
    double created = seconds(c0);
    waiter.awaitEqual("the initial load");
    double loaded = seconds(c0);
    String note = parallelism > 0 ? confirmParallelism(flinkWork, parallelism) : "";
    System.out.printf(Locale.ROOT, "  initial load: CREATE returned after %.2f s, result table equal to the query"
        + " after %.2f s%s%n", created, loaded, note.isEmpty() ? "" : "; " + note);

    double[] written = new double[1];
    long first = writeChanges(plain, rows, customers, changes, perTxn, written);
    waiter.expectQuery();
    waiter.awaitEqual("the changes");
    double caughtUp = (System.nanoTime() - first) / 1e9;
    System.out.printf(Locale.ROOT, "  maintenance: %,d changes committed in %.2f s (writer), result table equal"
        + " %.2f s after the first commit (%.2f s after the last): %,.0f changes/s%s%n", changes, written[0],
        caughtUp, caughtUp - written[0], changes / caughtUp, caughtUp - written[0] < 0.1 * caughtUp
        ? " (kept up with the writer: the writer's rate, a lower bound of the backend's)" : "");

    long[] nanos = latencies(plain, waiter, rows, samples);
    double p50 = percentile(nanos, 0.50) / 1e6;
    double p99 = percentile(nanos, 0.99) / 1e6;
    System.out.printf(Locale.ROOT, "  commit -> visible over %d one-row updates: p50 %.2f ms, p99 %.2f ms,"
        + " max %.2f ms%n", samples, p50, p99, nanos[nanos.length - 1] / 1e6);
    waiter.expectQuery();
    waiter.awaitEqual("the latency samples");

    s.execute("DROP INCREMENTAL VIEW v");
    return new Result(backend, note, created, loaded, changes, written[0], caughtUp, p50, p99, samples);
  }

  /**
   * Customers spread over {@link #REGIONS} regions, orders spread over the customers, generated by arithmetic so
   * that every backend's database holds the same rows; one more customer and order, alone in region
   * {@value #PROBE_REGION}, for the latency samples (the change workload never touches them).
   */
  private static void load(Connection c, int rows, int customers) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE customers (id integer PRIMARY KEY, region text NOT NULL)");
      s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id integer NOT NULL, qty integer NOT NULL)");
      s.execute("ALTER TABLE customers REPLICA IDENTITY FULL");
      s.execute("ALTER TABLE orders REPLICA IDENTITY FULL");
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO customers SELECT g,"
        + " 'r' || lpad((g % ?)::text, 2, '0') FROM generate_series(1, ?) g")) {
      ps.setInt(1, REGIONS);
      ps.setInt(2, customers);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders SELECT g, 1 + (g * 7919) % ?,"
        + " 1 + (g * 31) % 10 FROM generate_series(1, ?) g")) {
      ps.setInt(1, customers);
      ps.setInt(2, rows);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO customers VALUES (?, ?)")) {
      ps.setInt(1, customers + 1);
      ps.setString(2, PROBE_REGION);
      ps.executeUpdate();
    }
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders VALUES (?, ?, 0)")) {
      ps.setLong(1, probeOrder(rows));
      ps.setInt(2, customers + 1);
      ps.executeUpdate();
    }
    try (Statement s = c.createStatement()) {
      // as a database in service would be: vacuumed, so that no backend pays for the first pass
      s.execute("VACUUM (ANALYZE) customers, orders");
    }
  }

  private static long probeOrder(int rows) {
    return rows + 1L;
  }

  /**
   * Commits {@code changes} row changes of orders in transactions of {@code perTxn}, from a fixed seed so that
   * every backend sees the same: 40% move an order to another customer (mostly another region: a group loses a row
   * and another gains one), 20% change its quantity, 20% insert an order, 20% delete one. Each changes exactly one
   * row (checked). Returns the nanoTime just before the first commit; {@code written[0]} is the seconds from then
   * to the last commit's return.
   */
  private static long writeChanges(Connection c, int rows, int customers, int changes, int perTxn, double[] written)
      throws SQLException {
    Random random = new Random(SEED);
    long[] live = new long[rows + changes];
    int liveCount = rows;
    for (int i = 0; i < rows; i++) {
      live[i] = i + 1;
    }
    long nextId = probeOrder(rows) + 1;
    long first = 0;
    c.setAutoCommit(false);
    try (PreparedStatement move = c.prepareStatement("UPDATE orders SET customer_id = ? WHERE id = ?");
         PreparedStatement qty = c.prepareStatement("UPDATE orders SET qty = ? WHERE id = ?");
         PreparedStatement insert = c.prepareStatement("INSERT INTO orders VALUES (?, ?, ?)");
         PreparedStatement delete = c.prepareStatement("DELETE FROM orders WHERE id = ?")) {
      int done = 0;
      while (done < changes) {
        int inTxn = Math.min(perTxn, changes - done);
        for (int i = 0; i < inTxn; i++) {
          int kind = random.nextInt(10);
          if (liveCount == 0) {
            kind = 6; // nothing left to update or delete: insert
          }
          int at = liveCount == 0 ? 0 : random.nextInt(liveCount);
          PreparedStatement ps;
          if (kind < 4) {
            ps = move;
            ps.setInt(1, 1 + random.nextInt(customers));
            ps.setLong(2, live[at]);
          } else if (kind < 6) {
            ps = qty;
            ps.setInt(1, 1 + random.nextInt(10));
            ps.setLong(2, live[at]);
          } else if (kind < 8) {
            ps = insert;
            ps.setLong(1, nextId);
            ps.setInt(2, 1 + random.nextInt(customers));
            ps.setInt(3, 1 + random.nextInt(10));
            live[liveCount++] = nextId++;
          } else {
            ps = delete;
            ps.setLong(1, live[at]);
            live[at] = live[--liveCount];
          }
          if (ps.executeUpdate() != 1) {
            throw new IllegalStateException("a change of the workload did not change exactly one row");
          }
        }
        if (first == 0) {
          first = System.nanoTime();
        }
        c.commit();
        done += inTxn;
      }
      written[0] = (System.nanoTime() - first) / 1e9;
    } finally {
      c.setAutoCommit(true);
    }
    return first;
  }

  /**
   * Commit → visible of {@code samples} one-row updates (after {@link #WARM_UP_SAMPLES} unrecorded ones), sorted:
   * each adds 1 to the probe order's quantity, so the probe region's sum must show exactly one more.
   */
  private static long[] latencies(Connection c, Waiter waiter, int rows, int samples) throws SQLException {
    long expected = waiter.probeSum();
    long[] nanos = new long[samples];
    c.setAutoCommit(false);
    try (PreparedStatement update = c.prepareStatement("UPDATE orders SET qty = qty + 1 WHERE id = ?")) {
      update.setLong(1, probeOrder(rows));
      for (int i = -WARM_UP_SAMPLES; i < samples; i++) {
        if (update.executeUpdate() != 1) {
          throw new IllegalStateException("the probe order is missing");
        }
        expected++;
        long t0 = System.nanoTime();
        c.commit();
        waiter.awaitProbe(expected);
        long elapsed = System.nanoTime() - t0;
        if (i >= 0) {
          nanos[i] = elapsed;
        }
      }
    } finally {
      c.setAutoCommit(true);
    }
    Arrays.sort(nanos);
    return nanos;
  }

  /** Nearest rank of {@code q} in sorted {@code values}. */
  static long percentile(long[] values, double q) {
    int rank = (int) Math.ceil(q * values.length);
    return values[Math.max(0, Math.min(values.length - 1, rank - 1))];
  }

  /**
   * What Flink's log (under {@code flinkWork}) says of the job's parallelism: the subtask counts its task
   * deployments name ({@code "… (1/2)#0 …"}); the configured parallelism is only claimed where the log shows it.
   */
  private static String confirmParallelism(Path flinkWork, int parallelism) throws IOException {
    java.util.SortedSet<Integer> counts = new java.util.TreeSet<>();
    java.util.regex.Pattern subtask = java.util.regex.Pattern.compile("\\((\\d+)/(\\d+)\\)#\\d+");
    try (Stream<Path> files = Files.walk(flinkWork)) {
      for (Path log : files.filter(p -> p.getFileName().toString().equals("flink.log")).toList()) {
        java.util.regex.Matcher m = subtask.matcher(Files.readString(log, StandardCharsets.UTF_8));
        while (m.find()) {
          counts.add(Integer.parseInt(m.group(2)));
        }
      }
    }
    if (counts.isEmpty()) {
      return "parallelism " + parallelism + " configured, NOT confirmed: Flink's log names no subtasks"
          + " (deltaview.flink.logLevel must be info)";
    }
    return counts.equals(new java.util.TreeSet<>(List.of(parallelism)))
        ? "Flink's log: every task has " + parallelism + " subtask" + (parallelism == 1 ? "" : "s")
        : "parallelism " + parallelism + " configured; Flink's log shows tasks with " + counts + " subtasks";
  }

  /**
   * Polls the result table {@code v}: against the query's answer taken into a temporary table while the base
   * tables rest, or for the probe region's sum. For a Flink view, also fails as soon as the view's job is shown
   * failed.
   */
  private static final class Waiter {
    private static final long PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(5);
    private static final long PROBE_PARK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    private static final long STATUS_EVERY_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final Connection plain;
    private final Connection dv;
    private final boolean flink;
    private final long timeoutNanos;
    private long lastStatus = System.nanoTime();

    Waiter(Connection plain, Connection dv, boolean flink, long timeoutNanos) {
      this.plain = plain;
      this.dv = dv;
      this.flink = flink;
      this.timeoutNanos = timeoutNanos;
    }

    /** Takes the query's answer now (the base tables must not change until the next wait ends). */
    void expectQuery() throws SQLException {
      try (Statement s = plain.createStatement()) {
        s.execute("DROP TABLE IF EXISTS pg_temp.expected");
        s.execute("CREATE TEMPORARY TABLE expected AS " + VIEW);
      }
    }

    /** Waits until v holds exactly the rows of the query's answer (EXCEPT ALL both ways empty). */
    void awaitEqual(String what) throws SQLException {
      long start = System.nanoTime();
      try (PreparedStatement ps = plain.prepareStatement("SELECT (SELECT count(*) FROM (SELECT * FROM v EXCEPT ALL"
          + " SELECT * FROM pg_temp.expected) a) + (SELECT count(*) FROM (SELECT * FROM pg_temp.expected EXCEPT ALL"
          + " SELECT * FROM v) b)")) {
        while (true) {
          long differing;
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            differing = rs.getLong(1);
          }
          if (differing == 0) {
            return;
          }
          check(start, what + " (" + differing + " rows differ)");
          LockSupport.parkNanos(PARK_NANOS);
        }
      }
    }

    /** The probe region's sum in v now (v must equal the query). */
    long probeSum() throws SQLException {
      try (PreparedStatement ps = plain.prepareStatement("SELECT qty FROM v WHERE region = ?")) {
        ps.setString(1, PROBE_REGION);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new IllegalStateException("the probe region is not in the result table");
          }
          return rs.getLong(1);
        }
      }
    }

    /** Waits until v shows {@code expected} as the probe region's sum. */
    void awaitProbe(long expected) throws SQLException {
      long start = System.nanoTime();
      try (PreparedStatement ps = plain.prepareStatement("SELECT qty FROM v WHERE region = ?")) {
        ps.setString(1, PROBE_REGION);
        while (true) {
          try (ResultSet rs = ps.executeQuery()) {
            if (rs.next() && rs.getLong(1) == expected) {
              return;
            }
          }
          check(start, "the probe region's sum " + expected);
          LockSupport.parkNanos(PROBE_PARK_NANOS);
        }
      }
    }

    private void check(long start, String what) throws SQLException {
      long now = System.nanoTime();
      if (now - start > timeoutNanos) {
        throw new IllegalStateException("timed out after " + TimeUnit.NANOSECONDS.toSeconds(timeoutNanos)
            + " s waiting for " + what + " in the result table (deltaview.flinkbench.timeout)");
      }
      if (flink && now - lastStatus > STATUS_EVERY_NANOS) {
        lastStatus = now;
        try (Statement s = dv.createStatement(); ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
          while (rs.next()) {
            // snapshotting (its first load) and ready are both fine here; a failed job ends the run
            if (rs.getString("name").equals("public.v") && "failed".equals(rs.getString("status"))) {
              throw new IllegalStateException("the Flink view is " + rs.getString("status") + ": "
                  + rs.getString("last_error"));
            }
          }
        }
      }
    }
  }

  private static void report(List<Result> results) {
    System.out.printf(Locale.ROOT, "%n| backend | CREATE returned | initial load (equal) | changes/s | writer's commits"
        + " | equal after the last commit | commit -> visible p50 | p99 |%n|---|---|---|---|---|---|---|---|%n");
    for (Result r : results) {
      System.out.printf(Locale.ROOT, "| %s | %.2f s | %.2f s | %,.0f | %.2f s | %.2f s | %.2f ms | %.2f ms |%n",
          r.backend(), r.createSeconds(), r.loadSeconds(), r.rate(), r.writerSeconds(),
          r.catchUpSeconds() - r.writerSeconds(), r.p50Millis(), r.p99Millis());
    }
    Result embedded = results.stream().filter(r -> r.backend().equals("embedded")).findFirst().orElse(null);
    if (embedded == null) {
      System.out.println("(no embedded run: no ratios)");
      return;
    }
    for (Result r : results) {
      if (r != embedded) {
        System.out.printf(Locale.ROOT, "%s / embedded: initial load %.1fx, throughput %.2fx, p50 %.1fx,"
            + " p99 %.1fx%s%n", r.backend(), r.loadSeconds() / embedded.loadSeconds(), r.rate() / embedded.rate(),
            r.p50Millis() / embedded.p50Millis(), r.p99Millis() / embedded.p99Millis(),
            r.note().isEmpty() ? "" : " (" + r.note() + ")");
      }
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }

  private static void deleteQuietly(Path root) {
    try (Stream<Path> files = Files.walk(root)) {
      for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    } catch (IOException | UncheckedIOException e) {
      System.err.println("could not delete " + root + ": " + e);
    }
  }
}
