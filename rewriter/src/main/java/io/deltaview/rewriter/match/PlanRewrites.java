package io.deltaview.rewriter.match;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.calcite.rel.RelNode;

/** Rewrites of a plan node by node, for the passes that prepare a query for matching or rendering. */
final class PlanRewrites {
  private PlanRewrites() {}

  /**
   * {@code plan} rewritten bottom-up: each node's inputs first, the node copied only if one of them changed,
   * then {@code rewrite} applied to it. Nodes nothing changed are returned as they were.
   */
  static RelNode bottomUp(RelNode plan, UnaryOperator<RelNode> rewrite) {
    List<RelNode> inputs = new ArrayList<>();
    boolean changed = false;
    for (RelNode input : plan.getInputs()) {
      RelNode n = bottomUp(input, rewrite);
      changed |= n != input;
      inputs.add(n);
    }
    return rewrite.apply(changed ? plan.copy(plan.getTraitSet(), inputs) : plan);
  }
}
