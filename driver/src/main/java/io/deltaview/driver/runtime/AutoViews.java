package io.deltaview.driver.runtime;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.rewriter.RewriteDecision;

/**
 * Views Deltaview creates by itself for marked queries that no registered view answers. One per database
 * runtime. Not implemented yet: marked queries that no view answers simply pass through.
 */
final class AutoViews {

  /**
   * A marked query that no view answers ({@code decision} says why) was executed; called on the query
   * path, so it must return at once and never throw.
   */
  void wanted(String sql, RewriteDecision decision, DeltaviewOptions options) {
    // Auto-creation comes with issue 3's second half.
  }
}
