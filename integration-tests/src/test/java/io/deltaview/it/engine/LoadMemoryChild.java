package io.deltaview.it.engine;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;
import java.util.concurrent.locks.LockSupport;

/**
 * A JVM with a small heap that runs Deltaview's engine for {@link LoadMemoryTest}. Prints what it saw, one fact a
 * line, and exits 0 once done (1 on a surprise):
 * <ul>
 *   <li>{@code create <url> <user> <password> <view> <query>}: {@code CREATE INCREMENTAL VIEW}, then
 *   {@code CREATED} or {@code FAILED <sqlstate> <message>};</li>
 *   <li>{@code resume <url> <user> <password>}: starts the engine over the views already registered, says
 *   {@code READY} and waits for {@code CHECK} on stdin (the parent watches the loads meanwhile), then prints {@code VIEW <name> <status> <last_error>} for each, then checks that the views that
 *   loaded go on being maintained ({@code LIVE}) and that the loader still works ({@code CREATED lm_small_v2},
 *   then {@code BIG <sqlstate>} for a view that does not fit).</li>
 * </ul>
 */
public final class LoadMemoryChild {

  private LoadMemoryChild() {
  }

  public static void main(String[] args) throws Exception {
    String pgUrl = args[1];
    Properties p = new Properties();
    p.setProperty("user", args[2]);
    if (!args[3].isEmpty()) {
      p.setProperty("password", args[3]);
    }
    String dvUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
    try (Connection dv = DriverManager.getConnection(dvUrl, p); Statement s = dv.createStatement();
         Connection plain = DriverManager.getConnection(pgUrl, p)) {
      if (args[0].equals("create")) {
        System.out.println(create(s, args[4], args[5]));
      } else {
        resume(s, plain);
      }
    }
    System.out.flush();
    System.exit(0);
  }

  private static String create(Statement s, String view, String query) {
    try {
      s.execute("CREATE INCREMENTAL VIEW " + view + " AS " + query);
      return "CREATED " + view;
    } catch (SQLException e) {
      return "FAILED " + e.getSQLState() + " " + e.getMessage().replace('\n', ' ');
    }
  }

  private static void resume(Statement s, Connection plain) throws Exception {
    s.execute("SHOW INCREMENTAL VIEWS"); // waits for the engine to have started; the views load in the background
    System.out.println("READY");
    System.out.flush();
    // This thread allocates nothing while the views load (the parent watches the catalog meanwhile): in a full
    // heap, any thread's allocation may be the one that fails, and this test is about the loader's.
    if (!"CHECK".equals(new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine())) {
      System.exit(1);
    }
    // The view that did not fit has failed (the parent saw it in the catalog), so the heap is free again; the
    // others may still be loading (the catalog said "ready" for them since before this start).
    long deadline = System.nanoTime() + 120_000_000_000L;
    while (loading(s)) {
      if (System.nanoTime() > deadline) {
        System.out.println("TIMEOUT views still loading");
        System.exit(1);
      }
      LockSupport.parkNanos(100_000_000L);
    }
    try (ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      while (rs.next()) {
        System.out.println("VIEW " + rs.getString("name") + " " + rs.getString("status") + " "
            + rs.getString("last_error"));
      }
    }
    try (Statement w = plain.createStatement()) {
      w.execute("INSERT INTO lm_small SELECT g, g % 13, g FROM generate_series(5001, 5500) g");
      w.execute("UPDATE lm_small SET v = v + 1 WHERE g = 3");
    }
    String query = "SELECT g, count(*) AS n, sum(v) AS total FROM lm_small GROUP BY g";
    while (!exact(plain, "lm_small_v", query)) {
      if (System.nanoTime() > deadline) {
        System.out.println("TIMEOUT lm_small_v not maintained");
        System.exit(1);
      }
      LockSupport.parkNanos(100_000_000L);
    }
    System.out.println("LIVE");
    System.out.println(create(s, "lm_small_v2", query));
    try {
      s.execute("CREATE INCREMENTAL VIEW lm_big_v2 AS " + LoadMemoryTest.BIG_QUERY);
      System.out.println("BIG created");
    } catch (SQLException e) {
      System.out.println("BIG " + e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
    }
  }

  private static boolean loading(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      while (rs.next()) {
        if (!rs.getString("status").equals("ready") && !rs.getString("status").equals("failed")) {
          return true;
        }
      }
    }
    return false;
  }

  private static boolean exact(Connection c, String view, String query) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT (SELECT count(*) FROM (SELECT * FROM "
        + view + " EXCEPT ALL (" + query + ")) a) + (SELECT count(*) FROM ((" + query + ") EXCEPT ALL SELECT * FROM "
        + view + ") b)")) {
      rs.next();
      return rs.getLong(1) == 0;
    }
  }
}
