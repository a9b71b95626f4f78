package io.deltaview.driver;

import java.util.Locale;

/**
 * The consistency one read is served with: a {@link DeltaviewOptions.Consistency kind} and, for
 * {@code bounded}, the staleness it accepts. Written as {@code deltaview.consistency} and in a query's
 * {@code incremental(consistency=…)} hint: {@code eventual}, {@code strong}, {@code read-your-writes} or
 * {@code bounded(<ms>)}. Immutable; the kinds without a bound are shared constants, so choosing one per query
 * allocates nothing.
 */
public final class ReadConsistency {

  /** A mark that names no consistency: the connection's own applies. */
  public static final ReadConsistency DEFAULT = new ReadConsistency(null, 0);
  public static final ReadConsistency EVENTUAL = new ReadConsistency(DeltaviewOptions.Consistency.EVENTUAL, 0);
  public static final ReadConsistency STRONG = new ReadConsistency(DeltaviewOptions.Consistency.STRONG, 0);
  public static final ReadConsistency READ_YOUR_WRITES =
      new ReadConsistency(DeltaviewOptions.Consistency.READ_YOUR_WRITES, 0);

  /** How {@code bounded} is written, for messages. */
  public static final String BOUNDED_SPELLING = "bounded(<ms>)";
  /** More digits than this could overflow a {@code long}; no useful bound needs them. */
  private static final int MAX_BOUND_DIGITS = 18;
  private static final ReadConsistency[] UNBOUNDED = {EVENTUAL, STRONG, READ_YOUR_WRITES};

  private final DeltaviewOptions.Consistency kind;
  private final long boundMs;
  /** How it is written, made once. */
  private final String spelling;

  private ReadConsistency(DeltaviewOptions.Consistency kind, long boundMs) {
    this.kind = kind;
    this.boundMs = boundMs;
    if (kind == null) {
      spelling = "default";
    } else {
      String name = kind.name().toLowerCase(Locale.ROOT).replace('_', '-');
      spelling = kind == DeltaviewOptions.Consistency.BOUNDED ? name + "(" + boundMs + ")" : name;
    }
  }

  /** {@code bounded(boundMs)}: served only while the views are at most {@code boundMs} behind the source. */
  public static ReadConsistency bounded(long boundMs) {
    if (boundMs < 0) {
      throw new IllegalArgumentException("a staleness bound must be >= 0 ms: " + boundMs);
    }
    return new ReadConsistency(DeltaviewOptions.Consistency.BOUNDED, boundMs);
  }

  /**
   * The consistency {@code value} spells (any case, blanks around it and inside {@code bounded( 500 )}
   * allowed), or null when it spells none: a caller that cannot tell what was asked for must not guess.
   */
  public static ReadConsistency parse(String value) {
    String v = value.strip();
    for (ReadConsistency c : UNBOUNDED) {
      if (c.spelling.equalsIgnoreCase(v)) {
        return c;
      }
    }
    String kind = "bounded";
    if (!v.regionMatches(true, 0, kind, 0, kind.length())) {
      return null;
    }
    String rest = v.substring(kind.length()).strip();
    if (rest.length() < 3 || rest.charAt(0) != '(' || rest.charAt(rest.length() - 1) != ')') {
      return null;
    }
    String digits = rest.substring(1, rest.length() - 1).strip();
    if (digits.isEmpty() || digits.length() > MAX_BOUND_DIGITS) {
      return null;
    }
    for (int i = 0; i < digits.length(); i++) {
      if (digits.charAt(i) < '0' || digits.charAt(i) > '9') {
        return null;
      }
    }
    return bounded(Long.parseLong(digits));
  }

  /** The kind; null for {@link #DEFAULT}. */
  public DeltaviewOptions.Consistency kind() {
    return kind;
  }

  /** For {@code bounded}: the most staleness, in milliseconds, a served answer may have; else 0. */
  public long boundMs() {
    return boundMs;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ReadConsistency other && kind == other.kind && boundMs == other.boundMs;
  }

  @Override
  public int hashCode() {
    return (kind == null ? 0 : kind.hashCode()) * 31 + Long.hashCode(boundMs);
  }

  /** As it is written in an option or hint: {@code strong}, {@code bounded(500)}; {@code default}. */
  @Override
  public String toString() {
    return spelling;
  }
}
