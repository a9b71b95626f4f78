package io.deltaview.benchmarks;

import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.fixture.PostgresFixture;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The README's first command: loads a shop schema with a million order lines into an embedded PostgreSQL,
 * registers an incremental view for a revenue-per-region-per-month report, and shows the query answered
 * directly and through Deltaview, how fast changes become visible, and what was rewritten.
 */
public final class Demo {

  static final String QUERY = "SELECT c.region, date_trunc('month', o.created_at) AS month,"
      + " sum(l.qty * l.price) AS revenue, count(*) AS lines"
      + " FROM order_lines l JOIN orders o ON o.id = l.order_id JOIN customers c ON c.id = o.customer_id"
      + " GROUP BY c.region, date_trunc('month', o.created_at)";

  private Demo() {
  }

  public static void main(String[] args) throws Exception {
    int lines = Integer.getInteger("deltaview.demo.lines", 1_000_000);
    try {
      run(lines);
    } finally {
      PostgresFixture.stopIfStarted();
    }
    System.exit(0);
  }

  static void run(int lineCount) throws Exception {
    PostgresFixture server = PostgresFixture.get();
    System.out.println("PostgreSQL: " + server.description());
    String pgUrl = server.createDatabase("demo");
    String dvUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
    ShopWorkload workload = new ShopWorkload(42);
    try (Connection plain = server.connect(pgUrl)) {
      ShopWorkload.createSchema(plain);
      long t0 = System.nanoTime();
      workload.load(plain, 20_000, lineCount / 5, lineCount,
          n -> System.out.printf(Locale.ROOT, "  loaded %,d order lines%n", n));
      System.out.printf(Locale.ROOT, "Loaded shop data in %.1f s%n", seconds(t0));

      try (Connection dv = DriverManager.getConnection(dvUrl, server.credentials());
           Statement s = dv.createStatement()) {
        System.out.println("Creating the incremental view (snapshot progress is logged by the engine) ...");
        long c0 = System.nanoTime();
        s.execute("CREATE INCREMENTAL VIEW revenue_by_region_month AS " + QUERY);
        System.out.printf(Locale.ROOT, "View ready in %.1f s%n", seconds(c0));

        double direct = medianMillis(plain, QUERY, 5);
        double served = medianMillis(dv, QUERY, 50);
        System.out.printf(Locale.ROOT, "Query directly on PostgreSQL: median %8.2f ms%n", direct);
        System.out.printf(Locale.ROOT, "Query through Deltaview:      median %8.2f ms  (%.0fx faster)%n", served,
            direct / served);

        System.out.println("Applying a burst of 300 random transactions (inserts, updates, deletes) ...");
        long b0 = System.nanoTime();
        for (int i = 0; i < 300; i++) {
          workload.randomTransaction(plain, 5);
        }
        System.out.printf(Locale.ROOT, "  burst committed in %.2f s%n", seconds(b0));
        List<Double> visible = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
          visible.add(commitToVisibleMillis(plain, i));
        }
        Collections.sort(visible);
        System.out.printf(Locale.ROOT, "Commit -> visible in the view: p50 %.1f ms, max %.1f ms (20 samples)%n",
            visible.get(visible.size() / 2), visible.get(visible.size() - 1));

        try (ResultSet rs = s.executeQuery("EXPLAIN INCREMENTAL " + QUERY)) {
          rs.next();
          System.out.println("EXPLAIN INCREMENTAL: rewritten=" + rs.getBoolean("rewritten") + " view="
              + rs.getString("view"));
          System.out.println("  sent instead: " + rs.getString("sql"));
        }
        String check = compare(plain, dv);
        System.out.println("Result through Deltaview equals PostgreSQL's own answer: " + (check == null ? "yes" : check));
        try (ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
          while (rs.next()) {
            System.out.println("SHOW INCREMENTAL VIEWS: " + rs.getString("name") + " " + rs.getString("status")
                + " rows=" + rs.getLong("row_count") + " hits=" + rs.getLong("hits") + " lsn="
                + rs.getString("applied_lsn"));
          }
        }
        s.execute("DROP INCREMENTAL VIEW revenue_by_region_month");
        if (check != null) {
          throw new IllegalStateException("demo result mismatch: " + check);
        }
      }
    }
    // Stops maintaining before the demo's server goes away (else the engine reports it lost the database).
    EngineRegistry.stop(pgUrl);
  }

  /** Inserts a sale in a brand-new region and measures until the result table shows that region. */
  private static double commitToVisibleMillis(Connection plain, int i) throws SQLException, InterruptedException {
    String region = "demo-region-" + i;
    int id = 900_000_000 + i;
    plain.setAutoCommit(false);
    try (Statement s = plain.createStatement()) {
      s.execute("INSERT INTO customers VALUES (" + id + ", '" + region + "', 'demo', 1)");
      s.execute("INSERT INTO orders VALUES (" + id + ", " + id + ", now(), 'paid', 10)");
      s.execute("INSERT INTO order_lines VALUES (" + id + ", " + id + ", 'fig', 1, 10, null)");
    }
    plain.commit();
    long t0 = System.nanoTime();
    plain.setAutoCommit(true);
    try (PreparedStatement ps = plain.prepareStatement("SELECT 1 FROM revenue_by_region_month WHERE region = ?")) {
      ps.setString(1, region);
      while (true) {
        try (ResultSet rs = ps.executeQuery()) {
          if (rs.next()) {
            return (System.nanoTime() - t0) / 1e6;
          }
        }
        if (System.nanoTime() - t0 > 30_000_000_000L) {
          throw new IllegalStateException("change not visible after 30 s");
        }
        Thread.sleep(1);
      }
    }
  }

  static double medianMillis(Connection c, String sql, int runs) throws SQLException {
    List<Double> times = new ArrayList<>();
    for (int i = 0; i < runs; i++) {
      long t0 = System.nanoTime();
      try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
        while (rs.next()) {
          rs.getString(1);
        }
      }
      times.add((System.nanoTime() - t0) / 1e6);
    }
    Collections.sort(times);
    return times.get(times.size() / 2);
  }

  static String compare(Connection plain, Connection dv) throws SQLException {
    List<String> a = rows(plain, QUERY);
    List<String> b = rows(dv, QUERY);
    return a.equals(b) ? null : "direct " + a.size() + " rows, served " + b.size() + " rows differ";
  }

  private static List<String> rows(Connection c, String sql) throws SQLException {
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      int n = rs.getMetaData().getColumnCount();
      while (rs.next()) {
        StringBuilder row = new StringBuilder();
        for (int i = 1; i <= n; i++) {
          row.append(rs.getString(i)).append('|');
        }
        out.add(row.toString());
      }
    }
    Collections.sort(out);
    return out;
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
