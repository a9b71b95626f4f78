package io.deltaview.it.security;

import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;

/**
 * Login roles for one test database: created with a name unique to it (roles are server-wide), connected to
 * with plain pgjdbc or through Deltaview, and dropped with everything they own at the end.
 */
final class Roles implements AutoCloseable {

  private static final String PASSWORD = "deltaview-test";

  private final DeltaviewDatabase db;
  private final String suffix;
  private final List<String> created = new ArrayList<>();

  Roles(DeltaviewDatabase db) {
    this.db = db;
    this.suffix = db.pgUrl.substring(db.pgUrl.lastIndexOf('/') + 1).replaceAll("[^a-z0-9_]", "");
  }

  /** Creates login role {@code base} (made unique) with {@code attributes}; returns its name. */
  String create(String base, String attributes) throws SQLException {
    String name = base + "_" + suffix;
    try (Connection c = db.plain(); Statement s = c.createStatement()) {
      s.execute("CREATE ROLE " + name + " LOGIN PASSWORD '" + PASSWORD + "' " + attributes);
    }
    created.add(name);
    return name;
  }

  Connection plain(String role) throws SQLException {
    return DriverManager.getConnection(withoutCredentials(db.pgUrl), credentials(role));
  }

  Connection deltaview(String role, String... options) throws SQLException {
    Properties p = credentials(role);
    for (int i = 0; i < options.length; i += 2) {
      p.setProperty(options[i], options[i + 1]);
    }
    return DriverManager.getConnection(withoutCredentials(db.deltaviewUrl), p);
  }

  /** The URL without {@code user}/{@code password} parameters, which would win over the properties. */
  private static String withoutCredentials(String url) {
    int query = url.indexOf('?');
    if (query < 0) {
      return url;
    }
    StringBuilder out = new StringBuilder(url.substring(0, query));
    char sep = '?';
    for (String param : url.substring(query + 1).split("&")) {
      if (!param.startsWith("user=") && !param.startsWith("password=") && !param.isEmpty()) {
        out.append(sep).append(param);
        sep = '&';
      }
    }
    return out.toString();
  }

  private static Properties credentials(String role) {
    Properties p = new Properties();
    p.setProperty("user", role);
    p.setProperty("password", PASSWORD);
    return p;
  }

  @Override
  public void close() throws SQLException {
    try (Connection c = db.plain(); Statement s = c.createStatement()) {
      for (String role : created) {
        s.execute("DROP OWNED BY " + role + " CASCADE");
      }
      for (String role : created) {
        s.execute("DROP ROLE " + role);
      }
    }
  }
}
