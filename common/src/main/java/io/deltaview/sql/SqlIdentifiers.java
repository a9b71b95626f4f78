package io.deltaview.sql;

import java.nio.charset.StandardCharsets;
import java.sql.SQLException;

/** Quoting of PostgreSQL identifiers for SQL that Deltaview generates. */
public final class SqlIdentifiers {

  private SqlIdentifiers() {
  }

  /** {@code "name"} with embedded quotes doubled; always quoted so case and keywords are safe. */
  public static String quote(String identifier) {
    return '"' + identifier.replace("\"", "\"\"") + '"';
  }

  /** {@code "schema"."name"}. */
  public static String quote(String schema, String name) {
    return quote(schema) + "." + quote(name);
  }

  /** PostgreSQL's identifier length limit ({@code NAMEDATALEN - 1}), in bytes. */
  public static final int MAX_NAME_BYTES = 63;

  /**
   * {@code name} if PostgreSQL keeps it whole. PostgreSQL cuts longer names to 63 bytes (with a notice); a view
   * whose name and result table name differ that way could be neither used nor dropped by either name, so such
   * names are refused.
   *
   * @throws SQLException {@code 42622} for a longer name
   */
  public static String checkedLength(String name) throws SQLException {
    int bytes = name.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_NAME_BYTES) {
      throw new SQLException("identifier \"" + name + "\" is too long for a view name: " + bytes + " bytes, at most "
          + MAX_NAME_BYTES + " (PostgreSQL's limit)", SqlStates.NAME_TOO_LONG);
    }
    return name;
  }

  /** A SQL string literal, for the few places that cannot use a bind parameter (DDL). */
  public static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
