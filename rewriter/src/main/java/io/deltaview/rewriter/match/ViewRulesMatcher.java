package io.deltaview.rewriter.match;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.calcite.plan.Contexts;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.RelOptMaterialization;
import org.apache.calcite.plan.RelOptRule;
import org.apache.calcite.plan.RelOptTable;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.plan.hep.HepMatchOrder;
import org.apache.calcite.plan.hep.HepPlanner;
import org.apache.calcite.plan.hep.HepProgram;
import org.apache.calcite.prepare.RelOptTableImpl;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalTableScan;
import org.apache.calcite.rel.rules.materialize.MaterializedViewOnlyAggregateRule;
import org.apache.calcite.rel.rules.materialize.MaterializedViewOnlyFilterRule;
import org.apache.calcite.rel.rules.materialize.MaterializedViewOnlyJoinRule;
import org.apache.calcite.rel.rules.materialize.MaterializedViewProjectAggregateRule;
import org.apache.calcite.rel.rules.materialize.MaterializedViewProjectFilterRule;
import org.apache.calcite.rel.rules.materialize.MaterializedViewProjectJoinRule;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.tools.RelBuilder;

/**
 * The third way a view answers a query, tried only when neither an exact nor a block match exists: Calcite's
 * materialized-view rules (Goldstein and Larson's view matching), which reason over column lineage and
 * predicates instead of comparing plans, so they accept joins written in another order or as a comma join,
 * predicates the view's predicates imply (a range inside the view's range, an IN list inside the view's IN
 * list), an extra table joined to a view, and rollups through joins.
 *
 * <p>The rules type their plan as Calcite would; PostgreSQL's types and Deltaview's result tables differ from
 * that, so the rules' plan is not used as it is. It is <em>rebuilt</em> over the real result table, every
 * expression re-typed, and refused unless every step keeps PostgreSQL's meaning: only inner joins, filters,
 * projections, sorts and aggregates; aggregates over an aggregate view's rows only as rollups that compose
 * exactly (SUM of exact numbers, COUNT as a SUM that is 0 on no rows, MIN, MAX); casts only where they cannot
 * change a value or a printed type; and a query's aggregate without GROUP BY still an aggregate without GROUP
 * BY (one row even when no view row qualifies). The caller then verifies the rendering like any other match.
 *
 * <p>Union rewritings (part from the view, the rest from the base tables) stay off: Calcite 1.42 computes some
 * of them wrongly.
 */
final class ViewRulesMatcher {
  /** More candidate views than this and the rules are not tried at all: a miss must stay cheap. */
  static final int MAX_CANDIDATES = 12;

  private static final List<RelOptRule> RULES = List.of(
      ((MaterializedViewProjectAggregateRule.Config) MaterializedViewProjectAggregateRule.Config.DEFAULT
          .withGenerateUnionRewriting(false)).toRule(),
      ((MaterializedViewOnlyAggregateRule.Config) MaterializedViewOnlyAggregateRule.Config.DEFAULT
          .withGenerateUnionRewriting(false)).toRule(),
      ((MaterializedViewProjectJoinRule.Config) MaterializedViewProjectJoinRule.Config.DEFAULT
          .withGenerateUnionRewriting(false).withFastBailOut(false)).toRule(),
      ((MaterializedViewOnlyJoinRule.Config) MaterializedViewOnlyJoinRule.Config.DEFAULT
          .withGenerateUnionRewriting(false).withFastBailOut(false)).toRule(),
      ((MaterializedViewProjectFilterRule.Config) MaterializedViewProjectFilterRule.Config.DEFAULT
          .withGenerateUnionRewriting(false).withFastBailOut(false)).toRule(),
      ((MaterializedViewOnlyFilterRule.Config) MaterializedViewOnlyFilterRule.Config.DEFAULT
          .withGenerateUnionRewriting(false).withFastBailOut(false)).toRule());

  /**
   * Top-down, so that the largest subtree (an aggregate over its joins) is rewritten before its inputs could be;
   * bounded, so that a pathological plan cannot loop.
   */
  private static final HepProgram PROGRAM = HepProgram.builder()
      .addMatchOrder(HepMatchOrder.TOP_DOWN)
      .addMatchLimit(64)
      .addRuleCollection(RULES)
      .build();

  private static final RelBuilder.Config BUILDER_CONFIG = RelBuilder.Config.DEFAULT
      .withSimplify(false)
      .withPruneInputOfAggregate(false)
      .withDedupAggregateCalls(false)
      .withAggregateUnique(true);

  private ViewRulesMatcher() {}

  /**
   * The views that could answer {@code query} through the rules: those reading only tables the query reads
   * (the rules add tables to a view by joining them, never take tables away), in registration order.
   */
  static List<CompiledView> candidates(RelNode query, List<CompiledView> views) {
    Set<List<String>> queryTables = new HashSet<>();
    for (RelOptTable t : RelOptUtil.findTables(query)) {
      queryTables.add(t.getQualifiedName());
    }
    List<CompiledView> out = new ArrayList<>();
    for (CompiledView v : views) {
      if (!v.tables().isEmpty() && queryTables.containsAll(v.tables())) {
        out.add(v);
      }
    }
    return out;
  }

  /** A rewrite found by the rules: the view it reads and the plan, or why there is none. */
  record Found(CompiledView view, MatchResult match) {}

  /**
   * Runs the rules once with every view of {@code candidates} as a materialization (the query's side of the
   * matching, its table references and predicates, is then computed once); the first rewrite the planner keeps
   * names the view it reads. Null when no view gives a rewrite.
   */
  static Found match(RelNode query, List<CompiledView> candidates) {
    RelOptCluster cluster = query.getCluster();
    RelDataTypeFactory typeFactory = cluster.getTypeFactory();
    HepPlanner planner = new HepPlanner(PROGRAM);
    java.util.Map<RelOptTable, CompiledView> standIns = new java.util.IdentityHashMap<>();
    for (CompiledView view : candidates) {
      // The rules need a table typed exactly like the view's plan (or they cast every column): a stand-in with
      // the result table's name and column names, replaced by the real result table when the plan is rebuilt.
      RelDataType viewType = view.rulesPlan().getRowType();
      RelDataType standInType = typeFactory.createStructType(
          viewType.getFieldList().stream().map(RelDataTypeField::getType).toList(),
          view.definition().columnNames());
      RelOptTable standIn = RelOptTableImpl.create(null, standInType,
          view.resultRelTable().getQualifiedName(), (org.apache.calcite.linq4j.tree.Expression) null);
      standIns.put(standIn, view);
      planner.addMaterialization(new RelOptMaterialization(
          LogicalTableScan.create(cluster, standIn, List.of()), view.rulesPlan(), null,
          view.resultRelTable().getQualifiedName()));
    }
    planner.setRoot(withNotNullConjuncts(IntegerRanges.asValueLists(trimmed(query))));
    RelNode best;
    try {
      best = planner.findBestExp();
    } catch (RuntimeException | AssertionError e) {
      return new Found(candidates.get(0), MatchResult.fail("Calcite's view rules failed: " + e));
    }
    Set<RelOptTable> read = new HashSet<>();
    for (RelOptTable t : RelOptUtil.findAllTables(best)) {
      if (standIns.containsKey(t)) {
        read.add(t);
      }
    }
    if (read.isEmpty()) {
      return null;
    }
    CompiledView view = standIns.get(read.iterator().next());
    if (read.size() > 1) {
      return new Found(view, MatchResult.fail("the rewrite reads several views"));
    }
    PlanRebuilder rebuilder = PlanRebuilder.overView(view, read.iterator().next(), cluster.getRexBuilder());
    RelNode rebuilt;
    try {
      rebuilt = rebuilder.rebuild(best).rel();
    } catch (PlanRebuilder.Refusal r) {
      return new Found(view, MatchResult.fail("rewrite by Calcite's view rules refused: " + r.getMessage()));
    }
    if (scalarAggregates(query) > scalarAggregates(rebuilt)) {
      return new Found(view, MatchResult.fail("rewrite by Calcite's view rules refused: an aggregate without"
          + " GROUP BY would read view rows directly (no row instead of one when nothing matches)"));
    }
    return new Found(view, MatchResult.of(rebuilt));
  }

  /**
   * The query with a projection of only the columns used above each operator ({@code count(*)} over a filter
   * reads no column): the rules must produce a node's whole row from the view, so unused columns the view does
   * not keep would stop them. The query itself if trimming fails.
   */
  private static RelNode trimmed(RelNode query) {
    try {
      // Without simplification: a simplified range (SEARCH) would no longer get its IS NOT NULL conjunct.
      return new org.apache.calcite.sql2rel.RelFieldTrimmer(null,
          RelBuilder.proto(Contexts.of(BUILDER_CONFIG)).create(query.getCluster(), null)).trim(query);
    } catch (RuntimeException | AssertionError e) {
      return query;
    }
  }

  /**
   * The plan with {@code x IS NOT NULL} added next to each filter conjunct that compares a nullable column with a
   * constant ({@code x >= 5}, {@code x = ?}, {@code x IN (1, 2)}): no change in meaning, since such a comparison is
   * never true for NULL, but Calcite's predicate implication (used by the rules) otherwise fails on nullable
   * columns, simplifying the query's range and the view's range with different NULL treatments.
   */
  static RelNode withNotNullConjuncts(RelNode rel) {
    return PlanRewrites.bottomUp(rel, ViewRulesMatcher::filterWithNotNullConjuncts);
  }

  private static RelNode filterWithNotNullConjuncts(RelNode copy) {
    if (!(copy instanceof Filter f)) {
      return copy;
    }
    RexBuilder rexBuilder = f.getCluster().getRexBuilder();
    List<RexNode> conjuncts = new ArrayList<>();
    boolean uncast = false;
    for (RexNode c : RelOptUtil.conjunctions(f.getCondition())) {
      RexNode u = withoutWideningCast(c, rexBuilder);
      uncast |= u != c;
      conjuncts.add(u);
    }
    Set<String> present = new HashSet<>();
    for (RexNode c : conjuncts) {
      present.add(c.toString());
    }
    List<RexNode> added = new ArrayList<>();
    for (RexNode c : conjuncts) {
      RexInputRef ref = comparedColumn(c);
      if (ref != null && ref.getType().isNullable()) {
        RexNode notNull = rexBuilder.makeCall(SqlStdOperatorTable.IS_NOT_NULL, ref);
        if (present.add(notNull.toString())) {
          added.add(notNull);
        }
      }
    }
    if (added.isEmpty() && !uncast) {
      return copy;
    }
    List<RexNode> all = new ArrayList<>(conjuncts);
    all.addAll(added);
    return LogicalFilter.create(f.getInput(), RexUtil.composeConjunction(rexBuilder, all));
  }

  /**
   * {@code CAST(column) op literal} as {@code column op literal} when the cast is a lossless widening
   * ({@link CastSafety#isSafe}: integer to a wider integer or numeric, numeric to one with at least as many
   * digits on each side of the point), which keeps values and their order: Calcite adds such casts to compare a
   * {@code numeric(10,2)} column with {@code 5000} but not with {@code 5000.01}, and the rules compare the
   * expressions as written. Anything else is returned as it is.
   */
  private static RexNode withoutWideningCast(RexNode c, RexBuilder rexBuilder) {
    if (!(c instanceof RexCall call) || call.getOperands().size() != 2 || !c.isA(SqlKind.COMPARISON)
        || c.getKind() == SqlKind.IS_DISTINCT_FROM || c.getKind() == SqlKind.IS_NOT_DISTINCT_FROM
        || !(call.getOperands().get(0) instanceof RexCall cast) || cast.getKind() != SqlKind.CAST
        || !(cast.getOperands().get(0) instanceof RexInputRef column)
        || !(call.getOperands().get(1) instanceof RexLiteral literal) || literal.isNull()
        || !org.apache.calcite.sql.type.SqlTypeUtil.isNumeric(column.getType())
        || !org.apache.calcite.sql.type.SqlTypeUtil.isNumeric(cast.getType())
        || !CastSafety.isSafe(cast)) {
      return c;
    }
    return rexBuilder.makeCall(call.getOperator(), column, literal);
  }

  /**
   * The column of {@code column op constant} or {@code constant op column} (op a comparison), or of an OR of
   * such comparisons all of the same column (an IN list: never true for NULL either), else null.
   */
  private static RexInputRef comparedColumn(RexNode c) {
    if (c.getKind() == SqlKind.OR) {
      RexInputRef column = null;
      for (RexNode disjunct : ((RexCall) c).getOperands()) {
        RexInputRef ref = comparedColumn(disjunct);
        if (ref == null || column != null && ref.getIndex() != column.getIndex()) {
          return null;
        }
        column = ref;
      }
      return column;
    }
    if (!(c instanceof RexCall call) || call.getOperands().size() != 2
        || !(c.isA(SqlKind.COMPARISON) && c.getKind() != SqlKind.IS_DISTINCT_FROM
            && c.getKind() != SqlKind.IS_NOT_DISTINCT_FROM)) {
      return null;
    }
    RexNode left = call.getOperands().get(0);
    RexNode right = call.getOperands().get(1);
    if (left instanceof RexInputRef ref && RexUtil.isConstant(right)) {
      return ref;
    }
    if (right instanceof RexInputRef ref && RexUtil.isConstant(left)) {
      return ref;
    }
    return null;
  }

  /** Number of aggregates without GROUP BY keys: each returns one row even on no input. */
  private static int scalarAggregates(RelNode plan) {
    int[] count = {0};
    new org.apache.calcite.rel.RelVisitor() {
      @Override
      public void visit(RelNode node, int ordinal, RelNode parent) {
        if (node instanceof Aggregate a && a.getGroupSet().isEmpty()) {
          count[0]++;
        }
        super.visit(node, ordinal, parent);
      }
    }.go(plan);
    return count[0];
  }
}
