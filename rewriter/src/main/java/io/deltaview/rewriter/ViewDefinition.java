package io.deltaview.rewriter;

import java.util.List;
import java.util.Objects;

/**
 * A registered incremental view: its name, the result table the engine keeps equal to its query, the query
 * text, the result table's column names in order, and the {@code TimeZone} its timestamptz conversions were
 * evaluated in (its creator's; {@code UTC} for views from before it was recorded).
 */
public record ViewDefinition(String qualifiedName, String resultSchema, String resultTable,
                             String definitionSql, List<String> columnNames, String timeZone) {
  public ViewDefinition {
    Objects.requireNonNull(qualifiedName, "qualifiedName");
    Objects.requireNonNull(resultSchema, "resultSchema");
    Objects.requireNonNull(resultTable, "resultTable");
    Objects.requireNonNull(definitionSql, "definitionSql");
    columnNames = List.copyOf(columnNames);
    timeZone = timeZone == null ? "UTC" : timeZone;
  }

  /** A view evaluated in UTC. */
  public ViewDefinition(String qualifiedName, String resultSchema, String resultTable, String definitionSql,
      List<String> columnNames) {
    this(qualifiedName, resultSchema, resultTable, definitionSql, columnNames, null);
  }
}
