package io.deltaview.engine.expr;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * PostgreSQL's semantics for comparing and computing on canonical values (Long, BigDecimal, Double, String,
 * LocalDate, LocalDateTime, Instant, Boolean). Arguments are never null here: callers handle SQL NULL first.
 */
public final class PgValues {

  /** PostgreSQL's NUMERIC_MIN_SIG_DIGITS: a quotient gets at least this many significant digits. */
  static final int NUMERIC_MIN_SIG_DIGITS = 16;
  /** PostgreSQL's NUMERIC_MAX_DISPLAY_SCALE. */
  static final int NUMERIC_MAX_DISPLAY_SCALE = 1000;

  private PgValues() {
  }

  /** Three-way comparison with numeric promotion (integer → numeric → double) and date → timestamp. */
  public static int compare(Object a, Object b) {
    if (a instanceof Long x && b instanceof Long y) {
      return Long.compare(x, y);
    }
    if (a instanceof Number && b instanceof Number) {
      if (a instanceof Double || b instanceof Double) {
        double x = ((Number) a).doubleValue();
        double y = ((Number) b).doubleValue();
        // PostgreSQL: -0 = 0 and NaN is greater than everything and equal to itself, like Double.compare.
        return x == y ? 0 : Double.compare(x, y);
      }
      return toBigDecimal(a).compareTo(toBigDecimal(b));
    }
    if (a instanceof String x && b instanceof String y) {
      // Code-point order: PostgreSQL's under the C, POSIX, C.UTF-8 and ucs_basic collations (the planner refuses
      // views that order text under any other)
      return compareCodePoints(x, y);
    }
    if (a instanceof LocalDate x && b instanceof LocalDateTime y) {
      return x.atStartOfDay().compareTo(y);
    }
    if (a instanceof LocalDateTime x && b instanceof LocalDate y) {
      return x.compareTo(y.atStartOfDay());
    }
    if (a instanceof Instant x && b instanceof LocalDateTime y) {
      return x.compareTo(y.toInstant(ZoneOffset.UTC));
    }
    if (a instanceof LocalDateTime x && b instanceof Instant y) {
      return x.toInstant(ZoneOffset.UTC).compareTo(y);
    }
    if (a instanceof Interval x && b instanceof Interval y) {
      return x.compareTo(y);
    }
    if (a.getClass() == b.getClass() && a instanceof Comparable) {
      @SuppressWarnings("unchecked")
      Comparable<Object> c = (Comparable<Object>) a;
      return c.compareTo(b);
    }
    throw new IllegalArgumentException("cannot compare " + a.getClass().getSimpleName() + " with "
        + b.getClass().getSimpleName());
  }

  /** SQL equality ({@code =}) on non-null values. */
  public static boolean sqlEquals(Object a, Object b) {
    if (a instanceof Long && b instanceof Long || a instanceof String && b instanceof String) {
      return a.equals(b);
    }
    return compare(a, b) == 0;
  }

  /**
   * A hashable stand-in for a join or grouping key value such that SQL-equal numerics are {@code equals}
   * (1.0 and 1.00, 1 and 1.0). Only numerics are normalised; other canonical values already compare by value.
   */
  public static Object keyOf(Object v) {
    if (v instanceof BigDecimal d) {
      if (d.signum() == 0) {
        return 0L;
      }
      BigDecimal s = d.stripTrailingZeros();
      if (s.scale() <= 0 && s.precision() - s.scale() <= 18) {
        return s.longValueExact();
      }
      return s;
    }
    if (v instanceof Double d && d == 0.0) {
      return 0.0d; // -0.0 equals 0.0 in SQL
    }
    return v;
  }

  /**
   * Compares by Unicode code point, as UTF-8 bytes compare. {@link String#compareTo} compares UTF-16 units, which
   * puts a character above U+FFFF (a surrogate pair, D800–DFFF) before U+E000–U+FFFF.
   */
  static int compareCodePoints(String x, String y) {
    int n = Math.min(x.length(), y.length());
    for (int i = 0; i < n; i++) {
      char a = x.charAt(i);
      char b = y.charAt(i);
      if (a != b) {
        if (Character.isSurrogate(a) != Character.isSurrogate(b)) {
          return Character.isSurrogate(a) ? 1 : -1; // the surrogate is the start of a code point above U+FFFF
        }
        return a - b;
      }
    }
    return x.length() - y.length();
  }

  public static BigDecimal toBigDecimal(Object v) {
    if (v instanceof BigDecimal d) {
      return d;
    }
    if (v instanceof Long l) {
      return BigDecimal.valueOf(l);
    }
    if (v instanceof Double d) {
      return doubleToNumeric(d);
    }
    if (v instanceof Number n) {
      return BigDecimal.valueOf(n.longValue());
    }
    throw new IllegalArgumentException("not a number: " + v);
  }

  /** float8 → numeric as PostgreSQL does it: via the shortest text form with 15 significant digits. */
  static BigDecimal doubleToNumeric(double d) {
    if (Double.isNaN(d) || Double.isInfinite(d)) {
      throw new ArithmeticException("cannot convert " + d + " to numeric");
    }
    BigDecimal b = new BigDecimal(d).round(new java.math.MathContext(15, RoundingMode.HALF_EVEN));
    b = b.stripTrailingZeros();
    return b.scale() < 0 ? b.setScale(0) : b;
  }

  // ---- arithmetic ------------------------------------------------------------------------------------

  /**
   * Integers of every width are held as {@code long}, so an overflow is PostgreSQL's bigint one (a narrower
   * result column that cannot hold the value fails when written, with PostgreSQL's own message).
   */
  private static EvaluationException bigintOutOfRange() {
    return EvaluationException.outOfRange("bigint out of range");
  }

  public static Object add(Object a, Object b) {
    if (a instanceof Long x && b instanceof Long y) {
      try {
        return Math.addExact(x, y);
      } catch (ArithmeticException overflow) {
        throw bigintOutOfRange();
      }
    }
    if (a instanceof Double || b instanceof Double) {
      return ((Number) a).doubleValue() + ((Number) b).doubleValue();
    }
    return toBigDecimal(a).add(toBigDecimal(b));
  }

  public static Object subtract(Object a, Object b) {
    if (a instanceof Long x && b instanceof Long y) {
      try {
        return Math.subtractExact(x, y);
      } catch (ArithmeticException overflow) {
        throw bigintOutOfRange();
      }
    }
    if (a instanceof Double || b instanceof Double) {
      return ((Number) a).doubleValue() - ((Number) b).doubleValue();
    }
    return toBigDecimal(a).subtract(toBigDecimal(b));
  }

  /** Numeric product keeps the sum of the operand scales, as PostgreSQL's numeric_mul does. */
  public static Object multiply(Object a, Object b) {
    if (a instanceof Long x && b instanceof Long y) {
      try {
        return Math.multiplyExact(x, y);
      } catch (ArithmeticException overflow) {
        throw bigintOutOfRange();
      }
    }
    if (a instanceof Double || b instanceof Double) {
      return ((Number) a).doubleValue() * ((Number) b).doubleValue();
    }
    return toBigDecimal(a).multiply(toBigDecimal(b));
  }

  /** Integer division truncates toward zero; numeric uses {@link #divideNumeric}; division by zero fails. */
  public static Object divide(Object a, Object b) {
    if (a instanceof Long x && b instanceof Long y) {
      if (y == 0) {
        throw EvaluationException.divisionByZero();
      }
      if (x == Long.MIN_VALUE && y == -1) {
        throw bigintOutOfRange();
      }
      return x / y;
    }
    if (a instanceof Double || b instanceof Double) {
      double y = ((Number) b).doubleValue();
      if (y == 0.0) {
        throw EvaluationException.divisionByZero();
      }
      return ((Number) a).doubleValue() / y;
    }
    return divideNumeric(toBigDecimal(a), toBigDecimal(b));
  }

  public static Object mod(Object a, Object b) {
    if (a instanceof Long x && b instanceof Long y) {
      if (y == 0) {
        throw EvaluationException.divisionByZero();
      }
      return y == -1 ? 0L : x % y; // Java's % takes the dividend's sign, like PostgreSQL
    }
    if (a instanceof Double || b instanceof Double) {
      throw new ArithmeticException("operator does not exist: double precision % double precision");
    }
    BigDecimal x = toBigDecimal(a);
    BigDecimal y = toBigDecimal(b);
    if (y.signum() == 0) {
      throw EvaluationException.divisionByZero();
    }
    return x.remainder(y).setScale(Math.max(Math.max(x.scale(), y.scale()), 0), RoundingMode.UNNECESSARY);
  }

  public static Object negate(Object a) {
    if (a instanceof Long x) {
      if (x == Long.MIN_VALUE) {
        throw bigintOutOfRange();
      }
      return -x;
    }
    if (a instanceof Double d) {
      return -d;
    }
    return toBigDecimal(a).negate();
  }

  /**
   * Numeric division exactly as PostgreSQL's numeric_div: the result scale comes from select_div_scale
   * (at least 16 significant digits, at least either operand's display scale, at most 1000) and the
   * quotient is rounded half away from zero.
   */
  public static BigDecimal divideNumeric(BigDecimal x, BigDecimal y) {
    if (y.signum() == 0) {
      throw EvaluationException.divisionByZero();
    }
    int rscale = selectDivScale(x, y);
    return x.divide(y, rscale, RoundingMode.HALF_UP);
  }

  /** PostgreSQL's select_div_scale, with weights and first digits in base 10000 (DEC_DIGITS = 4). */
  static int selectDivScale(BigDecimal x, BigDecimal y) {
    long[] wx = weightAndFirstDigit(x);
    long[] wy = weightAndFirstDigit(y);
    long qweight = wx[0] - wy[0];
    if (wx[1] <= wy[1]) {
      qweight--; // equal first digits: assume the dividend is the smaller, as PostgreSQL does
    }
    long rscale = NUMERIC_MIN_SIG_DIGITS - qweight * 4;
    rscale = Math.max(rscale, Math.max(x.scale(), 0));
    rscale = Math.max(rscale, Math.max(y.scale(), 0));
    rscale = Math.max(rscale, 0);
    return (int) Math.min(rscale, NUMERIC_MAX_DISPLAY_SCALE);
  }

  /** {weight, first digit} of |v| in PostgreSQL's base-10000 representation; {0, 0} for zero. */
  private static long[] weightAndFirstDigit(BigDecimal v) {
    if (v.signum() == 0) {
      return new long[] {0, 0};
    }
    BigDecimal abs = v.abs();
    int exponent = abs.precision() - abs.scale() - 1; // decimal exponent of the leading digit
    int weight = Math.floorDiv(exponent, 4);
    BigInteger first = abs.movePointLeft(4 * weight).setScale(0, RoundingMode.DOWN).toBigIntegerExact();
    return new long[] {weight, first.longValue()};
  }
}
