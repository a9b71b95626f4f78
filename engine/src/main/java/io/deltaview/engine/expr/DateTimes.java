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
