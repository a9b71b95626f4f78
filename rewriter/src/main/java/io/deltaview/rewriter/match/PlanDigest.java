package io.deltaview.rewriter.match;

import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.sql.SqlExplainLevel;

/**
 * A plan's digest with output names removed, so that two queries differing only in aliases compare equal.
 * Only projection fields and aggregate calls carry output names ({@code name=[expr]}); on those lines the
 * names are dropped, except the aggregate's {@code group=}/{@code groups=} attributes. Every other operator
 * keeps its attribute names (a sort's {@code fetch=} and {@code offset=} must stay distinguishable). A name
 * the pattern does not recognise stays in, which can only make plans compare unequal: the safe side.
 */
final class PlanDigest {
  private static final Pattern NAMED_TERM = Pattern.compile("(?<=[(,] ?)[A-Za-z_$][A-Za-z0-9_$]*=\\[");
  private static final Pattern AGGREGATE_NAMED_TERM =
      Pattern.compile("(?<=[(,] ?)(?!group=|groups=)[A-Za-z_$][A-Za-z0-9_$]*=\\[");

  private PlanDigest() {}

  static String of(RelNode rel) {
    String explain = RelOptUtil.toString(rel, SqlExplainLevel.DIGEST_ATTRIBUTES);
    return explain.lines().map(PlanDigest::withoutNames).collect(Collectors.joining("\n"));
  }

  private static String withoutNames(String line) {
    String operator = line.stripLeading();
    if (operator.startsWith("LogicalProject(")) {
      return NAMED_TERM.matcher(line).replaceAll("[");
    }
    if (operator.startsWith("LogicalAggregate(")) {
      return AGGREGATE_NAMED_TERM.matcher(line).replaceAll("[");
    }
    return line;
  }
}
