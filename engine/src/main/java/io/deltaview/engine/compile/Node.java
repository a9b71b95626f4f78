package io.deltaview.engine.compile;

import io.deltaview.engine.operator.AggregateOperator;
import io.deltaview.engine.operator.ConstantOperator;
import io.deltaview.engine.operator.JoinOperator;
import io.deltaview.engine.operator.LinearOperator;
import io.deltaview.engine.operator.MultiJoinOperator;
import io.deltaview.engine.operator.OuterJoinOperator;
import io.deltaview.engine.operator.SetOperator;
import io.deltaview.engine.operator.TopKOperator;
import io.deltaview.engine.operator.WindowOperator;
import io.deltaview.engine.operator.RowBatch;
import io.deltaview.engine.operator.WeightedRows;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import java.util.function.ObjLongConsumer;

/**
 * A node of a compiled dataflow: given the deltas of all source tables in one transaction, pushes its own
 * output delta, entry by entry, into the consumer above it. Each node is stepped exactly once per transaction,
 * children first: the plan is a tree, except where several operators read one {@link Shared} node. Nothing
 * between the sources and the view's output is consolidated: every operator is linear or bilinear in its
 * input, so equal rows need not be summed first, and skipping that saves hashing each intermediate row. Nodes
 * never change the Z-sets they receive (which is also what lets a shared node hand one delta to several).
 */
abstract class Node {

  abstract void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out);

  /**
   * This node's output delta as something a join can iterate twice: a scan's own source delta, or the
   * pushed entries collected in a batch.
   */
  WeightedRows collect(ZSet[] sourceDeltas) {
    RowBatch batch = new RowBatch();
    step(sourceDeltas, batch);
    return batch;
  }

  /** Every input's output delta, in order, for an operator that sees all its inputs' deltas at once. */
  static WeightedRows[] collectAll(Node[] inputs, ZSet[] sourceDeltas) {
    WeightedRows[] deltas = new WeightedRows[inputs.length];
    for (int i = 0; i < inputs.length; i++) {
      deltas[i] = inputs[i].collect(sourceDeltas);
    }
    return deltas;
  }

  /** A base table scan: its delta is the source delta (shared, read-only, when a table is scanned twice). */
  static final class Source extends Node {
    final int source;

    Source(int source) {
      this.source = source;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      sourceDeltas[source].forEach(out);
    }

    @Override
    WeightedRows collect(ZSet[] sourceDeltas) {
      return sourceDeltas[source];
    }
  }

  /**
   * A sub-plan several operators read: stepped by the first of them in a transaction, its output delta kept
   * for the others (recognised by the transaction's array of source deltas, new for each transaction) and let
   * go by {@link #release} once the transaction is through.
   */
  static final class Shared extends Node {
    final Node input;
    private ZSet[] steppedWith;
    private WeightedRows delta;

    Shared(Node input) {
      this.input = input;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      collect(sourceDeltas).forEach(out);
    }

    @Override
    WeightedRows collect(ZSet[] sourceDeltas) {
      if (steppedWith != sourceDeltas) {
        delta = input.collect(sourceDeltas);
        steppedWith = sourceDeltas;
      }
      return delta;
    }

    void release() {
      steppedWith = null;
      delta = null;
    }
  }

  /** A VALUES list ({@link ConstantOperator}): its rows on the first step, nothing afterwards. */
  static final class Constant extends Node {
    final ConstantOperator operator;

    Constant(ConstantOperator operator) {
      this.operator = operator;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      operator.step(out);
    }
  }

  /** A linear operator (filter, map) applied to one input. */
  static final class Linear extends Node {
    final Node input;
    final LinearOperator operator;

    Linear(Node input, LinearOperator operator) {
      this.input = input;
      this.operator = operator;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      input.step(sourceDeltas, (row, weight) -> operator.push(row, weight, out));
    }
  }

  /** An inner join; both inputs are stepped before the join so that it sees the simultaneous deltas. */
  static final class Join extends Node {
    final Node left;
    final Node right;
    final JoinOperator operator;

    Join(Node left, Node right, JoinOperator operator) {
      this.left = left;
      this.right = right;
      this.operator = operator;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      operator.apply(left.collect(sourceDeltas), right.collect(sourceDeltas), out);
    }
  }

  /** An inner join of several inputs ({@link MultiJoinOperator}); every input is stepped before the join. */
  static final class MultiJoin extends Node {
    final Node[] inputs;
    final MultiJoinOperator operator;

    MultiJoin(Node[] inputs, MultiJoinOperator operator) {
      this.inputs = inputs;
      this.operator = operator;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      operator.apply(collectAll(inputs, sourceDeltas), out);
    }
  }

  /** A GROUP BY; always stepped, since a whole-table aggregate emits its row on the first step. */
  static final class Aggregate extends Node {
    final Node input;
    final AggregateOperator operator;

    Aggregate(Node input, AggregateOperator operator) {
      this.input = input;
      this.operator = operator;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      input.step(sourceDeltas, operator::add);
      operator.finish(out);
    }
  }

  /** A LEFT, RIGHT or FULL join; both inputs are stepped before the join so that it sees the simultaneous deltas. */
  static final class OuterJoin extends Node {
    final Node left;
    final Node right;
    final OuterJoinOperator operator;

    OuterJoin(Node left, Node right, OuterJoinOperator operator) {
      this.left = left;
      this.right = right;
      this.operator = operator;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      operator.apply(left.collect(sourceDeltas), right.collect(sourceDeltas), out);
    }
  }

  /** UNION ALL: each input's output, pushed through as is. */
  static final class UnionAll extends Node {
    final Node[] inputs;

    UnionAll(Node[] inputs) {
      this.inputs = inputs;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      for (Node input : inputs) {
        input.step(sourceDeltas, out);
      }
    }
  }

  /** UNION, INTERSECT [ALL], EXCEPT [ALL] ({@link SetOperator}); every input is stepped first. */
  static final class SetOperation extends Node {
    final Node[] inputs;
    final SetOperator operator;

    SetOperation(Node[] inputs, SetOperator operator) {
      this.inputs = inputs;
      this.operator = operator;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      operator.apply(collectAll(inputs, sourceDeltas), out);
    }
  }

  /** ORDER BY … LIMIT ({@link TopKOperator}). */
  static final class TopK extends Node {
    final Node input;
    final TopKOperator operator;

    TopK(Node input, TopKOperator operator) {
      this.input = input;
      this.operator = operator;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      operator.apply(input.collect(sourceDeltas), out);
    }
  }

  /** Window functions of one window ({@link WindowOperator}). */
  static final class Window extends Node {
    final Node input;
    final WindowOperator operator;

    Window(Node input, WindowOperator operator) {
      this.input = input;
      this.operator = operator;
    }

    @Override
    void step(ZSet[] sourceDeltas, ObjLongConsumer<Row> out) {
      operator.apply(input.collect(sourceDeltas), out);
    }
  }
}
