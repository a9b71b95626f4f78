package io.deltaview.sql;

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

  /** A SQL string literal, for the few places that cannot use a bind parameter (DDL). */
  public static String literal(String value) {
    return "'" + value.replace("'", "''") + "'";
  }
}
