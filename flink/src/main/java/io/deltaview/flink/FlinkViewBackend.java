package io.deltaview.flink;

import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.backend.ViewBackend;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.ddl.ResultTables;
import io.deltaview.sql.SqlStates;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.ConcurrentHashMap;

/**
 * {@code CREATE INCREMENTAL VIEW … WITH (engine = 'flink')}: views maintained by a Flink job, each in a Flink JVM
 * of its own started by the process that maintains the views ({@code deltaview.flink.rest=local}, the only mode
 * yet), with checkpoints under {@code deltaview.flink.workDir} (a system property; default a {@code deltaview-flink}
 * directory in the temporary directory). Its views are recorded in {@code deltaview.flink_views}; their jobs stop
 * with the engine and are not resumed by the next one yet ({@link FlinkViews#resume} can).
 */
public final class FlinkViewBackend implements ViewBackend {

  /** The views whose jobs run in this process, by database URL and qualified name. */
  private static final Map<String, FlinkView> RUNNING = new ConcurrentHashMap<>();

  @Override
  public String name() {
    return "flink";
  }

  @Override
  public boolean create(EngineConfig database, Requester requester, String schema, String name,
      String canonicalDefinition, boolean ifNotExists) throws SQLException {
    String mode = System.getProperty("deltaview.flink.rest", "local");
    if (!mode.equals("local")) {
      throw new SQLException("deltaview.flink.rest=" + mode + ": Deltaview runs Flink views on a local MiniCluster"
          + " only yet (deltaview.flink.rest=local)", SqlStates.FEATURE_NOT_SUPPORTED);
    }
    Properties p = database.properties();
    FlinkDatabase db = FlinkDatabase.fromJdbcUrl(database.pgUrl(), p.getProperty("user"), p.getProperty("password"));
    try (Connection c = connect(database)) {
      ensureRegistry(c);
      if (owner(c, schema, name) != null) {
        if (ifNotExists) {
          return false;
        }
        throw new SQLException("incremental view \"" + schema + "." + name + "\" already exists",
            SqlStates.DUPLICATE_TABLE);
      }
      String replicationName = FlinkViews.replicationName(db.database(), schema, name);
      Path work = Path.of(System.getProperty("deltaview.flink.workDir",
          Path.of(System.getProperty("java.io.tmpdir"), "deltaview-flink").toString())).resolve(replicationName);
      FlinkView view = FlinkViews.create(c, schema, name, canonicalDefinition, db, FlinkSettings.local(work), requester);
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
        FlinkView.dropReplicationAndTable(c, schema, name, FlinkViews.replicationName(db.database(), schema, name));
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

  @Override
  public void close(EngineConfig database) {
    String prefix = database.pgUrl() + '\0';
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
