package io.deltaview.engine.dataflow;

import io.deltaview.engine.operator.AggregateSpec;
import io.deltaview.engine.operator.SortKey;
import io.deltaview.engine.operator.WindowOperator;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;

/**
 * A view's incremental dataflow: an immutable tree of operators on Z-sets, between Calcite's logical plan and
 * the runtime operators. {@link DataflowTranslator} builds it from a plan, {@link DataflowPasses} rewrite it
 * (delta joins, fused projections), {@link DataflowPrinter} shows it (EXPLAIN INCREMENTAL VIEW), and the
 * compiler turns it into stateful operators. Expressions stay Calcite {@link RexNode}s over the node's input
 * columns; every node knows its output row type.
 *
 * <p>A new SQL construct is a new node kind here plus its delta rule in an operator, not a special case in the
 * compiler.
 */
public sealed interface Dataflow {

  /** The columns this node emits. */
  RelDataType rowType();

  /** The nodes this one reads, left to right. */
  List<Dataflow> inputs();

  default int width() {
    return rowType().getFieldCount();
  }

  /** What the node keeps between transactions, for EXPLAIN: "none" for a stateless one. */
  String state();

  /** A base table's changes: source {@code source} of the pipeline, all of the table's columns. */
  record Scan(int source, List<String> table, RelDataType rowType) implements Dataflow {
    public Scan {
      table = List.copyOf(table);
    }

    @Override
    public List<Dataflow> inputs() {
      return List.of();
    }

    @Override
    public String state() {
      return "none";
    }
  }

  /**
   * A relation that never changes ({@code VALUES}): {@code rows} of constants, each of the column's PostgreSQL
   * type, inserted once when the view is loaded.
   */
  record Constant(List<List<RexLiteral>> rows, RelDataType rowType) implements Dataflow {
    public Constant {
      rows = rows.stream().map(List::copyOf).toList();
    }

    @Override
    public List<Dataflow> inputs() {
      return List.of();
    }

    @Override
    public String state() {
      return "whether its rows were inserted";
    }
  }

  /** Keeps the rows for which {@code condition} is true. */
  record Filter(Dataflow input, RexNode condition) implements Dataflow {
    @Override
    public RelDataType rowType() {
      return input.rowType();
    }

    @Override
    public List<Dataflow> inputs() {
      return List.of(input);
    }

    @Override
    public String state() {
      return "none";
    }
  }

  /** Computes {@code expressions} from each row. */
  record Project(Dataflow input, List<RexNode> expressions, RelDataType rowType) implements Dataflow {
    public Project {
      expressions = List.copyOf(expressions);
    }

    @Override
    public List<Dataflow> inputs() {
      return List.of(input);
    }

    @Override
    public String state() {
      return "none";
    }
  }

  /** The kinds of binary join: which sides keep their unmatched rows, NULL-extended. */
  enum JoinKind {
    INNER(false, false), LEFT(true, false), RIGHT(false, true), FULL(true, true);

    final boolean preservesLeft;
    final boolean preservesRight;

    JoinKind(boolean preservesLeft, boolean preservesRight) {
      this.preservesLeft = preservesLeft;
      this.preservesRight = preservesRight;
    }

    public boolean preservesLeft() {
      return preservesLeft;
    }

    public boolean preservesRight() {
      return preservesRight;
    }
  }

  /**
   * A binary join on {@code leftKeys[i] = rightKeys[i]} ({@code IS NOT DISTINCT FROM} where {@code nullSafe[i]})
   * and {@code residual} (null: none) over the concatenated row; {@code output} (null: none) is a projection of
   * the joined row fused into the join.
   */
  record Join(JoinKind kind, Dataflow left, Dataflow right, int[] leftKeys, int[] rightKeys, boolean[] nullSafe,
      RexNode residual, List<RexNode> output, RelDataType rowType) implements Dataflow {
    public Join {
      Objects.requireNonNull(kind);
      leftKeys = leftKeys.clone();
      rightKeys = rightKeys.clone();
      nullSafe = nullSafe.clone();
      output = output == null ? null : List.copyOf(output);
    }

    @Override
    public List<Dataflow> inputs() {
      return List.of(left, right);
    }

    /** The same join with {@code output} fused on top, producing {@code type}. */
    Join withOutput(List<RexNode> projection, RelDataType type) {
      return new Join(kind, left, right, leftKeys, rightKeys, nullSafe, residual, projection, type);
    }

    @Override
    public String state() {
      String match = kind == JoinKind.INNER ? "" : " with match counts";
      return "left rows by " + Arrays.toString(leftKeys) + (kind.preservesLeft ? match : "")
          + ", right rows by " + Arrays.toString(rightKeys) + (kind.preservesRight ? match : "");
    }

    @Override
    public boolean equals(Object o) {
      return this == o;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }

  /** An equality between two columns of a delta join's concatenated inputs, in different inputs. */
  record Equality(int left, int right, boolean nullSafe) {
  }

  /**
   * An inner join of three or more inputs connected by equalities, computed as a delta join: each input's
   * change is joined with the others' arrangements, and no intermediate join result is kept.
   */
  record DeltaJoin(List<Dataflow> inputs, List<Equality> equalities, RexNode residual, List<RexNode> output,
      RelDataType rowType) implements Dataflow {
    public DeltaJoin {
      inputs = List.copyOf(inputs);
      equalities = List.copyOf(equalities);
      output = output == null ? null : List.copyOf(output);
    }

    DeltaJoin withOutput(List<RexNode> projection, RelDataType type) {
      return new DeltaJoin(inputs, equalities, residual, projection, type);
    }

    @Override
    public String state() {
      return "each input's rows by the columns other inputs probe it with";
    }
  }

  /**
   * GROUP BY {@code groupKeys} computing {@code calls}; without group keys, a whole-table aggregate (one row,
   * always).
   */
  record Aggregate(Dataflow input, int[] groupKeys, List<AggregateSpec> calls, RelDataType rowType)
      implements Dataflow {
    public Aggregate {
      groupKeys = groupKeys.clone();
      calls = List.copyOf(calls);
    }

    @Override
    public List<Dataflow> inputs() {
      return List.of(input);
    }

    @Override
    public String state() {
      boolean sorted = calls.stream().anyMatch(c -> c.function() == AggregateSpec.Function.MIN
          || c.function() == AggregateSpec.Function.MAX);
      return (groupKeys.length == 0 ? "one group" : "groups by " + Arrays.toString(groupKeys))
          + ": row count, sums" + (sorted ? ", sorted values for MIN/MAX" : "")
          + (calls.stream().anyMatch(c -> c.function().isStatistic()) ? ", sums of squares" : "")
          + (calls.stream().anyMatch(c -> c.function().isOrdered()) ? ", values in ORDER BY order" : "");
    }

    @Override
    public boolean equals(Object o) {
      return this == o;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }

  /**
   * {@code ORDER BY keys LIMIT limit OFFSET offset} ({@code limit} negative: none): the rows at those positions
   * of the input, the keys ordering the rows totally.
   */
  record TopK(Dataflow input, List<SortKey> keys, long offset, long limit) implements Dataflow {
    public TopK {
      keys = List.copyOf(keys);
    }

    @Override
    public RelDataType rowType() {
      return input.rowType();
    }

    @Override
    public List<Dataflow> inputs() {
      return List.of(input);
    }

    @Override
    public String state() {
      return "the input's rows in key order";
    }
  }

  /**
   * Window functions over one window: each input row followed by {@code calls}' values for it, computed per
   * partition in {@code order} over {@code frame}.
   */
  record Window(Dataflow input, int[] partitionKeys, List<SortKey> order, List<WindowCall> calls,
      WindowOperator.Frame frame, RelDataType rowType) implements Dataflow {
    public Window {
      partitionKeys = partitionKeys.clone();
      order = List.copyOf(order);
      calls = List.copyOf(calls);
    }

    @Override
    public List<Dataflow> inputs() {
      return List.of(input);
    }

    @Override
    public String state() {
      return "each partition's rows in order" + (partitionKeys.length == 0 ? " (one partition)"
          : ", partitions by " + Arrays.toString(partitionKeys));
    }

    @Override
    public boolean equals(Object o) {
      return this == o;
    }

    @Override
    public int hashCode() {
      return System.identityHashCode(this);
    }
  }

  /**
   * One window function: its kind, the input column it reads, LAG/LEAD's offset and default (a constant
   * expression, or null), the aggregate an AGGREGATE computes, and whether an empty frame gives 0 rather than
   * NULL (Calcite's {@code $SUM0}); {@code type} is its output type.
   */
  record WindowCall(WindowOperator.Kind kind, int argument, long offset, RexNode defaultValue,
      AggregateSpec aggregate, boolean zeroIfEmpty, RelDataType type) {
  }

  /** UNION ALL: the sum of its inputs' changes. */
  record UnionAll(List<Dataflow> inputs, RelDataType rowType) implements Dataflow {
    public UnionAll {
      inputs = List.copyOf(inputs);
    }

    @Override
    public String state() {
      return "none";
    }
  }

  /**
   * UNION, INTERSECT [ALL] and EXCEPT [ALL]: each distinct row's multiplicity in the result is a function of its
   * multiplicities in the inputs, so the operator counts every distinct row per input.
   */
  record SetOperation(SetKind kind, List<Dataflow> inputs, RelDataType rowType) implements Dataflow {
    public SetOperation {
      inputs = List.copyOf(inputs);
    }

    @Override
    public String state() {
      return "each distinct row's count in each input";
    }
  }

  /** How a set operation derives a row's output multiplicity from its count in each input. */
  enum SetKind {
    /** UNION: 1 if the row is in any input. */
    UNION,
    /** INTERSECT: 1 if in every input. */
    INTERSECT,
    /** INTERSECT ALL: the least count. */
    INTERSECT_ALL,
    /** EXCEPT: 1 if in the first input and no other. */
    EXCEPT,
    /** EXCEPT ALL: the first count minus the others', at least 0. */
    EXCEPT_ALL;

    /** The output multiplicity for the per-input counts (all ≥ 0). */
    public long multiplicity(long[] counts) {
      switch (this) {
        case UNION: {
          for (long c : counts) {
            if (c > 0) {
              return 1;
            }
          }
          return 0;
        }
        case INTERSECT:
        case INTERSECT_ALL: {
          long min = Long.MAX_VALUE;
          for (long c : counts) {
            min = Math.min(min, c);
          }
          return this == INTERSECT ? Math.min(min, 1) : min;
        }
        case EXCEPT: {
          if (counts[0] == 0) {
            return 0;
          }
          for (int i = 1; i < counts.length; i++) {
            if (counts[i] > 0) {
              return 0;
            }
          }
          return 1;
        }
        default: {
          long rest = counts[0];
          for (int i = 1; i < counts.length; i++) {
            rest -= counts[i];
          }
          return Math.max(rest, 0);
        }
      }
    }
  }
}
