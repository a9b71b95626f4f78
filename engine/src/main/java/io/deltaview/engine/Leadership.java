package io.deltaview.engine;

import io.deltaview.engine.lead.MaintainerLock;
import io.deltaview.engine.state.Checkpointer;
import io.deltaview.sql.SqlStates;
import java.sql.SQLException;

/**
 * Whether this process maintains the views of its database: it does while it holds the maintainer lock
 * ({@link MaintainerLock}). Checks every {@link #CHECK_MS} that the lock's connection is alive; once it is
 * lost, stops maintaining (another process may take over from the same slot) and asks for the lock again
 * until it gets it back, then resumes every view.
 */
final class Leadership {

  private static final System.Logger LOG = System.getLogger(Leadership.class.getName());
  /** How often the lock's connection is checked (and, after losing it, the lock is asked for again). */
  static final long CHECK_MS = 1_000;

  /** Resumes maintaining every registered view, once the lock is held again. */
  @FunctionalInterface
  interface Resume {
    void run() throws SQLException;
  }

  private final EngineConfig config;
  private final Streaming streaming;
  private final Checkpointer checkpointer;
  private final Object ddlLock;
  private final Resume resume;
  /** Stops, when the lock is lost, what the stream does not cover: a resumption under way, other backends' views. */
  private final Runnable stopOthers;
  private final Runnable viewsChanged;
  /** The maintainer lock this process holds; replaced when it is taken again (see {@link #check}). */
  private volatile MaintainerLock lock;
  /** Whether this process holds the maintainer lock now; while not, it maintains nothing. */
  private volatile boolean leading = true;

  Leadership(EngineConfig config, MaintainerLock lock, Streaming streaming, Checkpointer checkpointer,
      Object ddlLock, Resume resume, Runnable stopOthers, Runnable viewsChanged) {
    this.config = config;
    this.lock = lock;
    this.streaming = streaming;
    this.checkpointer = checkpointer;
    this.ddlLock = ddlLock;
    this.resume = resume;
    this.stopOthers = stopOthers;
    this.viewsChanged = viewsChanged;
  }

  /** Whether this process holds the maintainer lock (closed or not). */
  boolean holdsLock() {
    return leading;
  }

  /** Whether the connection holding the lock is alive now (asks the server). */
  boolean lockAlive() {
    return lock.alive();
  }

  /** Whether view requests made with SQL wait for this process (told on the lock's connection). */
  boolean viewRequestsPending() {
    MaintainerLock held = lock;
    return leading && !streaming.closed() && held.viewRequestsPending();
  }

  /**
   * Runs every {@link #CHECK_MS} on the supervisor: while leading, checks that the connection holding the
   * maintainer lock is alive (a database restart or a terminated backend releases the lock, and another
   * process may take it); once lost, asks for the lock again until this process gets it back — then it
   * reloads every view — or closes.
   */
  void check() {
    try {
      if (streaming.closed()) {
        return;
      }
      if (leading) {
        if (!lock.alive()) {
          lost("the connection holding the maintainer lock was lost");
        }
      } else {
        tryAgain();
      }
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "checking the maintainer lock of " + config.database() + " failed: " + e, e);
    }
  }

  /**
   * Stops maintaining: without the lock another process may maintain the views at the same time, from the
   * same slot. Queries pass through meanwhile (no view is ready here) and DDL is refused.
   */
  void lost(String why) {
    synchronized (streaming) {
      if (!leading || streaming.closed()) {
        return;
      }
      leading = false;
      LOG.log(System.Logger.Level.WARNING, "Deltaview stopped maintaining the incremental views of database "
          + config.database() + ": " + why + "; taking the lock again");
      streaming.stop();
      stopOthers.run();
      checkpointer.forgetAll();
      lock.close();
    }
    viewsChanged.run();
  }

  private void tryAgain() {
    MaintainerLock taken;
    try {
      taken = MaintainerLock.take(Engine.connect(config), config.database());
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.DEBUG, () -> "taking the maintainer lock of " + config.database() + " again"
          + " failed: " + e.getMessage());
      return;
    }
    synchronized (ddlLock) {
      synchronized (streaming) {
        if (streaming.closed()) {
          taken.close();
          return;
        }
        lock = taken;
        leading = true;
      }
      try {
        resume.run();
      } catch (SQLException | RuntimeException e) {
        lost("resuming maintenance failed: " + e.getMessage());
        return;
      }
    }
    LOG.log(System.Logger.Level.INFO, "Deltaview maintains the incremental views of database " + config.database()
        + " again");
    viewsChanged.run();
  }

  /** For DDL: only the process holding the maintainer lock may change the views. */
  void require() throws SQLException {
    if (!leading) {
      throw new SQLException("Deltaview: this process lost the maintainer lock of database " + config.database()
          + " (its connection to the database was lost) and is taking it again; try again shortly",
          SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
  }

  /** Releases the lock (at once: its holder's transaction is rolled back). */
  void close() {
    lock.close();
  }
}
