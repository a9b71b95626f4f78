package io.deltaview.driver.jdbc;

import io.deltaview.sql.SqlStates;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.FakeDb;
import io.deltaview.driver.RecordingRouter;
import io.deltaview.driver.route.Route;
import java.sql.CallableStatement;
import java.sql.Connection;
import java.sql.DatabaseMetaData;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.PGConnection;

class WrapperTest {

  private FakeDb db;
  private Connection raw;
  private RecordingRouter router;
  private Connection conn;

  @BeforeEach
  void open() throws SQLException {
    db = new FakeDb();
    raw = db.connection();
    router = new RecordingRouter();
    conn = JdbcWrappers.wrap(raw, router);
  }

  // ---- Statement execute paths: routed once each, the routed SQL runs ----

  @Test
  void everyStatementExecutePathRoutesOnceAndRunsTheRoutedSql() throws SQLException {
    router.rewrite("q", "rewritten");
    Statement st = conn.createStatement();
    st.execute("q");
    st.execute("q", Statement.RETURN_GENERATED_KEYS);
    st.execute("q", new int[] {1});
    st.execute("q", new String[] {"id"});
    st.executeQuery("q");
    st.executeUpdate("q");
    st.executeUpdate("q", Statement.RETURN_GENERATED_KEYS);
    st.executeUpdate("q", new int[] {1});
    st.executeUpdate("q", new String[] {"id"});
    st.executeLargeUpdate("q");
    st.executeLargeUpdate("q", Statement.NO_GENERATED_KEYS);
    st.executeLargeUpdate("q", new int[] {1});
    st.executeLargeUpdate("q", new String[] {"id"});
    assertEquals(13, router.routed.size());
    assertEquals(List.of("st2.execute(rewritten)", "st2.execute(rewritten, 1)", "st2.execute(rewritten, [1])",
        "st2.execute(rewritten, [id])", "st2.executeQuery(rewritten)", "st2.executeUpdate(rewritten)",
        "st2.executeUpdate(rewritten, 1)", "st2.executeUpdate(rewritten, [1])",
        "st2.executeUpdate(rewritten, [id])", "st2.executeLargeUpdate(rewritten)",
        "st2.executeLargeUpdate(rewritten, 2)", "st2.executeLargeUpdate(rewritten, [1])",
        "st2.executeLargeUpdate(rewritten, [id])"), db.calls("st2.exec"));
  }

  @Test
  void statementBatchRoutesEachSqlWhenTheBatchExecutes() throws SQLException {
    router.rewrite("a", "A");
    Statement st = conn.createStatement();
    st.addBatch("a");
    st.addBatch("b");
    assertEquals(List.of(), router.routed, "routing happens at execution, not at addBatch");
    assertArrayEquals(new int[] {1}, st.executeBatch());
    assertEquals(List.of("a", "b"), router.routed);
    assertEquals(List.of("st2.addBatch(A)", "st2.addBatch(b)", "st2.executeBatch()"),
        db.calls("st2.").stream().filter(s -> s.contains("Batch")).toList());
    st.addBatch("c");
    st.executeLargeBatch();
    assertEquals(List.of("a", "b", "c"), router.routed);
  }

  @Test
  void commandsAreRejectedInStatementBatches() throws SQLException {
    router.answer("cmd", new Route.Command("CREATE INCREMENTAL VIEW v", c -> Route.CommandResult.count(0)));
    Statement st = conn.createStatement();
    st.addBatch("a");
    st.addBatch("cmd");
    SQLException e = assertThrows(SQLException.class, st::executeBatch);
    assertEquals(SqlStates.FEATURE_NOT_SUPPORTED, e.getSQLState());
    assertTrue(e.getMessage().contains("CREATE INCREMENTAL VIEW v"));
    assertFalse(db.log.contains("st2.executeBatch()"));
  }

  // ---- commands ----

  @Test
  void commandUpdateCountThroughExecuteAndExecuteUpdate() throws SQLException {
    List<Connection> ranOn = new java.util.ArrayList<>();
    router.answer("cmd", new Route.Command("REFRESH", c -> {
      ranOn.add(c);
      return Route.CommandResult.count(7);
    }));
    Statement st = conn.createStatement();
    assertFalse(st.execute("cmd"));
    assertSame(raw, ranOn.get(0), "commands run on the raw connection");
    assertNull(st.getResultSet());
    assertEquals(7, st.getUpdateCount());
    assertEquals(7L, st.getLargeUpdateCount());
    assertFalse(st.getMoreResults());
    assertEquals(-1, st.getUpdateCount());
    assertEquals(7, st.executeUpdate("cmd"));
    assertEquals(7L, st.executeLargeUpdate("cmd"));
    SQLException e = assertThrows(SQLException.class, () -> st.executeQuery("cmd"));
    assertEquals(SqlStates.NO_DATA, e.getSQLState());
    assertEquals("No results were returned by the query.", e.getMessage());
    assertTrue(db.calls("st2.").isEmpty(), "nothing ran on the raw statement: " + db.log);
  }

  @Test
  void commandResultSetThroughExecuteAndExecuteQuery() throws SQLException {
    FakeDb other = new FakeDb();
    router.answer("cmd", new Route.Command("SHOW VIEWS",
        c -> Route.CommandResult.rows(other.connection().createStatement().executeQuery("VALUES 1"))));
    Statement st = conn.createStatement();
    assertTrue(st.execute("cmd"));
    ResultSet rs = st.getResultSet();
    assertTrue(rs instanceof DeltaviewWrapper);
    assertSame(st, rs.getStatement());
    assertSame(rs, st.getResultSet(), "same result, same wrapper");
    assertEquals(-1, st.getUpdateCount());
    assertFalse(st.getMoreResults());
    assertNull(st.getResultSet());
    assertEquals(2, other.closed.size(), "the command's result set and its statement are closed");

    ResultSet q = st.executeQuery("cmd");
    assertSame(st, q.getStatement());
    SQLException e = assertThrows(SQLException.class, () -> st.executeUpdate("cmd"));
    assertEquals(SqlStates.TOO_MANY_RESULTS, e.getSQLState());
    st.close();
    assertTrue(other.closed.size() >= 4, "everything the commands opened is closed: " + other.closed);
  }

  @Test
  void commandResultsKeptOpenAreClosedWithTheStatement() throws SQLException {
    FakeDb other = new FakeDb();
    router.answer("cmd", new Route.Command("SHOW VIEWS",
        c -> Route.CommandResult.rows(other.connection().createStatement().executeQuery("VALUES 1"))));
    Statement st = conn.createStatement();
    st.execute("cmd");
    assertFalse(st.getMoreResults(Statement.KEEP_CURRENT_RESULT));
    assertTrue(other.closed.isEmpty());
    st.close();
    assertEquals(2, other.closed.size());
  }

  @Test
  void preparedStatementRunsCommands() throws SQLException {
    router.answer("cmd", new Route.Command("DROP INCREMENTAL VIEW v", c -> Route.CommandResult.count(0)));
    PreparedStatement ps = conn.prepareStatement("cmd");
    assertEquals(0, ps.executeUpdate());
    assertFalse(ps.execute());
    assertThrows(SQLException.class, ps::executeQuery);
    assertThrows(SQLException.class, ps::executeBatch);
    assertEquals(4, router.routed.size());
  }

  // ---- prepared statements: routing at execution, parameter replay ----

  @Test
  void preparedStatementRoutesAtExecutionNotPrepare() throws SQLException {
    PreparedStatement ps = conn.prepareStatement("select ?");
    assertEquals(List.of(), router.routed);
    ps.setInt(1, 5);
    ps.executeQuery();
    ps.execute();
    ps.executeUpdate();
    ps.executeLargeUpdate();
    assertEquals(4, router.routed.size());
    assertEquals(List.of("conn1.prepareStatement(select ?)"), db.calls("conn1.prepare"),
        "the same routed SQL reuses one raw statement");
    assertEquals(List.of("ps2.setInt(1, 5)"), db.calls("ps2.set"), "no replay in the common case");
  }

  @Test
  void parametersAreReplayedOntoTheRawStatementOfADifferentRoute() throws SQLException {
    PreparedStatement ps = conn.prepareStatement("select * from v where a = ? and b = ?",
        Statement.RETURN_GENERATED_KEYS);
    ps.setInt(1, 5);
    ps.setString(2, "x");
    ps.setInt(1, 6); // the later value wins
    router.rewrite("select * from v where a = ? and b = ?", "select * from rt where a = ? and b = ?");
    ps.executeQuery();
    assertEquals(List.of("conn1.prepareStatement(select * from v where a = ? and b = ?, 1)",
        "conn1.prepareStatement(select * from rt where a = ? and b = ?, 1)"), db.calls("conn1.prepare"),
        "prepared lazily, with the application's arguments");
    assertEquals(List.of("ps3.setInt(1, 6)", "ps3.setString(2, x)"), db.calls("ps3.set"));
    assertEquals(List.of("ps3.executeQuery()"), db.calls("ps3.exec"));

    ps.executeQuery();
    assertEquals(2, db.calls("ps3.set").size(), "same route again: no replay");
    ps.setInt(2, 9);
    router.answers.clear(); // e.g. the transaction wrote the view's table: back to the original
    ps.executeQuery();
    assertEquals(List.of("ps2.setInt(1, 5)", "ps2.setString(2, x)", "ps2.setInt(1, 6)", "ps2.setInt(1, 6)",
        "ps2.setInt(2, 9)"), db.calls("ps2.set"));
    assertEquals(List.of("ps2.executeQuery()"), db.calls("ps2.exec"));
    assertEquals(2, db.calls("conn1.prepare").size(), "at most one raw statement per routed SQL");

    ps.close();
    assertTrue(db.closed.containsAll(db.created.subList(1, 3)), "both raw statements closed");
    assertTrue(ps.isClosed());
  }

  @Test
  void settingsReachRawStatementsPreparedLater() throws SQLException {
    PreparedStatement ps = conn.prepareStatement("q");
    ps.setFetchSize(100);
    router.rewrite("q", "r");
    ps.execute();
    assertEquals(List.of("ps2.setFetchSize(100)"), db.calls("ps2.setFetch"));
    assertEquals(List.of("ps3.setFetchSize(100)"), db.calls("ps3.setFetch"));
  }

  @Test
  void clearParametersForgetsRecordedValues() throws SQLException {
    PreparedStatement ps = conn.prepareStatement("q");
    ps.setInt(1, 1);
    ps.clearParameters();
    router.rewrite("q", "r");
    ps.execute();
    assertEquals(List.of(), db.calls("ps3.set"));
  }

  @Test
  void preparedBatchesRunTheOriginalSqlAndRouteOnce() throws SQLException {
    router.rewrite("insert into t values (?)", "something else");
    conn.setAutoCommit(false);
    PreparedStatement ps = conn.prepareStatement("insert into t values (?)");
    ps.setInt(1, 1);
    ps.addBatch();
    ps.setInt(1, 2);
    ps.addBatch();
    ps.executeBatch();
    assertEquals(1, router.routed.size());
    assertEquals(List.of("ps2.addBatch()", "ps2.addBatch()", "ps2.executeBatch()"), db.calls("ps2.").stream()
        .filter(s -> !s.contains(".set")).toList());
    assertEquals(1, db.calls("conn1.prepare").size(), "the rewrite is not prepared for a batch");
    assertTrue(router.lastSession.mayHaveWritten("public", "t"));
  }

  @Test
  void callableStatementsReplayOutParametersAndNamedParameters() throws SQLException {
    CallableStatement cs = conn.prepareCall("{? = call f(?)}");
    cs.registerOutParameter(1, Types.INTEGER);
    cs.setInt(2, 4);
    cs.setString("name", "n");
    router.rewrite("{? = call f(?)}", "{? = call g(?)}");
    cs.execute();
    cs.getInt(1);
    assertEquals(List.of("cs3.setInt(2, 4)", "cs3.registerOutParameter(1, 4)", "cs3.setString(name, n)"),
        db.calls("cs3.").subList(0, 3));
    assertEquals(List.of("cs3.getInt(1)"), db.calls("cs3.getInt"),
        "OUT values come from the statement that ran");
  }

  // ---- transaction tracking ----

  @Test
  void writesAreRecordedInTransactionsOnlyAndClearedByCommitAndRollback() throws SQLException {
    Statement st = conn.createStatement();
    st.executeUpdate("insert into t values (1)");
    assertFalse(router.lastSession.hasWrites(), "autocommit records nothing");
    conn.setAutoCommit(false);
    st.executeUpdate("INSERT INTO s.\"Orders\" VALUES (1)");
    assertTrue(router.lastSession.mayHaveWritten("s", "orders"));
    java.sql.Savepoint sp = conn.setSavepoint();
    conn.rollback(sp);
    assertTrue(router.lastSession.hasWrites(), "rollback to a savepoint keeps the writes");
    conn.commit();
    assertFalse(router.lastSession.hasWrites());
    st.execute("create table x (a int)");
    assertTrue(router.lastSession.mayHaveWritten("public", "anything"));
    conn.rollback();
    assertFalse(router.lastSession.hasWrites());
    st.execute("update t set a = 1");
    conn.setAutoCommit(true);
    assertFalse(router.lastSession.hasWrites(), "switching autocommit on commits");
  }

  @Test
  void explicitBeginUnderAutocommitOpensATransaction() throws SQLException {
    Statement st = conn.createStatement();
    st.execute("BEGIN");
    st.execute("delete from t");
    assertTrue(router.lastSession.mayHaveWritten("public", "t"));
    st.execute("commit");
    assertFalse(router.lastSession.hasWrites());
    st.execute("begin; update u set a = 1");
    assertTrue(router.lastSession.mayHaveWritten("public", "u"));
  }

  @Test
  void theWriteIsRecordedBeforeItExecutes() throws SQLException {
    conn.setAutoCommit(false);
    db.failOn = "update t set a = 1";
    Statement st = conn.createStatement();
    SQLException e = assertThrows(SQLException.class, () -> st.executeUpdate("update t set a = 1"));
    assertEquals("23505", e.getSQLState(), "PostgreSQL's error, unchanged");
    assertTrue(router.lastSession.mayHaveWritten(null, "t"));
  }

  @Test
  void aRewriteRefusedWith42501OrMissingWith42P01RunsTheOriginalOutsideATransaction() throws SQLException {
    for (String state : new String[] {"42501", "42P01"}) {
      router.rewrite("select a from t", "select a from result_table");
      db.failOn = "select a from result_table";
      db.failState = state;
      db.log.clear();
      conn.createStatement().executeQuery("select a from t");
      assertTrue(db.log.stream().anyMatch(l -> l.endsWith(".executeQuery(select a from t)")), db.log.toString());
    }
    assertEquals(List.of("42501", "42P01"), router.failedRewrites);
  }

  @Test
  void insideATransactionTheFailureIsTheAnswerUnlessPgjdbcRolledBackToASavepoint() throws SQLException {
    router.rewrite("select a from t", "select a from result_table");
    db.failOn = "select a from result_table";
    db.failState = "42501";
    conn.setAutoCommit(false);
    SQLException e = assertThrows(SQLException.class, () -> conn.createStatement().executeQuery("select a from t"));
    assertEquals("42501", e.getSQLState(), "PostgreSQL's error, unchanged: the transaction is aborted");
    assertEquals(List.of("42501"), router.failedRewrites, "the router still stops using the view");
    db.autosave = org.postgresql.jdbc.AutoSave.ALWAYS;
    db.log.clear();
    conn.createStatement().executeQuery("select a from t");
    assertTrue(db.log.stream().anyMatch(l -> l.endsWith(".executeQuery(select a from t)")), db.log.toString());
  }

  @Test
  void otherFailuresOfARewriteAreTheAnswer() throws SQLException {
    router.rewrite("select a from t", "select a from result_table");
    db.failOn = "select a from result_table";
    SQLException e = assertThrows(SQLException.class, () -> conn.createStatement().executeQuery("select a from t"));
    assertEquals("23505", e.getSQLState());
    assertEquals(List.of(), router.failedRewrites);
  }

  @Test
  void aRouterReturningNoRouteIsReportedAsADeltaviewBug() throws SQLException {
    router.answer("q", null);
    SQLException e = assertThrows(SQLException.class, () -> conn.createStatement().execute("q"));
    assertEquals(SqlStates.INTERNAL_ERROR, e.getSQLState());
  }

  // ---- wrapping, unwrapping, closing ----

  @Test
  void metaDataAndResultSetsPointBackToWrappers() throws SQLException {
    DatabaseMetaData md = conn.getMetaData();
    assertSame(conn, md.getConnection());
    ResultSet tables = md.getTables(null, null, "%", null);
    assertTrue(tables instanceof DeltaviewWrapper);
    Statement st = conn.createStatement();
    assertSame(conn, st.getConnection());
    ResultSet rs = st.executeQuery("select 1");
    assertSame(st, rs.getStatement());
    assertSame(rs, st.getResultSet());
    PreparedStatement ps = conn.prepareStatement("select 1");
    assertSame(ps, ps.executeQuery().getStatement());
    assertSame(conn, ps.getConnection());
    assertTrue(ps.getGeneratedKeys() instanceof DeltaviewWrapper);
  }

  @Test
  void unwrapReachesPgjdbcAndIsWrapperForAnswersBoth() throws SQLException {
    assertSame(conn, conn.unwrap(Connection.class));
    assertSame(conn, conn.unwrap(DeltaviewWrapper.class));
    assertSame(raw, conn.unwrap(PGConnection.class));
    assertTrue(conn.isWrapperFor(PGConnection.class));
    assertTrue(conn.isWrapperFor(DeltaviewWrapper.class));
    assertFalse(conn.isWrapperFor(String.class));
    assertThrows(SQLException.class, () -> conn.unwrap(String.class));
    Statement st = conn.createStatement();
    assertSame(st, st.unwrap(Statement.class));
    assertTrue(st.isWrapperFor(DeltaviewWrapper.class));
  }

  @Test
  void markerPreventsDoubleWrapping() {
    assertTrue(JdbcWrappers.isWrapped(conn));
    assertFalse(JdbcWrappers.isWrapped(raw));
    assertThrows(IllegalArgumentException.class, () -> JdbcWrappers.wrap(conn, router));
  }

  @Test
  void closeReleasesRawObjectsAndTheRouterOnce() throws SQLException {
    Statement st = conn.createStatement();
    st.close();
    assertTrue(db.closed.contains(db.created.get(1)));
    conn.close();
    conn.close();
    assertEquals(1, router.closed);
    assertTrue(db.closed.contains(raw));
  }

  @Test
  void closedPreparedStatementRefusesToExecute() throws SQLException {
    PreparedStatement ps = conn.prepareStatement("q");
    ps.close();
    SQLException e = assertThrows(SQLException.class, ps::execute);
    assertEquals(SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE, e.getSQLState());
    assertEquals(List.of(), router.routed);
  }

  @Test
  void errorsFromPostgresPassUnchanged() throws SQLException {
    SQLException fromPg = new SQLException("boom", "23505");
    router.answer("cmd", new Route.Command("c", c -> {
      throw fromPg;
    }));
    Statement st = conn.createStatement();
    assertSame(fromPg, assertThrows(SQLException.class, () -> st.execute("cmd")));
  }
}
