package io.deltaview.engine.expr;

import java.math.BigDecimal;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;

/**
 * PostgreSQL's {@code in_range} arithmetic for window frames {@code RANGE BETWEEN <offset> PRECEDING AND …}: the
 * order key value plus or minus the offset, and how another row's key compares with that bound. Integer keys
 * are added in exact arithmetic (PostgreSQL's in_range never overflows: a bound past the type's range is
 * past every value); a date is moved as a timestamp, as PostgreSQL's in_range(date, interval) does.
 */
public final class RangeOffsets {

  private RangeOffsets() {
  }

  /**
   * {@code base + offset} ({@code base - offset} when {@code subtract}); null for a null base. An interval moves a
   * timestamptz as {@code +} does in a session of {@code zone}, as PostgreSQL's {@code in_range} does.
   */
  public static Object bound(Object base, Object offset, boolean subtract, java.time.ZoneId zone) {
    if (base == null) {
      return null;
    }
    if (offset instanceof Interval i) {
      return (subtract ? i.negate() : i).addTo(base, zone);
    }
    BigDecimal b = PgValues.toBigDecimal(base);
    BigDecimal o = PgValues.toBigDecimal(offset);
    return subtract ? b.subtract(o) : b.add(o);
  }

  /** The order of an order key value against a {@link #bound}. */
  public static int compare(Object value, Object bound) {
    if (bound instanceof LocalDateTime t) {
      LocalDateTime v = value instanceof LocalDate d ? d.atStartOfDay() : (LocalDateTime) value;
      return v.compareTo(t);
    }
    if (bound instanceof Instant t) {
      return ((Instant) value).compareTo(t);
    }
    return PgValues.toBigDecimal(value).compareTo((BigDecimal) bound);
  }

  /** Whether an offset is below zero: PostgreSQL fails such a frame (22013). */
  public static boolean negative(Object offset) {
    if (offset instanceof Interval i) {
      return i.compareTo(new Interval(0, 0, java.time.Duration.ZERO)) < 0;
    }
    return PgValues.toBigDecimal(offset).signum() < 0;
  }

  /** Whether an interval offset has months or days, whose length in a timestamptz depends on the time zone. */
  public static boolean hasCalendarPart(Object offset) {
    return offset instanceof Interval i && (i.months() != 0 || i.days() != 0);
  }

  /** An offset as PostgreSQL prints it in a frame ({@code 10}, {@code '1 day 02:00:00'}), for EXPLAIN. */
  public static String describe(Object offset) {
    if (!(offset instanceof Interval i)) {
      return String.valueOf(offset);
    }
    StringBuilder b = new StringBuilder("'");
    if (i.months() != 0) {
      b.append(i.months()).append(Math.abs(i.months()) == 1 ? " mon " : " mons ");
    }
    if (i.days() != 0) {
      b.append(i.days()).append(Math.abs(i.days()) == 1 ? " day " : " days ");
    }
    long micros = i.micros();
    if (micros != 0 || b.length() == 1) {
      long s = Math.abs(micros) / 1_000_000;
      b.append(micros < 0 ? "-" : "").append(String.format("%02d:%02d:%02d", s / 3600, s / 60 % 60, s % 60));
      if (micros % 1_000_000 != 0) {
        b.append(String.format(".%06d", Math.abs(micros) % 1_000_000));
      }
    }
    return b.toString().stripTrailing() + "'";
  }
}
