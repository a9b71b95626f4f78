package io.deltaview.it;

import java.sql.Connection;
import java.sql.Driver;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Properties;

/**
 * Run by {@link ShadedJarTest} in a child JVM whose class path is only {@code deltaview-driver-all.jar} and the
 * directory holding this class: an application that knows nothing but {@code java.sql}. Deliberately uses no
 * other project or test class (nothing else is on that class path), and reaches pgjdbc only reflectively.
 *
 * <p>Arguments: {@code jdbc:deltaview:postgresql://...} URL of a fresh, empty database, user, [password].
 * Prints {@code SCENARIO OK} and exits 0 on success; prints the failure and exits 1 otherwise.
 */
public final class ShadedJarScenario {

  static final String VIEW = "region_totals";
  static final String QUERY = "SELECT c.region, count(*) AS n, sum(o.amount) AS total"
      + " FROM orders o JOIN customers c ON o.customer_id = c.id WHERE o.amount > 0 GROUP BY c.region";
  static final String FILTERED = "SELECT c.region, count(*) AS n, sum(o.amount) AS total"
      + " FROM orders o JOIN customers c ON o.customer_id = c.id WHERE o.amount > 0 AND c.region = ? GROUP BY c.region";
  static final String ROLLUP = "SELECT count(*) AS n, sum(o.amount) AS total"
      + " FROM orders o JOIN customers c ON o.customer_id = c.id WHERE o.amount > 0";
  static final long WAIT_MS = 60_000;

  private ShadedJarScenario() {
  }

  public static void main(String[] args) {
    int code;
    try {
      run(args);
      System.out.println("SCENARIO OK");
      code = 0;
    } catch (Throwable e) {
      System.out.println("SCENARIO FAILED: " + e);
      e.printStackTrace(System.out);
      code = 1;
    }
    System.out.flush();
    // The embedded engine's threads must not keep the JVM alive, whatever happened.
    System.exit(code);
  }

  static void run(String[] args) throws Exception {
    String url = args[0];
    Properties props = new Properties();
    props.setProperty("user", args[1]);
    if (args.length > 2 && !args[2].isEmpty()) {
      props.setProperty("password", args[2]);
    }
    Properties off = new Properties();
    off.putAll(props);
    off.setProperty("deltaview.mode", "off");

    step("drivers registered through META-INF/services/java.sql.Driver (no Class.forName)");
    String pgUrl = "jdbc:" + url.substring("jdbc:deltaview:".length());
    Driver dvDriver = DriverManager.getDriver(url);
    check("io.deltaview.driver.DeltaviewDriver".equals(dvDriver.getClass().getName()),
        "driver for " + url + " is " + dvDriver.getClass().getName());
    Driver pgDriver = DriverManager.getDriver(pgUrl);
    check("org.postgresql.Driver".equals(pgDriver.getClass().getName()),
        "driver for " + pgUrl + " is " + pgDriver.getClass().getName());

    try (Connection dv = DriverManager.getConnection(url, props);
         Connection plain = DriverManager.getConnection(url, off)) {
      step("schema and data (through a deltaview.mode=off connection)");
      exec(plain, "CREATE TABLE customers (id int PRIMARY KEY, region text NOT NULL)");
      exec(plain, "CREATE TABLE orders (id int PRIMARY KEY, customer_id int NOT NULL, amount numeric(12,2))");
      exec(plain, "INSERT INTO customers VALUES (1, 'north'), (2, 'south'), (3, 'east'), (4, 'north')");
      exec(plain, "INSERT INTO orders SELECT g, 1 + g % 4, (g * 7 % 50) + 0.25 FROM generate_series(1, 200) g");

      step("CREATE INCREMENTAL VIEW (join + GROUP BY)");
      exec(dv, "CREATE INCREMENTAL VIEW " + VIEW + " AS " + QUERY);

      step("EXPLAIN INCREMENTAL");
      List<List<String>> explain = rows(dv, "EXPLAIN INCREMENTAL " + QUERY);
      check(explain.size() == 1, "EXPLAIN INCREMENTAL returned " + explain);
      List<String> plan = explain.get(0);
      check("t".equals(plan.get(0)) || "true".equals(plan.get(0)), "not rewritten: " + plan);
      check(plan.get(1) != null && plan.get(1).endsWith(VIEW), "rewritten to another view: " + plan);

      step("query through the driver equals the query on PostgreSQL and the result table");
      assertFresh(dv, plain, "after the initial snapshot");
      List<List<String>> ordered = rows(dv, QUERY + " ORDER BY 1");
      check(ordered.size() == 3, "expected 3 regions, got " + ordered);
      check(rewritten(dv, FILTERED.replace("?", "'north'")), "filter on a group key not rewritten");
      check(rewritten(dv, ROLLUP), "roll-up to no grouping not rewritten");
      try (PreparedStatement ps = dv.prepareStatement(FILTERED)) {
        ps.setString(1, "north");
        try (ResultSet rs = ps.executeQuery()) {
          check(rs.next() && "north".equals(rs.getString(1)) && rs.getLong(2) > 0 && !rs.next(),
              "prepared statement with a parameter through the driver");
        }
      }
      check(rows(dv, ROLLUP).equals(rows(plain, ROLLUP)), "roll-up differs: " + rows(dv, ROLLUP)
          + " vs " + rows(plain, ROLLUP));

      step("inserts, updates, deletes");
      exec(plain, "INSERT INTO customers VALUES (5, 'west')");
      exec(plain, "INSERT INTO orders VALUES (1005, 5, 12.50), (1006, 5, 7.25), (1003, 2, 100.00)");
      exec(plain, "UPDATE orders SET amount = amount + 1 WHERE id % 10 = 0");
      exec(plain, "UPDATE orders SET customer_id = 3 WHERE id BETWEEN 20 AND 40");
      exec(plain, "UPDATE customers SET region = 'south' WHERE id = 4");
      exec(plain, "DELETE FROM orders WHERE id % 7 = 0");
      exec(plain, "UPDATE orders SET amount = -1 WHERE id = 1006");
      assertFresh(dv, plain, "after the changes");
      List<List<String>> regions = rows(dv, QUERY + " ORDER BY 1");
      check(regions.size() == 4 && "west".equals(regions.get(regions.size() - 1).get(0)),
          "expected east, north, south, west; got " + regions);

      step("errors and pass-through (Calcite's validator and parser error paths and their resources)");
      expectError(dv, "CREATE INCREMENTAL VIEW bad_window AS SELECT o.id, ntile(3) OVER (ORDER BY o.amount) AS t"
          + " FROM orders o", "0A000");
      expectError(dv, "CREATE INCREMENTAL VIEW bad_missing AS SELECT id FROM no_such_table", "42P01");
      expectError(dv, "CREATE INCREMENTAL VIEW bad_syntax AS SELEC id FROM orders", "42601");
      for (String other : new String[] {
          "SELECT $q$dollar$q$ AS s, 'a' ~ 'a' AS m",
          "SELECT c.region, count(*) FILTER (WHERE o.amount > 10) AS n FROM orders o JOIN customers c"
              + " ON o.customer_id = c.id GROUP BY c.region",
          "SELECT c.region, count(*) AS n FROM orders o JOIN customers c ON o.customer_id = c.id"
              + " WHERE o.amount > 0 AND no_such_column = 1 GROUP BY c.region"}) {
        List<String> otherPlan = rows(dv, "EXPLAIN INCREMENTAL " + other).get(0);
        System.out.println("   EXPLAIN INCREMENTAL " + other + " -> " + otherPlan);
        check(!"t".equals(otherPlan.get(0)) && !"true".equals(otherPlan.get(0)) && otherPlan.get(3) != null
            && !otherPlan.get(3).contains("MissingResource"), "unexpected plan for " + other + ": " + otherPlan);
        String direct;
        String served;
        try {
          direct = String.valueOf(sorted(rows(plain, other)));
        } catch (SQLException e) {
          direct = e.getSQLState();
        }
        try {
          served = String.valueOf(sorted(rows(dv, other)));
        } catch (SQLException e) {
          served = e.getSQLState();
        }
        check(direct.equals(served), "pass-through of " + other + ": " + served + " instead of " + direct);
      }

      step("SHOW INCREMENTAL VIEWS");
      List<List<String>> show = rows(dv, "SHOW INCREMENTAL VIEWS");
      check(show.size() == 1, "SHOW INCREMENTAL VIEWS returned " + show);
      check(show.get(0).get(0).endsWith(VIEW) && "ready".equals(show.get(0).get(1)),
          "SHOW INCREMENTAL VIEWS returned " + show);

      step("unwrap to pgjdbc's public API (org.postgresql, not relocated)");
      Class<?> pgConnection = Class.forName("org.postgresql.PGConnection");
      check(dv.isWrapperFor(pgConnection), "isWrapperFor(PGConnection) is false");
      Object pg = dv.unwrap(pgConnection);
      check(pgConnection.isInstance(pg), "unwrap returned " + pg);
      Object pid = pgConnection.getMethod("getBackendPID").invoke(pg);
      check(pid instanceof Integer && (Integer) pid > 0, "getBackendPID() returned " + pid);

      step("DROP INCREMENTAL VIEW");
      exec(dv, "DROP INCREMENTAL VIEW " + VIEW);
      check(rows(dv, "SHOW INCREMENTAL VIEWS").isEmpty(), "view still listed after DROP");
      List<List<String>> after = rows(dv, "EXPLAIN INCREMENTAL " + QUERY);
      check(!"t".equals(after.get(0).get(0)) && !"true".equals(after.get(0).get(0)),
          "still rewritten after DROP: " + after);
      check(sorted(rows(dv, QUERY)).equals(sorted(rows(plain, QUERY))), "pass-through answer differs after DROP");
    }
  }

  /** Bounded polling until the driver's (rewritten) answer and the result table both equal PostgreSQL's. */
  static void assertFresh(Connection dv, Connection plain, String when) throws Exception {
    long deadline = System.currentTimeMillis() + WAIT_MS;
    String problem;
    do {
      List<List<String>> expected = sorted(rows(plain, QUERY));
      List<List<String>> table = sorted(rows(plain, "SELECT * FROM " + VIEW));
      List<List<String>> served = sorted(rows(dv, QUERY));
      if (!table.equals(expected)) {
        problem = "result table " + table + " but the query gives " + expected;
      } else if (!served.equals(expected)) {
        problem = "through the driver " + served + " but the query gives " + expected;
      } else {
        return;
      }
      Thread.sleep(100);
    } while (System.currentTimeMillis() < deadline);
    throw new AssertionError("not fresh " + when + " within " + WAIT_MS + " ms: " + problem);
  }

  static boolean rewritten(Connection c, String query) throws SQLException {
    List<String> plan = rows(c, "EXPLAIN INCREMENTAL " + query).get(0);
    System.out.println("   EXPLAIN INCREMENTAL " + query + " -> " + plan);
    return "t".equals(plan.get(0)) || "true".equals(plan.get(0));
  }

  static void expectError(Connection c, String sql, String sqlState) {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      System.out.println("   " + sql + " -> [" + e.getSQLState() + "] " + e.getMessage());
      check(sqlState.equals(e.getSQLState()), sql + " failed with " + e.getSQLState() + " instead of " + sqlState
          + ": " + e.getMessage());
      return;
    }
    throw new AssertionError(sql + " succeeded; expected SQLState " + sqlState);
  }

  static void step(String what) {
    System.out.println("-- " + what);
  }

  static void check(boolean ok, String message) {
    if (!ok) {
      throw new AssertionError(message);
    }
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    } catch (SQLException e) {
      throw new SQLException(sql + ": " + e.getMessage() + " [" + e.getSQLState() + "]", e.getSQLState(), e);
    }
  }

  static List<List<String>> rows(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      ResultSetMetaData md = rs.getMetaData();
      List<List<String>> out = new ArrayList<>();
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
      return out;
    } catch (SQLException e) {
      throw new SQLException(sql + ": " + e.getMessage() + " [" + e.getSQLState() + "]", e.getSQLState(), e);
    }
  }

  static List<List<String>> sorted(List<List<String>> rows) {
    List<List<String>> copy = new ArrayList<>(rows);
    Collections.sort(copy, (a, b) -> String.valueOf(a).compareTo(String.valueOf(b)));
    return copy;
  }
}
