package io.deltaview.driver.runtime;

import io.deltaview.rewriter.ViewReads;
import java.sql.Array;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Whether a role may be served from a view, decided by PostgreSQL itself: the questions are asked on a
 * connection that runs as that role ({@code has_*_privilege}, {@code row_security_active}), so role
 * membership, {@code PUBLIC} grants, superuser, {@code BYPASSRLS}, table ownership and {@code FORCE ROW LEVEL
 * SECURITY} count exactly as they do for the role's own queries.
 *
 * <p>A view may answer the role's queries only when the role may use the result table's schema and SELECT the
 * result table, may use every base table's schema and SELECT every base-table column the view's definition
 * reads (stricter than the columns a particular query reads: a roll-up of a view that reads a column the
 * query does not is refused too), and no row-level security applies to it on any of those tables (a result
 * table holds every row; a policy would have filtered the base tables). Names are bound as parameters, never
 * spliced into SQL.
 */
final class RoleAccess {

  /** Per table (by position): schema usable, table SELECT, some column SELECT, row-level security active. */
  private static final String TABLES = """
      SELECT t.ord, current_user, c.oid IS NOT NULL,
             has_schema_privilege(n.oid, 'USAGE'), has_table_privilege(c.oid, 'SELECT'),
             has_any_column_privilege(c.oid, 'SELECT'), row_security_active(c.oid)
      FROM unnest(?::text[], ?::text[]) WITH ORDINALITY AS t(s, r, ord)
      LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = t.s
      LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.r
      ORDER BY t.ord
      """;

  /** Per column (by position): SELECT on it (through a table grant too); NULL when there is no such column. */
  private static final String COLUMNS = """
      SELECT t.ord, has_column_privilege(c.oid, a.attnum, 'SELECT')
      FROM unnest(?::text[], ?::text[], ?::text[]) WITH ORDINALITY AS t(s, r, col, ord)
      LEFT JOIN pg_catalog.pg_namespace n ON n.nspname = t.s
      LEFT JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.r
      LEFT JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attname = t.col AND a.attnum > 0
           AND NOT a.attisdropped
      ORDER BY t.ord
      """;

  /**
   * Everything the answers above depend on, for the given tables and the connection's role, as one hash:
   * the tables' identity, owner, ACL and row-level security flags, their schemas' ACLs, column ACLs, policies,
   * every role membership, and the superuser/inherit/bypass attributes of the roles involved. Cheap enough to
   * poll every second; when it changes, the answers are asked again.
   */
  private static final String FINGERPRINT = """
      WITH rel AS (
        SELECT c.oid, c.relowner, c.relacl, c.relrowsecurity, c.relforcerowsecurity, n.oid AS nsp, n.nspowner,
               n.nspacl
        FROM unnest(?::text[], ?::text[]) AS t(s, r)
        JOIN pg_catalog.pg_namespace n ON n.nspname = t.s
        JOIN pg_catalog.pg_class c ON c.relnamespace = n.oid AND c.relname = t.r)
      SELECT md5(concat_ws('|', current_user,
        (SELECT string_agg(concat_ws(',', oid, relowner, coalesce(relacl::text, '-'), relrowsecurity,
                relforcerowsecurity, nsp, nspowner, coalesce(nspacl::text, '-')), ';' ORDER BY oid) FROM rel),
        (SELECT string_agg(concat_ws(',', a.attrelid, a.attnum, a.attacl::text), ';' ORDER BY a.attrelid, a.attnum)
         FROM pg_catalog.pg_attribute a WHERE a.attrelid IN (SELECT oid FROM rel) AND a.attacl IS NOT NULL),
        (SELECT string_agg(concat_ws(',', p.oid, p.polrelid, p.polcmd, p.polpermissive, p.polroles::text), ';'
                ORDER BY p.oid)
         FROM pg_catalog.pg_policy p WHERE p.polrelid IN (SELECT oid FROM rel)),
        (SELECT string_agg(concat_ws(',', m.roleid, m.member, m.admin_option), ';' ORDER BY m.roleid, m.member)
         FROM pg_catalog.pg_auth_members m),
        (SELECT string_agg(concat_ws(',', r.oid, r.rolsuper, r.rolinherit, r.rolbypassrls), ';' ORDER BY r.oid)
         FROM pg_catalog.pg_roles r
         WHERE r.rolname = current_user OR r.oid IN (SELECT roleid FROM pg_catalog.pg_auth_members))))
      """;

  private RoleAccess() {
  }

  /**
   * The views of {@code reads} that the role of {@code c} may not be served from, each with the first reason
   * found (e.g. {@code role app may not read column public.secret.payload}). {@code c} must run as the role
   * (no {@code SET ROLE}); empty {@code reads} cost no round trip.
   */
  static Map<String, String> refusals(Connection c, List<ViewReads> reads) throws SQLException {
    if (reads.isEmpty()) {
      return Map.of();
    }
    List<String[]> tables = new ArrayList<>();
    List<String[]> columns = new ArrayList<>();
    for (ViewReads v : reads) {
      tables.add(new String[] {v.resultSchema(), v.resultTable()});
      for (ViewReads.BaseTable t : v.baseTables()) {
        tables.add(new String[] {t.schema(), t.table()});
        for (String column : t.columns()) {
          columns.add(new String[] {t.schema(), t.table(), column});
        }
      }
    }
    String role = null;
    List<TableAccess> tableAccess = new ArrayList<>(tables.size());
    try (PreparedStatement ps = c.prepareStatement(TABLES)) {
      ps.setArray(1, textArray(c, tables, 0));
      ps.setArray(2, textArray(c, tables, 1));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          role = rs.getString(2);
          tableAccess.add(new TableAccess(rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5), rs.getBoolean(6),
              rs.getBoolean(7)));
        }
      }
    }
    List<Boolean> columnAccess = new ArrayList<>(columns.size());
    if (!columns.isEmpty()) {
      try (PreparedStatement ps = c.prepareStatement(COLUMNS)) {
        ps.setArray(1, textArray(c, columns, 0));
        ps.setArray(2, textArray(c, columns, 1));
        ps.setArray(3, textArray(c, columns, 2));
        try (ResultSet rs = ps.executeQuery()) {
          while (rs.next()) {
            boolean granted = rs.getBoolean(2);
            columnAccess.add(rs.wasNull() ? null : granted);
          }
        }
      }
    }
    Map<String, String> refusals = new LinkedHashMap<>();
    int ti = 0;
    int ci = 0;
    for (ViewReads v : reads) {
      String refusal = resultTableRefusal(role, v, tableAccess.get(ti++));
      for (ViewReads.BaseTable t : v.baseTables()) {
        TableAccess access = tableAccess.get(ti++);
        if (refusal == null) {
          refusal = baseTableRefusal(role, t, access);
        }
        for (String column : t.columns()) {
          Boolean granted = columnAccess.get(ci++);
          if (refusal == null && !Boolean.TRUE.equals(granted)) {
            refusal = granted == null ? "column " + t.qualifiedName() + "." + column + " does not exist"
                : "role " + role + " may not read column " + t.qualifiedName() + "." + column;
          }
        }
      }
      if (refusal != null) {
        refusals.put(v.view(), refusal);
      }
    }
    return refusals;
  }

  /** The hash of everything {@link #refusals} depends on for {@code reads} (see {@link #FINGERPRINT}). */
  static String fingerprint(Connection c, List<ViewReads> reads) throws SQLException {
    if (reads.isEmpty()) {
      return "";
    }
    List<String[]> tables = new ArrayList<>();
    for (ViewReads v : reads) {
      tables.add(new String[] {v.resultSchema(), v.resultTable()});
      for (ViewReads.BaseTable t : v.baseTables()) {
        tables.add(new String[] {t.schema(), t.table()});
      }
    }
    try (PreparedStatement ps = c.prepareStatement(FINGERPRINT)) {
      ps.setArray(1, textArray(c, tables, 0));
      ps.setArray(2, textArray(c, tables, 1));
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  /**
   * For {@code SHOW INCREMENTAL VIEWS}: whether the role of {@code c} (its current role, as the caller's
   * connection is) may read each of {@code tables} ({@code {schema, name}}), and whether row-level security
   * filters what it reads there; in order.
   */
  static List<TableAccess> tableAccess(Connection c, List<String[]> tables) throws SQLException {
    List<TableAccess> out = new ArrayList<>(tables.size());
    if (tables.isEmpty()) {
      return out;
    }
    try (PreparedStatement ps = c.prepareStatement(TABLES)) {
      ps.setArray(1, textArray(c, tables, 0));
      ps.setArray(2, textArray(c, tables, 1));
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          out.add(new TableAccess(rs.getBoolean(3), rs.getBoolean(4), rs.getBoolean(5), rs.getBoolean(6),
              rs.getBoolean(7)));
        }
      }
    }
    return out;
  }

  private static String resultTableRefusal(String role, ViewReads v, TableAccess a) {
    String table = v.resultSchema() + "." + v.resultTable();
    if (!a.exists()) {
      return "result table " + table + " does not exist";
    }
    if (!a.schemaUsable()) {
      return "role " + role + " may not use schema " + v.resultSchema() + " (of result table " + table + ")";
    }
    if (!a.tableSelect()) {
      return "role " + role + " may not read result table " + table;
    }
    if (a.rowSecurity()) {
      return "row-level security applies to role " + role + " on result table " + table;
    }
    return null;
  }

  private static String baseTableRefusal(String role, ViewReads.BaseTable t, TableAccess a) {
    if (!a.exists()) {
      return "table " + t.qualifiedName() + " does not exist";
    }
    if (!a.schemaUsable()) {
      return "role " + role + " may not use schema " + t.schema() + " (of table " + t.qualifiedName() + ")";
    }
    if (a.rowSecurity()) {
      return "row-level security applies to role " + role + " on table " + t.qualifiedName();
    }
    if (!a.anyColumnSelect()) {
      return "role " + role + " may not read table " + t.qualifiedName();
    }
    return null;
  }

  private static Array textArray(Connection c, List<String[]> rows, int field) throws SQLException {
    String[] values = new String[rows.size()];
    for (int i = 0; i < values.length; i++) {
      values[i] = rows.get(i)[field];
    }
    return c.createArrayOf("text", values);
  }

  /**
   * What one role may do with one table.
   *
   * @param exists the table exists
   * @param schemaUsable USAGE on its schema
   * @param tableSelect SELECT on the whole table
   * @param anyColumnSelect SELECT on the table or on at least one of its columns
   * @param rowSecurity row-level security applies to the role there ({@code row_security_active})
   */
  record TableAccess(boolean exists, boolean schemaUsable, boolean tableSelect, boolean anyColumnSelect,
                     boolean rowSecurity) {
  }
}
