package io.deltaview.engine.expr;

import io.deltaview.engine.row.Row;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rex.RexNode;

/**
 * Compiles SQL expressions through the production front end ({@link SqlFrontEnd}: Babel parser, PostgreSQL
 * functions and type system), exactly as a view definition reaches the compiler.
 *
 * <pre>
 * p(i int, b bigint, n numeric(10,2), nu numeric, d float8, s text, dt date, ts timestamp, tz timestamptz, r real)
 * </pre>
 */
final class PgExprSupport {

  private static final SqlFrontEnd FRONT_END = new SqlFrontEnd(CatalogSchema.builder()
      .table("public", "p")
      .column("i", "integer").column("b", "bigint").column("n", "numeric(10,2)").column("nu", "numeric")
      .column("d", "double precision").column("s", "text").column("dt", "date").column("ts", "timestamp")
      .column("tz", "timestamp with time zone").column("r", "real")
      .done().build());

  private PgExprSupport() {
  }

  /** The compiled first select-list expression of {@code select <expr> from p}, in a UTC session. */
  static Scalar compile(String expr) {
    return compile(expr, SessionZone.UTC);
  }

  /** The compiled first select-list expression of {@code select <expr> from p}, in a session of {@code zone}. */
  static Scalar compile(String expr, SessionZone zone) {
    RelNode rel;
    try {
      rel = FRONT_END.toRel("select " + expr + " from p").rel;
    } catch (SQLException e) {
      throw new IllegalArgumentException(e.getSQLState() + " " + e.getMessage(), e);
    }
    RexNode node = ((LogicalProject) rel).getProjects().get(0);
    return new ScalarCompiler(rel.getCluster().getRexBuilder(), zone).compile(node);
  }

  /** Evaluates a constant expression whose text changes case by {@code textCase}. */
  static Object eval(String expr, TextCase textCase) {
    RelNode rel;
    try {
      rel = FRONT_END.toRel("select " + expr + " from p").rel;
    } catch (SQLException e) {
      throw new IllegalArgumentException(e.getSQLState() + " " + e.getMessage(), e);
    }
    RexNode node = ((LogicalProject) rel).getProjects().get(0);
    return new ScalarCompiler(rel.getCluster().getRexBuilder(), SessionZone.UTC, textCase).compile(node)
        .eval(Row.wrap(new Object[10]));
  }

  /** The Calcite type of {@code expr}. */
  static String typeOf(String expr) throws SQLException {
    RelNode rel = FRONT_END.toRel("select " + expr + " from p").rel;
    return ((LogicalProject) rel).getProjects().get(0).getType().getFullTypeString();
  }

  /** Evaluates a constant expression (or one over an all-NULL row of p). */
  static Object eval(String expr) {
    return compile(expr).eval(Row.wrap(new Object[10]));
  }

  /** Evaluates {@code expr} in a session of {@code zone} over a row of p whose {@code tz} is {@code tz}. */
  static Object evalAt(String expr, String zone, java.time.Instant tz) {
    Object[] row = new Object[10];
    row[8] = tz;
    return compile(expr, SessionZone.of(zone)).eval(Row.wrap(row));
  }
}
