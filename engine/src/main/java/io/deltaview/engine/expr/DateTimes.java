package io.deltaview.engine.expr;

import io.deltaview.engine.compile.UnsupportedConstructException;
import java.math.BigDecimal;
import java.time.DayOfWeek;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.ZoneId;
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

  /** {@code extract(unit from x)}; a timestamp with time zone's fields are those of its local time in {@code zone}. */
  static BigDecimal extract(TimeUnitRange unit, Object x, ZoneId zone) {
    if (x instanceof Instant i && unit == TimeUnitRange.EPOCH) {
      return BigDecimal.valueOf(i.getEpochSecond()).add(BigDecimal.valueOf(i.getNano() / 1000, 6));
    }
    boolean isDate = x instanceof LocalDate;
    LocalDateTime t = x instanceof LocalDate d ? d.atStartOfDay()
        : x instanceof Instant i ? SessionZone.local(i, zone) : (LocalDateTime) x;
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
  static double datePart(String field, Object x, ZoneId zone) {
    if (x instanceof Instant i && field.equals("EPOCH")) {
      return (i.getEpochSecond() * 1_000_000L + i.getNano() / 1000) / 1000000.0;
    }
    Object t = x instanceof LocalDate d ? d.atStartOfDay() : x;
    LocalDateTime ts = t instanceof Instant i ? SessionZone.local(i, zone) : (LocalDateTime) t;
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
        return extract(TimeUnitRange.valueOf(field), ts, zone).doubleValue();
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

  /**
   * PostgreSQL's {@code age(a, b)}: the symbolic difference of the two timestamps' fields (years, months,
   * days, time), negative fields borrowed from the next larger one, a month borrowing the length of the month
   * of the earlier argument, exactly as timestamp_age does.
   */
  static Interval age(Object a, Object b) {
    LocalDateTime t1 = a instanceof LocalDate d ? d.atStartOfDay() : (LocalDateTime) a;
    LocalDateTime t2 = b instanceof LocalDate d ? d.atStartOfDay() : (LocalDateTime) b;
    boolean flip = t1.isBefore(t2);
    long fsec = t1.getNano() / 1000 - t2.getNano() / 1000;
    long sec = t1.getSecond() - t2.getSecond();
    long min = t1.getMinute() - t2.getMinute();
    long hour = t1.getHour() - t2.getHour();
    long mday = t1.getDayOfMonth() - t2.getDayOfMonth();
    long mon = t1.getMonthValue() - t2.getMonthValue();
    long year = (long) t1.getYear() - t2.getYear();
    if (flip) {
      fsec = -fsec;
      sec = -sec;
      min = -min;
      hour = -hour;
      mday = -mday;
      mon = -mon;
      year = -year;
    }
    while (fsec < 0) {
      fsec += 1_000_000;
      sec--;
    }
    while (sec < 0) {
      sec += 60;
      min--;
    }
    while (min < 0) {
      min += 60;
      hour--;
    }
    while (hour < 0) {
      hour += 24;
      mday--;
    }
    LocalDateTime borrowFrom = flip ? t1 : t2;
    while (mday < 0) {
      mday += borrowFrom.toLocalDate().lengthOfMonth();
      mon--;
    }
    while (mon < 0) {
      mon += 12;
      year--;
    }
    if (flip) {
      fsec = -fsec;
      sec = -sec;
      min = -min;
      hour = -hour;
      mday = -mday;
      mon = -mon;
      year = -year;
    }
    long micros = ((hour * 60 + min) * 60 + sec) * 1_000_000L + fsec;
    return new Interval(year * 12 + mon, mday, java.time.Duration.ofNanos(Math.multiplyExact(micros, 1000L)));
  }

  /** Refuses interval fields PostgreSQL does not define (dow, doy, week, …) or this engine does not take. */
  static void checkIntervalField(String field) {
    switch (field) {
      case "EPOCH", "MICROSECOND", "MILLISECOND", "SECOND", "MINUTE", "HOUR", "DAY", "MONTH", "QUARTER", "YEAR",
          "DECADE", "CENTURY", "MILLENNIUM" -> {
      }
      default -> throw new UnsupportedConstructException("EXTRACT(" + field + ") of an interval");
    }
  }

  /** EXTRACT(field FROM interval) as PostgreSQL 14's interval_part (numeric). */
  static BigDecimal extractInterval(String field, Interval i) {
    long time = i.micros();
    long hour = time / 3_600_000_000L;
    long rest = time - hour * 3_600_000_000L;
    long min = rest / 60_000_000L;
    long secMicros = rest - min * 60_000_000L; // seconds and microseconds, sign of the time part
    long year = i.months() / 12;
    long mon = i.months() % 12;
    return switch (field) {
      case "EPOCH" -> {
        long secsFromDayMonth = 31_557_600L * (i.months() / 12) + 2_592_000L * (i.months() % 12) + 86_400L * i.days();
        yield BigDecimal.valueOf(secsFromDayMonth).add(BigDecimal.valueOf(time, 6));
      }
      case "MICROSECOND" -> BigDecimal.valueOf(secMicros);
      case "MILLISECOND" -> BigDecimal.valueOf(secMicros, 3);
      case "SECOND" -> BigDecimal.valueOf(secMicros, 6);
      case "MINUTE" -> BigDecimal.valueOf(min);
      case "HOUR" -> BigDecimal.valueOf(hour);
      case "DAY" -> BigDecimal.valueOf(i.days());
      case "MONTH" -> BigDecimal.valueOf(mon);
      case "QUARTER" -> BigDecimal.valueOf(mon / 3 + 1);
      case "YEAR" -> BigDecimal.valueOf(year);
      case "DECADE" -> BigDecimal.valueOf(year / 10);
      case "CENTURY" -> BigDecimal.valueOf(year / 100);
      case "MILLENNIUM" -> BigDecimal.valueOf(year / 1000);
      default -> throw new UnsupportedConstructException("EXTRACT(" + field + ") of an interval");
    };
  }

  /** date_part(field, interval) as PostgreSQL 14 computes it in double precision. */
  static double datePartInterval(String field, Interval i) {
    long time = i.micros();
    return switch (field) {
      case "EPOCH" -> time / 1000000.0 + (365.25 * 86400) * (i.months() / 12) + (30.0 * 86400) * (i.months() % 12)
          + 86400.0 * i.days();
      case "SECOND" -> {
        long rest = time % 60_000_000L;
        yield (rest / 1_000_000L) + (rest % 1_000_000L) / 1000000.0;
      }
      case "MILLISECOND" -> {
        long rest = time % 60_000_000L;
        yield (rest / 1_000_000L) * 1000.0 + (rest % 1_000_000L) / 1000.0;
      }
      default -> extractInterval(field, i).doubleValue();
    };
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

  /**
   * Truncates a date/timestamp to {@code unit}; weeks start on Monday, as in PostgreSQL. A timestamp with time
   * zone is truncated in {@code zone}.
   */
  static Object trunc(String unit, Object x, ZoneId zone) {
    if (x instanceof Instant i) {
      // PostgreSQL truncates the local time in the session's zone; to a day or more it resolves the result there
      // again, to an hour or less it keeps the offset the value had (01:30 of the second 1 a.m. stays there)
      java.time.ZonedDateTime z = i.atZone(zone);
      LocalDateTime t = (LocalDateTime) trunc(unit, z.toLocalDateTime(), zone);
      return switch (unit) {
        case "HOUR", "MINUTE", "SECOND" -> t.toInstant(z.getOffset());
        default -> SessionZone.instant(t, zone);
      };
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
