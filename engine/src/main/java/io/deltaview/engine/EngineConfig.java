package io.deltaview.engine;

import java.util.Locale;
import java.util.Properties;

/**
 * How an engine reaches its database: the plain pgjdbc URL and connection properties (credentials and
 * pgjdbc options, no {@code deltaview.*} keys), plus the database name that scopes the slot name.
 */
public record EngineConfig(String pgUrl, Properties connectionProperties, String database) {

  public EngineConfig {
    Properties copy = new Properties();
    copy.putAll(connectionProperties);
    connectionProperties = copy;
  }

  /** The one logical replication slot of this database (slot names are cluster-wide, hence the suffix). */
  public String slotName() {
    String suffix = database.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
    String name = "deltaview_" + suffix;
    return name.length() > 63 ? name.substring(0, 63) : name;
  }

  /** The one publication of this database. */
  public String publicationName() {
    return "deltaview_pub";
  }

  /** A copy of the connection properties, safe for the caller to modify. */
  public Properties properties() {
    Properties copy = new Properties();
    copy.putAll(connectionProperties);
    return copy;
  }
}
