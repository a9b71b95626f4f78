package io.deltaview.engine.view;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.expr.EvaluationException;
import java.sql.SQLException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** What a view failure says for each kind of error a view's computation or write can throw. */
class ViewFailureTest {

  @Test
  void evaluationErrorsAndSqlErrorsKeepTheirSqlState() {
    assertEquals(ViewFailure.retryable("22012", "division by zero"),
        ViewFailure.of(EvaluationException.divisionByZero()));
    assertEquals(ViewFailure.retryable("23514", "check violated"),
        ViewFailure.of(new SQLException("check violated", "23514")));
    assertEquals(ViewFailure.retryable("22012", "division by zero"),
        ViewFailure.of(new CompletionException(EvaluationException.divisionByZero())), "unwrapped");
  }

  @Test
  void javaErrorsGetPostgresqlsSqlStateForTheSameCondition() {
    assertEquals("22012", ViewFailure.of(new ArithmeticException("/ by zero")).sqlState());
    assertEquals("22003", ViewFailure.of(new ArithmeticException("long overflow")).sqlState());
    assertEquals("22P02", ViewFailure.of(new NumberFormatException("For input string: \"1.5\"")).sqlState());
    assertEquals("22007", ViewFailure.of(new java.time.format.DateTimeParseException("bad", "x", 0)).sqlState());
  }

  @Test
  void anythingElseIsAnInternalErrorThatSaysSo() {
    ViewFailure f = ViewFailure.of(new IllegalStateException("negative row count in group"));
    assertEquals("XX000", f.sqlState());
    assertTrue(f.message().startsWith("Deltaview internal error"), f.message());
    assertTrue(f.message().contains("negative row count"), f.message());
    assertTrue(f.retryable(), "a rebuild from a snapshot starts from fresh operator state");
  }

  @Test
  void runningOutOfHeapIsNotRetried() {
    ViewFailure oom = ViewFailure.of(new OutOfMemoryError("Java heap space"));
    assertEquals("53200", oom.sqlState());
    assertFalse(oom.retryable(), "a rebuild would fill the heap again");
    ViewFailure load = ViewFailure.of(new java.sql.SQLException("out of memory loading view v", "53200"));
    assertFalse(load.retryable());
    assertTrue(ViewFailure.of(new java.sql.SQLException("division by zero", "22012")).retryable());
  }
}
