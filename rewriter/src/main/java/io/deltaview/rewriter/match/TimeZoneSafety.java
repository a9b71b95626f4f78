package io.deltaview.rewriter.match;

import java.util.Set;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Finds computations whose result depends on the session's {@code TimeZone}: anything that converts or
 * takes apart a {@code timestamp with time zone} ({@code date_trunc}, {@code extract}, casts). The result
 * table was computed in the engine's session, the query runs in the application's, so such queries are not
 * rewritten. Comparisons, IS [NOT] NULL and plain reads of timestamptz values are time-zone independent.
 */
final class TimeZoneSafety {
  private TimeZoneSafety() {}

  private static final Set<SqlKind> ZONE_INDEPENDENT = Set.of(SqlKind.EQUALS, SqlKind.NOT_EQUALS,
      SqlKind.LESS_THAN, SqlKind.GREATER_THAN, SqlKind.LESS_THAN_OR_EQUAL, SqlKind.GREATER_THAN_OR_EQUAL,
      SqlKind.IS_NULL, SqlKind.IS_NOT_NULL, SqlKind.AND, SqlKind.OR, SqlKind.NOT, SqlKind.SEARCH,
      SqlKind.IS_DISTINCT_FROM, SqlKind.IS_NOT_DISTINCT_FROM, SqlKind.COALESCE, SqlKind.CASE);

  /** The first time-zone dependent expression in the plan, or null. */
  static String firstZoneDependentExpression(RelNode plan) {
    return PlanCalls.first(plan, call -> !ZONE_INDEPENDENT.contains(call.getKind())
        && (isZoned(call.getType()) || call.getOperands().stream().anyMatch(o -> isZoned(o.getType()))));
  }

  private static boolean isZoned(RelDataType type) {
    return type.getSqlTypeName() == SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE
        || type.getSqlTypeName() == SqlTypeName.TIME_WITH_LOCAL_TIME_ZONE;
  }
}
