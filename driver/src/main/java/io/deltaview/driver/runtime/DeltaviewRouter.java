package io.deltaview.driver.runtime;

import io.deltaview.driver.ReadConsistency;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import io.deltaview.driver.metrics.RouteStats;
import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.driver.command.IncrementalCommand;
import io.deltaview.driver.command.IncrementalCommandParser;
import io.deltaview.driver.route.QueryMarks;
import io.deltaview.driver.route.QueryRouter;
import io.deltaview.driver.route.Route;
import io.deltaview.driver.route.SessionState;
import io.deltaview.driver.route.StatementClassifier;
import io.deltaview.engine.ViewService;
import io.deltaview.engine.ViewStatus;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.rewriter.RewriteDecision;
import io.deltaview.rewriter.sql.SqlText;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Deltaview's routing for one connection: Deltaview commands are executed here; queries that a ready view
 * can answer are rewritten to read its result table unless the open transaction wrote one of the query's
 * tables, or the query's consistency cannot be met (strong or read-your-writes in time, bounded now); everything
 * else passes through unchanged.
 */
final class DeltaviewRouter implements QueryRouter {

  private static final System.Logger LOG = System.getLogger(DeltaviewRouter.class.getName());
  private static final List<String> SHOW_COLUMNS = List.of("name", "status", "result_table", "row_count", "lag_ms",
      "applied_lsn", "hits", "definition", "last_error", "origin", "last_error_sqlstate", "wal_status",
      "retained_wal_bytes", "state_source", "checkpoint_lsn", "progress", "staleness_ms");
  private static final List<String> SHOW_TYPES = List.of("text", "text", "text", "bigint", "bigint", "pg_lsn",
      "bigint", "text", "text", "text", "text", "text", "bigint", "text", "pg_lsn", "text", "bigint");
  private static final List<String> QUERIES_COLUMNS = List.of("query", "executions", "served", "view",
      "pass_reason", "mean_ms");
  private static final List<String> QUERIES_TYPES = List.of("text", "bigint", "bigint", "text", "text",
      "double precision");
  private static final List<String> EXPLAIN_COLUMNS = List.of("rewritten", "view", "sql", "reason");
  private static final List<String> EXPLAIN_TYPES = List.of("boolean", "text", "text", "text");
  /** EXPLAIN INCREMENTAL VIEW: one row per line of the dataflow, in PostgreSQL EXPLAIN's column. */
  private static final List<String> PLAN_COLUMNS = List.of("QUERY PLAN");
  private static final List<String> PLAN_TYPES = List.of("text");

  /** How long a command waits for a new runtime to start (engine, catalog, rewriter) before it fails. */
  private static final long START_WAIT_MS = 120_000;

  private final DatabaseRuntime runtime;
  private final DeltaviewOptions options;
  /** The shape of the query this connection routed last, until its execution time is told; else null. */
  private QueryShapes.Shape routedShape;
  /** How the statement routed last went: the view serving it, or why a query passed through. */
  private String lastServedBy;
  private String lastPassReason;

  DeltaviewRouter(DatabaseRuntime runtime, DeltaviewOptions options) {
    this.runtime = runtime;
    this.options = options;
  }

  @Override
  public Route route(String sql, SessionState session) throws SQLException {
    routedShape = null;
    lastServedBy = null;
    lastPassReason = null;
    if (IncrementalCommandParser.isCandidate(sql)) {
      IncrementalCommand command = IncrementalCommandParser.parse(sql);
      return new Route.Command(command.getClass().getSimpleName(), raw -> execute(command, raw, session));
    }
    RouteStats stats = runtime.routeStats();
    if (noteSessionChanges(sql, session)) {
      // DDL, GRANT, REVOKE: not a query, and deciding (which reloads a stale runtime) must wait until it has run
      stats.passedThrough(RouteStats.PassThrough.SESSION_CHANGED);
      return new Route.PassThrough(sql);
    }
    ReadConsistency mark = QueryMarks.of(sql);
    if (mark == null && options.mode() == DeltaviewOptions.Mode.OPT_IN) {
      stats.passedThrough(RouteStats.PassThrough.NOT_MARKED);
      return new Route.PassThrough(sql);
    }
    if (session.hasNameResolutionChanged()) {
      stats.passedThrough(RouteStats.PassThrough.SESSION_CHANGED);
      return new Route.PassThrough(sql);
    }
    RewriteDecision decision = runtime.rewrite(sql);
    QueryShapes.Shape shape = decision.notAQuery() ? null : runtime.queryShapes().of(sql);
    routedShape = shape;
    if (!decision.rewritten()) {
      if (mark != null && options.autoCreate() && !decision.refused()) {
        runtime.autoViews().wanted(sql, decision, options);
      }
      stats.passedThrough(decision.notAQuery() ? RouteStats.PassThrough.NOT_A_QUERY
          : decision.refused() ? RouteStats.PassThrough.REFUSED
          : decision.noViewMatches() ? RouteStats.PassThrough.NO_VIEW_MATCHES
          : RouteStats.PassThrough.NOT_REWRITABLE);
      if (shape != null) {
        shape.passedThrough(decision.reason());
        lastPassReason = decision.reason();
      }
      return new Route.PassThrough(sql);
    }
    RouteStats.PassThrough notServed = whyNotServable(decision, session, consistency(mark), stats);
    if (notServed != null) {
      stats.passedThrough(notServed);
      shape.passedThrough(notServed.tag());
      lastPassReason = notServed.tag();
      return new Route.PassThrough(sql);
    }
    stats.served();
    shape.served(decision.view());
    lastServedBy = decision.view();
    return new Route.PassThrough(decision.sql());
  }

  /** The consistency a query gets: its mark's, or the connection's when unmarked or marked without one. */
  private ReadConsistency consistency(ReadConsistency mark) {
    return mark == null || mark.kind() == null ? options.readConsistency() : mark;
  }

  @Override
  public String lastServedBy() {
    return lastServedBy;
  }

  @Override
  public String lastPassReason() {
    return lastPassReason;
  }

  @Override
  public void executed(long elapsedNanos) {
    QueryShapes.Shape shape = routedShape;
    if (shape != null) {
      shape.took(elapsedNanos);
      routedShape = null;
    }
  }

  /** Read-your-writes sessions remember their committed writes; the others pay nothing for it. */
  @Override
  public boolean tracksCommittedWrites() {
    return options.consistency() == DeltaviewOptions.Consistency.READ_YOUR_WRITES;
  }

  /**
   * A rewrite of {@code sql} failed. The result table vanished ({@code 42P01}): reload the views before the
   * next rewrite. PostgreSQL refused to let this role read it ({@code 42501}, e.g. a REVOKE the privilege poll
   * has not seen yet): the view is not used by this runtime until privileges change or the views are reloaded.
   */
  @Override
  public void rewriteFailed(String sql, SQLException failure) {
    if (SqlStates.INSUFFICIENT_PRIVILEGE.equals(failure.getSQLState())) {
      RewriteDecision decision = runtime.rewrite(sql); // the cached decision that produced the failed rewrite
      if (decision.rewritten()) {
        // which of several views was refused is not told: none of them is used for this role until then
        for (String view : decision.views()) {
          runtime.refuse(view, "a query rewritten to read it failed with 42501 (" + failure.getMessage() + ")");
        }
        LOG.log(System.Logger.Level.INFO, "a rewritten query failed (" + failure.getMessage() + "); running the"
            + " original query, and view " + decision.view() + " is not used for this connection's role until"
            + " privileges change");
      }
      return;
    }
    LOG.log(System.Logger.Level.INFO, "a rewritten query failed (" + failure.getMessage()
        + "); reloading the views and running the original query");
    runtime.schemaChanged();
  }

  /**
   * Why a rewrite may not be used now, or null if it may: the transaction has not written its tables (under
   * read-your-writes: any table), and it is fresh enough for the read's consistency: strong waits until the views
   * reflect every earlier commit (the wait is counted in {@code stats}), bounded only checks the staleness the
   * engine measured (never waits), read-your-writes waits only when the session owes a committed write. A
   * rewrite that also reads base tables directly (a view joined to a dimension table) is served only with
   * strong consistency: a lagging view joined to a current table would give an answer PostgreSQL never gave.
   */
  private RouteStats.PassThrough whyNotServable(RewriteDecision decision, SessionState session,
      ReadConsistency consistency, RouteStats stats) throws SQLException {
    if (decision.timeZone() != null && !decision.answersZone(session.timeZone())) {
      return RouteStats.PassThrough.TIME_ZONE_DIFFERS;
    }
    DeltaviewOptions.Consistency kind = effectiveKind(consistency, session);
    if (wroteATableOf(decision, session)
        || (kind == DeltaviewOptions.Consistency.READ_YOUR_WRITES && session.hasWrites())) {
      // A view never holds the open transaction's writes; read-your-writes owes them all (triggers included).
      return RouteStats.PassThrough.TRANSACTION_WROTE;
    }
    if (!decision.directReads().isEmpty() && kind != DeltaviewOptions.Consistency.STRONG) {
      return RouteStats.PassThrough.NEEDS_STRONG;
    }
    ViewService views = runtime.views();
    if (kind != DeltaviewOptions.Consistency.EVENTUAL && views.onlyEventual(decision.views())) {
      return RouteStats.PassThrough.NOT_PROVEN_FRESH;
    }
    if (kind == DeltaviewOptions.Consistency.STRONG) {
      if (session.inTransaction() && session.usesSnapshotIsolation()) {
        return RouteStats.PassThrough.SNAPSHOT_ISOLATION;
      }
      long start = System.nanoTime();
      boolean current = views.awaitCurrent(options.strongTimeoutMs());
      stats.strongWait(System.nanoTime() - start);
      if (!current) {
        return RouteStats.PassThrough.STRONG_TIMEOUT;
      }
    } else if (kind == DeltaviewOptions.Consistency.BOUNDED) {
      RouteStats.PassThrough stale = tooStale(views.stalenessMs(), consistency.boundMs());
      if (stale != null) {
        return stale;
      }
    } else if (kind == DeltaviewOptions.Consistency.READ_YOUR_WRITES) {
      if (session.inTransaction() && session.usesSnapshotIsolation()) {
        return RouteStats.PassThrough.SNAPSHOT_ISOLATION;
      }
      if (!ownWritesApplied(session, views)) {
        return RouteStats.PassThrough.WRITE_NOT_APPLIED;
      }
    }
    if (views.serve(decision.views())) {
      return null;
    }
    return decision.views().size() == 1 ? RouteStats.PassThrough.VIEW_NOT_READY
        : RouteStats.PassThrough.VIEWS_NOT_ALIGNED;
  }

  /**
   * The kind of consistency a read is served with: its own, except read-your-writes on a connection that does not
   * remember its writes (a hint on a connection of another consistency), which is served as strong: that
   * reflects them too.
   */
  private static DeltaviewOptions.Consistency effectiveKind(ReadConsistency consistency, SessionState session) {
    DeltaviewOptions.Consistency kind = consistency.kind();
    return kind == DeltaviewOptions.Consistency.READ_YOUR_WRITES && !session.tracksCommittedWrites()
        ? DeltaviewOptions.Consistency.STRONG : kind;
  }

  /** Why views {@code stalenessMs} behind (null: not known) may not serve a read bounded by {@code boundMs}. */
  private static RouteStats.PassThrough tooStale(Long stalenessMs, long boundMs) {
    if (stalenessMs == null) {
      return RouteStats.PassThrough.STALENESS_UNKNOWN;
    }
    return stalenessMs > boundMs ? RouteStats.PassThrough.TOO_STALE : null;
  }

  /**
   * Read-your-writes: whether the views reflect every write this session committed, waiting up to
   * {@code deltaview.strongTimeoutMs} for the engine to apply past it. A session that committed nothing (or
   * whose writes are known applied) neither waits nor asks the database anything.
   */
  private boolean ownWritesApplied(SessionState session, ViewService views) {
    long upTo;
    try {
      upTo = session.writtenUpTo();
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "reading the WAL position after this connection's write failed"
          + " (the query passes through): " + e);
      return false;
    }
    if (upTo == 0) {
      return true;
    }
    if (!views.awaitApplied(LogSequenceNumber.valueOf(upTo), options.strongTimeoutMs())) {
      return false;
    }
    session.writesApplied(upTo);
    return true;
  }

  /**
   * DDL may change the tables views read, and GRANT/REVOKE (and ALTER ... ROW LEVEL SECURITY, policies, role
   * attributes, all DDL) what this runtime's role may be served: reload before the next rewrite. SET
   * search_path changes how names resolve (and so do SET ROLE / SESSION AUTHORIZATION, through {@code "$user"},
   * and {@code set_config('search_path', ...)}); SET ROLE also changes whose privileges and row-level security
   * apply: this connection stops rewriting rather than risk resolving a name to another table than PostgreSQL
   * would, or serving a role what it may not read.
   *
   * <p>Each statement of {@code sql} is looked at from its first word, past whitespace and comments (so
   * <code>/* x *&#47; SET ROLE r</code> counts); {@code set_config}, {@code pg_settings} and Unicode-escaped
   * identifiers ({@code U&"..."}, which can spell {@code set_config}) anywhere in the text count too. A single
   * statement costs a scan of its start and of its {@code _} and {@code &} characters, with no allocation. True
   * when a statement may change the schema or privileges.
   */
  private boolean noteSessionChanges(String sql, SessionState session) {
    if (mentionsSetConfig(sql) || mentionsUnicodeIdentifier(sql)) {
      session.nameResolutionChanged();
    }
    if (sql.indexOf(';') < 0) {
      return noteStatement(sql, SqlText.skipSpaceAndComments(sql, 0), session);
    }
    boolean schemaChanged = false;
    for (int start : StatementClassifier.statementStarts(sql)) {
      schemaChanged |= noteStatement(sql, start, session);
    }
    return schemaChanged;
  }

  /**
   * {@link #noteSessionChanges} for the statement whose first word starts at {@code i}; true when it may change
   * the schema or privileges (the runtime then reloads before its next rewrite).
   */
  private boolean noteStatement(String sql, int i, SessionState session) {
    boolean set = SqlText.startsWithWord(sql, i, "SET");
    if (set || SqlText.startsWithWord(sql, i, "BEGIN") || SqlText.startsWithWord(sql, i, "START")) {
      String lower = sql.toLowerCase(Locale.ROOT);
      if (lower.contains("isolation") && (lower.contains("repeatable") || lower.contains("serializable"))) {
        session.snapshotIsolationUsed();
      }
    }
    if (set || SqlText.startsWithWord(sql, i, "RESET")) {
      String lower = sql.toLowerCase(Locale.ROOT);
      if (lower.contains("search_path") || lower.contains("schema") || lower.contains("role")
          || lower.contains("authorization") || lower.contains(" all")) {
        session.nameResolutionChanged();
      }
    } else if (SqlText.startsWithWord(sql, i, "CREATE") || SqlText.startsWithWord(sql, i, "ALTER")
        || SqlText.startsWithWord(sql, i, "DROP") || SqlText.startsWithWord(sql, i, "TRUNCATE")
        || SqlText.startsWithWord(sql, i, "GRANT") || SqlText.startsWithWord(sql, i, "REVOKE")
        || SqlText.startsWithWord(sql, i, "REASSIGN")) {
      runtime.schemaChanged();
      return true;
    }
    return false;
  }

  /**
   * Whether {@code sql} calls {@code set_config} or names {@code pg_settings} (whose UPDATE sets a parameter),
   * in any case; visits only the underscores of the text.
   */
  private static boolean mentionsSetConfig(String sql) {
    for (int i = sql.indexOf('_'); i >= 0; i = sql.indexOf('_', i + 1)) {
      if ((i >= 3 && sql.regionMatches(true, i - 3, "set_config", 0, 10))
          || (i >= 2 && sql.regionMatches(true, i - 2, "pg_settings", 0, 11))) {
        return true;
      }
    }
    return false;
  }

  /** Whether {@code sql} holds a {@code U&"..."} identifier (any case); visits only the ampersands. */
  private static boolean mentionsUnicodeIdentifier(String sql) {
    for (int i = sql.indexOf('&'); i >= 0; i = sql.indexOf('&', i + 1)) {
      if (i >= 1 && (sql.charAt(i - 1) == 'u' || sql.charAt(i - 1) == 'U') && i + 1 < sql.length()
          && sql.charAt(i + 1) == '"') {
        return true;
      }
    }
    return false;
  }

  private Route.CommandResult execute(IncrementalCommand command, Connection raw, SessionState session)
      throws SQLException {
    // Commands answer about (or change) the views this runtime serves: they wait for it to have started.
    runtime.awaitStarted(START_WAIT_MS);
    if (command instanceof IncrementalCommand.CreateView c) {
      runtime.views().createView(Requester.of(raw), c.name().schema(), c.name().name(), c.query(), c.ifNotExists(),
          "sql", c.engine() != null ? c.engine() : options.viewEngine());
      runtime.refresh();
      return Route.CommandResult.count(0);
    }
    if (command instanceof IncrementalCommand.DropView d) {
      runtime.views().dropView(Requester.of(raw), d.name().schema(), d.name().name(), d.ifExists());
      runtime.refresh();
      return Route.CommandResult.count(0);
    }
    if (command instanceof IncrementalCommand.ShowViews) {
      return Route.CommandResult.rows(showViews(raw));
    }
    if (command instanceof IncrementalCommand.ShowQueries) {
      return Route.CommandResult.rows(showQueries(raw));
    }
    if (command instanceof IncrementalCommand.ExplainView v) {
      return Route.CommandResult.rows(explainView(raw, v.name()));
    }
    if (command instanceof IncrementalCommand.ExplainDefinition d) {
      return Route.CommandResult.rows(planLines(raw, runtime.views().explainDefinition(raw, d.query())));
    }
    IncrementalCommand.Explain e = (IncrementalCommand.Explain) command;
    return Route.CommandResult.rows(explain(raw, e.query(), session));
  }

  /**
   * The dataflow of a view the caller may see (SELECT on its result table, as for SHOW); any other name is
   * answered as PostgreSQL answers a relation that does not exist.
   */
  private ResultSet explainView(Connection raw, IncrementalCommand.QualifiedName name) throws SQLException {
    ViewRecord view = runtime.views().view(raw, name.schema(), name.name()).orElse(null);
    if (view != null && mayRead(raw, view.schema(), view.name())) {
      return planLines(raw, runtime.views().explain(raw, view));
    }
    if (view == null) {
      // a view another backend maintains (WITH (engine = '…')) is not in the catalog; its result table is
      // found as PostgreSQL resolves the name for the caller
      String[] table = resultTable(raw, name);
      List<String> lines = table == null || !mayRead(raw, table[0], table[1]) ? null
          : runtime.views().explainOnBackend(raw, table[0], table[1]);
      if (lines != null) {
        return planLines(raw, lines);
      }
    }
    throw new SQLException("incremental view " + name + " does not exist", SqlStates.UNDEFINED_TABLE);
  }

  /** Whether the caller may see {@code schema.table}'s rows (as SHOW requires): it exists and is readable. */
  private static boolean mayRead(Connection raw, String schema, String table) throws SQLException {
    RoleAccess.TableAccess a = RoleAccess.tableAccess(raw, List.<String[]>of(new String[] {schema, table})).get(0);
    return a.exists() && a.schemaUsable() && a.tableSelect();
  }

  /** The schema and name of the table {@code name} means to the caller, or null when there is none. */
  private static String[] resultTable(Connection raw, IncrementalCommand.QualifiedName name) throws SQLException {
    try (PreparedStatement ps = raw.prepareStatement("SELECT n.nspname, c.relname FROM pg_catalog.pg_class c"
        + " JOIN pg_catalog.pg_namespace n ON n.oid = c.relnamespace WHERE c.oid = to_regclass(?)")) {
      ps.setString(1, name.schema() == null ? SqlIdentifiers.quote(name.name())
          : SqlIdentifiers.quote(name.schema(), name.name()));
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? new String[] {rs.getString(1), rs.getString(2)} : null;
      }
    }
  }

  private static ResultSet planLines(Connection raw, List<String> lines) throws SQLException {
    List<Object[]> rows = new ArrayList<>();
    for (String line : lines) {
      rows.add(new Object[] {line});
    }
    return ResultSets.values(raw, PLAN_COLUMNS, PLAN_TYPES, rows);
  }

  /**
   * {@code SHOW INCREMENTAL QUERIES}: the query shapes this runtime (this database, as this connection's user)
   * routed recently, the most executed first. Shapes hold no literal values, and another user's connections
   * run on another runtime: nobody sees another role's queries.
   */
  private ResultSet showQueries(Connection raw) throws SQLException {
    List<Object[]> rows = new ArrayList<>();
    for (QueryShapes.Shape q : runtime.queryShapes().seen()) {
      rows.add(new Object[] {q.text(), q.executions(), q.servedCount(), q.view(), q.passReason(), q.meanMillis()});
    }
    return ResultSets.values(raw, QUERIES_COLUMNS, QUERIES_TYPES, rows);
  }

  private ResultSet showViews(Connection raw) throws SQLException {
    List<Object[]> rows = new ArrayList<>();
    for (ViewStatus v : runtime.views().status(raw)) {
      rows.add(new Object[] {v.name(), v.status().label(), v.resultTable(), v.rowCount(), v.lagMs(), v.appliedLsn(),
          v.hits(), v.definition(), v.lastError(), v.origin(), v.lastErrorSqlState(), v.walStatus(),
          v.retainedWalBytes(), v.stateSource(), v.checkpointLsn(), v.progress(), v.stalenessMs()});
    }
    return ResultSets.values(raw, SHOW_COLUMNS, SHOW_TYPES, visibleTo(raw, rows));
  }

  /**
   * The rows of {@code SHOW INCREMENTAL VIEWS} the caller may see: views whose result table the caller's
   * current role (asked on its own connection) may SELECT, with the schema's USAGE. The row count is the
   * engine's, kept in memory; where row-level security filters the result table for the caller it is left
   * out (null), since the whole table's count is not a number PostgreSQL would give that role. No result table
   * is scanned.
   */
  private static List<Object[]> visibleTo(Connection raw, List<Object[]> rows) throws SQLException {
    int name = SHOW_COLUMNS.indexOf("name");
    int rowCount = SHOW_COLUMNS.indexOf("row_count");
    List<String[]> tables = new ArrayList<>(rows.size());
    for (Object[] row : rows) {
      tables.add(Catalog.splitQualified((String) row[name]));
    }
    List<RoleAccess.TableAccess> access = RoleAccess.tableAccess(raw, tables);
    List<Object[]> visible = new ArrayList<>(rows.size());
    for (int k = 0; k < rows.size(); k++) {
      RoleAccess.TableAccess a = access.get(k);
      if (!a.exists() || !a.schemaUsable() || !a.tableSelect()) {
        continue;
      }
      Object[] row = rows.get(k).clone();
      if (a.rowSecurity()) {
        row[rowCount] = null;
      }
      visible.add(row);
    }
    return visible;
  }

  private ResultSet explain(Connection raw, String query, SessionState session) throws SQLException {
    Object[] row = options.mode() == DeltaviewOptions.Mode.OPT_IN && QueryMarks.of(query) == null
        ? new Object[] {false, null, query, "not marked, and this connection has deltaview.mode=opt-in: add"
            + " /*+ incremental */ or run it inside an @Incremental method or Deltaview.optIn() scope"}
        : explained(query, session, runtime.rewrite(query));
    LOG.log(System.Logger.Level.DEBUG, "EXPLAIN INCREMENTAL " + query + " -> " + row[2]);
    return ResultSets.values(raw, EXPLAIN_COLUMNS, EXPLAIN_TYPES, List.<Object[]>of(row));
  }

  /** Whether the open transaction may have written a table the decision's query reads. */
  private static boolean wroteATableOf(RewriteDecision decision, SessionState session) {
    if (session.hasWrites()) {
      for (String table : decision.baseTables()) {
        int dot = table.indexOf('.');
        if (session.mayHaveWritten(table.substring(0, dot), table.substring(dot + 1))) {
          return true;
        }
      }
    }
    return false;
  }

  /** EXPLAIN's row (rewritten, view, sql, reason) for a query the router would consider, given its decision. */
  private Object[] explained(String query, SessionState session, RewriteDecision decision) {
    if (!decision.rewritten()) {
      String auto = runtime.autoViews().describe(query);
      return new Object[] {false, null, query, auto != null ? auto : decision.reason()};
    }
    if (session.hasNameResolutionChanged()) {
      return new Object[] {false, null, query, "this connection changed its search_path or role"};
    }
    if (decision.timeZone() != null && !decision.answersZone(session.timeZone())) {
      return new Object[] {false, decision.view(), query, "the query depends on the session's TimeZone, which is "
          + session.timeZone() + ", and the view was created in " + decision.timeZone()};
    }
    ReadConsistency consistency = consistency(QueryMarks.of(query));
    DeltaviewOptions.Consistency kind = effectiveKind(consistency, session);
    if (wroteATableOf(decision, session)) {
      return new Object[] {false, decision.view(), query, "the open transaction has written a table the query reads"};
    }
    if (kind == DeltaviewOptions.Consistency.READ_YOUR_WRITES && session.hasWrites()) {
      return new Object[] {false, decision.view(), query, "consistency=read-your-writes and the open transaction"
          + " has written: a view never holds a transaction's uncommitted writes"};
    }
    if (!decision.directReads().isEmpty() && kind != DeltaviewOptions.Consistency.STRONG) {
      return new Object[] {false, decision.view(), query, "the rewrite also reads " + String.join(", ",
          decision.directReads()) + " directly: served only with consistency=strong (a lagging view joined to a"
          + " current table would give an answer PostgreSQL never gave)"};
    }
    if (kind == DeltaviewOptions.Consistency.BOUNDED) {
      Long staleness = runtime.views().stalenessMs();
      RouteStats.PassThrough stale = tooStale(staleness, consistency.boundMs());
      if (stale == RouteStats.PassThrough.STALENESS_UNKNOWN) {
        return new Object[] {false, decision.view(), query, "consistency=" + consistency + " and how stale the"
            + " views are is not known in this process (another process maintains them, heartbeats are off, or"
            + " none was applied yet)"};
      }
      if (stale == RouteStats.PassThrough.TOO_STALE) {
        return new Object[] {false, decision.view(), query, "consistency=" + consistency + " and the views lag"
            + " by " + staleness + " ms"};
      }
    }
    return new Object[] {true, decision.view(), decision.sql(), null};
  }
}
