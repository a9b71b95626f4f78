package io.deltaview.rewriter.match;

import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.plan.Contexts;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexShuttle;
import org.apache.calcite.sql.SqlFunction;
import org.apache.calcite.sql.SqlFunctionCategory;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.type.OperandTypes;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.tools.RelBuilder;

/**
 * AVG as a division of a SUM by a COUNT, so that a view keeping the sum and the count of a column answers the
 * average of that column, for its own groups or rolled up to coarser ones (sums of sums over sums of counts,
 * never an average of averages).
 *
 * <p>Why this is exactly PostgreSQL's AVG: for smallint, integer, bigint and numeric arguments PostgreSQL's
 * final function ({@code int8_avg}, {@code numeric_poly_avg}, {@code numeric_avg}) is {@code numeric_div} of the
 * sum, as a numeric, by the count of non-null values, as a numeric; and {@code sum(x)} is that same sum (bigint
 * for smallint and integer, numeric with the inputs' largest scale otherwise). So {@code sum / count} is the
 * same value with the same scale, once an integer sum is made numeric (a cast to {@code numeric(19,0)}, which
 * keeps every bigint and adds no decimal digit). Over no non-null value the sum is NULL, and so is the division
 * (PostgreSQL never evaluates a strict operator on NULL, so a zero count raises nothing). {@code COUNT(x)} is
 * {@code COUNT(*)} when {@code x} cannot be NULL. Floating-point averages are left alone: PostgreSQL also sums
 * the squares for them and fails when that sum overflows, which a division would not.
 *
 * <p>{@link #split} rewrites the query's top aggregate this way with an opaque marker ({@link #AVG_OF}) over the
 * two new aggregates, so that the matchers see only SUM and COUNT; {@link #lower} replaces the marker by the
 * division just before rendering, keeping the marker's type so the plan above it is unchanged.
 */
final class AverageSplit {
  private static final RelBuilder.Config BUILDER_CONFIG = RelBuilder.Config.DEFAULT
      .withSimplify(false)
      .withPruneInputOfAggregate(false)
      .withDedupAggregateCalls(false);

  /** Precision of a numeric that holds every bigint with no decimal digit. */
  private static final int BIGINT_DIGITS = 19;

  /**
   * {@code AVG_OF(sum, count)}: the average of the values that were summed and counted. Never rendered: a
   * rewrite still holding it would not validate and so would pass through.
   */
  static final SqlFunction AVG_OF = new SqlFunction("DELTAVIEW_AVG_OF", SqlKind.OTHER_FUNCTION,
      binding -> averageType(binding.getTypeFactory()), null, OperandTypes.ANY_ANY,
      SqlFunctionCategory.USER_DEFINED_FUNCTION);

  private AverageSplit() {}

  /**
   * {@code query} with every exact AVG of its top aggregate (the one under its ORDER BY, HAVING and projections)
   * split into a SUM and a COUNT, the same row type on top; null when it has no such AVG.
   */
  static RelNode split(RelNode query) {
    if (query instanceof Aggregate agg) {
      return splitAggregate(agg);
    }
    if (query instanceof Sort || query instanceof Project || query instanceof Filter) {
      RelNode input = split(query.getInput(0));
      return input == null ? null : query.copy(query.getTraitSet(), List.of(input));
    }
    return null;
  }

  private static RelNode splitAggregate(Aggregate agg) {
    if (agg.getGroupType() != Aggregate.Group.SIMPLE
        || agg.getAggCallList().stream().noneMatch(AverageSplit::splittable)) {
      return null;
    }
    RelBuilder b = RelBuilder.proto(Contexts.of(BUILDER_CONFIG)).create(agg.getCluster(), null);
    b.push(agg.getInput());
    int groupCount = agg.getGroupCount();
    List<RelBuilder.AggCall> calls = new ArrayList<>();
    List<Integer> firstSource = new ArrayList<>(); // per original call: its output, or the SUM's (COUNT's next)
    for (AggregateCall call : agg.getAggCallList()) {
      firstSource.add(groupCount + calls.size());
      if (splittable(call)) {
        RexNode x = b.field(call.getArgList().get(0));
        calls.add(b.sum(x));
        calls.add(x.getType().isNullable() ? b.count(x) : b.countStar(null));
      } else {
        calls.add(b.aggregateCall(call));
      }
    }
    b.aggregate(b.groupKey(agg.getGroupSet()), calls);
    RexBuilder rexBuilder = agg.getCluster().getRexBuilder();
    List<RexNode> out = new ArrayList<>(b.fields(org.apache.calcite.util.ImmutableIntList.range(0, groupCount)));
    for (int i = 0; i < agg.getAggCallList().size(); i++) {
      AggregateCall call = agg.getAggCallList().get(i);
      int source = firstSource.get(i);
      out.add(splittable(call)
          ? rexBuilder.makeCall(call.getType(), AVG_OF, List.of(b.field(source), b.field(source + 1)))
          : b.field(source));
    }
    b.project(out, agg.getRowType().getFieldNames(), true);
    RelNode split = b.build();
    return RelOptUtil.areRowTypesEqual(split.getRowType(), agg.getRowType(), true) ? split : null;
  }

  /** A plain AVG of an exact number, whose PostgreSQL result is numeric. */
  private static boolean splittable(AggregateCall call) {
    if (call.getAggregation().getKind() != SqlKind.AVG || call.isDistinct() || call.filterArg >= 0
        || call.isApproximate() || !call.collation.getFieldCollations().isEmpty() || !call.rexList.isEmpty()
        || call.getArgList().size() != 1 || call.getType().getSqlTypeName() != SqlTypeName.DECIMAL) {
      return false;
    }
    return true; // PgTypeSystem types AVG of exact numbers, and only those, numeric
  }

  /** {@code plan} with every {@link #AVG_OF} replaced by PostgreSQL's division, typed as the marker was. */
  static RelNode lower(RelNode plan) {
    RexBuilder rexBuilder = plan.getCluster().getRexBuilder();
    return PlanRewrites.bottomUp(plan, node -> node.accept(new RexShuttle() {
      @Override
      public RexNode visitCall(RexCall call) {
        RexNode visited = super.visitCall(call);
        if (!(visited instanceof RexCall c) || c.getOperator() != AVG_OF) {
          return visited;
        }
        RexNode sum = asNumeric(c.getOperands().get(0), rexBuilder);
        // Anything but an exact sum keeps the marker, so that the rewrite fails verification and passes through.
        return sum == null ? c : rexBuilder.makeCall(c.getType(), SqlStdOperatorTable.DIVIDE,
            List.of(sum, c.getOperands().get(1)));
      }
    }));
  }

  /**
   * A numeric sum as it is, an integer sum as a numeric with no decimal digit (what PostgreSQL's int8_avg
   * divides); null for any other type.
   */
  private static RexNode asNumeric(RexNode sum, RexBuilder rexBuilder) {
    SqlTypeName t = sum.getType().getSqlTypeName();
    if (t == SqlTypeName.DECIMAL) {
      return sum;
    }
    if (t != SqlTypeName.BIGINT && t != SqlTypeName.INTEGER && t != SqlTypeName.SMALLINT) {
      return null;
    }
    RelDataTypeFactory f = rexBuilder.getTypeFactory();
    RelDataType numeric = f.createTypeWithNullability(f.createSqlType(SqlTypeName.DECIMAL, BIGINT_DIGITS, 0),
        sum.getType().isNullable());
    return rexBuilder.makeAbstractCast(numeric, sum, false);
  }

  private static RelDataType averageType(RelDataTypeFactory f) {
    return f.createTypeWithNullability(f.createSqlType(SqlTypeName.DECIMAL,
        f.getTypeSystem().getMaxPrecision(SqlTypeName.DECIMAL), f.getTypeSystem().getMaxScale(SqlTypeName.DECIMAL)),
        true);
  }
}
