package io.deltaview.driver.jdbc;

import io.deltaview.driver.route.QueryRouter;
import java.sql.Connection;
import java.sql.SQLException;

/**
 * The one entry into the wrapper package: wraps a raw pgjdbc connection so its statements are routed.
 * For the driver and the agent; applications use {@link io.deltaview.driver.DeltaviewDriver}.
 */
public final class JdbcWrappers {

  private JdbcWrappers() {
  }

  /** Whether {@code jdbcObject} was handed out by Deltaview (and so must not be wrapped again). */
  public static boolean isWrapped(Object jdbcObject) {
    return jdbcObject instanceof DeltaviewWrapper;
  }

  /**
   * Wraps {@code raw}; the wrapper owns both {@code raw} and {@code router} and closes them with itself.
   *
   * @throws IllegalArgumentException if {@code raw} is already a Deltaview connection: wrapping twice
   *     would route every statement twice
   */
  public static Connection wrap(Connection raw, QueryRouter router) throws SQLException {
    if (isWrapped(raw)) {
      throw new IllegalArgumentException("Already a Deltaview connection: " + raw);
    }
    return new ConnectionWrapper(raw, router);
  }
}
