package io.deltaview.engine.ddl;

import io.deltaview.sql.SqlIdentifiers;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/** Who may do what with a view's result table. */
public final class ResultTables {

  private ResultTables() {
  }

  /**
   * Leaves the just-created result table {@code quotedTable} readable, never writable, by anyone but its
   * owner (the engine's role): a row written into it by hand would be served as the view's. Whatever default
   * privileges gave other roles is cut back to SELECT (kept, with its grant option: granting read access to
   * the engine's tables is how deployments let applications read views). The creating role, if it is not the
   * owner, gets SELECT with grant option, as the owner of a table it had created itself could grant.
   */
  public static void restrictToReading(Connection c, String quotedTable, String creator) throws SQLException {
    record Grantee(String role, boolean canSelect, boolean grantable) {
    }
    List<Grantee> grantees = new ArrayList<>();
    String owner;
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_get_userbyid(c.relowner),"
        + " CASE WHEN a.grantee = 0 THEN NULL ELSE pg_get_userbyid(a.grantee) END,"
        + " bool_or(a.privilege_type = 'SELECT'), bool_or(a.privilege_type = 'SELECT' AND a.is_grantable)"
        + " FROM pg_class c, aclexplode(coalesce(c.relacl, acldefault('r', c.relowner))) a"
        + " WHERE c.oid = ?::regclass AND a.grantee <> c.relowner GROUP BY 1, 2")) {
      ps.setString(1, quotedTable);
      try (ResultSet rs = ps.executeQuery()) {
        owner = null;
        while (rs.next()) {
          owner = rs.getString(1);
          grantees.add(new Grantee(rs.getString(2), rs.getBoolean(3), rs.getBoolean(4)));
        }
      }
    }
    try (Statement s = c.createStatement()) {
      for (Grantee g : grantees) {
        String role = g.role() == null ? "PUBLIC" : SqlIdentifiers.quote(g.role());
        s.execute("REVOKE ALL ON " + quotedTable + " FROM " + role);
        if (g.canSelect()) {
          s.execute("GRANT SELECT ON " + quotedTable + " TO " + role + (g.grantable() ? " WITH GRANT OPTION" : ""));
        }
      }
      if (!creator.equals(owner == null ? currentUser(s) : owner)) {
        s.execute("GRANT SELECT ON " + quotedTable + " TO " + SqlIdentifiers.quote(creator) + " WITH GRANT OPTION");
      }
    }
  }

  private static String currentUser(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT current_user")) {
      rs.next();
      return rs.getString(1);
    }
  }

  /** The OID of table {@code schema.name}, or 0 if there is none. */
  public static long oid(Connection c, String schema, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT c.oid FROM pg_class c JOIN pg_namespace n"
        + " ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getLong(1) : 0;
      }
    }
  }
}
