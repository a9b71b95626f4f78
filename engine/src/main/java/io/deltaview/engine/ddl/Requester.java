package io.deltaview.engine.ddl;

import io.deltaview.engine.view.TableShape;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.sql.Statement;
import java.util.List;

/**
 * The role that sent a Deltaview command. The engine acts with its own role only after the requester passed
 * the checks here, which answer as PostgreSQL would for the same action done by hand by that role. Two kinds:
 *
 * <ul>
 *   <li>{@link #of}: a command on the requester's own connection. Every question is asked there, so PostgreSQL
 *       answers it for that session exactly (column grants, role membership, row-level security, superuser,
 *       BYPASSRLS, function privileges). Checks leave the session as they found it: inside an open transaction
 *       they run under a savepoint that is rolled back, so a refusal does not abort the caller's transaction.
 *   <li>{@link #recorded}: a request the role made earlier ({@link ViewRequests}), carried out by the
 *       maintainer with no connection of that role. The questions are asked about the role by name on the
 *       engine's connection ({@code has_column_privilege(role, …)} and its kin), which take role membership,
 *       column grants, superuser and BYPASSRLS into account.
 * </ul>
 */
public abstract sealed class Requester permits Requester.Session, Requester.Recorded {

  private final String role;
  private final String searchPath;
  private final String timeZone;

  private Requester(String role, String searchPath, String timeZone) {
    this.role = role;
    this.searchPath = searchPath;
    this.timeZone = timeZone;
  }

  /** The requester behind {@code connection}: its current role, search_path and TimeZone, read from it now. */
  public static Requester of(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement();
         ResultSet rs = s.executeQuery("SELECT current_user, current_setting('search_path'),"
             + " current_setting('TimeZone')")) {
      rs.next();
      return new Session(connection, rs.getString(1), rs.getString(2), rs.getString(3));
    }
  }

  /**
   * A role that asked earlier, checked by name on {@code engine} (a connection of the engine's role).
   *
   * @param searchPath the schemas that resolved the request's names, as {@code set_config} takes them
   * @param currentSchema the role's {@code current_schema()} when it asked; null if it had none
   * @param timeZone the role's {@code TimeZone} setting when it asked; null for UTC
   */
  public static Requester recorded(Connection engine, String role, String searchPath, String currentSchema,
      String timeZone) {
    return new Recorded(engine, role, searchPath, currentSchema, timeZone);
  }

  /** The role (PostgreSQL's {@code current_user}) the command runs as. */
  public String role() {
    return role;
  }

  /** The search_path that resolves the command's unqualified names, as {@code current_setting} gives it. */
  public String searchPath() {
    return searchPath;
  }

  /** The TimeZone setting the command was given in (its views' timestamptz conversions happen there). */
  public String timeZone() {
    return timeZone;
  }

  /**
   * The requester's own session, where it has one (a command on its connection); a recorded request has none.
   *
   * @throws SQLException {@code 55000} for a recorded request
   */
  public Connection connection() throws SQLException {
    throw new SQLException("the request of role " + role + " has no session",
        SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
  }

  /** The schema an unqualified new object would be created in: PostgreSQL's {@code current_schema()}. */
  public abstract String currentSchema() throws SQLException;

  /**
   * What {@code CREATE TABLE schema.name AS definition} would require of this role, plus that nothing the
   * view would hold is hidden from it: CREATE on the schema (unless {@code inOwnSchema}: Deltaview's own
   * schema for automatic views), SELECT on every column the definition reads, and no row-level security
   * policy applying to this role on any base table (the result table would hold every row).
   *
   * @throws SQLException {@code 42501} naming what is missing; PostgreSQL's own error for the rest
   */
  public abstract void mayCreate(String schema, String canonicalDefinition, List<TableShape> baseTables,
      boolean inOwnSchema) throws SQLException;

  /**
   * What {@code DROP TABLE} would require: membership in the view's owner role. {@code owner} null (a view
   * from before owners were recorded) means the owner of {@code resultTableOid}'s table.
   *
   * @throws SQLException {@code 42501} if the role may not drop it
   */
  public abstract void mayDrop(String qualifiedView, String owner, long resultTableOid) throws SQLException;

  /**
   * CREATE on {@code schema} for this role, asked on {@code c} about the role by name (the same answer on the
   * role's own session as on the engine's).
   *
   * @throws SQLException {@code 3F000} if the schema does not exist, {@code 42501} without the privilege
   */
  void mayCreateIn(Connection c, String schema) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT has_schema_privilege(?, n.oid, 'CREATE') FROM pg_namespace n WHERE n.nspname = ?")) {
      ps.setString(1, role);
      ps.setString(2, schema);
      try (ResultSet rs = ps.executeQuery()) {
        if (!rs.next()) {
          throw new SQLException("schema \"" + schema + "\" does not exist", SqlStates.INVALID_SCHEMA_NAME);
        }
        if (!rs.getBoolean(1)) {
          throw new SQLException("permission denied for schema " + schema + " (role " + role
              + " may not create an incremental view there)", SqlStates.INSUFFICIENT_PRIVILEGE);
        }
      }
    }
  }

  SQLException rowSecurityApplies(TableShape table) {
    return new SQLException("row-level security applies to role " + role + " on table " + table.qualifiedName()
        + ": an incremental view over it would hold rows the role cannot see", SqlStates.INSUFFICIENT_PRIVILEGE);
  }

  static SQLException mayNotDrop(String qualifiedView) {
    return new SQLException("must be owner of incremental view " + qualifiedView, SqlStates.INSUFFICIENT_PRIVILEGE);
  }

  static SQLException noSchema() {
    return new SQLException("no schema has been selected to create in (search_path is empty)",
        SqlStates.INVALID_SCHEMA_NAME);
  }

  /** A command on the requester's own connection: PostgreSQL answers every question for that session. */
  static final class Session extends Requester {

    private final Connection connection;

    private Session(Connection connection, String role, String searchPath, String timeZone) {
      super(role, searchPath, timeZone);
      this.connection = connection;
    }

    @Override
    public Connection connection() {
      return connection;
    }

    @Override
    public String currentSchema() throws SQLException {
      return check(() -> {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT current_schema()")) {
          rs.next();
          String schema = rs.getString(1);
          if (schema == null) {
            throw noSchema();
          }
          return schema;
        }
      });
    }

    /** PostgreSQL checks the definition itself here, with EXPLAIN, which plans without running it. */
    @Override
    public void mayCreate(String schema, String canonicalDefinition, List<TableShape> baseTables, boolean inOwnSchema)
        throws SQLException {
      check(() -> {
        if (!inOwnSchema) {
          mayCreateIn(connection, schema);
        }
        // The definition is canonical (one query, every literal quoted by Deltaview): safe to hand over whole.
        try (Statement s = connection.createStatement()) {
          s.execute("EXPLAIN (COSTS OFF) " + canonicalDefinition);
        }
        try (PreparedStatement ps = connection.prepareStatement("SELECT row_security_active(c.oid) FROM pg_class c"
            + " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
          for (TableShape table : baseTables) {
            ps.setString(1, table.schema());
            ps.setString(2, table.name());
            try (ResultSet rs = ps.executeQuery()) {
              if (rs.next() && rs.getBoolean(1)) {
                throw rowSecurityApplies(table);
              }
            }
          }
        }
        return null;
      });
    }

    @Override
    public void mayDrop(String qualifiedView, String owner, long resultTableOid) throws SQLException {
      boolean allowed = check(() -> {
        String sql = owner != null
            ? "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = ? AND pg_has_role(oid, 'MEMBER'))"
            : "SELECT EXISTS (SELECT 1 FROM pg_class WHERE oid = ?::oid AND pg_has_role(relowner, 'MEMBER'))";
        try (PreparedStatement ps = connection.prepareStatement(sql)) {
          if (owner != null) {
            ps.setString(1, owner);
          } else {
            ps.setLong(1, resultTableOid);
          }
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1);
          }
        }
      });
      if (!allowed) {
        throw mayNotDrop(qualifiedView);
      }
    }

    @FunctionalInterface
    private interface Check<T> {
      T run() throws SQLException;
    }

    /** Runs {@code check} on the requester's connection without disturbing an open transaction there. */
    private <T> T check(Check<T> check) throws SQLException {
      if (connection.getAutoCommit()) {
        return check.run();
      }
      Savepoint savepoint = connection.setSavepoint();
      try {
        return check.run();
      } finally {
        connection.rollback(savepoint);
        connection.releaseSavepoint(savepoint);
      }
    }
  }

  /** A request made earlier, checked for its role by name on the engine's connection. */
  static final class Recorded extends Requester {

    private final Connection engine;
    private final String currentSchema;

    private Recorded(Connection engine, String role, String searchPath, String currentSchema, String timeZone) {
      super(role, searchPath, timeZone);
      this.engine = engine;
      this.currentSchema = currentSchema;
    }

    @Override
    public String currentSchema() throws SQLException {
      if (currentSchema == null) {
        throw noSchema();
      }
      return currentSchema;
    }

    @Override
    public void mayCreate(String schema, String canonicalDefinition, List<TableShape> baseTables,
        boolean inOwnSchema) throws SQLException {
      String role = role();
      try (PreparedStatement ps = engine.prepareStatement("SELECT 1 FROM pg_roles WHERE rolname = ?")) {
        ps.setString(1, role);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new SQLException("role \"" + role + "\" does not exist", SqlStates.UNDEFINED_OBJECT);
          }
        }
      }
      if (!inOwnSchema) {
        mayCreateIn(engine, schema);
      }
      for (TableShape table : baseTables) {
        mayRead(role, table);
      }
    }

    /**
     * SELECT on every column of {@code table} the view reads (on any column when it reads none, as for
     * {@code count(*)}), USAGE on its schema, and no row-level security for the role on it: PostgreSQL
     * applies policies unless the role is a superuser, has BYPASSRLS, or owns the table without
     * {@code FORCE ROW LEVEL SECURITY}.
     */
    private void mayRead(String role, TableShape table) throws SQLException {
      try (PreparedStatement ps = engine.prepareStatement("SELECT c.oid, has_schema_privilege(?, n.oid, 'USAGE'),"
          + " has_any_column_privilege(?, c.oid, 'SELECT'),"
          + " c.relrowsecurity AND NOT r.rolsuper AND NOT r.rolbypassrls"
          + "   AND (c.relforcerowsecurity OR NOT pg_has_role(r.oid, c.relowner, 'USAGE'))"
          + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, pg_roles r"
          + " WHERE n.nspname = ? AND c.relname = ? AND r.rolname = ?")) {
        ps.setString(1, role);
        ps.setString(2, role);
        ps.setString(3, table.schema());
        ps.setString(4, table.name());
        ps.setString(5, role);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new SQLException("relation \"" + table.qualifiedName() + "\" does not exist",
                SqlStates.UNDEFINED_TABLE);
          }
          if (!rs.getBoolean(2)) {
            throw new SQLException("permission denied for schema " + table.schema() + " (role " + role + ")",
                SqlStates.INSUFFICIENT_PRIVILEGE);
          }
          if (!rs.getBoolean(3)) {
            throw new SQLException("permission denied for table " + table.qualifiedName() + " (role " + role + ")",
                SqlStates.INSUFFICIENT_PRIVILEGE);
          }
          if (rs.getBoolean(4)) {
            throw rowSecurityApplies(table);
          }
          long oid = rs.getLong(1);
          mayReadColumns(role, table, oid);
        }
      }
    }

    private void mayReadColumns(String role, TableShape table, long oid) throws SQLException {
      java.util.BitSet read = table.read();
      try (PreparedStatement ps = engine.prepareStatement(
          "SELECT has_column_privilege(?, ?::oid, ?, 'SELECT')")) {
        for (int k = read.nextSetBit(0); k >= 0; k = read.nextSetBit(k + 1)) {
          String column = table.columnNames().get(k);
          ps.setString(1, role);
          ps.setLong(2, oid);
          ps.setString(3, column);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            if (!rs.getBoolean(1)) {
              throw new SQLException("permission denied for column " + column + " of table "
                  + table.qualifiedName() + " (role " + role + ")", SqlStates.INSUFFICIENT_PRIVILEGE);
            }
          }
        }
      }
    }

    @Override
    public void mayDrop(String qualifiedView, String owner, long resultTableOid) throws SQLException {
      String sql = owner != null
          ? "SELECT EXISTS (SELECT 1 FROM pg_roles o, pg_roles r WHERE o.rolname = ? AND r.rolname = ?"
              + " AND pg_has_role(r.oid, o.oid, 'MEMBER'))"
          : "SELECT EXISTS (SELECT 1 FROM pg_class c, pg_roles r WHERE c.oid = ?::oid AND r.rolname = ?"
              + " AND pg_has_role(r.oid, c.relowner, 'MEMBER'))";
      try (PreparedStatement ps = engine.prepareStatement(sql)) {
        if (owner != null) {
          ps.setString(1, owner);
        } else {
          ps.setLong(1, resultTableOid);
        }
        ps.setString(2, role());
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!rs.getBoolean(1)) {
            throw mayNotDrop(qualifiedView);
          }
        }
      }
    }
  }
}
