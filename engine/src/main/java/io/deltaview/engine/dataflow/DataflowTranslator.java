package io.deltaview.engine.dataflow;

import io.deltaview.engine.compile.UnsupportedConstructException;
import io.deltaview.engine.expr.EvaluationException;
import io.deltaview.engine.expr.PgValues;
import io.deltaview.engine.expr.RangeOffsets;
import io.deltaview.engine.expr.ScalarCompiler;
import io.deltaview.engine.row.Row;
import io.deltaview.sql.SqlStates;
import io.deltaview.engine.operator.AggregateSpec;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.apache.calcite.plan.RelOptUtil;
import io.deltaview.engine.operator.SortKey;
import io.deltaview.engine.operator.WindowOperator;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Correlate;
import org.apache.calcite.rel.core.Intersect;
import org.apache.calcite.rel.core.Join;
import org.apache.calcite.rel.core.Minus;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.core.TableFunctionScan;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.core.Union;
import org.apache.calcite.rel.core.Values;
import org.apache.calcite.rel.core.Window;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalIntersect;
import org.apache.calcite.rel.logical.LogicalJoin;
import org.apache.calcite.rel.logical.LogicalMinus;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.logical.LogicalUnion;
import org.apache.calcite.rel.logical.LogicalValues;
import org.apache.calcite.rel.logical.LogicalWindow;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.rex.RexWindowBound;
import org.apache.calcite.rex.RexWindowExclusion;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.util.ImmutableBitSet;

/**
 * Calcite logical plan → {@link Dataflow}, one node per relational operator, naming in SQL terms (an {@link
 * UnsupportedConstructException}) anything that has no incremental node yet. Base tables become sources
 * numbered in order of first appearance, left to right; a table read twice is one source.
 */
public final class DataflowTranslator {

  private final Map<List<String>, Integer> sources = new LinkedHashMap<>();
  private final RexBuilder rexBuilder;

  private DataflowTranslator(RexBuilder rexBuilder) {
    this.rexBuilder = rexBuilder;
  }

  /** The dataflow of {@code plan} and the qualified names of its sources, by source index. */
  public record Translation(Dataflow root, List<List<String>> sources) {
    public Translation {
      sources = List.copyOf(sources);
    }
  }

  public static Translation translate(RelNode plan) {
    DataflowTranslator t = new DataflowTranslator(plan.getCluster().getRexBuilder());
    Dataflow root = t.node(plan);
    return new Translation(root, new ArrayList<>(t.sources.keySet()));
  }

  private Dataflow node(RelNode rel) {
    if (rel instanceof TableScan scan) {
      List<String> name = List.copyOf(scan.getTable().getQualifiedName());
      int idx = sources.computeIfAbsent(name, k -> sources.size());
      return new Dataflow.Scan(idx, name, scan.getRowType());
    }
    if (rel instanceof LogicalValues v) {
      return constant(v);
    }
    if (rel instanceof LogicalFilter f) {
      if (RexUtil.SubQueryFinder.find(f.getCondition()) != null) {
        throw new UnsupportedConstructException("subquery in WHERE");
      }
      return new Dataflow.Filter(node(f.getInput()), f.getCondition());
    }
    if (rel instanceof LogicalProject p) {
      if (RexUtil.SubQueryFinder.find(p.getProjects()) != null) {
        throw new UnsupportedConstructException("subquery in SELECT");
      }
      return new Dataflow.Project(node(p.getInput()), p.getProjects(), p.getRowType());
    }
    if (rel instanceof LogicalJoin j) {
      return join(j);
    }
    if (rel instanceof LogicalAggregate a) {
      return aggregate(a);
    }
    if (rel instanceof Sort sort) {
      return topK(sort);
    }
    if (rel instanceof LogicalWindow w) {
      return window(w);
    }
    if (rel instanceof LogicalUnion u) {
      List<Dataflow> inputs = inputs(u);
      return u.all ? new Dataflow.UnionAll(inputs, u.getRowType())
          : new Dataflow.SetOperation(Dataflow.SetKind.UNION, inputs, u.getRowType());
    }
    if (rel instanceof LogicalIntersect i) {
      return new Dataflow.SetOperation(i.all ? Dataflow.SetKind.INTERSECT_ALL : Dataflow.SetKind.INTERSECT,
          inputs(i), i.getRowType());
    }
    if (rel instanceof LogicalMinus m) {
      return new Dataflow.SetOperation(m.all ? Dataflow.SetKind.EXCEPT_ALL : Dataflow.SetKind.EXCEPT, inputs(m),
          m.getRowType());
    }
    throw unsupported(rel);
  }

  /**
   * A VALUES list (also what Calcite makes of a SELECT without FROM): constant rows, inserted once at load. Its
   * columns hold values of the types a row can carry; an interval column (PostgreSQL's {@code VALUES (interval
   * '1 day')}) cannot be one.
   */
  private Dataflow constant(LogicalValues v) {
    for (org.apache.calcite.rel.type.RelDataTypeField f : v.getRowType().getFieldList()) {
      if (SqlTypeName.INTERVAL_TYPES.contains(f.getType().getSqlTypeName())) {
        throw new UnsupportedConstructException("VALUES column " + f.getName() + " of type interval");
      }
    }
    return new Dataflow.Constant(new ArrayList<>(v.getTuples()), v.getRowType());
  }

  /**
   * ORDER BY without LIMIT/OFFSET orders nothing a table keeps: the input itself. With them, a top-K, if the
   * order is total: otherwise PostgreSQL picks arbitrarily among rows tied at the boundary, and no maintained
   * result could be its answer.
   */
  private Dataflow topK(Sort sort) {
    if (sort.fetch == null && sort.offset == null) {
      return node(sort.getInput());
    }
    long limit = sort.fetch == null ? -1 : constant(sort.fetch, "LIMIT");
    long offset = sort.offset == null ? 0 : constant(sort.offset, "OFFSET");
    RelNode input = sort.getInput();
    List<SortKey> keys = new ArrayList<>();
    List<Integer> columns = new ArrayList<>();
    for (RelFieldCollation c : sort.getCollation().getFieldCollations()) {
      keys.add(new SortKey(c.getFieldIndex(), c.direction.isDescending(),
          c.nullDirection == RelFieldCollation.NullDirection.FIRST));
      columns.add(c.getFieldIndex());
    }
    boolean coversRow = ImmutableBitSet.of(columns).cardinality() == input.getRowType().getFieldCount();
    if (!coversRow && !Boolean.TRUE.equals(sort.getCluster().getMetadataQuery()
        .areColumnsUnique(input, ImmutableBitSet.of(columns)))) {
      throw new UnsupportedConstructException("ORDER BY … LIMIT whose order is not total (PostgreSQL picks"
          + " arbitrarily among rows with equal sort keys; end the ORDER BY with a unique key such as the primary key)");
    }
    return new Dataflow.TopK(node(input), keys, offset, limit);
  }

  /** One {@link Dataflow.Window} per window of the plan, each appending its calls' columns, in the plan's order. */
  private Dataflow window(LogicalWindow w) {
    RelNode input = w.getInput();
    int inputWidth = input.getRowType().getFieldCount();
    Dataflow current = node(input);
    int width = inputWidth;
    for (org.apache.calcite.rel.core.Window.Group g : w.groups) {
      if (g.exclude != RexWindowExclusion.EXCLUDE_NO_OTHER) {
        throw new UnsupportedConstructException("window frame EXCLUDE");
      }
      List<SortKey> order = new ArrayList<>();
      List<Integer> ordered = new ArrayList<>(g.keys.asList());
      for (RelFieldCollation c : g.orderKeys.getFieldCollations()) {
        order.add(new SortKey(c.getFieldIndex(), c.direction.isDescending(),
            c.nullDirection == RelFieldCollation.NullDirection.FIRST));
        ordered.add(c.getFieldIndex());
      }
      WindowOperator.Frame frame = new WindowOperator.Frame(g.isRows, bound(w, g, g.lowerBound),
          bound(w, g, g.upperBound));
      List<Dataflow.WindowCall> calls = new ArrayList<>();
      boolean needsTotalOrder = false;
      for (org.apache.calcite.rel.core.Window.RexWinAggCall call : g.aggCalls) {
        Dataflow.WindowCall c = windowCall(w, call, inputWidth);
        calls.add(c);
        needsTotalOrder |= switch (c.kind()) {
          case ROW_NUMBER, LAG, LEAD, FIRST_VALUE, LAST_VALUE, NTILE, NTH_VALUE -> true;
          case AGGREGATE -> g.isRows && c.aggregate().function() != AggregateSpec.Function.COUNT_STAR;
          default -> false;
        };
      }
      if (needsTotalOrder) {
        ImmutableBitSet columns = ImmutableBitSet.of(ordered);
        if (columns.cardinality() != inputWidth && !Boolean.TRUE.equals(
            w.getCluster().getMetadataQuery().areColumnsUnique(input, columns))) {
          throw new UnsupportedConstructException("window function " + g.aggCalls.get(0).getOperator().getName()
              + " over an order that is not total (PostgreSQL orders rows with equal PARTITION BY and ORDER BY keys"
              + " arbitrarily; end the ORDER BY with a unique key such as the primary key)");
        }
      }
      RelDataTypeFactory.Builder type = w.getCluster().getTypeFactory().builder();
      List<org.apache.calcite.rel.type.RelDataTypeField> fields = w.getRowType().getFieldList();
      for (int i = 0; i < width + g.aggCalls.size(); i++) {
        type.add(fields.get(i));
      }
      current = new Dataflow.Window(current, g.keys.toArray(), order, calls, frame, type.build());
      width += g.aggCalls.size();
    }
    return current;
  }

  private Dataflow.WindowCall windowCall(LogicalWindow w, org.apache.calcite.rel.core.Window.RexWinAggCall call,
      int inputWidth) {
    String name = call.getOperator().getName();
    if (call.distinct) {
      throw new UnsupportedConstructException("window function " + name + "(DISTINCT ...)");
    }
    List<RexNode> operands = call.getOperands();
    WindowOperator.Kind kind;
    switch (call.getKind()) {
      case ROW_NUMBER -> kind = WindowOperator.Kind.ROW_NUMBER;
      case RANK -> kind = WindowOperator.Kind.RANK;
      case DENSE_RANK -> kind = WindowOperator.Kind.DENSE_RANK;
      case PERCENT_RANK -> kind = WindowOperator.Kind.PERCENT_RANK;
      case CUME_DIST -> kind = WindowOperator.Kind.CUME_DIST;
      case LAG -> kind = WindowOperator.Kind.LAG;
      case LEAD -> kind = WindowOperator.Kind.LEAD;
      case FIRST_VALUE -> kind = WindowOperator.Kind.FIRST_VALUE;
      case LAST_VALUE -> kind = WindowOperator.Kind.LAST_VALUE;
      case NTILE -> kind = WindowOperator.Kind.NTILE;
      case NTH_VALUE -> kind = WindowOperator.Kind.NTH_VALUE;
      case COUNT, SUM, SUM0, MIN, MAX, AVG -> kind = WindowOperator.Kind.AGGREGATE;
      default -> throw new UnsupportedConstructException("window function " + name);
    }
    if (kind == WindowOperator.Kind.AGGREGATE) {
      AggregateSpec.Function f = switch (call.getKind()) {
        case COUNT -> operands.isEmpty() ? AggregateSpec.Function.COUNT_STAR : AggregateSpec.Function.COUNT;
        case SUM, SUM0 -> AggregateSpec.Function.SUM;
        case AVG -> AggregateSpec.Function.AVG;
        case MIN -> AggregateSpec.Function.MIN;
        default -> AggregateSpec.Function.MAX;
      };
      if (f == AggregateSpec.Function.COUNT_STAR) {
        return new Dataflow.WindowCall(kind, -1, 0, null, AggregateSpec.countStar(), false, call.getType());
      }
      if (operands.size() != 1) {
        throw new UnsupportedConstructException("window function " + name + " with several arguments");
      }
      int arg = column(operands.get(0), inputWidth, name);
      RelDataType argType = w.getInput().getRowType().getFieldList().get(arg).getType();
      AggregateSpec.ArgType family = argType(argType);
      if ((f == AggregateSpec.Function.SUM || f == AggregateSpec.Function.AVG) && family == AggregateSpec.ArgType.OTHER) {
        throw new UnsupportedConstructException(name + " of type " + argType.getSqlTypeName());
      }
      return new Dataflow.WindowCall(kind, arg, 0, null, new AggregateSpec(f, arg, family),
          call.getKind() == SqlKind.SUM0, call.getType());
    }
    if (kind == WindowOperator.Kind.LAG || kind == WindowOperator.Kind.LEAD) {
      int arg = column(operands.get(0), inputWidth, name);
      long offset = operands.size() > 1 ? constant(constantOf(w, operands.get(1), inputWidth), name + " offset") : 1;
      RexNode defaultValue = operands.size() > 2 ? constantOf(w, operands.get(2), inputWidth) : null;
      if (defaultValue != null && !(defaultValue instanceof RexLiteral)) {
        throw new UnsupportedConstructException(name + " with a default that is not a constant");
      }
      if (defaultValue != null && call.getType().getSqlTypeName() != SqlTypeName.DECIMAL) {
        // (a numeric default keeps its own scale: the compiler converts its value, as a cast to a typmod would
        // round it and the widest DECIMAL would pad it when Calcite folds the cast into the literal)
        defaultValue = rexBuilder.makeCast(typeWithoutModifier(call.getType()), defaultValue, true, false);
      }
      return new Dataflow.WindowCall(kind, arg, offset, defaultValue, null, false, call.getType());
    }
    if (kind == WindowOperator.Kind.NTILE || kind == WindowOperator.Kind.NTH_VALUE) {
      boolean ntile = kind == WindowOperator.Kind.NTILE;
      if (call.ignoreNulls) {
        throw new UnsupportedConstructException(name + " IGNORE NULLS");
      }
      long n = constant(constantOf(w, operands.get(ntile ? 0 : 1), inputWidth), name + "'s argument");
      if (n <= 0) {
        throw new UnsupportedConstructException(name + " of " + n + " (PostgreSQL fails: the argument must be"
            + " greater than zero)");
      }
      int arg = ntile ? -1 : column(operands.get(0), inputWidth, name);
      return new Dataflow.WindowCall(kind, arg, n, null, null, false, call.getType());
    }
    int arg = operands.isEmpty() ? -1 : column(operands.get(0), inputWidth, name);
    return new Dataflow.WindowCall(kind, arg, 0, null, null, false, call.getType());
  }

  /**
   * {@code type} without its length or precision and scale: PostgreSQL coerces LAG/LEAD's default to the
   * argument's type without its modifier ({@code lead(amount, 1, 0)} of a numeric(10,2) column is {@code 0}).
   */
  private RelDataType typeWithoutModifier(RelDataType type) {
    RelDataTypeFactory types = rexBuilder.getTypeFactory();
    RelDataType plain = switch (type.getSqlTypeName()) {
      case CHAR, VARCHAR -> types.createSqlType(SqlTypeName.VARCHAR);
      default -> type;
    };
    return types.createTypeWithNullability(plain, true);
  }

  /** An operand that must be an input column. */
  private static int column(RexNode operand, int inputWidth, String function) {
    if (operand instanceof RexInputRef ref && ref.getIndex() < inputWidth) {
      return ref.getIndex();
    }
    throw new UnsupportedConstructException("window function " + function + " of an expression");
  }

  /** A window's constant: a literal, or a reference past the input columns into the window's constants. */
  private static RexNode constantOf(LogicalWindow w, RexNode operand, int inputWidth) {
    if (operand instanceof RexInputRef ref && ref.getIndex() >= inputWidth) {
      return w.constants.get(ref.getIndex() - inputWidth);
    }
    return operand;
  }

  private WindowOperator.Bound bound(LogicalWindow w, org.apache.calcite.rel.core.Window.Group g, RexWindowBound b) {
    if (b.isUnbounded()) {
      return WindowOperator.Bound.UNBOUNDED;
    }
    if (b.isCurrentRow()) {
      return WindowOperator.Bound.CURRENT_ROW;
    }
    RexNode offset = constantOf(w, b.getOffset(), w.getInput().getRowType().getFieldCount());
    if (!g.isRows) {
      return rangeBound(w, g, offset, b.isPreceding());
    }
    long n = constant(offset, "window frame offset");
    return new WindowOperator.Bound(false, b.isPreceding() ? -n : n);
  }

  /**
   * {@code RANGE BETWEEN <offset> PRECEDING|FOLLOWING …}: an offset in the values of the window's one ORDER BY
   * column, of the types PostgreSQL's in_range functions take: an integer offset over an integer key, a number
   * over a numeric key, an interval over a date, timestamp or timestamptz (where a day or a month is as long as
   * the session's time zone makes it: see {@link WindowOperator.Bound#inZone}). A negative offset fails, as in
   * PostgreSQL.
   */
  private WindowOperator.Bound rangeBound(LogicalWindow w, org.apache.calcite.rel.core.Window.Group g,
      RexNode offset, boolean preceding) {
    if (g.orderKeys.getFieldCollations().size() != 1) {
      // PostgreSQL refuses it itself, with this error
      throw new EvaluationException(SqlStates.WINDOWING_ERROR,
          "RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column");
    }
    if (!(RexUtil.removeCast(offset) instanceof RexLiteral)) {
      throw new UnsupportedConstructException("RANGE frame offset that is not a constant");
    }
    RelDataType keyType = w.getInput().getRowType().getFieldList()
        .get(g.orderKeys.getFieldCollations().get(0).getFieldIndex()).getType();
    SqlTypeName key = keyType.getSqlTypeName();
    SqlTypeName by = offset.getType().getSqlTypeName();
    boolean interval = SqlTypeName.INTERVAL_TYPES.contains(by);
    boolean supported = SqlTypeName.INT_TYPES.contains(key) ? SqlTypeName.INT_TYPES.contains(by)
        : key == SqlTypeName.DECIMAL ? SqlTypeName.INT_TYPES.contains(by) || by == SqlTypeName.DECIMAL
        : key == SqlTypeName.DATE || key == SqlTypeName.TIMESTAMP
            || key == SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE ? interval : false;
    if (!supported) {
      throw new UnsupportedConstructException("RANGE with offset PRECEDING/FOLLOWING for column type " + key
          + " and offset type " + by);
    }
    Object value = new ScalarCompiler(rexBuilder).compile(offset).eval(Row.EMPTY);
    if (value == null || RangeOffsets.negative(value)) {
      throw new EvaluationException(SqlStates.INVALID_PRECEDING_OR_FOLLOWING_SIZE,
          "invalid preceding or following size in window function");
    }
    if (!interval && key == SqlTypeName.DECIMAL) {
      value = PgValues.toBigDecimal(value);
    }
    return WindowOperator.Bound.range(value, preceding,
        key == SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE && RangeOffsets.hasCalendarPart(value));
  }

  private static long constant(RexNode value, String clause) {
    if (value instanceof RexLiteral literal && literal.getValueAs(Long.class) != null) {
      return literal.getValueAs(Long.class);
    }
    throw new UnsupportedConstructException(clause + " that is not a constant");
  }

  private List<Dataflow> inputs(RelNode rel) {
    List<Dataflow> inputs = new ArrayList<>();
    for (RelNode input : rel.getInputs()) {
      inputs.add(node(input));
    }
    return inputs;
  }

  private Dataflow join(LogicalJoin j) {
    Dataflow.JoinKind kind;
    switch (j.getJoinType()) {
      case INNER:
        kind = Dataflow.JoinKind.INNER;
        break;
      case LEFT:
        kind = Dataflow.JoinKind.LEFT;
        break;
      case RIGHT:
        kind = Dataflow.JoinKind.RIGHT;
        break;
      case FULL:
        kind = Dataflow.JoinKind.FULL;
        break;
      default:
        throw new UnsupportedConstructException("subquery (" + j.getJoinType() + " join)");
    }
    if (RexUtil.SubQueryFinder.find(j.getCondition()) != null) {
      throw new UnsupportedConstructException("subquery in a join condition");
    }
    List<Integer> leftKeys = new ArrayList<>();
    List<Integer> rightKeys = new ArrayList<>();
    List<Boolean> filterNulls = new ArrayList<>();
    List<RexNode> nonEqui = new ArrayList<>();
    RelOptUtil.splitJoinCondition(j.getLeft(), j.getRight(), j.getCondition(), leftKeys, rightKeys, filterNulls,
        nonEqui);
    boolean[] nullSafe = new boolean[leftKeys.size()];
    for (int i = 0; i < nullSafe.length; i++) {
      nullSafe[i] = i < filterNulls.size() && !filterNulls.get(i);
    }
    RexNode residual = RexUtil.composeConjunction(rexBuilder, nonEqui);
    Dataflow left = node(j.getLeft());
    Dataflow right = node(j.getRight());
    return new Dataflow.Join(kind, left, right, toArray(leftKeys), toArray(rightKeys), nullSafe,
        residual.isAlwaysTrue() ? null : residual, null, j.getRowType());
  }

  /**
   * An aggregate call as the aggregate operator computes it ({@code spec}, producing {@code computedType}), and
   * how the output column is made from that value ({@code finish} of a reference to it), or a constant with no
   * computation at all ({@code spec} null).
   */
  private record CallPlan(AggregateSpec spec, RelDataType computedType, Function<RexNode, RexNode> finish) {
  }

  private Dataflow aggregate(LogicalAggregate a) {
    if (a.getGroupType() != org.apache.calcite.rel.core.Aggregate.Group.SIMPLE) {
      throw new UnsupportedConstructException("GROUPING SETS/ROLLUP/CUBE");
    }
    int groups = a.getGroupCount();
    List<CallPlan> plans = new ArrayList<>();
    boolean plain = true;
    for (int i = 0; i < a.getAggCallList().size(); i++) {
      CallPlan p = callPlan(a, a.getAggCallList().get(i), a.getRowType().getFieldList().get(groups + i).getType());
      plain &= p.finish() == null;
      plans.add(p);
    }
    Dataflow in = node(a.getInput());
    List<AggregateSpec> specs = new ArrayList<>();
    for (CallPlan p : plans) {
      if (p.spec() != null) {
        specs.add(p.spec());
      }
    }
    if (plain) {
      return new Dataflow.Aggregate(in, a.getGroupSet().toArray(), specs, a.getRowType());
    }
    RelDataTypeFactory.Builder computed = a.getCluster().getTypeFactory().builder()
        .addAll(a.getRowType().getFieldList().subList(0, groups));
    for (int i = 0; i < plans.size(); i++) {
      if (plans.get(i).spec() != null) {
        computed.add(a.getRowType().getFieldList().get(groups + i).getName(), plans.get(i).computedType());
      }
    }
    RelDataType computedType = computed.build();
    Dataflow aggregate = new Dataflow.Aggregate(in, a.getGroupSet().toArray(), specs, computedType);
    List<RexNode> projection = new ArrayList<>();
    for (int i = 0; i < groups; i++) {
      projection.add(rexBuilder.makeInputRef(computedType.getFieldList().get(i).getType(), i));
    }
    int next = groups;
    for (CallPlan p : plans) {
      RexNode value = null;
      if (p.spec() != null) {
        value = rexBuilder.makeInputRef(computedType.getFieldList().get(next).getType(), next);
        next++;
      }
      projection.add(p.finish() == null ? value : p.finish().apply(value));
    }
    return new Dataflow.Project(aggregate, projection, a.getRowType());
  }

  private CallPlan callPlan(LogicalAggregate a, AggregateCall c, RelDataType outputType) {
    String name = c.getAggregation().getName();
    SqlKind kind = c.getAggregation().getKind();
    if (kind == SqlKind.LITERAL_AGG && c.rexList.size() == 1) {
      // What decorrelated NOT IN/EXISTS subqueries mark matched groups with: the literal, in every group.
      RexNode literal = rexBuilder.makeCast(outputType, c.rexList.get(0), true, false);
      return new CallPlan(null, null, ignored -> literal);
    }
    if (c.isDistinct()) {
      throw new UnsupportedConstructException("DISTINCT aggregate " + sqlName(c.getAggregation()) + "(DISTINCT ...)");
    }
    if (kind == SqlKind.LISTAGG || kind == SqlKind.ARRAY_AGG) {
      return orderedCall(a, c, outputType);
    }
    if (c.hasFilter()) {
      throw new UnsupportedConstructException("FILTER clause on aggregate " + name);
    }
    if (!c.getCollation().getFieldCollations().isEmpty()) {
      throw new UnsupportedConstructException("ordered aggregate " + name + "(... ORDER BY ...)");
    }
    List<Integer> args = c.getArgList();
    AggregateSpec.Function f;
    switch (kind) {
      case VAR_POP:
      case VAR_SAMP:
      case STDDEV_POP:
      case STDDEV_SAMP:
        return statisticCall(a, c, outputType);
      case COUNT:
        if (args.size() > 1) {
          throw new UnsupportedConstructException("COUNT with several arguments");
        }
        if (args.isEmpty()) {
          return new CallPlan(AggregateSpec.countStar(), outputType, null);
        }
        f = AggregateSpec.Function.COUNT;
        break;
      case SUM:
      case SUM0:
        f = AggregateSpec.Function.SUM;
        break;
      case AVG:
        f = AggregateSpec.Function.AVG;
        break;
      case MIN:
        f = AggregateSpec.Function.MIN;
        break;
      case MAX:
        f = AggregateSpec.Function.MAX;
        break;
      case SINGLE_VALUE:
        throw new UnsupportedConstructException("scalar subquery that is not an aggregate (it may return more"
            + " than one row)");
      default:
        throw new UnsupportedConstructException("aggregate function " + sqlName(c.getAggregation()));
    }
    int arg = args.get(0);
    RelDataType argType = a.getInput().getRowType().getFieldList().get(arg).getType();
    AggregateSpec.ArgType family = argType(argType);
    if ((f == AggregateSpec.Function.SUM || f == AggregateSpec.Function.AVG) && family == AggregateSpec.ArgType.OTHER) {
      throw new UnsupportedConstructException(name + " of type " + argType.getSqlTypeName());
    }
    AggregateSpec spec = new AggregateSpec(f, arg, family);
    // The operator sums bigints as numeric (PostgreSQL's SUM(bigint)). A sum the planner introduced over partial
    // sums or counts (splitting a DISTINCT aggregate) is declared with the original integer type: cast back.
    // (Under a type system that itself types SUM(bigint) as bigint, as Calcite's default does, the declared type
    // says nothing about who wrote the sum, and values stay PostgreSQL's numeric.)
    RelDataTypeFactory types = a.getCluster().getTypeFactory();
    boolean integerSumOfBigints = f == AggregateSpec.Function.SUM && family == AggregateSpec.ArgType.BIGINT
        && SqlTypeName.INT_TYPES.contains(outputType.getSqlTypeName())
        && !SqlTypeName.INT_TYPES.contains(types.getTypeSystem()
            .deriveSumType(types, types.createSqlType(SqlTypeName.BIGINT)).getSqlTypeName());
    if (kind == SqlKind.SUM0 || integerSumOfBigints) {
      RelDataType computedType = integerSumOfBigints
          ? types.createTypeWithNullability(types.createSqlType(SqlTypeName.DECIMAL,
              types.getTypeSystem().getMaxNumericPrecision(), 0), true)
          : types.createTypeWithNullability(outputType, true);
      boolean zeroIfEmpty = kind == SqlKind.SUM0; // $SUM0: 0, not NULL, over no rows
      return new CallPlan(spec, computedType, value -> {
        RexNode v = zeroIfEmpty ? rexBuilder.makeCall(SqlStdOperatorTable.COALESCE, value,
            rexBuilder.makeZeroLiteral(value.getType())) : value;
        return rexBuilder.makeCast(outputType, v, true, false);
      });
    }
    return new CallPlan(spec, outputType, null);
  }

  /**
   * VARIANCE, VAR_POP, VAR_SAMP, STDDEV, STDDEV_POP, STDDEV_SAMP of an integer or numeric argument, computed exactly
   * as PostgreSQL's numeric result. Of a float argument they are refused: PostgreSQL computes them with the
   * Youngs-Cramer algorithm in the order the rows happen to reach it, so the last bits depend on that order, and
   * no maintained value could be bit-for-bit PostgreSQL's.
   */
  private CallPlan statisticCall(LogicalAggregate a, AggregateCall c, RelDataType outputType) {
    String name = c.getAggregation().getName();
    int arg = c.getArgList().get(0);
    RelDataType argType = a.getInput().getRowType().getFieldList().get(arg).getType();
    AggregateSpec.ArgType family = argType(argType);
    if (family == AggregateSpec.ArgType.DOUBLE) {
      throw new UnsupportedConstructException(name + " of a " + argType.getSqlTypeName() + " argument (PostgreSQL"
          + " computes a floating-point variance in the order rows reach it, so its last digits are not"
          + " reproducible; cast the argument to numeric)");
    }
    if (family == AggregateSpec.ArgType.OTHER) {
      throw new UnsupportedConstructException(name + " of type " + argType.getSqlTypeName());
    }
    AggregateSpec.Function f = switch (c.getAggregation().getKind()) {
      case VAR_POP -> AggregateSpec.Function.VAR_POP;
      case VAR_SAMP -> AggregateSpec.Function.VAR_SAMP;
      case STDDEV_POP -> AggregateSpec.Function.STDDEV_POP;
      default -> AggregateSpec.Function.STDDEV_SAMP;
    };
    return new CallPlan(new AggregateSpec(f, arg, family), outputType, null);
  }

  /**
   * STRING_AGG (with a constant separator) and ARRAY_AGG, with their FILTER, and an ORDER BY that fixes the
   * result: without one PostgreSQL concatenates in whatever order rows reach it; by text, in the collation's
   * order, which is not reproduced; and rows whose ORDER BY keys tie are concatenated in any order, so the keys
   * (with the group keys) must be unique in the input, or include the aggregated value itself (then tied rows
   * contribute equal values, of a type whose equal values print alike).
   */
  private CallPlan orderedCall(LogicalAggregate a, AggregateCall c, RelDataType outputType) {
    boolean string = c.getAggregation().getKind() == SqlKind.LISTAGG;
    String name = string ? "string_agg" : "array_agg";
    RelNode input = a.getInput();
    List<org.apache.calcite.rel.type.RelDataTypeField> fields = input.getRowType().getFieldList();
    List<Integer> args = c.getArgList();
    if (c.ignoreNulls() || args.size() != (string ? 2 : 1)) {
      throw new UnsupportedConstructException(name + " with these arguments");
    }
    List<RelFieldCollation> collations = c.getCollation().getFieldCollations();
    if (collations.isEmpty()) {
      throw new UnsupportedConstructException(name + " without ORDER BY: PostgreSQL's order is not defined (order"
          + " the values inside the aggregate, e.g. " + name + "(x" + (string ? ", ', '" : "") + " ORDER BY id))");
    }
    int value = args.get(0);
    // DISTINCT, ordered by the value (see PlanNormalizer): each value once, so equal values must print alike
    boolean distinct = c.distinctKeys != null && c.distinctKeys.equals(ImmutableBitSet.of(value));
    if (distinct && !equalValuesPrintAlike(fields.get(value).getType())) {
      throw new UnsupportedConstructException(name + "(DISTINCT …) of a " + fields.get(value).getType()
          .getSqlTypeName() + " (values that compare equal may print differently, and PostgreSQL keeps whichever"
          + " it met first)");
    }
    List<SortKey> order = new ArrayList<>();
    List<Integer> columns = new ArrayList<>(a.getGroupSet().asList());
    boolean orderedByValue = distinct;
    for (RelFieldCollation fc : collations) {
      RelDataType type = fields.get(fc.getFieldIndex()).getType();
      order.add(new SortKey(fc.getFieldIndex(), fc.direction.isDescending(),
          fc.nullDirection == RelFieldCollation.NullDirection.FIRST));
      columns.add(fc.getFieldIndex());
      orderedByValue |= fc.getFieldIndex() == value && equalValuesPrintAlike(type);
    }
    org.apache.calcite.rel.metadata.RelMetadataQuery mq = a.getCluster().getMetadataQuery();
    if (!orderedByValue && !Boolean.TRUE.equals(mq.areColumnsUnique(input, ImmutableBitSet.of(columns)))) {
      throw new UnsupportedConstructException(name + "(… ORDER BY …) whose order is not total (PostgreSQL"
          + " concatenates values with equal ORDER BY keys in any order; end the ORDER BY with a unique key such as"
          + " the primary key, or order by the aggregated value itself)");
    }
    String separator = null;
    if (string) {
      RexNode constant = mq.getPulledUpPredicates(input).constantMap
          .get(rexBuilder.makeInputRef(input, args.get(1)));
      if (constant == null && input instanceof LogicalProject p) {
        constant = p.getProjects().get(args.get(1));
      }
      constant = constant == null ? null : RexUtil.removeCast(constant);
      if (!(constant instanceof RexLiteral literal)) {
        throw new UnsupportedConstructException("string_agg with a separator that is not a constant");
      }
      String text = literal.getValueAs(String.class);
      separator = text == null ? "" : text; // PostgreSQL appends nothing for a NULL separator
    }
    AggregateSpec.Function f = string ? AggregateSpec.Function.STRING_AGG : AggregateSpec.Function.ARRAY_AGG;
    return new CallPlan(new AggregateSpec(f, value, argType(fields.get(value).getType()), order, separator,
        c.filterArg, distinct), outputType, null);
  }

  /** Whether values of {@code type} that compare equal have the same text (not so for floats' 0 and -0). */
  private static boolean equalValuesPrintAlike(RelDataType type) {
    SqlTypeName t = type.getSqlTypeName();
    if (t == SqlTypeName.DECIMAL) {
      // a numeric of unconstrained scale holds 1.0 and 1.00, equal but printed apart
      return type.getScale() < io.deltaview.rewriter.schema.PgType.UNCONSTRAINED_NUMERIC_SCALE;
    }
    // equal text is the same text: the planner refuses columns with a nondeterministic collation
    return SqlTypeName.INT_TYPES.contains(t) || t == SqlTypeName.BOOLEAN || t == SqlTypeName.DATE
        || t == SqlTypeName.TIME || t == SqlTypeName.TIMESTAMP || SqlTypeName.CHAR_TYPES.contains(t);
  }

  /** An aggregate function's name as PostgreSQL users write it (Calcite calls string_agg LISTAGG). */
  private static String sqlName(org.apache.calcite.sql.SqlAggFunction f) {
    return f.getKind() == SqlKind.LISTAGG ? "STRING_AGG" : f.getName();
  }

  private static AggregateSpec.ArgType argType(RelDataType t) {
    switch (t.getSqlTypeName()) {
      case TINYINT:
      case SMALLINT:
      case INTEGER:
        return AggregateSpec.ArgType.INT;
      case BIGINT:
        return AggregateSpec.ArgType.BIGINT;
      case DECIMAL:
        return AggregateSpec.ArgType.NUMERIC;
      case REAL:
      case FLOAT:
      case DOUBLE:
        return AggregateSpec.ArgType.DOUBLE;
      default:
        return AggregateSpec.ArgType.OTHER;
    }
  }

  private static UnsupportedConstructException unsupported(RelNode rel) {
    if (rel instanceof Union u) {
      return new UnsupportedConstructException(u.all ? "UNION ALL" : "UNION");
    }
    if (rel instanceof Intersect) {
      return new UnsupportedConstructException("INTERSECT");
    }
    if (rel instanceof Minus) {
      return new UnsupportedConstructException("EXCEPT");
    }
    if (rel instanceof Values) {
      return new UnsupportedConstructException("VALUES");
    }
    if (rel instanceof org.apache.calcite.rel.core.RepeatUnion || rel instanceof org.apache.calcite.rel.core.Spool) {
      return new UnsupportedConstructException("WITH RECURSIVE (a recursive query is not maintained yet)");
    }
    if (rel instanceof Window w) {
      String fn = w.groups.isEmpty() || w.groups.get(0).aggCalls.isEmpty() ? ""
          : " " + w.groups.get(0).aggCalls.get(0).getOperator().getName();
      return new UnsupportedConstructException("window function" + fn);
    }
    if (rel instanceof Correlate) {
      return new UnsupportedConstructException("correlated subquery that cannot be decorrelated");
    }
    if (rel instanceof TableFunctionScan) {
      return new UnsupportedConstructException("table function");
    }
    if (rel instanceof Join) {
      return new UnsupportedConstructException("join of kind " + rel.getRelTypeName());
    }
    return new UnsupportedConstructException("relational operator " + rel.getRelTypeName());
  }

  private static int[] toArray(List<Integer> list) {
    int[] a = new int[list.size()];
    for (int i = 0; i < a.length; i++) {
      a[i] = list.get(i);
    }
    return a;
  }
}
