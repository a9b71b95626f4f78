package io.deltaview.rewriter.schema;

import java.util.Objects;

/**
 * One column of a catalog table: name as stored in PostgreSQL, its type, nullability, and whether it is a
 * generated column (which logical replication does not carry).
 */
public record ColumnInfo(String name, PgType type, boolean nullable, boolean generated) {
  public ColumnInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
  }

  /** An ordinary (not generated) column. */
  public ColumnInfo(String name, PgType type, boolean nullable) {
    this(name, type, nullable, false);
  }
}
