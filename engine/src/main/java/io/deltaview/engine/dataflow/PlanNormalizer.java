package io.deltaview.engine.dataflow;

import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.plan.hep.HepPlanner;
import org.apache.calcite.plan.hep.HepProgram;
import org.apache.calcite.plan.hep.HepProgramBuilder;
import org.apache.calcite.rel.RelHomogeneousShuttle;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Join;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.RelFactories;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.rules.CoreRules;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql2rel.RelDecorrelator;
import org.apache.calcite.tools.RelBuilder;
import org.apache.calcite.util.ImmutableBitSet;

/**
 * Brings a logical plan to the shapes {@link DataflowTranslator} knows, each step an equivalent plan:
 * <ol>
 *   <li>subqueries (IN, EXISTS, scalar subqueries, correlated or not) become joins and aggregates, and
 *       correlation variables are removed; what cannot be decorrelated stays a Correlate, which the translator
 *       refuses by name;</li>
 *   <li>GROUPING SETS, ROLLUP and CUBE become a UNION ALL of one plain aggregate per grouping set, the keys
 *       outside the set NULL and {@code GROUPING(…)} a constant per branch;</li>
 *   <li>{@code agg(x) FILTER (WHERE f)} becomes {@code agg(CASE WHEN f THEN x END)} (every such aggregate
 *       ignores NULLs; {@code COUNT(*)} counts a non-NULL constant); STRING_AGG and ARRAY_AGG keep their FILTER,
 *       which the aggregate operator applies;</li>
 *   <li>window functions in a projection become a Window operator below it;</li>
 *   <li>conditions in a WHERE above a join move into it (a comma join's equalities become join keys instead of
 *       a filter over a cross product), common factors pulled out of ORs first so that an equality every branch
 *       repeats (TPC-H Q19) becomes one too;</li>
 *   <li>DISTINCT aggregates become an aggregate over the distinct values, joined back on the group keys
 *       (Calcite's expansion to joins).</li>
 * </ol>
 */
public final class PlanNormalizer {

  private static final HepProgram SUB_QUERIES = new HepProgramBuilder()
      .addRuleInstance(CoreRules.FILTER_SUB_QUERY_TO_CORRELATE)
      .addRuleInstance(CoreRules.PROJECT_SUB_QUERY_TO_CORRELATE)
      .addRuleInstance(CoreRules.JOIN_SUB_QUERY_TO_CORRELATE)
      .build();

  private static final HepProgram WINDOWS = new HepProgramBuilder()
      .addRuleInstance(CoreRules.PROJECT_TO_LOGICAL_PROJECT_AND_WINDOW)
      .build();

  /** Join conditions written in WHERE (comma joins, and what decorrelation leaves above a join) move into it. */
  private static final HepProgram JOIN_CONDITIONS = new HepProgramBuilder()
      .addRuleInstance(CoreRules.FILTER_PROJECT_TRANSPOSE)
      .addRuleInstance(CoreRules.FILTER_INTO_JOIN)
      .addRuleInstance(CoreRules.JOIN_CONDITION_PUSH)
      .build();

  private static final HepProgram DISTINCT_AGGREGATES = new HepProgramBuilder()
      .addRuleInstance(CoreRules.AGGREGATE_EXPAND_DISTINCT_AGGREGATES_TO_JOIN)
      .build();

  private PlanNormalizer() {
  }

  public static RelNode normalize(RelNode plan) {
    RelBuilder builder = RelFactories.LOGICAL_BUILDER.create(plan.getCluster(), null);
    RelNode rel = plan;
    if (hasSubQuery(rel)) {
      // Joins first: the decorrelator builds each subquery's outer values from the plan below it, which must be
      // the filtered joins, not the cross product of a comma join's tables.
      rel = run(JOIN_CONDITIONS, rel.accept(new FactorPuller(builder.getRexBuilder())));
      rel = RelDecorrelator.decorrelateQuery(run(SUB_QUERIES, rel), builder);
    }
    if (any(rel, r -> r instanceof Project p && org.apache.calcite.rex.RexOver.containsOver(p.getProjects(), null))) {
      rel = run(WINDOWS, rel);
    }
    rel = rel.accept(new AggregateRewriter(builder)).accept(new DistinctOrderedAggregates());
    rel = run(JOIN_CONDITIONS, rel.accept(new FactorPuller(builder.getRexBuilder())));
    if (hasDistinctAggregate(rel)) {
      rel = run(DISTINCT_AGGREGATES, rel);
    }
    return rel;
  }

  private static RelNode run(HepProgram program, RelNode rel) {
    HepPlanner planner = new HepPlanner(program);
    planner.setRoot(rel);
    return planner.findBestExp();
  }

  private static boolean hasSubQuery(RelNode rel) {
    return any(rel, r -> r instanceof Filter f && RexUtil.SubQueryFinder.find(f.getCondition()) != null
        || r instanceof Project p && RexUtil.SubQueryFinder.find(p.getProjects()) != null
        || r instanceof Join j && RexUtil.SubQueryFinder.find(j.getCondition()) != null);
  }

  private static boolean hasDistinctAggregate(RelNode rel) {
    return any(rel, r -> r instanceof Aggregate a && a.getAggCallList().stream().anyMatch(AggregateCall::isDistinct));
  }

  private static boolean any(RelNode rel, java.util.function.Predicate<RelNode> test) {
    boolean[] found = {false};
    rel.accept(new RelHomogeneousShuttle() {
      @Override
      public RelNode visit(RelNode other) {
        found[0] |= test.test(other);
        return super.visit(other);
      }
    });
    return found[0];
  }

  /**
   * {@code array_agg(DISTINCT x ORDER BY x)} and {@code string_agg(DISTINCT x, sep ORDER BY x)} are kept by the
   * aggregate operator itself (its sorted entries, each counted once): they become calls that are not DISTINCT
   * but distinct on their value ({@code WITHIN DISTINCT (x)}), which Calcite's expansion of DISTINCT aggregates
   * into joins leaves alone. That expansion does not carry an ORDER BY across (it kept the original column
   * numbers), so such a call next to other aggregates failed or was refused.
   */
  private static final class DistinctOrderedAggregates extends RelHomogeneousShuttle {
    @Override
    public RelNode visit(RelNode other) {
      RelNode visited = super.visit(other);
      if (!(visited instanceof LogicalAggregate a) || a.getAggCallList().stream().noneMatch(this::orderedByValue)) {
        return visited;
      }
      List<AggregateCall> calls = new ArrayList<>();
      for (AggregateCall c : a.getAggCallList()) {
        calls.add(!orderedByValue(c) ? c : AggregateCall.create(c.getParserPosition(), c.getAggregation(), false,
            c.isApproximate(), c.ignoreNulls(), c.rexList, c.getArgList(), c.filterArg,
            ImmutableBitSet.of(c.getArgList().get(0)), c.getCollation(), c.getType(), c.getName()));
      }
      return a.copy(a.getTraitSet(), a.getInput(), a.getGroupSet(), a.getGroupSets(), calls);
    }

    private boolean orderedByValue(AggregateCall c) {
      SqlKind kind = c.getAggregation().getKind();
      return c.isDistinct() && (kind == SqlKind.ARRAY_AGG || kind == SqlKind.LISTAGG) && !c.getArgList().isEmpty()
          && !c.getCollation().getFieldCollations().isEmpty()
          && c.getCollation().getFieldCollations().stream().allMatch(f -> f.getFieldIndex() == c.getArgList().get(0));
    }
  }

  /** {@code (a AND b) OR (a AND c)} → {@code a AND (b OR c)} in every filter. */
  private static final class FactorPuller extends RelHomogeneousShuttle {
    private final RexBuilder rex;

    FactorPuller(RexBuilder rex) {
      this.rex = rex;
    }

    @Override
    public RelNode visit(RelNode other) {
      RelNode visited = super.visit(other);
      if (visited instanceof org.apache.calcite.rel.logical.LogicalFilter f) {
        RexNode pulled = RexUtil.pullFactors(rex, f.getCondition());
        if (!pulled.equals(f.getCondition())) {
          return f.copy(f.getTraitSet(), f.getInput(), pulled);
        }
      }
      return visited;
    }
  }

  /** Rewrites grouping sets and FILTER clauses, bottom up. */
  private static final class AggregateRewriter extends RelHomogeneousShuttle {
    private final RelBuilder builder;
    private final RexBuilder rex;

    AggregateRewriter(RelBuilder builder) {
      this.builder = builder;
      this.rex = builder.getRexBuilder();
    }

    @Override
    public RelNode visit(RelNode other) {
      RelNode visited = super.visit(other);
      if (!(visited instanceof LogicalAggregate a)) {
        return visited;
      }
      if (a.getGroupType() != Aggregate.Group.SIMPLE && !hasUnsupportedGroupingCall(a)) {
        return groupingSets(a);
      }
      if (a.getAggCallList().stream().anyMatch(c -> c.hasFilter() && !keepsFilter(c))) {
        return filters(a);
      }
      return visited;
    }

    /**
     * STRING_AGG and ARRAY_AGG keep their FILTER column, which the aggregate operator reads: ARRAY_AGG keeps NULL
     * elements, so a CASE yielding NULL would not drop a row, and STRING_AGG has a second argument.
     */
    private static boolean keepsFilter(AggregateCall c) {
      SqlKind kind = c.getAggregation().getKind();
      return kind == SqlKind.LISTAGG || kind == SqlKind.ARRAY_AGG;
    }

    /** GROUPING and GROUP_ID only as constants per branch; anything else of the kind is left to be refused. */
    private static boolean hasUnsupportedGroupingCall(Aggregate a) {
      return a.getAggCallList().stream().anyMatch(c -> c.getAggregation().getKind() == SqlKind.GROUP_ID
          || c.getAggregation().getKind() == SqlKind.GROUPING_ID);
    }

    private RelNode groupingSets(Aggregate a) {
      List<RelDataTypeField> out = a.getRowType().getFieldList();
      List<Integer> fullKeys = a.getGroupSet().asList();
      List<AggregateCall> computed = new ArrayList<>();
      for (AggregateCall c : a.getAggCallList()) {
        if (c.getAggregation().getKind() != SqlKind.GROUPING) {
          computed.add(c);
        }
      }
      for (ImmutableBitSet set : a.getGroupSets()) {
        // A branch's calls have the types a plain aggregate infers (SUM of a NOT NULL column grouped by keys is
        // NOT NULL there); the union's type is the least restrictive of the branches'. No cast: a cast to
        // Calcite's DECIMAL(p, s) of a SUM would change the value's scale, which PostgreSQL's numeric keeps.
        List<AggregateCall> calls = new ArrayList<>();
        for (AggregateCall c : computed) {
          calls.add(AggregateCall.create(c.getParserPosition(), c.getAggregation(), c.isDistinct(),
              c.isApproximate(), c.ignoreNulls(), c.rexList, c.getArgList(), c.filterArg, c.distinctKeys,
              c.getCollation(), set.cardinality(), a.getInput(), null, c.getName()));
        }
        Aggregate branch = a.copy(a.getTraitSet(), a.getInput(), set, null, calls);
        builder.push(visit(branch)); // the branch may still have FILTER clauses
        List<RexNode> projection = new ArrayList<>();
        int pos = 0;
        for (int i = 0; i < fullKeys.size(); i++) {
          RelDataType type = out.get(i).getType();
          if (set.get(fullKeys.get(i))) {
            projection.add(builder.field(pos++));
          } else {
            projection.add(rex.makeNullLiteral(type));
          }
        }
        int computedIndex = set.cardinality();
        for (int i = 0; i < a.getAggCallList().size(); i++) {
          AggregateCall c = a.getAggCallList().get(i);
          RelDataType type = out.get(fullKeys.size() + i).getType();
          if (c.getAggregation().getKind() == SqlKind.GROUPING) {
            long bits = 0;
            for (int arg : c.getArgList()) {
              bits = (bits << 1) | (set.get(arg) ? 0 : 1);
            }
            projection.add(rex.makeExactLiteral(java.math.BigDecimal.valueOf(bits), type));
          } else {
            projection.add(builder.field(computedIndex++));
          }
        }
        builder.project(projection, a.getRowType().getFieldNames(), true);
      }
      return builder.union(true, a.getGroupSets().size()).build();
    }

    private RelNode filters(Aggregate a) {
      RelNode input = a.getInput();
      builder.push(input);
      List<RexNode> columns = new ArrayList<>(builder.fields());
      List<AggregateCall> calls = new ArrayList<>();
      for (AggregateCall c : a.getAggCallList()) {
        if (!c.hasFilter() || keepsFilter(c)) {
          calls.add(c);
          continue;
        }
        RexNode condition = builder.field(c.filterArg);
        RexNode value = c.getArgList().isEmpty() ? rex.makeExactLiteral(java.math.BigDecimal.ONE)
            : builder.field(c.getArgList().get(0));
        if (c.getArgList().size() > 1) {
          return a; // left to be refused
        }
        RelDataType type = rex.getTypeFactory().createTypeWithNullability(value.getType(), true);
        columns.add(rex.makeCall(SqlStdOperatorTable.CASE, condition, value, rex.makeNullLiteral(type)));
        int column = columns.size() - 1;
        // COUNT(*) FILTER (…) becomes COUNT(column): same name and type, one argument, no filter.
        calls.add(AggregateCall.create(c.getParserPosition(), c.getAggregation(), c.isDistinct(), c.isApproximate(),
            c.ignoreNulls(), c.rexList, List.of(column), -1, c.distinctKeys, c.getCollation(), c.getType(),
            c.getName()));
      }
      builder.project(columns);
      RelNode projected = builder.build();
      return a.copy(a.getTraitSet(), projected, a.getGroupSet(), a.getGroupSets(), calls);
    }
  }
}
