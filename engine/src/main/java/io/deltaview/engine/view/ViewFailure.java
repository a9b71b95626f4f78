package io.deltaview.engine.view;

import io.deltaview.engine.expr.EvaluationException;
import io.deltaview.sql.SqlStates;
import java.sql.SQLException;
import java.time.DateTimeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import org.postgresql.util.PSQLException;
import org.postgresql.util.ServerErrorMessage;

/**
 * Why one view stopped being maintained, as PostgreSQL would report it: SQLState and message (what running
 * the view's query or writing its result table directly would have raised), and whether rebuilding the view
 * from a fresh snapshot later can help (a bad row may be fixed; a column whose type changed under the view
 * cannot be maintained by the plan the view has, however often it is rebuilt).
 */
public record ViewFailure(String sqlState, String message, boolean retryable) {

  public ViewFailure {
    if (sqlState == null || sqlState.length() != 5) {
      throw new IllegalArgumentException("not an SQLState: " + sqlState);
    }
    message = message == null ? "" : message;
  }

  /** A failure a later rebuild may cure. */
  public static ViewFailure retryable(String sqlState, String message) {
    return new ViewFailure(sqlState, message, true);
  }

  /** A failure only re-creating the view cures. */
  public static ViewFailure permanent(String sqlState, String message) {
    return new ViewFailure(sqlState, message, false);
  }

  /**
   * Classifies what computing or writing a view threw: PostgreSQL's errors and the engine's evaluation errors
   * keep their SQLState; Java's arithmetic and parse errors get the SQLState PostgreSQL uses for the same
   * condition; anything else is an internal error that says so (still local to the view).
   */
  public static ViewFailure of(Throwable thrown) {
    Throwable e = thrown;
    while ((e instanceof CompletionException || e instanceof ExecutionException) && e.getCause() != null) {
      e = e.getCause();
    }
    if (e instanceof EvaluationException ev) {
      return retryable(ev.sqlState(), ev.getMessage());
    }
    if (e instanceof SQLException s) {
      String state = s.getSQLState() != null && s.getSQLState().length() == 5 ? s.getSQLState() : SqlStates.INTERNAL_ERROR;
      // A view whose state does not fit in the heap would only fill it again at every rebuild, pressing on the
      // other views and the application in the same JVM: it waits for more heap and a restart, or re-creation.
      return new ViewFailure(state, serverMessage(s), !SqlStates.OUT_OF_MEMORY.equals(state));
    }
    if (e instanceof ArithmeticException a) {
      String m = String.valueOf(a.getMessage());
      return m.toLowerCase(java.util.Locale.ROOT).contains("by zero")
          ? retryable(SqlStates.DIVISION_BY_ZERO, "division by zero")
          : retryable(SqlStates.NUMERIC_VALUE_OUT_OF_RANGE, "value out of range: " + m);
    }
    if (e instanceof NumberFormatException n) {
      return retryable(SqlStates.INVALID_TEXT_REPRESENTATION, "invalid input syntax: " + n.getMessage());
    }
    if (e instanceof DateTimeException d) {
      return retryable(SqlStates.INVALID_DATETIME_FORMAT, "invalid date/time: " + d.getMessage());
    }
    if (e instanceof OutOfMemoryError) {
      return permanent(SqlStates.OUT_OF_MEMORY, "out of memory maintaining the view");
    }
    return retryable(SqlStates.INTERNAL_ERROR, "Deltaview internal error maintaining the view: " + e);
  }

  /** PostgreSQL's own message (without pgjdbc's "ERROR: " prefix and detail lines) when the server sent one. */
  private static String serverMessage(SQLException s) {
    if (s instanceof PSQLException p) {
      ServerErrorMessage m = p.getServerErrorMessage();
      if (m != null && m.getMessage() != null) {
        return m.getMessage();
      }
    }
    return s.getMessage();
  }

  /** As an exception for a caller waiting on the view (e.g. {@code CREATE INCREMENTAL VIEW}). */
  public SQLException toSqlException() {
    return new SQLException(message, sqlState);
  }

  @Override
  public String toString() {
    return sqlState + " " + message;
  }
}
