package io.deltaview.engine.operator;

import java.util.Objects;

/**
 * One aggregate of an {@link AggregateOperator}: the function, the input column it reads ({@code -1} for
 * COUNT(*)) and that column's type family, which fixes the result type the way PostgreSQL does.
 */
public record AggregateSpec(Function function, int argument, ArgType argType) {

  /** The supported aggregate functions. */
  public enum Function { COUNT_STAR, COUNT, SUM, AVG, MIN, MAX }

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
    if ((function == Function.COUNT_STAR) != (argument < 0)) {
      throw new IllegalArgumentException("COUNT(*) and only COUNT(*) has no argument");
    }
    if ((function == Function.SUM || function == Function.AVG) && argType == ArgType.OTHER) {
      throw new IllegalArgumentException(function + " needs a numeric argument");
    }
  }

  public static AggregateSpec countStar() {
    return new AggregateSpec(Function.COUNT_STAR, -1, ArgType.OTHER);
  }

  public static AggregateSpec of(Function function, int argument, ArgType argType) {
    return new AggregateSpec(function, argument, argType);
  }
}
