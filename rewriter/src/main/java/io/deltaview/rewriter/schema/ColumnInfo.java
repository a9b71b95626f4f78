package io.deltaview.rewriter.schema;

import java.util.Objects;

/** One column of a catalog table: name as stored in PostgreSQL, its type and nullability. */
public record ColumnInfo(String name, PgType type, boolean nullable) {
  public ColumnInfo {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(type, "type");
  }
}
