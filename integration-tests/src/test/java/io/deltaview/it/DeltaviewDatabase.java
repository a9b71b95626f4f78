package io.deltaview.it;

import io.deltaview.it.fixture.PostgresFixture;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;

/**
 * A fresh database on the test server, reachable with plain pgjdbc and through Deltaview's URL with any
 * {@code deltaview.*} options, plus the helpers the integration tests share.
 */
public final class DeltaviewDatabase {

  public final PostgresFixture server;
  public final String pgUrl;
  public final String deltaviewUrl;

  public DeltaviewDatabase(String prefix) {
    this(PostgresFixture.get(), PostgresFixture.get().createDatabase(prefix));
  }

  private DeltaviewDatabase(PostgresFixture server, String pgUrl) {
    this.server = server;
    this.pgUrl = pgUrl;
    this.deltaviewUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
  }

  /** A fresh database whose LC_COLLATE and LC_CTYPE are {@code locale}; the server's error if it has no such locale. */
  public static DeltaviewDatabase withLocale(String prefix, String locale) throws SQLException {
    PostgresFixture server = PostgresFixture.get();
    return new DeltaviewDatabase(server, server.createDatabase(prefix, locale));
  }

  /**
   * The rows of {@code view} that its query does not give and the reverse, compared as PostgreSQL prints them
   * (each row cast to text), so that {@code 2} and {@code 2.00}, equal to {@link #difference}, differ here.
   */
  public static String textDifference(Connection c, String view, String query) throws SQLException {
    String d = difference(c, "(SELECT v::text AS r FROM " + view + " v) printed",
        "SELECT q::text AS r FROM (" + query + ") q");
    return d == null ? null : view + " as printed" + d.substring(d.lastIndexOf(": "));
  }

  /** Creates and fills the shop tables (customers, orders, order_lines). */
  public DeltaviewDatabase withShop(long seed) throws SQLException {
    try (Connection c = plain()) {
      ShopWorkload.createSchema(c);
      new ShopWorkload(seed).load(c, 40, 300, 900, n -> { });
    }
    return this;
  }

  public Connection plain() throws SQLException {
    return server.connect(pgUrl);
  }

  /** A Deltaview connection; {@code options} are {@code deltaview.*} key/value pairs. */
  public Connection deltaview(String... options) throws SQLException {
    Properties p = server.credentials();
    for (int i = 0; i < options.length; i += 2) {
      p.setProperty(options[i], options[i + 1]);
    }
    return DriverManager.getConnection(deltaviewUrl, p);
  }

  public static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  public static long scalarLong(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      if (!rs.next()) {
        throw new AssertionError("no row from " + sql);
      }
      return rs.getLong(1);
    }
  }

  /** The rows of {@code sql}, each rendered as text, in the order returned. */
  public static List<List<String>> rows(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      return rows(rs);
    }
  }

  public static List<List<String>> rows(ResultSet rs) throws SQLException {
    int n = rs.getMetaData().getColumnCount();
    List<List<String>> out = new ArrayList<>();
    while (rs.next()) {
      List<String> row = new ArrayList<>(n);
      for (int i = 1; i <= n; i++) {
        row.add(rs.getString(i));
      }
      out.add(row);
    }
    return out;
  }

  /** Label, JDBC type and type name of every column: what an application sees of a result's shape. */
  public static List<String> shape(ResultSetMetaData md) throws SQLException {
    List<String> out = new ArrayList<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      out.add(md.getColumnLabel(i) + ":" + md.getColumnType(i) + ":" + md.getColumnTypeName(i));
    }
    return out;
  }

  /** Creates incremental view name → definition for each entry of {@code views}, through the driver. */
  public void createViews(Map<String, String> views) throws SQLException {
    try (Connection c = deltaview(); Statement s = c.createStatement()) {
      for (Map.Entry<String, String> v : views.entrySet()) {
        s.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
      }
    }
  }

  /** Drops the incremental views named {@code names} that exist, through the driver. */
  public void dropViews(java.util.Collection<String> names) throws SQLException {
    try (Connection c = deltaview(); Statement s = c.createStatement()) {
      for (String name : names) {
        s.execute("DROP INCREMENTAL VIEW IF EXISTS " + name);
      }
    }
  }

  /** One EXPLAIN INCREMENTAL row: rewritten, view, sql, reason. */
  public static List<String> explain(Connection deltaview, String query) throws SQLException {
    List<List<String>> rows = rows(deltaview, "EXPLAIN INCREMENTAL " + query);
    if (rows.size() != 1) {
      throw new AssertionError("EXPLAIN INCREMENTAL returned " + rows.size() + " rows for " + query);
    }
    return rows.get(0);
  }

  /** The {@code hits} column of SHOW INCREMENTAL VIEWS for {@code qualifiedView} (-1 if absent, 0 if null). */
  public static long hits(Connection deltaview, String qualifiedView) throws SQLException {
    return showColumn(deltaview, qualifiedView, "hits") == null ? 0
        : Long.parseLong(showColumn(deltaview, qualifiedView, "hits"));
  }

  /** One column of the SHOW INCREMENTAL VIEWS row of {@code qualifiedView}; fails if there is no such row. */
  public static String showColumn(Connection deltaview, String qualifiedView, String column) throws SQLException {
    try (Statement s = deltaview.createStatement(); ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      while (rs.next()) {
        if (rs.getString("name").equals(qualifiedView)) {
          return rs.getString(column);
        }
      }
    }
    throw new AssertionError("SHOW INCREMENTAL VIEWS has no row for " + qualifiedView);
  }

  /**
   * Client backends connected to this database, other than the one asking and Deltaview's own (named
   * {@code deltaview-…}: the engine's checkpoint writes, catalog looks and replication stream, and the catalog
   * watch of a runtime that does not maintain at that moment, come and go on their own schedule).
   */
  public long backends(Connection plain) throws SQLException {
    try (PreparedStatement ps = plain.prepareStatement("SELECT count(*) FROM pg_stat_activity"
        + " WHERE datname = current_database() AND pid <> pg_backend_pid() AND backend_type = 'client backend'"
        + " AND coalesce(application_name, '') NOT LIKE 'deltaview-%'")) {
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }

  /**
   * Null if result table {@code view} holds exactly the rows of {@code query} (as multisets, compared by
   * PostgreSQL itself; the views used here have no floating-point columns), else a description.
   */
  public static String difference(Connection c, String view, String query) throws SQLException {
    String sql = "SELECT (SELECT count(*) FROM (SELECT * FROM " + view + " EXCEPT ALL (" + query + ")) a),"
        + " (SELECT count(*) FROM ((" + query + ") EXCEPT ALL SELECT * FROM " + view + ") b)";
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      long extra = rs.getLong(1);
      long missing = rs.getLong(2);
      return extra == 0 && missing == 0 ? null : view + ": " + extra + " rows too many, " + missing + " missing";
    }
  }

  /** Polls (bounded) until {@code condition} holds; fails with {@code what} and the last problem on timeout. */
  public static void await(String what, Duration timeout, Check condition) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    String last;
    do {
      last = condition.problem();
      if (last == null) {
        return;
      }
      LockSupport.parkNanos(50_000_000L);
    } while (System.nanoTime() < deadline);
    throw new AssertionError("timed out after " + timeout + " waiting for " + what + ": " + last);
  }

  /** A condition: null when it holds, else what is still wrong. */
  @FunctionalInterface
  public interface Check {
    String problem() throws Exception;
  }
}
