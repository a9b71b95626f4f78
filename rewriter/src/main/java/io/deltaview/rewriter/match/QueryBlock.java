package io.deltaview.rewriter.match;

import java.util.List;
import java.util.stream.Collectors;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexNode;

/**
 * The matchable heart of a query or view: an {@link SpjBlock} with either a projection on top or a simple
 * GROUP BY, every expression rewritten over the core's columns.
 *
 * @param projects output expressions when not aggregating (empty otherwise)
 * @param groupKeys GROUP BY expressions, in output order, when aggregating
 * @param calls aggregate calls when aggregating
 * @param rowType the block's output row type: projects, or group keys followed by calls
 */
record QueryBlock(SpjBlock spj, boolean aggregate, List<RexNode> projects, List<RexNode> groupKeys,
                  List<Agg> calls, RelDataType rowType) {

  QueryBlock {
    projects = List.copyOf(projects);
    groupKeys = List.copyOf(groupKeys);
    calls = List.copyOf(calls);
  }

  /** One aggregate call with its arguments as expressions over the core. */
  record Agg(AggregateCall call, List<RexNode> args) {
    Agg {
      args = List.copyOf(args);
    }

    /** Identity of the computation, independent of the call's name: function, distinctness, arguments. */
    String key() {
      return call.getAggregation().getKind() + (call.isDistinct() ? " DISTINCT" : "") + "("
          + args.stream().map(RexNode::toString).collect(Collectors.joining(", ")) + ")";
    }
  }
}
