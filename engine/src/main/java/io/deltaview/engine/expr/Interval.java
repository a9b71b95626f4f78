package io.deltaview.engine.expr;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;

/**
 * An interval value during expression evaluation (intervals are never stored in rows): months, days and an
 * exact time part, like PostgreSQL's interval, whose three fields are kept apart ({@code 1 day} is not
 * {@code 24 hours} to {@code extract}) and compared as one span with a month of 30 days and a day of 24 hours.
 */
record Interval(long months, long days, Duration time) implements Comparable<Interval> {

  Interval(long months, Duration time) {
    this(months, 0, time);
  }

  Interval negate() {
    return new Interval(-months, -days, time.negated());
  }

  /** The time part in microseconds (PostgreSQL's resolution). */
  long micros() {
    return Math.addExact(Math.multiplyExact(time.getSeconds(), 1_000_000L), time.getNano() / 1000);
  }

  /** PostgreSQL's interval_cmp_value: the span in microseconds, months as 30 days, days as 24 hours. */
  private java.math.BigInteger span() {
    return java.math.BigInteger.valueOf(months).multiply(java.math.BigInteger.valueOf(30))
        .add(java.math.BigInteger.valueOf(days)).multiply(java.math.BigInteger.valueOf(86_400_000_000L))
        .add(java.math.BigInteger.valueOf(micros()));
  }

  @Override
  public int compareTo(Interval o) {
    return span().compareTo(o.span());
  }

  /**
   * {@code t + this} for a date, timestamp or timestamptz; a date becomes a timestamp, as in PostgreSQL. A
   * timestamptz moves as PostgreSQL's {@code timestamptz_pl_interval} does: months on its local time in
   * {@code zone}, then days the same way, each resolved in the zone again, then the time part as elapsed time.
   */
  Object addTo(Object t, java.time.ZoneId zone) {
    if (t instanceof LocalDate d) {
      return d.atStartOfDay().plusMonths(months).plusDays(days).plus(time);
    }
    if (t instanceof LocalDateTime ts) {
      return ts.plusMonths(months).plusDays(days).plus(time);
    }
    if (t instanceof Instant i) {
      if (months != 0) {
        i = SessionZone.instant(SessionZone.local(i, zone).plusMonths(months), zone);
      }
      if (days != 0) {
        i = SessionZone.instant(SessionZone.local(i, zone).plusDays(days), zone);
      }
      return i.plus(time);
    }
    throw new IllegalArgumentException("cannot add an interval to " + t);
  }
}
