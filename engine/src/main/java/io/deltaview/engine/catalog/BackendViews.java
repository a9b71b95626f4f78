package io.deltaview.engine.catalog;

import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * The views another engine than the embedded one maintains ({@code CREATE INCREMENTAL VIEW … WITH (engine =
 * '…')}, a {@link io.deltaview.engine.backend.ViewBackend}), in {@code deltaview.backend_views}: the same durable
 * description as an embedded view's catalog row, plus the backend's name. A table of their own rather than a
 * column of {@code view_catalog}, so that nothing of the embedded engine (the apply loop, the snapshot loader, the
 * checkpoints, alignment) can ever take such a view for one of its own.
 *
 * <p>The engine records a view here before its backend creates it (so the name is taken, and a failed creation
 * removes the row), and the backend in the process that maintains keeps {@code status} current: {@code
 * snapshotting} until its first load is complete, {@code ready}, or {@code failed} with {@code last_error}. Every
 * process reads it: it is how {@code SHOW}, {@code EXPLAIN} and the rewriter of a process that does not maintain
 * know such a view. Every role may read it, as every role may read {@code view_catalog}.
 */
public final class BackendViews {

  public static final String TABLE = Catalog.SCHEMA + ".backend_views";

  /** One view and the backend that maintains it. */
  public record BackendView(String backend, ViewRecord view) {
  }

  private BackendViews() {
  }

  /**
   * Creates the table (in the catalog's bootstrap transaction) and takes in the views an earlier version recorded
   * in {@code deltaview.flink_views}: those rows had no base tables or search path; the backend fills the base
   * tables in when it resumes them ({@link #recordBaseTables}), and until then they are not served.
   */
  static void ensureExists(Statement s) throws SQLException {
    s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " ("
        + " schema_name text NOT NULL,"
        + " view_name text NOT NULL,"
        + " backend text NOT NULL,"
        + " definition text NOT NULL,"
        + " base_tables text[] NOT NULL,"
        + " origin text NOT NULL DEFAULT 'sql',"
        + " status text NOT NULL,"
        + " last_error text,"
        + " search_path text NOT NULL,"
        + " owner text,"
        + " time_zone text,"
        + " created_at timestamptz NOT NULL DEFAULT now(),"
        + " PRIMARY KEY (schema_name, view_name))");
    s.execute("DO $$ BEGIN IF to_regclass('" + Catalog.SCHEMA + ".flink_views') IS NOT NULL THEN"
        + " INSERT INTO " + TABLE + " (schema_name, view_name, backend, definition, base_tables, status, search_path,"
        + "  owner, created_at)"
        + " SELECT schema_name, view_name, 'flink', definition, '{}', '" + ViewState.READY.label() + "',"
        + "  '\"$user\", public', owner, created_at FROM " + Catalog.SCHEMA + ".flink_views"
        + " ON CONFLICT DO NOTHING;"
        + " DROP TABLE " + Catalog.SCHEMA + ".flink_views;"
        + " END IF; END $$");
    // Only the engine's role writes it (what it says decides what the rewriter serves), also where default
    // privileges granted more when it was created.
    Catalog.revokeEveryGrant(s, TABLE);
    s.execute("GRANT SELECT ON " + TABLE + " TO PUBLIC");
  }

  /** Every such view, oldest first; none where the catalog predates them. */
  public static List<BackendView> load(Connection c) throws SQLException {
    return load(c, null);
  }

  /** The views of backend {@code backend} (null: of every backend), oldest first. */
  public static List<BackendView> load(Connection c, String backend) throws SQLException {
    List<BackendView> out = new ArrayList<>();
    if (!exists(c)) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT schema_name, view_name, definition, base_tables, status,"
        + " last_error, search_path, owner, time_zone, backend, origin FROM " + TABLE
        + " WHERE ?::text IS NULL OR backend = ? ORDER BY created_at, schema_name, view_name")) {
      ps.setString(1, backend);
      ps.setString(2, backend);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          Array bases = rs.getArray(4);
          out.add(new BackendView(rs.getString(10), new ViewRecord(rs.getString(1), rs.getString(2),
              rs.getString(3), List.of((String[]) bases.getArray()), rs.getString(11), ViewState.of(rs.getString(5)),
              rs.getString(6), rs.getString(7), rs.getString(8), rs.getString(9))));
        }
      }
    }
    return out;
  }

  /**
   * Of {@code recorded} ({@link #load}), the views that may be served to {@code eventual} reads: recorded {@code
   * ready} by their backend, with their base tables known (the rewriter resolves a view's names through them).
   */
  public static List<ViewRecord> ready(List<BackendView> recorded) {
    List<ViewRecord> out = new ArrayList<>();
    for (BackendView v : recorded) {
      if (v.view().status() == ViewState.READY && !v.view().baseTables().isEmpty()) {
        out.add(v.view());
      }
    }
    return out;
  }

  /** Whether one of {@code qualifiedViews} is in {@code backendViews}; allocates nothing (asked per query). */
  public static boolean anyOf(java.util.Set<String> backendViews, List<String> qualifiedViews) {
    if (backendViews.isEmpty()) {
      return false;
    }
    for (int i = 0; i < qualifiedViews.size(); i++) {
      if (backendViews.contains(qualifiedViews.get(i))) {
        return true;
      }
    }
    return false;
  }

  /**
   * What {@code EXPLAIN INCREMENTAL VIEW} prints of {@code v} where its backend does not run it: who maintains it,
   * how it stands, what it may answer, and its definition.
   */
  public static List<String> describe(BackendView v) {
    ViewRecord r = v.view();
    List<String> lines = new ArrayList<>();
    lines.add("maintained by engine " + v.backend() + " in the process that maintains the views: "
        + r.status().label() + (r.lastError() == null ? "" : " (" + r.lastError() + ")")
        + "; eventually consistent, so it answers eventual reads only");
    lines.add("result table " + io.deltaview.sql.SqlIdentifiers.quote(r.schema(), r.name()) + " over "
        + String.join(", ", r.baseTables()));
    lines.add("definition: " + r.definition());
    return lines;
  }

  /** View {@code schema.name}, or null when no backend keeps one of that name. */
  public static BackendView find(Connection c, String schema, String name) throws SQLException {
    for (BackendView v : load(c)) {
      if (v.view().schema().equals(schema) && v.view().name().equals(name)) {
        return v;
      }
    }
    return null;
  }

  /**
   * A text of {@code recorded} ({@link #load}) that changes whenever such a view is recorded, dropped, changes
   * status or gets its base tables, which decide what {@link #ready} gives: how a process notices, about once a
   * second, that the views it may serve changed.
   */
  public static String fingerprint(List<BackendView> recorded) {
    StringBuilder b = new StringBuilder();
    for (BackendView v : recorded) {
      b.append(v.view().qualifiedName()).append(' ').append(v.view().status()).append(' ')
          .append(v.view().baseTables().size()).append('\n');
    }
    return b.toString();
  }

  /** Records {@code view}, to be created by {@code backend}; {@code 23505} when a view of its name is recorded. */
  public static void insert(Connection c, String backend, ViewRecord view) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (" + Catalog.RECORD_COLUMNS
        + ", backend) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
      Catalog.bindRecord(c, ps, view);
      ps.setString(11, backend);
      ps.executeUpdate();
    }
  }

  /** Records where view {@code schema.name} stands, as its backend tells; false when it is not recorded. */
  public static boolean updateStatus(Connection c, String schema, String name, ViewState status, String lastError)
      throws SQLException {
    if (!exists(c)) {
      return false;
    }
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET status = ?, last_error = ?"
        + " WHERE schema_name = ? AND view_name = ? AND (status, last_error) IS DISTINCT FROM (?, ?)")) {
      ps.setString(1, status.label());
      ps.setString(2, lastError);
      ps.setString(3, schema);
      ps.setString(4, name);
      ps.setString(5, status.label());
      ps.setString(6, lastError);
      return ps.executeUpdate() > 0;
    }
  }

  /** Records the base tables of a view an earlier version recorded without them. */
  public static void recordBaseTables(Connection c, String schema, String name, List<String> baseTables)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET base_tables = ?"
        + " WHERE schema_name = ? AND view_name = ? AND cardinality(base_tables) = 0")) {
      ps.setArray(1, c.createArrayOf("text", baseTables.toArray()));
      ps.setString(2, schema);
      ps.setString(3, name);
      ps.executeUpdate();
    }
  }

  public static boolean delete(Connection c, String schema, String name) throws SQLException {
    if (!exists(c)) {
      return false;
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE
        + " WHERE schema_name = ? AND view_name = ?")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      return ps.executeUpdate() > 0;
    }
  }

  private static boolean exists(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }
}
