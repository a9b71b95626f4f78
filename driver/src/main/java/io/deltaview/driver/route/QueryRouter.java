package io.deltaview.driver.route;

import java.sql.SQLException;

/**
 * The single place that decides, for each execution, whether SQL passes through, is rewritten to read a
 * view's result table, or is a Deltaview command. Every {@code execute*} of every wrapper calls it.
 */
public interface QueryRouter {

  /**
   * Routes {@code sql} executed on a connection whose transaction state is {@code session}.
   * Must be cheap for repeated SQL (a cache lookup) and must never throw for SQL it merely cannot
   * rewrite: that passes through.
   */
  Route route(String sql, SessionState session) throws SQLException;

  /**
   * A rewrite of {@code sql} failed with {@code failure} because a table it reads is gone ({@code 42P01}: its
   * view was dropped elsewhere) or may not be read by this role ({@code 42501}): the router should stop using
   * that view (for this role).
   */
  /** The view that answers the statement this router routed last; null if it passes through or is a command. */
  default String lastServedBy() {
    return null;
  }

  /** Why the query this router routed last passes through; null if it is served, or is not a query. */
  default String lastPassReason() {
    return null;
  }

  /**
   * The statement last routed on this connection ran to completion in {@code elapsedNanos}, routing included:
   * for the statistics of its query's shape. Not called for commands, nor for statements that failed.
   */
  default void executed(long elapsedNanos) {
  }

  default void rewriteFailed(String sql, SQLException failure) {
  }

  /**
   * Whether the connection's sessions must remember their committed writes and where in the WAL they end
   * ({@link SessionState#trackCommittedWrites}), for read-your-writes reads; asked once per connection.
   */
  default boolean tracksCommittedWrites() {
    return false;
  }

  /** Called once when the owning connection closes. */
  default void connectionClosed(SessionState session) {
  }
}
