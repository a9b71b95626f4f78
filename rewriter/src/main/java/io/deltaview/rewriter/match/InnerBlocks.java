package io.deltaview.rewriter.match;

import java.util.IdentityHashMap;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelVisitor;
import org.apache.calcite.rel.core.Correlate;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rex.RexCorrelVariable;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexOver;
import org.apache.calcite.rex.RexShuttle;
import org.apache.calcite.rex.RexSubQuery;
import org.apache.calcite.sql.type.SqlTypeUtil;

/**
 * Answers a query that is not a block itself but holds blocks a view answers: a CTE or derived table aggregated
 * again ({@code WITH d AS (SELECT k, sum(x) ...) SELECT max(s) FROM d}) or joined to other tables. Each topmost
 * subtree that {@link ViewMatcher} rewrites onto the view is replaced by that rewrite, and the plan above it is
 * rebuilt over the replacement ({@link PlanRebuilder}).
 *
 * <p>Why this is sound: a block match computes exactly the subtree's rows, and it replaces the subtree only when
 * every column has the same type (precision and scale included), so the operators above see the same input. They
 * are rebuilt, not reinterpreted: aggregates above a replacement are the query's own aggregates over the
 * subtree's rows (which are the view's rows as the subtree defines them, not partial aggregates to roll up).
 * Plans with subqueries left in expressions, correlation or window functions are not tried.
 */
final class InnerBlocks {
  private InnerBlocks() {}

  /** {@code query} with every topmost subtree that {@code view} answers replaced, or why there is none. */
  static MatchResult match(RelNode query, CompiledView view) {
    if (view.block() == null) {
      return MatchResult.fail("the view answers only its own query");
    }
    if (hasSubQueryCorrelationOrWindow(query)) {
      return MatchResult.fail("subqueries in expressions, correlation or window functions");
    }
    IdentityHashMap<RelNode, RelNode> substitutes = new IdentityHashMap<>();
    for (RelNode input : query.getInputs()) {
      collect(input, view, substitutes);
    }
    if (substitutes.isEmpty()) {
      return MatchResult.fail("answers no CTE or derived table of the query");
    }
    try {
      return MatchResult.of(PlanRebuilder.overSubstitutes(substitutes, query.getCluster().getRexBuilder())
          .rebuild(query).rel());
    } catch (PlanRebuilder.Refusal r) {
      return MatchResult.fail("a CTE or derived table is answered, but the query around it is refused: "
          + r.getMessage());
    }
  }

  private static void collect(RelNode rel, CompiledView view, IdentityHashMap<RelNode, RelNode> into) {
    Decomposition d = Decomposition.of(rel).orElse(null);
    if (d != null) {
      MatchResult m = ViewMatcher.match(d, view, rel.getCluster());
      if (m.matched() && sameTypes(m.plan().getRowType(), rel.getRowType(), rel.getCluster().getTypeFactory())) {
        into.put(rel, m.plan());
        return;
      }
    }
    for (RelNode input : rel.getInputs()) {
      collect(input, view, into);
    }
  }

  /** Same number of columns, each of the same type apart from nullability. */
  private static boolean sameTypes(RelDataType a, RelDataType b, RelDataTypeFactory typeFactory) {
    if (a.getFieldCount() != b.getFieldCount()) {
      return false;
    }
    for (int i = 0; i < a.getFieldCount(); i++) {
      if (!SqlTypeUtil.equalSansNullability(typeFactory, a.getFieldList().get(i).getType(),
          b.getFieldList().get(i).getType())) {
        return false;
      }
    }
    return true;
  }

  private static boolean hasSubQueryCorrelationOrWindow(RelNode plan) {
    boolean[] found = {false};
    RexShuttle finder = new RexShuttle() {
      @Override
      public RexNode visitSubQuery(RexSubQuery subQuery) {
        found[0] = true;
        return subQuery;
      }

      @Override
      public RexNode visitCorrelVariable(RexCorrelVariable variable) {
        found[0] = true;
        return variable;
      }

      @Override
      public RexNode visitOver(RexOver over) {
        found[0] = true;
        return over;
      }
    };
    new RelVisitor() {
      @Override
      public void visit(RelNode node, int ordinal, RelNode parent) {
        if (node instanceof Correlate || !node.getVariablesSet().isEmpty()) {
          found[0] = true;
        }
        node.accept(finder);
        super.visit(node, ordinal, parent);
      }
    }.go(plan);
    return found[0];
  }
}
