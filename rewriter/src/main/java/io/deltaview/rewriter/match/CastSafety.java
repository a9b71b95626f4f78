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

  /** Description of the first unsafe cast in the plan, or null if all are safe. */
  static String firstUnsafeCast(RelNode plan) {
    return PlanCalls.first(plan, call -> call.getKind() == SqlKind.CAST && !isSafe(call));
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
