package io.deltaview.driver.jdbc;

import io.deltaview.sql.SqlStates;
import io.deltaview.driver.route.Route;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.SQLWarning;
import io.deltaview.driver.DeltaviewStatement;
import io.deltaview.driver.route.QueryRouter;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;

/**
 * What the statement wrappers share: the current result when it came from a Deltaview command instead of
 * PostgreSQL, wrapping of result sets, and statement settings. {@link #current()} is the raw statement
 * that ran last (or would run next); settings go through {@link #configure} so that a wrapper holding
 * several raw statements applies them to all.
 */
abstract class AbstractStatementWrapper<S extends Statement> implements Statement, DeltaviewWrapper,
    DeltaviewStatement {

  /** What an execute path returns, which decides how a command's result is checked and reported. */
  enum Expect { EXECUTE, QUERY, UPDATE, LARGE_UPDATE }

  /** One execution of routed SQL on a raw statement. */
  @FunctionalInterface
  interface RawCall<T> {
    Object run(T raw, String sql) throws SQLException;
  }

  /** A statement setting, applied to each raw statement the wrapper owns. */
  @FunctionalInterface
  interface Setting {
    void apply(Statement raw) throws SQLException;
  }

  /** Marks a command result that {@link #getMoreResults()} has moved past. */
  private static final Route.CommandResult NO_MORE_RESULTS = Route.CommandResult.count(-1);

  final ConnectionWrapper connection;
  /** How the last execution was routed; see {@link DeltaviewStatement}. */
  private String servedBy;
  private String passReason;
  /** Non-null while the current result is a command's rather than the raw statement's. */
  private Route.CommandResult commandResult;
  private String commandDescription;
  /** Command result sets the application kept open with {@code KEEP_CURRENT_RESULT}; null if none. */
  private List<ResultSet> keptCommandResults;
  private ResultSet lastRawResultSet;
  private ResultSetWrapper lastWrappedResultSet;

  AbstractStatementWrapper(ConnectionWrapper connection) {
    this.connection = connection;
  }

  /** The raw statement that holds the current result and state. */
  abstract S current() throws SQLException;

  /** Applies {@code setting} to every raw statement this wrapper owns now or later. */
  abstract void configure(Setting setting) throws SQLException;

  /** Routes {@code sql} for an execution of this statement, and remembers how ({@link DeltaviewStatement}). */
  final Route route(String sql) throws SQLException {
    servedBy = null;
    passReason = null;
    Route route = connection.routing().route(sql);
    QueryRouter router = connection.routing().router();
    servedBy = router.lastServedBy();
    passReason = router.lastPassReason();
    return route;
  }

  @Override
  public String servedBy() {
    return servedBy;
  }

  @Override
  public String passReason() {
    return passReason;
  }

  /** Starts an execution: a previous command's result is closed, as JDBC closes the current result set. */
  final void beginExecution() throws SQLException {
    closeCommandResult();
  }

  /**
   * Runs {@code command} for an execute path and makes its result this statement's current result.
   * Checks the result's shape the way pgjdbc checks PostgreSQL's.
   */
  final Object runCommand(Route.Command command, Expect expect) throws SQLException {
    Route.CommandResult result = command.action().run(connection.raw());
    if (result == null) {
      throw new SQLException("Deltaview bug: command " + command.description() + " returned no result",
          SqlStates.INTERNAL_ERROR);
    }
    commandResult = result;
    commandDescription = command.description();
    ResultSet rs = result.resultSet();
    switch (expect) {
      case EXECUTE:
        return rs != null;
      case QUERY:
        if (rs == null) {
          throw new SQLException("No results were returned by the query.", SqlStates.NO_DATA);
        }
        return wrap(rs);
      case UPDATE:
      case LARGE_UPDATE:
        if (rs != null) {
          closeCommandResult();
          throw new SQLException("A result was returned when none was expected.",
              SqlStates.TOO_MANY_RESULTS);
        }
        return expect == Expect.UPDATE ? (Object) toInt(result.updateCount()) : (Object) result.updateCount();
      default:
        throw new AssertionError(expect);
    }
  }

  /** Closes the current command result, if any. */
  final void closeCommandResult() throws SQLException {
    Route.CommandResult result = commandResult;
    commandResult = null;
    commandDescription = null;
    if (result != null && result.resultSet() != null) {
      closeWithStatement(result.resultSet());
    }
  }

  /** Closes what commands left open: the current result and any kept with {@code KEEP_CURRENT_RESULT}. */
  final void closeCommandResults() throws SQLException {
    List<ResultSet> kept = keptCommandResults;
    keptCommandResults = null;
    try {
      closeCommandResult();
    } finally {
      if (kept != null) {
        for (ResultSet rs : kept) {
          closeWithStatement(rs);
        }
      }
    }
  }

  /**
   * Closes a command's result set and the raw statement it came from: the command created that statement
   * only to produce this result, and nothing else would close it.
   */
  private static void closeWithStatement(ResultSet rs) throws SQLException {
    Statement owner = rs.isClosed() ? null : rs.getStatement();
    try {
      rs.close();
    } finally {
      if (owner != null && !(owner instanceof DeltaviewWrapper)) {
        owner.close();
      }
    }
  }

  /** Wraps a raw result set of this statement, returning the same wrapper for the same raw result set. */
  final ResultSet wrap(ResultSet raw) {
    if (raw == null) {
      return null;
    }
    if (raw != lastRawResultSet) {
      lastRawResultSet = raw;
      lastWrappedResultSet = new ResultSetWrapper(raw, this);
    }
    return lastWrappedResultSet;
  }

  private static int toInt(long count) {
    return count > Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) count;
  }

  // ---- results: from the command if one ran last, else from PostgreSQL ----

  @Override
  public ResultSet getResultSet() throws SQLException {
    if (commandResult != null) {
      return wrap(commandResult.resultSet());
    }
    return wrap(current().getResultSet());
  }

  @Override
  public int getUpdateCount() throws SQLException {
    if (commandResult != null) {
      return commandResult.resultSet() != null ? -1 : toInt(commandResult.updateCount());
    }
    return current().getUpdateCount();
  }

  @Override
  public long getLargeUpdateCount() throws SQLException {
    if (commandResult != null) {
      return commandResult.resultSet() != null ? -1 : commandResult.updateCount();
    }
    return current().getLargeUpdateCount();
  }

  @Override
  public boolean getMoreResults() throws SQLException {
    return getMoreResults(CLOSE_CURRENT_RESULT);
  }

  /** A command has exactly one result, so there are never more. */
  @Override
  public boolean getMoreResults(int current) throws SQLException {
    if (commandResult == null) {
      return current().getMoreResults(current);
    }
    if (current == KEEP_CURRENT_RESULT) {
      if (commandResult.resultSet() != null) {
        if (keptCommandResults == null) {
          keptCommandResults = new ArrayList<>(1);
        }
        keptCommandResults.add(commandResult.resultSet()); // open until the statement closes
      }
      commandResult = NO_MORE_RESULTS;
    } else {
      String description = commandDescription;
      closeCommandResult();
      commandResult = NO_MORE_RESULTS;
      commandDescription = description;
    }
    return false;
  }

  @Override
  public ResultSet getGeneratedKeys() throws SQLException {
    if (commandResult != null) {
      throw new SQLException("getGeneratedKeys() is not available after the Deltaview command "
          + commandDescription, SqlStates.FEATURE_NOT_SUPPORTED);
    }
    return wrap(current().getGeneratedKeys());
  }

  /** The wrapping connection, never the raw one. */
  @Override
  public Connection getConnection() {
    return connection;
  }

  @Override
  public <T> T unwrap(Class<T> iface) throws SQLException {
    return iface.isInstance(this) ? iface.cast(this) : current().unwrap(iface);
  }

  @Override
  public boolean isWrapperFor(Class<?> iface) throws SQLException {
    return iface.isInstance(this) || current().isWrapperFor(iface);
  }

  // ---- settings ----

  @Override
  public void setMaxFieldSize(int max) throws SQLException {
    configure(s -> s.setMaxFieldSize(max));
  }

  @Override
  public void setMaxRows(int max) throws SQLException {
    configure(s -> s.setMaxRows(max));
  }

  @Override
  public void setEscapeProcessing(boolean enable) throws SQLException {
    configure(s -> s.setEscapeProcessing(enable));
  }

  @Override
  public void setQueryTimeout(int seconds) throws SQLException {
    configure(s -> s.setQueryTimeout(seconds));
  }

  @Override
  public void setCursorName(String name) throws SQLException {
    configure(s -> s.setCursorName(name));
  }

  @Override
  public void setFetchDirection(int direction) throws SQLException {
    configure(s -> s.setFetchDirection(direction));
  }

  @Override
  public void setFetchSize(int rows) throws SQLException {
    configure(s -> s.setFetchSize(rows));
  }

  @Override
  public void setPoolable(boolean poolable) throws SQLException {
    configure(s -> s.setPoolable(poolable));
  }

  @Override
  public void closeOnCompletion() throws SQLException {
    configure(s -> s.closeOnCompletion());
  }

  @Override
  public void setLargeMaxRows(long max) throws SQLException {
    configure(s -> s.setLargeMaxRows(max));
  }

  // ---- plain delegation to the current raw statement ----


  @Override
  public int getMaxFieldSize() throws SQLException {
    return current().getMaxFieldSize();
  }

  @Override
  public int getMaxRows() throws SQLException {
    return current().getMaxRows();
  }

  @Override
  public int getQueryTimeout() throws SQLException {
    return current().getQueryTimeout();
  }

  @Override
  public void cancel() throws SQLException {
    current().cancel();
  }

  @Override
  public SQLWarning getWarnings() throws SQLException {
    return current().getWarnings();
  }

  @Override
  public void clearWarnings() throws SQLException {
    current().clearWarnings();
  }

  @Override
  public int getFetchDirection() throws SQLException {
    return current().getFetchDirection();
  }

  @Override
  public int getFetchSize() throws SQLException {
    return current().getFetchSize();
  }

  @Override
  public int getResultSetConcurrency() throws SQLException {
    return current().getResultSetConcurrency();
  }

  @Override
  public int getResultSetType() throws SQLException {
    return current().getResultSetType();
  }

  @Override
  public int getResultSetHoldability() throws SQLException {
    return current().getResultSetHoldability();
  }

  @Override
  public boolean isPoolable() throws SQLException {
    return current().isPoolable();
  }

  @Override
  public boolean isCloseOnCompletion() throws SQLException {
    return current().isCloseOnCompletion();
  }

  @Override
  public long getLargeMaxRows() throws SQLException {
    return current().getLargeMaxRows();
  }

  @Override
  public String enquoteLiteral(String val) throws SQLException {
    return current().enquoteLiteral(val);
  }

  @Override
  public String enquoteIdentifier(String identifier, boolean alwaysQuote) throws SQLException {
    return current().enquoteIdentifier(identifier, alwaysQuote);
  }

  @Override
  public boolean isSimpleIdentifier(String identifier) throws SQLException {
    return current().isSimpleIdentifier(identifier);
  }

  @Override
  public String enquoteNCharLiteral(String val) throws SQLException {
    return current().enquoteNCharLiteral(val);
  }
}
