package io.deltaview.engine.catalog;

import io.deltaview.engine.sink.ResultColumn;
import io.deltaview.sql.SqlIdentifiers;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Deltaview's bookkeeping in schema {@code deltaview}: the registered views and the replication position
 * applied to the result tables. Every method works inside the caller's transaction.
 */
public final class Catalog {

  public static final String SCHEMA = "deltaview";
  /** Serialises concurrent first-time creation of the bookkeeping schema across connections and JVMs. */
  private static final long BOOTSTRAP_LOCK = 0x44656c7461L;
  private static final String LOCK_NOT_AVAILABLE = "55P03";

  private Catalog() {
  }

  /**
   * Creates the bookkeeping schema and tables if absent, and brings an older catalog up to date (in the
   * caller's transaction). The schema and its tables belong to the role that created them (the engine's);
   * every role may read them (as every role may read {@code pg_views}: definitions are not data) and none
   * may write them. {@code maintainer} exists only to be locked: see {@link #lockMaintainer}. Checkpoints
   * ({@code checkpoints}, see {@link io.deltaview.engine.state.CheckpointStore}) hold base-table rows: only the
   * engine role reads them.
   */
  public static void ensureExists(Connection c) throws SQLException {
    if (isCurrent(c)) {
      return;
    }
    try (Statement s = c.createStatement()) {
      s.execute("SELECT pg_advisory_xact_lock(" + BOOTSTRAP_LOCK + ")");
      s.execute("CREATE SCHEMA IF NOT EXISTS " + SCHEMA);
      // Before version 2 the registered views were the table deltaview.views, the name the SQL view now has.
      s.execute("DO $$ BEGIN IF (SELECT relkind FROM pg_class WHERE oid = to_regclass('" + VIEWS_VIEW + "')) = 'r'"
          + " THEN ALTER TABLE " + VIEWS_VIEW + " RENAME TO view_catalog; END IF; END $$");
      s.execute("CREATE TABLE IF NOT EXISTS " + VIEW_TABLE + " ("
          + " schema_name text NOT NULL,"
          + " view_name text NOT NULL,"
          + " definition text NOT NULL,"
          + " base_tables text[] NOT NULL,"
          + " origin text NOT NULL DEFAULT 'sql',"
          + " status text NOT NULL,"
          + " last_error text,"
          + " search_path text NOT NULL,"
          + " created_at timestamptz NOT NULL DEFAULT now(),"
          + " owner text,"
          + " PRIMARY KEY (schema_name, view_name))");
      // Catalogs from before views had owners; their views are owned by their result table's owner.
      s.execute("ALTER TABLE " + VIEW_TABLE + " ADD COLUMN IF NOT EXISTS owner text");
      // The stream position a view's result table holds when it became ready (see readyAt): NULL until then.
      s.execute("ALTER TABLE " + VIEW_TABLE + " ADD COLUMN IF NOT EXISTS ready_lsn pg_lsn");
      // The creator's TimeZone, in which the view's timestamptz conversions happen: NULL (UTC) before version 5.
      s.execute("ALTER TABLE " + VIEW_TABLE + " ADD COLUMN IF NOT EXISTS time_zone text");
      s.execute("CREATE TABLE IF NOT EXISTS " + SCHEMA + ".progress ("
          + " slot_name text PRIMARY KEY,"
          + " applied_lsn pg_lsn NOT NULL,"
          + " applied_at timestamptz NOT NULL DEFAULT now())");
      s.execute("CREATE TABLE IF NOT EXISTS " + SCHEMA + ".base_tables ("
          + " table_oid oid PRIMARY KEY,"
          + " original_replica_identity \"char\" NOT NULL,"
          + " replica_index oid)");
      s.execute("CREATE TABLE IF NOT EXISTS " + SCHEMA + ".maintainer ()");
      io.deltaview.engine.state.CheckpointStore.ensureExists(s);
      io.deltaview.engine.ddl.ViewRequests.ensureExists(s);
      BackendViews.ensureExists(s);
      s.execute("REVOKE ALL ON SCHEMA " + SCHEMA + " FROM PUBLIC");
      s.execute("GRANT USAGE ON SCHEMA " + SCHEMA + " TO PUBLIC");
      // Also what default privileges granted when they were created: a role that could write them could change
      // what the rewriter serves, or take the maintainer lock.
      for (String table : new String[] {"view_catalog", "progress", "base_tables", "maintainer"}) {
        revokeEveryGrant(s, SCHEMA + "." + table);
      }
      s.execute("GRANT SELECT ON " + VIEW_TABLE + ", " + SCHEMA + ".progress, " + SCHEMA + ".base_tables TO PUBLIC");
      createViewsView(s);
      s.execute("COMMENT ON SCHEMA " + SCHEMA + " IS '" + VERSION + "'");
    }
  }

  /**
   * {@code deltaview.views}: the registered views with the columns of {@code SHOW INCREMENTAL VIEWS}, in the same
   * order, for psql, dashboards and migrations, then {@code schema_name}, {@code view_name}, {@code owner} and
   * {@code created_at}. Like {@code SHOW}, each role sees the views whose result table it may read (and whose
   * schema it may use). What only the maintaining process knows (row count, lag, queries served, how the state
   * was loaded, the SQLState of a failure, snapshot progress) is NULL here; the status is the one the
   * maintainer recorded.
   */
  private static void createViewsView(Statement s) throws SQLException {
    s.execute("DROP VIEW IF EXISTS " + VIEWS_VIEW); // its columns may have changed
    s.execute("CREATE VIEW " + VIEWS_VIEW + " AS"
        + " SELECT v.schema_name || '.' || v.view_name AS name, v.status,"
        // Quoted always, as SHOW quotes it (quote_ident quotes only where needed).
        + "  '\"' || replace(v.schema_name, '\"', '\"\"') || '\".\"' || replace(v.view_name, '\"', '\"\"')"
        + "   || '\"' AS result_table,"
        + "  NULL::bigint AS row_count, NULL::bigint AS lag_ms, p.applied_lsn,"
        + "  NULL::bigint AS hits, v.definition, v.last_error, v.origin, NULL::text AS last_error_sqlstate,"
        + "  r.wal_status::text AS wal_status,"
        + "  pg_wal_lsn_diff(CASE WHEN pg_is_in_recovery() THEN pg_last_wal_replay_lsn() ELSE pg_current_wal_lsn()"
        + "   END, r.restart_lsn)::bigint AS retained_wal_bytes,"
        + "  NULL::text AS state_source,"
        + "  " + io.deltaview.engine.state.CheckpointStore.NEWEST_LSN + "(v.schema_name, v.view_name) AS checkpoint_lsn,"
        + "  NULL::text AS progress, NULL::bigint AS staleness_ms,"
        + "  v.schema_name, v.view_name, v.owner, v.created_at"
        + " FROM " + VIEW_TABLE + " v"
        + " JOIN pg_namespace n ON n.nspname = v.schema_name"
        + " JOIN pg_class t ON t.relnamespace = n.oid AND t.relname = v.view_name"
        // One slot per database: its progress row is the newest one.
        + " LEFT JOIN LATERAL (SELECT slot_name, applied_lsn FROM " + SCHEMA + ".progress"
        + "  ORDER BY applied_at DESC LIMIT 1) p ON true"
        + " LEFT JOIN pg_replication_slots r ON r.slot_name = p.slot_name"
        + " WHERE has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(t.oid, 'SELECT')"
        // Views another engine maintains: what their backend recorded; state_source names the backend.
        + " UNION ALL SELECT b.schema_name || '.' || b.view_name, b.status,"
        + "  '\"' || replace(b.schema_name, '\"', '\"\"') || '\".\"' || replace(b.view_name, '\"', '\"\"') || '\"',"
        + "  NULL::bigint, NULL::bigint, NULL::pg_lsn, NULL::bigint, b.definition, b.last_error, b.origin, NULL::text,"
        + "  NULL::text, NULL::bigint, b.backend, NULL::pg_lsn, NULL::text, NULL::bigint,"
        + "  b.schema_name, b.view_name, b.owner, b.created_at"
        + " FROM " + BackendViews.TABLE + " b"
        + " JOIN pg_namespace n ON n.nspname = b.schema_name"
        + " JOIN pg_class t ON t.relnamespace = n.oid AND t.relname = b.view_name"
        + " WHERE has_schema_privilege(n.oid, 'USAGE') AND has_table_privilege(t.oid, 'SELECT')");
    s.execute("REVOKE ALL ON " + VIEWS_VIEW + " FROM PUBLIC");
    s.execute("GRANT SELECT ON " + VIEWS_VIEW + " TO PUBLIC");
  }

  /**
   * Takes back every privilege on Deltaview's table {@code table} from every role but its owner, including
   * what default privileges ({@code ALTER DEFAULT PRIVILEGES … GRANT … ON TABLES}) granted when it was created.
   */
  public static void revokeEveryGrant(Statement s, String table) throws SQLException {
    List<String> grantees = new ArrayList<>();
    try (ResultSet rs = s.executeQuery("SELECT DISTINCT CASE WHEN a.grantee = 0 THEN NULL"
        + " ELSE pg_get_userbyid(a.grantee) END FROM pg_class c,"
        + " aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a"
        + " WHERE c.oid = '" + table + "'::regclass AND a.grantee <> c.relowner")) {
      while (rs.next()) {
        grantees.add(rs.getString(1));
      }
    }
    s.execute("REVOKE ALL ON " + table + " FROM PUBLIC");
    for (String role : grantees) {
      if (role != null) {
        s.execute("REVOKE ALL ON " + table + " FROM " + SqlIdentifiers.quote(role));
      }
    }
  }

  /**
   * The catalog's version, kept as the schema's comment: {@link #ensureExists} brings an older catalog up to date
   * (new tables, new function bodies) once, and a current one costs a single catalog read.
   */
  private static final String VERSION = "Deltaview catalog, version 6";

  /** The registered views, one row each: the engine's own bookkeeping. */
  public static final String VIEW_TABLE = SCHEMA + ".view_catalog";
  /** The views as {@code SHOW INCREMENTAL VIEWS} lists them, for any SQL client: see {@link #createViewsView}. */
  public static final String VIEWS_VIEW = SCHEMA + ".views";

  /** Whether the catalog exists in its current form. */
  private static boolean isCurrent(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT obj_description(to_regnamespace('" + SCHEMA + "'), 'pg_namespace')"
             + " IS NOT DISTINCT FROM '" + VERSION + "'")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /**
   * Takes the lock that says "this session maintains the database's views" in {@code c}'s open transaction,
   * without waiting; false if another session holds it. Unlike an advisory lock key, which any role can take
   * (and so block maintenance), {@code EXCLUSIVE} mode on {@code deltaview.maintainer} needs UPDATE, DELETE
   * or TRUNCATE on it: only its owner (the engine's role) and roles it grants that to can take it, while
   * readers' {@code ACCESS SHARE} locks never conflict with it. The transaction stays open, without a
   * transaction id or snapshot, for as long as the session maintains.
   */
  public static boolean lockMaintainer(Connection c) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("LOCK TABLE " + SCHEMA + ".maintainer IN EXCLUSIVE MODE NOWAIT");
      return true;
    } catch (SQLException e) {
      if (LOCK_NOT_AVAILABLE.equals(e.getSQLState())) {
        return false;
      }
      throw e;
    }
  }

  /** Whether some session, in any process, holds the lock of {@link #lockMaintainer}. */
  public static boolean maintainerAlive(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT EXISTS (SELECT 1 FROM pg_locks"
        + " WHERE locktype = 'relation' AND mode = 'ExclusiveLock' AND granted"
        + " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        + " AND relation = to_regclass('" + SCHEMA + ".maintainer'))")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /** Whether the bookkeeping tables exist (without creating them). */
  public static boolean exists(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT to_regclass('" + VIEW_TABLE + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  public static List<ViewRecord> loadViews(Connection c) throws SQLException {
    List<ViewRecord> out = new ArrayList<>();
    if (!exists(c)) {
      return out;
    }
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT schema_name, view_name, definition, base_tables, origin, status,"
             + " last_error, search_path, " + laterColumns(c) + " FROM " + VIEW_TABLE
             + " ORDER BY created_at, schema_name, view_name")) {
      while (rs.next()) {
        Array bases = rs.getArray(4);
        out.add(new ViewRecord(rs.getString(1), rs.getString(2), rs.getString(3),
            List.of((String[]) bases.getArray()), rs.getString(5), ViewState.of(rs.getString(6)), rs.getString(7),
            rs.getString(8), rs.getString(9), rs.getString(10)));
      }
    }
    return out;
  }

  /**
   * The {@code owner} and {@code time_zone} columns, each NULL in a catalog from before it that a process
   * without the right to update the catalog reads (the column is added by the next engine that starts).
   */
  private static String laterColumns(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT"
        + " bool_or(attname = 'owner'), bool_or(attname = 'time_zone') FROM pg_attribute"
        + " WHERE attrelid = to_regclass('" + VIEW_TABLE + "') AND attname IN ('owner', 'time_zone')"
        + " AND NOT attisdropped")) {
      rs.next();
      return (rs.getBoolean(1) ? "owner" : "NULL::text") + ", " + (rs.getBoolean(2) ? "time_zone" : "NULL::text");
    }
  }

  public static void insertView(Connection c, ViewRecord v) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + VIEW_TABLE + " (" + RECORD_COLUMNS
        + ") VALUES (?,?,?,?,?,?,?,?,?,?)")) {
      bindRecord(c, ps, v);
      ps.executeUpdate();
    }
  }

  /** The columns {@link #bindRecord} binds, in its order: the view's durable description. */
  static final String RECORD_COLUMNS = "schema_name, view_name, definition, base_tables, origin, status, last_error,"
      + " search_path, owner, time_zone";

  /** Binds {@code v} to parameters 1 to 10 of {@code ps}, in the order of {@link #RECORD_COLUMNS}. */
  static void bindRecord(Connection c, PreparedStatement ps, ViewRecord v) throws SQLException {
    ps.setString(1, v.schema());
    ps.setString(2, v.name());
    ps.setString(3, v.definition());
    ps.setArray(4, c.createArrayOf("text", v.baseTables().toArray()));
    ps.setString(5, v.origin());
    ps.setString(6, v.status().label());
    ps.setString(7, v.lastError());
    ps.setString(8, v.searchPath());
    ps.setString(9, v.owner());
    ps.setString(10, v.timeZone());
  }

  public static void updateStatus(Connection c, String schema, String name, ViewState status, String lastError)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + VIEW_TABLE + " SET status = ?, last_error = ?"
        + " WHERE schema_name = ? AND view_name = ?")) {
      ps.setString(1, status.label());
      ps.setString(2, lastError);
      ps.setString(3, schema);
      ps.setString(4, name);
      ps.executeUpdate();
    }
  }

  /**
   * Marks a view ready, its result table holding the source up to {@code readyLsn}: the stream position of its
   * snapshot when that was ahead of the apply loop, else the loop's. Until {@code deltaview.progress} reaches it
   * the table is ahead of the other views', so processes that do not maintain read it with no other view in one
   * statement ({@link #alignedViews}).
   */
  public static void markReady(Connection c, String schema, String name, LogSequenceNumber readyLsn)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + VIEW_TABLE + " SET status = ?, last_error = NULL,"
        + " ready_lsn = ?::pg_lsn WHERE schema_name = ? AND view_name = ?")) {
      ps.setString(1, ViewState.READY.label());
      ps.setString(2, readyLsn.asString());
      ps.setString(3, schema);
      ps.setString(4, name);
      ps.executeUpdate();
    }
  }

  /**
   * The ready views (qualified names) whose result tables reflect the same source position as every other such
   * view: the applied position recorded with the result tables has reached the position each became ready at.
   * The apply loop writes every view's delta of a source transaction in one transaction, so these read together
   * as one state of the source.
   */
  public static java.util.Set<String> alignedViews(Connection c) throws SQLException {
    if (!exists(c)) {
      return java.util.Set.of();
    }
    List<String> out = new ArrayList<>();
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT v.schema_name, v.view_name FROM " + VIEW_TABLE + " v"
             + " WHERE v.status = '" + ViewState.READY.label() + "' AND v.ready_lsn <= (SELECT max(applied_lsn)"
             + " FROM " + SCHEMA + ".progress)")) {
      while (rs.next()) {
        out.add(rs.getString(1) + "." + rs.getString(2));
      }
    }
    return java.util.Set.copyOf(out);
  }

  public static boolean deleteView(Connection c, String schema, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + VIEW_TABLE
        + " WHERE schema_name = ? AND view_name = ?")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      return ps.executeUpdate() > 0;
    }
  }

  /** The replication position whose effects the result tables hold, or null if none was recorded. */
  public static LogSequenceNumber appliedLsn(Connection c, String slot) throws SQLException {
    if (!exists(c)) {
      return null;
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT applied_lsn::text FROM " + SCHEMA + ".progress"
        + " WHERE slot_name = ?")) {
      ps.setString(1, slot);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? LogSequenceNumber.valueOf(rs.getString(1)) : null;
      }
    }
  }

  /** Records {@code lsn} as applied, in the same transaction as the result-table writes it covers. */
  public static void recordApplied(PreparedStatement upsertProgress, String slot, LogSequenceNumber lsn)
      throws SQLException {
    upsertProgress.setString(1, slot);
    upsertProgress.setString(2, lsn.asString());
    upsertProgress.executeUpdate();
  }

  /** The statement {@link #recordApplied} binds; prepared once per sink connection. */
  public static String recordAppliedSql() {
    return "INSERT INTO " + SCHEMA + ".progress (slot_name, applied_lsn, applied_at) VALUES (?, ?::pg_lsn, now())"
        + " ON CONFLICT (slot_name) DO UPDATE SET applied_lsn = GREATEST(" + SCHEMA + ".progress.applied_lsn,"
        + " EXCLUDED.applied_lsn), applied_at = EXCLUDED.applied_at";
  }

  public static void deleteProgress(Connection c, String slot) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + SCHEMA + ".progress WHERE slot_name = ?")) {
      ps.setString(1, slot);
      ps.executeUpdate();
    }
  }

  /** The columns of an existing table with their exact PostgreSQL types, in order. */
  public static List<ResultColumn> columnsOf(Connection c, String schema, String table) throws SQLException {
    List<ResultColumn> out = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT a.attname, format_type(a.atttypid, a.atttypmod)"
        + " FROM pg_attribute a WHERE a.attrelid = ?::regclass AND a.attnum > 0 AND NOT a.attisdropped"
        + " ORDER BY a.attnum")) {
      ps.setString(1, SqlIdentifiers.quote(schema, table));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new ResultColumn(rs.getString(1), rs.getString(2)));
        }
      }
    }
    return out;
  }

  /** Splits a {@code schema.table} name as stored in {@link ViewRecord#baseTables()}. */
  public static String[] splitQualified(String qualified) {
    int dot = qualified.indexOf('.');
    return new String[] {qualified.substring(0, dot), qualified.substring(dot + 1)};
  }
}
