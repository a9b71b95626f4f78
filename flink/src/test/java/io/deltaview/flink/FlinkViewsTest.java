package io.deltaview.flink;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.fixture.PostgresFixture;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/**
 * A view created with {@code CREATE INCREMENTAL VIEW … WITH (engine = 'flink')} through the driver, maintained by a
 * Flink job on a local MiniCluster (its own JVM) against the project's test PostgreSQL: its result table equals
 * the view's query run on PostgreSQL after the initial snapshot and after random transactions,
 * and equals, column types and key included, the result table the embedded engine keeps for the same view. Also
 * what is refused before anything is created, and that Flink stays off this side's class path.
 */
class FlinkViewsTest {

  @Test
  void aViewCreatedWithEngineFlinkKeepsItsResultTableEqualToTheQueryAndToTheEmbeddedEngines() throws Exception {
    ShopTables shop = new ShopTables();
    PostgresFixture pg = PostgresFixture.get();
    String url = pg.createDatabase("flink_view");
    // The engine (and so the Flink job) runs with this connection's credentials: the test server's own password,
    // or, where it trusts local connections and has none, one it never checks.
    Properties credentials = pg.credentials();
    String password = pg.password().isEmpty() ? "never-shown-" + shop.seed : pg.password();
    credentials.setProperty("password", password);
    System.setProperty("deltaview.flink.workDir", workDirectory(shop).toString());
    try (Connection c = pg.connect(url);
         Connection d = DriverManager.getConnection("jdbc:deltaview:" + url.substring("jdbc:".length()), credentials);
         Statement s = d.createStatement()) {
      ShopTables.createTables(c);
      for (int i = 0; i < 200; i++) {
        shop.insertOrder(c);
      }
      assertEquals("22023", assertThrows(SQLException.class, () -> s.execute(
          "CREATE INCREMENTAL VIEW v WITH (engine = 'spark') AS " + ShopTables.VIEW)).getSQLState());
      assertEquals("0A000", assertThrows(SQLException.class, () -> s.execute("CREATE INCREMENTAL VIEW v"
          + " WITH (engine = 'flink') AS SELECT status, avg(qty) AS q FROM orders GROUP BY status")).getSQLState());

      s.execute("CREATE INCREMENTAL VIEW by_region WITH (engine = 'flink') AS " + ShopTables.VIEW);
      FlinkView view = FlinkViewBackend.running().stream().filter(v -> v.name().equals("by_region")).findFirst()
          .orElseThrow();
      LocalFlinkRunner runner = (LocalFlinkRunner) view.runner();
      String commandLine = Files.readString(Path.of("/proc", Long.toString(runner.pid()), "cmdline"))
          .replace('\0', ' ');
      assertTrue(commandLine.contains("io.deltaview.flink.job.FlinkJobMain"), commandLine);
      assertFalse(commandLine.contains(password), "the password is not on the Flink JVM's command line");
      assertFalse(view.describeJob().contains(password), view.describeJob());

      List<String> shown = shown(s, "public.by_region");
      assertTrue(List.of("snapshotting", "ready").contains(shown.get(0)), "status: " + shown);
      assertEquals("flink", shown.get(1), "state_source: " + shown);
      assertTrue(shown.get(2).startsWith("Flink job " + view.runner().jobId()), "progress: " + shown);
      List<String> explained = ShopTables.rows(d, "EXPLAIN INCREMENTAL VIEW by_region").stream()
          .map(r -> r.get(0)).toList();
      assertTrue(explained.get(0).startsWith("Flink job " + view.runner().jobId()), "EXPLAIN: " + explained);
      assertTrue(explained.stream().anyMatch(l -> l.startsWith("INSERT INTO")), "EXPLAIN: " + explained);
      assertFalse(String.join("\n", explained).contains(password), "the password is not in EXPLAIN");

      // Recorded ready only once the first load is in the result table: nothing was written since the CREATE, so
      // the table must equal the query the moment it is ready.
      awaitShown(s, "public.by_region", "ready", Duration.ofMinutes(3), view);
      assertEquals(ShopTables.rows(c, ShopTables.VIEW + " ORDER BY 1, 2"),
          ShopTables.rows(c, "SELECT * FROM by_region ORDER BY 1, 2"), "ready before its first load was in");
      assertServedToEventualReadsOnly(url, credentials, c, "the process that maintains");
      java.util.Map<String, String> slots = showColumns(s, "public.by_region", "applied_lsn", "wal_status",
          "retained_wal_bytes");
      assertTrue(slots.get("applied_lsn") != null && slots.get("wal_status") != null
          && slots.get("retained_wal_bytes") != null, "the job's slots in SHOW: " + slots);
      try (Connection none = DriverManager.getConnection("jdbc:deltaview:" + url.substring("jdbc:".length()),
          with(credentials, "deltaview.engine", "none")); Statement n = none.createStatement()) {
        assertEquals(List.of("ready", "flink"), shown(n, "public.by_region").subList(0, 2),
            "SHOW in a process that does not maintain");
        List<String> there = ShopTables.rows(none, "EXPLAIN INCREMENTAL VIEW by_region").stream()
            .map(r -> r.get(0)).toList();
        assertTrue(there.get(0).startsWith("maintained by engine flink"), "EXPLAIN elsewhere: " + there);
        assertServedToEventualReadsOnly(url, with(credentials, "deltaview.engine", "none"), c,
            "a process that does not maintain");
      }
      shop.awaitEqual(c, "by_region", Duration.ofMinutes(3), view);
      for (int t = 0; t < 60; t++) {
        shop.randomTransaction(c);
      }
      shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), view);
      awaitLag(s, view);

      s.execute("CREATE INCREMENTAL VIEW by_region_engine AS " + ShopTables.VIEW);
      for (int t = 0; t < 20; t++) {
        shop.randomTransaction(c);
      }
      shop.awaitEqual(c, "by_region", Duration.ofMinutes(2), view);
      shop.awaitEqual(c, "by_region_engine", Duration.ofMinutes(2), null);
      assertEquals(ShopTables.shape(c, "by_region_engine"), ShopTables.shape(c, "by_region"),
          "columns, types and key");
      assertEquals(ShopTables.rows(c, "SELECT * FROM by_region_engine ORDER BY 1, 2"),
          ShopTables.rows(c, "SELECT * FROM by_region ORDER BY 1, 2"), "seed " + shop.seed);
      s.execute("DROP INCREMENTAL VIEW by_region_engine");

      assertEquals("42P07", assertThrows(SQLException.class, () -> s.execute(
          "CREATE INCREMENTAL VIEW by_region WITH (engine = 'flink') AS " + ShopTables.VIEW)).getSQLState());
      s.execute("CREATE INCREMENTAL VIEW IF NOT EXISTS by_region WITH (engine = 'flink') AS " + ShopTables.VIEW);
      s.execute("DROP INCREMENTAL VIEW by_region");
      assertFalse(view.runner().isRunning(), "DROP stopped the job");
      assertFalse(Files.readString(runner.log()).contains(password), "the password is not in Flink's log");
      assertNothingLeft(c);
      assertEquals(List.of(), ShopTables.rows(c, "SELECT * FROM deltaview.backend_views"));
      assertEquals(null, shown(s, "public.by_region"), "SHOW after the drop");
      assertEquals("42P01", assertThrows(SQLException.class, () -> s.executeQuery(
          "EXPLAIN INCREMENTAL VIEW by_region")).getSQLState(), "EXPLAIN after the drop");
      assertEquals("42P01", assertThrows(SQLException.class, () -> s.execute("DROP INCREMENTAL VIEW by_region"))
          .getSQLState());
    } finally {
      System.clearProperty("deltaview.flink.workDir");
    }
  }

  /**
   * Through a driver connection with {@code credentials}: the view's query is answered from the Flink view for an
   * eventual read (EXPLAIN says so, and the rows are PostgreSQL's: nothing was written since the view was ready),
   * and passes through for a strong one, as not proven fresh. The rewriter learns of the view within seconds.
   */
  private static void assertServedToEventualReadsOnly(String url, Properties credentials, Connection plain,
      String where) throws Exception {
    String dv = "jdbc:deltaview:" + url.substring("jdbc:".length());
    String query = ShopTables.VIEW;
    try (Connection eventual = DriverManager.getConnection(dv, credentials);
         Connection strong = DriverManager.getConnection(dv, with(credentials, "deltaview.consistency", "strong"))) {
      long deadline = System.nanoTime() + Duration.ofSeconds(20).toNanos();
      List<String> plan;
      while (!(plan = ShopTables.rows(eventual, "EXPLAIN INCREMENTAL " + query).get(0)).get(0).equals("t")) {
        assertTrue(System.nanoTime() < deadline, where + ": not rewritten to the Flink view: " + plan);
        Thread.sleep(200); // polling interval of the condition above, not a synchronisation
      }
      assertEquals("public.by_region", plan.get(1), where + ": " + plan);
      assertEquals(ShopTables.rows(plain, query + " ORDER BY 1, 2"),
          ShopTables.rows(eventual, query + " ORDER BY 1, 2"), where + ": an eventual read");
      long before = notProvenFresh();
      assertEquals(ShopTables.rows(plain, query + " ORDER BY 1, 2"),
          ShopTables.rows(strong, query + " ORDER BY 1, 2"), where + ": a strong read");
      assertEquals(before + 1, notProvenFresh(), where + ": the strong read passed through, as not proven fresh");
    }
  }

  private static long notProvenFresh() {
    return io.deltaview.driver.metrics.RouteStats.all().values().stream()
        .mapToLong(r -> r.passedThroughCount(io.deltaview.driver.metrics.RouteStats.PassThrough.NOT_PROVEN_FRESH))
        .sum();
  }

  private static Properties with(Properties base, String key, String value) {
    Properties p = new Properties();
    p.putAll(base);
    p.setProperty(key, value);
    return p;
  }

  /** Waits until SHOW INCREMENTAL VIEWS says view {@code name} is {@code status}, while its job runs. */
  private static void awaitShown(Statement s, String name, String status, Duration timeout, FlinkView view)
      throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    List<String> shown;
    while (!(shown = shown(s, name)).get(0).equals(status)) {
      assertTrue(view.runner().isRunning(), "the Flink job failed: " + view.runner().failure());
      assertTrue(System.nanoTime() < deadline, name + " not " + status + " after " + timeout.toSeconds() + " s: "
          + shown);
      Thread.sleep(200); // polling interval of the condition above, not a synchronisation
    }
  }

  /**
   * Waits (at most 30 s: the job reports once a second) until SHOW gives view by_region a lag, once changes
   * flowed: a whole number of milliseconds, below a minute on any machine these tests run on.
   */
  private static void awaitLag(Statement s, FlinkView view) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    String lag;
    while ((lag = showColumns(s, "public.by_region", "lag_ms").get("lag_ms")) == null) {
      assertTrue(view.runner().isRunning(), "the Flink job failed: " + view.runner().failure());
      assertTrue(System.nanoTime() < deadline, "no lag_ms in SHOW 30 s after changes flowed");
      Thread.sleep(200); // polling interval of the condition above, not a synchronisation
    }
    long ms = Long.parseLong(lag);
    assertTrue(ms > 0 && ms < 60_000, "lag_ms " + ms);
  }

  /** Columns of view {@code name}'s row of SHOW INCREMENTAL VIEWS, by column name. */
  private static java.util.Map<String, String> showColumns(Statement s, String name, String... columns)
      throws SQLException {
    java.util.Map<String, String> out = new java.util.HashMap<>();
    try (java.sql.ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      while (rs.next()) {
        if (rs.getString("name").equals(name)) {
          for (String column : columns) {
            out.put(column, rs.getString(column));
          }
        }
      }
    }
    return out;
  }

  /** SHOW INCREMENTAL VIEWS' status, state_source and progress of view {@code name}, or null if it is not shown. */
  private static List<String> shown(Statement s, String name) throws SQLException {
    try (java.sql.ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      while (rs.next()) {
        if (rs.getString("name").equals(name)) {
          return java.util.Arrays.asList(rs.getString("status"), rs.getString("state_source"),
              rs.getString("progress"));
        }
      }
    }
    return null;
  }

  static Path workDirectory(ShopTables shop) {
    return Path.of("target", "flink-views", Long.toString(shop.seed)).toAbsolutePath();
  }

  /** No slot (slots are per server: only this database's view's), publication or result table of view by_region. */
  static void assertNothingLeft(Connection c) throws SQLException {
    String prefix = FlinkViews.replicationName(c.getCatalog(), "public", "by_region");
    assertEquals(List.of(), ShopTables.rows(c, "SELECT slot_name FROM pg_replication_slots"
        + " WHERE slot_name LIKE '" + prefix + "%'"));
    assertEquals(List.of(), ShopTables.rows(c, "SELECT pubname FROM pg_publication WHERE pubname LIKE 'dvf%'"));
    assertEquals(List.of(), ShopTables.rows(c, "SELECT 1 FROM pg_class WHERE relname = 'by_region'"));
  }

  @Test
  void baseTablesFlinkCdcCannotReadAndViewsFlinkWouldComputeDifferentlyAreRefusedLeavingNothingBehind()
      throws Exception {
    PostgresFixture pg = PostgresFixture.get();
    String url = pg.createDatabase("flink_refused");
    FlinkDatabase db = FlinkDatabase.fromJdbcUrl(url, pg.user(), pg.password());
    FlinkSettings settings = FlinkSettings.local(Path.of("target", "flink-refused").toAbsolutePath());
    try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
      ShopTables.createTables(c);
      s.execute("ALTER TABLE customers REPLICA IDENTITY DEFAULT");
      SQLException identity = assertThrows(SQLException.class, () -> FlinkViews.create(c, "public", "v",
          "SELECT region, count(*) AS n FROM customers GROUP BY region", db, settings));
      assertEquals("55000", identity.getSQLState());
      assertTrue(identity.getMessage().contains("REPLICA IDENTITY FULL"), identity.getMessage());

      s.execute("CREATE TABLE keyless (id integer NOT NULL, v integer)");
      s.execute("ALTER TABLE keyless REPLICA IDENTITY FULL");
      SQLException keyless = assertThrows(SQLException.class, () -> FlinkViews.create(c, "public", "v",
          "SELECT id, count(*) AS n FROM keyless GROUP BY id", db, settings));
      assertEquals("55000", keyless.getSQLState());
      assertTrue(keyless.getMessage().contains("no primary key"), keyless.getMessage());

      SQLException average = assertThrows(SQLException.class, () -> FlinkViews.create(c, "public", "v",
          "SELECT customer_id, avg(qty) AS q FROM orders GROUP BY customer_id", db, settings));
      assertEquals("0A000", average.getSQLState());
      assertTrue(average.getMessage().contains("AVG"), average.getMessage());

      SQLException reserved = assertThrows(SQLException.class, () -> FlinkViews.create(c, "public", "v",
          "SELECT customer_id AS \"order\", count(*) AS n FROM orders GROUP BY customer_id", db, settings));
      assertEquals("0A000", reserved.getSQLState());
      assertTrue(reserved.getMessage().contains("order"), reserved.getMessage());

      SQLException unknown = assertThrows(SQLException.class, () -> FlinkViews.create(c, "public", "v",
          "SELECT nope FROM orders", db, settings));
      assertEquals("42703", unknown.getSQLState(), unknown.getMessage());

      assertEquals(List.of(), ShopTables.rows(c, "SELECT 1 FROM pg_class WHERE relname = 'v'"));
      assertEquals(List.of(), ShopTables.rows(c, "SELECT pubname FROM pg_publication"));
      assertEquals(List.of(), ShopTables.rows(c, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE '"
          + FlinkViews.replicationName(c.getCatalog(), "public", "v") + "%'"));
    }
  }

  @Test
  void flinkIsNotOnTheClassPathOfTheEngineSide() {
    assertThrows(ClassNotFoundException.class, () -> Class.forName("org.apache.flink.table.api.TableEnvironment"));
    assertThrows(ClassNotFoundException.class,
        () -> Class.forName("org.apache.flink.cdc.connectors.postgres.table.PostgreSQLTableFactory"));
    assertFalse(org.postgresql.Driver.getVersion().contains("42.7.4"), org.postgresql.Driver.getVersion());
    assertTrue(LocalFlinkRunner.jobClassPath().stream().anyMatch(e -> e.endsWith("postgresql-42.7.4.jar")),
        "the Flink JVM's class path has the job's own pgjdbc");
  }
}
