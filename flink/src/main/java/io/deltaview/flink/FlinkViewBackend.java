package io.deltaview.flink;

import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.ViewStatus;
import io.deltaview.engine.backend.ViewBackend;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.ddl.ResultTables;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code CREATE INCREMENTAL VIEW … WITH (engine = 'flink')}: views maintained by a Flink job, each in a Flink JVM
 * of its own started by the process that maintains the views ({@code deltaview.flink.rest=local}, the default),
 * with checkpoints under {@code deltaview.flink.workDir} (a system property; default a {@code deltaview-flink}
 * directory in the temporary directory), or on a Flink cluster ({@code deltaview.flink.rest=http://host:port}, see
 * {@link FlinkCluster}). Its views are recorded in {@code deltaview.flink_views} and listed by {@code SHOW
 * INCREMENTAL VIEWS} in this process ({@link #status}); local jobs stop with the engine and the next engine to
 * maintain the database resumes them from their checkpoints; jobs on a cluster keep running, and the next engine
 * finds them again by name (or resumes them from their last checkpoint).
 */
public final class FlinkViewBackend implements ViewBackend {

  private static final System.Logger LOG = System.getLogger(FlinkViewBackend.class.getName());

  /** The views whose jobs run in this process, by database URL and qualified name. */
  private static final Map<String, FlinkView> RUNNING = new ConcurrentHashMap<>();

  /**
   * Held while views are created, dropped or resumed, so that a DROP never races a job starting for the same
   * view (whose sources would create its slots again).
   */
  private static final Object LOCK = new Object();

  /** Databases whose engine closed in this process since their views were last resumed. */
  private static final Set<String> CLOSED = ConcurrentHashMap.newKeySet();

  @Override
  public String name() {
    return "flink";
  }

  @Override
  public boolean create(EngineConfig database, Requester requester, String schema, String name,
      String canonicalDefinition, boolean ifNotExists) throws SQLException {
    Properties p = database.properties();
    FlinkDatabase db = FlinkDatabase.fromJdbcUrl(database.pgUrl(), p.getProperty("user"), p.getProperty("password"));
    synchronized (LOCK) {
      return createLocked(database, requester, schema, name, canonicalDefinition, ifNotExists, db);
    }
  }

  private static boolean createLocked(EngineConfig database, Requester requester, String schema, String name,
      String canonicalDefinition, boolean ifNotExists, FlinkDatabase db) throws SQLException {
    try (Connection c = connect(database)) {
      ensureRegistry(c);
      if (owner(c, schema, name) != null) {
        if (ifNotExists) {
          return false;
        }
        throw new SQLException("incremental view \"" + schema + "." + name + "\" already exists",
            SqlStates.DUPLICATE_TABLE);
      }
      FlinkView view = FlinkViews.create(c, schema, name, canonicalDefinition, db, settings(db, schema, name),
          requester);
      try (PreparedStatement ps = c.prepareStatement("INSERT INTO deltaview.flink_views"
          + " (schema_name, view_name, definition, owner) VALUES (?, ?, ?, ?)")) {
        ps.setString(1, schema);
        ps.setString(2, name);
        ps.setString(3, canonicalDefinition);
        ps.setString(4, requester.role());
        ps.executeUpdate();
      } catch (SQLException e) {
        try {
          view.drop(c);
        } catch (SQLException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
      RUNNING.put(key(database, schema, name), view);
      return true;
    }
  }

  @Override
  public boolean drop(EngineConfig database, Requester requester, String schema, String name) throws SQLException {
    synchronized (LOCK) {
      return dropLocked(database, requester, schema, name);
    }
  }

  private static boolean dropLocked(EngineConfig database, Requester requester, String schema, String name)
      throws SQLException {
    try (Connection c = connect(database)) {
      if (!registryExists(c)) {
        return false;
      }
      String owner = owner(c, schema, name);
      if (owner == null) {
        return false;
      }
      requester.mayDrop(schema + "." + name, owner, ResultTables.oid(c, schema, name));
      FlinkView running = RUNNING.remove(key(database, schema, name));
      if (running != null) {
        running.drop(c);
      } else {
        Properties p = database.properties();
        FlinkDatabase db = FlinkDatabase.fromJdbcUrl(database.pgUrl(), p.getProperty("user"), null);
        FlinkViews.dropNotRunningHere(c, schema, name, db, settings(db, schema, name));
      }
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM deltaview.flink_views"
          + " WHERE schema_name = ? AND view_name = ?")) {
        ps.setString(1, schema);
        ps.setString(2, name);
        ps.executeUpdate();
      }
      return true;
    }
  }

  /** Resumes this database's Flink views on a thread of its own: each Flink JVM takes a while to start. */
  @Override
  public void resume(EngineConfig database) {
    CLOSED.remove(database.pgUrl());
    Thread t = new Thread(() -> resumeAll(database), "deltaview-flink-resume");
    t.setDaemon(true);
    t.start();
  }

  /**
   * Resumes every recorded view of {@code database} whose job does not run in this process, from its newest
   * checkpoint ({@link FlinkViews#resume}); a view that cannot be resumed (no checkpoint in this machine's work
   * directory, a base table changed) is logged with why and left as it is, to be dropped and created again.
   */
  static void resumeAll(EngineConfig database) {
    synchronized (LOCK) {
      try (Connection c = connect(database)) {
        if (!registryExists(c)) {
          return;
        }
        Properties p = database.properties();
        FlinkDatabase db = FlinkDatabase.fromJdbcUrl(database.pgUrl(), p.getProperty("user"),
            p.getProperty("password"));
        java.util.List<String[]> views = new java.util.ArrayList<>();
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT schema_name, view_name, definition FROM deltaview.flink_views"
                 + " ORDER BY created_at")) {
          while (rs.next()) {
            views.add(new String[] {rs.getString(1), rs.getString(2), rs.getString(3)});
          }
        }
        for (String[] v : views) {
          String key = key(database, v[0], v[1]);
          if (CLOSED.contains(database.pgUrl())) {
            return;
          }
          if (RUNNING.containsKey(key)) {
            continue;
          }
          try {
            RUNNING.put(key, FlinkViews.resume(c, v[0], v[1], v[2], db, settings(db, v[0], v[1])));
            LOG.log(System.Logger.Level.INFO, "Flink view " + v[0] + "." + v[1] + " resumed from its checkpoint");
          } catch (SQLException e) {
            LOG.log(System.Logger.Level.WARNING, "Flink view " + v[0] + "." + v[1] + " is not maintained: "
                + e.getMessage() + " (SQLState " + e.getSQLState() + "); drop it and create it again");
          }
        }
      } catch (SQLException | RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "resuming the Flink views of " + database.database() + " failed: " + e, e);
      } finally {
        if (CLOSED.contains(database.pgUrl())) {
          close(database.pgUrl()); // the engine closed meanwhile: stop what was started after it did
        }
      }
    }
  }

  /**
   * Each recorded view of {@code database} as this process runs it: {@code ready} while its Flink job runs (the
   * job and its JVM in {@code progress}), else {@code failed} with why (Flink's reason, the JVM's end, or a view
   * this process could not resume). Flink's JDBC sink is not transactional, so a ready view is eventually
   * consistent; {@code state_source} is {@code flink}.
   */
  @Override
  public List<ViewStatus> status(EngineConfig database, Connection c) throws SQLException {
    if (!registryExists(c)) {
      return List.of();
    }
    List<ViewStatus> out = new ArrayList<>();
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT schema_name, view_name, definition FROM deltaview.flink_views"
             + " ORDER BY created_at")) {
      while (rs.next()) {
        String schema = rs.getString(1);
        String name = rs.getString(2);
        FlinkView view = RUNNING.get(key(database, schema, name));
        FlinkJobRunner runner = view == null ? null : view.runner();
        boolean running = runner != null && runner.isRunning();
        String error = running ? null
            : runner == null ? "its Flink job does not run in this process: it could not be resumed (see the log)"
            : runner.failure() != null ? runner.failure() : "its Flink job ended";
        String progress = running ? runner.describe() + " (eventually consistent)" : null;
        out.add(new ViewStatus(schema + "." + name, running ? ViewState.READY : ViewState.FAILED,
            SqlIdentifiers.quote(schema, name), null, null, null, null, rs.getString(3), error, "sql", null, null,
            null, "flink", null, progress, null));
      }
    }
    return out;
  }

  /**
   * The job as it runs: which Flink job in which JVM, then its Flink SQL (the sources' and the sink's tables, the
   * password masked, and the {@code INSERT}), one line per row.
   */
  @Override
  public List<String> explain(EngineConfig database, String schema, String name) {
    FlinkView view = RUNNING.get(key(database, schema, name));
    if (view == null) {
      return null;
    }
    FlinkJobRunner runner = view.runner();
    List<String> lines = new ArrayList<>();
    lines.add(runner.describe() + (runner.isRunning() ? "" : " (not running)") + ": result table "
        + SqlIdentifiers.quote(schema, name) + ", eventually consistent");
    lines.addAll(view.describeJob().lines().toList());
    return lines;
  }

  @Override
  public void close(EngineConfig database) {
    CLOSED.add(database.pgUrl());
    close(database.pgUrl());
  }

  private static void close(String pgUrl) {
    String prefix = pgUrl + '\0';
    RUNNING.entrySet().removeIf(e -> {
      if (e.getKey().startsWith(prefix)) {
        e.getValue().close();
        return true;
      }
      return false;
    });
  }

  /** The views whose jobs this process runs. */
  static java.util.Collection<FlinkView> running() {
    return java.util.List.copyOf(RUNNING.values());
  }

  /**
   * Where view {@code schema.name}'s Flink JVM keeps its checkpoints and log (the same path on every start), or the
   * Flink cluster that runs its job ({@code deltaview.flink.rest=http://host:port}, with {@code
   * deltaview.flink.checkpointDir} and {@code deltaview.flink.passwordEnv}: {@link FlinkCluster}), and the job's
   * parallelism: {@code deltaview.flink.parallelism} (system properties, read each time a job starts, also when it
   * resumes; default 1).
   */
  private static FlinkSettings settings(FlinkDatabase db, String schema, String name) throws SQLException {
    Path root = Path.of(System.getProperty("deltaview.flink.workDir",
        Path.of(System.getProperty("java.io.tmpdir"), "deltaview-flink").toString()));
    FlinkSettings local = FlinkSettings.local(root.resolve(FlinkViews.replicationName(db.database(), schema, name)));
    int parallelism = Integer.getInteger("deltaview.flink.parallelism", local.parallelism());
    return new FlinkSettings(parallelism, local.checkpointInterval(), local.stateBackend(), local.workDirectory(),
        local.heap(), FlinkCluster.fromSystemProperties(FlinkViews.replicationName(db.database(), schema, name)));
  }

  private static String key(EngineConfig database, String schema, String name) {
    return database.pgUrl() + '\0' + schema + '\0' + name;
  }

  private static Connection connect(EngineConfig database) throws SQLException {
    Properties p = database.properties();
    p.setProperty("ApplicationName", "deltaview-flink");
    Connection c = DriverManager.getConnection(database.pgUrl(), p);
    c.setAutoCommit(true);
    return c;
  }

  private static void ensureRegistry(Connection c) throws SQLException {
    Catalog.ensureExists(c);
    try (Statement s = c.createStatement()) {
      s.execute("CREATE TABLE IF NOT EXISTS deltaview.flink_views (schema_name text NOT NULL, view_name text NOT NULL,"
          + " definition text NOT NULL, owner text NOT NULL, created_at timestamptz NOT NULL DEFAULT now(),"
          + " PRIMARY KEY (schema_name, view_name))");
    }
  }

  private static boolean registryExists(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT to_regclass('deltaview.flink_views') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  private static String owner(Connection c, String schema, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT owner FROM deltaview.flink_views"
        + " WHERE schema_name = ? AND view_name = ?")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }
}
