package io.deltaview.driver.jdbc;

import io.deltaview.sql.SqlStates;
import io.deltaview.driver.route.Route;
import java.io.InputStream;
import java.io.Reader;
import java.math.BigDecimal;
import java.net.URL;
import java.sql.Array;
import java.sql.Blob;
import java.sql.Clob;
import java.sql.Date;
import java.sql.NClob;
import java.sql.ParameterMetaData;
import java.sql.PreparedStatement;
import java.sql.Ref;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.RowId;
import java.sql.SQLException;
import java.sql.SQLType;
import java.sql.SQLXML;
import java.sql.Time;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Calendar;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A prepared statement whose SQL is routed at each execution, so one application statement may run as
 * different SQL (its rewrite, or the original while the transaction has written the view's tables).
 *
 * <p>Invariants: there is at most one raw statement per distinct routed SQL, prepared lazily except the
 * original, which is prepared up front so that pgjdbc reports bad SQL or bad parameter indexes where it
 * normally would. Parameters set by the application go straight to {@code bound}, the raw statement that
 * ran last, and are also recorded; only when an execution picks a different raw statement are the
 * recorded parameters replayed onto it. So the common case (the same routed SQL every time) pays one
 * small object per parameter and no replay. Routed SQL must take the same parameters in the same order.
 */
class PreparedStatementWrapper extends AbstractStatementWrapper<PreparedStatement>
    implements PreparedStatement {

  /** Prepares raw statements exactly as the application asked (same keys/type/concurrency/holdability). */
  @FunctionalInterface
  interface Preparer {
    PreparedStatement prepare(String sql) throws SQLException;
  }

  /** One recorded {@code setXxx} / {@code registerOutParameter} call, replayable on any raw statement. */
  @FunctionalInterface
  interface Binding {
    void apply(PreparedStatement raw) throws SQLException;
  }

  private final String sql;
  private final Preparer preparer;
  private final PreparedStatement original;
  /** Raw statements for routed SQL other than the original; null until the router first rewrites. */
  private Map<String, PreparedStatement> rerouted;
  private PreparedStatement bound;
  /** Recorded parameters by index - 1. */
  private Binding[] parameters = new Binding[8];
  /** Recorded OUT registrations (by index) and named bindings of callable statements; null until used. */
  private Map<Object, Binding> otherBindings;
  /** Settings replayed onto raw statements prepared later; null until the application changes one. */
  private List<Setting> settings;
  private boolean closed;

  PreparedStatementWrapper(ConnectionWrapper connection, String sql, Preparer preparer) throws SQLException {
    super(connection);
    this.sql = sql;
    this.preparer = preparer;
    this.original = preparer.prepare(sql);
    this.bound = original;
  }

  @Override
  final PreparedStatement current() {
    return bound;
  }

  @Override
  final void configure(Setting setting) throws SQLException {
    setting.apply(original);
    if (rerouted != null) {
      for (PreparedStatement raw : rerouted.values()) {
        setting.apply(raw);
      }
    }
    if (settings == null) {
      settings = new ArrayList<>(2);
    }
    settings.add(setting);
  }

  // ---- parameters: applied to the bound raw statement and recorded for replay ----

  /** Applies then records, so a call pgjdbc rejects (a bad index) is reported now and not recorded. */
  final void bind(int parameterIndex, Binding binding) throws SQLException {
    binding.apply(bound);
    if (parameterIndex >= 1) {
      if (parameterIndex > parameters.length) {
        parameters = Arrays.copyOf(parameters, Math.max(parameterIndex, parameters.length * 2));
      }
      parameters[parameterIndex - 1] = binding;
    }
  }

  final void bindOut(int parameterIndex, Binding binding) throws SQLException {
    binding.apply(bound);
    others().put(parameterIndex, binding);
  }

  final void bindNamed(String key, Binding binding) throws SQLException {
    binding.apply(bound);
    others().put(key, binding);
  }

  private Map<Object, Binding> others() {
    if (otherBindings == null) {
      otherBindings = new LinkedHashMap<>();
    }
    return otherBindings;
  }

  /** Makes {@code target} the bound raw statement, replaying every recorded parameter onto it. */
  private void bindTo(PreparedStatement target) throws SQLException {
    if (target == bound) {
      return;
    }
    for (Binding b : parameters) {
      if (b != null) {
        b.apply(target);
      }
    }
    if (otherBindings != null) {
      for (Binding b : otherBindings.values()) {
        b.apply(target);
      }
    }
    bound = target;
  }

  @Override
  public void clearParameters() throws SQLException {
    Arrays.fill(parameters, null);
    otherBindings = null;
    original.clearParameters();
    if (rerouted != null) {
      for (PreparedStatement raw : rerouted.values()) {
        raw.clearParameters();
      }
    }
  }

  // ---- execution: routed each time, run on the raw statement of the routed SQL ----

  /** The raw statement for {@code routedSql}, prepared on first use with the application's settings. */
  private PreparedStatement rawFor(String routedSql) throws SQLException {
    if (routedSql == sql || routedSql.equals(sql)) {
      return original;
    }
    if (rerouted == null) {
      rerouted = new HashMap<>(4);
    }
    PreparedStatement raw = rerouted.get(routedSql);
    if (raw == null) {
      raw = preparer.prepare(routedSql);
      rerouted.put(routedSql, raw);
      if (settings != null) {
        for (Setting s : settings) {
          s.apply(raw);
        }
      }
    }
    return raw;
  }

  private void checkOpen() throws SQLException {
    if (closed) {
      throw new SQLException("This statement has been closed.",
          SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
  }

  /** The routing helper of every execute path of a prepared statement. */
  private Object run(Expect expect, RawCall<PreparedStatement> call) throws SQLException {
    checkOpen();
    beginExecution();
    long start = System.nanoTime();
    Route route = route(sql);
    if (route instanceof Route.PassThrough passThrough) {
      PreparedStatement target = rawFor(passThrough.sql());
      bindTo(target);
      Object result;
      try {
        result = call.run(target, passThrough.sql());
      } catch (SQLException e) {
        if (!connection.routing().mayRunOriginalInstead(sql, passThrough.sql(), e)) {
          throw e;
        }
        PreparedStatement original = rawFor(sql);
        bindTo(original);
        result = call.run(original, sql);
      }
      connection.routing().executed(start);
      return result;
    }
    return runCommand((Route.Command) route, expect);
  }

  @Override
  public ResultSet executeQuery() throws SQLException {
    return (ResultSet) run(Expect.QUERY, (ps, routed) -> wrap(ps.executeQuery()));
  }

  @Override
  public int executeUpdate() throws SQLException {
    return (Integer) run(Expect.UPDATE, (ps, routed) -> ps.executeUpdate());
  }

  @Override
  public long executeLargeUpdate() throws SQLException {
    return (Long) run(Expect.LARGE_UPDATE, (ps, routed) -> ps.executeLargeUpdate());
  }

  @Override
  public boolean execute() throws SQLException {
    return (Boolean) run(Expect.EXECUTE, (ps, routed) -> ps.execute());
  }

  // ---- batches: always the original SQL (batches are writes; rewriting them buys nothing) ----

  @Override
  public void addBatch() throws SQLException {
    checkOpen();
    bindTo(original);
    original.addBatch();
  }

  @Override
  public void clearBatch() throws SQLException {
    original.clearBatch();
  }

  @Override
  public int[] executeBatch() throws SQLException {
    routeBatch();
    return original.executeBatch();
  }

  @Override
  public long[] executeLargeBatch() throws SQLException {
    routeBatch();
    return original.executeLargeBatch();
  }

  /** Routes once, for the session bookkeeping and to refuse commands; a rewrite is ignored. */
  private void routeBatch() throws SQLException {
    checkOpen();
    beginExecution();
    Route route = route(sql);
    if (route instanceof Route.Command command) {
      original.clearBatch();
      throw new SQLException("The Deltaview command " + command.description()
          + " cannot run in a batch; execute it on its own", SqlStates.FEATURE_NOT_SUPPORTED);
    }
    bound = original;
  }

  // ---- Statement's SQL-taking methods: pgjdbc refuses them on a prepared statement, and so do we ----

  @Override
  public ResultSet executeQuery(String sql) throws SQLException {
    return wrap(current().executeQuery(sql));
  }

  @Override
  public int executeUpdate(String sql) throws SQLException {
    return current().executeUpdate(sql);
  }

  @Override
  public int executeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
    return current().executeUpdate(sql, autoGeneratedKeys);
  }

  @Override
  public int executeUpdate(String sql, int[] columnIndexes) throws SQLException {
    return current().executeUpdate(sql, columnIndexes);
  }

  @Override
  public int executeUpdate(String sql, String[] columnNames) throws SQLException {
    return current().executeUpdate(sql, columnNames);
  }

  @Override
  public long executeLargeUpdate(String sql) throws SQLException {
    return current().executeLargeUpdate(sql);
  }

  @Override
  public long executeLargeUpdate(String sql, int autoGeneratedKeys) throws SQLException {
    return current().executeLargeUpdate(sql, autoGeneratedKeys);
  }

  @Override
  public long executeLargeUpdate(String sql, int[] columnIndexes) throws SQLException {
    return current().executeLargeUpdate(sql, columnIndexes);
  }

  @Override
  public long executeLargeUpdate(String sql, String[] columnNames) throws SQLException {
    return current().executeLargeUpdate(sql, columnNames);
  }

  @Override
  public boolean execute(String sql) throws SQLException {
    return current().execute(sql);
  }

  @Override
  public boolean execute(String sql, int autoGeneratedKeys) throws SQLException {
    return current().execute(sql, autoGeneratedKeys);
  }

  @Override
  public boolean execute(String sql, int[] columnIndexes) throws SQLException {
    return current().execute(sql, columnIndexes);
  }

  @Override
  public boolean execute(String sql, String[] columnNames) throws SQLException {
    return current().execute(sql, columnNames);
  }

  @Override
  public void addBatch(String sql) throws SQLException {
    current().addBatch(sql);
  }

  // ---- lifecycle ----

  /** Closes every raw statement; the first failure is thrown, later ones are attached as suppressed. */
  @Override
  public void close() throws SQLException {
    if (closed) {
      return;
    }
    closed = true;
    SQLException failure = null;
    List<AutoCloseableSql> toClose = new ArrayList<>();
    toClose.add(this::closeCommandResults);
    toClose.add(original::close);
    if (rerouted != null) {
      for (PreparedStatement raw : rerouted.values()) {
        toClose.add(raw::close);
      }
    }
    for (AutoCloseableSql c : toClose) {
      try {
        c.close();
      } catch (SQLException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  @FunctionalInterface
  private interface AutoCloseableSql {
    void close() throws SQLException;
  }

  @Override
  public boolean isClosed() {
    return closed;
  }

  @Override
  public String toString() {
    return bound.toString();
  }

  // ---- parameter setters (recorded) and plain delegation ----


  @Override
  public void setNull(int parameterIndex, int sqlType) throws SQLException {
    bind(parameterIndex, ps -> ps.setNull(parameterIndex, sqlType));
  }

  @Override
  public void setBoolean(int parameterIndex, boolean x) throws SQLException {
    bind(parameterIndex, ps -> ps.setBoolean(parameterIndex, x));
  }

  @Override
  public void setByte(int parameterIndex, byte x) throws SQLException {
    bind(parameterIndex, ps -> ps.setByte(parameterIndex, x));
  }

  @Override
  public void setShort(int parameterIndex, short x) throws SQLException {
    bind(parameterIndex, ps -> ps.setShort(parameterIndex, x));
  }

  @Override
  public void setInt(int parameterIndex, int x) throws SQLException {
    bind(parameterIndex, ps -> ps.setInt(parameterIndex, x));
  }

  @Override
  public void setLong(int parameterIndex, long x) throws SQLException {
    bind(parameterIndex, ps -> ps.setLong(parameterIndex, x));
  }

  @Override
  public void setFloat(int parameterIndex, float x) throws SQLException {
    bind(parameterIndex, ps -> ps.setFloat(parameterIndex, x));
  }

  @Override
  public void setDouble(int parameterIndex, double x) throws SQLException {
    bind(parameterIndex, ps -> ps.setDouble(parameterIndex, x));
  }

  @Override
  public void setBigDecimal(int parameterIndex, BigDecimal x) throws SQLException {
    bind(parameterIndex, ps -> ps.setBigDecimal(parameterIndex, x));
  }

  @Override
  public void setString(int parameterIndex, String x) throws SQLException {
    bind(parameterIndex, ps -> ps.setString(parameterIndex, x));
  }

  @Override
  public void setBytes(int parameterIndex, byte[] x) throws SQLException {
    bind(parameterIndex, ps -> ps.setBytes(parameterIndex, x));
  }

  @Override
  public void setDate(int parameterIndex, Date x) throws SQLException {
    bind(parameterIndex, ps -> ps.setDate(parameterIndex, x));
  }

  @Override
  public void setTime(int parameterIndex, Time x) throws SQLException {
    bind(parameterIndex, ps -> ps.setTime(parameterIndex, x));
  }

  @Override
  public void setTimestamp(int parameterIndex, Timestamp x) throws SQLException {
    bind(parameterIndex, ps -> ps.setTimestamp(parameterIndex, x));
  }

  @Override
  public void setAsciiStream(int parameterIndex, InputStream x, int length) throws SQLException {
    bind(parameterIndex, ps -> ps.setAsciiStream(parameterIndex, x, length));
  }

  @Override
  @Deprecated
  public void setUnicodeStream(int parameterIndex, InputStream x, int length) throws SQLException {
    bind(parameterIndex, ps -> ps.setUnicodeStream(parameterIndex, x, length));
  }

  @Override
  public void setBinaryStream(int parameterIndex, InputStream x, int length) throws SQLException {
    bind(parameterIndex, ps -> ps.setBinaryStream(parameterIndex, x, length));
  }

  @Override
  public void setObject(int parameterIndex, Object x, int targetSqlType) throws SQLException {
    bind(parameterIndex, ps -> ps.setObject(parameterIndex, x, targetSqlType));
  }

  @Override
  public void setObject(int parameterIndex, Object x) throws SQLException {
    bind(parameterIndex, ps -> ps.setObject(parameterIndex, x));
  }

  @Override
  public void setCharacterStream(int parameterIndex, Reader x, int length) throws SQLException {
    bind(parameterIndex, ps -> ps.setCharacterStream(parameterIndex, x, length));
  }

  @Override
  public void setRef(int parameterIndex, Ref x) throws SQLException {
    bind(parameterIndex, ps -> ps.setRef(parameterIndex, x));
  }

  @Override
  public void setBlob(int parameterIndex, Blob x) throws SQLException {
    bind(parameterIndex, ps -> ps.setBlob(parameterIndex, x));
  }

  @Override
  public void setClob(int parameterIndex, Clob x) throws SQLException {
    bind(parameterIndex, ps -> ps.setClob(parameterIndex, x));
  }

  @Override
  public void setArray(int parameterIndex, Array x) throws SQLException {
    bind(parameterIndex, ps -> ps.setArray(parameterIndex, x));
  }

  @Override
  public ResultSetMetaData getMetaData() throws SQLException {
    return current().getMetaData();
  }

  @Override
  public void setDate(int parameterIndex, Date d, Calendar cal) throws SQLException {
    bind(parameterIndex, ps -> ps.setDate(parameterIndex, d, cal));
  }

  @Override
  public void setTime(int parameterIndex, Time t, Calendar cal) throws SQLException {
    bind(parameterIndex, ps -> ps.setTime(parameterIndex, t, cal));
  }

  @Override
  public void setTimestamp(int parameterIndex, Timestamp t, Calendar cal) throws SQLException {
    bind(parameterIndex, ps -> ps.setTimestamp(parameterIndex, t, cal));
  }

  @Override
  public void setNull(int parameterIndex, int t, String typeName) throws SQLException {
    bind(parameterIndex, ps -> ps.setNull(parameterIndex, t, typeName));
  }

  @Override
  public void setURL(int parameterIndex, URL x) throws SQLException {
    bind(parameterIndex, ps -> ps.setURL(parameterIndex, x));
  }

  @Override
  public ParameterMetaData getParameterMetaData() throws SQLException {
    return current().getParameterMetaData();
  }

  @Override
  public void setRowId(int parameterIndex, RowId x) throws SQLException {
    bind(parameterIndex, ps -> ps.setRowId(parameterIndex, x));
  }

  @Override
  public void setNString(int parameterIndex, String value) throws SQLException {
    bind(parameterIndex, ps -> ps.setNString(parameterIndex, value));
  }

  @Override
  public void setNCharacterStream(int parameterIndex, Reader value, long length) throws SQLException {
    bind(parameterIndex, ps -> ps.setNCharacterStream(parameterIndex, value, length));
  }

  @Override
  public void setNClob(int parameterIndex, NClob value) throws SQLException {
    bind(parameterIndex, ps -> ps.setNClob(parameterIndex, value));
  }

  @Override
  public void setClob(int parameterIndex, Reader reader, long length) throws SQLException {
    bind(parameterIndex, ps -> ps.setClob(parameterIndex, reader, length));
  }

  @Override
  public void setBlob(int parameterIndex, InputStream inputStream, long length) throws SQLException {
    bind(parameterIndex, ps -> ps.setBlob(parameterIndex, inputStream, length));
  }

  @Override
  public void setNClob(int parameterIndex, Reader reader, long length) throws SQLException {
    bind(parameterIndex, ps -> ps.setNClob(parameterIndex, reader, length));
  }

  @Override
  public void setSQLXML(int parameterIndex, SQLXML xmlObject) throws SQLException {
    bind(parameterIndex, ps -> ps.setSQLXML(parameterIndex, xmlObject));
  }

  @Override
  public void setObject(int parameterIndex, Object in, int targetSqlType, int scale) throws SQLException {
    bind(parameterIndex, ps -> ps.setObject(parameterIndex, in, targetSqlType, scale));
  }

  @Override
  public void setAsciiStream(int parameterIndex, InputStream value, long length) throws SQLException {
    bind(parameterIndex, ps -> ps.setAsciiStream(parameterIndex, value, length));
  }

  @Override
  public void setBinaryStream(int parameterIndex, InputStream value, long length) throws SQLException {
    bind(parameterIndex, ps -> ps.setBinaryStream(parameterIndex, value, length));
  }

  @Override
  public void setCharacterStream(int parameterIndex, Reader value, long length) throws SQLException {
    bind(parameterIndex, ps -> ps.setCharacterStream(parameterIndex, value, length));
  }

  @Override
  public void setAsciiStream(int parameterIndex, InputStream value) throws SQLException {
    bind(parameterIndex, ps -> ps.setAsciiStream(parameterIndex, value));
  }

  @Override
  public void setBinaryStream(int parameterIndex, InputStream value) throws SQLException {
    bind(parameterIndex, ps -> ps.setBinaryStream(parameterIndex, value));
  }

  @Override
  public void setCharacterStream(int parameterIndex, Reader value) throws SQLException {
    bind(parameterIndex, ps -> ps.setCharacterStream(parameterIndex, value));
  }

  @Override
  public void setNCharacterStream(int parameterIndex, Reader value) throws SQLException {
    bind(parameterIndex, ps -> ps.setNCharacterStream(parameterIndex, value));
  }

  @Override
  public void setClob(int parameterIndex, Reader reader) throws SQLException {
    bind(parameterIndex, ps -> ps.setClob(parameterIndex, reader));
  }

  @Override
  public void setBlob(int parameterIndex, InputStream inputStream) throws SQLException {
    bind(parameterIndex, ps -> ps.setBlob(parameterIndex, inputStream));
  }

  @Override
  public void setNClob(int parameterIndex, Reader reader) throws SQLException {
    bind(parameterIndex, ps -> ps.setNClob(parameterIndex, reader));
  }

  @Override
  public void setObject(int parameterIndex, Object x, SQLType targetSqlType, int scaleOrLength)
      throws SQLException {
    bind(parameterIndex, ps -> ps.setObject(parameterIndex, x, targetSqlType, scaleOrLength));
  }

  @Override
  public void setObject(int parameterIndex, Object x, SQLType targetSqlType) throws SQLException {
    bind(parameterIndex, ps -> ps.setObject(parameterIndex, x, targetSqlType));
  }

}
