package io.deltaview.rewriter.match;

import io.deltaview.rewriter.schema.PgType;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Finds CASTs in a query plan that would not mean the same thing once rendered as PostgreSQL SQL. Calcite
 * inserts casts while type-checking (e.g. {@code CAST(amount AS DECIMAL(12, 2)) > 100.00}); lossless numeric
 * widenings and casts of literals are harmless, but casts to character types would print as
 * {@code varchar} (not PostgreSQL's {@code text}) and anything else is not worth the risk.
 */
final class CastSafety {
  private CastSafety() {}

  /**
   * Description of the first unsafe cast in the query's plan, or null if all are safe: {@link #isSafe}, or a
   * cast of an unconstrained numeric to {@code numeric(p, s)} ({@link #isNumericTypmod}).
   */
  static String firstUnsafeCast(RelNode plan) {
    return PlanCalls.first(plan, call -> call.getKind() == SqlKind.CAST && !isSafe(call)
        && !isNumericTypmod(call));
  }

  /**
   * Whether this cast of a query is the query's own {@code ::numeric(p, s)} (or {@code CAST(... AS
   * numeric(p, s))}) of an unconstrained numeric, such as {@code sum(amount)::numeric(14, 2)}: rendered as
   * {@code CAST(... AS DECIMAL(p, s))} it is the same typmod coercion in PostgreSQL (round to s digits, fail
   * beyond p), applied to the same value. Calcite never inserts such a cast itself: its implicit casts go to a
   * common type, which from an unconstrained numeric is unconstrained again. Only for the query as written;
   * a plan from the view rules may hold casts that the rules added, so it is checked with {@link #isSafe}.
   */
  static boolean isNumericTypmod(RexCall cast) {
    RelDataType from = cast.getOperands().get(0).getType();
    RelDataType to = cast.getType();
    return from.getSqlTypeName() == SqlTypeName.DECIMAL
        && from.getPrecision() >= PgType.UNCONSTRAINED_NUMERIC_PRECISION
        && to.getSqlTypeName() == SqlTypeName.DECIMAL
        && to.getPrecision() < PgType.UNCONSTRAINED_NUMERIC_PRECISION;
  }

  /** Whether this cast, printed as PostgreSQL SQL, means what it meant to Calcite. */
  static boolean isSafe(RexCall cast) {
    RexNode operand = cast.getOperands().get(0);
    RelDataType from = operand.getType();
    RelDataType to = cast.getType();
    if (operand instanceof RexLiteral) {
      return true; // PostgreSQL reads an untyped literal as the type the context needs, as Calcite did
    }
    SqlTypeName f = from.getSqlTypeName();
    SqlTypeName t = to.getSqlTypeName();
    if (t == SqlTypeName.DECIMAL && to.getPrecision() >= PgType.UNCONSTRAINED_NUMERIC_PRECISION) {
      // A cast to unconstrained numeric: Calcite gives it a fixed precision and scale that would print as
      // numeric(1000, s), a different type (and rounding) from PostgreSQL's plain numeric.
      return false;
    }
    if (f == t && (t != SqlTypeName.DECIMAL
        || (to.getScale() >= from.getScale()
            && to.getPrecision() - to.getScale() >= from.getPrecision() - from.getScale()))) {
      return t.getFamily() != SqlTypeFamily.CHARACTER;
    }
    int integerDigits = switch (f) {
      case TINYINT -> 3;
      case SMALLINT -> 5;
      case INTEGER -> 10;
      case BIGINT -> 19;
      default -> -1;
    };
    if (integerDigits > 0) {
      return switch (t) {
        case SMALLINT -> integerDigits <= 5;
        case INTEGER -> integerDigits <= 10;
        case BIGINT -> true;
        case DECIMAL -> to.getPrecision() - to.getScale() >= integerDigits;
        default -> false;
      };
    }
    return false;
  }
}
