package io.deltaview.engine.expr;

import io.deltaview.engine.compile.SqlFixture;
import io.deltaview.engine.row.Row;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rex.RexNode;

/** Evaluates SQL expressions over table {@code t} through Calcite, as the view compiler would see them. */
final class ExprTestSupport {

  /** A sample row of t: i=7, b=10, n=12.50, d=2.5, s='Hello', dt=2024-03-15, ts=2024-03-15 13:45:30.5, si=3, n3=1.125. */
  static final Row SAMPLE = Row.of(7L, 10L, new BigDecimal("12.50"), 2.5, "Hello", LocalDate.of(2024, 3, 15),
      LocalDateTime.of(2024, 3, 15, 13, 45, 30, 500_000_000), 3L, new BigDecimal("1.125"));

  /** A row of t with every column NULL. */
  static final Row NULLS = Row.wrap(new Object[9]);

  private ExprTestSupport() {
  }

  static Scalar compile(String expr) {
    RelNode rel = SqlFixture.plan("select " + expr + " from t");
    RexNode node = ((LogicalProject) rel).getProjects().get(0);
    return new ScalarCompiler(rel.getCluster().getRexBuilder()).compile(node);
  }

  static Scalar compilePredicate(String predicate) {
    RelNode rel = SqlFixture.plan("select * from t where " + predicate);
    while (!(rel instanceof LogicalFilter)) {
      rel = rel.getInput(0);
    }
    return new ScalarCompiler(rel.getCluster().getRexBuilder()).compile(((LogicalFilter) rel).getCondition());
  }

  static Object eval(String expr) {
    return compile(expr).eval(SAMPLE);
  }

  static Object evalNull(String expr) {
    return compile(expr).eval(NULLS);
  }
}
