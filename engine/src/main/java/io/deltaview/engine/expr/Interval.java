package io.deltaview.engine.expr;

import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;

/**
 * An interval value during expression evaluation (intervals are never stored in rows): months plus an exact
 * duration, like PostgreSQL's interval without its separate day field.
 */
record Interval(long months, Duration duration) {

  Interval negate() {
    return new Interval(-months, duration.negated());
  }

  /** {@code t + this} for a date, timestamp or timestamptz; a date becomes a timestamp, as in PostgreSQL. */
  Object addTo(Object t) {
    if (t instanceof LocalDate d) {
      return d.atStartOfDay().plusMonths(months).plus(duration);
    }
    if (t instanceof LocalDateTime ts) {
      return ts.plusMonths(months).plus(duration);
    }
    if (t instanceof Instant i) {
      return i.atOffset(java.time.ZoneOffset.UTC).plusMonths(months).plus(duration).toInstant();
    }
    throw new IllegalArgumentException("cannot add an interval to " + t);
  }
}
