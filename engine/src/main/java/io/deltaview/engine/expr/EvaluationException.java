package io.deltaview.engine.expr;

import io.deltaview.sql.SqlStates;

/**
 * An error PostgreSQL would raise evaluating the same expression over the same row (a data exception such as
 * division by zero), with PostgreSQL's SQLState and message, so that a view failing on it reports what running
 * its query directly would. It is the view's data that is wrong, not Deltaview: the view fails, nothing else.
 */
public final class EvaluationException extends RuntimeException {

  private final String sqlState;

  public EvaluationException(String sqlState, String message) {
    super(message, null, false, false); // a data error, raised per bad row: no stack trace to fill
    this.sqlState = sqlState;
  }

  /** PostgreSQL's SQLState for this error. */
  public String sqlState() {
    return sqlState;
  }

  /** {@code 22012 division by zero}. */
  public static EvaluationException divisionByZero() {
    return new EvaluationException(SqlStates.DIVISION_BY_ZERO, "division by zero");
  }

  /** {@code 22003}, e.g. {@code "integer out of range"}, {@code "numeric field overflow"}. */
  public static EvaluationException outOfRange(String message) {
    return new EvaluationException(SqlStates.NUMERIC_VALUE_OUT_OF_RANGE, message);
  }

  /** {@code 22P02 invalid input syntax for type <type>: "<text>"}, as PostgreSQL's input functions say it. */
  public static EvaluationException invalidInput(String pgType, String text) {
    return new EvaluationException(SqlStates.INVALID_TEXT_REPRESENTATION,
        "invalid input syntax for type " + pgType + ": \"" + text + "\"");
  }

  @Override
  public String toString() {
    return sqlState + " " + getMessage();
  }
}
