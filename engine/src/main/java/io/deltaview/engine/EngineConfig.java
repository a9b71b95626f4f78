package io.deltaview.engine;

import java.util.Locale;
import java.util.Properties;

/**
 * How an engine reaches its database: the plain pgjdbc URL and connection properties (credentials and
 * pgjdbc options, no {@code deltaview.*} keys), plus the database name that scopes the slot name, and the
 * limits it maintains the views under.
 *
 * @param maxRetainedWalBytes the most WAL the slot may hold back ({@code pg_current_wal_lsn() - restart_lsn})
 *     before the engine stops maintaining (every view failed, slot dropped) rather than fill the server's disk;
 *     {@link #UNLIMITED} for no limit
 */
public record EngineConfig(String pgUrl, Properties connectionProperties, String database, long maxRetainedWalBytes) {

  /** No limit on the WAL the slot retains (PostgreSQL's own {@code max_slot_wal_keep_size} still applies). */
  public static final long UNLIMITED = -1;

  public EngineConfig {
    Properties copy = new Properties();
    copy.putAll(connectionProperties);
    connectionProperties = copy;
    if (maxRetainedWalBytes < 1 && maxRetainedWalBytes != UNLIMITED) {
      throw new IllegalArgumentException("maxRetainedWalBytes must be positive or UNLIMITED: " + maxRetainedWalBytes);
    }
  }

  /** A configuration without a retained-WAL limit. */
  public EngineConfig(String pgUrl, Properties connectionProperties, String database) {
    this(pgUrl, connectionProperties, database, UNLIMITED);
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
