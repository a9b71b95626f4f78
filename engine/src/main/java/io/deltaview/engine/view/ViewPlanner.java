package io.deltaview.engine.view;

import io.deltaview.rewriter.sql.SqlStates;
import io.deltaview.engine.compile.UnsupportedConstructException;
import io.deltaview.engine.compile.ViewCompiler;
import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.schema.ColumnInfo;
import io.deltaview.rewriter.schema.TableInfo;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Compiles a view definition for maintenance: Calcite front end (the same one the rewriter uses) → logical
 * plan → incremental pipeline, plus the base-table shapes the apply loop and the snapshot loader feed it.
 */
public final class ViewPlanner {

  private ViewPlanner() {
  }

  /**
   * Plans {@code sql} against the schema as {@code connection} sees it; the caller has set the connection's
   * search_path to the one the view was defined with. Unsupported SQL fails with {@code 0A000} naming the construct.
   */
  public static PlannedView plan(Connection connection, String sql) throws SQLException {
    CatalogSchema schema = CatalogSchema.load(connection);
    RelRoot root = new SqlFrontEnd(schema).toRel(sql);
    ViewPipeline first;
    try {
      first = ViewCompiler.compile(root);
    } catch (UnsupportedConstructException e) {
      throw new SQLException("Deltaview cannot maintain this view yet: " + e.getMessage(),
          UnsupportedConstructException.SQL_STATE, e);
    }
    List<TableShape> sources = new ArrayList<>();
    for (int source = 0; source < first.sourceTables().size(); source++) {
      List<String> qualified = first.sourceTables().get(source);
      String schemaName = qualified.get(qualified.size() - 2);
      String tableName = qualified.get(qualified.size() - 1);
      TableInfo table = schema.table(schemaName, tableName).orElseThrow(() -> new SQLException(
          "Deltaview internal error: planned table " + qualified + " is not in the catalog", SqlStates.INTERNAL_ERROR));
      List<String> names = new ArrayList<>();
      List<SqlTypeName> types = new ArrayList<>();
      BitSet read = first.readColumns(source);
      for (ColumnInfo column : table.columns()) {
        if (column.generated() && read.get(names.size())) {
          // PostgreSQL does not replicate generated columns (pgoutput leaves them out of every change), so a
          // view that reads one could never be maintained; one that only scans such a table is fine, since
          // columns it does not read are never parsed.
          throw new SQLException("Deltaview cannot maintain this view yet: it reads generated column "
              + column.name() + " of " + schemaName + "." + tableName + ", which PostgreSQL does not replicate",
              SqlStates.FEATURE_NOT_SUPPORTED);
        }
        names.add(column.name());
        types.add(column.type().calciteType());
      }
      sources.add(new TableShape(schemaName, tableName, names, types, read));
    }
    int[] key = first.uniqueKey();
    boolean keyNotNull = key != null;
    if (key != null) {
      for (int k : key) {
        keyNotNull &= !first.columnTypes().get(k).isNullable();
      }
    }
    boolean[] firstUsed = {false};
    return new PlannedView(() -> {
      // The pipeline compiled for validation is reused once; later loads (restart, TRUNCATE) compile afresh.
      synchronized (firstUsed) {
        if (!firstUsed[0]) {
          firstUsed[0] = true;
          return first;
        }
      }
      return ViewCompiler.compile(root);
    }, sources, key, keyNotNull);
  }
}
