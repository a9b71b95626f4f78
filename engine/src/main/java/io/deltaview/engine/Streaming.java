package io.deltaview.engine;

import io.deltaview.engine.apply.ApplyLoop;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.cdc.ChangeFeed;
import io.deltaview.engine.cdc.ReplicationSlotReader;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.state.CheckpointStore;
import io.deltaview.engine.state.Checkpointer;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.ViewFailure;
import io.deltaview.engine.watch.EngineWatch;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The replication stream of one database and the apply loop that reads it: starts and stops them, replaces a
 * slot PostgreSQL invalidated, and watches the base tables and the WAL the slot retains.
 *
 * <p>Its monitor is the engine's state lock: the current loop, the slot-replacement counts and the watch are
 * guarded by it, and the supervisor and the leadership take it too when they replace or stop the loop. The
 * DDL lock, where held, is always taken before it.
 */
final class Streaming {

  private static final System.Logger LOG = System.getLogger(Streaming.class.getName());

  /** What the stream tells the rest of the engine. */
  interface Hooks {
    /** Views the loop put back to loading (a TRUNCATE, a reset): load them from a fresh snapshot. */
    void loadLater(List<MaintainedView> views);

    /** A view failed on the loop's thread. */
    void viewFailed(MaintainedView view);

    /** {@code loop} stopped, on its own thread (on purpose or not). */
    void loopExited(ApplyLoop loop);

    /** The set of ready views may have changed. */
    void viewsChanged();

    /** Runs {@code task} on the supervisor's thread, which never runs while the loop is being restarted. */
    void onSupervisor(Runnable task);
  }

  private final EngineConfig config;
  private final Checkpointer checkpointer;
  private final Hooks hooks;
  /** Whether this process may maintain now (holds the maintainer lock); the watch looks only while it does. */
  private final BooleanSupplier maintaining;

  /** The current apply loop; replaced (never mutated) when the supervisor restarts streaming. */
  private volatile ApplyLoop loop;
  private ChangeFeed feed;
  private Thread loopThread;
  private Connection sinkConnection;
  private long loopStartedNanos;
  private volatile boolean closed;

  /** Views being rebuilt because the slot was lost: qualified name → why (their last_error meanwhile). */
  private final Map<String, String> rebuilding = new ConcurrentHashMap<>();
  /** How many times a lost slot was replaced. */
  private int slotReplacements;
  /** {@link #slotReplacements} as of the last loop started, whose starter was told (see {@link #start}). */
  private int slotReplacementsHandled;
  /**
   * The WAL position before the last slot replacement: a view marked {@code rebuilding} is rebuilt once it is
   * active from a snapshot after it (a view still active from before, carried by a loop that died, is not).
   */
  private volatile long rebuildingFrom;
  /** Watches the base tables and the WAL the slot retains; null until streaming starts. */
  private volatile EngineWatch watch;

  Streaming(EngineConfig config, Checkpointer checkpointer, Hooks hooks, BooleanSupplier maintaining) {
    this.config = config;
    this.checkpointer = checkpointer;
    this.hooks = hooks;
    this.maintaining = maintaining;
  }

  /** The current apply loop, or null; a dead loop stays current until the supervisor replaces it. */
  ApplyLoop loop() {
    return loop;
  }

  /** When the current loop started ({@link System#nanoTime}); guarded by this. */
  synchronized long loopStartedNanos() {
    return loopStartedNanos;
  }

  boolean closed() {
    return closed;
  }

  /**
   * Starts the reader and the apply loop unless there is a current loop. A current loop that has died is left
   * to the supervisor, which carries its views over; DDL against it fails until the restart.
   *
   * <p>A slot that PostgreSQL invalidated is replaced first ({@link #replaceLostSlot}); the new loop then
   * streams from the new slot's start, and every view must be loaded from a fresh snapshot taken after it,
   * which every caller (engine start, the supervisor's restart, CREATE) does for every view it adds.
   *
   * @return whether a lost slot was replaced: then no view's operator state or result table may be carried
   *     over, whatever else allows resuming without a reload
   */
  synchronized boolean start() throws SQLException {
    return start(null, null, List.of());
  }

  /**
   * As {@link #start()}; transactions committed before {@code resumeAfter} (if later than the recorded applied
   * position) are skipped: the views carried over from a stopped loop reflect them already. {@code restored}
   * (active views restored from checkpoints) are in the loop from its first event on, and transactions are
   * replayed from {@code replayFrom} on (if earlier than the recorded applied position), as the oldest of
   * those checkpoints needs. If the slot has to be replaced, the restored views go back to loading (they are
   * added all the same) and must be loaded.
   */
  synchronized boolean start(LogSequenceNumber resumeAfter, LogSequenceNumber replayFrom,
      List<MaintainedView> restored) throws SQLException {
    if (loop != null) {
      return false;
    }
    if (closed || !maintaining.getAsBoolean()) {
      // A start that was under way (views' checkpoints being read) when the engine closed or lost the lock:
      // a loop started now would hold the slot without the lock, and nothing would stop it.
      throw new SQLException("Deltaview stopped maintaining the views of database " + config.database()
          + (closed ? " (the engine was closed)" : " (it lost the maintainer lock)"),
          SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    LogSequenceNumber applied;
    try (Connection c = Engine.connect(config)) {
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
    Connection sink = Engine.connect(config);
    ChangeFeed stream;
    try {
      stream = startReader();
    } catch (SQLException | RuntimeException e) {
      Engine.closeQuietly(sink);
      throw e;
    }
    sinkConnection = sink;
    feed = stream;
    ApplyLoop started = new ApplyLoop(stream, sink, config.slotName(), applied, hooks::loadLater,
        hooks::viewFailed, checkpointer);
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
      hooks.loopExited(started);
    }, "deltaview-apply-" + config.database());
    loopThread.setDaemon(true);
    loopThread.start();
    startWatch();
    // Told to the caller once: it discards what it would have carried over (a later start needs not).
    replaced = slotReplacements != slotReplacementsHandled;
    slotReplacementsHandled = slotReplacements;
    return replaced;
  }

  /**
   * Whether a lost slot was replaced since the last loop started (by an attempt that failed after replacing
   * it): what a dead loop vouched for is gone. Guarded by this.
   */
  synchronized boolean slotReplacedUnhandled() {
    return slotReplacements != slotReplacementsHandled;
  }

  /**
   * For the supervisor, about to replace {@code dead}: closes its reader and sink connection and makes no loop
   * current. Guarded by this.
   */
  synchronized void clear() {
    release();
    loop = null;
  }

  /** For the supervisor, after a failed restart: {@code dead} is current again until a restart works. */
  synchronized void keep(ApplyLoop dead) {
    loop = dead;
  }

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
      try (Connection c = Engine.connect(config)) {
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
    return true;
  }

  /**
   * Why view {@code qualifiedName} (held by the loop as {@code live}, or null) is being rebuilt after the slot
   * was lost; null if it is not, or no longer (then the mark is forgotten).
   */
  String rebuildingReason(String qualifiedName, MaintainedView live) {
    String why = rebuilding.get(qualifiedName);
    if (why != null && live != null && rebuilt(live)) {
      rebuilding.remove(qualifiedName);
      return null;
    }
    return why;
  }

  /** Forgets the "rebuilding" mark of views that are rebuilt (or failed) since; told of every view change. */
  void pruneRebuilding() {
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
            return closed || !maintaining.getAsBoolean() ? null : loop;
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
            hooks.onSupervisor(() -> stopForRetainedWal(observed, bytes));
          }
        });
  }

  /**
   * The slot retains more WAL than allowed (seen while {@code observed} was the loop): rather than let it fill
   * the server's disk, stops the apply loop, fails every view (with
   * {@link SqlStates#CONFIGURATION_LIMIT_EXCEEDED} in the message) and drops the slot so that PostgreSQL can
   * recycle the WAL. Nothing restarts by itself: a new CREATE starts streaming again with a new slot, and the
   * failed views are rebuilt by re-creating them or by restarting the process.
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
      stop();
      for (MaintainedView v : stopping.views()) {
        v.fail(ViewFailure.permanent(SqlStates.CONFIGURATION_LIMIT_EXCEEDED, error));
      }
      rebuilding.clear();
      try (Connection c = Engine.connect(config)) {
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
    hooks.viewsChanged();
  }

  /**
   * The WAL the database's replication slot retained at the last look (every few seconds), in bytes; -1
   * before the first look or while there is no slot.
   */
  long retainedWalBytes() {
    EngineWatch w = watch;
    return w == null ? -1 : w.retainedWalBytes();
  }

  /** Closes the current reader and sink connection (the loop has stopped or is about to be replaced). */
  private synchronized void release() {
    if (feed != null) {
      feed.close();
    }
    Engine.closeQuietly(sinkConnection);
    feed = null;
    sinkConnection = null;
    loopThread = null;
  }

  /** Stops the current loop (it exits unsupervised: it is no longer current) and releases its connections. */
  synchronized void stop() {
    stop(false);
  }

  /** @param cleanly the engine is closing: the loop checkpoints every view where it stops (and is given the time) */
  private synchronized void stop(boolean cleanly) {
    ApplyLoop stopping = loop;
    loop = null; // first: a loop that is no longer current exits without supervision
    if (stopping != null) {
      if (cleanly) {
        stopping.stopWithCheckpoints();
      } else {
        stopping.stop();
      }
      try {
        if (loopThread != null) {
          loopThread.join(10_000 + (cleanly ? checkpointer.settings().stopMillis() : 0));
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
    release();
  }

  /**
   * For good: stops streaming and the watch; nothing starts again.
   *
   * @return false if it was closed already (two shutdown hooks, an embedder's and the registry's, may both
   *     close the engine)
   */
  boolean close() {
    synchronized (this) {
      if (closed) {
        return false;
      }
      closed = true;
    }
    stop(true);
    EngineWatch stopping;
    synchronized (this) {
      stopping = watch; // no new one starts: closed is set
    }
    if (stopping != null) {
      stopping.close();
    }
    return true;
  }

  /** Runs {@code task} on the current apply loop thread and waits for it. */
  void runOnLoop(LoopTask task) throws SQLException {
    ApplyLoop l = loop;
    if (l == null) {
      throw new SQLException("Deltaview: the apply loop is not running", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    runOnLoop(l, task);
  }

  /** Runs {@code task} on {@code loop}'s thread and waits for it; fails if that loop stops first. */
  static void runOnLoop(ApplyLoop loop, LoopTask task) throws SQLException {
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
        done.get(200, TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException e) {
        if (!loop.isRunning()) {
          throw new SQLException("Deltaview: the apply loop stopped: " + loop.failure(), SqlStates.INTERNAL_ERROR,
              loop.failure());
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

  /** Work for the apply loop's thread. */
  @FunctionalInterface
  interface LoopTask {
    void run() throws Exception;
  }
}
