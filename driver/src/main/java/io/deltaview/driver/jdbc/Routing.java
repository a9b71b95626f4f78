package io.deltaview.driver.jdbc;

import io.deltaview.sql.SqlStates;
import io.deltaview.driver.route.QueryRouter;
import io.deltaview.driver.route.Route;
import io.deltaview.driver.route.SessionState;
import io.deltaview.driver.route.StatementClassifier;
import io.deltaview.driver.route.StatementClassifier.Classification;
import java.sql.Connection;
import java.sql.SQLException;
import org.postgresql.PGConnection;
import org.postgresql.jdbc.AutoSave;

/**
 * The one place where a connection's statements ask the router what to run. Every execute path of every
 * statement wrapper calls {@link #route} exactly once per execution, at execution time; it also keeps
 * the connection's {@link SessionState} current with the writes and transaction control of the SQL that
 * is about to run.
 */
final class Routing {

  private final QueryRouter router;
  private final SessionState session;
  /** The pgjdbc connection underneath, asked only when a rewritten statement failed. */
  private final Connection raw;

  Routing(QueryRouter router, SessionState session, Connection raw) {
    this.router = router;
    this.session = session;
    this.raw = raw;
  }

  QueryRouter router() {
    return router;
  }

  SessionState session() {
    return session;
  }

  /**
   * Routes the application's {@code sql}. When the answer is to pass SQL through, the application's
   * statement is recorded in the session first (before it runs, so a failing write still counts).
   * Commands are Deltaview's own and are not recorded.
   */
  Route route(String sql) throws SQLException {
    Route route = router.route(sql, session);
    if (route == null) {
      throw new SQLException("Deltaview bug: router " + router.getClass().getName()
          + " returned no route for: " + sql, SqlStates.INTERNAL_ERROR);
    }
    if (route instanceof Route.PassThrough) {
      record(sql);
    }
    return route;
  }

  /** The statement just routed ran to completion; it was about to be routed at {@code startNanos}. */
  void executed(long startNanos) {
    router.executed(System.nanoTime() - startNanos);
  }

  /**
   * A rewritten statement failed. When PostgreSQL said the result table does not exist ({@code 42P01}: the view
   * was dropped by another process before this JVM noticed) or that this role may not read it ({@code 42501}:
   * privileges changed since they were last checked), tells the router, and answers whether the application's
   * own SQL may run instead: outside a transaction, or inside one when pgjdbc's {@code autosave=always} has
   * rolled the failed statement back to its savepoint (else the failure has aborted the transaction, and
   * PostgreSQL's error is the application's answer, as it would be from any failed statement).
   */
  boolean mayRunOriginalInstead(String original, String routed, SQLException failure) {
    String state = failure.getSQLState();
    if (!(SqlStates.UNDEFINED_TABLE.equals(state) || SqlStates.INSUFFICIENT_PRIVILEGE.equals(state))
        || routed.equals(original)) {
      return false;
    }
    router.rewriteFailed(original, failure);
    return !session.inTransaction() || autosavesEachStatement();
  }

  /** Whether pgjdbc wraps each statement of a transaction in a savepoint and rolls back to it on failure. */
  private boolean autosavesEachStatement() {
    try {
      return raw.isWrapperFor(PGConnection.class)
          && raw.unwrap(PGConnection.class).getAutosave() == AutoSave.ALWAYS;
    } catch (SQLException e) {
      return false;
    }
  }

  /**
   * Updates the session for {@code sql}. Outside a transaction only a {@code BEGIN} can matter, so the
   * common autocommit case costs a look at the first keyword (plus a {@code ;} scan for scripts); a session
   * that tracks its committed writes (read-your-writes) classifies every statement, since one outside a
   * transaction commits its writes at once.
   */
  void record(String sql) {
    if (!session.inTransaction() && !session.tracksCommittedWrites()) {
      if (!StatementClassifier.startsWithKeyword(sql, "begin")
          && !StatementClassifier.startsWithKeyword(sql, "start") && sql.indexOf(';') < 0) {
        return;
      }
    }
    for (Classification c : StatementClassifier.classify(sql)) {
      switch (c.kind()) {
        case BEGIN -> session.beginTransactionBlock();
        case END -> session.commitTransaction();
        case ROLLBACK -> session.endTransaction();
        case WRITE -> c.tables().forEach(session::recordWrite);
        case UNKNOWN_WRITE -> session.recordUnknownWrite();
        case READ, NEUTRAL -> {
          // nothing to remember
        }
      }
    }
  }
}
