package io.deltaview.rewriter.match;

import java.util.IdentityHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Predicate;
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
 * Answers a query that is not a block itself but holds blocks views answer: a CTE or derived table aggregated
 * again ({@code WITH d AS (SELECT k, sum(x) ...) SELECT max(s) FROM d}), joined to other tables or to another
 * view's block, or the branches of a set operation. Each topmost subtree that {@link ViewMatcher} rewrites onto a
 * view is replaced by that rewrite, and the plan above it is rebuilt over the replacements
 * ({@link PlanRebuilder}).
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
    return match(query, List.of(view), v -> true).match();
  }

  /**
   * What answers a query from several views: the rebuilt plan and the views it reads, in the order they were
   * found.
   */
  record Answer(MatchResult match, List<CompiledView> views) {}

  /**
   * {@code query} with every topmost subtree that one of {@code views} answers replaced by the first such view's
   * rewrite, among the views {@code usable} accepts (asked only of a view that answers the subtree), or why
   * there is none. Different subtrees may be answered by different views: a UNION ALL of two served branches,
   * two aggregates joined. Each replacement has exactly its subtree's rows, so the combination is the query's
   * answer as long as the views reflect one state of the source, which is the caller's to check when it serves.
   */
  static Answer match(RelNode query, List<CompiledView> views, Predicate<CompiledView> usable) {
    if (hasSubQueryCorrelationOrWindow(query)) {
      return new Answer(MatchResult.fail("subqueries in expressions, correlation or window functions"), List.of());
    }
    IdentityHashMap<RelNode, RelNode> substitutes = new IdentityHashMap<>();
    Set<CompiledView> used = new LinkedHashSet<>();
    for (RelNode input : query.getInputs()) {
      collect(input, views, usable, substitutes, used);
    }
    if (substitutes.isEmpty()) {
      return new Answer(MatchResult.fail("answers no CTE or derived table of the query"), List.of());
    }
    try {
      return new Answer(MatchResult.of(PlanRebuilder.overSubstitutes(substitutes,
          query.getCluster().getRexBuilder()).rebuild(query).rel()), List.copyOf(used));
    } catch (PlanRebuilder.Refusal r) {
      return new Answer(MatchResult.fail("a CTE or derived table is answered, but the query around it is refused: "
          + r.getMessage()), List.of());
    }
  }

  private static void collect(RelNode rel, List<CompiledView> views, Predicate<CompiledView> usable,
                              IdentityHashMap<RelNode, RelNode> into, Set<CompiledView> used) {
    Decomposition d = Decomposition.of(rel).orElse(null);
    if (d != null) {
      for (CompiledView view : views) {
        if (view.block() == null) {
          continue;
        }
        MatchResult m = ViewMatcher.match(d, view, rel.getCluster());
        if (m.matched() && sameTypes(m.plan().getRowType(), rel.getRowType(), rel.getCluster().getTypeFactory())
            && usable.test(view)) {
          into.put(rel, m.plan());
          used.add(view);
          return;
        }
      }
    }
    for (RelNode input : rel.getInputs()) {
      collect(input, views, usable, into, used);
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
