package io.deltaview.engine.expr;

import io.deltaview.sql.SqlStates;
import io.deltaview.engine.compile.UnsupportedConstructException;
import io.deltaview.engine.row.Values;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.Locale;
import io.deltaview.rewriter.schema.PgType;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeSystem;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * CAST between canonical values with PostgreSQL's rules: numeric → integer and numeric(p,s) round half
 * away from zero, double → integer rounds half to even (rint), casts to varchar(n) truncate. Timestamps
 * with time zone convert to and from local values in the view's {@link SessionZone}.
 */
final class Casts {

  private Casts() {
  }

  static void checkSupported(RelDataType target) {
    switch (target.getSqlTypeName()) {
      case BOOLEAN:
      case TINYINT:
      case SMALLINT:
      case INTEGER:
      case BIGINT:
      case DECIMAL:
      case REAL:
      case FLOAT:
      case DOUBLE:
      case CHAR:
      case VARCHAR:
      case DATE:
      case TIME:
      case TIMESTAMP:
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
        return;
      default:
        throw new UnsupportedConstructException("CAST to " + target.getSqlTypeName());
    }
  }

  /** Casts a non-null canonical value (an {@link Interval} is rejected) to {@code target}. */
  static Object cast(Object x, RelDataType target) {
    return cast(x, target, RelDataTypeSystem.DEFAULT, ZoneOffset.UTC);
  }

  /**
   * Casts with {@code typeSystem} deciding which DECIMAL types mean an unconstrained numeric, and {@code zone}
   * the local time of a timestamp with time zone.
   */
  static Object cast(Object x, RelDataType target, RelDataTypeSystem typeSystem, ZoneId zone) {
    SqlTypeName t = target.getSqlTypeName();
    switch (t) {
      case BOOLEAN:
        if (x instanceof Boolean) {
          return x;
        }
        if (x instanceof Long l) {
          return l != 0;
        }
        return parseBoolean(toText(x));
      case TINYINT:
      case SMALLINT:
      case INTEGER:
      case BIGINT:
        return checkRange(toLong(x, t), t);
      case DECIMAL: {
        if (x instanceof Boolean) {
          return failCast(x, t);
        }
        BigDecimal d = x instanceof String s ? parseNumeric(s) : PgValues.toBigDecimal(x);
        if (hasTypmod(target, typeSystem)) {
          d = d.setScale(target.getScale(), RoundingMode.HALF_UP);
          if (d.precision() - d.scale() > target.getPrecision() - target.getScale() && d.signum() != 0) {
            throw EvaluationException.outOfRange("numeric field overflow");
          }
        } else if (d.scale() < 0) {
          d = d.setScale(0);
        }
        return d;
      }
      case REAL:
        return (double) (float) toDouble(x);
      case FLOAT:
      case DOUBLE:
        return toDouble(x);
      case CHAR:
      case VARCHAR: {
        String s = x instanceof Instant i ? text(i, zone) : toText(x);
        int n = target.getPrecision();
        if (n != RelDataType.PRECISION_NOT_SPECIFIED && n > 0 && s.codePointCount(0, s.length()) > n) {
          s = s.substring(0, s.offsetByCodePoints(0, n));
        }
        return s;
      }
      case DATE:
        if (x instanceof LocalDate) {
          return x;
        }
        if (x instanceof LocalDateTime ts) {
          return ts.toLocalDate();
        }
        if (x instanceof Instant i) {
          return LocalDate.ofInstant(i, zone);
        }
        if (x instanceof String s) {
          return parseDateTime(s, "date", () -> LocalDate.parse(s.trim()));
        }
        return failCast(x, t);
      case TIME:
        if (x instanceof LocalTime) {
          return x;
        }
        if (x instanceof LocalDateTime ts) {
          return ts.toLocalTime();
        }
        if (x instanceof Instant i) {
          return SessionZone.local(i, zone).toLocalTime();
        }
        if (x instanceof String s) {
          return parseDateTime(s, "time without time zone", () -> LocalTime.parse(s.trim()));
        }
        return failCast(x, t);
      case TIMESTAMP:
        if (x instanceof LocalDateTime) {
          return x;
        }
        if (x instanceof LocalDate d) {
          return d.atStartOfDay();
        }
        if (x instanceof Instant i) {
          return SessionZone.local(i, zone);
        }
        if (x instanceof String s) {
          String v = s.trim().replace('T', ' ');
          return parseDateTime(s, "timestamp without time zone",
              () -> v.length() == 10 ? LocalDate.parse(v).atStartOfDay() : Values.parse(v, SqlTypeName.TIMESTAMP));
        }
        return failCast(x, t);
      case TIMESTAMP_WITH_LOCAL_TIME_ZONE:
        if (x instanceof Instant) {
          return x;
        }
        if (x instanceof LocalDateTime ts) {
          return SessionZone.instant(ts, zone);
        }
        if (x instanceof LocalDate d) {
          return SessionZone.instant(d.atStartOfDay(), zone);
        }
        if (x instanceof String s) {
          return parseDateTime(s, "timestamp with time zone", () -> timestampTz(s.trim(), zone));
        }
        return failCast(x, t);
      default:
        throw new UnsupportedConstructException("CAST to " + t);
    }
  }

  /**
   * Whether a DECIMAL type carries a PostgreSQL typmod. Calcite gives {@code numeric} without precision the
   * type system's default DECIMAL(p, 0); that one is read as PostgreSQL's unconstrained numeric. So is the type
   * PostgreSQL's type system gives numeric SUM and AVG results ({@link PgType#UNCONSTRAINED_NUMERIC_SCALE}),
   * which Calcite also casts to when it expands AVG(x) OVER (…) into SUM/COUNT.
   */
  static boolean hasTypmod(RelDataType t, RelDataTypeSystem typeSystem) {
    int defaultPrecision = typeSystem.getDefaultPrecision(SqlTypeName.DECIMAL);
    int maxPrecision = typeSystem.getMaxPrecision(SqlTypeName.DECIMAL);
    if (t.getPrecision() == PgType.UNCONSTRAINED_NUMERIC_PRECISION
        && t.getScale() == PgType.UNCONSTRAINED_NUMERIC_SCALE) {
      return false;
    }
    return !(t.getScale() == 0 && (t.getPrecision() == defaultPrecision || t.getPrecision() >= maxPrecision));
  }

  private static Object failCast(Object x, SqlTypeName t) {
    throw new IllegalArgumentException("cannot cast " + x.getClass().getSimpleName() + " to " + t);
  }

  private static long toLong(Object x, SqlTypeName t) {
    if (x instanceof Long l) {
      return l;
    }
    if (x instanceof BigDecimal d) {
      BigDecimal rounded = d.setScale(0, RoundingMode.HALF_UP);
      if (rounded.unscaledValue().bitLength() > 63) {
        throw EvaluationException.outOfRange(rangeMessage(t));
      }
      return rounded.longValue();
    }
    if (x instanceof Double d) {
      double r = Math.rint(d);
      // PostgreSQL's dtoi8 accepts exactly the doubles in [-2^63, 2^63); NaN and infinities are out of range.
      if (Double.isNaN(r) || r < -0x1p63 || r >= 0x1p63) {
        throw EvaluationException.outOfRange(rangeMessage(t));
      }
      return (long) r;
    }
    if (x instanceof Boolean b) {
      return b ? 1L : 0L;
    }
    if (x instanceof String s) {
      try {
        return Long.parseLong(s.trim());
      } catch (NumberFormatException e) {
        if (s.trim().matches("[+-]?[0-9]+")) {
          throw EvaluationException.outOfRange("value \"" + s + "\" is out of range for type " + pgName(t));
        }
        throw EvaluationException.invalidInput(pgName(t), s);
      }
    }
    throw new IllegalArgumentException("cannot cast " + x.getClass().getSimpleName() + " to an integer");
  }

  private static long checkRange(long v, SqlTypeName t) {
    boolean ok;
    switch (t) {
      case TINYINT:
      case SMALLINT:
        ok = v >= Short.MIN_VALUE && v <= Short.MAX_VALUE;
        break;
      case INTEGER:
        ok = v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE;
        break;
      default:
        ok = true;
    }
    if (!ok) {
      throw EvaluationException.outOfRange(rangeMessage(t));
    }
    return v;
  }

  /** PostgreSQL's name of an integer type, as its error messages print it. */
  private static String pgName(SqlTypeName t) {
    return switch (t) {
      case TINYINT, SMALLINT -> "smallint";
      case INTEGER -> "integer";
      default -> "bigint";
    };
  }

  private static String rangeMessage(SqlTypeName t) {
    return pgName(t) + " out of range";
  }

  /** numeric_in: surrounding blanks, NaN and the infinities aside, a decimal literal. */
  private static BigDecimal parseNumeric(String s) {
    try {
      return new BigDecimal(s.trim());
    } catch (NumberFormatException e) {
      throw EvaluationException.invalidInput("numeric", s);
    }
  }

  /**
   * Text to a timestamp with time zone: with an offset it names an instant; without one it is a local time (or a
   * date's midnight) in {@code zone}, as PostgreSQL reads it in the session's TimeZone.
   */
  private static Object timestampTz(String s, ZoneId zone) {
    String v = s.replace('T', ' ');
    if (v.length() == 10) {
      return SessionZone.instant(LocalDate.parse(v).atStartOfDay(), zone);
    }
    try {
      return Values.parse(v, SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE);
    } catch (java.time.DateTimeException noOffset) {
      Object local = Values.parse(v, SqlTypeName.TIMESTAMP);
      return local instanceof LocalDateTime t ? SessionZone.instant(t, zone) : local;
    }
  }

  /** A timestamp with time zone as PostgreSQL prints it in {@code zone}: local time and that zone's offset. */
  static String text(Instant i, ZoneId zone) {
    return Values.toPgText(SessionZone.local(i, zone)) + SessionZone.offsetText(i, zone);
  }

  /** Parses date/time text, failing like PostgreSQL's input functions (22007) on text they would refuse. */
  private static Object parseDateTime(String s, String pgType, java.util.function.Supplier<Object> parse) {
    try {
      return parse.get();
    } catch (java.time.DateTimeException e) {
      throw new EvaluationException(SqlStates.INVALID_DATETIME_FORMAT,
          "invalid input syntax for type " + pgType + ": \"" + s + "\"");
    }
  }

  private static double toDouble(Object x) {
    if (x instanceof Number n) {
      return n.doubleValue();
    }
    if (x instanceof String s) {
      switch (s.trim().toLowerCase(Locale.ROOT)) {
        case "nan":
          return Double.NaN;
        case "infinity":
          return Double.POSITIVE_INFINITY;
        case "-infinity":
          return Double.NEGATIVE_INFINITY;
        default:
          try {
            return Double.parseDouble(s.trim());
          } catch (NumberFormatException e) {
            throw EvaluationException.invalidInput("double precision", s);
          }
      }
    }
    throw new IllegalArgumentException("cannot cast " + x.getClass().getSimpleName() + " to double precision");
  }

  private static boolean parseBoolean(String s) {
    switch (s.trim().toLowerCase(Locale.ROOT)) {
      case "t":
      case "true":
      case "y":
      case "yes":
      case "on":
      case "1":
        return true;
      case "f":
      case "false":
      case "n":
      case "no":
      case "off":
      case "0":
        return false;
      default:
        throw EvaluationException.invalidInput("boolean", s);
    }
  }

  /** PostgreSQL's text output of a canonical value. */
  static String toText(Object x) {
    if (x instanceof String s) {
      return s;
    }
    if (x instanceof Boolean b) {
      return b ? "true" : "false";
    }
    if (x instanceof Double d) {
      return doubleText(d);
    }
    return Values.toPgText(x);
  }

  /** float8out (extra_float_digits = 1): shortest exact digits, exponent form below 1e-4 or from 1e15. */
  static String doubleText(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    if (d == 0) {
      return 1 / d < 0 ? "-0" : "0";
    }
    BigDecimal b = new BigDecimal(Double.toString(d)).stripTrailingZeros();
    int exponent = b.precision() - b.scale() - 1;
    if (exponent < -4 || exponent >= 15) {
      String digits = b.unscaledValue().abs().toString();
      StringBuilder sb = new StringBuilder();
      if (b.signum() < 0) {
        sb.append('-');
      }
      sb.append(digits.charAt(0));
      if (digits.length() > 1) {
        sb.append('.').append(digits, 1, digits.length());
      }
      sb.append('e').append(exponent < 0 ? '-' : '+');
      int e = Math.abs(exponent);
      if (e < 10) {
        sb.append('0');
      }
      return sb.append(e).toString();
    }
    return b.scale() < 0 ? b.setScale(0).toPlainString() : b.toPlainString();
  }
}
