package io.deltaview.engine.compile;

import io.deltaview.engine.expr.Scalar;
import io.deltaview.engine.expr.ScalarCompiler;
import io.deltaview.engine.operator.AggregateSpec;
import io.deltaview.engine.operator.AggregateOperator;
import io.deltaview.engine.operator.FilterOperator;
import io.deltaview.engine.operator.JoinOperator;
import io.deltaview.engine.operator.MapOperator;
import io.deltaview.engine.operator.MultiJoinOperator;
import io.deltaview.engine.row.Row;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.Correlate;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Intersect;
import org.apache.calcite.rel.core.Join;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.core.Minus;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.RelFactories;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.core.TableFunctionScan;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.core.Union;
import org.apache.calcite.rel.core.Values;
import org.apache.calcite.rel.core.Window;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.logical.LogicalJoin;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql2rel.RelFieldTrimmer;

/**
 * Incrementalisation as a compile step: turns a Calcite logical plan (as produced by SqlToRelConverter)
 * into a {@link ViewPipeline} of Z-set operators. Supported: table scans, filters, projections, inner
 * (equi- and theta-) joins, and GROUP BY with COUNT/SUM/AVG/MIN/MAX; anything else throws
 * {@link UnsupportedConstructException} naming the construct.
 *
 * <p>Aggregate values follow PostgreSQL's result types (SUM(int) is bigint, SUM(bigint) and AVG are
 * numeric, EXTRACT is numeric), which may differ from the types Calcite derived for the plan.
 */
public final class ViewCompiler {

  private ViewCompiler() {
  }

  /** Compiles {@code root}, projected to its output fields. */
  public static ViewPipeline compile(RelRoot root) {
    if (!root.collation.getFieldCollations().isEmpty()) {
      throw new UnsupportedConstructException("ORDER BY/LIMIT in a view");
    }
    return compile(root.project());
  }

  /** Compiles a logical plan. Columns not needed above a scan are pruned before state is built. */
  public static ViewPipeline compile(RelNode plan) {
    // First pass on the plan as written: it decides what is supported, so that the user's construct is named.
    new Builder(plan.getCluster().getRexBuilder()).build(plan);
    RelNode trimmed = trim(plan);
    Builder builder = new Builder(plan.getCluster().getRexBuilder());
    RelNode built = trimmed;
    Node root;
    try {
      root = builder.build(trimmed);
    } catch (UnsupportedConstructException e) {
      builder = new Builder(plan.getCluster().getRexBuilder()); // trimming introduced something odd
      built = plan;
      root = builder.build(plan);
    }
    List<String> names = new ArrayList<>();
    List<RelDataType> types = new ArrayList<>();
    for (RelDataTypeField f : plan.getRowType().getFieldList()) {
      names.add(f.getName());
      types.add(f.getType());
    }
    Map<List<String>, BitSet> read = new LinkedHashMap<>();
    readColumns(built, null, read);
    List<BitSet> readBySource = new ArrayList<>();
    for (List<String> table : builder.sources.keySet()) {
      readBySource.add(read.get(table));
    }
    return new ViewPipeline(new ArrayList<>(builder.sources.keySet()), readBySource, root, uniqueKey(plan), names,
        types);
  }

  /**
   * Column pruning with Calcite's field trimmer: projections right above the scans keep only the columns
   * used, so join and aggregate state holds only those. Falls back to the plan as is if trimming fails.
   */
  private static RelNode trim(RelNode plan) {
    try {
      RelNode t = new RelFieldTrimmer(null, RelFactories.LOGICAL_BUILDER.create(plan.getCluster(), null)).trim(plan);
      return t.getRowType().getFieldCount() == plan.getRowType().getFieldCount() ? t : plan;
    } catch (RuntimeException e) {
      return plan;
    }
  }

  /**
   * The columns of each scanned table that operators read: a projection right above a scan reads what its
   * expressions use (the builder compiles it as the first operator on the scan's rows); a scan under anything
   * else hands every column on.
   */
  private static void readColumns(RelNode rel, RelNode parent, Map<List<String>, BitSet> read) {
    if (rel instanceof TableScan scan) {
      BitSet used = parent instanceof LogicalProject p
          ? RelOptUtil.InputFinder.bits(p.getProjects(), null).toBitSet()
          : allColumns(scan.getRowType().getFieldCount());
      read.computeIfAbsent(List.copyOf(scan.getTable().getQualifiedName()), k -> new BitSet()).or(used);
      return;
    }
    for (RelNode input : rel.getInputs()) {
      readColumns(input, rel, read);
    }
  }

  private static BitSet allColumns(int n) {
    BitSet b = new BitSet(n);
    b.set(0, n);
    return b;
  }

  /** GROUP BY columns of a top-level aggregate, followed through filters and projections. */
  private static int[] uniqueKey(RelNode rel) {
    if (rel instanceof Aggregate a) {
      int[] k = new int[a.getGroupCount()];
      for (int i = 0; i < k.length; i++) {
        k[i] = i;
      }
      return k;
    }
    if (rel instanceof Filter f) {
      return uniqueKey(f.getInput());
    }
    if (rel instanceof Project p) {
      int[] below = uniqueKey(p.getInput());
      if (below == null) {
        return null;
      }
      int[] k = new int[below.length];
      for (int i = 0; i < below.length; i++) {
        k[i] = -1;
        for (int j = 0; j < p.getProjects().size(); j++) {
          if (p.getProjects().get(j) instanceof RexInputRef r && r.getIndex() == below[i]) {
            k[i] = j;
            break;
          }
        }
        if (k[i] < 0) {
          return null;
        }
      }
      return k;
    }
    return null;
  }

  /** One compilation: assigns source indexes to distinct tables in order of first appearance. */
  private static final class Builder {
    final Map<List<String>, Integer> sources = new LinkedHashMap<>();
    final RexBuilder rexBuilder;
    final ScalarCompiler scalars;

    Builder(RexBuilder rexBuilder) {
      this.rexBuilder = rexBuilder;
      this.scalars = new ScalarCompiler(rexBuilder);
    }

    Node build(RelNode rel) {
      if (rel instanceof TableScan scan) {
        List<String> name = List.copyOf(scan.getTable().getQualifiedName());
        Integer idx = sources.computeIfAbsent(name, k -> sources.size());
        return new Node.Source(idx);
      }
      if (rel instanceof LogicalFilter f) {
        Node in = build(f.getInput());
        Scalar p = scalars.compile(f.getCondition());
        return new Node.Linear(in, new FilterOperator(p::test));
      }
      if (rel instanceof LogicalProject p && p.getInput() instanceof LogicalJoin j) {
        return join(j, scalars.compileProjection(p.getProjects()));
      }
      if (rel instanceof LogicalProject p) {
        Node in = build(p.getInput());
        return new Node.Linear(in, new MapOperator(scalars.compileProjection(p.getProjects())));
      }
      if (rel instanceof LogicalJoin j) {
        return join(j, null);
      }
      if (rel instanceof LogicalAggregate a) {
        return aggregate(a);
      }
      throw unsupported(rel);
    }

    /** An inner join, with the projection right above it fused into its output when {@code outputMap} is set. */
    private Node join(LogicalJoin j, Function<Row, Row> outputMap) {
      checkInner(j);
      Node multi = multiJoin(j, outputMap);
      if (multi != null) {
        return multi;
      }
      JoinCondition c = JoinCondition.of(j);
      Predicate<Row> residual = residual(c.nonEqui());
      Node left = build(j.getLeft());
      Node right = build(j.getRight());
      JoinOperator op = new JoinOperator(c.leftKeys(), c.rightKeys(), c.nullSafe(), residual, outputMap);
      return new Node.Join(left, right, op);
    }

    /**
     * A join's condition split into equalities between a left and a right column ({@code nullSafe} for IS NOT
     * DISTINCT FROM) and the other conjuncts.
     */
    private record JoinCondition(int[] leftKeys, int[] rightKeys, boolean[] nullSafe, List<RexNode> nonEqui) {
      static JoinCondition of(LogicalJoin j) {
        List<Integer> leftKeys = new ArrayList<>();
        List<Integer> rightKeys = new ArrayList<>();
        List<Boolean> filterNulls = new ArrayList<>();
        List<RexNode> nonEqui = new ArrayList<>();
        RelOptUtil.splitJoinCondition(j.getLeft(), j.getRight(), j.getCondition(), leftKeys, rightKeys,
            filterNulls, nonEqui);
        boolean[] nullSafe = new boolean[leftKeys.size()];
        for (int i = 0; i < nullSafe.length; i++) {
          nullSafe[i] = i < filterNulls.size() && !filterNulls.get(i);
        }
        return new JoinCondition(toArray(leftKeys), toArray(rightKeys), nullSafe, nonEqui);
      }
    }

    private static void checkInner(LogicalJoin j) {
      switch (j.getJoinType()) {
        case INNER:
          break;
        case LEFT:
          throw new UnsupportedConstructException("LEFT JOIN");
        case RIGHT:
          throw new UnsupportedConstructException("RIGHT JOIN");
        case FULL:
          throw new UnsupportedConstructException("FULL JOIN");
        default:
          throw new UnsupportedConstructException("subquery (" + j.getJoinType() + " join)");
      }
      if (RexUtil.SubQueryFinder.find(j.getCondition()) != null) {
        throw new UnsupportedConstructException("subquery");
      }
    }

    /**
     * A tree of inner joins over three or more inputs, all connected by equalities, as one delta join
     * ({@link MultiJoinOperator}): it keeps no intermediate join result, which for a chain such as
     * lines ⋈ orders ⋈ customers is as large as the biggest table. Null when the tree does not qualify (two
     * inputs, or an input joined without an equality), and the binary joins are used.
     */
    private Node multiJoin(LogicalJoin top, Function<Row, Row> outputMap) {
      List<RelNode> inputs = new ArrayList<>();
      List<MultiJoinOperator.Equality> equalities = new ArrayList<>();
      List<RexNode> nonEqui = new ArrayList<>();
      flatten(top, 0, inputs, equalities, nonEqui);
      if (inputs.size() < 3) {
        return null;
      }
      int[] widths = new int[inputs.size()];
      for (int i = 0; i < widths.length; i++) {
        widths[i] = inputs.get(i).getRowType().getFieldCount();
      }
      MultiJoinOperator op = MultiJoinOperator.plan(widths, equalities, residual(nonEqui), outputMap);
      if (op == null) {
        return null;
      }
      Node[] nodes = new Node[inputs.size()];
      for (int i = 0; i < nodes.length; i++) {
        nodes[i] = build(inputs.get(i)); // left to right, so sources are numbered as for binary joins
      }
      return new Node.MultiJoin(nodes, op);
    }

    /**
     * Collects the inputs of the inner joins nested directly under {@code rel}, left to right, with their
     * conditions over the concatenated columns ({@code offset} is where {@code rel}'s columns start).
     */
    private void flatten(RelNode rel, int offset, List<RelNode> inputs, List<MultiJoinOperator.Equality> equalities,
        List<RexNode> nonEqui) {
      if (!(rel instanceof LogicalJoin j) || j.getJoinType() != JoinRelType.INNER
          || RexUtil.SubQueryFinder.find(j.getCondition()) != null) {
        inputs.add(rel);
        return;
      }
      JoinCondition c = JoinCondition.of(j);
      int leftWidth = j.getLeft().getRowType().getFieldCount();
      for (int k = 0; k < c.leftKeys().length; k++) {
        equalities.add(new MultiJoinOperator.Equality(offset + c.leftKeys()[k], offset + leftWidth + c.rightKeys()[k],
            c.nullSafe()[k]));
      }
      for (RexNode r : c.nonEqui()) {
        nonEqui.add(RexUtil.shift(r, offset));
      }
      flatten(j.getLeft(), offset, inputs, equalities, nonEqui);
      flatten(j.getRight(), offset + leftWidth, inputs, equalities, nonEqui);
    }

    /** The conjunction of {@code conditions} as a predicate on joined rows, or null when there are none. */
    private Predicate<Row> residual(List<RexNode> conditions) {
      RexNode residual = RexUtil.composeConjunction(rexBuilder, conditions);
      if (residual.isAlwaysTrue()) {
        return null;
      }
      Scalar scalar = scalars.compile(residual);
      return scalar::test;
    }

    private Node aggregate(LogicalAggregate a) {
      if (a.getGroupType() != org.apache.calcite.rel.core.Aggregate.Group.SIMPLE) {
        throw new UnsupportedConstructException("GROUPING SETS/ROLLUP/CUBE");
      }
      RelDataType inputType = a.getInput().getRowType();
      List<AggregateSpec> calls = new ArrayList<>();
      for (org.apache.calcite.rel.core.AggregateCall c : a.getAggCallList()) {
        String name = c.getAggregation().getName();
        if (c.isDistinct()) {
          throw new UnsupportedConstructException("DISTINCT aggregate " + name + "(DISTINCT ...)");
        }
        if (c.hasFilter()) {
          throw new UnsupportedConstructException("FILTER clause on aggregate " + name);
        }
        if (!c.getCollation().getFieldCollations().isEmpty()) {
          throw new UnsupportedConstructException("ordered aggregate " + name + "(... ORDER BY ...)");
        }
        List<Integer> args = c.getArgList();
        SqlKind kind = c.getAggregation().getKind();
        AggregateSpec.Function f;
        switch (kind) {
          case COUNT:
            if (args.size() > 1) {
              throw new UnsupportedConstructException("COUNT with several arguments");
            }
            f = args.isEmpty() ? AggregateSpec.Function.COUNT_STAR : AggregateSpec.Function.COUNT;
            break;
          case SUM:
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
          default:
            throw new UnsupportedConstructException("aggregate function " + name);
        }
        if (f == AggregateSpec.Function.COUNT_STAR) {
          calls.add(AggregateSpec.countStar());
          continue;
        }
        int arg = args.get(0);
        AggregateSpec.ArgType argType = argType(inputType.getFieldList().get(arg).getType());
        if ((f == AggregateSpec.Function.SUM || f == AggregateSpec.Function.AVG)
            && argType == AggregateSpec.ArgType.OTHER) {
          throw new UnsupportedConstructException(name + " of type "
              + inputType.getFieldList().get(arg).getType().getSqlTypeName());
        }
        calls.add(new AggregateSpec(f, arg, argType));
      }
      Node in = build(a.getInput());
      return new Node.Aggregate(in, new AggregateOperator(a.getGroupSet().toArray(), calls));
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
      if (rel instanceof Sort) {
        return new UnsupportedConstructException("ORDER BY/LIMIT in a view");
      }
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
      if (rel instanceof Window w) {
        String fn = w.groups.isEmpty() || w.groups.get(0).aggCalls.isEmpty() ? ""
            : " " + w.groups.get(0).aggCalls.get(0).getOperator().getName();
        return new UnsupportedConstructException("window function" + fn);
      }
      if (rel instanceof Correlate) {
        return new UnsupportedConstructException("subquery");
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
}
