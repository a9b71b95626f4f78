package io.deltaview.engine;

import io.deltaview.engine.apply.ApplyLoop;
import io.deltaview.engine.backend.ViewBackend;
import io.deltaview.engine.backend.ViewBackends;
import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.cdc.Heartbeat;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.lead.MaintainerLock;
import io.deltaview.engine.snapshot.SnapshotProgress;
import io.deltaview.engine.state.Checkpointer;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Keeps the incremental views of one database current, and is what the driver asks of them
 * ({@link ViewService}). One per database per JVM (see {@link EngineRegistry}); among JVMs, the one holding
 * the database's maintainer lock maintains, the others only serve queries.
 *
 * <p>It assembles the parts that do the work, each on its own concern: {@link Leadership} (the maintainer
 * lock), {@link Streaming} (the replication stream and its apply loop), {@link Supervisor} (restarts after
 * failures), {@link ViewLoading} (checkpoints and snapshot loads), {@link ViewDdl} (CREATE and DROP),
 * {@link EngineStatus} (SHOW) and {@link Watermarks} (strong reads). What remains here is serving: which
 * views are ready, and the per-query check that one still is.
 */
public final class Engine implements ViewService, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Engine.class.getName());
  /** How often the maintainer looks for view requests made with SQL: the wait of a {@code create_view}. */
  private static final long VIEW_REQUEST_LOOK_MS = 200;

  private final EngineConfig config;
  /** Held by CREATE, DROP, a restart of the loop and a resumption of leadership: one at a time. */
  private final Object ddlLock = new Object();
  /** Queries served per view since this engine started; kept here so they survive apply-loop restarts. */
  private final Map<String, LongAdder> hits = new ConcurrentHashMap<>();
  private final List<Runnable> viewListeners = new CopyOnWriteArrayList<>();
  /** The current loop's views by qualified name, as of the last {@link #fireViewsChanged}; for {@link #serve}. */
  private volatile Map<String, MaintainedView> known = Map.of();
  /** The ready views other backends maintain, as {@link #readyViews(Connection)} last read them. */
  private volatile Set<String> otherBackends = Set.of();
  /** {@link BackendViews#fingerprint} as {@link #readyViews(Connection)} last read it. */
  private volatile String backendsSeen = "";
  /** Takes the views' checkpoints and holds the slot back to the oldest one still needed. */
  private final Checkpointer checkpointer;
  private final Streaming streaming;
  private final Supervisor supervisor;
  private final ViewLoading loading;
  private final Leadership leadership;
  private final ViewDdl ddl;
  private final EngineStatus status;
  private final Watermarks watermarks;
  /** Carries out the view requests made with SQL ({@code deltaview.create_view}) from any session. */
  private final ViewRequestWorker viewRequests;
  /** Lets the apply loop tell how current the views are; null when heartbeats are off. */
  private volatile Heartbeat heartbeat;

  private Engine(EngineConfig config, MaintainerLock lock, Watermarks watermarks) {
    this.config = config;
    this.watermarks = watermarks;
    this.checkpointer = new Checkpointer(config.database(), Checkpointer.Settings.fromSystemProperties(),
        () -> connect(config));
    this.streaming = new Streaming(config, checkpointer, new StreamingHooks(), this::holdsLock);
    this.supervisor = new Supervisor(config, streaming, ddlLock, this::fireViewsChanged);
    this.loading = new ViewLoading(config, streaming, checkpointer, supervisor, ddlLock,
        this::resumeFailed, this::fireViewsChanged);
    this.leadership = new Leadership(config, lock, streaming, checkpointer, ddlLock, this::resumeMaintaining,
        this::stopMaintainingElsewhere, this::fireViewsChanged);
    supervisor.supervise(leadership, loading);
    this.ddl = new ViewDdl(config, ddlLock, leadership, streaming, loading, this::fireViewsChanged);
    this.status = new EngineStatus(config, streaming, loading, this::hitCount);
    this.viewRequests = new ViewRequestWorker(this);
  }

  /** What the stream tells: loads go to the loader, failures and exits to the supervisor. */
  private final class StreamingHooks implements Streaming.Hooks {
    @Override
    public void loadLater(List<MaintainedView> views) {
      loading.submit(views);
    }

    @Override
    public void viewFailed(MaintainedView view) {
      supervisor.viewFailed(view);
    }

    @Override
    public void loopExited(ApplyLoop loop) {
      supervisor.loopExited(loop);
    }

    @Override
    public void viewsChanged() {
      fireViewsChanged();
    }

    @Override
    public void onSupervisor(Runnable task) {
      supervisor.execute(task);
    }
  }

  private boolean holdsLock() {
    return leadership.holdsLock();
  }

  /**
   * This process has become the one that maintains the views (at start, and when it takes the lock again after
   * losing it): the embedded engine's views, and those of every other backend.
   */
  private void resumeMaintaining() throws SQLException {
    loading.resume();
    for (ViewBackend backend : ViewBackends.all()) {
      backend.resume(config);
    }
  }

  /**
   * This process lost the maintainer lock, beyond what {@link Leadership} stops itself (the stream): a resumption
   * still reading checkpoints, and the other backends' views, which another process may now resume.
   */
  private void stopMaintainingElsewhere() {
    loading.stopResuming();
    for (ViewBackend backend : ViewBackends.all()) {
      try {
        backend.close(config);
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "stopping the " + backend.name() + " views of " + config.database()
            + " after losing the maintainer lock failed: " + e, e);
      }
    }
  }

  /** The apply loop could not be started after reading the checkpoints: let go of the lock and take it again. */
  private void resumeFailed(String why) {
    leadership.lost(why);
  }

  /**
   * Starts the engine for a database: takes the maintainer lock (see {@link Catalog#lockMaintainer}) and, if
   * views are registered, resumes maintaining them in the background.
   *
   * @throws SQLException {@code 55000} if another process maintains this database's views; {@code 42501} if
   *     this role may not (it cannot create Deltaview's schema or take its lock): either way this process can
   *     still serve queries from views another process maintains
   */
  public static Engine start(EngineConfig config) throws SQLException {
    MaintainerLock leader = MaintainerLock.take(connect(config), config.database());
    Watermarks watermarks = null;
    try {
      watermarks = Watermarks.open(config);
      Engine engine = new Engine(config, leader, watermarks);
      try {
        engine.heartbeat = Heartbeat.start(() -> connect(config), () -> engine.streaming.loop() != null,
            config.database());
        engine.resumeMaintaining();
        engine.supervisor.every(engine.leadership::check, Leadership.CHECK_MS, Leadership.CHECK_MS);
        engine.supervisor.every(engine::lookForViewRequests, 0, VIEW_REQUEST_LOOK_MS);
      } catch (SQLException | RuntimeException e) {
        engine.close(); // a half-started apply loop must not keep the slot without the lock
        throw e;
      }
      return engine;
    } catch (SQLException | RuntimeException e) {
      if (watermarks != null) {
        watermarks.close();
      }
      leader.close();
      throw e;
    }
  }

  static Connection connect(EngineConfig config) throws SQLException {
    Properties p = config.properties();
    p.setProperty("ApplicationName", "deltaview-engine");
    return DriverManager.getConnection(config.pgUrl(), p);
  }

  public EngineConfig config() {
    return config;
  }

  /** Called (on an engine thread) whenever the set of ready views changes. */
  public void addViewListener(Runnable listener) {
    viewListeners.add(listener);
  }

  private void fireViewsChanged() {
    ApplyLoop l = streaming.loop();
    Map<String, MaintainedView> byName = new HashMap<>();
    for (MaintainedView v : loading.restoring().views()) {
      byName.put(v.qualifiedName(), v);
    }
    if (l != null) {
      for (MaintainedView v : l.views()) {
        byName.put(v.qualifiedName(), v);
      }
    }
    known = Map.copyOf(byName);
    for (Runnable r : viewListeners) {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "view listener failed: " + e, e);
      }
    }
    streaming.pruneRebuilding();
  }

  /** Hands pending view requests ({@code deltaview.create_view} and kin) to their worker. */
  private void lookForViewRequests() {
    try {
      if (leadership.viewRequestsPending()) {
        viewRequests.wake();
      }
    } catch (RuntimeException e) { // a scheduled task that throws is never run again
      LOG.log(System.Logger.Level.WARNING, "looking for view requests of " + config.database() + " failed: " + e, e);
    }
  }

  @Override
  public boolean maintains() {
    return true;
  }

  /**
   * Whether this engine holds the maintainer lock now: false once closed, and while it has lost the lock (its
   * connection to the database was lost) and is taking it again.
   */
  public boolean leading() {
    return leadership.holdsLock() && !streaming.closed();
  }

  /**
   * {@link #readyViews()}, then the ready views other engines maintain ({@link BackendViews}), read on {@code c}:
   * those answer {@code eventual} reads only ({@link #onlyEventual}), each alone.
   */
  @Override
  public List<ViewRecord> readyViews(Connection c) throws SQLException {
    List<ViewRecord> out = readyViews();
    List<BackendViews.BackendView> recorded = BackendViews.load(c);
    backendsSeen = BackendViews.fingerprint(recorded);
    List<ViewRecord> others = leading() ? BackendViews.ready(recorded) : List.of();
    Set<String> names = new HashSet<>();
    for (ViewRecord r : others) {
      out.add(r);
      names.add(r.qualifiedName());
    }
    otherBackends = Set.copyOf(names);
    return out;
  }

  /**
   * The engine's listeners are told of every change of its own views ({@link #addViewListener}); those of other
   * backends change in their record, looked at on {@code c} (about once a second).
   */
  @Override
  public boolean readinessChanged(Connection c) throws SQLException {
    return !BackendViews.fingerprint(BackendViews.load(c)).equals(backendsSeen);
  }

  @Override
  public boolean onlyEventual(List<String> qualifiedViews) {
    return BackendViews.anyOf(otherBackends, qualifiedViews);
  }

  @Override
  public List<ViewStatus> status(Connection caller) throws SQLException {
    return status.views();
  }

  /** Asks each backend for the view it runs here (its job), else prints what is recorded of it. */
  @Override
  public List<String> explainOnBackend(Connection caller, String schema, String name) throws SQLException {
    for (ViewBackend backend : ViewBackends.all()) {
      List<String> lines = backend.explain(config, schema, name);
      if (lines != null) {
        return lines;
      }
    }
    return ViewService.super.explainOnBackend(caller, schema, name);
  }

  /**
   * Registered views that are ready to serve queries: those the apply loop maintains, and those served from
   * their result tables while their checkpoints are read ({@link RestoringViews}).
   */
  public List<ViewRecord> readyViews() {
    ApplyLoop l = streaming.loop();
    RestoringViews restoring = loading.restoring();
    List<ViewRecord> out = new ArrayList<>();
    Set<String> listed = new HashSet<>();
    if (l != null) {
      for (MaintainedView v : l.views()) {
        if (v.state() == MaintainedView.State.ACTIVE && listed.add(v.qualifiedName())) {
          out.add(v.record());
        }
      }
    }
    for (MaintainedView v : restoring.views()) {
      if (listed.add(v.qualifiedName())) {
        out.add(v.record());
      }
    }
    return out;
  }

  /**
   * Whether every registered view that resumes from a checkpoint has its state read and is maintained by the
   * apply loop (none is served only from its table any more); for benchmarks and tests.
   */
  public boolean checkpointsRead() {
    return loading.restoring().isEmpty();
  }

  /**
   * Per query, just before it is served from {@code qualifiedViews}: false if a view stopped being active since
   * the listeners were last told (it failed, or is being reloaded, in the apply loop's last transaction: the
   * listeners hear of it a moment later, on another thread), or, for several views, if one of them is ahead of
   * the stream; otherwise counts the hit. Asked after a strong read's wait, so a view that failed on a
   * transaction the wait covered is never served.
   *
   * <p>Why several views are consistent otherwise: the apply loop writes every view's delta of a source
   * transaction in one target transaction, so views it has applied past their load read as one state. A view
   * just loaded from a snapshot taken ahead of the loop's position holds transactions the others do not yet.
   * Views whose checkpoints are being read as maintenance starts are served too ({@link RestoringViews}): each
   * alone, or with others of them whose tables hold the same position, never with views the loop maintains. A
   * ready view another engine maintains ({@link BackendViews}) is served alone, while this engine leads.
   */
  @Override
  public boolean serve(List<String> qualifiedViews) {
    // Per-query path: map lookups and volatile reads, no allocation once each view has a counter.
    int n = qualifiedViews.size();
    long position = Long.MAX_VALUE;
    if (n > 1) {
      ApplyLoop l = streaming.loop();
      position = l == null ? Long.MIN_VALUE : l.position(); // no loop: no active view is read with others
    }
    RestoringViews restoring = loading.restoring();
    boolean active = false;
    boolean restored = false;
    for (int i = 0; i < n; i++) {
      String name = qualifiedViews.get(i);
      MaintainedView v = known.get(name);
      if (v == null) {
        // Another backend's view answers alone. Otherwise unknown is not servable: between a loop stopping and
        // its views being loaded again (a lost slot, a lost lock) the rewriter may still list a view whose result
        // table is no longer kept current.
        if (n == 1 && otherBackends.contains(name) && leading()) {
          break;
        }
        return false;
      }
      if (v.state() == MaintainedView.State.ACTIVE) {
        if (v.aheadOf(position)) {
          return false;
        }
        active = true;
      } else if (restoring.serves(name, n > 1)) {
        restored = true;
      } else {
        return false;
      }
    }
    if (active && restored) {
      return false; // tables kept by the loop and tables waiting for it: not one state of the source
    }
    for (int i = 0; i < n; i++) {
      hits.computeIfAbsent(qualifiedViews.get(i), name -> new LongAdder()).increment();
    }
    return true;
  }

  private long hitCount(String qualifiedView) {
    LongAdder counter = hits.get(qualifiedView);
    return counter == null ? 0 : counter.sum();
  }

  /** How many times a view was loaded from a snapshot since this engine started (for tests and monitoring). */
  public long snapshotLoads() {
    return loading.snapshotLoads();
  }

  /** How many snapshot loads (each reading base tables) this engine started; 0 if every view resumed from a checkpoint. */
  public long snapshotReads() {
    return loading.snapshotReads();
  }

  /** How many times a view resumed from its checkpoint since this engine started. */
  public long checkpointResumes() {
    return loading.checkpointResumes();
  }

  /** What the checkpoints written by this engine cost so far. */
  public Checkpointer.Stats checkpointStats() {
    return checkpointer.stats();
  }

  /** How many times a view failed since this engine started, first failures and failed rebuilds alike. */
  public long viewFailures() {
    return supervisor.viewFailures();
  }

  /** {@code CREATE INCREMENTAL VIEW}; see {@link ViewDdl#create}. */
  @Override
  public void createView(Requester requester, String schema, String name, String sql, boolean ifNotExists,
      String origin) throws SQLException {
    ddl.create(requester, schema, name, sql, ifNotExists, origin);
  }

  /** {@code CREATE INCREMENTAL VIEW … WITH (engine = '…')}; see {@link ViewDdl#createOnBackend}. */
  @Override
  public void createView(Requester requester, String schema, String name, String sql, boolean ifNotExists,
      String origin, String engine) throws SQLException {
    if (engine == null || engine.equals(ViewBackends.EMBEDDED)) {
      createView(requester, schema, name, sql, ifNotExists, origin);
    } else {
      ddl.createOnBackend(requester, schema, name, sql, ifNotExists, engine, origin);
    }
  }

  /** {@code DROP INCREMENTAL VIEW}; see {@link ViewDdl#drop}. */
  @Override
  public void dropView(Requester requester, String schema, String name, boolean ifExists) throws SQLException {
    ddl.drop(requester, schema, name, ifExists);
  }

  /** One entry per registered view, for {@code SHOW INCREMENTAL VIEWS}; see {@link EngineStatus#views}. */
  public List<ViewStatus> status() throws SQLException {
    return status.views();
  }

  /** How stale the views this process keeps current are now, in milliseconds; see {@link EngineStatus#stalenessMs}. */
  @Override
  public Long stalenessMs() {
    return status.stalenessMs();
  }

  /**
   * The WAL the database's replication slot retained at the engine's last look (every few seconds), in bytes;
   * -1 before the first look or while there is no slot.
   */
  public long retainedWalBytes() {
    return streaming.retainedWalBytes();
  }

  /** Queries served from view {@code qualifiedView} since this engine started. */
  public long hits(String qualifiedView) {
    return hitCount(qualifiedView);
  }

  /** The views this process maintains now (loading, ready or failed), as its apply loop holds them. */
  public List<MaintainedView> maintainedViews() {
    ApplyLoop l = streaming.loop();
    return l == null ? List.of() : List.copyOf(l.views());
  }

  /** The snapshot loads under way now (each reading base tables for some views). */
  public List<SnapshotProgress> snapshotLoadsUnderWay() {
    return loading.underWay();
  }

  /** Base-table rows read so far by the snapshot loads under way (0 when none is). */
  public long snapshotRowsRead() {
    return loading.rowsRead();
  }

  /**
   * PostgreSQL's estimate of the rows the snapshot loads under way read in all: 0 when none is, -1 when a table
   * they read was never analyzed.
   */
  public long snapshotRowsEstimated() {
    return loading.rowsEstimated();
  }

  /**
   * Strong consistency: waits until every transaction committed before this call is reflected in the ready
   * views, by writing a WAL watermark and waiting for the apply loop to pass it. False on timeout.
   */
  @Override
  public boolean awaitCurrent(long timeoutMs) throws SQLException {
    long left = loading.awaitResumed(timeoutMs);
    if (left < 0) {
      return false; // still reading checkpoints
    }
    ApplyLoop l = streaming.loop();
    if (l == null || !l.isRunning()) {
      return false;
    }
    return watermarks.awaitCurrent(l, left);
  }

  /**
   * For benchmarks and tests only: holds the apply loop between two source transactions until the returned
   * handle is closed, so that a backlog builds up in the slot. The reader keeps the walsender alive meanwhile.
   * Returns once the loop is actually holding. Closing the engine while paused waits for the handle.
   */
  public AutoCloseable pauseApplying() throws SQLException {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    ApplyLoop l = streaming.loop();
    if (l == null || !l.isRunning()) {
      throw new SQLException("Deltaview: no apply loop is running", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    l.submit(() -> {
      holding.countDown();
      try {
        resume.await();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    });
    try {
      while (!holding.await(200, TimeUnit.MILLISECONDS)) {
        if (!l.isRunning()) {
          throw new SQLException("Deltaview: the apply loop stopped: " + l.failure(), SqlStates.INTERNAL_ERROR, l.failure());
        }
      }
    } catch (InterruptedException e) {
      resume.countDown();
      Thread.currentThread().interrupt();
      throw new SQLException("interrupted while pausing the apply loop", SqlStates.QUERY_CANCELED, e);
    }
    return resume::countDown;
  }

  /**
   * Waits until the apply loop has applied the stream up to {@code lsn} (a position the caller read after its
   * own commit: read-your-writes reads, benchmarks and tests). False on timeout or if no loop runs.
   */
  @Override
  public boolean awaitApplied(LogSequenceNumber lsn, long timeoutMs) {
    long left = loading.awaitResumed(timeoutMs);
    if (left < 0) {
      return false; // still reading checkpoints
    }
    ApplyLoop l = streaming.loop();
    if (l == null || !l.isRunning()) {
      return false;
    }
    try {
      return l.awaitPosition(lsn.asLong(), left);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Stops maintenance and releases every connection; the slot keeps the position for the next start. */
  @Override
  public void close() {
    if (!streaming.close()) {
      return; // closed already
    }
    // The views (and their operator state, possibly gigabytes) must not outlive the engine in whatever still
    // holds this object, such as an embedder's reference or a JVM-wide registry.
    known = Map.of();
    supervisor.close();
    loading.close();
    Heartbeat beating = heartbeat;
    if (beating != null) {
      beating.close();
    }
    viewRequests.close();
    for (ViewBackend backend : ViewBackends.all()) {
      backend.close(config);
    }
    checkpointer.close();
    watermarks.close();
    leadership.close();
  }

  static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.DEBUG, "close failed: " + e);
      }
    }
  }
}
