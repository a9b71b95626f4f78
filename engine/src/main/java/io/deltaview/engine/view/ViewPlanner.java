package io.deltaview.engine.view;

import io.deltaview.sql.SqlStates;
import io.deltaview.engine.compile.UnsupportedConstructException;
import io.deltaview.engine.compile.ViewCompiler;
import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.dataflow.Dataflow;
import io.deltaview.engine.expr.SessionZone;
import io.deltaview.engine.expr.TextCase;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.schema.ColumnInfo;
import io.deltaview.rewriter.schema.TableInfo;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Compiles a view definition for maintenance: Calcite front end (the same one the rewriter uses) → logical
 * plan → incremental pipeline, plus the base-table shapes the apply loop and the snapshot loader feed it.
 */
public final class ViewPlanner {

  private ViewPlanner() {
  }

  /** A base table's OID, columns and descendants as the catalog has them while the view is planned. */
  private record PlannedTable(long oid, List<TableShape.Column> columns, List<TableShape.Descendant> descendants) {
  }

  /**
   * The OID and columns (number, type OID and modifier) of a base table, which the stream's Relation messages
   * are later compared with; the column names must be the ones just planned with, or the table changed under
   * the planning (a concurrent ALTER) and the plan is not trusted.
   */
  private static PlannedTable plannedTable(Connection connection, String schema, String table, List<String> names)
      throws SQLException {
    long oid = 0;
    List<TableShape.Column> columns = new ArrayList<>();
    try (PreparedStatement ps = connection.prepareStatement("SELECT c.oid, a.attname, a.attnum, a.atttypid,"
        + " a.atttypmod, format_type(a.atttypid, a.atttypmod) FROM pg_catalog.pg_class c"
        + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace"
        + " JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        + " WHERE n.nspname = ? AND c.relname = ? ORDER BY a.attnum")) {
      ps.setString(1, schema);
      ps.setString(2, table);
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          oid = rs.getLong(1);
          columns.add(new TableShape.Column(rs.getString(2), rs.getInt(3), rs.getInt(4), rs.getInt(5),
              rs.getString(6)));
        }
      }
    }
    List<String> found = columns.stream().map(TableShape.Column::name).toList();
    if (!found.equals(names)) {
      throw new SQLException("table " + schema + "." + table + " changed while the view was planned (columns "
          + names + ", now " + found + "); try again", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    return new PlannedTable(oid, columns, Descendants.of(connection, oid));
  }

  /**
   * Plans {@code sql} against the schema as {@code connection} sees it; the caller has set the connection's
   * search_path to the one the view was defined with, and {@code zone} is the TimeZone it was defined in.
   * Unsupported SQL fails with {@code 0A000} naming the construct.
   */
  public static PlannedView plan(Connection connection, String sql, SessionZone zone) throws SQLException {
    CatalogSchema schema = CatalogSchema.load(connection);
    Compiled compiled = compile(SqlFrontEnd.forViews(schema), sql, zone);
    RelRoot root = compiled.root();
    ViewPipeline first = compiled.pipeline();
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
      PlannedTable planned = plannedTable(connection, schemaName, tableName, names);
      sources.add(new TableShape(schemaName, tableName, names, types, read, planned.oid(), planned.columns(),
          planned.descendants()));
    }
    TextCollations.check(connection, root.rel, sources);
    TextCase textCase = TextCollations.textCase(connection, root.rel, sources);
    if (textCase != TextCase.UNICODE) {
      // compiled above with the default case mappings, which only decide how case changes
      first = ViewCompiler.compile(root, zone, textCase);
    }
    int[] key = first.uniqueKey();
    boolean keyNotNull = key != null;
    if (key != null) {
      for (int k : key) {
        keyNotNull &= !first.columnTypes().get(k).isNullable();
      }
    }
    // The pipeline compiled for validation is handed out once; later loads (restart, TRUNCATE, rebuild) compile
    // afresh. The factory lets go of it when it hands it out: holding on would keep that first load's operator
    // state alive for the view's lifetime, also after a failed load or a rebuild replaced it.
    AtomicReference<ViewPipeline> unused = new AtomicReference<>(first);
    return new PlannedView(() -> {
      ViewPipeline p = unused.getAndSet(null);
      return p != null ? p : ViewCompiler.compile(root, zone, textCase);
    }, sources, key, keyNotNull);
  }

  /**
   * The dataflow that would maintain {@code sql}, planned against the schema as {@code connection} sees it (its
   * search_path resolves the names): what EXPLAIN INCREMENTAL VIEW prints. Unsupported SQL fails with
   * {@code 0A000} as {@link #plan} does.
   */
  public static Dataflow dataflow(Connection connection, String sql, SessionZone zone) throws SQLException {
    return plan(connection, sql, zone).pipelineFactory().get().dataflow();
  }

  /** A plan and its pipeline. */
  private record Compiled(RelRoot root, ViewPipeline pipeline) {
  }

  /**
   * Compiles the plan with its subqueries left for the dataflow's normaliser (which decorrelates them after
   * moving WHERE conditions into joins), or, when that leaves something it cannot maintain, the plan Calcite
   * decorrelated while converting: two equivalent plans, and some correlations only one of the two
   * decorrelations removes. The first plan's refusal is the one reported.
   */
  private static Compiled compile(SqlFrontEnd frontEnd, String sql, SessionZone zone) throws SQLException {
    try {
      return compileOrRefuse(frontEnd, sql, zone);
    } catch (RuntimeException e) {
      // a bug in planning this definition: an SQLException the caller can report, not an unchecked one through JDBC
      throw new SQLException("Deltaview internal error while planning this view (" + e + "); the view was not"
          + " created", SqlStates.INTERNAL_ERROR, e);
    }
  }

  private static Compiled compileOrRefuse(SqlFrontEnd frontEnd, String sql, SessionZone zone) throws SQLException {
    RelRoot root = frontEnd.toRelWithSubQueries(sql);
    try {
      return new Compiled(root, ViewCompiler.compile(root, zone));
    } catch (io.deltaview.engine.expr.EvaluationException e) {
      // what PostgreSQL fails the query with whatever the rows (a negative window frame offset)
      throw new SQLException(e.getMessage(), e.sqlState(), e);
    } catch (UnsupportedConstructException e) {
      RelRoot expanded = frontEnd.toRel(sql);
      try {
        return new Compiled(expanded, ViewCompiler.compile(expanded, zone));
      } catch (UnsupportedConstructException ignored) {
        throw new SQLException("Deltaview cannot maintain this view yet: " + e.getMessage(),
            UnsupportedConstructException.SQL_STATE, e);
      }
    }
  }
}
