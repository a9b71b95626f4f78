package io.deltaview.engine.watch;

import io.deltaview.engine.apply.ApplyLoop;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.view.BaseTableDrift;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.TableShape;
import io.deltaview.engine.view.ViewFailure;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * What the engine checks about a database on a thread and connection of its own, off the apply path: every
 * second, the base tables of the views being maintained ({@link BaseTableDrift}: changes the stream never
 * reports) and, when there is a limit, the WAL the slot retains. It decides nothing itself: it tells its
 * {@link Host}, which fails the views or stops maintenance.
 */
public final class EngineWatch implements AutoCloseable {

  private static final System.Logger LOG = System.getLogger(EngineWatch.class.getName());

  /** What the watch looks at and whom it tells. */
  public interface Host {
    /** The apply loop whose views are maintained now; null while none is (closed, not leading, stopped). */
    ApplyLoop maintainedLoop();

    /** A new connection to the database, for the watch's own use. */
    Connection connect() throws SQLException;

    /**
     * {@code failures} of views of {@code loop} found by the base-table check: fail them (alone), without
     * keeping the watch waiting.
     */
    void baseTablesChanged(ApplyLoop loop, Map<MaintainedView, ViewFailure> failures);

    /** The slot retained {@code bytes} of WAL, more than the limit, while {@code loop} maintained. */
    void retainedWalExceeded(ApplyLoop loop, long bytes);
  }

  /**
   * What to watch.
   *
   * @param maxRetainedWalBytes the limit on the slot's retained WAL; {@code Long.MAX_VALUE} for none
   */
  public record Settings(String database, String publication, String slot, long maxRetainedWalBytes,
      long tableCheckMillis, long slotCheckMillis) {
  }

  private final Settings settings;
  private final Host host;
  private final ScheduledExecutorService thread;
  /** Used only by the watch thread. */
  private Connection connection;

  /** How often the slot is looked at when no retained-WAL limit is set (for the meters only). */
  private static final long UNLIMITED_SLOT_CHECK_MS = 5_000;
  private volatile long retainedWalBytes = -1;

  private EngineWatch(Settings settings, Host host) {
    this.settings = settings;
    this.host = host;
    this.thread = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "deltaview-watch-" + settings.database());
      t.setDaemon(true);
      return t;
    });
  }

  /** Starts watching. */
  public static EngineWatch start(Settings settings, Host host) {
    EngineWatch watch = new EngineWatch(settings, host);
    watch.thread.scheduleWithFixedDelay(watch::checkBaseTables, settings.tableCheckMillis(),
        settings.tableCheckMillis(), TimeUnit.MILLISECONDS);
    // Without a limit to enforce the slot is only looked at for the meters, less often.
    long slotCheck = settings.maxRetainedWalBytes() != Long.MAX_VALUE ? settings.slotCheckMillis()
        : Math.max(settings.slotCheckMillis(), UNLIMITED_SLOT_CHECK_MS);
    watch.thread.scheduleWithFixedDelay(watch::checkRetainedWal, settings.slotCheckMillis(), slotCheck,
        TimeUnit.MILLISECONDS);
    return watch;
  }

  /** The watch thread's connection, opened again if it was lost. Watch thread only. */
  private Connection connection() throws SQLException {
    if (connection == null || connection.isClosed()) {
      connection = host.connect();
    }
    return connection;
  }

  /**
   * One look at the base tables of the views being maintained or loaded: a view over a table whose changes
   * would no longer reach it complete fails (alone) instead of being served as ready with an old answer. The
   * stream cannot tell: a table taken out of the publication, or an inheritance child added, just stops
   * sending changes.
   */
  private void checkBaseTables() {
    try {
      ApplyLoop observed = host.maintainedLoop();
      if (observed == null) {
        return;
      }
      List<MaintainedView> live = observed.views().stream()
          .filter(v -> v.state() != MaintainedView.State.FAILED).toList();
      Map<TableShape, ViewFailure> problems = BaseTableDrift.check(connection(), settings.publication(),
          BaseTableDrift.sourcesOf(live));
      Map<MaintainedView, ViewFailure> failures = new LinkedHashMap<>();
      for (MaintainedView v : live) {
        ViewFailure why = BaseTableDrift.firstProblem(v, problems);
        if (why != null) {
          failures.put(v, why);
        }
      }
      if (!failures.isEmpty()) {
        host.baseTablesChanged(observed, failures);
      }
    } catch (Exception | OutOfMemoryError e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "checking the base tables of " + settings.database() + " failed: "
          + e);
      dropConnection();
    }
  }

  /** The WAL the slot retained at the last look, in bytes; -1 before the first or while there is no slot. */
  public long retainedWalBytes() {
    return retainedWalBytes;
  }

  /** One look at the WAL the slot retains. */
  private void checkRetainedWal() {
    try {
      ApplyLoop observed = host.maintainedLoop();
      if (observed == null) {
        return;
      }
      SlotManager.SlotState state = SlotManager.state(connection(), settings.slot());
      retainedWalBytes = state == null || state.retainedBytes() == null ? -1 : state.retainedBytes();
      if (state != null && state.retainedBytes() != null && state.retainedBytes() > settings.maxRetainedWalBytes()) {
        host.retainedWalExceeded(observed, state.retainedBytes());
      }
    } catch (Exception | OutOfMemoryError e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "checking the WAL retained by " + settings.slot() + " failed: " + e);
      dropConnection();
    }
  }

  private void dropConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // it was failing anyway
      }
      connection = null;
    }
  }

  /** Stops the watch thread (waiting up to 10 s for a look under way) and closes its connection. */
  @Override
  public void close() {
    thread.shutdownNow();
    try {
      if (thread.awaitTermination(10, TimeUnit.SECONDS)) {
        dropConnection(); // its thread has stopped using it
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
