package io.deltaview.rewriter.match;

import org.apache.calcite.rel.RelNode;

/** Outcome of matching one query against one view: a plan over the result table, or why not. */
record MatchResult(RelNode plan, String reason) {
  static MatchResult of(RelNode plan) {
    return new MatchResult(plan, null);
  }

  static MatchResult fail(String reason) {
    return new MatchResult(null, reason);
  }

  boolean matched() {
    return plan != null;
  }
}
