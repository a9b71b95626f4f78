package io.deltaview.rewriter.schema;

import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;

/** One table (or view) of the catalog: columns in ordinal order and primary-key column names. */
public record TableInfo(String schema, String name, List<ColumnInfo> columns, List<String> primaryKey) {
  public TableInfo {
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(name, "name");
    columns = List.copyOf(columns);
    primaryKey = List.copyOf(primaryKey);
  }

  /** {@code schema.name}, lower-cased, as used in {@code RewriteDecision.baseTables}. */
  public String qualifiedName() {
    return (schema + "." + name).toLowerCase(Locale.ROOT);
  }

  public Optional<ColumnInfo> column(String columnName) {
    return columns.stream().filter(c -> c.name().equals(columnName)).findFirst();
  }
}
