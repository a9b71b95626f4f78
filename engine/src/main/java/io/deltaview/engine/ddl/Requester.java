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
 * The role that sent a Deltaview command, with its own connection: every authorization question is asked
 * there, so PostgreSQL answers it for that role exactly as it would for the same action done by hand
 * (column grants, role membership, row-level security, superuser, BYPASSRLS). The engine acts with its own
 * role only after the requester passed.
 *
 * <p>Checks leave the requester's session as they found it: inside an open transaction they run under a
 * savepoint that is rolled back, so a refusal does not abort the caller's transaction.
 */
public final class Requester {

  private final Connection connection;
  private final String role;
  private final String searchPath;

  private Requester(Connection connection, String role, String searchPath) {
    this.connection = connection;
    this.role = role;
    this.searchPath = searchPath;
  }

  /** The requester behind {@code connection}: its current role and search_path, read from it now. */
  public static Requester of(Connection connection) throws SQLException {
    try (Statement s = connection.createStatement();
         ResultSet rs = s.executeQuery("SELECT current_user, current_setting('search_path')")) {
      rs.next();
      return new Requester(connection, rs.getString(1), rs.getString(2));
    }
  }

  /** The role (PostgreSQL's {@code current_user}) the command runs as. */
  public String role() {
    return role;
  }

  /** The search_path that resolves the command's unqualified names, as {@code current_setting} gives it. */
  public String searchPath() {
    return searchPath;
  }

  /** The schema an unqualified new object would be created in: PostgreSQL's {@code current_schema()}. */
  public String currentSchema() throws SQLException {
    return check(() -> {
      try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery("SELECT current_schema()")) {
        rs.next();
        String schema = rs.getString(1);
        if (schema == null) {
          throw new SQLException("no schema has been selected to create in (search_path is empty)",
              SqlStates.INVALID_SCHEMA_NAME);
        }
        return schema;
      }
    });
  }

  /**
   * What {@code CREATE TABLE schema.name AS definition} would require of this role, plus that nothing the
   * view would hold is hidden from it: CREATE on the schema (unless {@code inOwnSchema}: Deltaview's own
   * schema for automatic views), SELECT on every column the definition reads (PostgreSQL checks the
   * definition itself, with EXPLAIN, which plans without running it), and no row-level security policy
   * applying to this role on any base table (the result table would hold every row).
   *
   * @throws SQLException {@code 42501} naming what is missing; PostgreSQL's own error for the rest
   */
  public void mayCreate(String schema, String canonicalDefinition, List<TableShape> baseTables, boolean inOwnSchema)
      throws SQLException {
    check(() -> {
      if (!inOwnSchema) {
        try (PreparedStatement ps = connection.prepareStatement(
            "SELECT has_schema_privilege(n.oid, 'CREATE') FROM pg_namespace n WHERE n.nspname = ?")) {
          ps.setString(1, schema);
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
              throw new SQLException("row-level security applies to role " + role + " on table "
                  + table.qualifiedName() + ": an incremental view over it would hold rows the role cannot see",
                  SqlStates.INSUFFICIENT_PRIVILEGE);
            }
          }
        }
      }
      return null;
    });
  }

  /**
   * What {@code DROP TABLE} would require: membership in the view's owner role. {@code owner} null (a view
   * from before owners were recorded) means the owner of {@code resultTableOid}'s table.
   *
   * @throws SQLException {@code 42501} if the role may not drop it
   */
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
      throw new SQLException("must be owner of incremental view " + qualifiedView, SqlStates.INSUFFICIENT_PRIVILEGE);
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
