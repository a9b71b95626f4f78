package io.deltaview.engine;

import io.deltaview.sql.SqlStates;
import io.deltaview.engine.apply.ApplyLoop;
import io.deltaview.engine.cdc.ChangeFeed;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.cdc.ExportedSnapshot;
import io.deltaview.engine.cdc.Heartbeat;
import io.deltaview.engine.cdc.ReplicationSlotReader;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.ddl.ResultTables;
import io.deltaview.engine.ddl.ViewRegistration;
import io.deltaview.engine.lead.MaintainerLock;
import io.deltaview.rewriter.sql.DefinitionSql;
import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.engine.snapshot.SnapshotLoader;
import io.deltaview.engine.snapshot.SnapshotProgress;
import io.deltaview.engine.state.CheckpointRestore;
import io.deltaview.engine.state.CheckpointStore;
import io.deltaview.engine.state.Checkpointer;
import io.deltaview.engine.view.BaseTableDrift;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.TableShape;
import io.deltaview.engine.view.ViewFailure;
import io.deltaview.engine.view.ViewCompilation;
import io.deltaview.engine.watch.EngineWatch;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.TimeUnit;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Keeps the incremental views of one database current: owns the catalog, the replication slot and
 * publication, the apply loop and the snapshot loads. One per database per JVM (see {@link EngineRegistry});
 * among JVMs, the one holding the database's maintainer lock maintains, the others only serve queries.
 */
public final class Engine implements ViewService, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Engine.class.getName());
  private static final int MAX_REGISTRATION_ATTEMPTS = 5;

  private final EngineConfig config;
  private final Object ddlLock = new Object();
  /** Queries served per view since this engine started; kept here so they survive apply-loop restarts. */
  private final Map<String, LongAdder> hits = new ConcurrentHashMap<>();
  private final List<Runnable> viewListeners = new CopyOnWriteArrayList<>();
  private final ExecutorService loader;
  /** Carries out the view requests made with SQL ({@code deltaview.create_view}) from any session. */
  private final ViewRequestWorker viewRequests;
  /** The maintainer lock this process holds; replaced when it is taken again (see {@link #watchLeadership}). */
  private volatile MaintainerLock lock;
  /** Whether this process holds the maintainer lock now; while not, it maintains nothing. */
  private volatile boolean leading = true;
  /** How often the lock's connection is checked (and, after losing it, the lock is asked for again). */
  private static final long LEADERSHIP_CHECK_MS = 1_000;
  /** Writes the watermarks of {@link #awaitCurrent}, with synchronous_commit on; reopened when lost. */
  private Connection watermarkConnection;
  private final Object watermarkLock = new Object();
  private volatile boolean closed;
  /** Lets the apply loop tell how current the views are; null when heartbeats are off. */
  private volatile Heartbeat heartbeat;

  private ChangeFeed feed;
  /** The current apply loop; replaced (never mutated) when the supervisor restarts streaming. */
  private volatile ApplyLoop loop;
  private Thread loopThread;
  private Connection sinkConnection;

  // Supervision of the apply loop (see loopExited): restarts with backoff; guarded by "this".
  private static final long FIRST_BACKOFF_MS = 1_000;
  private static final long MAX_BACKOFF_MS = 30_000;
  /** A loop that ran this long before failing counts as healthy: the backoff starts over. */
  private static final long HEALTHY_RUN_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(60);
  /** The first restart after a healthy run is quick: the views carried over are stale until it. */
  private static final long FIRST_RESTART_MS = 200;
  private volatile java.util.concurrent.ScheduledExecutorService supervisor;
  private final Object supervisorLock = new Object();
  private int consecutiveFailures;
  private long loopStartedNanos;
  /** Backoff of the rebuilds of one failed view: 1 s, doubling with each failure in a row, up to 5 min. */
  private static final long FIRST_RETRY_BACKOFF_MS = 1_000;
  private static final long MAX_RETRY_BACKOFF_MS = 300_000;
  /** Failed views with a rebuild scheduled (one at a time per view). */
  private final Set<MaintainedView> retriesScheduled = ConcurrentHashMap.newKeySet();
  private final LongAdder snapshotLoads = new LongAdder();
  /** Snapshot loads started (each one reads base tables), for tests and monitoring. */
  private final LongAdder snapshotReads = new LongAdder();
  /** Views resumed from a checkpoint since this engine started. */
  private final LongAdder checkpointResumes = new LongAdder();
  /** Takes the views' checkpoints and holds the slot back to the oldest one still needed. */
  private final Checkpointer checkpointer;
  /** The current loop's views by qualified name, as of the last {@link #fireViewsChanged}; for {@link #serve}. */
  private volatile Map<String, MaintainedView> known = Map.of();
  private final LongAdder viewFailures = new LongAdder();
  /** The snapshot loads under way (a CREATE's and the loader's may overlap), for SHOW and metrics. */
  private final Set<SnapshotProgress> loads = ConcurrentHashMap.newKeySet();

  // Slot hygiene (see replaceLostSlot and checkRetainedWal).
  /** Views being rebuilt because the slot was lost: qualified name → why (their last_error meanwhile). */
  private final Map<String, String> rebuilding = new ConcurrentHashMap<>();
  /** How many times a lost slot was replaced; guarded by "this". */
  private int slotReplacements;
  /**
   * {@link #slotReplacements} as of the last loop started, whose starter was told (see
   * {@link #startStreaming(LogSequenceNumber)}); guarded by "this".
   */
  private int slotReplacementsHandled;
  /**
   * The WAL position before the last slot replacement: a view marked {@code rebuilding} is rebuilt once it is
   * active from a snapshot after it (a view still active from before, carried by a loop that died, is not).
   */
  private volatile long rebuildingFrom;
  /** Whether the listener that prunes {@link #rebuilding} is registered; guarded by "this". */
  private boolean rebuildingPruned;
  /** Watches the base tables and the WAL the slot retains; null until streaming starts. Guarded by "this". */
  private volatile EngineWatch watch;

  private Engine(EngineConfig config, MaintainerLock lock, Connection watermarkConnection) {
    this.config = config;
    this.lock = lock;
    this.watermarkConnection = watermarkConnection;
    this.checkpointer = new Checkpointer(config.database(), Checkpointer.Settings.fromSystemProperties(),
        () -> connect(config));
    this.loader = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "deltaview-loader-" + config.database());
      t.setDaemon(true);
      return t;
    });
    this.viewRequests = new ViewRequestWorker(this);
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
    Connection watermarks = null;
    try {
      watermarks = watermarkConnection(config);
      Engine engine = new Engine(config, leader, watermarks);
      try {
        engine.heartbeat = Heartbeat.start(() -> connect(config), () -> engine.loop != null, config.database());
        engine.resume();
        engine.scheduler().scheduleWithFixedDelay(engine::watchLeadership, LEADERSHIP_CHECK_MS,
            LEADERSHIP_CHECK_MS, TimeUnit.MILLISECONDS);
        engine.scheduler().scheduleWithFixedDelay(engine::lookForViewRequests, 0, VIEW_REQUEST_LOOK_MS,
            TimeUnit.MILLISECONDS);
      } catch (SQLException | RuntimeException e) {
        engine.close(); // a half-started apply loop must not keep the slot without the lock
        throw e;
      }
      return engine;
    } catch (SQLException | RuntimeException e) {
      closeQuietly(watermarks);
      leader.close();
      throw e;
    }
  }

  private static Connection watermarkConnection(EngineConfig config) throws SQLException {
    Connection c = connect(config);
    try (Statement s = c.createStatement()) {
      s.execute("SET synchronous_commit = on"); // the watermark's commit flushes the WAL at once
    } catch (SQLException e) {
      closeQuietly(c);
      throw e;
    }
    return c;
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
    ApplyLoop l = loop;
    Map<String, MaintainedView> byName = new java.util.HashMap<>();
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
    return leading && !closed;
  }

  @Override
  public List<ViewRecord> readyViews(Connection c) {
    return readyViews();
  }

  /** The engine's listeners are told of every change ({@link #addViewListener}). */
  @Override
  public boolean readinessChanged(Connection c) {
    return false;
  }

  @Override
  public List<ViewStatus> status(Connection caller) throws SQLException {
    return status();
  }

  /** Registered views that are ready to serve queries. */
  public List<ViewRecord> readyViews() {
    ApplyLoop l = loop;
    if (l == null) {
      return List.of();
    }
    List<ViewRecord> out = new ArrayList<>();
    for (MaintainedView v : l.views()) {
      if (v.state() == MaintainedView.State.ACTIVE) {
        out.add(v.record());
      }
    }
    return out;
  }

  /**
   * Per query, just before it is served from {@code qualifiedView}: false if the view stopped being active
   * since the listeners were last told (it failed, or is being reloaded, in the apply loop's last
   * transaction: the listeners hear of it a moment later, on another thread); otherwise counts the hit. Asked
   * after a strong read's wait, so a view that failed on a transaction the wait covered is never served.
   */
  @Override
  public boolean serve(String qualifiedView) {
    // Per-query path: two map lookups and a volatile read, no allocation once the view has a counter.
    MaintainedView v = known.get(qualifiedView);
    // Unknown is not servable: between a loop stopping and its views being loaded again (a lost slot, a lost
    // lock) the rewriter may still list a view whose result table is no longer kept current.
    if (v == null || v.state() != MaintainedView.State.ACTIVE) {
      return false;
    }
    hits.computeIfAbsent(qualifiedView, name -> new LongAdder()).increment();
    return true;
  }

  private long hitCount(String qualifiedView) {
    LongAdder counter = hits.get(qualifiedView);
    return counter == null ? 0 : counter.sum();
  }

  // ---------------------------------------------------------------- start / resume

  private void resume() throws SQLException {
    List<ViewRecord> records;
    try (Connection c = connect(config)) {
      records = Catalog.loadViews(c);
    }
    if (records.isEmpty()) {
      return;
    }
    List<MaintainedView> views = new ArrayList<>();
    try (Connection c = connect(config)) {
      for (ViewRecord r : records) {
        try {
          views.add(ViewCompilation.fromCatalog(c, r));
        } catch (SQLException e) {
          LOG.log(System.Logger.Level.ERROR, "cannot maintain view " + r.qualifiedName() + ": " + e.getMessage());
          Catalog.updateStatus(c, r.schema(), r.name(), ViewState.FAILED, e.getMessage());
        }
      }
    }
    CheckpointRestore.Plan plan = planRestore(views);
    Map<MaintainedView, CheckpointRestore.Restored> restored = new java.util.LinkedHashMap<>(plan.restored());
    Map<MaintainedView, String> reasons = new java.util.LinkedHashMap<>(plan.rebuilt());
    dropDrifted(restored, reasons);
    // Restored views are active from the first event on: they take the stream from their checkpoint's position
    // (what came before is in their state) and write what their tables do not hold yet, transaction by
    // transaction with every other view. The slot is held back for them before the stream starts.
    LogSequenceNumber tablesAt = plan.tablesAt() == null ? LogSequenceNumber.INVALID_LSN : plan.tablesAt();
    LogSequenceNumber replayFrom = null;
    for (Map.Entry<MaintainedView, CheckpointRestore.Restored> e : restored.entrySet()) {
      MaintainedView v = e.getKey();
      CheckpointRestore.Restored r = e.getValue();
      v.activate(r.pipeline(), r.lsn(), tablesAt);
      v.markApplied(r.lsn().asLong() > tablesAt.asLong() ? r.lsn() : tablesAt, 0);
      v.markStateSource("checkpoint");
      v.activity().rowsAre(r.resultRows());
      v.activity().stateBytes(r.bytes());
      checkpointer.restored(v, r.fingerprint(), r.lsn());
      replayFrom = replayFrom == null || r.lsn().asLong() < replayFrom.asLong() ? r.lsn() : replayFrom;
    }
    startStreaming(null, replayFrom, List.copyOf(restored.keySet()));
    ApplyLoop current = loop;
    for (MaintainedView v : restored.keySet()) {
      if (v.state() == MaintainedView.State.ACTIVE && (current == null || !current.views().contains(v))) {
        // A loop was running already (it cannot be, when maintenance starts): the view is loaded as any other
        // (added here; those restored are not added below).
        checkpointer.forget(v);
        v.interrupt("restarting maintenance");
        reasons.put(v, "the apply loop was running already");
        if (current != null) {
          runOnLoop(() -> loop.addView(v));
        }
        continue;
      }
      if (v.state() == MaintainedView.State.ACTIVE) {
        checkpointResumes.increment();
        CheckpointRestore.Restored r = restored.get(v);
        LOG.log(System.Logger.Level.INFO, "Deltaview view " + v.qualifiedName() + " resumed from its checkpoint at "
            + r.lsn() + " (" + r.bytes() + " bytes fetched in " + r.fetchMillis() + " ms and read in " + r.readMillis()
            + " ms), without reading its base"
            + " tables; the stream since then is replayed into its state");
      } else {
        reasons.put(v, "the replication slot was lost and replaced"); // startStreaming put it back to loading
      }
    }
    List<MaintainedView> rebuilt = new ArrayList<>();
    for (MaintainedView v : views) {
      if (v.state() == MaintainedView.State.ACTIVE) {
        continue; // added to the loop before it started
      }
      if (!restored.containsKey(v)) {
        runOnLoop(() -> loop.addView(v));
      }
      String why = reasons.get(v);
      if (why != null && v.record().status() != ViewState.FAILED) {
        v.noteRebuildReason(why);
        LOG.log(System.Logger.Level.INFO, "Deltaview view " + v.qualifiedName() + " is rebuilt from a snapshot of"
            + " its base tables: " + why);
      }
      rebuilt.add(v);
    }
    if (!restored.isEmpty()) {
      fireViewsChanged();
    }
    if (!rebuilt.isEmpty()) {
      loader.submit(() -> loadAndActivate(rebuilt));
    }
  }

  /**
   * Moves the restored views whose base tables no longer match their plan (as a snapshot load checks them) to
   * the rebuilt ones: their load then fails them, or rebuilds them, as it would without a checkpoint.
   */
  private void dropDrifted(Map<MaintainedView, CheckpointRestore.Restored> restored, Map<MaintainedView, String> reasons) {
    if (restored.isEmpty()) {
      return;
    }
    try (Connection c = connect(config)) {
      Map<TableShape, ViewFailure> drift = BaseTableDrift.check(c, config.publicationName(),
          BaseTableDrift.sourcesOf(List.copyOf(restored.keySet())));
      for (MaintainedView v : List.copyOf(restored.keySet())) {
        ViewFailure why = BaseTableDrift.firstProblem(v, drift);
        if (why != null) {
          restored.remove(v);
          reasons.put(v, "its base tables changed: " + why.message());
        }
      }
    } catch (SQLException e) {
      for (MaintainedView v : restored.keySet()) {
        reasons.put(v, "checking its base tables failed: " + e.getMessage());
      }
      restored.clear();
    }
  }

  /**
   * Which views resume from their checkpoint (read into fresh pipelines) and which are rebuilt, and why; with
   * checkpoints off, or if reading them fails, every view is rebuilt from a snapshot.
   */
  private CheckpointRestore.Plan planRestore(List<MaintainedView> views) {
    Map<MaintainedView, String> all = new java.util.LinkedHashMap<>();
    if (!checkpointer.settings().enabled()) {
      views.forEach(v -> all.put(v, "checkpoints are off (deltaview.checkpointMillis)"));
      return new CheckpointRestore.Plan(Map.of(), all, null);
    }
    try (Connection c = connect(config)) {
      return CheckpointRestore.plan(c, views, config.slotName());
    } catch (SQLException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Deltaview: reading the checkpoints of database " + config.database()
          + " failed; every view is rebuilt from a snapshot: " + e);
      views.forEach(v -> all.put(v, "reading its checkpoint failed: " + e.getMessage()));
      return new CheckpointRestore.Plan(Map.of(), all, null);
    }
  }

  /**
   * Starts the reader and the apply loop unless there is a current loop. A current loop that has died is left
   * to the supervisor, which carries its views over; DDL against it fails until the restart.
   *
   * <p>A slot that PostgreSQL invalidated is replaced first ({@link #replaceLostSlot}); the new loop then
   * streams from the new slot's start, and every view must be loaded from a fresh snapshot taken after it,
   * which both callers (engine start and the supervisor's restart) do for every view they add.
   *
   * @return whether a lost slot was replaced: then no view's operator state or result table may be carried
   *     over, whatever else allows resuming without a reload
   */
  private synchronized boolean startStreaming() throws SQLException {
    return startStreaming(null);
  }

  /**
   * As {@link #startStreaming()}; transactions committed before {@code resumeAfter} (if later than the
   * recorded applied position) are skipped: the views carried over from a stopped loop reflect them already.
   */
  private synchronized boolean startStreaming(LogSequenceNumber resumeAfter) throws SQLException {
    return startStreaming(resumeAfter, null, List.of());
  }

  /**
   * As {@link #startStreaming(LogSequenceNumber)}, with {@code restored} (active views restored from
   * checkpoints) in the loop from its first event on; transactions are replayed from {@code replayFrom} on (if
   * earlier than the recorded applied position), as the oldest of those checkpoints needs. If the slot has to
   * be replaced, the restored views go back to loading (they are added all the same) and must be loaded.
   */
  private synchronized boolean startStreaming(LogSequenceNumber resumeAfter, LogSequenceNumber replayFrom,
      List<MaintainedView> restored) throws SQLException {
    if (loop != null) {
      return false;
    }
    LogSequenceNumber applied;
    try (Connection c = connect(config)) {
      replaceLostSlot(c);
      SlotManager.createSlotIfAbsent(c, config.slotName());
      applied = Catalog.appliedLsn(c, config.slotName());
    }
    // Replaced now, or by an earlier attempt that failed after replacing it: nothing may be carried over.
    boolean replaced = slotReplacements != slotReplacementsHandled;
    if (!replaced && resumeAfter != null && (applied == null || resumeAfter.asLong() > applied.asLong())) {
      applied = resumeAfter;
    }
    if (!replaced && replayFrom != null && applied != null && replayFrom.asLong() < applied.asLong()) {
      applied = replayFrom;
    }
    Connection sink = connect(config);
    ChangeFeed stream;
    try {
      stream = startReader();
    } catch (SQLException | RuntimeException e) {
      closeQuietly(sink);
      throw e;
    }
    sinkConnection = sink;
    feed = stream;
    ApplyLoop started = new ApplyLoop(stream, sink, config.slotName(), applied,
        views -> loader.submit(() -> loadAndActivate(views)), this::viewFailed, checkpointer);
    for (MaintainedView v : restored) {
      if (slotReplacements != slotReplacementsHandled) {
        checkpointer.forget(v);
        v.interrupt("the replication slot was lost and replaced; rebuilding from a fresh snapshot");
      }
      started.addView(v); // before its thread starts: no event may pass the view by
    }
    loop = started;
    loopStartedNanos = System.nanoTime();
    loopThread = new Thread(() -> {
      started.run();
      loopExited(started);
    }, "deltaview-apply-" + config.database());
    loopThread.setDaemon(true);
    loopThread.start();
    startWatch();
    // Told to the caller once: it discards what it would have carried over (a later start needs not).
    replaced = slotReplacements != slotReplacementsHandled;
    slotReplacementsHandled = slotReplacements;
    return replaced;
  }

  // ---------------------------------------------------------------- slot hygiene

  /**
   * Starts reading the slot. No start position: the reader resumes at the slot's confirmed position, which the
   * loop confirmed only after committing; everything later arrives again and is skipped or replayed by the
   * snapshot rules. If PostgreSQL invalidated the slot after {@link #replaceLostSlot} looked at it,
   * {@code START_REPLICATION} fails (with 55000): then the slot is replaced and the start tried once more.
   */
  private ChangeFeed startReader() throws SQLException {
    ReplicationSlotReader.Options options = ReplicationSlotReader.Options.of(config.slotName(),
        config.publicationName());
    try {
      return ReplicationSlotReader.start(config.pgUrl(), config.properties(), options);
    } catch (SQLException e) {
      boolean replaced;
      try (Connection c = connect(config)) {
        replaced = replaceLostSlot(c);
      } catch (SQLException check) {
        if (SqlStates.REPLICATION_SLOT_LOST.equals(check.getSQLState())) {
          check.addSuppressed(e);
          throw check;
        }
        e.addSuppressed(check);
        throw e;
      }
      if (!replaced) {
        throw e;
      }
      // The applied position read before is older than the new slot's start, so it skips nothing.
      return ReplicationSlotReader.start(config.pgUrl(), config.properties(), options);
    }
  }

  /**
   * Replaces the slot if PostgreSQL invalidated it ({@code wal_status = 'lost'}: it retained more WAL than
   * {@code max_slot_wal_keep_size} and the WAL it still needed was removed). Such a slot can never be read again,
   * and the changes committed since its confirmed position are in no stream: it is dropped and created anew at
   * the current WAL position, the recorded applied position is forgotten, and every view that is not failed is
   * marked {@code rebuilding} (here and in the catalog, for other processes) until a fresh snapshot has
   * reloaded it.
   *
   * @return whether the slot was lost and has been replaced
   * @throws SQLException {@link SqlStates#REPLICATION_SLOT_LOST} if it was lost and could not be replaced
   */
  private boolean replaceLostSlot(Connection c) throws SQLException {
    String slot = config.slotName();
    SlotManager.SlotState state = SlotManager.state(c, slot);
    if (state == null || !state.lost()) {
      return false;
    }
    String why = "replication slot " + slot + " was lost: PostgreSQL invalidated it because it retained more WAL"
        + " than max_slot_wal_keep_size, and removed WAL it still needed; the slot was recreated and the view is"
        + " being rebuilt from a fresh snapshot";
    LOG.log(System.Logger.Level.WARNING, "Deltaview, database " + config.database() + ": " + why);
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      rebuildingFrom = LogSequenceNumber.valueOf(rs.getString(1)).asLong();
    }
    try {
      SlotManager.dropSlotIfExists(c, slot);
      SlotManager.createSlotIfAbsent(c, slot);
    } catch (SQLException e) {
      throw new SQLException("Deltaview: replication slot " + slot + " of database " + config.database()
          + " was lost (invalidated by PostgreSQL) and could not be recreated: " + e.getMessage(),
          SqlStates.REPLICATION_SLOT_LOST, e);
    }
    slotReplacements++;
    if (!Catalog.exists(c)) {
      return true;
    }
    Catalog.deleteProgress(c, slot);
    // They resume a stream that is gone.
    CheckpointStore.deleteAll(c);
    checkpointer.forgetAll();
    for (ViewRecord r : Catalog.loadViews(c)) {
      if (r.status() != ViewState.FAILED) {
        rebuilding.put(r.qualifiedName(), why);
        Catalog.updateStatus(c, r.schema(), r.name(), ViewState.REBUILDING, why);
      }
    }
    if (!rebuildingPruned) {
      rebuildingPruned = true;
      viewListeners.add(this::pruneRebuilding);
    }
    return true;
  }

  /** Forgets the "rebuilding" mark of views that are rebuilt (or failed) since. */
  private void pruneRebuilding() {
    ApplyLoop l = loop;
    if (l == null || rebuilding.isEmpty()) {
      return;
    }
    for (MaintainedView v : l.views()) {
      if (rebuilt(v)) {
        rebuilding.remove(v.qualifiedName());
      }
    }
  }

  /** Whether {@code v} no longer waits for a rebuild after the slot was replaced: active from after it, or failed. */
  private boolean rebuilt(MaintainedView v) {
    return v.state() == MaintainedView.State.FAILED
        || v.state() == MaintainedView.State.ACTIVE && v.activeFrom().asLong() >= rebuildingFrom;
  }

  /**
   * Starts the watch ({@link EngineWatch}: base tables every {@code deltaview.tableCheckMillis}, the slot's
   * retained WAL every {@code deltaview.slotCheckMillis}, 1 s each) once streaming has started.
   */
  private synchronized void startWatch() {
    if (watch != null || closed) {
      return;
    }
    long limit = config.maxRetainedWalBytes() == EngineConfig.UNLIMITED ? Long.MAX_VALUE : config.maxRetainedWalBytes();
    watch = EngineWatch.start(new EngineWatch.Settings(config.database(), config.publicationName(),
        config.slotName(), limit, Long.getLong("deltaview.tableCheckMillis", 1000),
        Long.getLong("deltaview.slotCheckMillis", 1000)), new EngineWatch.Host() {
          @Override
          public ApplyLoop maintainedLoop() {
            return closed || !leading ? null : loop;
          }

          @Override
          public Connection connect() throws SQLException {
            return Engine.connect(config);
          }

          @Override
          public void baseTablesChanged(ApplyLoop observed, Map<MaintainedView, ViewFailure> failures) {
            // Not waited for: the loop runs it between source transactions, which may take a while (a long
            // transaction), and the watch goes on meanwhile (the retained-WAL check above all).
            observed.submit(() -> {
              for (Map.Entry<MaintainedView, ViewFailure> f : failures.entrySet()) {
                MaintainedView v = f.getKey();
                if (v.state() != MaintainedView.State.FAILED) {
                  try {
                    observed.fail(v, f.getValue());
                  } catch (SQLException e) {
                    // Recording the status failed: the target connection is broken, and the loop stops at its
                    // next write; its recovery meets the same base table again.
                    LOG.log(System.Logger.Level.WARNING, "failing view " + v.qualifiedName() + " failed: " + e);
                  }
                }
              }
            });
          }

          @Override
          public void retainedWalExceeded(ApplyLoop observed, long bytes) {
            // On the supervisor's thread: it never runs while the supervisor is restarting the loop.
            scheduler().execute(() -> stopForRetainedWal(observed, bytes));
          }
        });
  }

  /**
   * The slot retains more WAL than allowed (seen while {@code observed} was the loop): rather than let it fill
   * the server's disk, stops the apply loop,
   * fails every view (with {@link SqlStates#CONFIGURATION_LIMIT_EXCEEDED} in the message) and drops the slot
   * so that PostgreSQL can recycle the WAL. Nothing restarts by itself: a new CREATE starts streaming again
   * with a new slot, and the failed views are rebuilt by re-creating them or by restarting the process.
   */
  private void stopForRetainedWal(ApplyLoop observed, long retained) {
    String error = "stopped (SQLSTATE " + SqlStates.CONFIGURATION_LIMIT_EXCEEDED + "): replication slot "
        + config.slotName() + " retained " + retained + " bytes of WAL, more than deltaview.maxRetainedWal="
        + config.maxRetainedWalBytes() + "; Deltaview stopped maintaining the views of database "
        + config.database() + " and dropped the slot so that PostgreSQL can free that WAL. Restart the"
        + " maintaining process, or DROP and CREATE the view, to rebuild it";
    synchronized (this) {
      ApplyLoop stopping = loop;
      if (stopping == null || stopping != observed || closed) {
        return; // already stopped, or streaming started over (with a new slot) since that look
      }
      LOG.log(System.Logger.Level.ERROR, "Deltaview: " + error);
      stopStreaming();
      for (MaintainedView v : stopping.views()) {
        v.fail(ViewFailure.permanent(SqlStates.CONFIGURATION_LIMIT_EXCEEDED, error));
      }
      rebuilding.clear();
      try (Connection c = connect(config)) {
        SlotManager.dropSlotIfExists(c, config.slotName());
        if (Catalog.exists(c)) {
          Catalog.deleteProgress(c, config.slotName());
          CheckpointStore.deleteAll(c);
          for (ViewRecord r : Catalog.loadViews(c)) {
            Catalog.updateStatus(c, r.schema(), r.name(), ViewState.FAILED, error);
          }
        }
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.ERROR, "Deltaview: dropping replication slot " + config.slotName()
            + " after it exceeded deltaview.maxRetainedWal failed: " + e.getMessage(), e);
      }
    }
    fireViewsChanged();
  }

  // ---------------------------------------------------------------- leadership

  /**
   * Runs every {@link #LEADERSHIP_CHECK_MS} on the supervisor: while leading, checks that the connection
   * holding the maintainer lock is alive (a database restart or a terminated backend releases the lock, and
   * another process may take it); once lost, asks for the lock again until this process gets it back — then
   * it reloads every view — or closes.
   */
  private void watchLeadership() {
    try {
      if (closed) {
        return;
      }
      if (leading) {
        if (!lock.alive()) {
          leadershipLost("the connection holding the maintainer lock was lost");
        }
      } else {
        tryToLeadAgain();
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "checking the maintainer lock of " + config.database() + " failed: " + e, e);
    }
  }

  /** How often the maintainer looks for view requests made with SQL: the wait of a {@code create_view}. */
  private static final long VIEW_REQUEST_LOOK_MS = 200;

  /** Hands pending view requests ({@code deltaview.create_view} and kin) to their worker. */
  private void lookForViewRequests() {
    try {
      MaintainerLock held = lock;
      if (leading && !closed && held.viewRequestsPending()) {
        viewRequests.wake();
      }
    } catch (RuntimeException e) { // a scheduled task that throws is never run again
      LOG.log(System.Logger.Level.WARNING, "looking for view requests of " + config.database() + " failed: " + e, e);
    }
  }

  /**
   * Stops maintaining: without the lock another process may maintain the views at the same time, from the
   * same slot. Queries pass through meanwhile (no view is ready here) and DDL is refused.
   */
  private void leadershipLost(String why) {
    synchronized (this) {
      if (!leading || closed) {
        return;
      }
      leading = false;
      LOG.log(System.Logger.Level.WARNING, "Deltaview stopped maintaining the incremental views of database "
          + config.database() + ": " + why + "; taking the lock again");
      stopStreaming();
      checkpointer.forgetAll();
      lock.close();
    }
    fireViewsChanged();
  }

  private void tryToLeadAgain() {
    MaintainerLock taken;
    try {
      taken = MaintainerLock.take(connect(config), config.database());
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "taking the maintainer lock of " + config.database() + " again"
          + " failed: " + e.getMessage());
      return;
    }
    synchronized (ddlLock) {
      synchronized (this) {
        if (closed) {
          taken.close();
          return;
        }
        lock = taken;
        leading = true;
      }
      try {
        resume();
      } catch (SQLException | RuntimeException e) {
        leadershipLost("resuming maintenance failed: " + e.getMessage());
        return;
      }
    }
    LOG.log(System.Logger.Level.INFO, "Deltaview maintains the incremental views of database " + config.database()
        + " again");
    fireViewsChanged();
  }

  /** For DDL: only the process holding the maintainer lock may change the views. */
  private void requireLeading() throws SQLException {
    if (!leading) {
      throw new SQLException("Deltaview: this process lost the maintainer lock of database " + config.database()
          + " (its connection to the database was lost) and is taking it again; try again shortly",
          SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
  }

  // ---------------------------------------------------------------- supervision

  /**
   * Runs on the loop's own thread once it has stopped. A loop stopped on purpose is no longer the current
   * one; any other exit is a failure of what every view shares (the stream or the target connection). Views
   * whose operator state matches their committed result table (the loop's {@link ApplyLoop#resumableViews()})
   * keep it and stay served, a little stale, while the supervisor restarts streaming from the slot; the others
   * show the error (SHOW INCREMENTAL VIEWS), stop being served, and are reloaded once streaming runs again.
   */
  private void loopExited(ApplyLoop exited) {
    if (loop != exited) {
      return; // stopped on purpose (checked before locking: stopStreaming holds the lock while joining us)
    }
    boolean changed = false;
    synchronized (this) {
      if (closed || loop != exited) {
        return;
      }
      Throwable cause = exited.failure();
      Set<MaintainedView> keep = exited.resumableViews();
      String error = "apply loop failed, restarting and reloading: " + cause;
      int reloading = 0;
      // Safe without the loop: its thread (this one) has stopped touching the views.
      for (MaintainedView v : exited.views()) {
        if (!keep.contains(v) && v.state() != MaintainedView.State.FAILED) {
          changed |= v.state() == MaintainedView.State.ACTIVE;
          v.interrupt(error);
          reloading++;
        }
      }
      if (System.nanoTime() - loopStartedNanos > HEALTHY_RUN_NANOS) {
        consecutiveFailures = 0;
      }
      if (consecutiveFailures == 0) {
        LOG.log(System.Logger.Level.ERROR, "Deltaview apply loop of database " + config.database() + " failed;"
            + " restarting streaming from the slot (" + keep.size() + " views keep their state, " + reloading
            + " are reloaded): " + cause, cause);
      } else {
        LOG.log(System.Logger.Level.DEBUG, () -> "apply loop failed again (" + consecutiveFailures + "): " + cause);
      }
      long delay = consecutiveFailures == 0 ? FIRST_RESTART_MS : backoffMs();
      consecutiveFailures++;
      scheduleRecovery(exited, delay);
    }
    if (changed) {
      fireViewsChanged();
    }
  }

  private long backoffMs() {
    return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(consecutiveFailures, 5));
  }

  private synchronized void scheduleRecovery(ApplyLoop dead, long delayMs) {
    if (closed) {
      return;
    }
    scheduler().schedule(() -> recover(dead), delayMs, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * The supervisor's thread (restarts, rebuilds of failed views, listener calls), created on first use. Not
   * guarded by the engine's lock: the apply loop thread reaches it when a view fails, and must never wait for
   * that lock (a caller stopping streaming holds it while joining the loop thread).
   */
  private java.util.concurrent.ScheduledExecutorService scheduler() {
    java.util.concurrent.ScheduledExecutorService s = supervisor;
    if (s == null) {
      synchronized (supervisorLock) {
        s = supervisor;
        if (s == null) {
          s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "deltaview-supervisor-" + config.database());
            t.setDaemon(true);
            return t;
          });
          supervisor = s;
        }
      }
    }
    return s;
  }

  /**
   * Replaces the dead loop: new reader and loop from the slot's confirmed position, skipping what the views
   * it carries over already reflect ({@link ApplyLoop#safePosition()}). Every registered view (as the catalog
   * has them) is added: those the dead loop vouched for keep their operator state and stay ready, failed ones
   * stay failed (their retries are scheduled apart), all others are reloaded from a fresh snapshot. Holding
   * the DDL lock keeps CREATE/DROP out meanwhile. If this fails too (e.g. the database is unreachable), it is
   * retried with backoff.
   */
  private void recover(ApplyLoop dead) {
    if (!lock.alive()) {
      leadershipLost("the connection holding the maintainer lock was lost");
      return; // the lock is taken again first; that resumes everything
    }
    synchronized (ddlLock) {
      List<MaintainedView> views = new ArrayList<>();
      ApplyLoop fresh;
      try {
        synchronized (this) {
          if (closed || loop != dead) {
            return;
          }
          Set<MaintainedView> keep = dead.resumableViews();
          List<ViewRecord> records;
          try (Connection c = connect(config)) {
            records = Catalog.loadViews(c);
            for (ViewRecord r : records) {
              MaintainedView known = null;
              for (MaintainedView v : dead.views()) {
                if (v.record().schema().equals(r.schema()) && v.record().name().equals(r.name())
                    && v.record().definition().equals(r.definition())) {
                  known = v;
                }
              }
              if (known == null) {
                try {
                  known = ViewCompilation.fromCatalog(c, r);
                } catch (SQLException e) {
                  Catalog.updateStatus(c, r.schema(), r.name(), ViewState.FAILED, e.getMessage());
                  continue;
                }
              }
              views.add(known);
              if (known.state() == MaintainedView.State.FAILED) {
                // Recorded by the loop with its next commit, which a dying loop may not have reached.
                Catalog.updateStatus(c, r.schema(), r.name(), ViewState.FAILED, known.lastError());
              } else if (!keep.contains(known)) {
                // Other processes read the catalog: they must not take these tables for current meanwhile.
                Catalog.updateStatus(c, r.schema(), r.name(), ViewState.SNAPSHOTTING, known.lastError());
              }
            }
          }
          releaseStreaming();
          loop = null;
          if (views.isEmpty()) {
            consecutiveFailures = 0;
            return;
          }
          if (startStreaming(dead.safePosition())) {
            // The slot was lost and replaced: changes since the dead loop's position are in no stream, so no
            // view's state carried over is current any more.
            for (MaintainedView v : views) {
              if (v.state() == MaintainedView.State.ACTIVE) {
                v.interrupt("the replication slot was lost and replaced; rebuilding from a fresh snapshot");
              }
            }
          }
          fresh = loop;
        }
        runOnLoop(fresh, () -> {
          for (MaintainedView v : views) {
            fresh.addView(v);
          }
        });
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "restarting the apply loop of " + config.database() + " failed"
            + " (retrying): " + e);
        synchronized (this) {
          ApplyLoop current = loop;
          // A new loop that died during the hand-over schedules its own recovery (loopExited).
          if (!closed && (current == null || current == dead)) {
            loop = dead; // keeps the views visible (with their error) until a restart works
            long delay = backoffMs();
            consecutiveFailures++;
            scheduleRecovery(loop, delay);
            if (slotReplacements != slotReplacementsHandled) {
              // The slot was replaced before the attempt failed: what the dead loop vouched for is gone.
              for (MaintainedView v : views) {
                if (v.state() == MaintainedView.State.ACTIVE) {
                  v.interrupt("the replication slot was lost and replaced; rebuilding from a fresh snapshot");
                }
              }
              scheduler().execute(this::fireViewsChanged);
            }
          } else {
            // The new loop's own recovery starts from what it holds, which may be none of these views: those
            // carried over would stay active without being maintained.
            for (MaintainedView v : views) {
              if (v.state() == MaintainedView.State.ACTIVE && (current == null || !current.views().contains(v))) {
                v.interrupt("apply loop failed while restarting: " + e);
              }
            }
            scheduler().execute(this::fireViewsChanged); // once the DDL lock is released (this is its thread)
          }
        }
        return;
      }
      for (MaintainedView v : views) {
        if (v.state() == MaintainedView.State.FAILED && v.failure() != null && v.failure().retryable()) {
          scheduleRetry(v);
        }
      }
      List<MaintainedView> reload = views.stream().filter(v -> v.state() == MaintainedView.State.PENDING).toList();
      LOG.log(System.Logger.Level.INFO, "apply loop of " + config.database() + " restarted; "
          + (views.size() - reload.size()) + " views resumed as they were, reloading " + reload.size());
      if (!reload.isEmpty()) {
        loader.submit(() -> loadAndActivate(reload));
      }
    }
    // The views are this loop's now (and some that were served may not be, e.g. after a lost slot).
    fireViewsChanged();
  }

  /** Closes the current reader and sink connection (the loop has stopped or is about to be replaced). */
  private synchronized void releaseStreaming() {
    if (feed != null) {
      feed.close();
    }
    closeQuietly(sinkConnection);
    feed = null;
    sinkConnection = null;
    loopThread = null;
  }

  /** Runs {@code task} on the current apply loop thread and waits for it. */
  private void runOnLoop(LoopTask task) throws SQLException {
    ApplyLoop l = loop;
    if (l == null) {
      throw new SQLException("Deltaview: the apply loop is not running", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    runOnLoop(l, task);
  }

  /** Runs {@code task} on {@code loop}'s thread and waits for it; fails if that loop stops first. */
  private static void runOnLoop(ApplyLoop loop, LoopTask task) throws SQLException {
    CompletableFuture<Void> done = new CompletableFuture<>();
    loop.submit(() -> {
      try {
        task.run();
        done.complete(null);
      } catch (Throwable e) {
        done.completeExceptionally(e);
      }
    });
    while (true) {
      try {
        done.get(200, java.util.concurrent.TimeUnit.MILLISECONDS);
        return;
      } catch (java.util.concurrent.TimeoutException e) {
        if (!loop.isRunning()) {
          throw new SQLException("Deltaview: the apply loop stopped: " + loop.failure(), SqlStates.INTERNAL_ERROR, loop.failure());
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException("interrupted while waiting for the apply loop", SqlStates.QUERY_CANCELED, e);
      } catch (ExecutionException e) {
        Throwable cause = e.getCause();
        if (cause instanceof SQLException s) {
          throw s;
        }
        throw new SQLException("Deltaview internal error: " + cause, SqlStates.INTERNAL_ERROR, cause);
      }
    }
  }

  @FunctionalInterface
  private interface LoopTask {
    void run() throws Exception;
  }

  // ---------------------------------------------------------------- failed views

  /**
   * A view failed (told by the apply loop, on its thread, or by a failed load): it has left the ready set, so
   * the listeners hear of it, and unless only re-creating it can help, it is rebuilt alone from a fresh
   * snapshot after a backoff that doubles with each failure in a row (1 s up to {@link #MAX_RETRY_BACKOFF_MS}).
   * The stream goes on for every other view meanwhile.
   */
  private void viewFailed(MaintainedView view) {
    viewFailures.increment();
    if (closed) {
      return;
    }
    ViewFailure why = view.failure();
    scheduler().execute(this::fireViewsChanged); // not on the loop thread: listeners may take their time
    if (why == null || !why.retryable()) {
      LOG.log(System.Logger.Level.ERROR, "Deltaview view " + view.qualifiedName() + " failed and is not rebuilt"
          + " (re-create it): " + why);
      return;
    }
    scheduleRetry(view);
  }

  /** Schedules a rebuild of a failed view after its backoff, unless one is scheduled already. */
  private void scheduleRetry(MaintainedView view) {
    if (closed || !retriesScheduled.add(view)) {
      return;
    }
    int failures = Math.max(1, view.consecutiveFailures());
    long delay = Math.min(MAX_RETRY_BACKOFF_MS, FIRST_RETRY_BACKOFF_MS << Math.min(failures - 1, 20));
    LOG.log(System.Logger.Level.INFO, "Deltaview view " + view.qualifiedName() + " failed (" + view.failure()
        + "); rebuilding it in " + delay + " ms");
    scheduler().schedule(() -> retry(view), delay, java.util.concurrent.TimeUnit.MILLISECONDS);
  }

  /**
   * Rebuilds a failed view from a fresh snapshot, if it is still registered and still failed: the loop puts it
   * back to loading (between transactions), the loader loads it. If the loop dies first, the supervisor's
   * recovery schedules the rebuild again on the next loop.
   */
  private void retry(MaintainedView view) {
    retriesScheduled.remove(view);
    ApplyLoop l = loop;
    if (closed || l == null || !l.isRunning()) {
      return; // recover() carries the view over, failed, and schedules its rebuild
    }
    l.submit(() -> {
      if (l.retry(view)) {
        loader.submit(() -> {
          try (Connection c = connect(config)) {
            Catalog.updateStatus(c, view.record().schema(), view.record().name(), ViewState.SNAPSHOTTING, view.lastError());
          } catch (SQLException e) {
            LOG.log(System.Logger.Level.DEBUG, () -> "could not record the rebuild of " + view.qualifiedName()
                + ": " + e);
          }
          loadAndActivate(List.of(view));
        });
      }
    });
  }

  /** How many times a view was loaded from a snapshot since this engine started (for tests and monitoring). */
  public long snapshotLoads() {
    return snapshotLoads.sum();
  }

  /** How many snapshot loads (each reading base tables) this engine started; 0 if every view resumed from a checkpoint. */
  public long snapshotReads() {
    return snapshotReads.sum();
  }

  /** How many times a view resumed from its checkpoint since this engine started. */
  public long checkpointResumes() {
    return checkpointResumes.sum();
  }

  /** What the checkpoints written by this engine cost so far. */
  public Checkpointer.Stats checkpointStats() {
    return checkpointer.stats();
  }

  /** How many times a view failed since this engine started, first failures and failed rebuilds alike. */
  public long viewFailures() {
    return viewFailures.sum();
  }

  // ---------------------------------------------------------------- loading

  /** Loads a consistent snapshot for {@code views}, writes their results, and activates them on the loop. */
  private void loadAndActivate(List<MaintainedView> views) {
    loadAndActivate(views, 0);
  }

  private void loadAndActivate(List<MaintainedView> views, int attempt) {
    ApplyLoop target = loop;
    try {
      loadAndActivateOrThrow(views);
    } catch (Exception | OutOfMemoryError failure) {
      // The heap can run out outside any one view's pipeline too (e.g. reading rows): fail the views, say so.
      Exception e = failure instanceof Exception ex ? ex : new SQLException("out of memory loading views " + views
          + ": " + failure.getMessage(), SqlStates.OUT_OF_MEMORY, failure);
      if (target == null || loop != target || !target.isRunning()) {
        // The loop died under the load: the supervisor reloads these views on the next loop, so this
        // load's failure says nothing about them.
        LOG.log(System.Logger.Level.DEBUG, () -> "load of " + views + " abandoned with its apply loop: " + e);
        return;
      }
      if (isTransient(e)) {
        // A lost connection or a serialization failure says nothing about the views either: load again later.
        long delay = Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(attempt, 5));
        LOG.log(attempt == 0 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
            () -> "loading views failed, retrying in " + delay + " ms: " + e);
        synchronized (this) {
          if (!closed) {
            scheduler().schedule(() -> loader.submit(() -> loadAndActivate(views, attempt + 1)), delay,
                java.util.concurrent.TimeUnit.MILLISECONDS);
          }
        }
        return;
      }
      List<MaintainedView> stillLoading = views.stream()
          .filter(v -> v.state() == MaintainedView.State.PENDING).toList();
      if (stillLoading.size() > 1) {
        // One view's failure (a bad row, its result table) must not fail the others loaded with it: each
        // is loaded alone, and only the one at fault fails.
        LOG.log(System.Logger.Level.DEBUG, () -> "loading " + views + " together failed; loading each alone: " + e);
        for (MaintainedView v : stillLoading) {
          loader.submit(() -> loadAndActivate(List.of(v), attempt));
        }
        return;
      }
      for (MaintainedView v : stillLoading) {
        ViewFailure why = ViewFailure.of(e);
        LOG.log(System.Logger.Level.ERROR, "Deltaview: loading view " + v.qualifiedName() + " failed: " + why, e);
        markFailed(v, why);
      }
    }
  }

  /** Connection loss, server shutdown, serialization failure or a still-held slot: worth another try. */
  private static boolean isTransient(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      for (SQLException s = t instanceof SQLException q ? q : null; s != null; s = s.getNextException()) {
        String state = s.getSQLState();
        if (state != null && (state.startsWith("08") || state.startsWith("57P") || state.equals("40001")
            || state.equals(SqlStates.DEADLOCK_DETECTED) || state.equals("55006"))) {
          return true;
        }
      }
    }
    return false;
  }

  /**
   * A load of {@code v} failed for its own sake (the caller logged it): the loop fails it (which schedules its
   * rebuild if {@code why} is retryable).
   */
  private void markFailed(MaintainedView v, ViewFailure why) {
    ApplyLoop l = loop;
    try {
      if (l == null) {
        throw new SQLException("no apply loop", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
      }
      runOnLoop(l, () -> l.fail(v, why));
    } catch (SQLException ignored) {
      // No loop to record it: the view fails here, and its status is written below (unless a loop holds it
      // now, whose thread alone may touch it; that loop reloads or fails it itself).
      ApplyLoop now = loop;
      if (now != null && now.views().contains(v)) {
        return;
      }
      if (v.state() != MaintainedView.State.FAILED) {
        v.fail(why);
        viewFailed(v);
      }
      try (Connection c = connect(config)) {
        Catalog.updateStatus(c, v.record().schema(), v.record().name(), ViewState.FAILED, why.message());
      } catch (SQLException ex) {
        LOG.log(System.Logger.Level.WARNING, "could not record failure of " + v.qualifiedName() + ": " + ex);
      }
    }
  }

  /**
   * Loads and activates the pending ones of {@code views}. A view whose own load failed is marked failed (and
   * logged) while the others go on; those failures are returned.
   *
   * @throws SQLException a failure of the whole load (nothing was loaded)
   */
  private Map<MaintainedView, SQLException> loadAndActivateOrThrow(List<MaintainedView> views) throws SQLException {
    // Only loading views: a view loaded meanwhile by another request (loads run one at a time) must not have
    // its maintained table replaced by an older snapshot.
    views = views.stream().filter(v -> v.state() == MaintainedView.State.PENDING).toList();
    if (views.isEmpty()) {
      return Map.of();
    }
    List<MaintainedView> together = sameLayouts(views);
    if (together.size() < views.size()) {
      // Views planned against different columns of one table (before and after an ALTER) cannot share a
      // table read: the rest is loaded by a load of its own.
      List<MaintainedView> rest = views.stream().filter(v -> !together.contains(v)).toList();
      loader.submit(() -> loadAndActivate(rest));
      views = together;
    }
    Map<MaintainedView, Integer> generations = new java.util.HashMap<>();
    for (MaintainedView v : views) {
      generations.put(v, v.generation());
    }
    // Activation must happen on the loop that buffered these views' changes since before the snapshot point:
    // if the supervisor replaced it meanwhile, the new loop's stream may start after that point.
    ApplyLoop target = loop;
    if (target == null) {
      throw new SQLException("Deltaview: the apply loop is not running", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    String tempSlot = "deltaview_load_" + Long.toHexString(System.nanoTime());
    snapshotReads.increment();
    SnapshotLoader.Outcome outcome;
    Map<TableShape, ViewFailure> drift;
    LogSequenceNumber point;
    try (ExportedSnapshot snapshot = SlotManager.exportSnapshot(config.pgUrl(), config.properties(), tempSlot);
         Connection reader = connect(config);
         Connection writer = connect(config)) {
      point = snapshot.consistentPoint();
      writer.setAutoCommit(false);
      // Result tables are written as the snapshot is read (in the writer's transaction), not held in memory.
      SnapshotProgress progress = new SnapshotProgress(
          views.stream().map(MaintainedView::qualifiedName).collect(java.util.stream.Collectors.toSet()));
      loads.add(progress);
      try {
        outcome = SnapshotLoader.load(reader, writer, snapshot.snapshotName(), views, progress);
      } finally {
        loads.remove(progress);
      }
      // With the tables replaced, in the same transaction: an older checkpoint never pairs with the new table.
      Map<MaintainedView, Long> loadedRows = new java.util.HashMap<>();
      for (MaintainedView v : outcome.loaded().keySet()) {
        checkpointer.forget(v);
        CheckpointStore.deleteView(writer, v.record().schema(), v.record().name());
        loadedRows.put(v, v.sink().countRows(writer));
      }
      writer.commit();
      // Pending views are not written by the loop: their tables hold these rows until their activation.
      loadedRows.forEach((v, rows) -> v.activity().rowsAre(rows));
      // A base table that changed under the load (taken out of the publication…) would leave the view stale.
      drift = BaseTableDrift.check(writer, config.publicationName(),
          BaseTableDrift.sourcesOf(List.copyOf(outcome.loaded().keySet())));
      writer.commit();
    }
    Map<MaintainedView, SQLException> failed = new java.util.LinkedHashMap<>();
    for (Map.Entry<MaintainedView, SQLException> f : outcome.failed().entrySet()) {
      MaintainedView v = f.getKey();
      if (views.size() > 1 && SqlStates.OUT_OF_MEMORY.equals(f.getValue().getSQLState())) {
        // The heap filled while several views loaded: the one being fed then is not necessarily the one that
        // does not fit. Loaded alone, it is judged on its own state (and fails for good only then).
        LOG.log(System.Logger.Level.INFO, "Deltaview: loading view " + v.qualifiedName() + " together with others"
            + " ran out of heap; loading it alone");
        loader.submit(() -> loadAndActivate(List.of(v)));
        continue;
      }
      failed.put(v, f.getValue());
      LOG.log(System.Logger.Level.ERROR, "Deltaview: loading view " + v.qualifiedName() + " failed: "
          + f.getValue().getMessage(), f.getValue());
      markFailed(v, ViewFailure.of(f.getValue()));
    }
    for (MaintainedView v : outcome.loaded().keySet()) {
      ViewFailure why = BaseTableDrift.firstProblem(v, drift);
      if (why != null) {
        failed.put(v, why.toSqlException());
        markFailed(v, why);
      }
    }
    for (Map.Entry<MaintainedView, ViewPipeline> e : outcome.loaded().entrySet()) {
      MaintainedView v = e.getKey();
      if (failed.containsKey(v)) {
        continue;
      }
      if (loop != target) {
        throw new SQLException("Deltaview: the apply loop was restarted during the load", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
      }
      int generation = generations.get(v);
      try {
        runOnLoop(target, () -> {
          // Reset again since this load began (a second TRUNCATE): its buffer lost changes after our snapshot,
          // and the load queued by that reset will activate it. Dropped meanwhile: nothing to activate.
          if (v.generation() == generation && v.state() == MaintainedView.State.PENDING
              && target.views().contains(v)) {
            target.activate(v, e.getValue(), point);
            String why = v.takeRebuildReason();
            v.markStateSource(why == null ? "snapshot" : "snapshot: " + why);
            snapshotLoads.increment();
          }
        });
      } catch (SQLException activation) {
        if (!target.isRunning() || loop != target) {
          throw activation; // the loop died: nothing here says anything about the views
        }
        // This view's own failure (replaying its buffer, writing its table): the loop failed it and its
        // rebuild is scheduled; the views loaded with it are activated all the same.
        failed.put(v, activation);
      }
    }
    fireViewsChanged();
    return failed;
  }

  /**
   * The views among {@code views} (the first one included) that read every table they share in the same
   * layout, so that one read of each table serves them all.
   */
  private static List<MaintainedView> sameLayouts(List<MaintainedView> views) {
    Map<String, String> layoutByTable = new java.util.HashMap<>();
    List<MaintainedView> out = new ArrayList<>();
    for (MaintainedView v : views) {
      boolean fits = true;
      for (TableShape t : v.sources()) {
        String layout = layoutByTable.get(t.qualifiedName());
        fits &= layout == null || layout.equals(t.layoutKey());
      }
      if (fits) {
        for (TableShape t : v.sources()) {
          layoutByTable.putIfAbsent(t.qualifiedName(), t.layoutKey());
        }
        out.add(v);
      }
    }
    return out;
  }

  // ---------------------------------------------------------------- DDL

  /**
   * {@code CREATE INCREMENTAL VIEW}: validates, creates the result table, snapshots and activates; returns when
   * the view is ready. On any failure nothing of the view remains.
   *
   * <p>The definition is checked and rendered first ({@link DefinitionSql}); only the rendered text is ever
   * executed. The requester must be allowed what {@code CREATE TABLE … AS} would need of it, and no
   * row-level security may hide rows of the base tables from it ({@link Requester#mayCreate}); the engine's
   * role then creates the result table, owns it, and grants the requester SELECT on it (with grant option).
   * Nobody else gets more than SELECT on it.
   *
   * @param requester who asked, on its own connection; its search_path resolves the definition's names
   * @param schema the view's schema, or null for the requester's current schema
   * @param origin {@code sql} for a command, or the origin of a view Deltaview creates on its own in its own
   *     schema (then the requester needs no CREATE privilege there)
   */
  @Override
  public void createView(Requester requester, String schema, String name, String sql, boolean ifNotExists,
      String origin) throws SQLException {
    if (!leading && "sql".equals(origin)) {
      // Another process may maintain meanwhile: ask it, as a process without an engine would.
      new CatalogViews(config).createView(requester, schema, name, sql, ifNotExists, origin);
      return;
    }
    String definition = DefinitionSql.canonical(sql);
    String resolvedSchema = schema != null ? schema : requester.currentSchema();
    synchronized (ddlLock) {
      requireLeading();
      MaintainedView view = null;
      for (int attempt = 1; view == null; attempt++) {
        try {
          try (Connection c = connect(config)) {
            view = ViewRegistration.register(c, requester, resolvedSchema, name, definition, ifNotExists, origin,
                config.publicationName());
          }
          if (view == null) {
            return; // IF NOT EXISTS and it exists
          }
        } catch (SQLException e) {
          // Taking the base tables' locks can deadlock with writers that lock them in another order; PostgreSQL
          // then aborts one side. The registration transaction left nothing behind, so try it again.
          if (!SqlStates.DEADLOCK_DETECTED.equals(e.getSQLState()) || attempt >= MAX_REGISTRATION_ATTEMPTS) {
            throw e;
          }
          LOG.log(System.Logger.Level.INFO, "registering view " + name + " hit a deadlock with writers; retrying");
        }
      }
      ViewRecord record = view.record();
      MaintainedView registered = view;
      try {
        startStreaming();
        runOnLoop(() -> loop.addView(registered));
        CompletableFuture<Map<MaintainedView, SQLException>> done = CompletableFuture.supplyAsync(() -> {
          try {
            return loadAndActivateOrThrow(List.of(registered));
          } catch (SQLException e) {
            throw new java.util.concurrent.CompletionException(e);
          }
        }, loader);
        SQLException loadFailure = done.join().get(registered);
        if (loadFailure != null) {
          throw loadFailure;
        }
      } catch (Exception e) {
        SQLException failure = e instanceof SQLException s ? s
            : e.getCause() instanceof SQLException s2 ? s2
            : new SQLException("Deltaview: creating view " + record.qualifiedName() + " failed: " + e, SqlStates.INTERNAL_ERROR, e);
        try {
          dropViewInternal(record.schema(), record.name());
        } catch (SQLException cleanup) {
          failure.addSuppressed(cleanup);
        }
        throw failure;
      }
    }
  }

  /**
   * {@code DROP INCREMENTAL VIEW}: stops maintenance and removes the result table and bookkeeping. The
   * requester must be a member of the view's owner role, as {@code DROP TABLE} would require.
   *
   * @param schema the view's schema, or null for the requester's current schema
   */
  @Override
  public void dropView(Requester requester, String schema, String name, boolean ifExists) throws SQLException {
    if (!leading) {
      new CatalogViews(config).dropView(requester, schema, name, ifExists);
      return;
    }
    String resolvedSchema = schema != null ? schema : requester.currentSchema();
    synchronized (ddlLock) {
      requireLeading();
      ViewRecord record;
      long resultOid;
      try (Connection c = connect(config)) {
        record = Catalog.exists(c) ? ViewRegistration.find(c, resolvedSchema, name) : null;
        resultOid = record == null ? 0 : ResultTables.oid(c, resolvedSchema, name);
      }
      if (record == null) {
        if (ifExists) {
          return;
        }
        throw new SQLException("incremental view \"" + resolvedSchema + "." + name + "\" does not exist",
            SqlStates.UNDEFINED_TABLE);
      }
      requester.mayDrop(record.qualifiedName(), record.owner(), resultOid);
      if (!dropViewInternal(resolvedSchema, name) && !ifExists) {
        throw new SQLException("incremental view \"" + resolvedSchema + "." + name + "\" does not exist",
            SqlStates.UNDEFINED_TABLE);
      }
    }
  }

  private boolean dropViewInternal(String schema, String name) throws SQLException {
    ApplyLoop l = loop;
    if (l != null && l.isRunning()) {
      for (MaintainedView v : l.views()) {
        if (v.record().schema().equals(schema) && v.record().name().equals(name)) {
          runOnLoop(() -> l.removeView(v));
        }
      }
    }
    ViewRegistration.Unregistered done;
    try (Connection c = connect(config)) {
      done = ViewRegistration.unregister(c, schema, name, config.publicationName());
    }
    if (done.found()) {
      try (Connection c = connect(config)) {
        CheckpointStore.deleteView(c, schema, name);
      }
    }
    if (done.lastView()) {
      stopStreaming();
      try (Connection c = connect(config)) {
        ViewRegistration.dropStreaming(c, config.slotName(), config.publicationName());
        c.setAutoCommit(true);
        CheckpointStore.deleteAll(c);
      }
    }
    boolean found = done.found();
    if (found) {
      fireViewsChanged();
    }
    return found;
  }

  // ---------------------------------------------------------------- status & consistency

  /**
   * One entry per registered view, for {@code SHOW INCREMENTAL VIEWS}. A view being reloaded after its slot
   * was lost is {@code rebuilding}, with why as its last error; the slot's {@code wal_status} and retained WAL
   * are the same for every view of the database (one slot), null while there is no slot. Costs two catalog
   * reads and no scan of any result table (row counts are kept in memory), so it may be asked often.
   */
  public List<ViewStatus> status() throws SQLException {
    List<ViewStatus> out = new ArrayList<>();
    ApplyLoop l = loop;
    Long staleness = stalenessMs();
    try (Connection c = connect(config)) {
      SlotManager.SlotState slot = SlotManager.state(c, config.slotName());
      for (ViewRecord r : Catalog.loadViews(c)) {
        MaintainedView live = null;
        if (l != null) {
          for (MaintainedView v : l.views()) {
            if (v.record().schema().equals(r.schema()) && v.record().name().equals(r.name())) {
              live = v;
            }
          }
        }
        String rebuildingBecause = rebuilding.get(r.qualifiedName());
        if (live != null && rebuildingBecause != null && rebuilt(live)) {
          rebuilding.remove(r.qualifiedName());
          rebuildingBecause = null;
        }
        out.add(ViewStatus.of(r, live, rebuildingBecause, staleness, hitCount(r.qualifiedName()), slot,
            loadOf(r.qualifiedName())));
      }
    }
    return out;
  }

  /**
   * How stale the views this process keeps current are now, in milliseconds: they reflect every source
   * transaction that committed before the last heartbeat the apply loop passed ({@link Heartbeat}), written
   * this long ago. Null when that is not known: no apply loop runs, heartbeats are off, or none was passed
   * yet.
   */
  public Long stalenessMs() {
    ApplyLoop l = loop;
    if (l == null || !l.isRunning()) {
      return null;
    }
    long asOf = l.currentAsOfMillis();
    return asOf == 0 ? null : Math.max(0, System.currentTimeMillis() - asOf);
  }

  /**
   * The WAL the database's replication slot retained at the engine's last look (every few seconds), in bytes;
   * -1 before the first look or while there is no slot.
   */
  public long retainedWalBytes() {
    EngineWatch w = watch;
    return w == null ? -1 : w.retainedWalBytes();
  }

  /** Queries served from view {@code qualifiedView} since this engine started. */
  public long hits(String qualifiedView) {
    return hitCount(qualifiedView);
  }

  /** The views this process maintains now (loading, ready or failed), as its apply loop holds them. */
  public List<MaintainedView> maintainedViews() {
    ApplyLoop l = loop;
    return l == null ? List.of() : List.copyOf(l.views());
  }

  /** The snapshot load under way for view {@code qualifiedName}; null if none. */
  private SnapshotProgress loadOf(String qualifiedName) {
    for (SnapshotProgress p : loads) {
      if (p.loads(qualifiedName)) {
        return p;
      }
    }
    return null;
  }

  /** The snapshot loads under way now (each reading base tables for some views). */
  public List<SnapshotProgress> snapshotLoadsUnderWay() {
    return List.copyOf(loads);
  }

  /** Base-table rows read so far by the snapshot loads under way (0 when none is). */
  public long snapshotRowsRead() {
    long read = 0;
    for (SnapshotProgress p : loads) {
      read += p.rowsRead();
    }
    return read;
  }

  /**
   * PostgreSQL's estimate of the rows the snapshot loads under way read in all: 0 when none is, -1 when a table
   * they read was never analyzed.
   */
  public long snapshotRowsEstimated() {
    long estimated = 0;
    for (SnapshotProgress p : loads) {
      if (p.estimatedRows() < 0) {
        return -1;
      }
      estimated += p.estimatedRows();
    }
    return estimated;
  }

  /**
   * Strong consistency: waits until every transaction committed before this call is reflected in the ready
   * views, by writing a WAL watermark and waiting for the apply loop to pass it. False on timeout.
   */
  @Override
  public boolean awaitCurrent(long timeoutMs) throws SQLException {
    ApplyLoop l = loop;
    if (l == null || !l.isRunning()) {
      return false;
    }
    long watermark;
    synchronized (watermarkLock) {
      try {
        if (watermarkConnection == null) {
          watermarkConnection = watermarkConnection(config);
        }
        try (Statement s = watermarkConnection.createStatement();
             // Transactional, in its own autocommit transaction with synchronous_commit on: the commit flushes
             // WAL and so wakes the walsender at once (a non-transactional message is not flushed on PostgreSQL
             // 14 and would wait for the WAL writer, up to wal_writer_delay). It arrives after every earlier
             // commit.
             ResultSet rs = s.executeQuery("SELECT pg_logical_emit_message(true, 'deltaview.watermark', '')::text")) {
          rs.next();
          watermark = LogSequenceNumber.valueOf(rs.getString(1)).asLong();
        }
      } catch (SQLException e) {
        // A lost connection must not fail the query: it goes to the base tables now, the next one reconnects.
        LOG.log(System.Logger.Level.DEBUG, () -> "writing a watermark failed (the query passes through): " + e);
        closeQuietly(watermarkConnection);
        watermarkConnection = null;
        return false;
      }
    }
    try {
      return l.awaitPosition(watermark, timeoutMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /**
   * For benchmarks and tests only: holds the apply loop between two source transactions until the returned
   * handle is closed, so that a backlog builds up in the slot. The reader keeps the walsender alive meanwhile.
   * Returns once the loop is actually holding. Closing the engine while paused waits for the handle.
   */
  public AutoCloseable pauseApplying() throws SQLException {
    CountDownLatch holding = new CountDownLatch(1);
    CountDownLatch resume = new CountDownLatch(1);
    ApplyLoop l = loop;
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
   * Waits until the apply loop has applied the stream up to {@code lsn} (e.g. a position the caller read after
   * its own writes). False on timeout or if no loop runs. For benchmarks and tests; queries use
   * {@link #awaitCurrent}.
   */
  public boolean awaitApplied(LogSequenceNumber lsn, long timeoutMs) {
    ApplyLoop l = loop;
    if (l == null || !l.isRunning()) {
      return false;
    }
    try {
      return l.awaitPosition(lsn.asLong(), timeoutMs);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  private synchronized void stopStreaming() {
    ApplyLoop stopping = loop;
    loop = null; // first: a loop that is no longer current exits without supervision
    if (stopping != null) {
      stopping.stop();
      try {
        if (loopThread != null) {
          loopThread.join(10_000);
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      // Whoever starts streaming next loads the views afresh: their current state no longer counts against
      // the memory budget, whenever the garbage collector gets to it.
      for (MaintainedView v : stopping.views()) {
        v.releaseBudget();
      }
    }
    releaseStreaming();
  }

  /** Stops maintenance and releases every connection; the slot keeps the position for the next start. */
  @Override
  public void close() {
    synchronized (this) {
      // Once: two shutdown hooks (EngineRegistry's and an embedder's, such as the engine service) may both close it.
      if (closed) {
        return;
      }
      closed = true;
    }
    stopStreaming();
    // The views (and their operator state, possibly gigabytes) must not outlive the engine in whatever still
    // holds this object, such as an embedder's reference or a JVM-wide registry.
    known = Map.of();
    synchronized (this) {
      if (supervisor != null) {
        supervisor.shutdownNow();
      }
    }
    EngineWatch stopping;
    synchronized (this) {
      stopping = watch; // no new one starts: closed is set
    }
    if (stopping != null) {
      stopping.close();
    }
    loader.shutdownNow();
    Heartbeat beating = heartbeat;
    if (beating != null) {
      beating.close();
    }
    viewRequests.close();
    checkpointer.close();
    synchronized (watermarkLock) {
      closeQuietly(watermarkConnection);
    }
    lock.close();
  }

  private static void closeQuietly(Connection c) {
    if (c != null) {
      try {
        c.close();
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.DEBUG, "close failed: " + e);
      }
    }
  }
}
