package io.deltaview.engine.compile;

import io.deltaview.engine.expr.PgValues;
import io.deltaview.engine.expr.Scalar;
import io.deltaview.engine.expr.ScalarCompiler;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rel.logical.LogicalAggregate;
import org.apache.calcite.rel.logical.LogicalFilter;
import org.apache.calcite.rel.core.JoinRelType;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.core.SetOp;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.logical.LogicalIntersect;
import org.apache.calcite.rel.logical.LogicalJoin;
import org.apache.calcite.rel.logical.LogicalUnion;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Reference for the differential tests: evaluates a plan over full tables the obvious way (nested-loop
 * joins on the whole condition, aggregates recomputed from the group's rows), sharing only the scalar
 * expression compiler with the engine.
 */
final class NaiveEvaluator {

  private final ScalarCompiler scalars;
  private final Map<String, List<Row>> tables;

  NaiveEvaluator(RelNode plan, Map<String, List<Row>> tables) {
    this.scalars = new ScalarCompiler(plan.getCluster().getRexBuilder());
    this.tables = tables;
  }

  ZSet evaluate(RelNode plan) {
    ZSet out = new ZSet();
    for (Row r : eval(plan)) {
      out.add(r, 1);
    }
    return out;
  }

  private List<Row> eval(RelNode rel) {
    if (rel instanceof TableScan scan) {
      List<String> name = scan.getTable().getQualifiedName();
      return tables.getOrDefault(name.get(name.size() - 1), List.of());
    }
    if (rel instanceof org.apache.calcite.rel.logical.LogicalValues v) {
      List<Row> out = new ArrayList<>();
      for (List<org.apache.calcite.rex.RexLiteral> tuple : v.getTuples()) {
        out.add(Row.wrap(tuple.stream().map(l -> scalars.compile(l).eval(Row.EMPTY)).toArray()));
      }
      return out;
    }
    if (rel instanceof LogicalFilter f) {
      Scalar p = scalars.compile(f.getCondition());
      List<Row> out = new ArrayList<>();
      for (Row r : eval(f.getInput())) {
        if (Boolean.TRUE.equals(p.eval(r))) {
          out.add(r);
        }
      }
      return out;
    }
    if (rel instanceof LogicalProject p) {
      List<Scalar> exprs = p.getProjects().stream().map(scalars::compile).toList();
      List<Row> out = new ArrayList<>();
      for (Row r : eval(p.getInput())) {
        Object[] v = new Object[exprs.size()];
        for (int i = 0; i < v.length; i++) {
          v[i] = exprs.get(i).eval(r);
        }
        out.add(Row.wrap(v));
      }
      return out;
    }
    if (rel instanceof LogicalJoin j) {
      Scalar c = scalars.compile(j.getCondition());
      List<Row> left = eval(j.getLeft());
      List<Row> right = eval(j.getRight());
      Row leftNulls = Row.wrap(new Object[j.getLeft().getRowType().getFieldCount()]);
      Row rightNulls = Row.wrap(new Object[j.getRight().getRowType().getFieldCount()]);
      JoinRelType type = j.getJoinType();
      boolean[] rightMatched = new boolean[right.size()];
      List<Row> out = new ArrayList<>();
      for (Row l : left) {
        boolean matched = false;
        for (int i = 0; i < right.size(); i++) {
          Row joined = l.concat(right.get(i));
          if (Boolean.TRUE.equals(c.eval(joined))) {
            out.add(joined);
            matched = true;
            rightMatched[i] = true;
          }
        }
        if (!matched && (type == JoinRelType.LEFT || type == JoinRelType.FULL)) {
          out.add(l.concat(rightNulls));
        }
      }
      if (type == JoinRelType.RIGHT || type == JoinRelType.FULL) {
        for (int i = 0; i < right.size(); i++) {
          if (!rightMatched[i]) {
            out.add(leftNulls.concat(right.get(i)));
          }
        }
      }
      return out;
    }
    if (rel instanceof org.apache.calcite.rel.logical.LogicalWindow w) {
      return window(w);
    }
    if (rel instanceof Sort sort) {
      List<Row> rows = new ArrayList<>(eval(sort.getInput()));
      rows.sort((a, b) -> {
        for (RelFieldCollation c : sort.getCollation().getFieldCollations()) {
          Object x = a.get(c.getFieldIndex());
          Object y = b.get(c.getFieldIndex());
          int r;
          if (x == null || y == null) {
            r = x == y ? 0 : (x == null) == (c.nullDirection == RelFieldCollation.NullDirection.FIRST) ? -1 : 1;
          } else {
            r = PgValues.compare(x, y) * (c.direction.isDescending() ? -1 : 1);
          }
          if (r != 0) {
            return r;
          }
        }
        return 0;
      });
      int from = sort.offset == null ? 0 : ((org.apache.calcite.rex.RexLiteral) sort.offset).getValueAs(Integer.class);
      int n = sort.fetch == null ? Integer.MAX_VALUE
          : ((org.apache.calcite.rex.RexLiteral) sort.fetch).getValueAs(Integer.class);
      return new ArrayList<>(rows.subList(Math.min(from, rows.size()), (int) Math.min((long) from + n, rows.size())));
    }
    if (rel instanceof SetOp setOp) {
      List<Map<Row, Long>> counts = new ArrayList<>();
      for (RelNode input : setOp.getInputs()) {
        Map<Row, Long> c = new LinkedHashMap<>();
        for (Row r : eval(input)) {
          c.merge(r, 1L, Long::sum);
        }
        counts.add(c);
      }
      List<Row> out = new ArrayList<>();
      if (setOp instanceof LogicalUnion && setOp.all) {
        for (RelNode input : setOp.getInputs()) {
          out.addAll(eval(input));
        }
        return out;
      }
      java.util.Set<Row> all = new java.util.LinkedHashSet<>();
      counts.forEach(c -> all.addAll(c.keySet()));
      for (Row r : all) {
        long[] n = new long[counts.size()];
        for (int i = 0; i < n.length; i++) {
          n[i] = counts.get(i).getOrDefault(r, 0L);
        }
        long m;
        if (setOp instanceof LogicalUnion) {
          m = 1;
        } else if (setOp instanceof LogicalIntersect) {
          m = java.util.Arrays.stream(n).min().getAsLong();
          m = setOp.all ? m : Math.min(m, 1);
        } else {
          m = n[0];
          for (int i = 1; i < n.length; i++) {
            m = setOp.all ? m - n[i] : (n[i] > 0 ? 0 : m);
          }
          m = setOp.all ? Math.max(m, 0) : Math.min(m, 1);
        }
        for (long k = 0; k < m; k++) {
          out.add(r);
        }
      }
      return out;
    }
    if (rel instanceof LogicalAggregate a) {
      int[] keys = a.getGroupSet().toArray();
      Map<Row, List<Row>> groups = new LinkedHashMap<>();
      if (keys.length == 0) {
        groups.put(Row.EMPTY, new ArrayList<>());
      }
      for (Row r : eval(a.getInput())) {
        groups.computeIfAbsent(r.project(keys), k -> new ArrayList<>()).add(r);
      }
      List<Row> out = new ArrayList<>();
      for (Map.Entry<Row, List<Row>> g : groups.entrySet()) {
        Object[] v = new Object[keys.length + a.getAggCallList().size()];
        for (int i = 0; i < keys.length; i++) {
          v[i] = g.getKey().get(i);
        }
        for (int i = 0; i < a.getAggCallList().size(); i++) {
          AggregateCall call = a.getAggCallList().get(i);
          SqlTypeName argType = call.getArgList().isEmpty() ? null
              : a.getInput().getRowType().getFieldList().get(call.getArgList().get(0)).getType().getSqlTypeName();
          Object value = aggregate(call, argType, g.getValue());
          if (value instanceof BigDecimal d && SqlTypeName.INT_TYPES.contains(call.getType().getSqlTypeName())) {
            value = d.longValueExact(); // a sum the planner declared as an integer (a sum of partial counts)
          }
          v[keys.length + i] = value;
        }
        out.add(Row.wrap(v));
      }
      return out;
    }
    throw new IllegalArgumentException("naive evaluator does not handle " + rel.getRelTypeName());
  }

  /** Window functions by brute force: every row's value computed from its sorted partition. */
  private List<Row> window(org.apache.calcite.rel.logical.LogicalWindow w) {
    List<Row> rows = eval(w.getInput());
    int inputWidth = w.getInput().getRowType().getFieldCount();
    for (org.apache.calcite.rel.core.Window.Group g : w.groups) {
      java.util.Comparator<Row> order = (a, b) -> {
        for (RelFieldCollation c : g.orderKeys.getFieldCollations()) {
          int r = compareKey(c, a.get(c.getFieldIndex()), b.get(c.getFieldIndex()));
          if (r != 0) {
            return r;
          }
        }
        return 0;
      };
      int[] keys = g.keys.toArray();
      Map<Row, List<Row>> partitions = new LinkedHashMap<>();
      for (Row r : rows) {
        partitions.computeIfAbsent(r.project(keys), k -> new ArrayList<>()).add(r);
      }
      List<Row> out = new ArrayList<>();
      for (List<Row> p : partitions.values()) {
        // ties are broken by the whole row (the compiler admits only orders that are total, or functions of peers)
        p.sort(order.thenComparing(Row::toString));
        int n = p.size();
        for (int i = 0; i < n; i++) {
          Row row = p.get(i);
          Object[] values = new Object[g.aggCalls.size()];
          int peersBefore = 0;
          int peersUpTo = 0;
          java.util.Set<Row> distinctBefore = new java.util.HashSet<>();
          for (int j = 0; j < n; j++) {
            int c = order.compare(p.get(j), row);
            if (c < 0) {
              peersBefore++;
              distinctBefore.add(orderKey(g, p.get(j)));
            }
            if (c <= 0) {
              peersUpTo++;
            }
          }
          for (int k = 0; k < values.length; k++) {
            org.apache.calcite.rel.core.Window.RexWinAggCall call = g.aggCalls.get(k);
            List<org.apache.calcite.rex.RexNode> ops = call.getOperands();
            switch (call.getKind()) {
              case ROW_NUMBER -> values[k] = (long) i + 1;
              case RANK -> values[k] = (long) peersBefore + 1;
              case DENSE_RANK -> values[k] = (long) distinctBefore.size() + 1;
              case PERCENT_RANK -> values[k] = n > 1 ? (double) peersBefore / (n - 1) : 0.0;
              case CUME_DIST -> values[k] = (double) peersUpTo / n;
              case NTILE -> values[k] = ntile(constant(w, ops.get(0), inputWidth).getValueAs(Long.class), n, i);
              case LAG, LEAD -> {
                long offset = ops.size() > 1 ? constant(w, ops.get(1), inputWidth).getValueAs(Long.class) : 1;
                long j = call.getKind() == org.apache.calcite.sql.SqlKind.LAG ? i - offset : i + offset;
                int arg = ((org.apache.calcite.rex.RexInputRef) ops.get(0)).getIndex();
                values[k] = j >= 0 && j < n ? p.get((int) j).get(arg)
                    : ops.size() > 2 ? scalars.compile(rexBuilder(w).makeCast(call.getType(),
                        constant(w, ops.get(2), inputWidth), true, false)).eval(Row.EMPTY) : null;
              }
              default -> {
                List<Row> frame = new ArrayList<>();
                for (int j = 0; j < n; j++) {
                  if (inFrame(w, g, p, i, j, order, inputWidth)) {
                    frame.add(p.get(j));
                  }
                }
                switch (call.getKind()) {
                  case FIRST_VALUE -> values[k] = frame.isEmpty() ? null
                      : frame.get(0).get(((org.apache.calcite.rex.RexInputRef) ops.get(0)).getIndex());
                  case LAST_VALUE -> values[k] = frame.isEmpty() ? null
                      : frame.get(frame.size() - 1).get(((org.apache.calcite.rex.RexInputRef) ops.get(0)).getIndex());
                  case NTH_VALUE -> {
                    long nth = constant(w, ops.get(1), inputWidth).getValueAs(Long.class);
                    values[k] = frame.size() < nth ? null
                        : frame.get((int) nth - 1).get(((org.apache.calcite.rex.RexInputRef) ops.get(0)).getIndex());
                  }
                  default -> {
                    AggregateCall agg = AggregateCall.create(org.apache.calcite.sql.parser.SqlParserPos.ZERO,
                        (org.apache.calcite.sql.SqlAggFunction) call.getOperator(), false, false, false, List.of(),
                        ops.isEmpty() ? List.of() : List.of(((org.apache.calcite.rex.RexInputRef) ops.get(0)).getIndex()),
                        -1, null, org.apache.calcite.rel.RelCollations.EMPTY, call.getType(), null);
                    SqlTypeName argType = ops.isEmpty() ? null : ops.get(0).getType().getSqlTypeName();
                    values[k] = aggregate(agg, argType, frame);
                  }
                }
              }
            }
          }
          out.add(row.concat(Row.wrap(values)));
        }
      }
      rows = out;
    }
    return rows;
  }

  /** The bucket of row {@code row} (from 0) of {@code n}, counted out the way PostgreSQL's ntile walks a partition. */
  private static long ntile(long buckets, int n, int row) {
    long bucket = 1;
    long inBucket = 0;
    long boundary = n / buckets;
    long remainder = 0;
    if (boundary <= 0) {
      boundary = 1;
    } else {
      remainder = n % buckets;
      if (remainder != 0) {
        boundary++;
      }
    }
    for (int i = 0; i <= row; i++) {
      inBucket++;
      if (boundary < inBucket) {
        if (remainder != 0 && bucket == remainder) {
          remainder = 0;
          boundary--;
        }
        bucket++;
        inBucket = 1;
      }
    }
    return bucket;
  }

  private static org.apache.calcite.rex.RexBuilder rexBuilder(RelNode rel) {
    return rel.getCluster().getRexBuilder();
  }

  private static Row orderKey(org.apache.calcite.rel.core.Window.Group g, Row r) {
    return r.project(g.orderKeys.getFieldCollations().stream().mapToInt(RelFieldCollation::getFieldIndex).toArray());
  }

  private static org.apache.calcite.rex.RexLiteral constant(org.apache.calcite.rel.logical.LogicalWindow w,
      org.apache.calcite.rex.RexNode operand, int inputWidth) {
    if (operand instanceof org.apache.calcite.rex.RexInputRef ref && ref.getIndex() >= inputWidth) {
      return w.constants.get(ref.getIndex() - inputWidth);
    }
    return (org.apache.calcite.rex.RexLiteral) operand;
  }

  /** Whether row j of the partition is in row i's frame, straight from the frame's definition. */
  private boolean inFrame(org.apache.calcite.rel.logical.LogicalWindow w,
      org.apache.calcite.rel.core.Window.Group g, List<Row> p, int i, int j, java.util.Comparator<Row> order,
      int inputWidth) {
    if (g.isRows) {
      long lo = g.lowerBound.isUnbounded() ? Long.MIN_VALUE : g.lowerBound.isCurrentRow() ? i
          : i + (g.lowerBound.isPreceding() ? -1 : 1) * constant(w, g.lowerBound.getOffset(), inputWidth).getValueAs(Long.class);
      long hi = g.upperBound.isUnbounded() ? Long.MAX_VALUE : g.upperBound.isCurrentRow() ? i
          : i + (g.upperBound.isPreceding() ? -1 : 1) * constant(w, g.upperBound.getOffset(), inputWidth).getValueAs(Long.class);
      return j >= lo && j <= hi;
    }
    int c = order.compare(p.get(j), p.get(i));
    boolean afterStart = g.lowerBound.isUnbounded() || (isRangeOffset(g.lowerBound)
        ? inRange(w, g, g.lowerBound, p.get(i), p.get(j), inputWidth, true) : c >= 0);
    boolean beforeEnd = g.upperBound.isUnbounded() || (isRangeOffset(g.upperBound)
        ? inRange(w, g, g.upperBound, p.get(i), p.get(j), inputWidth, false) : c <= 0);
    return afterStart && beforeEnd;
  }

  private static boolean isRangeOffset(org.apache.calcite.rex.RexWindowBound b) {
    return !b.isUnbounded() && !b.isCurrentRow();
  }

  /**
   * For a RANGE bound {@code offset PRECEDING|FOLLOWING}: whether row j is on the frame's side of row i's bound
   * (at or after it for the start, at or before it for the end), PostgreSQL's definition: a NULL key's frame is
   * the NULL keys, and NULL keys are in no other frame.
   */
  private boolean inRange(org.apache.calcite.rel.logical.LogicalWindow w, org.apache.calcite.rel.core.Window.Group g,
      org.apache.calcite.rex.RexWindowBound b, Row current, Row other, int inputWidth, boolean start) {
    RelFieldCollation key = g.orderKeys.getFieldCollations().get(0);
    Object ki = current.get(key.getFieldIndex());
    Object kj = other.get(key.getFieldIndex());
    boolean nullsFirst = key.nullDirection == RelFieldCollation.NullDirection.FIRST;
    if (ki == null || kj == null) {
      if (ki == null && kj == null) {
        return true;
      }
      // j is a NULL key (i not): it lies before every non-NULL key when NULLs sort first, after them otherwise
      boolean jBefore = ki != null ? nullsFirst : !nullsFirst;
      return start != jBefore;
    }
    Object offset = scalars.compile(constant(w, b.getOffset(), inputWidth)).eval(Row.EMPTY);
    boolean descending = key.direction.isDescending();
    Object bound = io.deltaview.engine.expr.RangeOffsets.bound(ki, offset, b.isPreceding() != descending,
        java.time.ZoneOffset.UTC);
    int cmp = io.deltaview.engine.expr.RangeOffsets.compare(kj, bound) * (descending ? -1 : 1);
    return start ? cmp >= 0 : cmp <= 0;
  }

  private static int compareKey(RelFieldCollation c, Object x, Object y) {
    if (x == null || y == null) {
      return x == y ? 0 : (x == null) == (c.nullDirection == RelFieldCollation.NullDirection.FIRST) ? -1 : 1;
    }
    return PgValues.compare(x, y) * (c.direction.isDescending() ? -1 : 1);
  }

  private static Object aggregate(AggregateCall call, SqlTypeName argType, List<Row> rows) {
    if (call.getAggregation().getKind() == org.apache.calcite.sql.SqlKind.LITERAL_AGG) {
      return ((org.apache.calcite.rex.RexLiteral) call.rexList.get(0)).getValueAs(Boolean.class);
    }
    if (call.filterArg >= 0) {
      List<Row> kept = new ArrayList<>();
      for (Row r : rows) {
        if (Boolean.TRUE.equals(r.get(call.filterArg))) {
          kept.add(r);
        }
      }
      rows = kept;
    }
    if (call.isDistinct() || call.distinctKeys != null) {
      // DISTINCT (or WITHIN DISTINCT): one row per distinct argument value
      List<Integer> keys = call.distinctKeys != null ? call.distinctKeys.asList() : call.getArgList();
      java.util.Set<List<Object>> seen = new java.util.HashSet<>();
      List<Row> kept = new ArrayList<>();
      for (Row r : rows) {
        List<Object> key = new ArrayList<>();
        for (int k : keys) {
          key.add(r.get(k));
        }
        if (seen.add(key)) {
          kept.add(r);
        }
      }
      rows = kept;
    }
    if (call.getArgList().isEmpty()) {
      return (long) rows.size();
    }
    int arg = call.getArgList().get(0);
    org.apache.calcite.sql.SqlKind kind = call.getAggregation().getKind();
    if (kind == org.apache.calcite.sql.SqlKind.LISTAGG || kind == org.apache.calcite.sql.SqlKind.ARRAY_AGG) {
      return concatenation(call, rows);
    }
    List<Object> values = new ArrayList<>();
    for (Row r : rows) {
      if (r.get(arg) != null) {
        values.add(r.get(arg));
      }
    }
    switch (call.getAggregation().getKind()) {
      case COUNT:
        return (long) values.size();
      case MIN:
      case MAX: {
        Object best = null;
        for (Object v : values) {
          int c = best == null ? 0 : PgValues.compare(v, best);
          if (best == null || (call.getAggregation().getKind() == org.apache.calcite.sql.SqlKind.MIN ? c < 0 : c > 0)) {
            best = v;
          }
        }
        return best;
      }
      case SUM0:
      case SUM:
      case AVG: {
        if (values.isEmpty()) {
          return call.getAggregation().getKind() == org.apache.calcite.sql.SqlKind.SUM0 ? 0L : null;
        }
        boolean avg = call.getAggregation().getKind() == org.apache.calcite.sql.SqlKind.AVG;
        if (argType == SqlTypeName.DOUBLE || argType == SqlTypeName.REAL || argType == SqlTypeName.FLOAT) {
          double s = 0;
          for (Object v : values) {
            s += (Double) v;
          }
          return avg ? s / values.size() : s;
        }
        if (!avg && (argType == SqlTypeName.INTEGER || argType == SqlTypeName.SMALLINT)) {
          long s = 0;
          for (Object v : values) {
            s += (Long) v;
          }
          return s;
        }
        BigDecimal s = BigDecimal.ZERO;
        for (Object v : values) {
          s = s.add(PgValues.toBigDecimal(v));
        }
        return avg ? PgValues.divideNumeric(s, BigDecimal.valueOf(values.size())) : s;
      }
      case VAR_POP:
      case VAR_SAMP:
      case STDDEV_POP:
      case STDDEV_SAMP:
        return statistic(kind, values);
      default:
        throw new IllegalArgumentException(call.toString());
    }
  }

  /** string_agg / array_agg: the rows sorted by the call's ORDER BY, their values joined (NULLs: see PostgreSQL). */
  private static Object concatenation(AggregateCall call, List<Row> rows) {
    List<Row> sorted = new ArrayList<>(rows);
    sorted.sort((a, b) -> {
      for (RelFieldCollation c : call.getCollation().getFieldCollations()) {
        int r = compareKey(c, a.get(c.getFieldIndex()), b.get(c.getFieldIndex()));
        if (r != 0) {
          return r;
        }
      }
      return 0;
    });
    int arg = call.getArgList().get(0);
    if (call.getAggregation().getKind() == org.apache.calcite.sql.SqlKind.ARRAY_AGG) {
      List<Object> elements = new ArrayList<>();
      for (Row r : sorted) {
        elements.add(r.get(arg));
      }
      return elements.isEmpty() ? null : io.deltaview.engine.row.PgArray.of(elements);
    }
    StringBuilder b = null;
    for (Row r : sorted) {
      if (r.get(arg) == null) {
        continue;
      }
      Object separator = r.get(call.getArgList().get(1));
      b = b == null ? new StringBuilder() : b.append(separator == null ? "" : separator);
      b.append(r.get(arg));
    }
    return b == null ? null : b.toString();
  }

  /**
   * Variances and standard deviations by their definition: the numerator N·Σ(x − mean)² as the sum of the squared
   * differences of all pairs, then PostgreSQL's scales (twice the largest input scale for the numerator, its
   * division scale for the quotient, a square root rounded half up at that scale).
   */
  private static Object statistic(org.apache.calcite.sql.SqlKind kind, List<Object> values) {
    boolean sample = kind == org.apache.calcite.sql.SqlKind.VAR_SAMP || kind == org.apache.calcite.sql.SqlKind.STDDEV_SAMP;
    int n = values.size();
    if (n == 0 || sample && n == 1) {
      return null;
    }
    BigDecimal numerator = BigDecimal.ZERO;
    int scale = 0;
    for (int i = 0; i < n; i++) {
      BigDecimal x = PgValues.toBigDecimal(values.get(i));
      scale = Math.max(scale, x.scale());
      for (int j = i + 1; j < n; j++) {
        BigDecimal d = x.subtract(PgValues.toBigDecimal(values.get(j)));
        numerator = numerator.add(d.multiply(d));
      }
    }
    if (numerator.signum() == 0) {
      return BigDecimal.ZERO;
    }
    numerator = numerator.setScale(2 * scale, java.math.RoundingMode.UNNECESSARY);
    BigDecimal variance = PgValues.divideNumeric(numerator, BigDecimal.valueOf((long) n * (sample ? n - 1 : n)));
    if (kind == org.apache.calcite.sql.SqlKind.VAR_POP || kind == org.apache.calcite.sql.SqlKind.VAR_SAMP) {
      return variance;
    }
    BigDecimal root = variance.sqrt(new java.math.MathContext(variance.precision() + 20, java.math.RoundingMode.HALF_EVEN));
    return root.setScale(variance.scale(), java.math.RoundingMode.HALF_UP);
  }
}
