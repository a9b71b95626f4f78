package io.deltaview.rewriter.match;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Short ranges of integers written as the values they hold: {@code deptno BETWEEN 2 AND 3} (a pair of conjuncts
 * {@code deptno >= 2} and {@code deptno <= 3}, or with {@code >}/{@code <}) becomes {@code deptno = 2 OR deptno =
 * 3}. For an integer column the two mean the same, NULL included (neither is true for NULL), but Calcite's
 * predicate implication, which the view rules use, does not know that integers are discrete: only the list form
 * is seen to lie inside a view's IN list. Applied to the query given to the view rules, never to what is
 * verified.
 */
final class IntegerRanges {
  /** Longer ranges stay ranges: the list would grow the SQL for little chance of a match. */
  static final int MAX_VALUES = 16;

  private IntegerRanges() {}

  /** {@code rel} with the short integer ranges of its filters written as lists of values. */
  static RelNode asValueLists(RelNode rel) {
    return PlanRewrites.bottomUp(rel, IntegerRanges::filterAsValueLists);
  }

  private static RelNode filterAsValueLists(RelNode copy) {
    if (!(copy instanceof Filter f)) {
      return copy;
    }
    RexBuilder rexBuilder = f.getCluster().getRexBuilder();
    List<RexNode> conjuncts = new ArrayList<>(RelOptUtil.conjunctions(f.getCondition()));
    Map<Integer, Bound> lower = new HashMap<>();
    Map<Integer, Bound> upper = new HashMap<>();
    Set<Integer> ambiguous = new HashSet<>(); // two bounds on one side (x >= 1 AND x >= 2) are left alone
    for (int i = 0; i < conjuncts.size(); i++) {
      bound(conjuncts.get(i), i, lower, upper, ambiguous);
    }
    List<RexNode> out = new ArrayList<>();
    List<Integer> replaced = new ArrayList<>();
    for (Map.Entry<Integer, Bound> low : lower.entrySet()) {
      Bound high = upper.get(low.getKey());
      if (high == null || ambiguous.contains(low.getKey()) || high.value() < low.getValue().value()
          || high.value() - low.getValue().value() >= MAX_VALUES) {
        continue;
      }
      RexInputRef ref = low.getValue().ref();
      List<RexNode> equalities = new ArrayList<>();
      for (long v = low.getValue().value(); v <= high.value(); v++) {
        equalities.add(rexBuilder.makeCall(SqlStdOperatorTable.EQUALS, ref, rexBuilder.makeExactLiteral(
            BigDecimal.valueOf(v), rexBuilder.getTypeFactory().createTypeWithNullability(ref.getType(), false))));
      }
      out.add(RexUtil.composeDisjunction(rexBuilder, equalities));
      replaced.add(low.getValue().conjunct());
      replaced.add(high.conjunct());
    }
    if (replaced.isEmpty()) {
      return copy;
    }
    for (int i = 0; i < conjuncts.size(); i++) {
      if (!replaced.contains(i)) {
        out.add(conjuncts.get(i));
      }
    }
    return LogicalFilter.create(f.getInput(), RexUtil.composeConjunction(rexBuilder, out));
  }

  /** An inclusive bound on an integer column, from conjunct number {@code conjunct}. */
  private record Bound(RexInputRef ref, long value, int conjunct) {}

  /** Records {@code c} as a bound when it is {@code column op literal} (op one of < <= > >=, column an integer). */
  private static void bound(RexNode c, int index, Map<Integer, Bound> lower, Map<Integer, Bound> upper,
                            Set<Integer> ambiguous) {
    if (!(c instanceof RexCall call) || call.getOperands().size() != 2
        || !(call.getOperands().get(0) instanceof RexInputRef ref)
        || !(call.getOperands().get(1) instanceof RexLiteral literal)) {
      return;
    }
    SqlTypeName t = ref.getType().getSqlTypeName();
    if (t != SqlTypeName.SMALLINT && t != SqlTypeName.INTEGER && t != SqlTypeName.BIGINT) {
      return;
    }
    BigDecimal value = literal.getValueAs(BigDecimal.class);
    if (value == null || value.stripTrailingZeros().scale() > 0
        || value.abs().compareTo(BigDecimal.valueOf(1L << 40)) > 0) {
      return;
    }
    long v = value.longValueExact();
    Map<Integer, Bound> side;
    switch (c.getKind()) {
      case GREATER_THAN_OR_EQUAL -> side = lower;
      case GREATER_THAN -> {
        side = lower;
        v++;
      }
      case LESS_THAN_OR_EQUAL -> side = upper;
      case LESS_THAN -> {
        side = upper;
        v--;
      }
      default -> {
        return;
      }
    }
    if (side.putIfAbsent(ref.getIndex(), new Bound(ref, v, index)) != null) {
      ambiguous.add(ref.getIndex());
    }
  }
}
