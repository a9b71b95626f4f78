package io.deltaview.rewriter.match;

import java.util.function.Predicate;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelVisitor;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexShuttle;

/** Searches every expression of every node of a plan, for the safety checks that refuse a rewrite. */
final class PlanCalls {
  private PlanCalls() {}

  /** The first call in {@code plan} (nodes top-down, operands after their call) that {@code test} accepts, or null. */
  static String first(RelNode plan, Predicate<RexCall> test) {
    String[] found = {null};
    RexShuttle finder = new RexShuttle() {
      @Override
      public RexNode visitCall(RexCall call) {
        if (found[0] == null && test.test(call)) {
          found[0] = call.toString();
        }
        return super.visitCall(call);
      }
    };
    new RelVisitor() {
      @Override
      public void visit(RelNode node, int ordinal, RelNode parent) {
        node.accept(finder);
        super.visit(node, ordinal, parent);
      }
    }.go(plan);
    return found[0];
  }
}
