package io.deltaview.engine.expr;

import io.deltaview.engine.compile.UnsupportedConstructException;
import io.deltaview.sql.SqlStates;
import java.math.BigDecimal;
import java.math.MathContext;
import java.math.RoundingMode;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * PostgreSQL's numeric functions beyond the arithmetic operators: {@code sign}, {@code trunc}, {@code power},
 * {@code sqrt}. Results have PostgreSQL's value type, which can differ from Calcite's: an integer argument
 * resolves to the {@code double precision} overload ({@code sign(5)}, {@code trunc(5)}, {@code power(2, 3)}
 * are doubles), a {@code numeric} one to the numeric overload, with PostgreSQL's result scale.
 */
final class MathFunctions {

  private MathFunctions() {
  }

  /** sign(x): -1, 0 or 1 as a double for integer and double arguments, as a numeric of scale 0 otherwise. */
  static Object sign(Object x) {
    if (x instanceof BigDecimal d) {
      return BigDecimal.valueOf(d.signum());
    }
    double v = ((Number) x).doubleValue();
    return v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0; // NaN is positive in PostgreSQL's float8 sign
  }

  /** trunc(x [, s]) towards zero; trunc(double) is a double, trunc(numeric, s) keeps scale max(s, 0). */
  static Object trunc(Object x, Object scale) {
    if (scale == null) {
      if (x instanceof BigDecimal d) {
        return d.setScale(0, RoundingMode.DOWN);
      }
      double v = ((Number) x).doubleValue();
      return v < 0 ? Math.ceil(v) : Math.floor(v);
    }
    int s = ((Number) scale).intValue();
    BigDecimal r = PgValues.toBigDecimal(x).setScale(s, RoundingMode.DOWN);
    return r.scale() < 0 ? r.setScale(0) : r;
  }

  /** Refuses power() over numeric: PostgreSQL's numeric power chooses result scales this engine does not. */
  static void checkPower(RexNode base, RexNode exponent) {
    if (base.getType().getSqlTypeName() == SqlTypeName.DECIMAL
        || exponent.getType().getSqlTypeName() == SqlTypeName.DECIMAL) {
      throw new UnsupportedConstructException("power() of a numeric (cast its arguments to double precision)");
    }
  }

  /** power(double, double) with the errors PostgreSQL's float8 pow raises. */
  static Object power(Object base, Object exponent) {
    double x = ((Number) base).doubleValue();
    double y = ((Number) exponent).doubleValue();
    if (x == 0 && y < 0) {
      throw new EvaluationException(SqlStates.INVALID_ARGUMENT_FOR_POWER_FUNCTION,
          "zero raised to a negative power is undefined");
    }
    if (x < 0 && Math.floor(y) != y && !Double.isInfinite(y)) {
      throw new EvaluationException(SqlStates.INVALID_ARGUMENT_FOR_POWER_FUNCTION,
          "a negative number raised to a non-integer power yields a complex result");
    }
    double r = StrictMath.pow(x, y);
    if (Double.isInfinite(r) && !Double.isInfinite(x) && !Double.isInfinite(y)) {
      throw EvaluationException.outOfRange("value out of range: overflow");
    }
    if (r == 0 && x != 0 && !Double.isInfinite(y) && !Double.isInfinite(x)) {
      throw EvaluationException.outOfRange("value out of range: underflow");
    }
    return r;
  }

  /**
   * sqrt(x): a double for double and integer arguments; for numeric, PostgreSQL's numeric_sqrt result scale
   * (at least 16 significant digits and the argument's scale), rounded half away from zero.
   */
  static Object sqrt(Object x) {
    if (x instanceof BigDecimal d) {
      if (d.signum() < 0) {
        throw new EvaluationException(SqlStates.INVALID_ARGUMENT_FOR_POWER_FUNCTION,
            "cannot take square root of a negative number");
      }
      int rscale = sqrtScale(d);
      if (d.signum() == 0) {
        return BigDecimal.ZERO.setScale(rscale);
      }
      int digits = d.precision() - d.scale(); // decimal digits before the point (may be <= 0)
      BigDecimal root = d.sqrt(new MathContext(Math.max(digits, 1) + rscale + 10, RoundingMode.DOWN));
      return root.setScale(rscale, RoundingMode.HALF_UP);
    }
    double v = ((Number) x).doubleValue();
    if (v < 0) {
      throw new EvaluationException(SqlStates.INVALID_ARGUMENT_FOR_POWER_FUNCTION,
          "cannot take square root of a negative number");
    }
    return Math.sqrt(v);
  }

  /** PostgreSQL's numeric_sqrt result scale, from the base-10000 weight of the argument. */
  private static int sqrtScale(BigDecimal d) {
    int weight;
    if (d.signum() == 0) {
      weight = 0;
    } else {
      int exponent = d.precision() - d.scale() - 1; // decimal exponent of the leading digit
      weight = Math.floorDiv(exponent, 4);
    }
    int sweight = (weight + 1) * 4 / 2 - 1;
    int rscale = PgValues.NUMERIC_MIN_SIG_DIGITS - sweight;
    rscale = Math.max(rscale, Math.max(d.scale(), 0));
    rscale = Math.max(rscale, 0);
    return Math.min(rscale, PgValues.NUMERIC_MAX_DISPLAY_SCALE);
  }
}
