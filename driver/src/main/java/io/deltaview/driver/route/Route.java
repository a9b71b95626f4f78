package io.deltaview.driver.route;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;

/**
 * What the driver does with one statement's SQL, decided by {@link QueryRouter} at execution time.
 */
public sealed interface Route {

  /** Send {@code sql} to PostgreSQL: the application's own text, or the rewrite that reads a result table. */
  record PassThrough(String sql) implements Route {
  }

  /** A Deltaview command ({@code CREATE INCREMENTAL VIEW}, ...), run by Deltaview instead of PostgreSQL. */
  record Command(String description, CommandAction action) implements Route {
  }

  /** Runs a command on the application's (raw, unwrapped) connection. */
  @FunctionalInterface
  interface CommandAction {
    CommandResult run(Connection raw) throws SQLException;
  }

  /**
   * A command's outcome: either a result set (read from PostgreSQL, e.g. a {@code VALUES} query, so that it
   * has real metadata) or an update count.
   */
  record CommandResult(ResultSet resultSet, long updateCount) {
    public static CommandResult count(long n) {
      return new CommandResult(null, n);
    }

    public static CommandResult rows(ResultSet rs) {
      return new CommandResult(rs, -1);
    }
  }
}
