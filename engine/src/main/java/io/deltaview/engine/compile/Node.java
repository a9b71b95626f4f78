package io.deltaview.engine.compile;

import io.deltaview.engine.operator.AggregateOperator;
import io.deltaview.engine.operator.JoinOperator;
import io.deltaview.engine.operator.LinearOperator;
import io.deltaview.engine.operator.MultiJoinOperator;
import io.deltaview.engine.operator.ZSet;

/**
 * A node of a compiled dataflow: given the deltas of all source tables in one transaction, returns its own
 * output delta. The plan is a tree, so each node is stepped exactly once per transaction, children first.
 * Nodes never change the Z-sets they receive.
 */
abstract class Node {

  abstract ZSet step(ZSet[] sourceDeltas);

  /** A base table scan: its delta is the source delta (shared, read-only, when a table is scanned twice). */
  static final class Source extends Node {
    final int source;

    Source(int source) {
      this.source = source;
    }

    @Override
    ZSet step(ZSet[] sourceDeltas) {
      return sourceDeltas[source];
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
    ZSet step(ZSet[] sourceDeltas) {
      ZSet in = input.step(sourceDeltas);
      return in.isEmpty() ? in : operator.apply(in);
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
    ZSet step(ZSet[] sourceDeltas) {
      return operator.apply(left.step(sourceDeltas), right.step(sourceDeltas));
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
    ZSet step(ZSet[] sourceDeltas) {
      ZSet[] deltas = new ZSet[inputs.length];
      for (int i = 0; i < inputs.length; i++) {
        deltas[i] = inputs[i].step(sourceDeltas);
      }
      return operator.apply(deltas);
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
    ZSet step(ZSet[] sourceDeltas) {
      return operator.apply(input.step(sourceDeltas));
    }
  }
}
