package io.deltaview.service;

import io.deltaview.engine.CatalogViews;
import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.engine.ViewStatus;
import io.deltaview.engine.lead.MaintainerCandidate;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * One database of the service: its engine while this process maintains the views, otherwise a standby that
 * looks every {@link #LOOK_INTERVAL_MS} whether the maintainer is gone and then takes over
 * ({@link MaintainerCandidate}, as an application JVM with the embedded engine does).
 */
final class MaintainedDatabase implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(MaintainedDatabase.class.getName());
  static final long LOOK_INTERVAL_MS = 1000;

  private final String url;
  private final Properties properties;
  private final ScheduledExecutorService looker;
  /** Set by the first look that reached the database; used by the looker thread, read by HTTP threads. */
  private volatile MaintainerCandidate candidate;
  private volatile Engine engine;
  /** Why the last look failed (the database unreachable, ...); null after one that succeeded. */
  private volatile String lookFailure = "not looked at the database yet";
  private volatile boolean closed;
  /** Used by the looker thread only. */
  private Connection connection;

  MaintainedDatabase(String url, Properties properties) {
    this.url = url;
    this.properties = properties;
    this.looker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "deltaview-service-look");
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts looking (at once, then every {@link #LOOK_INTERVAL_MS}). */
  void start() {
    looker.scheduleWithFixedDelay(this::look, 0, LOOK_INTERVAL_MS, TimeUnit.MILLISECONDS);
  }

  /** The URL, without anything after {@code ?} (parameters may hold a password). */
  String displayUrl() {
    int q = url.indexOf('?');
    return q < 0 ? url : url.substring(0, q);
  }

  /** The database's name: as the server says once reached, from the URL's path before. */
  String name() {
    MaintainerCandidate c = candidate;
    if (c != null) {
      return c.config().database();
    }
    String u = displayUrl();
    int slash = u.indexOf('/', "jdbc:postgresql://".length());
    return slash < 0 || slash == u.length() - 1 ? u : u.substring(slash + 1);
  }

  /** The engine while this process maintains the views (it may have lost the lock meanwhile: {@link Engine#leading}). */
  Engine engine() {
    return engine;
  }

  boolean maintaining() {
    Engine e = engine;
    return e != null && e.leading();
  }

  /** Whether the last look reached the database. */
  boolean connected() {
    return lookFailure == null;
  }

  /** Why the last look failed; null if it did not. */
  String lookFailure() {
    return lookFailure;
  }

  /** Why this process does not maintain the views; null while it does. */
  String standbyReason() {
    if (maintaining()) {
      return null;
    }
    if (engine != null) {
      return "lost the maintainer lock (its connection to the database) and is taking it again";
    }
    MaintainerCandidate c = candidate;
    return c == null ? "not connected yet" : c.standbyReason();
  }

  /**
   * The views as {@code SHOW INCREMENTAL VIEWS} has them (without row counts): from the engine while this process
   * maintains, else from the catalog.
   */
  List<ViewStatus> views() throws SQLException {
    Engine e = engine;
    if (e != null && e.leading()) {
      return e.status();
    }
    MaintainerCandidate c = candidate;
    if (c == null) {
      throw new SQLException("not connected to database " + displayUrl() + " yet: " + lookFailure);
    }
    try (Connection conn = connect("deltaview-service")) {
      return new CatalogViews(c.config()).status(conn);
    }
  }

  private void look() {
    if (closed) {
      return;
    }
    try {
      Connection c = connection();
      MaintainerCandidate cand = candidate;
      if (cand == null) {
        String database = c.getCatalog();
        cand = new MaintainerCandidate(new EngineConfig(url, properties, database));
        candidate = cand;
        Engine e = cand.start();
        lookFailure = null;
        if (e != null) {
          started(e, "");
        } else {
          LOG.log(System.Logger.Level.INFO, "Deltaview: standby for database " + database + ": "
              + cand.standbyReason() + "; this process takes over when it stops");
        }
        return;
      }
      if (engine == null) {
        Engine e = cand.tryTakeOver(c);
        lookFailure = null;
        if (e != null) {
          started(e, " (the previous maintainer stopped)");
        }
      } else {
        c.isValid(5);
        lookFailure = null;
      }
    } catch (SQLException | RuntimeException e) {
      lookFailure = e.getMessage() == null ? e.toString() : e.getMessage();
      LOG.log(System.Logger.Level.DEBUG, "looking at database " + displayUrl() + " failed (will retry): " + e);
      closeConnection();
    }
  }

  private void started(Engine e, String why) {
    if (closed) {
      EngineRegistry.stop(url);
      return;
    }
    engine = e;
    LOG.log(System.Logger.Level.INFO, "Deltaview: this process maintains the incremental views of database "
        + e.config().database() + why);
  }

  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = connect("deltaview-service-watch");
    }
    return connection;
  }

  private Connection connect(String applicationName) throws SQLException {
    Properties p = new Properties();
    p.putAll(properties);
    p.setProperty("ApplicationName", applicationName);
    return DriverManager.getConnection(url, p);
  }

  private void closeConnection() {
    Connection c = connection;
    connection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException ignored) {
        // going anyway
      }
    }
  }

  /**
   * Stops looking first (so that this process cannot take over again while it stops), then closes the engine,
   * which lets go of the slot and the maintainer lock: a standby takes over within about a second.
   */
  @Override
  public void close() {
    closed = true;
    looker.shutdown();
    try {
      if (!looker.awaitTermination(30, TimeUnit.SECONDS)) {
        looker.shutdownNow();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    closeConnection();
    Engine e = engine;
    engine = null;
    if (e != null) {
      EngineRegistry.stop(url);
      e.close();
      // Printed, not logged: java.util.logging's own shutdown hook may have closed its handlers by now.
      System.err.println("deltaview-engine: stopped maintaining database " + e.config().database()
          + " (a standby takes over)");
    }
  }
}
