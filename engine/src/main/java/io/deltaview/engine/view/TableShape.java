package io.deltaview.engine.view;

import java.util.List;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * A base table as the operators see it: its qualified name and its columns' names and Calcite types, in
 * the order of the table's row type. Rows of this table are fed to pipelines in exactly that order.
 */
public record TableShape(String schema, String name, List<String> columnNames, List<SqlTypeName> columnTypes) {

  public TableShape {
    columnNames = List.copyOf(columnNames);
    columnTypes = List.copyOf(columnTypes);
  }

  /** {@code schema.name}, the key used for this table everywhere in the engine. */
  public String qualifiedName() {
    return schema + "." + name;
  }
}
