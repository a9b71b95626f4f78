package io.deltaview.it.agent;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import io.deltaview.Consistency;
import io.deltaview.Deltaview;
import io.deltaview.Incremental;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicReference;
import org.postgresql.PGConnection;
import org.postgresql.ds.PGPoolingDataSource;
import org.postgresql.ds.PGSimpleDataSource;

/**
 * A small application run by {@link AgentTest} in a child JVM with {@code -javaagent:deltaview-agent.jar} and a
 * class path of what an application has: pgjdbc, HikariCP (+ slf4j-api), deltaview-api and this class. It knows
 * nothing of Deltaview's driver: every URL it uses is a plain {@code jdbc:postgresql:} one (but for the
 * double-wrap scenario). It prints {@code RESULT <key> <value>} lines for the test to assert, then {@code APP OK}.
 *
 * <p>Arguments: scenario, plain URL of a database, user, password (may be empty).
 */
public final class AgentApp {

  static final String VIEW = "public.region_totals";
  static final String QUERY = "SELECT region, count(*) AS n, sum(amount) AS total FROM orders GROUP BY region";

  private static String url;
  private static Properties credentials;

  private AgentApp() {
  }

  public static void main(String[] args) {
    int code;
    try {
      url = args[1];
      credentials = new Properties();
      credentials.setProperty("user", args[2]);
      if (args.length > 3 && !args[3].isEmpty()) {
        credentials.setProperty("password", args[3]);
      }
      switch (args[0]) {
        case "paths" -> paths();
        case "opt-in" -> optIn();
        case "plain" -> plain();
        case "cannot-start" -> cannotStart();
        case "double-wrap" -> doubleWrap();
        case "late-attach" -> lateAttach();
        default -> throw new IllegalArgumentException("unknown scenario " + args[0]);
      }
      System.out.println("APP OK");
      code = 0;
    } catch (Throwable e) {
      System.out.println("APP FAILED: " + e);
      e.printStackTrace(System.out);
      code = 1;
    }
    System.out.flush();
    System.exit(code); // the embedded engine's threads must not keep the JVM alive
  }

  static void result(String key, Object value) {
    System.out.println("RESULT " + key + " " + value);
  }

  /** Schema, data and the view, through a connection the agent wrapped. */
  static void setUp(Connection c) throws SQLException {
    exec(c, "CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL, amount numeric(12,2) NOT NULL)");
    exec(c, "INSERT INTO orders SELECT g, (ARRAY['north','south','east'])[1 + g % 3], g % 50 + 0.5"
        + " FROM generate_series(1, 300) g");
    exec(c, "CREATE INCREMENTAL VIEW " + VIEW + " AS " + QUERY);
  }

  /** Every way of opening a pgjdbc connection: each must come out wrapped once, unwrap to PGConnection, and serve. */
  static void paths() throws Exception {
    try (Connection c = DriverManager.getConnection(url, credentials)) {
      setUp(c);
    }
    report("DriverManager", DriverManager.getConnection(url, credentials));
    report("Driver", new org.postgresql.Driver().connect(url, credentials));
    PGSimpleDataSource simple = new PGSimpleDataSource();
    simple.setURL(url);
    report("PGSimpleDataSource", simple.getConnection(credentials.getProperty("user"),
        credentials.getProperty("password", "")));
    @SuppressWarnings("deprecation")
    PGPoolingDataSource pooling = new PGPoolingDataSource();
    pooling.setDataSourceName("agent-app-pool");
    pooling.setURL(url);
    pooling.setUser(credentials.getProperty("user"));
    pooling.setPassword(credentials.getProperty("password", ""));
    try {
      report("PGPoolingDataSource", pooling.getConnection());
    } finally {
      pooling.close();
    }
    HikariConfig byUrl = new HikariConfig();
    byUrl.setJdbcUrl(url);
    byUrl.setUsername(credentials.getProperty("user"));
    byUrl.setPassword(credentials.getProperty("password", ""));
    byUrl.setMaximumPoolSize(2);
    try (HikariDataSource ds = new HikariDataSource(byUrl)) {
      report("HikariJdbcUrl", ds.getConnection());
    }
    HikariConfig byClass = new HikariConfig();
    byClass.setDataSourceClassName(PGSimpleDataSource.class.getName());
    byClass.addDataSourceProperty("url", url);
    byClass.addDataSourceProperty("user", credentials.getProperty("user"));
    byClass.addDataSourceProperty("password", credentials.getProperty("password", ""));
    byClass.setMaximumPoolSize(2);
    try (HikariDataSource ds = new HikariDataSource(byClass)) {
      report("HikariDataSourceClassName", ds.getConnection());
    }
  }

  /** What the test asserts about one connection; closes it. */
  static void report(String path, Connection c) throws SQLException {
    try (c) {
      Connection inner = c.unwrap(Connection.class);
      result(path + ".class", inner.getClass().getName());
      String described = inner.toString();
      result(path + ".wraps", described.split("Deltaview\\(", -1).length - 1);
      PGConnection pg = c.unwrap(PGConnection.class);
      result(path + ".pgBackendPid", pg.getBackendPID() > 0);
      result(path + ".explain", rows(c, "EXPLAIN INCREMENTAL " + QUERY));
      long before = hits(c);
      result(path + ".rows", rows(c, QUERY + " ORDER BY region"));
      result(path + ".hits", hits(c) - before);
    }
  }

  /** deltaview.mode=opt-in (from the agent argument or -D): only marked queries are served. */
  static void optIn() throws Exception {
    try (Connection c = DriverManager.getConnection(url, credentials)) {
      setUp(c);
      result("unmarked.hits", served(c, () -> rows(c, QUERY)));
      result("hinted.hits", served(c, () -> rows(c, "/*+ incremental */ " + QUERY)));
      result("annotated.hits", served(c, () -> Reports.totals(c)));
      result("after.hits", served(c, () -> rows(c, QUERY)));
      result("afterThrow.hits", served(c, () -> {
        try {
          Reports.totalsThenFail(c);
        } catch (IllegalStateException expected) {
          // thrown after the query, inside the annotated method
        }
        return null;
      }));
      result("afterThrow.scope", Deltaview.currentOptIn());
      result("afterThrow.unmarked.hits", served(c, () -> rows(c, QUERY)));
      try (Connection other = DriverManager.getConnection(url, credentials)) {
        AtomicReference<Object> otherThread = new AtomicReference<>();
        result("otherThread.mainHits", served(c, () -> Reports.totalsWhileAnotherThreadRuns(c, other, otherThread)));
        result("otherThread.hits", otherThread.get());
      }
      result("classLevel.consistency", Reports.classLevelConsistency());
      result("methodLevel.consistency", Reports.methodLevelConsistency());
      result("outside.consistency", Deltaview.currentOptIn());
    }
  }

  /** An agent that is off or failed: connections are plain pgjdbc and still work. */
  static void plain() throws Exception {
    for (int i = 0; i < 3; i++) {
      try (Connection c = DriverManager.getConnection(url, credentials)) {
        result("class" + i, c.getClass().getName());
        result("rows" + i, rows(c, "SELECT 40 + 2"));
        result("count" + i, rows(c, "SELECT count(*) FROM pg_class WHERE relname = 'pg_class'"));
      }
    }
  }

  /**
   * Deltaview cannot start for this application's role: its queries still work, and a Deltaview command (which
   * waits for the start) reports why.
   */
  static void cannotStart() throws Exception {
    plain();
    try (Connection c = DriverManager.getConnection(url, credentials)) {
      rows(c, "SHOW INCREMENTAL VIEWS");
      result("show", "no error");
    } catch (SQLException e) {
      result("show", e.getSQLState() + " " + e.getMessage().replace('\n', ' '));
    }
    try (Connection c = DriverManager.getConnection(url, credentials)) {
      result("rowsAfter", rows(c, "SELECT 40 + 2"));
    }
  }

  /** A jdbc:deltaview: connection (driver-all jar on the class path) is not wrapped again by the agent. */
  static void doubleWrap() throws Exception {
    String dvUrl = "jdbc:deltaview:" + url.substring("jdbc:".length());
    try (Connection c = DriverManager.getConnection(dvUrl, credentials)) {
      setUp(c);
      Connection inner = c.unwrap(Connection.class);
      result("deltaviewUrl.wraps", inner.toString().split("Deltaview\\(", -1).length - 1);
      result("deltaviewUrl.pg", c.unwrap(PGConnection.class).getBackendPID() > 0);
      result("deltaviewUrl.hits", served(c, () -> rows(c, QUERY)));
    }
    try (Connection c = DriverManager.getConnection(url, credentials)) {
      result("plainUrl.wraps", c.unwrap(Connection.class).toString().split("Deltaview\\(", -1).length - 1);
      result("plainUrl.pg", c.unwrap(PGConnection.class).getBackendPID() > 0);
    }
  }

  /**
   * Started without the agent: pgjdbc and an @Incremental class are loaded and used, then the agent is attached to
   * this JVM (path in -Dagent.jar) and must retransform both.
   */
  static void lateAttach() throws Exception {
    try (Connection c = DriverManager.getConnection(url, credentials)) {
      result("before.class", c.getClass().getName());
    }
    result("before.consistency", Reports.classLevelConsistency());
    com.sun.tools.attach.VirtualMachine vm =
        com.sun.tools.attach.VirtualMachine.attach(Long.toString(ProcessHandle.current().pid()));
    try {
      vm.loadAgent(System.getProperty("agent.jar"));
    } finally {
      vm.detach();
    }
    result("after.consistency", Reports.classLevelConsistency());
    try (Connection c = DriverManager.getConnection(url, credentials)) {
      result("after.class", c.unwrap(Connection.class).getClass().getName());
      setUp(c);
      result("after.hits", served(c, () -> rows(c, QUERY)));
    }
  }

  /** Queries of the opt-in scenario, marked by the annotation on the class and its methods. */
  @Incremental(consistency = Consistency.STRONG)
  static final class Reports {

    private Reports() {
    }

    @Incremental
    static List<List<String>> totals(Connection c) throws SQLException {
      return rows(c, QUERY);
    }

    @Incremental
    static void totalsThenFail(Connection c) throws SQLException {
      rows(c, QUERY);
      throw new IllegalStateException("failure inside an @Incremental method");
    }

    /** While this thread's scope is open, another thread runs the same query on its own connection. */
    @Incremental
    static Object totalsWhileAnotherThreadRuns(Connection c, Connection other, AtomicReference<Object> hits)
        throws Exception {
      rows(c, QUERY);
      Thread t = new Thread(() -> {
        try {
          hits.set(served(other, () -> rows(other, QUERY)) + " scope=" + Deltaview.currentOptIn());
        } catch (Exception e) {
          hits.set(e);
        }
      });
      t.start();
      t.join(60_000);
      if (t.isAlive()) {
        throw new IllegalStateException("the other thread did not finish");
      }
      return null;
    }

    /** Not annotated itself: the class's STRONG applies. */
    static Consistency classLevelConsistency() {
      return Deltaview.currentOptIn();
    }

    @Incremental(consistency = Consistency.EVENTUAL)
    static Consistency methodLevelConsistency() {
      return Deltaview.currentOptIn();
    }
  }

  interface Action {
    Object run() throws Exception;
  }

  /** How many queries SHOW INCREMENTAL VIEWS counts as served from the view while {@code action} runs. */
  static long served(Connection c, Action action) throws Exception {
    long before = hits(c);
    action.run();
    return hits(c) - before;
  }

  static long hits(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      while (rs.next()) {
        if (rs.getString("name").equals(VIEW)) {
          String hits = rs.getString("hits");
          return hits == null ? 0 : Long.parseLong(hits);
        }
      }
    }
    throw new IllegalStateException("SHOW INCREMENTAL VIEWS has no " + VIEW);
  }

  static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
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
