package io.deltaview.engine.expr;

import io.deltaview.engine.compile.UnsupportedConstructException;
import java.math.BigDecimal;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.time.temporal.IsoFields;
import java.time.temporal.TemporalAdjusters;
import org.apache.calcite.avatica.util.TimeUnitRange;

/**
 * EXTRACT and date_trunc with PostgreSQL's semantics. EXTRACT returns numeric (PostgreSQL 14 and later):
 * scale 0, except SECOND/MILLISECOND/EPOCH of a timestamp, which carry PostgreSQL's fractional scale.
 */
final class DateTimes {

  private DateTimes() {
  }

  static void checkExtract(TimeUnitRange unit) {
    switch (unit) {
      case YEAR:
      case QUARTER:
      case MONTH:
      case WEEK:
      case DAY:
      case HOUR:
      case MINUTE:
      case SECOND:
      case MILLISECOND:
      case MICROSECOND:
      case DOW:
      case ISODOW:
      case DOY:
      case ISOYEAR:
      case EPOCH:
      case DECADE:
      case CENTURY:
      case MILLENNIUM:
        return;
      default:
        throw new UnsupportedConstructException("EXTRACT(" + unit + ")");
    }
  }

  static BigDecimal extract(TimeUnitRange unit, Object x) {
    boolean isDate = x instanceof LocalDate;
    LocalDateTime t = x instanceof LocalDate d ? d.atStartOfDay()
        : x instanceof Instant i ? LocalDateTime.ofInstant(i, ZoneOffset.UTC) : (LocalDateTime) x;
    int year = t.getYear();
    switch (unit) {
      case YEAR:
        return BigDecimal.valueOf(year);
      case QUARTER:
        return BigDecimal.valueOf((t.getMonthValue() - 1) / 3 + 1);
      case MONTH:
        return BigDecimal.valueOf(t.getMonthValue());
      case WEEK:
        return BigDecimal.valueOf(t.get(IsoFields.WEEK_OF_WEEK_BASED_YEAR));
      case ISOYEAR:
        return BigDecimal.valueOf(t.get(IsoFields.WEEK_BASED_YEAR));
      case DAY:
        return BigDecimal.valueOf(t.getDayOfMonth());
      case DOW:
        return BigDecimal.valueOf(t.getDayOfWeek().getValue() % 7);
      case ISODOW:
        return BigDecimal.valueOf(t.getDayOfWeek().getValue());
      case DOY:
        return BigDecimal.valueOf(t.getDayOfYear());
      case DECADE:
        return BigDecimal.valueOf(Math.floorDiv(year, 10));
      case CENTURY:
        return BigDecimal.valueOf(year > 0 ? (year + 99) / 100 : -((99 - (year - 1)) / 100));
      case MILLENNIUM:
        return BigDecimal.valueOf(year > 0 ? (year + 999) / 1000 : -((999 - (year - 1)) / 1000));
      case EPOCH: {
        long secs = t.toEpochSecond(ZoneOffset.UTC);
        BigDecimal e = BigDecimal.valueOf(secs);
        return isDate ? e : e.add(BigDecimal.valueOf(t.getNano() / 1000, 6));
      }
      default:
        break;
    }
    if (isDate) {
      throw new IllegalArgumentException("unit \"" + unit.name().toLowerCase() + "\" not supported for type date");
    }
    long micros = t.getSecond() * 1_000_000L + t.getNano() / 1000;
    switch (unit) {
      case HOUR:
        return BigDecimal.valueOf(t.getHour());
      case MINUTE:
        return BigDecimal.valueOf(t.getMinute());
      case SECOND:
        return BigDecimal.valueOf(micros, 6);
      case MILLISECOND:
        return BigDecimal.valueOf(micros, 3);
      case MICROSECOND:
        return BigDecimal.valueOf(micros);
      default:
        throw new UnsupportedConstructException("EXTRACT(" + unit + ")");
    }
  }

  /**
   * The field a {@code date_part} text names, as PostgreSQL's units table spells it (singular, plural and
   * abbreviated forms), or null when this engine does not know it.
   */
  static String datePartField(String text) {
    return switch (text.toLowerCase(java.util.Locale.ROOT).trim()) {
      case "year", "years", "y", "yr", "yrs" -> "YEAR";
      case "quarter", "qtr" -> "QUARTER";
      case "month", "months", "mon", "mons" -> "MONTH";
      case "week", "weeks", "w" -> "WEEK";
      case "day", "days", "d" -> "DAY";
      case "hour", "hours", "h", "hr", "hrs" -> "HOUR";
      case "minute", "minutes", "m", "min", "mins" -> "MINUTE";
      case "second", "seconds", "s", "sec", "secs" -> "SECOND";
      case "millisecond", "milliseconds", "ms", "msec", "msecs", "millisecon" -> "MILLISECOND";
      case "microsecond", "microseconds", "us", "usec", "usecs" -> "MICROSECOND";
      case "dow" -> "DOW";
      case "isodow" -> "ISODOW";
      case "doy" -> "DOY";
      case "isoyear" -> "ISOYEAR";
      case "epoch" -> "EPOCH";
      case "decade", "decades", "dec", "decs" -> "DECADE";
      case "century", "centuries", "c", "cent" -> "CENTURY";
      case "millennium", "millennia", "millenniums", "mil", "mils" -> "MILLENNIUM";
      case "julian", "j" -> "JULIAN";
      default -> null;
    };
  }

  /**
   * PostgreSQL's {@code date_part(text, ...)}: a double precision computed as PostgreSQL 14 does in floating
   * point (a date is first made a timestamp, so its time fields are 0).
   */
  static double datePart(String field, Object x) {
    Object t = x instanceof LocalDate d ? d.atStartOfDay() : x;
    LocalDateTime ts = t instanceof Instant i ? LocalDateTime.ofInstant(i, ZoneOffset.UTC) : (LocalDateTime) t;
    long fsec = ts.getNano() / 1000; // microseconds
    switch (field) {
      case "SECOND":
        return ts.getSecond() + fsec / 1000000.0;
      case "MILLISECOND":
        return ts.getSecond() * 1000.0 + fsec / 1000.0;
      case "EPOCH": {
        long micros = Math.addExact(Math.multiplyExact(ts.toEpochSecond(ZoneOffset.UTC), 1_000_000L), fsec);
        return micros / 1000000.0;
      }
      case "JULIAN": {
        double julian = ts.toLocalDate().getLong(java.time.temporal.JulianFields.JULIAN_DAY);
        return julian + ((ts.getHour() * 60 + ts.getMinute()) * 60 + ts.getSecond() + fsec / 1000000.0) / 86400.0;
      }
      default:
        return extract(TimeUnitRange.valueOf(field), ts).doubleValue();
    }
  }

  /** {@code date ± integer} (either order for +): the date that many days later or earlier. */
  static LocalDate plusDays(Object x, Object y, boolean minus) {
    LocalDate d = x instanceof LocalDate a ? a : (LocalDate) y;
    long days = ((Number) (x instanceof LocalDate ? y : x)).longValue();
    return d.plusDays(minus ? -days : days);
  }

  /** make_date(year, month, day); a negative year is BC, as in PostgreSQL. */
  static LocalDate makeDate(long year, long month, long day) {
    try {
      if (year == 0) {
        throw new java.time.DateTimeException("year 0");
      }
      return LocalDate.of(Math.toIntExact(year < 0 ? year + 1 : year), Math.toIntExact(month),
          Math.toIntExact(day));
    } catch (java.time.DateTimeException | ArithmeticException e) {
      throw new io.deltaview.engine.expr.EvaluationException(io.deltaview.sql.SqlStates.DATETIME_FIELD_OVERFLOW,
          "date field value out of range: " + year + "-" + (month < 10 && month >= 0 ? "0" : "") + month + "-"
              + (day < 10 && day >= 0 ? "0" : "") + day);
    }
  }

  static void checkTrunc(String unit) {
    switch (unit) {
      case "YEAR":
      case "QUARTER":
      case "MONTH":
      case "WEEK":
      case "DAY":
      case "HOUR":
      case "MINUTE":
      case "SECOND":
        return;
      default:
        throw new UnsupportedConstructException("date_trunc/FLOOR to " + unit);
    }
  }

  /** Truncates a date/timestamp to {@code unit}; weeks start on Monday, as in PostgreSQL. */
  static Object trunc(String unit, Object x) {
    if (x instanceof Instant i) {
      return ((LocalDateTime) trunc(unit, LocalDateTime.ofInstant(i, ZoneOffset.UTC))).toInstant(ZoneOffset.UTC);
    }
    LocalDateTime t = x instanceof LocalDate d ? d.atStartOfDay() : (LocalDateTime) x;
    switch (unit) {
      case "YEAR":
        return t.toLocalDate().withDayOfYear(1).atStartOfDay();
      case "QUARTER":
        return LocalDate.of(t.getYear(), (t.getMonthValue() - 1) / 3 * 3 + 1, 1).atStartOfDay();
      case "MONTH":
        return t.toLocalDate().withDayOfMonth(1).atStartOfDay();
      case "WEEK":
        return t.toLocalDate().with(TemporalAdjusters.previousOrSame(DayOfWeek.MONDAY)).atStartOfDay();
      case "DAY":
        return t.truncatedTo(ChronoUnit.DAYS);
      case "HOUR":
        return t.truncatedTo(ChronoUnit.HOURS);
      case "MINUTE":
        return t.truncatedTo(ChronoUnit.MINUTES);
      case "SECOND":
        return t.truncatedTo(ChronoUnit.SECONDS);
      default:
        throw new UnsupportedConstructException("date_trunc/FLOOR to " + unit);
    }
  }
}
