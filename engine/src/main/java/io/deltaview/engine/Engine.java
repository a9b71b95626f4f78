package io.deltaview.engine;

import io.deltaview.rewriter.sql.SqlStates;
import io.deltaview.engine.apply.ApplyLoop;
import io.deltaview.engine.cdc.ChangeFeed;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.cdc.ExportedSnapshot;
import io.deltaview.engine.cdc.ReplicationSlotReader;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.sink.ResultColumn;
import io.deltaview.engine.sink.ResultTableSink;
import io.deltaview.engine.sink.SqlIdentifiers;
import io.deltaview.engine.snapshot.SnapshotLoader;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.PlannedView;
import io.deltaview.engine.view.ViewPlanner;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashSet;
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
 * among JVMs, the one holding the database's advisory lock maintains, the others only serve queries.
 */
public final class Engine implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Engine.class.getName());
  private static final int MAX_REGISTRATION_ATTEMPTS = 5;
  /** Session advisory lock key family for "this process maintains this database's views". */
  private static final int LEADER_LOCK_CLASS = 0x44560001;

  private final EngineConfig config;
  private final Object ddlLock = new Object();
  /** Queries served per view since this engine started; kept here so they survive apply-loop restarts. */
  private final Map<String, LongAdder> hits = new ConcurrentHashMap<>();
  private final List<Runnable> viewListeners = new CopyOnWriteArrayList<>();
  private final ExecutorService loader;
  private final Connection leaderConnection;
  private volatile boolean closed;

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
  private java.util.concurrent.ScheduledExecutorService supervisor;
  private int consecutiveFailures;
  private long loopStartedNanos;

  // Slot hygiene (see replaceLostSlot and checkRetainedWal).
  /** Views being rebuilt because the slot was lost: qualified name → why (their last_error meanwhile). */
  private final Map<String, String> rebuilding = new ConcurrentHashMap<>();
  /** How many times a lost slot was replaced; guarded by "this". */
  private int slotReplacements;
  /** Whether the listener that prunes {@link #rebuilding} is registered; guarded by "this". */
  private boolean rebuildingPruned;
  /** Watches the WAL the slot retains when there is a limit; null until streaming starts. Guarded by "this". */
  private java.util.concurrent.ScheduledExecutorService slotWatch;
  /** Used only by the slot-watch thread. */
  private Connection slotWatchConnection;

  private Engine(EngineConfig config, Connection leaderConnection) {
    this.config = config;
    this.leaderConnection = leaderConnection;
    this.loader = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "deltaview-loader-" + config.database());
      t.setDaemon(true);
      return t;
    });
  }

  /**
   * Starts the engine for a database: takes the maintainer lock (waiting up to {@code lockWaitMs} if another
   * process holds it) and, if views are registered, resumes maintaining them in the background.
   */
  public static Engine start(EngineConfig config) throws SQLException {
    Connection leader = connect(config);
    try {
      try (Statement s = leader.createStatement()) {
        s.execute("SET synchronous_commit = on"); // for the watermarks of awaitCurrent
      }
      if (!tryLeaderLock(leader, config)) {
        leader.close();
        throw new SQLException("Deltaview: another process maintains the incremental views of database "
            + config.database() + "; start it with deltaview.engine=none here, or stop the other process",
            SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
      }
      Engine engine = new Engine(config, leader);
      try {
        engine.resume();
      } catch (SQLException | RuntimeException e) {
        engine.close(); // a half-started apply loop must not keep the slot without the lock
        throw e;
      }
      return engine;
    } catch (SQLException | RuntimeException e) {
      leader.close();
      throw e;
    }
  }

  private static boolean tryLeaderLock(Connection c, EngineConfig config) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT pg_try_advisory_lock(?, hashtext(?))")) {
      ps.setInt(1, LEADER_LOCK_CLASS);
      ps.setString(2, config.database());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
    }
  }

  /**
   * Whether some session, in any process, holds the maintainer lock of {@code config}'s database: a process
   * that only rewrites uses it to tell views that are being maintained from views whose maintainer died.
   */
  public static boolean maintainerAlive(Connection c, EngineConfig config) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory'"
        + " AND granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
        + " AND classid = ?::oid AND objid = hashtext(?)::oid AND objsubid = 2)")) {
      ps.setInt(1, LEADER_LOCK_CLASS);
      ps.setString(2, config.database());
      try (ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getBoolean(1);
      }
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
    for (Runnable r : viewListeners) {
      try {
        r.run();
      } catch (RuntimeException e) {
        LOG.log(System.Logger.Level.WARNING, "view listener failed: " + e, e);
      }
    }
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

  /** Counts a query served from {@code view}. */
  public void recordHit(String qualifiedView) {
    // Per-query path: one map lookup, no allocation once the view has a counter (the lambda captures nothing).
    hits.computeIfAbsent(qualifiedView, name -> new LongAdder()).increment();
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
    startStreaming();
    List<MaintainedView> views = new ArrayList<>();
    try (Connection c = connect(config)) {
      for (ViewRecord r : records) {
        try {
          views.add(compile(c, r));
        } catch (SQLException e) {
          LOG.log(System.Logger.Level.ERROR, "cannot maintain view " + r.qualifiedName() + ": " + e.getMessage());
          Catalog.updateStatus(c, r.schema(), r.name(), "failed", e.getMessage());
        }
      }
    }
    for (MaintainedView v : views) {
      runOnLoop(() -> loop.addView(v));
    }
    loader.submit(() -> loadAndActivate(views));
  }

  /** Compiles a registered view with its creator's search_path. */
  private MaintainedView compile(Connection c, ViewRecord r) throws SQLException {
    boolean autoCommit = c.getAutoCommit();
    c.setAutoCommit(false);
    try (Statement s = c.createStatement()) {
      s.execute("SET LOCAL search_path TO " + r.searchPath());
      return compile(c, r, ViewPlanner.plan(c, r.definition()));
    } finally {
      c.rollback();
      c.setAutoCommit(autoCommit);
    }
  }

  private static MaintainedView compile(Connection c, ViewRecord r, PlannedView plan) throws SQLException {
    List<ResultColumn> columns = Catalog.columnsOf(c, r.schema(), r.name());
    ResultTableSink sink = new ResultTableSink(r.schema(), r.name(), columns, plan.uniqueKey(), plan.keyNotNull());
    return new MaintainedView(r, plan.sources(), sink, plan.pipelineFactory());
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
    if (loop != null) {
      return false;
    }
    int replacedBefore = slotReplacements;
    LogSequenceNumber applied;
    try (Connection c = connect(config)) {
      replaceLostSlot(c);
      SlotManager.createSlotIfAbsent(c, config.slotName());
      applied = Catalog.appliedLsn(c, config.slotName());
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
        views -> loader.submit(() -> loadAndActivate(views)));
    loop = started;
    loopStartedNanos = System.nanoTime();
    loopThread = new Thread(() -> {
      started.run();
      loopExited(started);
    }, "deltaview-apply-" + config.database());
    loopThread.setDaemon(true);
    loopThread.start();
    startSlotWatch();
    return slotReplacements != replacedBefore;
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
    for (ViewRecord r : Catalog.loadViews(c)) {
      if (!"failed".equals(r.status())) {
        rebuilding.put(r.qualifiedName(), why);
        Catalog.updateStatus(c, r.schema(), r.name(), "rebuilding", why);
      }
    }
    if (!rebuildingPruned) {
      rebuildingPruned = true;
      viewListeners.add(this::pruneRebuilding);
    }
    return true;
  }

  /** Forgets the "rebuilding" mark of views that are active (or failed) again. */
  private void pruneRebuilding() {
    ApplyLoop l = loop;
    if (l == null || rebuilding.isEmpty()) {
      return;
    }
    for (MaintainedView v : l.views()) {
      if (v.state() != MaintainedView.State.PENDING) {
        rebuilding.remove(v.qualifiedName());
      }
    }
  }

  /** Checks the WAL the slot retains every {@code deltaview.slotCheckMillis} (1 s), when there is a limit. */
  private synchronized void startSlotWatch() {
    if (slotWatch != null || closed || config.maxRetainedWalBytes() == EngineConfig.UNLIMITED) {
      return;
    }
    long every = Long.getLong("deltaview.slotCheckMillis", 1000);
    slotWatch = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "deltaview-slot-watch-" + config.database());
      t.setDaemon(true);
      return t;
    });
    slotWatch.scheduleWithFixedDelay(this::checkRetainedWal, every, every, TimeUnit.MILLISECONDS);
  }

  /**
   * One look at the slot, off the apply path (its own thread and connection): past
   * {@link EngineConfig#maxRetainedWalBytes} the supervisor stops maintenance ({@link #stopForRetainedWal}).
   */
  private void checkRetainedWal() {
    try {
      ApplyLoop observed = loop;
      if (observed == null || closed) {
        return;
      }
      if (slotWatchConnection == null || slotWatchConnection.isClosed()) {
        slotWatchConnection = connect(config);
      }
      SlotManager.SlotState state = SlotManager.state(slotWatchConnection, config.slotName());
      if (state != null && state.retainedBytes() != null && state.retainedBytes() > config.maxRetainedWalBytes()) {
        long retained = state.retainedBytes();
        // On the supervisor's thread: it never runs while the supervisor is restarting the loop.
        scheduler().execute(() -> stopForRetainedWal(observed, retained));
      }
    } catch (Exception | OutOfMemoryError e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "checking the WAL retained by " + config.slotName() + " failed: " + e);
      closeQuietly(slotWatchConnection);
      slotWatchConnection = null;
    }
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
        v.fail(error);
      }
      rebuilding.clear();
      try (Connection c = connect(config)) {
        SlotManager.dropSlotIfExists(c, config.slotName());
        if (Catalog.exists(c)) {
          Catalog.deleteProgress(c, config.slotName());
          for (ViewRecord r : Catalog.loadViews(c)) {
            Catalog.updateStatus(c, r.schema(), r.name(), "failed", error);
          }
        }
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.ERROR, "Deltaview: dropping replication slot " + config.slotName()
            + " after it exceeded deltaview.maxRetainedWal failed: " + e.getMessage(), e);
      }
    }
    fireViewsChanged();
  }

  // ---------------------------------------------------------------- supervision

  /**
   * Runs on the loop's own thread once it has stopped. A loop stopped on purpose is no longer the current
   * one; any other exit is a failure (sink, stream or decoding): its views' operator state is lost or ahead of
   * the rolled-back result tables, so they are marked (SHOW INCREMENTAL VIEWS gives the error, queries stop
   * being served from them) and the supervisor restarts streaming and reloads them all, with backoff.
   */
  private void loopExited(ApplyLoop exited) {
    if (loop != exited) {
      return; // stopped on purpose (checked before locking: stopStreaming holds the lock while joining us)
    }
    long delay;
    synchronized (this) {
      if (closed || loop != exited) {
        return;
      }
      Throwable cause = exited.failure();
      String error = "apply loop failed, restarting and reloading: " + cause;
      // Safe without the loop: its thread (this one) has stopped touching the views.
      for (MaintainedView v : exited.views()) {
        v.interrupt(error);
      }
      if (System.nanoTime() - loopStartedNanos > HEALTHY_RUN_NANOS) {
        consecutiveFailures = 0;
      }
      if (consecutiveFailures == 0) {
        LOG.log(System.Logger.Level.ERROR, "Deltaview apply loop of database " + config.database() + " failed;"
            + " restarting streaming and reloading every view: " + cause, cause);
      } else {
        LOG.log(System.Logger.Level.DEBUG, () -> "apply loop failed again (" + consecutiveFailures + "): " + cause);
      }
      delay = backoffMs();
      consecutiveFailures++;
      scheduleRecovery(exited, delay);
    }
    fireViewsChanged();
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

  private synchronized java.util.concurrent.ScheduledExecutorService scheduler() {
    if (supervisor == null) {
      supervisor = Executors.newSingleThreadScheduledExecutor(r -> {
        Thread t = new Thread(r, "deltaview-supervisor-" + config.database());
        t.setDaemon(true);
        return t;
      });
    }
    return supervisor;
  }

  /**
   * Replaces the dead loop: new reader and loop from the slot's confirmed position, every registered view
   * (as the catalog has them) added as loading and reloaded from a fresh snapshot. Holding the DDL lock keeps
   * CREATE/DROP out meanwhile. If this fails too (e.g. the database is unreachable), it is retried with backoff.
   */
  private void recover(ApplyLoop dead) {
    synchronized (ddlLock) {
      List<MaintainedView> views = new ArrayList<>();
      ApplyLoop fresh;
      try {
        synchronized (this) {
          if (closed || loop != dead) {
            return;
          }
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
                  known = compile(c, r);
                } catch (SQLException e) {
                  Catalog.updateStatus(c, r.schema(), r.name(), "failed", e.getMessage());
                  continue;
                }
              }
              views.add(known);
              if (known.state() != MaintainedView.State.FAILED) {
                // Other processes read the catalog: they must not take these tables for current meanwhile.
                Catalog.updateStatus(c, r.schema(), r.name(), "snapshotting", known.lastError());
              }
            }
          }
          releaseStreaming();
          loop = null;
          if (views.isEmpty()) {
            consecutiveFailures = 0;
            return;
          }
          startStreaming();
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
          }
        }
        return;
      }
      List<MaintainedView> reload = views.stream().filter(v -> v.state() != MaintainedView.State.FAILED).toList();
      LOG.log(System.Logger.Level.INFO, "apply loop of " + config.database() + " restarted; reloading " + reload.size()
          + " views");
      loader.submit(() -> loadAndActivate(reload));
    }
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
        // The loop died under the load: the supervisor reloads every view on the next loop, so this
        // load's failure says nothing about the views.
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
      LOG.log(System.Logger.Level.ERROR, "loading views " + views + " failed: " + e, e);
      for (MaintainedView v : views) {
        markFailed(v, e);
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

  private void markFailed(MaintainedView v, Exception e) {
    try {
      runOnLoop(() -> v.fail(String.valueOf(e.getMessage())));
    } catch (SQLException ignored) {
      v.fail(String.valueOf(e.getMessage()));
    }
    try (Connection c = connect(config)) {
      Catalog.updateStatus(c, v.record().schema(), v.record().name(), "failed", e.getMessage());
    } catch (SQLException ex) {
      LOG.log(System.Logger.Level.WARNING, "could not record failure of " + v.qualifiedName() + ": " + ex);
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
    SnapshotLoader.Outcome outcome;
    LogSequenceNumber point;
    try (ExportedSnapshot snapshot = SlotManager.exportSnapshot(config.pgUrl(), config.properties(), tempSlot);
         Connection reader = connect(config);
         Connection writer = connect(config)) {
      point = snapshot.consistentPoint();
      writer.setAutoCommit(false);
      // Result tables are written as the snapshot is read (in the writer's transaction), not held in memory.
      outcome = SnapshotLoader.load(reader, writer, snapshot.snapshotName(), views);
      writer.commit();
    }
    for (Map.Entry<MaintainedView, SQLException> f : outcome.failed().entrySet()) {
      LOG.log(System.Logger.Level.ERROR, "Deltaview: loading view " + f.getKey().qualifiedName() + " failed: "
          + f.getValue().getMessage(), f.getValue());
      markFailed(f.getKey(), f.getValue());
    }
    for (Map.Entry<MaintainedView, ViewPipeline> e : outcome.loaded().entrySet()) {
      MaintainedView v = e.getKey();
      if (loop != target) {
        throw new SQLException("Deltaview: the apply loop was restarted during the load", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
      }
      int generation = generations.get(v);
      runOnLoop(target, () -> {
        // Reset again since this load began (a second TRUNCATE): its buffer lost changes after our snapshot,
        // and the load queued by that reset will activate it.
        if (v.generation() == generation && v.state() == MaintainedView.State.PENDING) {
          target.activate(v, e.getValue(), point);
        }
      });
    }
    fireViewsChanged();
    return outcome.failed();
  }

  // ---------------------------------------------------------------- DDL

  /**
   * {@code CREATE INCREMENTAL VIEW}: validates, creates the result table, snapshots and activates; returns when
   * the view is ready. On any failure nothing of the view remains.
   *
   * @param schema the view's schema, or null for the caller's current schema
   * @param searchPath the caller's search_path, used to resolve the query's table names
   */
  public void createView(String schema, String name, String sql, boolean ifNotExists, String searchPath,
      String origin) throws SQLException {
    synchronized (ddlLock) {
      MaintainedView view = null;
      for (int attempt = 1; view == null; attempt++) {
        try {
          view = register(schema, name, sql, ifNotExists, searchPath, origin);
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
   * The registration transaction of {@code CREATE INCREMENTAL VIEW}: result table, key, base tables in the
   * publication, catalog row. Returns null when the view exists and {@code ifNotExists}; rolls back on failure.
   */
  private MaintainedView register(String schema, String name, String sql, boolean ifNotExists, String searchPath,
      String origin) throws SQLException {
    try (Connection c = connect(config)) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        s.execute("SET LOCAL search_path TO " + searchPath);
        s.execute("SET LOCAL lock_timeout = '30s'");
        String resolvedSchema = schema != null ? schema : currentSchema(s);
        Catalog.ensureExists(c);
        if (findView(c, resolvedSchema, name) != null) {
          c.rollback();
          if (ifNotExists) {
            return null;
          }
          throw new SQLException("incremental view \"" + resolvedSchema + "." + name + "\" already exists",
              SqlStates.DUPLICATE_TABLE);
        }
        s.execute("CREATE TABLE " + SqlIdentifiers.quote(resolvedSchema, name) + " AS " + sql + " WITH NO DATA");
        PlannedView plan = ViewPlanner.plan(c, sql);
        addKey(s, resolvedSchema, name, c, plan);
        prepareBaseTables(c, s, plan.baseTables());
        ViewRecord record = new ViewRecord(resolvedSchema, name, sql, plan.baseTables(), origin, "snapshotting",
            null, searchPath);
        Catalog.insertView(c, record);
        MaintainedView view = compile(c, record, plan);
        c.commit();
        return view;
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
  }

  private static String currentSchema(Statement s) throws SQLException {
    try (ResultSet rs = s.executeQuery("SELECT current_schema()")) {
      rs.next();
      String schema = rs.getString(1);
      if (schema == null) {
        throw new SQLException("no schema has been selected to create in (search_path is empty)", SqlStates.INVALID_SCHEMA_NAME);
      }
      return schema;
    }
  }

  private static ViewRecord findView(Connection c, String schema, String name) throws SQLException {
    for (ViewRecord r : Catalog.loadViews(c)) {
      if (r.schema().equals(schema) && r.name().equals(name)) {
        return r;
      }
    }
    return null;
  }

  private static void addKey(Statement s, String schema, String name, Connection c, PlannedView plan)
      throws SQLException {
    int[] key = plan.uniqueKey();
    if (key == null || key.length == 0) {
      return;
    }
    List<ResultColumn> columns = Catalog.columnsOf(c, schema, name);
    StringBuilder cols = new StringBuilder();
    for (int k : key) {
      cols.append(cols.length() == 0 ? "" : ", ").append(SqlIdentifiers.quote(columns.get(k).name()));
    }
    String table = SqlIdentifiers.quote(schema, name);
    if (plan.keyNotNull()) {
      s.execute("ALTER TABLE " + table + " ADD PRIMARY KEY (" + cols + ")");
    } else {
      s.execute("CREATE INDEX ON " + table + " (" + cols + ")");
    }
  }

  /**
   * Puts the view's base tables into the publication with REPLICA IDENTITY FULL (old rows complete in the
   * stream). The SHARE lock makes transactions that already wrote these tables finish before the tables join
   * the publication: otherwise a change made before the ADD by a transaction committing after it would be in
   * neither the stream nor the snapshot.
   */
  private void prepareBaseTables(Connection c, Statement s, List<String> baseTables) throws SQLException {
    Set<String> published = new HashSet<>();
    boolean publicationExists;
    try (PreparedStatement ps = c.prepareStatement("SELECT schemaname || '.' || tablename FROM pg_publication_tables"
        + " WHERE pubname = ?")) {
      ps.setString(1, config.publicationName());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          published.add(rs.getString(1));
        }
      }
    }
    try (PreparedStatement ps = c.prepareStatement("SELECT 1 FROM pg_publication WHERE pubname = ?")) {
      ps.setString(1, config.publicationName());
      try (ResultSet rs = ps.executeQuery()) {
        publicationExists = rs.next();
      }
    }
    List<String> all = new ArrayList<>();
    List<String> needIdentity = new ArrayList<>();
    List<String> toAdd = new ArrayList<>();
    for (String table : baseTables) {
      String[] parts = Catalog.splitQualified(table);
      String quoted = SqlIdentifiers.quote(parts[0], parts[1]);
      all.add(quoted);
      try (PreparedStatement ps = c.prepareStatement("SELECT relreplident FROM pg_class WHERE oid = ?::regclass")) {
        ps.setString(1, quoted);
        try (ResultSet rs = ps.executeQuery()) {
          rs.next();
          if (!"f".equals(rs.getString(1))) {
            needIdentity.add(quoted);
          }
        }
      }
      if (!published.contains(table)) {
        toAdd.add(quoted);
      }
    }
    if (needIdentity.isEmpty() && toAdd.isEmpty()) {
      return;
    }
    // All locks in one statement before any ALTER, so this transaction never holds one table while waiting for
    // another in the middle of the DDL; writers can still deadlock with it, and createView retries then.
    s.execute("LOCK TABLE " + String.join(", ", needIdentity.isEmpty() ? toAdd : all) + " IN "
        + (needIdentity.isEmpty() ? "SHARE" : "ACCESS EXCLUSIVE") + " MODE");
    for (String quoted : needIdentity) {
      s.execute("ALTER TABLE " + quoted + " REPLICA IDENTITY FULL");
    }
    if (toAdd.isEmpty()) {
      return;
    }
    String list = String.join(", ", toAdd);
    if (publicationExists) {
      s.execute("ALTER PUBLICATION " + SqlIdentifiers.quote(config.publicationName()) + " ADD TABLE " + list);
    } else {
      s.execute("CREATE PUBLICATION " + SqlIdentifiers.quote(config.publicationName()) + " FOR TABLE " + list);
    }
  }

  /** {@code DROP INCREMENTAL VIEW}: stops maintenance and removes the result table and bookkeeping. */
  public void dropView(String schema, String name, boolean ifExists, String searchPath) throws SQLException {
    synchronized (ddlLock) {
      String resolvedSchema = schema;
      if (resolvedSchema == null) {
        try (Connection c = connect(config); Statement s = c.createStatement()) {
          c.setAutoCommit(false);
          s.execute("SET LOCAL search_path TO " + searchPath);
          resolvedSchema = currentSchema(s);
          c.rollback();
        }
      }
      boolean found = dropViewInternal(resolvedSchema, name);
      if (!found && !ifExists) {
        throw new SQLException("incremental view \"" + resolvedSchema + "." + name + "\" does not exist", SqlStates.UNDEFINED_TABLE);
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
    boolean found;
    List<ViewRecord> remaining;
    try (Connection c = connect(config)) {
      c.setAutoCommit(false);
      try (Statement s = c.createStatement()) {
        if (!Catalog.exists(c)) {
          c.rollback();
          return false;
        }
        found = Catalog.deleteView(c, schema, name);
        if (found) {
          s.execute("DROP TABLE IF EXISTS " + SqlIdentifiers.quote(schema, name));
        }
        remaining = Catalog.loadViews(c);
        Set<String> needed = new HashSet<>();
        for (ViewRecord r : remaining) {
          needed.addAll(r.baseTables());
        }
        unpublishUnneeded(c, s, needed);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        c.rollback();
        throw e;
      }
    }
    if (remaining.isEmpty()) {
      stopStreaming();
      try (Connection c = connect(config)) {
        SlotManager.dropSlotIfExists(c, config.slotName());
        c.setAutoCommit(false);
        Catalog.deleteProgress(c, config.slotName());
        try (Statement s = c.createStatement()) {
          s.execute("DROP PUBLICATION IF EXISTS " + SqlIdentifiers.quote(config.publicationName()));
        }
        c.commit();
      }
    }
    if (found) {
      fireViewsChanged();
    }
    return found;
  }

  private void unpublishUnneeded(Connection c, Statement s, Set<String> needed) throws SQLException {
    List<String> drop = new ArrayList<>();
    try (PreparedStatement ps = c.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables"
        + " WHERE pubname = ?")) {
      ps.setString(1, config.publicationName());
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!needed.contains(rs.getString(1) + "." + rs.getString(2))) {
            drop.add(SqlIdentifiers.quote(rs.getString(1), rs.getString(2)));
          }
        }
      }
    }
    if (!drop.isEmpty() && !needed.isEmpty()) {
      s.execute("ALTER PUBLICATION " + SqlIdentifiers.quote(config.publicationName()) + " DROP TABLE "
          + String.join(", ", drop));
    }
  }

  // ---------------------------------------------------------------- status & consistency

  /**
   * One entry per registered view, for {@code SHOW INCREMENTAL VIEWS}. A view being reloaded after its slot
   * was lost is {@code rebuilding}, with why as its last error; the slot's {@code wal_status} and retained WAL
   * are the same for every view of the database (one slot), null while there is no slot.
   */
  public List<ViewStatus> status() throws SQLException {
    List<ViewStatus> out = new ArrayList<>();
    ApplyLoop l = loop;
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
        long rows;
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT count(*) FROM " + SqlIdentifiers.quote(r.schema(), r.name()))) {
          rs.next();
          rows = rs.getLong(1);
        }
        String rebuildingBecause = rebuilding.get(r.qualifiedName());
        if (live != null && live.state() != MaintainedView.State.PENDING && rebuildingBecause != null) {
          rebuilding.remove(r.qualifiedName());
          rebuildingBecause = null;
        }
        String status = live == null ? r.status()
            : switch (live.state()) {
              case ACTIVE -> "ready";
              case PENDING -> rebuildingBecause != null ? "rebuilding" : "snapshotting";
              case FAILED -> "failed";
            };
        String lastError = live == null ? r.lastError()
            : rebuildingBecause != null ? rebuildingBecause
            : live.lastError() != null ? live.lastError() : r.lastError();
        out.add(new ViewStatus(r.qualifiedName(), status, SqlIdentifiers.quote(r.schema(), r.name()), rows,
            live == null ? 0 : live.lastLagMs(),
            live == null || live.appliedLsn() == LogSequenceNumber.INVALID_LSN ? null : live.appliedLsn().asString(),
            hitCount(r.qualifiedName()), r.definition(), lastError, r.origin(),
            slot == null ? null : slot.walStatus(), slot == null ? null : slot.retainedBytes()));
      }
    }
    return out;
  }

  /**
   * Strong consistency: waits until every transaction committed before this call is reflected in the ready
   * views, by writing a WAL watermark and waiting for the apply loop to pass it. False on timeout.
   */
  public boolean awaitCurrent(long timeoutMs) throws SQLException {
    ApplyLoop l = loop;
    if (l == null || !l.isRunning()) {
      return false;
    }
    long watermark;
    synchronized (leaderConnection) {
      try (Statement s = leaderConnection.createStatement();
           // Transactional, in its own autocommit transaction with synchronous_commit on: the commit flushes WAL
           // and so wakes the walsender at once (a non-transactional message is not flushed on PostgreSQL 14 and
           // would wait for the WAL writer, up to wal_writer_delay). It arrives after every earlier commit.
           ResultSet rs = s.executeQuery("SELECT pg_logical_emit_message(true, 'deltaview.watermark', '')::text")) {
        rs.next();
        watermark = LogSequenceNumber.valueOf(rs.getString(1)).asLong();
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
    }
    releaseStreaming();
  }

  /** Stops maintenance and releases every connection; the slot keeps the position for the next start. */
  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    stopStreaming();
    synchronized (this) {
      if (supervisor != null) {
        supervisor.shutdownNow();
      }
      if (slotWatch != null) {
        slotWatch.shutdownNow();
      }
    }
    if (slotWatch != null) {
      try {
        if (slotWatch.awaitTermination(10, TimeUnit.SECONDS)) {
          closeQuietly(slotWatchConnection); // its thread has stopped using it
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    loader.shutdownNow();
    closeQuietly(leaderConnection);
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
