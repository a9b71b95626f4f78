package io.deltaview.flink;

import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.ddl.ViewRegistration;
import io.deltaview.rewriter.sql.DefinitionSql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * Customers and orders for the Flink view tests: the tables (with primary keys and REPLICA IDENTITY FULL), random
 * transactions over them from a seed the failures name, the view they maintain, and the check that a result table
 * holds what the view's query returns.
 */
final class ShopTables {

  static final String VIEW = "SELECT c.region, o.status, count(*) AS orders, sum(o.qty) AS qty,"
      + " sum(o.amount) AS amount, sum(o.points) AS points, min(o.placed) AS first_placed, max(o.amount) AS largest"
      + " FROM orders o JOIN customers c ON c.id = o.customer_id"
      + " WHERE c.active AND o.qty BETWEEN 2 AND 4 AND c.region IN ('north', 'south', 'east')"
      + " AND (o.placed IS NULL OR o.placed >= DATE '2026-02-01')"
      + " GROUP BY c.region, o.status HAVING count(*) > 5";

  private static final String[] REGIONS = {"north", "south", "east", "west"};
  private static final String[] STATUSES = {"new", "paid", "shipped"};

  final long seed = System.nanoTime();
  private final Random random = new Random(seed);
  private int nextOrder = 1;

  static void createTables(Connection c) throws SQLException {
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

  void insertOrder(Connection c) throws SQLException {
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
  void randomTransaction(Connection c) throws SQLException {
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
  void awaitEqual(Connection c, String table, Duration timeout, FlinkView view) throws Exception {
    List<List<String>> expected = rows(c, VIEW + " ORDER BY 1, 2");
    long deadline = System.nanoTime() + timeout.toNanos();
    List<List<String>> actual;
    while (!(actual = rows(c, "SELECT * FROM " + table + " ORDER BY 1, 2")).equals(expected)) {
      if (view != null) {
        assertTrue(view.runner().isRunning(), view.runner().describe() + ": " + view.runner().failure());
      }
      if (System.nanoTime() > deadline) {
        assertEquals(expected, actual, table + " after " + timeout.toSeconds() + " s, seed " + seed);
      }
      Thread.sleep(200); // polling interval of the condition above, not a synchronisation
    }
  }

  /**
   * What the engine does before it asks a backend for view {@code by_region} over {@link #VIEW}: records it
   * ({@code deltaview.backend_views}, status {@code snapshotting}) as {@code requester} asked for it.
   */
  static ViewRecord recordByRegion(Connection c, Requester requester) throws SQLException {
    Catalog.ensureExists(c);
    String definition = DefinitionSql.canonical(VIEW);
    ViewRecord record = new ViewRecord("public", "by_region", definition,
        ViewRegistration.baseTables(c, requester.searchPath(), requester.timeZone(), definition), "sql",
        ViewState.SNAPSHOTTING, null, requester.searchPath(), requester.role(), requester.timeZone());
    BackendViews.insert(c, "flink", record);
    return record;
  }

  /** Waits (at most three minutes) until the backend recorded view by_region as {@code state}. */
  static void awaitRecorded(Connection c, ViewState state) throws Exception {
    long deadline = System.nanoTime() + Duration.ofMinutes(3).toNanos();
    while (true) {
      BackendViews.BackendView v = BackendViews.find(c, "public", "by_region");
      if (v != null && v.view().status() == state) {
        return;
      }
      assertTrue(System.nanoTime() < deadline, "by_region was not recorded " + state + " within 3 minutes: "
          + (v == null ? "no record" : v.view().status() + " " + v.view().lastError()));
      Thread.sleep(200); // polling interval of the condition above, not a synchronisation
    }
  }

  static List<List<String>> shape(Connection c, String table) throws SQLException {
    List<List<String>> out = rows(c, "SELECT a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull::text"
        + " FROM pg_attribute a WHERE a.attrelid = '" + table + "'::regclass AND a.attnum > 0 ORDER BY a.attnum");
    out.addAll(rows(c, "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid"
        + " AND a.attnum = ANY (i.indkey) WHERE i.indrelid = '" + table + "'::regclass AND i.indisprimary"
        + " ORDER BY a.attnum"));
    return out;
  }

  static List<List<String>> rows(Connection c, String sql) throws SQLException {
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
