package io.deltaview.rewriter.match;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.apache.calcite.plan.Contexts;
import org.apache.calcite.plan.RelOptTable;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Join;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.SetOp;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalJoin;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.logical.LogicalSort;
import org.apache.calcite.rel.logical.LogicalTableScan;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexShuttle;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.sql.type.SqlTypeUtil;
import org.apache.calcite.tools.RelBuilder;

/**
 * Rebuilds a plan bottom-up over new leaves, re-typing every expression: Calcite's view rules' plan over the
 * real result table (in place of the stand-in table the rules saw), or a query's plan with some of its subtrees
 * replaced by rewrites of them ({@link InnerBlocks}). Refuses anything but inner joins, filters, projections,
 * sorts, aggregates and set operations; over an aggregate view's rows, aggregates only as exact rollups; and casts
 * that may not mean the same in PostgreSQL.
 */
final class PlanRebuilder {
  private static final RelBuilder.Config BUILDER_CONFIG = RelBuilder.Config.DEFAULT
      .withSimplify(false)
      .withPruneInputOfAggregate(false)
      .withDedupAggregateCalls(false)
      .withAggregateUnique(true);

  /** Why a plan cannot be rebuilt; a checked exception so that every step must handle it. */
  static final class Refusal extends Exception {
    Refusal(String message) {
      super(message, null, false, false);
    }
  }

  /**
   * A rebuilt node.
   *
   * @param fromAggregateView whether its rows are (derived from) an aggregate view's rows, which may only be
   *     aggregated further by rollup
   * @param rolledUpSums output fields holding a rolled-up SUM (a sum of exact numbers), which may be cast back to
   *     the type PostgreSQL gives the original aggregate
   */
  record Built(RelNode rel, boolean fromAggregateView, Set<Integer> rolledUpSums) {}

  private final CompiledView view;
  private final RelOptTable standIn;
  /** Subtrees of the plan (by identity) and what replaces each: rows equal to the subtree's, not partial. */
  private final Map<RelNode, RelNode> substitutes;
  private final RexBuilder rexBuilder;
  private final RelDataTypeFactory typeFactory;

  private PlanRebuilder(CompiledView view, RelOptTable standIn, Map<RelNode, RelNode> substitutes,
                        RexBuilder rexBuilder) {
    this.view = view;
    this.standIn = standIn;
    this.substitutes = substitutes;
    this.rexBuilder = rexBuilder;
    this.typeFactory = rexBuilder.getTypeFactory();
  }

  /** For a plan of the view rules: scans of {@code standIn} become scans of {@code view}'s result table. */
  static PlanRebuilder overView(CompiledView view, RelOptTable standIn, RexBuilder rexBuilder) {
    return new PlanRebuilder(view, standIn, Map.of(), rexBuilder);
  }

  /**
   * For a query's plan: each key of {@code substitutes} (a subtree, by identity) becomes its value, a plan with
   * the same rows.
   */
  static PlanRebuilder overSubstitutes(IdentityHashMap<RelNode, RelNode> substitutes, RexBuilder rexBuilder) {
    return new PlanRebuilder(null, null, substitutes, rexBuilder);
  }

  Built rebuild(RelNode rel) throws Refusal {
    RelNode substitute = substitutes.get(rel);
    if (substitute != null) {
      return new Built(substitute, false, Set.of());
    }
    if (rel instanceof TableScan scan) {
      if (standIn != null && scan.getTable() == standIn) {
        return new Built(LogicalTableScan.create(rel.getCluster(), view.resultRelTable(), List.of()),
            view.aggregates(), Set.of());
      }
      return new Built(rel, false, Set.of());
    }
    if (rel instanceof Filter f) {
      Built in = rebuild(f.getInput());
      RexNode condition = retype(f.getCondition(), in, List.of());
      return new Built(LogicalFilter.create(in.rel(), condition), in.fromAggregateView(), in.rolledUpSums());
    }
    if (rel instanceof Project p) {
      Built in = rebuild(p.getInput());
      List<RexNode> projects = new ArrayList<>();
      Set<Integer> sums = new HashSet<>();
      for (RexNode e : p.getProjects()) {
        RexNode r = retype(e, in, List.of());
        if (r instanceof RexInputRef ref && in.rolledUpSums().contains(ref.getIndex())) {
          sums.add(projects.size());
        }
        projects.add(r);
      }
      return new Built(LogicalProject.create(in.rel(), List.of(), projects, p.getRowType().getFieldNames(),
          Set.of()), in.fromAggregateView(), sums);
    }
    if (rel instanceof Sort s) {
      Built in = rebuild(s.getInput());
      return new Built(LogicalSort.create(in.rel(), s.getCollation(), s.offset, s.fetch),
          in.fromAggregateView(), in.rolledUpSums());
    }
    if (rel instanceof Join j) {
      if (j.getJoinType() != JoinRelType.INNER || !j.getSystemFieldList().isEmpty()) {
        throw new Refusal("the rewrite has a " + j.getJoinType() + " join");
      }
      Built left = rebuild(j.getLeft());
      Built right = rebuild(j.getRight());
      List<RelDataTypeField> fields = new ArrayList<>(left.rel().getRowType().getFieldList());
      fields.addAll(right.rel().getRowType().getFieldList());
      RexNode condition = retype(j.getCondition(), null, fields);
      return new Built(LogicalJoin.create(left.rel(), right.rel(), List.of(), condition, Set.of(),
          JoinRelType.INNER), left.fromAggregateView() || right.fromAggregateView(), Set.of());
    }
    if (rel instanceof Aggregate a) {
      return aggregate(a, rebuild(a.getInput()));
    }
    if (rel instanceof SetOp setOp) {
      // UNION, INTERSECT and EXCEPT, ALL or not, of inputs with the same rows and types give the same rows
      List<RelNode> inputs = new ArrayList<>();
      boolean fromAggregateView = false;
      for (RelNode input : setOp.getInputs()) {
        Built in = rebuild(input);
        inputs.add(in.rel());
        fromAggregateView |= in.fromAggregateView();
      }
      return new Built(setOp.copy(setOp.getTraitSet(), inputs, setOp.all), fromAggregateView, Set.of());
    }
    throw new Refusal("the rewrite has a " + rel.getRelTypeName());
  }

  /**
   * An aggregate, as the rules built it, over its rebuilt input. Over an aggregate view's rows only rollups
   * that compose exactly are allowed; COUNT's rollup (Calcite's SUM0, which PostgreSQL lacks) becomes
   * {@code COALESCE(SUM(n), 0)}.
   */
  private Built aggregate(Aggregate a, Built in) throws Refusal {
    if (a.getGroupType() != Aggregate.Group.SIMPLE) {
      throw new Refusal("the rewrite has grouping sets");
    }
    RelBuilder b = RelBuilder.proto(Contexts.of(BUILDER_CONFIG)).create(a.getCluster(), null);
    b.push(in.rel());
    List<RelBuilder.AggCall> calls = new ArrayList<>();
    Set<Integer> sums = new HashSet<>();
    List<Integer> zeroWhenEmpty = new ArrayList<>();
    int groupCount = a.getGroupCount();
    for (AggregateCall call : a.getAggCallList()) {
      if (call.filterArg >= 0 || !call.collation.getFieldCollations().isEmpty() || call.isApproximate()
          || !call.rexList.isEmpty()) {
        throw new Refusal("the rewrite has " + call);
      }
      SqlKind kind = call.getAggregation().getKind();
      List<RexNode> args = new ArrayList<>();
      for (int arg : call.getArgList()) {
        args.add(b.field(arg));
      }
      int position = groupCount + calls.size();
      if (in.fromAggregateView()) {
        if (call.isDistinct()) {
          throw new Refusal("cannot roll up " + call + " from the view's rows");
        }
        switch (kind) {
          case SUM, SUM0 -> {
            RelDataType t = args.get(0).getType();
            if (!SqlTypeUtil.isExactNumeric(t)) {
              throw new Refusal("cannot roll up a sum of " + t + " exactly");
            }
            sums.add(position);
            if (kind == SqlKind.SUM0) {
              zeroWhenEmpty.add(position);
            }
            calls.add(b.aggregateCall(SqlStdOperatorTable.SUM, args).as(call.getName()));
          }
          case MIN, MAX -> calls.add(b.aggregateCall(call.getAggregation(), args).as(call.getName()));
          default -> throw new Refusal("cannot roll up " + call + " from the view's rows");
        }
      } else {
        if (kind == SqlKind.SUM0) {
          throw new Refusal("the rewrite has " + call);
        }
        calls.add(b.aggregateCall(call.getAggregation(), args).distinct(call.isDistinct())
            .as(call.getName()));
      }
    }
    b.aggregate(b.groupKey(a.getGroupSet()), calls);
    if (b.peek().getRowType().getFieldCount() != a.getRowType().getFieldCount()) {
      throw new Refusal("the rebuilt aggregate has another shape: " + b.peek().getRowType());
    }
    if (!zeroWhenEmpty.isEmpty()) {
      List<RexNode> out = new ArrayList<>(b.fields());
      for (int position : zeroWhenEmpty) {
        out.set(position, rexBuilder.makeCall(SqlStdOperatorTable.COALESCE, out.get(position),
            rexBuilder.makeExactLiteral(BigDecimal.ZERO)));
      }
      b.project(out, a.getRowType().getFieldNames(), true);
    }
    return new Built(b.build(), false, sums);
  }

  /**
   * {@code e} over the rebuilt input: input references take the input's real types, calls whose operand types
   * changed are typed again, and casts the rules added only for Calcite's typing are dropped. A cast that
   * remains must be safe in PostgreSQL, or be the cast of a rolled-up sum back to bigint (the sum of bigint
   * counts or sums is numeric in PostgreSQL, the original COUNT or SUM of integers bigint).
   */
  private RexNode retype(RexNode e, Built input, List<RelDataTypeField> joinFields) throws Refusal {
    List<RelDataTypeField> fields = input != null ? input.rel().getRowType().getFieldList() : joinFields;
    Set<Integer> sums = input != null ? input.rolledUpSums() : Set.of();
    String[] problem = {null};
    RexNode out = e.accept(new RexShuttle() {
      @Override
      public RexNode visitInputRef(RexInputRef ref) {
        return rexBuilder.makeInputRef(fields.get(ref.getIndex()).getType(), ref.getIndex());
      }

      @Override
      public RexNode visitCall(RexCall call) {
        List<RexNode> operands = new ArrayList<>();
        boolean changed = false;
        for (RexNode o : call.getOperands()) {
          RexNode r = o.accept(this);
          changed |= !r.getType().equals(o.getType());
          operands.add(r);
        }
        if (call.getKind() == SqlKind.CAST) {
          RexNode operand = operands.get(0);
          RelDataType target = typeFactory.createTypeWithNullability(call.getType(),
              operand.getType().isNullable());
          if (SqlTypeUtil.equalSansNullability(typeFactory, operand.getType(), target)) {
            return operand;
          }
          RexNode cast = rexBuilder.makeAbstractCast(target, operand, false);
          if (!(cast instanceof RexCall c && (CastSafety.isSafe(c) || isRollupCast(c, sums)))) {
            problem[0] = problem[0] != null ? problem[0] : "cast " + cast + " may not mean the same in PostgreSQL";
          }
          return cast;
        }
        if (!changed) {
          return call.clone(call.getType(), operands);
        }
        try {
          return rexBuilder.makeCall(call.getParserPosition(), call.getOperator(), operands);
        } catch (RuntimeException ex) {
          problem[0] = problem[0] != null ? problem[0] : "cannot type " + call + " over the view: " + ex;
          return call;
        }
      }
    });
    if (problem[0] != null) {
      throw new Refusal(problem[0]);
    }
    return out;
  }

  private static boolean isRollupCast(RexCall cast, Set<Integer> rolledUpSums) {
    if (cast.getType().getSqlTypeName() != SqlTypeName.BIGINT) {
      return false;
    }
    RexNode operand = cast.getOperands().get(0);
    if (operand.getKind() == SqlKind.COALESCE && operand instanceof RexCall coalesce
        && coalesce.getOperands().size() == 2 && coalesce.getOperands().get(1) instanceof RexLiteral zero
        && zero.getValueAs(BigDecimal.class) != null
        && zero.getValueAs(BigDecimal.class).signum() == 0) {
      operand = coalesce.getOperands().get(0);
    }
    return operand instanceof RexInputRef ref && rolledUpSums.contains(ref.getIndex());
  }
}
