package io.deltaview.engine;

import io.deltaview.engine.apply.ApplyLoop;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.ViewCompilation;
import io.deltaview.engine.view.ViewFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Keeps maintenance going through failures: restarts a failed apply loop with backoff, carrying over the
 * views whose state is intact, and rebuilds a failed view alone after a backoff of its own. Runs its work on
 * one thread, the supervisor's, which also runs the engine's periodic checks.
 */
final class Supervisor {

  private static final System.Logger LOG = System.getLogger(Supervisor.class.getName());
  private static final long FIRST_BACKOFF_MS = 1_000;
  private static final long MAX_BACKOFF_MS = 30_000;
  /** A loop that ran this long before failing counts as healthy: the backoff starts over. */
  private static final long HEALTHY_RUN_NANOS = TimeUnit.SECONDS.toNanos(60);
  /** The first restart after a healthy run is quick: the views carried over are stale until it. */
  private static final long FIRST_RESTART_MS = 200;
  /** Backoff of the rebuilds of one failed view: 1 s, doubling with each failure in a row, up to 5 min. */
  private static final long FIRST_RETRY_BACKOFF_MS = 1_000;
  private static final long MAX_RETRY_BACKOFF_MS = 300_000;

  private final EngineConfig config;
  private final Streaming streaming;
  private final Object ddlLock;
  private final Runnable viewsChanged;
  private Leadership leadership;
  private ViewLoading loading;

  private volatile ScheduledExecutorService executor;
  private final Object executorLock = new Object();
  /** Failed restarts in a row; guarded by the streaming's monitor. */
  private int consecutiveFailures;
  /** Failed views with a rebuild scheduled (one at a time per view). */
  private final Set<MaintainedView> retriesScheduled = ConcurrentHashMap.newKeySet();
  private final LongAdder viewFailures = new LongAdder();

  Supervisor(EngineConfig config, Streaming streaming, Object ddlLock, Runnable viewsChanged) {
    this.config = config;
    this.streaming = streaming;
    this.ddlLock = ddlLock;
    this.viewsChanged = viewsChanged;
  }

  /** The parts it restarts through; set once, before any loop runs. */
  void supervise(Leadership leadership, ViewLoading loading) {
    this.leadership = leadership;
    this.loading = loading;
  }

  /** A backoff of 1 s doubling with each failure in a row, up to 30 s. */
  static long backoffMs(int failures) {
    return Math.min(MAX_BACKOFF_MS, FIRST_BACKOFF_MS << Math.min(failures, 5));
  }

  /** Runs {@code task} on the supervisor's thread. */
  void execute(Runnable task) {
    thread().execute(task);
  }

  /** Runs {@code task} on the supervisor's thread after {@code delayMs}, unless the engine is closed by then. */
  void schedule(Runnable task, long delayMs) {
    synchronized (streaming) {
      if (!streaming.closed()) {
        thread().schedule(task, delayMs, TimeUnit.MILLISECONDS);
      }
    }
  }

  /** Runs {@code task} every {@code periodMs} on the supervisor's thread. */
  void every(Runnable task, long initialDelayMs, long periodMs) {
    thread().scheduleWithFixedDelay(task, initialDelayMs, periodMs, TimeUnit.MILLISECONDS);
  }

  /**
   * The supervisor's thread, created on first use. Not guarded by the streaming's monitor: the apply loop
   * thread reaches it when a view fails, and must never wait for that monitor (a caller stopping streaming
   * holds it while joining the loop thread).
   */
  private ScheduledExecutorService thread() {
    ScheduledExecutorService s = executor;
    if (s == null) {
      synchronized (executorLock) {
        s = executor;
        if (s == null) {
          s = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "deltaview-supervisor-" + config.database());
            t.setDaemon(true);
            return t;
          });
          executor = s;
        }
      }
    }
    return s;
  }

  /**
   * Runs on the loop's own thread once it has stopped. A loop stopped on purpose is no longer the current
   * one; any other exit is a failure of what every view shares (the stream or the target connection). Views
   * whose operator state matches their committed result table (the loop's {@link ApplyLoop#resumableViews()})
   * keep it and stay served, a little stale, while the supervisor restarts streaming from the slot; the others
   * show the error (SHOW INCREMENTAL VIEWS), stop being served, and are reloaded once streaming runs again.
   */
  void loopExited(ApplyLoop exited) {
    if (streaming.loop() != exited) {
      return; // stopped on purpose (checked before locking: stopping holds the monitor while joining us)
    }
    boolean changed = false;
    synchronized (streaming) {
      if (streaming.closed() || streaming.loop() != exited) {
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
      if (System.nanoTime() - streaming.loopStartedNanos() > HEALTHY_RUN_NANOS) {
        consecutiveFailures = 0;
      }
      if (consecutiveFailures == 0) {
        LOG.log(System.Logger.Level.ERROR, "Deltaview apply loop of database " + config.database() + " failed;"
            + " restarting streaming from the slot (" + keep.size() + " views keep their state, " + reloading
            + " are reloaded): " + cause, cause);
      } else {
        LOG.log(System.Logger.Level.DEBUG, () -> "apply loop failed again (" + consecutiveFailures + "): " + cause);
      }
      long delay = consecutiveFailures == 0 ? FIRST_RESTART_MS : backoffMs(consecutiveFailures);
      consecutiveFailures++;
      schedule(() -> recover(exited), delay);
    }
    if (changed) {
      viewsChanged.run();
    }
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
    if (!leadership.lockAlive()) {
      leadership.lost("the connection holding the maintainer lock was lost");
      return; // the lock is taken again first; that resumes everything
    }
    synchronized (ddlLock) {
      List<MaintainedView> views = new ArrayList<>();
      ApplyLoop fresh;
      try {
        synchronized (streaming) {
          if (streaming.closed() || streaming.loop() != dead) {
            return;
          }
          Set<MaintainedView> keep = dead.resumableViews();
          try (Connection c = Engine.connect(config)) {
            for (ViewRecord r : Catalog.loadViews(c)) {
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
          streaming.clear();
          if (views.isEmpty()) {
            consecutiveFailures = 0;
            return;
          }
          if (streaming.start(dead.safePosition(), null, List.of())) {
            // The slot was lost and replaced: changes since the dead loop's position are in no stream, so no
            // view's state carried over is current any more.
            interruptActive(views, "the replication slot was lost and replaced; rebuilding from a fresh snapshot");
          }
          fresh = streaming.loop();
        }
        Streaming.runOnLoop(fresh, () -> {
          for (MaintainedView v : views) {
            fresh.addView(v);
          }
        });
      } catch (Exception e) {
        LOG.log(System.Logger.Level.WARNING, "restarting the apply loop of " + config.database() + " failed"
            + " (retrying): " + e);
        restartFailed(dead, views, e);
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
        loading.submit(reload);
      }
    }
    // The views are this loop's now (and some that were served may not be, e.g. after a lost slot).
    viewsChanged.run();
  }

  /** A restart of {@code dead}'s loop with {@code views} failed with {@code e}; called holding the DDL lock. */
  private void restartFailed(ApplyLoop dead, List<MaintainedView> views, Exception e) {
    synchronized (streaming) {
      ApplyLoop current = streaming.loop();
      // A new loop that died during the hand-over schedules its own recovery (loopExited).
      if (!streaming.closed() && (current == null || current == dead)) {
        streaming.keep(dead); // keeps the views visible (with their error) until a restart works
        long delay = backoffMs(consecutiveFailures);
        consecutiveFailures++;
        schedule(() -> recover(dead), delay);
        if (streaming.slotReplacedUnhandled()) {
          // The slot was replaced before the attempt failed: what the dead loop vouched for is gone.
          interruptActive(views, "the replication slot was lost and replaced; rebuilding from a fresh snapshot");
          execute(viewsChanged);
        }
      } else {
        // The new loop's own recovery starts from what it holds, which may be none of these views: those
        // carried over would stay active without being maintained.
        for (MaintainedView v : views) {
          if (v.state() == MaintainedView.State.ACTIVE && (current == null || !current.views().contains(v))) {
            v.interrupt("apply loop failed while restarting: " + e);
          }
        }
        execute(viewsChanged); // once the DDL lock is released (this is its thread)
      }
    }
  }

  private static void interruptActive(List<MaintainedView> views, String why) {
    for (MaintainedView v : views) {
      if (v.state() == MaintainedView.State.ACTIVE) {
        v.interrupt(why);
      }
    }
  }

  /**
   * A view failed (told by the apply loop, on its thread, or by a failed load): it has left the ready set, so
   * the listeners hear of it, and unless only re-creating it can help, it is rebuilt alone from a fresh
   * snapshot after a backoff that doubles with each failure in a row (1 s up to {@link #MAX_RETRY_BACKOFF_MS}).
   * The stream goes on for every other view meanwhile.
   */
  void viewFailed(MaintainedView view) {
    viewFailures.increment();
    if (streaming.closed()) {
      return;
    }
    ViewFailure why = view.failure();
    execute(viewsChanged); // not on the loop thread: listeners may take their time
    if (why == null || !why.retryable()) {
      LOG.log(System.Logger.Level.ERROR, "Deltaview view " + view.qualifiedName() + " failed and is not rebuilt"
          + " (re-create it): " + why);
      return;
    }
    scheduleRetry(view);
  }

  /** Schedules a rebuild of a failed view after its backoff, unless one is scheduled already. */
  private void scheduleRetry(MaintainedView view) {
    if (streaming.closed() || !retriesScheduled.add(view)) {
      return;
    }
    int failures = Math.max(1, view.consecutiveFailures());
    long delay = Math.min(MAX_RETRY_BACKOFF_MS, FIRST_RETRY_BACKOFF_MS << Math.min(failures - 1, 20));
    LOG.log(System.Logger.Level.INFO, "Deltaview view " + view.qualifiedName() + " failed (" + view.failure()
        + "); rebuilding it in " + delay + " ms");
    thread().schedule(() -> retry(view), delay, TimeUnit.MILLISECONDS);
  }

  /**
   * Rebuilds a failed view from a fresh snapshot, if it is still registered and still failed: the loop puts it
   * back to loading (between transactions), the loader loads it. If the loop dies first, the supervisor's
   * recovery schedules the rebuild again on the next loop.
   */
  private void retry(MaintainedView view) {
    retriesScheduled.remove(view);
    ApplyLoop l = streaming.loop();
    if (streaming.closed() || l == null || !l.isRunning()) {
      return; // recover() carries the view over, failed, and schedules its rebuild
    }
    l.submit(() -> {
      if (l.retry(view)) {
        loading.rebuild(view);
      }
    });
  }

  /** How many times a view failed since this engine started, first failures and failed rebuilds alike. */
  long viewFailures() {
    return viewFailures.sum();
  }

  /** Stops the supervisor's thread (the engine is closing). */
  void close() {
    synchronized (executorLock) {
      if (executor != null) {
        executor.shutdownNow();
      }
    }
  }
}
