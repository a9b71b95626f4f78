package io.deltaview.rewriter;

import java.util.List;
import java.util.Objects;

/**
 * What answering a query from one view reads: the view's result table, and for each base table of its
 * definition the columns the definition reads. A role may be served from the view only if PostgreSQL would let
 * it read all of these (and no row-level security filters them for it); the driver checks that per role.
 *
 * @param view the view's qualified name
 * @param resultSchema schema of the result table, as stored in PostgreSQL
 * @param resultTable name of the result table, as stored in PostgreSQL
 * @param baseTables the tables the definition scans, each with the columns it reads, in plan order
 */
public record ViewReads(String view, String resultSchema, String resultTable, List<BaseTable> baseTables) {

  public ViewReads {
    Objects.requireNonNull(view, "view");
    Objects.requireNonNull(resultSchema, "resultSchema");
    Objects.requireNonNull(resultTable, "resultTable");
    baseTables = List.copyOf(baseTables);
  }

  /**
   * One base table and the columns of it the view's definition reads (possibly none, as in
   * {@code SELECT count(*) FROM t}: PostgreSQL then requires SELECT on some column of it).
   */
  public record BaseTable(String schema, String table, List<String> columns) {
    public BaseTable {
      Objects.requireNonNull(schema, "schema");
      Objects.requireNonNull(table, "table");
      columns = List.copyOf(columns);
    }

    /** {@code schema.table}, as written in messages. */
    public String qualifiedName() {
      return schema + "." + table;
    }
  }
}
