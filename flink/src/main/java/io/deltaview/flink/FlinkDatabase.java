package io.deltaview.flink;

import io.deltaview.sql.SqlStates;
import java.net.URI;
import java.sql.SQLException;
import java.util.Objects;

/**
 * The database a Flink-maintained view's job reads and writes, as the Flink JVM reaches it, and the role it does
 * so as. The password stays in this JVM's memory and goes to the Flink JVM on its standard input only.
 */
public record FlinkDatabase(String host, int port, String database, String user, String password) {

  public FlinkDatabase {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(database, "database");
    Objects.requireNonNull(user, "user");
    password = password == null ? "" : password;
  }

  /** Host, port and database of a {@code jdbc:postgresql://host[:port]/database[?…]} URL. */
  public static FlinkDatabase fromJdbcUrl(String url, String user, String password) throws SQLException {
    if (!url.startsWith("jdbc:postgresql://")) {
      throw new SQLException("not a jdbc:postgresql:// URL with a host: " + url.replaceFirst("\\?.*", ""),
          SqlStates.INVALID_PARAMETER_VALUE);
    }
    if (user == null || user.isEmpty()) {
      throw new SQLException("a Flink-maintained view needs the database user as a connection property (user=…):"
          + " the Flink job connects on its own", SqlStates.INVALID_PARAMETER_VALUE);
    }
    URI uri = URI.create(url.substring("jdbc:".length()));
    // the decoded path: the sink's URL is rebuilt from it with the name encoded again
    String path = uri.getPath() == null ? "" : uri.getPath().replaceFirst("^/", "");
    if (uri.getHost() == null || path.isEmpty() || path.contains("/")) {
      throw new SQLException("a Flink-maintained view needs the database URL's host and database name",
          SqlStates.INVALID_PARAMETER_VALUE);
    }
    return new FlinkDatabase(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), path, user, password);
  }

  @Override
  public String toString() {
    return "FlinkDatabase[" + user + "@" + host + ":" + port + "/" + database + "]";
  }
}
