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
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A view maintained by a Flink job on a local MiniCluster (its own JVM) against the project's test PostgreSQL: its
 * result table equals the view's query run on PostgreSQL after the initial snapshot and after random transactions,
 * equals, column types and key included, the result table the embedded engine keeps for the same view, and is
 * exact again after the job's JVM is killed mid-stream and the job resumes from its checkpoint.
 */
class FlinkViewsTest {

  private static final String VIEW = "SELECT c.region, o.status, count(*) AS orders, sum(o.qty) AS qty,"
      + " sum(o.amount) AS amount, sum(o.points) AS points, min(o.placed) AS first_placed, max(o.amount) AS largest"
      + " FROM orders o JOIN customers c ON c.id = o.customer_id"
      + " WHERE c.active AND o.qty BETWEEN 2 AND 4 AND c.region IN ('north', 'south', 'east')"
      + " AND (o.placed IS NULL OR o.placed >= DATE '2026-02-01')"
      + " GROUP BY c.region, o.status";

  private static final String[] REGIONS = {"north", "south", "east", "west"};
  private static final String[] STATUSES = {"new", "paid", "shipped"};

  private final long seed = System.nanoTime();
  private final Random random = new Random(seed);
  private int nextOrder = 1;

  @Test
  void theJobKeepsTheResultTableEqualToTheQueryAndToTheEmbeddedEnginesThroughRandomTransactions() throws Exception {
    PostgresFixture pg = PostgresFixture.get();
    String url = pg.createDatabase("flink_view");
    Path work = Path.of("target", "flink-it", Long.toString(seed)).toAbsolutePath();
    try (Connection c = pg.connect(url)) {
      createTables(c);
      for (int i = 0; i < 200; i++) {
        insertOrder(c);
      }
      // the test server's own password, or (where it trusts local connections and has none) one it never checks
      String password = pg.password().isEmpty() ? "never-shown-" + seed : pg.password();
      FlinkDatabase db = FlinkDatabase.fromJdbcUrl(url, pg.user(), password);
      FlinkSettings settings = FlinkSettings.local(work);
      FlinkView view = FlinkViews.create(c, "public", "by_region", VIEW, db, settings);
      try {
        String commandLine = Files.readString(Path.of("/proc", Long.toString(view.runner().pid()), "cmdline"))
            .replace('\0', ' ');
        assertTrue(commandLine.contains("io.deltaview.flink.job.FlinkJobMain"), commandLine);
        assertFalse(commandLine.contains(password), "the password is not on the Flink JVM's command line");
        assertFalse(view.describeJob().contains(password), view.describeJob());
        awaitEqual(c, "by_region", Duration.ofMinutes(3), view);
        for (int t = 0; t < 60; t++) {
          randomTransaction(c);
        }
        awaitEqual(c, "by_region", Duration.ofMinutes(2), view);

        String engineUrl = "jdbc:deltaview:" + url.substring("jdbc:".length());
        try (Connection d = DriverManager.getConnection(engineUrl, pg.credentials());
             Statement s = d.createStatement()) {
          s.execute("CREATE INCREMENTAL VIEW by_region_engine AS " + VIEW);
          for (int t = 0; t < 20; t++) {
            randomTransaction(c);
          }
          awaitEqual(c, "by_region", Duration.ofMinutes(2), view);
          awaitEqual(c, "by_region_engine", Duration.ofMinutes(2), null);
          assertEquals(shape(c, "by_region_engine"), shape(c, "by_region"), "columns, types and key");
          assertEquals(rows(c, "SELECT * FROM by_region_engine ORDER BY 1, 2"),
              rows(c, "SELECT * FROM by_region ORDER BY 1, 2"), "seed " + seed);
          s.execute("DROP INCREMENTAL VIEW by_region_engine");
        }

        // The Flink JVM dies mid-stream: changes made meanwhile are applied once the job resumes from its last
        // checkpoint and its replication slots.
        for (int t = 0; t < 10; t++) {
          randomTransaction(c);
        }
        view.runner().kill();
        assertFalse(view.runner().isRunning());
      assertFalse(Files.readString(view.runner().log()).contains(password), "the password is not in Flink's log");
        for (int t = 0; t < 30; t++) {
          randomTransaction(c);
        }
        view = FlinkViews.resume(c, "public", "by_region", VIEW, db, settings);
        awaitEqual(c, "by_region", Duration.ofMinutes(2), view);
      } finally {
        view.drop(c);
      }
      assertFalse(view.runner().isRunning());
      assertFalse(Files.readString(view.runner().log()).contains(password), "the password is not in Flink's log");
      assertEquals(List.of(), rows(c, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'dvf%'"));
      assertEquals(List.of(), rows(c, "SELECT pubname FROM pg_publication WHERE pubname LIKE 'dvf%'"));
      assertEquals(List.of(), rows(c, "SELECT 1 FROM pg_class WHERE relname = 'by_region'"));
    }
  }

  @Test
  void baseTablesFlinkCdcCannotReadAndViewsFlinkWouldComputeDifferentlyAreRefusedLeavingNothingBehind()
      throws Exception {
    PostgresFixture pg = PostgresFixture.get();
    String url = pg.createDatabase("flink_refused");
    FlinkDatabase db = FlinkDatabase.fromJdbcUrl(url, pg.user(), pg.password());
    FlinkSettings settings = FlinkSettings.local(Path.of("target", "flink-refused").toAbsolutePath());
    try (Connection c = pg.connect(url); Statement s = c.createStatement()) {
      createTables(c);
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

      assertEquals(List.of(), rows(c, "SELECT 1 FROM pg_class WHERE relname = 'v'"));
      assertEquals(List.of(), rows(c, "SELECT pubname FROM pg_publication"));
      assertEquals(List.of(), rows(c, "SELECT slot_name FROM pg_replication_slots WHERE slot_name LIKE 'dvf%'"));
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

  private static void createTables(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE customers (id integer PRIMARY KEY, region text NOT NULL, active boolean NOT NULL)");
      s.execute("CREATE TABLE orders (id bigint PRIMARY KEY, customer_id integer NOT NULL,"
          + " amount numeric(10,2) NOT NULL, qty integer NOT NULL, points bigint, status text NOT NULL, placed date)");
      s.execute("ALTER TABLE customers REPLICA IDENTITY FULL");
      s.execute("ALTER TABLE orders REPLICA IDENTITY FULL");
      for (int id = 1; id <= 20; id++) {
        s.execute("INSERT INTO customers VALUES (" + id + ", '" + REGIONS[id % REGIONS.length] + "', "
            + (id % 5 != 0) + ")");
      }
    }
  }

  private void insertOrder(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO orders VALUES (?, ?, ?, ?, ?, ?, ?)")) {
      ps.setLong(1, nextOrder++);
      ps.setInt(2, 1 + random.nextInt(22)); // 21 and 22 have no customer until a transaction adds them
      ps.setBigDecimal(3, java.math.BigDecimal.valueOf(random.nextInt(100_000), 2));
      ps.setInt(4, random.nextInt(6));
      if (random.nextInt(5) == 0) {
        ps.setNull(5, java.sql.Types.BIGINT);
      } else {
        ps.setLong(5, random.nextLong() >> 4);
      }
      ps.setString(6, STATUSES[random.nextInt(STATUSES.length)]);
      if (random.nextInt(4) == 0) {
        ps.setNull(7, java.sql.Types.DATE);
      } else {
        ps.setObject(7, LocalDate.of(2026, 1, 1).plusDays(random.nextInt(300)));
      }
      ps.executeUpdate();
    }
  }

  /** One to five random changes of both tables, committed together. */
  private void randomTransaction(Connection c) throws SQLException {
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      int changes = 1 + random.nextInt(5);
      for (int i = 0; i < changes; i++) {
        long order = 1 + random.nextInt(nextOrder);
        switch (random.nextInt(8)) {
          case 0, 1 -> insertOrder(c);
          case 2 -> s.execute("UPDATE orders SET qty = " + random.nextInt(6) + ", amount = amount + 1.25"
              + " WHERE id = " + order);
          case 3 -> s.execute("UPDATE orders SET status = '" + STATUSES[random.nextInt(STATUSES.length)]
              + "', customer_id = " + (1 + random.nextInt(22)) + " WHERE id = " + order);
          case 4 -> s.execute("DELETE FROM orders WHERE id = " + order);
          case 5 -> s.execute("UPDATE customers SET active = NOT active WHERE id = " + (1 + random.nextInt(20)));
          case 6 -> s.execute("UPDATE customers SET region = '" + REGIONS[random.nextInt(REGIONS.length)]
              + "' WHERE id = " + (1 + random.nextInt(20)));
          default -> {
            int id = 21 + random.nextInt(2);
            if (random.nextBoolean()) {
              s.execute("INSERT INTO customers VALUES (" + id + ", 'north', true) ON CONFLICT (id) DO NOTHING");
            } else {
              s.execute("DELETE FROM customers WHERE id = " + id);
            }
          }
        }
      }
      if (random.nextInt(10) == 0) {
        c.rollback();
      } else {
        c.commit();
      }
    } finally {
      c.setAutoCommit(true);
    }
  }

  /** Waits until {@code table} holds exactly what the view's query returns now, failing after {@code timeout}. */
  private void awaitEqual(Connection c, String table, Duration timeout, FlinkView view) throws Exception {
    List<List<String>> expected = rows(c, VIEW + " ORDER BY 1, 2");
    long deadline = System.nanoTime() + timeout.toNanos();
    List<List<String>> actual;
    while (!(actual = rows(c, "SELECT * FROM " + table + " ORDER BY 1, 2")).equals(expected)) {
      if (view != null) {
        assertTrue(view.runner().isRunning(), "the Flink job failed: " + view.runner().failure() + " (log "
            + view.runner().log() + ")");
      }
      if (System.nanoTime() > deadline) {
        assertEquals(expected, actual, table + " after " + timeout.toSeconds() + " s, seed " + seed);
      }
      Thread.sleep(200); // polling interval of the condition above, not a synchronisation
    }
  }

  private static List<List<String>> shape(Connection c, String table) throws SQLException {
    List<List<String>> out = rows(c, "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text"
        + " FROM pg_attribute a WHERE a.attrelid = '" + table + "'::regclass AND a.attnum > 0 ORDER BY a.attnum");
    out.addAll(rows(c, "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
        + " AND a.attnum = ANY (i.indkey) WHERE i.indrelid = '" + table + "'::regclass AND i.indisprimary"
        + " ORDER BY a.attnum"));
    return out;
  }

  private static List<List<String>> rows(Connection c, String sql) throws SQLException {
    List<List<String>> out = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
    }
    return out;
  }
}
