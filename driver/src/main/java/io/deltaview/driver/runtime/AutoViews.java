package io.deltaview.driver.runtime;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.engine.Engine;
import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.rewriter.RewriteDecision;
import io.deltaview.rewriter.sql.SqlText;
import io.deltaview.rewriter.lift.LiftedView;
import io.deltaview.rewriter.lift.ParameterLifter;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;

/**
 * Views Deltaview creates by itself for marked queries that no registered view answers, one instance per
 * database runtime. A wanted query is handed to one daemon worker, which lifts its {@code col = ?}
 * parameters ({@link ParameterLifter}), creates {@code deltaview.auto_<hash>} with origin {@code auto}, indexes
 * the key columns, and checks that the rewriter now answers the query; until then the query passes through.
 * A query that cannot get a view is remembered as not eligible (one log line), never retried.
 *
 * <p>Decisions are remembered per SQL text, so a repeated query costs one map lookup. Only a JVM that
 * maintains the views (its runtime has an engine) creates them; elsewhere {@link #wanted} does nothing and
 * the maintaining JVM creates the view when it runs the query itself. Decisions live as long as the runtime:
 * a dropped automatic view is not created again for a query this JVM has already handled.
 */
final class AutoViews {

  private static final System.Logger LOG = System.getLogger(AutoViews.class.getName());
  /** Schema of automatic views. */
  static final String SCHEMA = Catalog.SCHEMA;
  static final String ORIGIN = "auto";
  /** SQL texts remembered at most; later new texts are not considered (a bound on memory, not expected). */
  private static final int MAX_REMEMBERED = 10_000;
  /** How long the worker waits for a runtime that is still starting. */
  private static final long START_WAIT_MS = 120_000;
  /** How long the worker waits for another engine's first load of a view it created (a Flink job's snapshot). */
  private static final long OTHER_ENGINE_LOAD_WAIT_MS = 600_000;

  /**
   * What auto-creation is doing, or has decided, for one SQL text; {@code explain} is EXPLAIN's reason (null
   * once the query is served: when it is not rewritten then, the rewriter's own reason says why).
   */
  record State(Kind kind, String explain) {
    enum Kind { CONSIDERING, CREATING, READY, NOT_ELIGIBLE, LIMIT_REACHED }
  }

  private final DatabaseRuntime runtime;
  private final Map<String, State> states = new ConcurrentHashMap<>();
  private final AtomicBoolean limitLogged = new AtomicBoolean();
  private final AtomicBoolean fullLogged = new AtomicBoolean();
  private ExecutorService worker;
  private boolean closed;

  AutoViews(DatabaseRuntime runtime) {
    this.runtime = runtime;
  }

  /**
   * A marked query that no view answers ({@code decision} says why) was executed; called on the query
   * path, so it returns at once (the work happens on this runtime's worker) and never throws.
   */
  void wanted(String sql, RewriteDecision decision, DeltaviewOptions options) {
    try {
      // A runtime that cannot maintain (engine=none), or has started without the engine, creates nothing; it
      // knows without waiting for its start.
      if (states.containsKey(sql) || !runtime.embedded() || (runtime.started() && runtime.engine() == null)) {
        return;
      }
      if (states.size() >= MAX_REMEMBERED) {
        if (fullLogged.compareAndSet(false, true)) {
          LOG.log(System.Logger.Level.WARNING, "Deltaview: " + MAX_REMEMBERED + " distinct marked queries have"
              + " been considered for automatic views; further ones are not (do they inline literal values"
              + " instead of using ? parameters?)");
        }
        return;
      }
      if (states.putIfAbsent(sql, new State(State.Kind.CONSIDERING, "an automatic view is being prepared for it"))
          == null) {
        worker().execute(() -> consider(sql, options));
      }
    } catch (RejectedExecutionException e) {
      states.remove(sql); // closed with the runtime
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Deltaview: automatic view for " + shorten(sql) + " not considered", e);
    }
  }

  /** What auto-creation is doing for {@code sql}, for EXPLAIN INCREMENTAL's reason; null when nothing. */
  String describe(String sql) {
    State s = states.get(sql);
    return s == null ? null : s.explain();
  }

  /** Stops the worker (the runtime is being forgotten); a creation under way finishes or fails on its own. */
  synchronized void close() {
    closed = true;
    if (worker != null) {
      worker.shutdownNow();
    }
  }

  private synchronized ExecutorService worker() {
    if (closed) {
      throw new RejectedExecutionException("closed");
    }
    if (worker == null) {
      String database = runtime.config().database();
      worker = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "deltaview-auto-views-" + database);
        t.setDaemon(true);
        return t;
      });
    }
    return worker;
  }

  private void consider(String sql, DeltaviewOptions options) {
    try {
      runtime.awaitStarted(START_WAIT_MS); // a query marked while the runtime was still starting
    } catch (SQLException e) {
      states.remove(sql); // the runtime did not start (and said why): a later execution asks again
      return;
    }
    State outcome;
    try {
      outcome = create(sql, options);
    } catch (SQLException | RuntimeException e) {
      outcome = notEligible(sql, "creating it failed: " + e.getMessage());
    }
    if (outcome == null) {
      states.remove(sql); // this JVM stopped maintaining: the maintaining one will decide
    } else {
      states.put(sql, outcome);
    }
  }

  /** Lifts, creates, indexes and checks the view of {@code sql}; null when this JVM has no engine now. */
  private State create(String sql, DeltaviewOptions options) throws SQLException {
    Engine engine = runtime.engine();
    if (engine == null) {
      return null;
    }
    CatalogSchema schema = runtime.schema();
    LiftedView lifted;
    try {
      lifted = ParameterLifter.lift(sql, new SqlFrontEnd(schema));
    } catch (SQLException e) {
      return notEligible(sql, e.getMessage());
    }
    try (Connection c = runtime.connect()) {
      return create(c, engine, sql, lifted, options);
    }
  }

  /** {@link #create(String, DeltaviewOptions)} once lifted, on one connection for its catalog reads and DDL. */
  private State create(Connection c, Engine engine, String sql, LiftedView lifted, DeltaviewOptions options)
      throws SQLException {
    // The runtime's connection logs in as the application's role: the view is created for, and checked
    // against the privileges of, the role whose query it answers.
    Requester requester = Requester.of(c);
    String name = lifted.viewName();
    String qualified = SCHEMA + "." + name;
    List<ViewRecord> views = new ArrayList<>(Catalog.exists(c) ? Catalog.loadViews(c) : List.of());
    for (BackendViews.BackendView other : BackendViews.load(c)) {
      views.add(other.view());
    }
    boolean exists = views.stream().anyMatch(v -> v.schema().equals(SCHEMA) && v.name().equals(name));
    String drift = shapeDifference(c, sql, lifted.sql());
    if (drift != null) {
      return notEligible(sql, "its view would " + drift);
    }
    if (!exists) {
      long autoViews = views.stream().filter(v -> ORIGIN.equals(v.origin())).count();
      if (autoViews >= options.autoCreateMax()) {
        String limit = "automatic view limit reached (" + DeltaviewOptions.AUTO_CREATE_MAX + "="
            + options.autoCreateMax() + ")";
        if (limitLogged.compareAndSet(false, true)) {
          LOG.log(System.Logger.Level.WARNING, "Deltaview: " + limit + "; marked queries that no view answers"
              + " pass through from now on (first: " + shorten(sql) + ")");
        }
        return new State(State.Kind.LIMIT_REACHED, limit);
      }
      states.put(sql, new State(State.Kind.CREATING, "a view is being created for it: " + qualified));
      try {
        engine.createView(requester, SCHEMA, name, lifted.sql(), true, ORIGIN, options.viewEngine());
      } catch (SQLException e) {
        return notEligible(sql, e.getMessage());
      }
      try {
        index(c, name, lifted.keyColumns());
      } catch (SQLException e) {
        drop(engine, requester, name);
        return notEligible(sql, "indexing its key columns failed: " + e.getMessage());
      }
    }
    String notLoaded = awaitLoadedElsewhere(c, name);
    if (notLoaded != null) {
      drop(engine, requester, name);
      return notEligible(sql, notLoaded);
    }
    runtime.refresh();
    RewriteDecision check = runtime.rewrite(sql);
    if (!check.rewritten() || !check.views().contains(qualified)) {
      if (!exists) {
        drop(engine, requester, name); // never leave a view behind that serves nothing
      }
      if (check.rewritten()) {
        return new State(State.Kind.READY, null); // another view answers it meanwhile
      }
      return notEligible(sql, "the view created for it does not answer it (" + check.reason() + ")");
    }
    LOG.log(System.Logger.Level.INFO, "Deltaview: " + (exists ? "using" : "created") + " automatic view "
        + qualified + " for " + shorten(sql));
    return new State(State.Kind.READY, null);
  }

  /**
   * For a view another engine maintains ({@code deltaview.viewEngine}), which is created before its first load is
   * in its result table: waits (at most {@link #OTHER_ENGINE_LOAD_WAIT_MS}) until its engine records it ready.
   * Returns why it is not, or null when it is (or is the embedded engine's, loaded before its creation returned).
   */
  private static String awaitLoadedElsewhere(Connection c, String name) throws SQLException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(OTHER_ENGINE_LOAD_WAIT_MS);
    while (true) {
      BackendViews.BackendView v = BackendViews.find(c, SCHEMA, name);
      if (v == null || v.view().status() == ViewState.READY) {
        return null;
      }
      if (v.view().status() == ViewState.FAILED) {
        return "its engine " + v.backend() + " failed it: " + v.view().lastError();
      }
      if (System.nanoTime() > deadline) {
        return "its engine " + v.backend() + " had not loaded it after " + OTHER_ENGINE_LOAD_WAIT_MS / 1000 + " s";
      }
      try {
        Thread.sleep(250); // how often the record is looked at while the first load runs
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return "interrupted while its first load ran";
      }
    }
  }

  /**
   * How the view's columns would differ from the query's as PostgreSQL describes both (labels, type names,
   * precision, scale), or null when alike: the view outputs the query's columns first, then the lifted keys.
   * Checked before the view exists (once it is ready it is served at once), it guards against anything the
   * view's SQL spells differently from the query (a cast to {@code varchar} for {@code text}, say) that the
   * rewriter's Calcite types cannot tell apart.
   */
  private static String shapeDifference(Connection c, String sql, String viewSql) throws SQLException {
    try (PreparedStatement query = c.prepareStatement(sql); PreparedStatement view = c.prepareStatement(viewSql)) {
      List<String> want = shape(query.getMetaData());
      List<String> got = shape(view.getMetaData());
      got = got.subList(0, Math.min(want.size(), got.size()));
      return want.equals(got) ? null : "have columns " + got + " instead of " + want;
    }
  }

  private static List<String> shape(ResultSetMetaData md) throws SQLException {
    List<String> columns = new ArrayList<>();
    for (int i = 1; i <= md.getColumnCount(); i++) {
      columns.add(md.getColumnLabel(i) + " " + md.getColumnTypeName(i) + "(" + md.getPrecision(i) + ","
          + md.getScale(i) + ")");
    }
    return columns;
  }

  private State notEligible(String sql, String reason) {
    LOG.log(System.Logger.Level.INFO, "Deltaview: no automatic view for " + shorten(sql) + ": " + reason);
    return new State(State.Kind.NOT_ELIGIBLE, "not eligible for an automatic view: " + reason);
  }

  /** An index on the lifted key columns, so that one parameter value reads only its rows. */
  private static void index(Connection c, String name, List<String> keyColumns) throws SQLException {
    if (keyColumns.isEmpty()) {
      return;
    }
    try (Statement s = c.createStatement()) {
      s.execute("CREATE INDEX IF NOT EXISTS " + SqlIdentifiers.quote(name + "_keys") + " ON "
          + SqlIdentifiers.quote(SCHEMA, name) + " ("
          + keyColumns.stream().map(SqlIdentifiers::quote).collect(Collectors.joining(", ")) + ")");
    }
  }

  private static void drop(Engine engine, Requester requester, String name) {
    try {
      engine.dropView(requester, SCHEMA, name, true);
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.WARNING, "Deltaview: dropping the unused automatic view " + SCHEMA + "." + name
          + " failed: " + e.getMessage());
    }
  }

  /** The query on one line, cut to a readable length, for log lines. */
  private static String shorten(String sql) {
    return "query \"" + SqlText.abbreviate(sql) + "\"";
  }
}
