package io.deltaview.driver.runtime;

import io.deltaview.sql.SqlStates;
import io.deltaview.driver.metrics.GlobalMeters;
import io.deltaview.driver.metrics.RouteStats;
import io.deltaview.engine.CatalogViews;
import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.engine.ViewService;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.lead.MaintainerCandidate;
import io.deltaview.rewriter.QueryRewriter;
import io.deltaview.rewriter.RewriteDecision;
import io.deltaview.rewriter.ViewDefinition;
import io.deltaview.rewriter.ViewReads;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.schema.TableInfo;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Properties;
import java.util.TreeMap;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * What every Deltaview connection to one database shares in this JVM: the engine (when this JVM maintains
 * the views) and the query rewriter over the views that are ready. The rewriter is an immutable object
 * swapped whole when views or the schema change, so the per-query path reads one volatile field.
 *
 * <p>A runtime belongs to one login role (its key holds the connection properties, the user among them), and
 * its rewriter answers only from views that role may read in full: {@link RoleAccess} asks PostgreSQL, as
 * that role, whether it may SELECT the result table and every base-table column the view reads, and whether
 * row-level security applies to it on any of those tables; a view that fails is <em>refused</em> (it never
 * answers, and EXPLAIN INCREMENTAL says why). The decisions are refreshed with the rewriter, and a watcher
 * polls a fingerprint of the privileges they depend on every {@link #WATCH_INTERVAL_MS} (GRANT, REVOKE,
 * policies, row-level security switches, role memberships), so a change made elsewhere takes effect within
 * about a second; one made through a Deltaview connection of this JVM, at its next query.
 *
 * <p>When this JVM does not maintain the views ({@code deltaview.engine=none}, or another process holds
 * the maintainer lock), the watcher also re-reads the catalog every {@link #WATCH_INTERVAL_MS} off the query
 * path and rebuilds the rewriter when views appear, disappear or change status; views are served only while
 * some process holds the maintainer lock. With {@code embedded}, the watcher also tries to become the
 * maintainer once nobody holds the lock (the maintaining process died) and, on success, swaps in its own
 * engine.
 */
final class DatabaseRuntime {

  private static final System.Logger LOG = System.getLogger(DatabaseRuntime.class.getName());
  private static final Map<String, DatabaseRuntime> RUNTIMES = new ConcurrentHashMap<>();
  static final long WATCH_INTERVAL_MS = 1000;
  /** How long after a failed start the next connection tries again. */
  static final long RETRY_AFTER_MS = 60_000;
  private static final String STARTING = "Deltaview is starting for this database (queries pass through until"
      + " it has)";
  private static final ScheduledExecutorService WATCHER = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "deltaview-catalog-watch");
    t.setDaemon(true);
    return t;
  });

  private final EngineConfig config;
  private final boolean embedded;
  /** Served and passed-through queries of this database, shared with the other roles' runtimes of this JVM. */
  private final RouteStats routeStats;
  private final QueryShapes queryShapes;
  private final AutoViews autoViews = new AutoViews(this);
  /** When the start failed ({@link System#nanoTime}), 0 while it has not. */
  private volatile long failedAtNanos;
  /** Completed once the engine (if any) and the first rewriter are in place, or with why they are not. */
  private final CompletableFuture<Void> started = new CompletableFuture<>();
  private volatile Engine engine;
  private volatile QueryRewriter rewriter;
  private volatile boolean schemaStale;
  /** The views as the catalog has them, for when this JVM does not maintain them; polled by the watcher. */
  private final CatalogViews catalogViews;
  /** {@link RoleAccess#fingerprint} when the current refusals were decided; compared by the watcher. */
  private String accessSeen = "";
  /**
   * Views refused after a {@code 42501} that the watcher's next look decides again from the catalog. A REVOKE and
   * a GRANT can both land between two looks and leave the fingerprint as it was: a refusal kept "until the
   * fingerprint changes" would then outlive the GRANT for good.
   */
  private final Set<String> refusedSinceLook = new HashSet<>();
  /**
   * Views decided again after a {@code 42501}, with the fingerprint they were decided under: a second
   * {@code 42501} under the same fingerprint means the catalog check does not model what PostgreSQL refuses,
   * and that refusal then stays until the fingerprint changes (no failed rewrite every second).
   */
  private final Map<String, String> redecidedUnder = new HashMap<>();
  private ScheduledFuture<?> watch;
  /** Used only by the watcher thread. */
  private Connection watchConnection;
  /** Starts this JVM's engine, at first and when the maintaining process stops; used by the starter, then the watcher. */
  private final MaintainerCandidate candidate;

  private DatabaseRuntime(EngineConfig config, boolean embedded, Engine engine) {
    this.config = config;
    this.routeStats = RouteStats.of(EngineRegistry.key(config.pgUrl()), config.database());
    this.queryShapes = new QueryShapes();
    this.catalogViews = new CatalogViews(config);
    this.candidate = new MaintainerCandidate(config);
    this.embedded = embedded;
    this.engine = engine;
  }

  /** What the driver did with this database's queries (every role's connections of this JVM). */
  RouteStats routeStats() {
    return routeStats;
  }

  /** The query shapes this runtime routed recently ({@code SHOW INCREMENTAL QUERIES}). */
  QueryShapes queryShapes() {
    return queryShapes;
  }

  /**
   * The runtime of {@code config}'s database. A new one starts in the background (the engine there if
   * {@code embedded}, then the rewriter): opening a connection never waits for Deltaview's cold start (the
   * engine's lock and catalog, Calcite compiling the views), which costs a second or two in a fresh JVM.
   * Until the runtime has started, queries pass through; commands, EXPLAIN and SHOW wait for it
   * ({@link #awaitStarted}). A runtime that failed to start is started again by the first connection opened
   * {@link #RETRY_AFTER_MS} or more after the failure (so a permanent failure costs one attempt and one log line
   * per interval, not one per connection).
   */
  static DatabaseRuntime forDatabase(EngineConfig config, boolean embedded) {
    String key = key(config, embedded);
    DatabaseRuntime runtime = RUNTIMES.get(key);
    if (runtime != null && !runtime.retryDue()) {
      return runtime;
    }
    synchronized (RUNTIMES) {
      runtime = RUNTIMES.get(key);
      if (runtime == null || runtime.retryDue()) {
        DatabaseRuntime created = new DatabaseRuntime(config, embedded, null);
        RUNTIMES.put(key, created);
        Thread starter = new Thread(created::start, "deltaview-start-" + config.database());
        starter.setDaemon(true);
        starter.start();
        runtime = created;
      }
      return runtime;
    }
  }

  /** Starts the engine (if embedded and nobody else maintains) and builds the first rewriter. */
  private void start() {
    // Here, off the caller's thread: loading Micrometer's classes must not delay opening a connection.
    GlobalMeters.bindIfPresent();
    try {
      if (embedded) {
        Engine e = candidate.start();
        if (e != null) {
          engine = e;
          e.addViewListener(this::refreshQuietly);
        } else {
          // Another process maintains (55000), or this role may not (42501): serve what that process maintains.
          LOG.log(System.Logger.Level.WARNING, candidate.standbyReason() + "; this JVM will only rewrite queries,"
              + " and take over maintenance if that process stops");
        }
      }
      refresh();
      startWatching();
      started.complete(null);
    } catch (SQLException | RuntimeException | Error e) {
      failedAtNanos = System.nanoTime();
      LOG.log(System.Logger.Level.WARNING, "Deltaview could not start for database " + config.database() + ": "
          + e.getMessage() + "; its queries pass through to PostgreSQL (a connection opened after "
          + RETRY_AFTER_MS / 1000 + " s tries again)");
      started.completeExceptionally(e);
    }
  }

  /** Whether this runtime failed to start long enough ago that a new connection should try again. */
  private boolean retryDue() {
    long failed = failedAtNanos;
    return failed != 0 && System.nanoTime() - failed >= TimeUnit.MILLISECONDS.toNanos(RETRY_AFTER_MS);
  }

  /** Whether this runtime may maintain views: it was opened with {@code deltaview.engine=embedded}. */
  boolean embedded() {
    return embedded;
  }

  /** Whether the runtime has started: it serves queries from views (when the rewriter says so). */
  boolean started() {
    return started.isDone() && !started.isCompletedExceptionally();
  }

  /**
   * Waits until the runtime has started, for a command that needs it.
   *
   * @throws SQLException the start's failure, or {@code 57014} after {@code timeoutMs}
   */
  void awaitStarted(long timeoutMs) throws SQLException {
    try {
      started.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof SQLException sql) {
        throw new SQLException("Deltaview could not start for database " + config.database() + ": "
            + sql.getMessage(), sql.getSQLState(), sql);
      }
      throw new SQLException("Deltaview could not start for database " + config.database() + ": " + cause,
          SqlStates.INTERNAL_ERROR, cause);
    } catch (TimeoutException e) {
      throw new SQLException("Deltaview did not start for database " + config.database() + " within "
          + timeoutMs + " ms", SqlStates.QUERY_CANCELED, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while waiting for Deltaview to start", SqlStates.QUERY_CANCELED, e);
    }
  }

  /**
   * Connections share a runtime only when they resolve names alike: same URL, same properties (the user
   * and {@code currentSchema}/{@code options} decide the search_path the rewriter resolves tables with).
   */
  private static String key(EngineConfig config, boolean embedded) {
    Properties p = config.properties();
    p.remove("password");
    return config.pgUrl() + new TreeMap<>(p) + (embedded ? "#embedded" : "#none");
  }

  /** Forgets all runtimes (tests that restart engines use it together with {@link EngineRegistry#stop}). */
  static void forgetAll() {
    synchronized (RUNTIMES) {
      for (DatabaseRuntime r : RUNTIMES.values()) {
        r.stopWatching();
        r.autoViews.close();
      }
      RUNTIMES.clear();
    }
  }

  /** The views this database creates by itself for marked queries. */
  AutoViews autoViews() {
    return autoViews;
  }

  Engine engine() {
    return engine;
  }

  /** The maintaining engine here, or the catalog's account of the views maintained elsewhere. */
  ViewService views() {
    Engine e = engine;
    return e != null ? e : catalogViews;
  }

  EngineConfig config() {
    return config;
  }

  /** A new connection to this runtime's database, for Deltaview's own reads and DDL; the caller closes it. */
  Connection connect() throws SQLException {
    return DriverManager.getConnection(config.pgUrl(), config.properties());
  }

  /** The catalog snapshot (tables and search_path) the current rewriter resolves names with; once started. */
  CatalogSchema schema() {
    return rewriter.schema();
  }

  RewriteDecision rewrite(String sql) {
    QueryRewriter r = rewriter;
    if (r == null) {
      return RewriteDecision.passThrough(sql, STARTING, Set.of(), 0);
    }
    if (schemaStale) {
      refreshQuietly();
      r = rewriter;
    }
    return r.rewrite(sql);
  }

  /** The schema may have changed (DDL went through a Deltaview connection): reload before the next rewrite. */
  void schemaChanged() {
    schemaStale = true;
  }

  void refreshQuietly() {
    try {
      refresh();
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.WARNING, "refreshing Deltaview's view of the schema failed: " + e.getMessage());
    }
  }

  /** Rebuilds the rewriter from the current schema and the ready views. */
  synchronized void refresh() throws SQLException {
    schemaStale = false;
    Engine e = engine;
    try (Connection c = connect()) {
      CatalogSchema schema = CatalogSchema.load(c);
      List<ViewRecord> ready = (e != null ? e : catalogViews).readyViews(c);
      List<ViewDefinition> definitions = new ArrayList<>();
      for (ViewRecord r : ready) {
        if (!resolvesAlike(schema, r)) {
          LOG.log(System.Logger.Level.DEBUG, "view " + r.qualifiedName() + " is not used by connections with"
              + " search_path " + schema.searchPath() + ": its tables resolve differently there");
          continue;
        }
        definitions.add(new ViewDefinition(r.qualifiedName(), r.schema(), r.name(), r.definition(),
            Catalog.columnsOf(c, r.schema(), r.name()).stream().map(col -> col.name()).toList(), r.timeZone()));
      }
      // only what changed is compiled again: a CREATE among hundreds of views costs that view, not all
      QueryRewriter previous = rewriter;
      rewriter = withAccessDecided(c, previous == null ? QueryRewriter.create(schema, definitions)
          : previous.with(schema, definitions));
    }
  }

  /**
   * {@code r} with the views this runtime's role may not be served from refused, as PostgreSQL answers on
   * {@code c} (a connection of this runtime: same role). The fingerprint is read first, so a change that lands
   * while the answers are read is seen by the next poll.
   */
  private QueryRewriter withAccessDecided(Connection c, QueryRewriter r) throws SQLException {
    List<ViewReads> reads = r.reads();
    String seen = RoleAccess.fingerprint(c, reads);
    Map<String, String> refusals = RoleAccess.refusals(c, reads);
    QueryRewriter previous = rewriter;
    Map<String, String> before = previous == null ? Map.of() : previous.refusals();
    refusals.forEach((view, why) -> {
      if (!why.equals(before.get(view))) {
        LOG.log(System.Logger.Level.INFO, "Deltaview: view " + view + " is not used for this connection's"
            + " queries: " + why);
      }
    });
    accessSeen = seen;
    return r.withRefusals(refusals);
  }

  /**
   * A rewritten query read from {@code view}'s result table and PostgreSQL refused it ({@code 42501}): whatever
   * the privilege check said, the view is not used by this runtime until privileges change or the views are
   * reloaded.
   */
  synchronized void refuse(String view, String reason) {
    QueryRewriter r = rewriter;
    if (r == null || r.refusals().containsKey(view)) {
      return;
    }
    Map<String, String> refusals = new HashMap<>(r.refusals());
    refusals.put(view, reason);
    rewriter = r.withRefusals(refusals);
    if (!accessSeen.equals(redecidedUnder.get(view))) {
      refusedSinceLook.add(view);
    }
  }

  /** Decides the refusals again if the privileges they depend on have changed since they were decided. */
  private synchronized void recheckAccess(Connection c) throws SQLException {
    QueryRewriter r = rewriter;
    if (r == null) {
      return;
    }
    List<ViewReads> reads = r.reads();
    if (reads.isEmpty()) {
      return;
    }
    if (!refusedSinceLook.isEmpty() || !RoleAccess.fingerprint(c, reads).equals(accessSeen)) {
      rewriter = withAccessDecided(c, r); // replaces every refusal, those after a 42501 too
      for (String view : refusedSinceLook) {
        redecidedUnder.put(view, accessSeen);
      }
      refusedSinceLook.clear();
    }
  }

  /**
   * Whether every base table of {@code view} is also what its bare name resolves to under this runtime's
   * search_path. The rewriter parses view definitions with the connection's search_path, not the creator's:
   * where a bare name means another table here (e.g. {@code currentSchema=other} and an {@code other.orders}),
   * the view would match queries over that other table, so it is left out.
   */
  private static boolean resolvesAlike(CatalogSchema schema, ViewRecord view) {
    for (String base : view.baseTables()) {
      String[] parts = Catalog.splitQualified(base);
      Optional<TableInfo> here = schema.resolve(parts[1]);
      if (here.isPresent() && !here.get().schema().equals(parts[0])) {
        return false;
      }
    }
    return true;
  }

  // ---------------------------------------------------------------- watcher (privileges; catalog without an engine)

  private synchronized void startWatching() {
    if (watch == null) {
      watch = WATCHER.scheduleWithFixedDelay(this::watchOnce, WATCH_INTERVAL_MS, WATCH_INTERVAL_MS,
          TimeUnit.MILLISECONDS);
    }
  }

  private synchronized void stopWatching() {
    if (watch != null) {
      watch.cancel(false);
      watch = null;
    }
    WATCHER.execute(this::closeWatchConnection);
  }

  /**
   * One watcher tick. Without an engine: take over maintenance if nobody maintains (embedded), else refresh on
   * catalog change. With one: refresh when a view another backend maintains changed status (the engine's listeners
   * tell of its own). Always: decide the refusals again when the privileges they depend on changed (a runtime
   * without views has nothing to check).
   */
  private void watchOnce() {
    try {
      if (engine == null) {
        Connection c = watchConnection();
        if (embedded && takeOver(c)) {
          return;
        }
        if (catalogViews.readinessChanged(c)) {
          refresh();
          return;
        }
      } else if (engine.readinessChanged(watchConnection())) {
        refresh(); // a view another backend maintains changed (its listeners cover the engine's own)
        return;
      }
      QueryRewriter r = rewriter;
      if (r != null && !r.views().isEmpty()) {
        recheckAccess(watchConnection());
      }
    } catch (SQLException | RuntimeException e) {
      LOG.log(System.Logger.Level.DEBUG, "Deltaview catalog watch failed (will retry): " + e);
      closeWatchConnection();
    }
  }

  /**
   * Starts this JVM's engine if no process holds the maintainer lock any more. Another JVM may win the race:
   * then this one keeps only rewriting.
   */
  private boolean takeOver(Connection c) throws SQLException {
    Engine e = candidate.tryTakeOver(c);
    if (e == null) {
      return false;
    }
    engine = e;
    e.addViewListener(this::refreshQuietly);
    refreshQuietly();
    LOG.log(System.Logger.Level.INFO, "Deltaview: this JVM now maintains the incremental views of database "
        + config.database() + " (the previous maintainer stopped)");
    return true;
  }

  private Connection watchConnection() throws SQLException {
    if (watchConnection == null || watchConnection.isClosed()) {
      Properties p = config.properties();
      p.setProperty("ApplicationName", "deltaview-watch");
      watchConnection = DriverManager.getConnection(config.pgUrl(), p);
    }
    return watchConnection;
  }

  private void closeWatchConnection() {
    Connection c = watchConnection;
    watchConnection = null;
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.DEBUG, "closing the catalog watch connection failed: " + e);
      }
    }
  }
}
