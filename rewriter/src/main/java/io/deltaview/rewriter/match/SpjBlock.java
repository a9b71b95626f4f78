package io.deltaview.rewriter.match;

import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Join;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;

/**
 * A select-project-join core flattened to "these tables, left to right, filtered by these conjuncts".
 * Conjuncts refer to the concatenated columns of the tables, so two cores over the same tables in the
 * same order are directly comparable conjunct by conjunct (by digest).
 *
 * <p>Only scans, inner joins and filters qualify; anything else (outer joins, projections inside the
 * join tree, aggregates from expanded subqueries) makes the core unmatchable, which is the safe answer.
 */
record SpjBlock(List<String> tables, List<RexNode> conjuncts, int fieldCount) {

  SpjBlock {
    tables = List.copyOf(tables);
    conjuncts = List.copyOf(conjuncts);
  }

  static Optional<SpjBlock> of(RelNode rel) {
    List<String> tables = new ArrayList<>();
    List<RexNode> conjuncts = new ArrayList<>();
    if (!flatten(rel, 0, tables, conjuncts)) {
      return Optional.empty();
    }
    return Optional.of(new SpjBlock(tables, conjuncts, rel.getRowType().getFieldCount()));
  }

  /** Digests of the conjuncts, the unit of comparison between a query core and a view core. */
  List<String> conjunctDigests() {
    return conjuncts.stream().map(RexNode::toString).toList();
  }

  private static boolean flatten(RelNode rel, int offset, List<String> tables, List<RexNode> conjuncts) {
    if (rel instanceof TableScan scan) {
      tables.add(String.join(".", scan.getTable().getQualifiedName()));
      return true;
    }
    if (rel instanceof Filter filter) {
      if (!addConjuncts(filter.getCondition(), offset, conjuncts)) {
        return false;
      }
      return flatten(filter.getInput(), offset, tables, conjuncts);
    }
    if (rel instanceof Join join && join.getJoinType() == JoinRelType.INNER
        && join.getSystemFieldList().isEmpty()) {
      if (!addConjuncts(join.getCondition(), offset, conjuncts)) {
        return false;
      }
      int leftCount = join.getLeft().getRowType().getFieldCount();
      return flatten(join.getLeft(), offset, tables, conjuncts)
          && flatten(join.getRight(), offset + leftCount, tables, conjuncts);
    }
    return false;
  }

  private static boolean addConjuncts(RexNode condition, int offset, List<RexNode> out) {
    if (RexUtil.containsCorrelation(condition) || RexUtil.SubQueryFinder.find(List.of(condition)) != null) {
      return false;
    }
    for (RexNode c : RelOptUtil.conjunctions(condition)) {
      if (c.isAlwaysTrue()) {
        continue;
      }
      out.add(offset == 0 ? c : RexUtil.shift(c, offset));
    }
    return true;
  }
}
