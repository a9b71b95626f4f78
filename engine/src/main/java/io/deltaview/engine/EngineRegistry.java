package io.deltaview.engine;

import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * One {@link Engine} per database per JVM, started by the first connection that asks and closed at JVM
 * shutdown. The key is the server address and database, so every connection to the same database shares
 * one engine whatever its other URL parameters.
 */
public final class EngineRegistry {

  private static final System.Logger LOG = System.getLogger(EngineRegistry.class.getName());
  private static final Map<String, Engine> ENGINES = new ConcurrentHashMap<>();

  static {
    Runtime.getRuntime().addShutdownHook(new Thread(EngineRegistry::closeAll, "deltaview-engine-shutdown"));
  }

  private EngineRegistry() {
  }

  /** The running engine for {@code config}'s database, starting it if this JVM has none yet. */
  public static Engine engineFor(EngineConfig config) throws SQLException {
    String key = key(config.pgUrl());
    Engine engine = ENGINES.get(key);
    if (engine != null) {
      return engine;
    }
    synchronized (ENGINES) {
      engine = ENGINES.get(key);
      if (engine == null) {
        engine = Engine.start(config);
        ENGINES.put(key, engine);
      }
      return engine;
    }
  }

  /** The engine already running for this URL's database in this JVM, or null. */
  public static Engine existing(String pgUrl) {
    return ENGINES.get(key(pgUrl));
  }

  /** The engines running in this JVM, by {@code host:port/database}. */
  public static Map<String, Engine> all() {
    return Map.copyOf(ENGINES);
  }

  /** Stops and forgets the engine of this URL's database (tests simulate a process restart with it). */
  public static void stop(String pgUrl) {
    Engine engine = ENGINES.remove(key(pgUrl));
    if (engine != null) {
      engine.close();
    }
  }

  /** {@code host:port/database} of a {@code jdbc:postgresql://} URL, ignoring parameters. */
  public static String key(String pgUrl) {
    int query = pgUrl.indexOf('?');
    return query < 0 ? pgUrl : pgUrl.substring(0, query);
  }

  private static void closeAll() {
    for (Engine e : ENGINES.values()) {
      try {
        e.close();
      } catch (RuntimeException ex) {
        LOG.log(System.Logger.Level.WARNING, "stopping engine failed: " + ex);
      }
    }
    ENGINES.clear();
  }
}
