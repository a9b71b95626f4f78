package io.deltaview.it.agent;

import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Driver;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/**
 * An application whose pgjdbc is loaded by its own class loader, as in a servlet container or a Spring Boot fat
 * jar: run by {@link AgentTest} with {@code -javaagent} and a class path that does not hold pgjdbc (its jar is
 * given in {@code -Dpgjdbc.jar}). Uses only {@code java.sql} and reflection. Prints {@code RESULT} lines, then
 * {@code APP OK}.
 *
 * <p>Arguments: plain URL of a fresh database, user, password (may be empty).
 */
public final class IsolatedLoaderApp {

  private IsolatedLoaderApp() {
  }

  public static void main(String[] args) {
    int code;
    try {
      run(args);
      System.out.println("APP OK");
      code = 0;
    } catch (Throwable e) {
      System.out.println("APP FAILED: " + e);
      e.printStackTrace(System.out);
      code = 1;
    }
    System.out.flush();
    System.exit(code);
  }

  static void result(String key, Object value) {
    System.out.println("RESULT " + key + " " + value);
  }

  static void run(String[] args) throws Exception {
    Properties credentials = new Properties();
    credentials.setProperty("user", args[1]);
    if (args.length > 2 && !args[2].isEmpty()) {
      credentials.setProperty("password", args[2]);
    }
    ClassLoader system = ClassLoader.getSystemClassLoader();
    result("systemSeesPgjdbc", visible("org.postgresql.Driver", system));
    URL pgjdbc = Path.of(System.getProperty("pgjdbc.jar")).toUri().toURL();
    try (URLClassLoader webapp = new URLClassLoader("webapp", new URL[] {pgjdbc}, system)) {
      Driver driver = (Driver) Class.forName("org.postgresql.Driver", true, webapp).getDeclaredConstructor()
          .newInstance();
      try (Connection c = driver.connect(args[0], credentials)) {
        Connection inner = c.unwrap(Connection.class);
        result("class", inner.getClass().getName());
        result("coreLoader", inner.getClass().getClassLoader().getName());
        result("coreParentIsWebapp", inner.getClass().getClassLoader().getParent() == webapp);
        result("systemSeesCore", visible(inner.getClass().getName(), system));
        Class<?> pgConnection = webapp.loadClass("org.postgresql.PGConnection");
        result("unwrapPg", pgConnection.isInstance(c.unwrap(pgConnection)));
        exec(c, "CREATE TABLE orders (id int PRIMARY KEY, region text NOT NULL, amount numeric(12,2) NOT NULL)");
        exec(c, "INSERT INTO orders SELECT g, (ARRAY['north','south','east'])[1 + g % 3], g % 50 + 0.5"
            + " FROM generate_series(1, 300) g");
        exec(c, "CREATE INCREMENTAL VIEW " + AgentApp.VIEW + " AS " + AgentApp.QUERY);
        long before = hits(c);
        StringBuilder rows = new StringBuilder();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery(AgentApp.QUERY + " ORDER BY region")) {
          while (rs.next()) {
            rows.append(rs.getString(1)).append(':').append(rs.getString(2)).append(':').append(rs.getString(3))
                .append(' ');
          }
        }
        result("rows", rows.toString().trim());
        result("hits", hits(c) - before);
      }
    }
  }

  private static boolean visible(String name, ClassLoader loader) {
    try {
      Class.forName(name, false, loader);
      return true;
    } catch (ClassNotFoundException e) {
      return false;
    }
  }

  private static void exec(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute(sql);
    }
  }

  private static long hits(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
      while (rs.next()) {
        if (rs.getString("name").equals(AgentApp.VIEW)) {
          return rs.getString("hits") == null ? 0 : Long.parseLong(rs.getString("hits"));
        }
      }
    }
    throw new IllegalStateException("SHOW INCREMENTAL VIEWS has no " + AgentApp.VIEW);
  }
}
