package io.deltaview.rewriter;

import java.util.List;
import java.util.Objects;

/**
 * A registered incremental view: its name, the result table the engine keeps equal to its query, the query
 * text, and the result table's column names in order.
 */
public record ViewDefinition(String qualifiedName, String resultSchema, String resultTable,
                             String definitionSql, List<String> columnNames) {
  public ViewDefinition {
    Objects.requireNonNull(qualifiedName, "qualifiedName");
    Objects.requireNonNull(resultSchema, "resultSchema");
    Objects.requireNonNull(resultTable, "resultTable");
    Objects.requireNonNull(definitionSql, "definitionSql");
    columnNames = List.copyOf(columnNames);
  }
}
