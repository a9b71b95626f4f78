package io.deltaview.engine;

import io.deltaview.engine.apply.ApplyLoop;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.cdc.ExportedSnapshot;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.ddl.BaseTables;
import io.deltaview.engine.snapshot.SnapshotLoader;
import io.deltaview.engine.snapshot.SnapshotProgress;
import io.deltaview.engine.state.CheckpointRestore;
import io.deltaview.engine.state.CheckpointStore;
import io.deltaview.engine.state.Checkpointer;
import io.deltaview.engine.view.BaseTableDrift;
import io.deltaview.engine.view.Descendants;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.TableShape;
import io.deltaview.engine.view.ViewCompilation;
import io.deltaview.engine.view.ViewFailure;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import java.util.stream.Collectors;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Brings views to the ready state: at start, each from its checkpoint where one is usable and otherwise from
 * a snapshot of its base tables; later, the views a CREATE, a reset or a rebuild hands over. Snapshot loads
 * run one at a time on the loader's thread, and a view whose own load fails fails alone.
 */
final class ViewLoading {

  private static final System.Logger LOG = System.getLogger(ViewLoading.class.getName());

  private final EngineConfig config;
  private final Streaming streaming;
  private final Checkpointer checkpointer;
  private final Supervisor supervisor;
  private final Runnable viewsChanged;
  private final ExecutorService loader;
  /** The snapshot loads under way (a CREATE's and the loader's may overlap), for SHOW and metrics. */
  private final Set<SnapshotProgress> loads = ConcurrentHashMap.newKeySet();
  private final LongAdder snapshotLoads = new LongAdder();
  /** Snapshot loads started (each one reads base tables), for tests and monitoring. */
  private final LongAdder snapshotReads = new LongAdder();
  /** Views resumed from a checkpoint since this engine started. */
  private final LongAdder checkpointResumes = new LongAdder();
  private final Object ddlLock;
  /** Told why, when the apply loop could not be started after reading the checkpoints. */
  private final Consumer<String> resumeFailed;
  /** Counts resumptions and stops; a resumption reading checkpoints goes on only while it is the last. */
  private final AtomicInteger resumes = new AtomicInteger();
  /** Served from their tables while their checkpoints are read; replaced under this object's lock. */
  private volatile RestoringViews restoring = RestoringViews.NONE;
  /** Completed once the last resumption has started the apply loop (or given up). */
  private volatile CompletableFuture<Void> resumed = CompletableFuture.completedFuture(null);

  ViewLoading(EngineConfig config, Streaming streaming, Checkpointer checkpointer, Supervisor supervisor,
      Object ddlLock, Consumer<String> resumeFailed, Runnable viewsChanged) {
    this.config = config;
    this.ddlLock = ddlLock;
    this.resumeFailed = resumeFailed;
    this.streaming = streaming;
    this.checkpointer = checkpointer;
    this.supervisor = supervisor;
    this.viewsChanged = viewsChanged;
    this.loader = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "deltaview-loader-" + config.database());
      t.setDaemon(true);
      return t;
    });
  }

  // ---------------------------------------------------------------- resuming at start

  /**
   * Starts maintaining every registered view (at engine start, and when the maintainer lock is taken again):
   * those with a usable checkpoint resume from it without reading a base table and are active from the
   * stream's first event; the others are loaded from a snapshot in the background.
   *
   * <p>When some checkpoint is to be read, this returns once each has been checked by its description, and the
   * reading, which takes time in proportion to the state, goes on on the loader's thread; those views are
   * served from their result tables meanwhile ({@link RestoringViews}). DDL waits for it ({@link
   * #awaitResumed}). If the apply loop cannot be started after that, {@code resumeFailed} is told why (the
   * engine then gives up the lock and takes it again, which resumes afresh).
   */
  void resume() throws SQLException {
    List<ViewRecord> records;
    try (Connection c = Engine.connect(config)) {
      records = Catalog.loadViews(c);
    }
    if (records.isEmpty()) {
      return;
    }
    List<MaintainedView> views = new ArrayList<>();
    try (Connection c = Engine.connect(config)) {
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
    Map<MaintainedView, CheckpointRestore.Usable> usable = new LinkedHashMap<>(plan.usable());
    Map<MaintainedView, String> reasons = new LinkedHashMap<>(plan.rebuilt());
    dropDrifted(usable, reasons);
    LogSequenceNumber tablesAt = plan.tablesAt() == null ? LogSequenceNumber.INVALID_LSN : plan.tablesAt();
    if (usable.isEmpty()) {
      stopResuming();
      startMaintaining(views, Map.of(), reasons, tablesAt);
      return;
    }
    Set<String> aligned;
    try (Connection c = Engine.connect(config)) {
      aligned = Catalog.alignedViews(c);
    }
    CompletableFuture<Void> done = new CompletableFuture<>();
    int epoch;
    synchronized (this) {
      epoch = resumes.incrementAndGet();
      resumed = done;
      restoring = RestoringViews.of(usable.keySet(), aligned);
    }
    viewsChanged.run();
    try {
      loader.submit(() -> {
        try {
          readAndStart(epoch, views, usable, reasons, tablesAt);
        } catch (RuntimeException | Error e) {
          // Whatever failed, the views must not stay served from tables that nothing will maintain.
          LOG.log(System.Logger.Level.ERROR, "Deltaview: resuming the views of " + config.database() + " failed", e);
          handBack(epoch, "resuming maintenance failed: " + e);
          throw e;
        } finally {
          done.complete(null);
        }
      });
    } catch (RejectedExecutionException e) {
      done.complete(null); // closing
      usable.values().forEach(u -> u.pipeline().releaseBudget());
    }
  }

  /**
   * The loader's part of {@link #resume}: reads the checkpoints, then starts the apply loop with the views restored
   * from them, and has the others loaded from snapshots. Abandoned (the states read are dropped) if another
   * resumption started meanwhile or maintenance stopped.
   */
  private void readAndStart(int epoch, List<MaintainedView> views, Map<MaintainedView, CheckpointRestore.Usable> usable,
      Map<MaintainedView, String> reasons, LogSequenceNumber tablesAt) {
    Map<MaintainedView, CheckpointRestore.Restored> restored = new LinkedHashMap<>();
    try (Connection c = Engine.connect(config)) {
      for (Map.Entry<MaintainedView, CheckpointRestore.Usable> e : usable.entrySet()) {
        if (resumes.get() != epoch) {
          break;
        }
        String why = CheckpointRestore.read(c, e.getKey(), e.getValue(), restored);
        if (why != null) {
          reasons.put(e.getKey(), why);
          synchronized (this) {
            if (resumes.get() == epoch) {
              restoring = restoring.without(e.getKey()); // it will be rebuilt: not served meanwhile
            }
          }
          viewsChanged.run();
        }
      }
    } catch (SQLException | RuntimeException e) {
      if (isTransient(e)) {
        // A lost connection says nothing about the checkpoints: read them again once the lock is taken again
        // (losing the connection usually lost the lock too), rather than rebuild every view from its base tables.
        release(restored);
        handBack(epoch, "reading the checkpoints failed: " + e.getMessage());
        return;
      }
      LOG.log(System.Logger.Level.WARNING, "Deltaview: reading the checkpoints of database " + config.database()
          + " failed; the views are rebuilt from a snapshot: " + e);
      release(restored);
      for (MaintainedView v : usable.keySet()) {
        reasons.putIfAbsent(v, "reading its checkpoint failed: " + e.getMessage());
      }
      restored.clear();
    }
    synchronized (ddlLock) {
      if (resumes.get() != epoch) {
        // Maintenance stopped or started over meanwhile; what is served now is that start's to decide.
        release(restored);
        LOG.log(System.Logger.Level.DEBUG, () -> "resuming the views of " + config.database() + " abandoned: "
            + "maintenance stopped or was resumed again meanwhile");
        return;
      }
      try {
        startMaintaining(views, restored, reasons, tablesAt);
      } catch (SQLException | RuntimeException e) {
        handBack(epoch, "resuming maintenance failed: " + e.getMessage());
        return;
      }
      // Active in the loop now (served as such): no longer on this account. Under the DDL lock, so no other
      // resumption started since the check above.
      restoring = RestoringViews.NONE;
    }
    viewsChanged.run();
  }

  /**
   * Maintenance stopped here (the lock was lost): a resumption under way is abandoned, and no view is served
   * from its table on its account any more.
   */
  synchronized void stopResuming() {
    resumes.incrementAndGet();
    restoring = RestoringViews.NONE;
  }

  /** The views served from their result tables while their checkpoints are read ({@link #resume}). */
  RestoringViews restoring() {
    return restoring;
  }

  /**
   * Waits until a resumption under way has read its checkpoints and started the apply loop: DDL waits for it,
   * so that a CREATE does not start a loop without the views being restored (which would reload them).
   */
  void awaitResumed() {
    resumed.join();
  }

  /**
   * As {@link #awaitResumed()}, at most {@code timeoutMs}: the milliseconds of {@code timeoutMs} left once the
   * resumption is done (all of them when none is under way), -1 if it is still under way then.
   */
  long awaitResumed(long timeoutMs) {
    CompletableFuture<Void> f = resumed;
    if (f.isDone()) {
      return timeoutMs;
    }
    long start = System.nanoTime();
    try {
      f.get(timeoutMs, TimeUnit.MILLISECONDS);
    } catch (TimeoutException e) {
      return -1;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return -1;
    } catch (ExecutionException e) {
      // it never completes exceptionally; done either way
    }
    return Math.max(0, timeoutMs - (System.nanoTime() - start) / 1_000_000);
  }

  /**
   * Resumption {@code epoch} cannot go on. Unless another has started since, nothing is served on its account any
   * more, and the lock is handed back (unless the engine is closing): taking it again resumes afresh.
   */
  private void handBack(int epoch, String why) {
    synchronized (ddlLock) {
      if (resumes.get() != epoch) {
        return;
      }
      stopResuming();
      viewsChanged.run();
      if (!streaming.closed()) {
        resumeFailed.accept(why);
      }
    }
  }

  /** The states read, dropped unused: their share of the memory budget goes now. */
  private static void release(Map<MaintainedView, CheckpointRestore.Restored> restored) {
    restored.values().forEach(r -> r.pipeline().releaseBudget());
  }

  /**
   * Starts the apply loop with the {@code restored} views active from its first event, adds the other views to
   * it to be loaded from snapshots (saying why, from {@code reasons}), and submits their loads.
   */
  private void startMaintaining(List<MaintainedView> views, Map<MaintainedView, CheckpointRestore.Restored> restored,
      Map<MaintainedView, String> reasons, LogSequenceNumber tablesAt) throws SQLException {
    // Restored views are active from the first event on: they take the stream from their checkpoint's position
    // (what came before is in their state) and write what their tables do not hold yet, transaction by
    // transaction with every other view. The slot is held back for them before the stream starts.
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
    try {
      streaming.start(null, replayFrom, List.copyOf(restored.keySet()));
    } catch (SQLException | RuntimeException e) {
      for (MaintainedView v : restored.keySet()) {
        checkpointer.forget(v);
        v.releaseBudget();
      }
      throw e;
    }
    ApplyLoop current = streaming.loop();
    for (MaintainedView v : restored.keySet()) {
      if (v.state() == MaintainedView.State.ACTIVE && (current == null || !current.views().contains(v))) {
        // A loop was running already (it cannot be, when maintenance starts): the view is loaded as any other
        // (added here; those restored are not added below).
        checkpointer.forget(v);
        v.interrupt("restarting maintenance");
        reasons.put(v, "the apply loop was running already");
        if (current != null) {
          streaming.runOnLoop(() -> current.addView(v));
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
        reasons.put(v, "the replication slot was lost and replaced"); // the start put it back to loading
      }
    }
    List<MaintainedView> rebuilt = new ArrayList<>();
    for (MaintainedView v : views) {
      if (v.state() == MaintainedView.State.ACTIVE) {
        continue; // added to the loop before it started
      }
      if (!restored.containsKey(v)) {
        streaming.runOnLoop(() -> streaming.loop().addView(v));
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
      viewsChanged.run();
    }
    if (!rebuilt.isEmpty()) {
      submit(rebuilt);
    }
  }

  /**
   * Moves the views with a usable checkpoint whose base tables no longer match their plan (as a snapshot load
   * checks them) to the rebuilt ones: their load then fails them, or rebuilds them, as it would without a checkpoint.
   */
  private void dropDrifted(Map<MaintainedView, CheckpointRestore.Usable> usable, Map<MaintainedView, String> reasons) {
    if (usable.isEmpty()) {
      return;
    }
    try (Connection c = Engine.connect(config)) {
      Map<TableShape, ViewFailure> drift = BaseTableDrift.check(c, config.publicationName(),
          BaseTableDrift.sourcesOf(List.copyOf(usable.keySet())));
      for (MaintainedView v : List.copyOf(usable.keySet())) {
        ViewFailure why = BaseTableDrift.firstProblem(v, drift);
        if (why != null) {
          usable.remove(v);
          reasons.put(v, "its base tables changed: " + why.message());
        }
      }
    } catch (SQLException e) {
      for (MaintainedView v : usable.keySet()) {
        reasons.put(v, "checking its base tables failed: " + e.getMessage());
      }
      usable.clear();
    }
  }

  /**
   * Which views resume from their checkpoint (read into fresh pipelines) and which are rebuilt, and why; with
   * checkpoints off, or if reading them fails, every view is rebuilt from a snapshot.
   */
  private CheckpointRestore.Plan planRestore(List<MaintainedView> views) {
    Map<MaintainedView, String> all = new LinkedHashMap<>();
    if (!checkpointer.settings().enabled()) {
      views.forEach(v -> all.put(v, "checkpoints are off (deltaview.checkpointMillis)"));
      return new CheckpointRestore.Plan(Map.of(), all, null);
    }
    try (Connection c = Engine.connect(config)) {
      return CheckpointRestore.plan(c, views, config.slotName());
    } catch (SQLException | RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "Deltaview: reading the checkpoints of database " + config.database()
          + " failed; every view is rebuilt from a snapshot: " + e);
      views.forEach(v -> all.put(v, "reading its checkpoint failed: " + e.getMessage()));
      return new CheckpointRestore.Plan(Map.of(), all, null);
    }
  }

  // ---------------------------------------------------------------- snapshot loads

  /** Loads {@code views} from a snapshot on the loader's thread, in the background. */
  void submit(List<MaintainedView> views) {
    loader.submit(() -> loadAndActivate(views, 0));
  }

  /**
   * Rebuilds a failed view that the loop put back to loading (on the loop's thread): records the rebuild in
   * the catalog for other processes, then loads it.
   */
  void rebuild(MaintainedView view) {
    loader.submit(() -> {
      try (Connection c = Engine.connect(config)) {
        Catalog.updateStatus(c, view.record().schema(), view.record().name(), ViewState.SNAPSHOTTING,
            view.lastError());
      } catch (SQLException e) {
        LOG.log(System.Logger.Level.DEBUG, () -> "could not record the rebuild of " + view.qualifiedName()
            + ": " + e);
      }
      loadAndActivate(List.of(view), 0);
    });
  }

  /**
   * Loads {@code view} now, on the loader's thread (after the loads queued before it), and waits: for a
   * CREATE, which returns once its view is ready.
   *
   * @return the view's own load failure, or null if it is ready
   * @throws SQLException a failure of the whole load
   */
  SQLException loadNow(MaintainedView view) throws SQLException {
    CompletableFuture<Map<MaintainedView, SQLException>> done = CompletableFuture.supplyAsync(() -> {
      try {
        return loadAndActivateOrThrow(List.of(view));
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, loader);
    try {
      return done.join().get(view);
    } catch (CompletionException e) {
      if (e.getCause() instanceof SQLException s) {
        throw s;
      }
      throw e;
    }
  }

  /** Loads a consistent snapshot for {@code views}, writes their results, and activates them on the loop. */
  private void loadAndActivate(List<MaintainedView> views, int attempt) {
    ApplyLoop target = streaming.loop();
    try {
      loadAndActivateOrThrow(views);
    } catch (Exception | OutOfMemoryError failure) {
      // The heap can run out outside any one view's pipeline too (e.g. reading rows): fail the views, say so.
      Exception e = failure instanceof Exception ex ? ex : new SQLException("out of memory loading views " + views
          + ": " + failure.getMessage(), SqlStates.OUT_OF_MEMORY, failure);
      if (target == null || streaming.loop() != target || !target.isRunning()) {
        // The loop died under the load: the supervisor reloads these views on the next loop, so this
        // load's failure says nothing about them.
        LOG.log(System.Logger.Level.DEBUG, () -> "load of " + views + " abandoned with its apply loop: " + e);
        return;
      }
      if (isTransient(e)) {
        // A lost connection or a serialization failure says nothing about the views either: load again later.
        long delay = Supervisor.backoffMs(attempt);
        LOG.log(attempt == 0 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG,
            () -> "loading views failed, retrying in " + delay + " ms: " + e);
        supervisor.schedule(() -> loader.submit(() -> loadAndActivate(views, attempt + 1)), delay);
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
    ApplyLoop l = streaming.loop();
    try {
      if (l == null) {
        throw new SQLException("no apply loop", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
      }
      Streaming.runOnLoop(l, () -> l.fail(v, why));
    } catch (SQLException ignored) {
      // No loop to record it: the view fails here, and its status is written below (unless a loop holds it
      // now, whose thread alone may touch it; that loop reloads or fails it itself).
      ApplyLoop now = streaming.loop();
      if (now != null && now.views().contains(v)) {
        return;
      }
      if (v.state() != MaintainedView.State.FAILED) {
        v.fail(why);
        supervisor.viewFailed(v);
      }
      try (Connection c = Engine.connect(config)) {
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
      submit(views.stream().filter(v -> !together.contains(v)).toList());
      views = together;
    }
    Map<MaintainedView, Integer> generations = new HashMap<>();
    for (MaintainedView v : views) {
      generations.put(v, v.generation());
    }
    // Activation must happen on the loop that buffered these views' changes since before the snapshot point:
    // if the supervisor replaced it meanwhile, the new loop's stream may start after that point.
    ApplyLoop target = streaming.loop();
    if (target == null) {
      throw new SQLException("Deltaview: the apply loop is not running", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    takeDescendants(target, views);
    String tempSlot = "deltaview_load_" + Long.toHexString(System.nanoTime());
    snapshotReads.increment();
    SnapshotLoader.Outcome outcome;
    Map<TableShape, ViewFailure> drift;
    LogSequenceNumber point;
    try (ExportedSnapshot snapshot = SlotManager.exportSnapshot(config.pgUrl(), config.properties(), tempSlot);
         Connection reader = Engine.connect(config);
         Connection writer = Engine.connect(config)) {
      point = snapshot.consistentPoint();
      writer.setAutoCommit(false);
      // Result tables are written as the snapshot is read (in the writer's transaction), not held in memory.
      SnapshotProgress progress = new SnapshotProgress(
          views.stream().map(MaintainedView::qualifiedName).collect(Collectors.toSet()));
      loads.add(progress);
      try {
        outcome = SnapshotLoader.load(reader, writer, snapshot.snapshotName(), views, progress);
      } finally {
        loads.remove(progress);
      }
      // With the tables replaced, in the same transaction: an older checkpoint never pairs with the new table.
      Map<MaintainedView, Long> loadedRows = new HashMap<>();
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
    Map<MaintainedView, SQLException> failed = new LinkedHashMap<>();
    for (Map.Entry<MaintainedView, SQLException> f : outcome.failed().entrySet()) {
      MaintainedView v = f.getKey();
      if (views.size() > 1 && SqlStates.OUT_OF_MEMORY.equals(f.getValue().getSQLState())) {
        // The heap filled while several views loaded: the one being fed then is not necessarily the one that
        // does not fit. Loaded alone, it is judged on its own state (and fails for good only then).
        LOG.log(System.Logger.Level.INFO, "Deltaview: loading view " + v.qualifiedName() + " together with others"
            + " ran out of heap; loading it alone");
        submit(List.of(v));
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
      if (streaming.loop() != target) {
        throw new SQLException("Deltaview: the apply loop was restarted during the load", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
      }
      int generation = generations.get(v);
      try {
        Streaming.runOnLoop(target, () -> {
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
        if (!target.isRunning() || streaming.loop() != target) {
          throw activation; // the loop died: nothing here says anything about the views
        }
        // This view's own failure (replaying its buffer, writing its table): the loop failed it and its
        // rebuild is scheduled; the views loaded with it are activated all the same.
        failed.put(v, activation);
      }
    }
    viewsChanged.run();
    return failed;
  }

  /**
   * Before a snapshot load: the partitions and inheritance children the views' base tables have now join the
   * publication with REPLICA IDENTITY FULL (committed), and the loop feeds the views their changes from its
   * next source transaction on ({@link ApplyLoop#takeDescendants}). The snapshot, taken after both, then holds
   * every row whose later changes the views get: a rebuild after a partition was attached, created or detached
   * (or a child added or removed) is exact, and so is a load after a restart that found other descendants.
   * Views over tables that have no descendants and had none cost one catalog query.
   */
  private void takeDescendants(ApplyLoop target, List<MaintainedView> views) throws SQLException {
    Set<Long> oids = new LinkedHashSet<>();
    boolean had = false;
    for (MaintainedView v : views) {
      for (TableShape t : v.sources()) {
        if (t.oid() != 0) {
          oids.add(t.oid());
          had |= !t.descendants().isEmpty();
        }
      }
    }
    if (oids.isEmpty()) {
      return;
    }
    Map<Long, List<TableShape.Descendant>> now;
    try (Connection c = Engine.connect(config)) {
      now = Descendants.of(c, oids);
      if (!now.isEmpty()) {
        List<TableShape> tables = new ArrayList<>();
        for (MaintainedView v : views) {
          for (TableShape t : v.sources()) {
            if (now.containsKey(t.oid())) {
              tables.add(t.withDescendants(now.get(t.oid())));
            }
          }
        }
        c.setAutoCommit(false);
        try (Statement s = c.createStatement()) {
          s.execute("SET LOCAL lock_timeout = '30s'");
        }
        BaseTables.prepare(c, config.publicationName(), tables);
        c.commit();
      }
    }
    if (had || !now.isEmpty()) {
      Streaming.runOnLoop(target, () -> {
        for (MaintainedView v : views) {
          target.takeDescendants(v, now);
        }
      });
    }
  }

  /**
   * The views among {@code views} (the first one included) that read every table they share in the same
   * layout, so that one read of each table serves them all.
   */
  private static List<MaintainedView> sameLayouts(List<MaintainedView> views) {
    Map<String, String> layoutByTable = new HashMap<>();
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

  // ---------------------------------------------------------------- progress and counts

  /** The snapshot load under way for view {@code qualifiedName}; null if none. */
  SnapshotProgress loadOf(String qualifiedName) {
    for (SnapshotProgress p : loads) {
      if (p.loads(qualifiedName)) {
        return p;
      }
    }
    return null;
  }

  /** The snapshot loads under way now (each reading base tables for some views). */
  List<SnapshotProgress> underWay() {
    return List.copyOf(loads);
  }

  /** Base-table rows read so far by the snapshot loads under way (0 when none is). */
  long rowsRead() {
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
  long rowsEstimated() {
    long estimated = 0;
    for (SnapshotProgress p : loads) {
      if (p.estimatedRows() < 0) {
        return -1;
      }
      estimated += p.estimatedRows();
    }
    return estimated;
  }

  long snapshotLoads() {
    return snapshotLoads.sum();
  }

  long snapshotReads() {
    return snapshotReads.sum();
  }

  long checkpointResumes() {
    return checkpointResumes.sum();
  }

  /** Stops the loader's thread (the engine is closing); loads under way are interrupted. */
  void close() {
    loader.shutdownNow();
    stopResuming();
    resumed.complete(null); // a resumption the shutdown dropped before it ran must not keep DDL waiting
  }
}
