package io.deltaview.engine.operator;

import java.util.List;
import java.util.Objects;

/**
 * One aggregate of an {@link AggregateOperator}: the function, the input column it reads ({@code -1} for
 * COUNT(*)) and that column's type family, which fixes the result type the way PostgreSQL does.
 *
 * <p>STRING_AGG and ARRAY_AGG also carry their {@code ORDER BY} ({@code order}, over input columns), STRING_AGG
 * its constant {@code separator}, and both the input column of their {@code FILTER} ({@code filter}, -1: none):
 * ARRAY_AGG keeps NULL elements, so a FILTER cannot become a CASE yielding NULL as it does for the others.
 */
public record AggregateSpec(Function function, int argument, ArgType argType, List<SortKey> order, String separator,
    int filter, boolean distinct) {

  /** The supported aggregate functions. */
  public enum Function { COUNT_STAR, COUNT, SUM, AVG, MIN, MAX, STRING_AGG, ARRAY_AGG, VAR_POP, VAR_SAMP, STDDEV_POP,
    STDDEV_SAMP;

    /** Whether this is one of the variance and standard deviation aggregates. */
    public boolean isStatistic() {
      return this == VAR_POP || this == VAR_SAMP || this == STDDEV_POP || this == STDDEV_SAMP;
    }

    /** Whether this aggregate concatenates its inputs in an order (STRING_AGG, ARRAY_AGG). */
    public boolean isOrdered() {
      return this == STRING_AGG || this == ARRAY_AGG;
    }
  }

  /** Type family of the aggregated column. */
  public enum ArgType {
    /** smallint, integer: SUM → bigint, AVG → numeric. */
    INT,
    /** bigint: SUM → numeric, AVG → numeric. */
    BIGINT,
    /** numeric: SUM → numeric (max input scale), AVG → numeric. */
    NUMERIC,
    /** real, double precision: SUM and AVG → double precision. */
    DOUBLE,
    /** anything else (text, dates, ...): only COUNT, MIN and MAX. */
    OTHER
  }

  public AggregateSpec {
    Objects.requireNonNull(function);
    Objects.requireNonNull(argType);
    order = List.copyOf(order);
    if ((function == Function.COUNT_STAR) != (argument < 0)) {
      throw new IllegalArgumentException("COUNT(*) and only COUNT(*) has no argument");
    }
    if ((function == Function.SUM || function == Function.AVG) && argType == ArgType.OTHER) {
      throw new IllegalArgumentException(function + " needs a numeric argument");
    }
    if (function.isStatistic() && (argType == ArgType.OTHER || argType == ArgType.DOUBLE)) {
      throw new IllegalArgumentException(function + " needs an integer or numeric argument");
    }
    if (!function.isOrdered() && (!order.isEmpty() || filter >= 0)) {
      throw new IllegalArgumentException(function + " takes no ORDER BY and no FILTER column");
    }
    if ((function == Function.STRING_AGG) != (separator != null)) {
      throw new IllegalArgumentException("STRING_AGG and only STRING_AGG has a separator");
    }
    if (distinct && !function.isOrdered()) {
      throw new IllegalArgumentException(function + " DISTINCT is planned as an aggregate over distinct values");
    }
  }

  /**
   * STRING_AGG or ARRAY_AGG: {@code order} the ORDER BY keys, {@code filter} the FILTER column or -1; not
   * DISTINCT.
   */
  public AggregateSpec(Function function, int argument, ArgType argType, List<SortKey> order, String separator,
      int filter) {
    this(function, argument, argType, order, separator, filter, false);
  }

  public AggregateSpec(Function function, int argument, ArgType argType) {
    this(function, argument, argType, List.of(), null, -1);
  }

  public static AggregateSpec countStar() {
    return new AggregateSpec(Function.COUNT_STAR, -1, ArgType.OTHER);
  }

  public static AggregateSpec of(Function function, int argument, ArgType argType) {
    return new AggregateSpec(function, argument, argType);
  }
}
