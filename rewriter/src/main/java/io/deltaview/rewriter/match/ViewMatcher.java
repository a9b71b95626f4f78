package io.deltaview.rewriter.match;

import io.deltaview.rewriter.schema.PgType;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.apache.calcite.plan.Contexts;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.logical.LogicalSort;
import org.apache.calcite.rel.logical.LogicalTableScan;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexShuttle;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.tools.RelBuilder;
import org.apache.calcite.util.ImmutableIntList;

/**
 * Rewrites a decomposed query onto one view's result table, or explains why it cannot.
 *
 * <p>This narrow matcher comes before Calcite's materialized-view rules ({@link ViewRulesMatcher}) because its
 * output is PostgreSQL SQL with PostgreSQL's result types by construction: each step here has a one-line
 * correctness argument (same tables, view filter implied by the query's, remaining work expressible over view
 * columns), and rollups cast back to the type PostgreSQL gives the original aggregate.
 */
final class ViewMatcher {
  private static final RelBuilder.Config BUILDER_CONFIG = RelBuilder.Config.DEFAULT
      .withSimplify(false)
      .withPruneInputOfAggregate(false)
      .withDedupAggregateCalls(false);

  private ViewMatcher() {}

  /** Matches {@code query} against {@code view}; the plan, when present, has the query's row shape. */
  static MatchResult match(Decomposition query, CompiledView view, RelOptCluster cluster) {
    QueryBlock q = query.block();
    QueryBlock v = view.block();
    if (v == null) {
      return MatchResult.fail("the view answers only its own query (not a select-project-join with GROUP BY)");
    }
    if (!q.spj().tables().equals(v.spj().tables())) {
      return MatchResult.fail("reads " + q.spj().tables() + ", the view reads " + v.spj().tables());
    }
    Set<String> queryConjuncts = new HashSet<>(q.spj().conjunctDigests());
    for (String c : v.spj().conjunctDigests()) {
      if (!queryConjuncts.contains(c)) {
        return MatchResult.fail("the view's condition " + c + " is not part of the query's WHERE/ON");
      }
    }
    Set<String> viewConjuncts = new HashSet<>(v.spj().conjunctDigests());
    List<RexNode> residual = q.spj().conjuncts().stream()
        .filter(c -> !viewConjuncts.contains(c.toString())).toList();

    RexBuilder rexBuilder = cluster.getRexBuilder();
    RelNode scan = LogicalTableScan.create(cluster, view.resultRelTable(), List.of());
    RelBuilder b = RelBuilder.proto(Contexts.of(BUILDER_CONFIG)).create(cluster, null);
    b.push(scan);
    RelDataType resultRow = scan.getRowType();

    MatchResult block = v.aggregate()
        ? overAggregateView(q, view, residual, b, resultRow, rexBuilder)
        : overProjectionView(q, view, residual, b, resultRow, rexBuilder);
    if (!block.matched()) {
      return block;
    }
    return MatchResult.of(reattach(query.upper(), block.plan(), rexBuilder));
  }

  private static MatchResult overProjectionView(QueryBlock q, CompiledView view, List<RexNode> residual,
                                                RelBuilder b, RelDataType resultRow, RexBuilder rexBuilder) {
    ExpressionMapper mapper = new ExpressionMapper(view.exposedExpressions(), resultRow, rexBuilder);
    List<RexNode> filter = mapper.mapAll(residual);
    if (filter == null) {
      return MatchResult.fail("WHERE uses columns the view does not output");
    }
    if (!filter.isEmpty()) {
      b.filter(filter);
    }
    if (!q.aggregate()) {
      List<RexNode> projects = mapper.mapAll(q.projects());
      if (projects == null) {
        return MatchResult.fail("SELECT uses columns the view does not output");
      }
      b.project(projects, q.rowType().getFieldNames(), true);
      return MatchResult.of(b.build());
    }
    // Aggregate query over a projection view: aggregate the result table's rows the same way.
    List<RexNode> keys = mapper.mapAll(q.groupKeys());
    if (keys == null) {
      return MatchResult.fail("GROUP BY uses columns the view does not output");
    }
    List<RexNode> inputs = new ArrayList<>(keys);
    List<List<Integer>> argPositions = new ArrayList<>();
    for (QueryBlock.Agg agg : q.calls()) {
      List<RexNode> args = mapper.mapAll(agg.args());
      if (args == null) {
        return MatchResult.fail("aggregate " + agg.key() + " uses columns the view does not output");
      }
      List<Integer> positions = new ArrayList<>();
      for (RexNode a : args) {
        positions.add(inputs.size());
        inputs.add(a);
      }
      argPositions.add(positions);
    }
    b.project(inputs);
    List<RelBuilder.AggCall> calls = new ArrayList<>();
    for (int i = 0; i < q.calls().size(); i++) {
      QueryBlock.Agg agg = q.calls().get(i);
      calls.add(b.aggregateCall(agg.call().getAggregation(),
              argPositions.get(i).stream().map(p -> (RexNode) b.field(p)).toList())
          .distinct(agg.call().isDistinct())
          .as(agg.call().getName()));
    }
    b.aggregate(b.groupKey(b.fields(ImmutableIntList.range(0, keys.size()))), calls);
    b.project(b.fields(), q.rowType().getFieldNames(), true);
    return MatchResult.of(b.build());
  }

  private static MatchResult overAggregateView(QueryBlock q, CompiledView view, List<RexNode> residual,
                                               RelBuilder b, RelDataType resultRow, RexBuilder rexBuilder) {
    if (!q.aggregate()) {
      return MatchResult.fail("the view aggregates, the query does not");
    }
    // Filters and grouping may only use the view's group keys: those are constant within a view row.
    ExpressionMapper keyMapper = new ExpressionMapper(view.exposedGroupKeys(), resultRow, rexBuilder);
    List<RexNode> filter = keyMapper.mapAll(residual);
    if (filter == null) {
      return MatchResult.fail("WHERE uses columns that are not GROUP BY keys of the view");
    }
    List<RexNode> keys = keyMapper.mapAll(q.groupKeys());
    if (keys == null) {
      return MatchResult.fail("GROUP BY uses expressions the view does not group by");
    }
    if (!filter.isEmpty()) {
      b.filter(filter);
    }
    List<String> names = q.rowType().getFieldNames();
    if (sameGrouping(keys, filter, view)) {
      List<RexNode> out = new ArrayList<>(keys);
      for (QueryBlock.Agg agg : q.calls()) {
        Integer col = view.exposedCalls().get(agg.key());
        if (col == null) {
          return MatchResult.fail("the view does not compute " + agg.key());
        }
        out.add(b.field(col));
      }
      b.project(out, names, true);
      return MatchResult.of(b.build());
    }
    return rollup(q, view, keys, keyMapper, b, rexBuilder);
  }

  /**
   * True when every view row is one query row: the query groups by the view's keys, except for keys that
   * its WHERE pins to one value ({@code key = ?} or {@code key = literal}, as a lifted parameter does). A
   * pinned key is constant among the rows the filter keeps, so grouping by it as well changes no group. A
   * query without GROUP BY keys is never "the same": it returns one row even when no view row qualifies.
   */
  private static boolean sameGrouping(List<RexNode> keys, List<RexNode> filter, CompiledView view) {
    if (!view.allGroupKeysExposed() || keys.isEmpty() && !view.block().groupKeys().isEmpty()) {
      return false;
    }
    Set<Integer> queryColumns = new HashSet<>();
    for (RexNode k : keys) {
      if (!(k instanceof RexInputRef ref)) {
        return false;
      }
      queryColumns.add(ref.getIndex());
    }
    if (queryColumns.size() != keys.size()) {
      return false;
    }
    Set<Integer> covered = new HashSet<>(queryColumns);
    covered.addAll(pinnedColumns(filter));
    Set<Integer> viewKeys = new HashSet<>(view.exposedGroupKeys().values());
    return viewKeys.containsAll(queryColumns) && covered.equals(viewKeys);
  }

  /** Result columns that a conjunct of {@code filter} compares with {@code =} to a parameter or a non-null literal. */
  private static Set<Integer> pinnedColumns(List<RexNode> filter) {
    Set<Integer> pinned = new HashSet<>();
    for (RexNode c : filter) {
      if (c.getKind() == SqlKind.EQUALS && c instanceof RexCall eq) {
        RexNode left = eq.getOperands().get(0);
        RexNode right = eq.getOperands().get(1);
        if (left instanceof RexInputRef ref && isConstant(right)) {
          pinned.add(ref.getIndex());
        } else if (right instanceof RexInputRef ref && isConstant(left)) {
          pinned.add(ref.getIndex());
        }
      }
    }
    return pinned;
  }

  private static boolean isConstant(RexNode e) {
    if (e.getKind() == SqlKind.CAST) {
      return isConstant(((RexCall) e).getOperands().get(0));
    }
    return e instanceof RexDynamicParam
        || (e instanceof RexLiteral l && !l.isNull());
  }

  /**
   * Coarser grouping than the view's: re-aggregate view rows. SUM and COUNT add up (COUNT as a SUM that is
   * 0 on no rows, cast back to bigint); MIN/MAX compose. SUM of bigint is numeric in PostgreSQL, so a
   * rolled-up sum is cast to the view column's type. Floating-point sums and AVG are refused: re-adding
   * partial float sums is not bit-identical, and AVG does not compose ({@link AverageSplit} turns it into a SUM
   * and a COUNT first). {@code COUNT(DISTINCT e)} of an expression over the view's group keys counts the
   * distinct values of {@code e} among the view rows the query keeps: each base row falls in exactly one view
   * row with the same keys, and each view row has at least one base row, so the same values occur.
   */
  private static MatchResult rollup(QueryBlock q, CompiledView view, List<RexNode> keys,
                                    ExpressionMapper keyMapper, RelBuilder b, RexBuilder rexBuilder) {
    List<RexNode> inputs = new ArrayList<>(keys);
    List<Finisher> finishers = new ArrayList<>();
    for (QueryBlock.Agg agg : q.calls()) {
      if (agg.call().isDistinct()) {
        List<RexNode> args = agg.call().getAggregation().getKind() == SqlKind.COUNT
            ? keyMapper.mapAll(agg.args()) : null;
        if (args == null || args.size() != 1) {
          return MatchResult.fail("cannot roll up " + agg.key() + " (only COUNT DISTINCT of a group key)");
        }
        finishers.add(new Finisher(SqlStdOperatorTable.COUNT, inputs.size(), null, false, true));
        inputs.add(args.get(0));
        continue;
      }
      SqlKind kind = agg.call().getAggregation().getKind();
      Integer col = view.exposedCalls().get(agg.key());
      if (col == null && kind == SqlKind.SUM0) {
        col = view.exposedCalls().get(agg.key().replaceFirst("^SUM0", "SUM"));
      }
      RexNode keyTimesCount = col == null && kind == SqlKind.SUM
          ? keyTimesCount(agg, view, keyMapper, b, rexBuilder) : null;
      if (keyTimesCount != null) {
        boolean integer = keyTimesCount.getType().getSqlTypeName() != SqlTypeName.DECIMAL;
        finishers.add(new Finisher(SqlStdOperatorTable.SUM, inputs.size(), integer ? SqlTypeName.BIGINT : null,
            false, false));
        inputs.add(keyTimesCount);
        continue;
      }
      if (col == null) {
        return MatchResult.fail("the view does not compute " + agg.key());
      }
      PgType type = view.resultTable().columns().get(col).type();
      RexNode field = b.field(col);
      int position = inputs.size();
      inputs.add(field);
      switch (kind) {
        case SUM, SUM0 -> {
          if (!type.isExactNumeric()) {
            return MatchResult.fail("cannot roll up a " + type.sqlName() + " sum exactly");
          }
          finishers.add(new Finisher(SqlStdOperatorTable.SUM, position,
              type.baseName().equals("int8") ? SqlTypeName.BIGINT : null, kind == SqlKind.SUM0, false));
        }
        case COUNT -> finishers.add(new Finisher(SqlStdOperatorTable.SUM, position, SqlTypeName.BIGINT, true,
            false));
        case MIN -> finishers.add(new Finisher(SqlStdOperatorTable.MIN, position, null, false, false));
        case MAX -> finishers.add(new Finisher(SqlStdOperatorTable.MAX, position, null, false, false));
        default -> {
          return MatchResult.fail("cannot roll up " + agg.key());
        }
      }
    }
    b.project(inputs);
    List<RelBuilder.AggCall> calls = new ArrayList<>();
    for (Finisher f : finishers) {
      calls.add(b.aggregateCall(f.function(), b.field(f.position())).distinct(f.distinct()));
    }
    b.aggregate(b.groupKey(b.fields(ImmutableIntList.range(0, keys.size()))), calls);
    List<RexNode> out = new ArrayList<>(b.fields(ImmutableIntList.range(0, keys.size())));
    for (int i = 0; i < finishers.size(); i++) {
      Finisher f = finishers.get(i);
      RexNode e = b.field(keys.size() + i);
      if (f.zeroWhenEmpty()) {
        e = rexBuilder.makeCall(SqlStdOperatorTable.COALESCE, e, rexBuilder.makeExactLiteral(BigDecimal.ZERO));
      }
      if (f.castTo() != null) {
        RelDataType t = rexBuilder.getTypeFactory().createSqlType(f.castTo());
        e = rexBuilder.makeAbstractCast(
            rexBuilder.getTypeFactory().createTypeWithNullability(t, e.getType().isNullable()), e, false);
      }
      out.add(e);
    }
    b.project(out, q.rowType().getFieldNames(), true);
    return MatchResult.of(b.build());
  }

  /**
   * For {@code SUM(k)} of a group key expression {@code k} (smallint, integer or numeric) of a view that counts
   * its rows: {@code k * count}, whose sum over the view rows is the sum over the base rows (each view row stands
   * for {@code count} base rows with that value of {@code k}; a NULL {@code k} adds nothing either way). In
   * PostgreSQL the product is bigint for integers (summed into numeric, cast back to bigint like any rolled-up
   * integer sum) and numeric with {@code k}'s scale for numerics, so the sum has the original's scale. Null
   * when the rule does not apply (bigint could overflow where PostgreSQL's numeric sum would not).
   */
  private static RexNode keyTimesCount(QueryBlock.Agg agg, CompiledView view, ExpressionMapper keyMapper,
                                       RelBuilder b, RexBuilder rexBuilder) {
    Integer count = view.exposedCalls().get("COUNT()");
    List<RexNode> args = keyMapper.mapAll(agg.args());
    if (count == null || args == null || args.size() != 1) {
      return null;
    }
    SqlTypeName t = args.get(0).getType().getSqlTypeName();
    if (t != SqlTypeName.SMALLINT && t != SqlTypeName.INTEGER && t != SqlTypeName.DECIMAL) {
      return null;
    }
    return rexBuilder.makeCall(SqlStdOperatorTable.MULTIPLY, args.get(0), b.field(count));
  }

  /** How one rolled-up aggregate is computed from a view column (or group key expression) and finished. */
  private record Finisher(org.apache.calcite.sql.SqlAggFunction function, int position, SqlTypeName castTo,
                          boolean zeroWhenEmpty, boolean distinct) {}

  /**
   * Exact match: the query's plan, minus a top-level ORDER BY/LIMIT, is the view's plan up to names, so the
   * result table's rows are the answer (sorted again when the query sorts). {@code coreDigest} is
   * {@link #exactMatchDigest} of the query.
   */
  static MatchResult matchExactly(RelNode query, String coreDigest, CompiledView view) {
    if (!coreDigest.equals(view.planDigest())) {
      return MatchResult.fail("not the view's query");
    }
    RelNode scan = LogicalTableScan.create(query.getCluster(), view.resultRelTable(), List.of());
    if (query instanceof Sort s) {
      return MatchResult.of(LogicalSort.create(scan, s.getCollation(), s.offset, s.fetch));
    }
    return MatchResult.of(scan);
  }

  /** The digest {@link #matchExactly} compares: the plan without a top-level sort, names removed. */
  static String exactMatchDigest(RelNode query) {
    return PlanDigest.of(query instanceof Sort ? query.getInput(0) : query);
  }

  /** Re-applies the query's operators above its block, with input references retyped to the new input. */
  private static RelNode reattach(List<RelNode> upper, RelNode block, RexBuilder rexBuilder) {
    RelNode current = block;
    for (int i = upper.size() - 1; i >= 0; i--) {
      RelNode op = upper.get(i);
      RelNode input = current;
      RexShuttle retype = new RexShuttle() {
        @Override
        public RexNode visitInputRef(RexInputRef ref) {
          return rexBuilder.makeInputRef(input.getRowType().getFieldList().get(ref.getIndex()).getType(),
              ref.getIndex());
        }
      };
      if (op instanceof Project p) {
        current = LogicalProject.create(input, List.of(),
            p.getProjects().stream().map(e -> e.accept(retype)).toList(), p.getRowType().getFieldNames(),
            Set.of());
      } else if (op instanceof Filter f) {
        current = LogicalFilter.create(input, f.getCondition().accept(retype));
      } else if (op instanceof Sort s) {
        current = LogicalSort.create(input, s.getCollation(), s.offset, s.fetch);
      } else {
        throw new IllegalStateException("unexpected operator above block: " + op);
      }
    }
    return current;
  }

}
