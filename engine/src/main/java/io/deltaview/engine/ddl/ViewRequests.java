package io.deltaview.engine.ddl;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * {@code CREATE} and {@code DROP INCREMENTAL VIEW} asked for from any session of the database, through the
 * SQL functions {@code deltaview.create_view(name, definition [, if_not_exists])} and
 * {@code deltaview.drop_view(name [, if_exists])}, and carried out by whichever process maintains the views.
 *
 * <p>A request is a row of {@code deltaview.view_requests}, inserted in the caller's transaction: it takes
 * effect when that transaction commits (a rolled-back migration leaves no request), and the maintainer sees
 * it once committed. PostgreSQL itself records who asked: {@code requested_by} defaults to
 * {@code current_user}, and no role but the engine's may write that column (or {@code state}), so a request
 * cannot claim another role's privileges. The maintainer checks the request against that role's privileges
 * ({@link Requester#recorded}) and writes the outcome back: {@code done}, or {@code failed} with PostgreSQL's
 * SQLState and message.
 */
public final class ViewRequests {

  public static final String TABLE = Catalog.SCHEMA + ".view_requests";
  /** The notification channel a committed request is announced on (its id as payload). */
  public static final String CHANNEL = "deltaview_view_requests";

  /** What a request asks for. */
  public enum Kind {
    CREATE, DROP;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /**
   * One pending request.
   *
   * @param schema the view's schema as given, or null for the requester's {@code currentSchema}
   * @param definition the view's query; null for a drop
   * @param ifFlag {@code IF NOT EXISTS} for a create, {@code IF EXISTS} for a drop
   * @param role the requesting role ({@code current_user} when the request was made)
   * @param searchPath the schemas that resolved unqualified names for the requester, comma-separated, each quoted
   * @param currentSchema the requester's {@code current_schema()}; null if its search_path had none
   * @param timeZone the requester's {@code TimeZone} setting; null (UTC) for requests from before it was recorded
   * @param started whether a maintainer started carrying it out (and may have died before recording how it
   *     ended)
   * @param engine the engine a create asks for ({@code WITH (engine = '…')}); null for the embedded one
   */
  public record Request(long id, Kind kind, String schema, String name, String definition, boolean ifFlag,
      String role, String searchPath, String currentSchema, String timeZone, boolean started, String engine) {
  }

  /** How a request ended, as the maintainer recorded it; {@code pending} or {@code running} until then. */
  public record Outcome(String state, String sqlState, String message) {

    public boolean pending() {
      return "pending".equals(state) || "running".equals(state);
    }

    /** The failure as an exception for the caller; null unless the request failed. */
    public SQLException failure() {
      return "failed".equals(state) ? new SQLException(message, sqlState) : null;
    }
  }

  private ViewRequests() {
  }

  /**
   * Creates the request table and the two functions (in the caller's transaction, the catalog's bootstrap
   * lock held). Every role may read requests (as every role may read view definitions) and insert them
   * through the functions; only the columns a requester names are insertable, so {@code requested_by} and
   * {@code state} always hold what PostgreSQL and the engine put there.
   */
  public static void ensureExists(Statement s) throws SQLException {
    s.execute("CREATE TABLE IF NOT EXISTS " + TABLE + " ("
        + " id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
        + " kind text NOT NULL CHECK (kind IN ('create', 'drop')),"
        + " schema_name text,"
        + " view_name text NOT NULL,"
        + " definition text,"
        + " if_flag boolean NOT NULL DEFAULT false,"
        + " search_path text NOT NULL,"
        + " default_schema text,"
        + " requested_by text NOT NULL DEFAULT current_user,"
        + " requested_at timestamptz NOT NULL DEFAULT now(),"
        + " state text NOT NULL DEFAULT 'pending' CHECK (state IN ('pending', 'running', 'done', 'failed')),"
        + " error_sqlstate text,"
        + " error_message text,"
        + " finished_at timestamptz)");
    s.execute("ALTER TABLE " + TABLE + " ADD COLUMN IF NOT EXISTS time_zone text");
    // The engine a create asks for: NULL for the embedded one (and in requests from before it was recorded).
    s.execute("ALTER TABLE " + TABLE + " ADD COLUMN IF NOT EXISTS engine text");
    s.execute("CREATE INDEX IF NOT EXISTS view_requests_pending ON " + TABLE
        + " (id) WHERE state IN ('pending', 'running')");
    Catalog.revokeEveryGrant(s, TABLE);
    s.execute("GRANT SELECT ON " + TABLE + " TO PUBLIC");
    s.execute("GRANT INSERT (kind, schema_name, view_name, definition, if_flag, search_path, default_schema,"
        + " time_zone, engine) ON " + TABLE + " TO PUBLIC");
    // SECURITY INVOKER (the default): the row is inserted as the caller, so requested_by is the caller. No
    // SET search_path: the caller's own path is what the request records; every name inside is qualified.
    String body = "#variable_conflict use_variable\n"
        + " DECLARE parts text[]; request_id bigint;"
        + " BEGIN"
        + "  IF name IS NULL OR %4$s THEN"
        + "   RAISE EXCEPTION 'the view''s name and definition may not be null' USING ERRCODE = '22004';"
        + "  END IF;"
        + "  parts := pg_catalog.parse_ident(name);"
        + "  IF pg_catalog.array_length(parts, 1) > 2 THEN"
        + "   RAISE EXCEPTION 'improper qualified name (too many dotted names): %%', name USING ERRCODE = '42601';"
        + "  END IF;"
        + "  IF EXISTS (SELECT 1 FROM pg_catalog.unnest(parts) AS p(part) WHERE pg_catalog.octet_length(p.part)"
        + "    > pg_catalog.current_setting('max_identifier_length')::int) THEN"
        + "   RAISE EXCEPTION 'identifier too long: %%', name USING ERRCODE = '42622',"
        + "    HINT = 'PostgreSQL would truncate it; use a name of at most 63 bytes';"
        + "  END IF;"
        + "  INSERT INTO " + TABLE + " (kind, schema_name, view_name, definition, if_flag, search_path,"
        + "   default_schema, time_zone, engine)"
        + "  VALUES (%1$s, CASE WHEN pg_catalog.array_length(parts, 1) = 2 THEN parts[1] END,"
        + "   parts[pg_catalog.array_length(parts, 1)], %2$s, COALESCE(%3$s, false),"
        + "   COALESCE((SELECT pg_catalog.string_agg(pg_catalog.quote_ident(p.s), ',' ORDER BY p.o)"
        + "    FROM pg_catalog.unnest(pg_catalog.current_schemas(false)) WITH ORDINALITY AS p(s, o)), ''),"
        + "   pg_catalog.current_schema(), pg_catalog.current_setting('TimeZone'), %5$s)"
        + "  RETURNING id INTO request_id;"
        + "  PERFORM pg_catalog.pg_notify('" + CHANNEL + "', request_id::text);"
        + "  RETURN request_id;"
        + " END";
    // Before version 6 create_view had no engine argument: a second function beside it would make calls ambiguous.
    s.execute("DROP FUNCTION IF EXISTS " + Catalog.SCHEMA + ".create_view(text, text, boolean)");
    s.execute("CREATE OR REPLACE FUNCTION " + Catalog.SCHEMA + ".create_view(name text, definition text,"
        + " if_not_exists boolean DEFAULT false, engine text DEFAULT NULL) RETURNS bigint LANGUAGE plpgsql AS $fn$"
        + body.formatted("'create'", "definition", "if_not_exists", "definition IS NULL", "engine") + "$fn$");
    s.execute("CREATE OR REPLACE FUNCTION " + Catalog.SCHEMA + ".drop_view(name text, if_exists boolean DEFAULT"
        + " false) RETURNS bigint LANGUAGE plpgsql AS $fn$"
        + body.formatted("'drop'", "NULL", "if_exists", "false", "NULL") + "$fn$");
    for (String f : new String[] {"create_view(text, text, boolean, text)", "drop_view(text, boolean)"}) {
      s.execute("REVOKE ALL ON FUNCTION " + Catalog.SCHEMA + "." + f + " FROM PUBLIC");
      s.execute("GRANT EXECUTE ON FUNCTION " + Catalog.SCHEMA + "." + f + " TO PUBLIC");
    }
  }

  /** A query of one boolean: whether a committed request waits. */
  public static final String ANY_PENDING = "SELECT EXISTS (SELECT 1 FROM " + TABLE
      + " WHERE state IN ('pending', 'running'))";

  /** The requests still to carry out, oldest first. */
  public static List<Request> pending(Connection c) throws SQLException {
    List<Request> out = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT id, kind, schema_name, view_name,"
        + " definition, if_flag, requested_by, search_path, default_schema, time_zone, state = 'running', engine FROM "
        + TABLE
        + " WHERE state IN ('pending', 'running') ORDER BY id")) {
      while (rs.next()) {
        out.add(new Request(rs.getLong(1), Kind.valueOf(rs.getString(2).toUpperCase(java.util.Locale.ROOT)),
            rs.getString(3), rs.getString(4), rs.getString(5), rs.getBoolean(6), rs.getString(7), rs.getString(8),
            rs.getString(9), rs.getString(10), rs.getBoolean(11), rs.getString(12)));
      }
    }
    return out;
  }

  /**
   * What the functions check before a request is recorded, checked again by the maintainer: a row can also be
   * inserted into the table directly, past the functions.
   *
   * @throws SQLException {@code 22004} for a missing name or definition, {@code 42622} for a name longer than
   *     PostgreSQL's identifiers (it would truncate it)
   */
  public static void validate(Request r) throws SQLException {
    if (r.name() == null || (r.kind() == Kind.CREATE && r.definition() == null)) {
      throw new SQLException("the view's name and definition may not be null", SqlStates.NULL_VALUE_NOT_ALLOWED);
    }
    if (r.schema() != null) {
      SqlIdentifiers.checkedLength(r.schema());
    }
    SqlIdentifiers.checkedLength(r.name());
  }

  /** Records that a maintainer starts carrying out request {@code id}. */
  public static void start(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET state = 'running' WHERE id = ?")) {
      ps.setLong(1, id);
      ps.executeUpdate();
    }
  }

  /** Records how request {@code id} ended: done when {@code failure} is null, failed with it otherwise. */
  public static void finish(Connection c, long id, SQLException failure) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET state = ?, error_sqlstate = ?,"
        + " error_message = ?, finished_at = now() WHERE id = ? AND state IN ('pending', 'running')")) {
      ps.setString(1, failure == null ? "done" : "failed");
      ps.setString(2, failure == null ? null
          : failure.getSQLState() != null ? failure.getSQLState() : SqlStates.INTERNAL_ERROR);
      ps.setString(3, failure == null ? null : String.valueOf(failure.getMessage()));
      ps.setLong(4, id);
      ps.executeUpdate();
    }
  }

  /**
   * Asks for a view on {@code caller}'s session, as its role, in its transaction (committed now if it
   * autocommits); returns the request's id.
   *
   * @param name the view's name, quoted as SQL and schema-qualified or not
   * @param engine the engine to maintain it ({@code WITH (engine = '…')}); null for the embedded one
   */
  public static long submitCreate(Connection caller, String name, String definition, boolean ifNotExists,
      String engine) throws SQLException {
    try (PreparedStatement ps = caller.prepareStatement("SELECT " + Catalog.SCHEMA + ".create_view(?, ?, ?, ?)")) {
      ps.setString(1, name);
      ps.setString(2, definition);
      ps.setBoolean(3, ifNotExists);
      ps.setString(4, engine);
      return single(ps);
    }
  }

  /** Asks for a view to be dropped, as {@link #submitCreate} asks for one to be created. */
  public static long submitDrop(Connection caller, String name, boolean ifExists) throws SQLException {
    try (PreparedStatement ps = caller.prepareStatement("SELECT " + Catalog.SCHEMA + ".drop_view(?, ?)")) {
      ps.setString(1, name);
      ps.setBoolean(2, ifExists);
      return single(ps);
    }
  }

  private static long single(PreparedStatement ps) throws SQLException {
    try (ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** Where request {@code id} stands now; null if there is no such request. */
  public static Outcome outcome(Connection c, long id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT state, error_sqlstate, error_message FROM " + TABLE
        + " WHERE id = ?")) {
      ps.setLong(1, id);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new Outcome(rs.getString(1), rs.getString(2), rs.getString(3)) : null;
      }
    }
  }
}
