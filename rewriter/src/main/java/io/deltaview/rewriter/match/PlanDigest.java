package io.deltaview.rewriter.match;

import java.util.regex.Pattern;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.sql.SqlExplainLevel;

/**
 * A plan's digest with output names removed, so that two queries differing only in aliases compare equal.
 * Names are dropped from projection and aggregate terms ({@code name=[expr]} becomes {@code [expr]}); a
 * name the pattern does not recognise stays in, which can only make plans compare unequal (the safe side).
 */
final class PlanDigest {
  private static final Pattern NAMED_TERM = Pattern.compile("(?<=[(,] ?)[A-Za-z_$][A-Za-z0-9_$]*=\\[");

  private PlanDigest() {}

  static String of(RelNode rel) {
    String explain = RelOptUtil.toString(rel, SqlExplainLevel.DIGEST_ATTRIBUTES);
    return NAMED_TERM.matcher(explain).replaceAll("[");
  }
}
