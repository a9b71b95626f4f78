package io.deltaview.engine.state;

import io.deltaview.engine.view.MaintainedView;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Takes the checkpoints of one engine's views. On the apply thread, between source transactions, at most one
 * view per {@link Settings#tickMillis()} is serialized when its state changed and its last checkpoint is
 * {@link Settings#intervalMillis()} old and the stream has nothing waiting, or twice that old in any case (the
 * apply loop pauses for the serialization, and only for that; state spilled to disk is not serialized then but
 * snapshotted, and read from the snapshot by the writer, part by part); a view whose state did not change since its
 * checkpoint only has the checkpoint's position moved forward (a one-row-per-part UPDATE), which lets the slot
 * follow the WAL on a quiet database. Writing happens on a thread of its own with a connection of its own,
 * open only while there is something to write: a new checkpoint is inserted and the older one deleted in one
 * transaction, so a view always has a usable checkpoint once it had one. A write that fails is logged and
 * retried at the next interval; it never stops the apply loop or touches other views.
 *
 * <p>The slot is held back to the oldest position a durable (or, for a view without one, pending) checkpoint
 * resumes from ({@link #retainFrom()}).
 */
public final class Checkpointer implements Checkpoints, AutoCloseable {

  private static final System.Logger LOG = System.getLogger(Checkpointer.class.getName());
  /**
   * An unchanged view's checkpoint is moved at once when the stream has gone this far past it (a WAL segment,
   * which is what the slot's retention is counted in), else every {@link Settings#relabelMillis()}: each move
   * writes a little WAL itself, which must not keep an idle database busy.
   */
  private static final long RELABEL_BYTES = 16L << 20;

  /**
   * How often checkpoints are taken.
   *
   * @param intervalMillis a view whose state changed gets a new checkpoint this long after its last one
   * @param relabelMillis this often (or once the stream is 16 MB past it), an unchanged view's checkpoint is
   *     moved to the current position
   * @param tickMillis how often the apply thread looks at all (and at most one view is serialized per look)
   * @param stopMillis how long a clean stop may take to bring every view's checkpoint to the stop's position
   *     (0: it does not)
   */
  public record Settings(long intervalMillis, long relabelMillis, long tickMillis, long stopMillis) {

    /**
     * {@code deltaview.checkpointMillis} (default 60000, the interval they were measured with; 0 turns
     * checkpoints off),
     * {@code deltaview.checkpointRelabelMillis} (10000), {@code deltaview.checkpointTickMillis} (100),
     * {@code deltaview.checkpointOnStopMillis} (30000; 0: none at a clean stop).
     */
    public static Settings fromSystemProperties() {
      return new Settings(Long.getLong("deltaview.checkpointMillis", 60_000),
          Long.getLong("deltaview.checkpointRelabelMillis", 10_000), Long.getLong("deltaview.checkpointTickMillis", 100),
          Long.getLong("deltaview.checkpointOnStopMillis", 30_000));
    }

    public boolean enabled() {
      return intervalMillis > 0;
    }
  }

  /** Figures since the engine started, for logs, tests and the README's measurements. */
  public record Stats(long written, long bytesWritten, long lastBytes, long lastSerializeMicros,
      long maxSerializeMicros, long lastWriteMicros, long relabels, long failures) {
  }

  /** A connection factory for the writer (a connection of its own, reopened after a failure). */
  @FunctionalInterface
  public interface ConnectionSource {
    Connection connect() throws SQLException;
  }

  /** Per view: what is durable, what is on its way, when it was last serialized. */
  private static final class Tracked {
    final int generation;
    final String fingerprint;
    volatile long durable = -1;
    final AtomicLong pending = new AtomicLong(-1);
    volatile boolean needsFull = true;
    long lastFullNanos;
    long lastRelabelNanos;
    boolean uncheckpointable;

    Tracked(int generation, String fingerprint, long now) {
      this.generation = generation;
      this.fingerprint = fingerprint;
      this.lastFullNanos = now;
      this.lastRelabelNanos = now;
    }

    long hold() {
      if (uncheckpointable) {
        return -1; // its checkpoint, if any, is being deleted: nothing of it is worth keeping WAL for
      }
      long d = durable;
      return d >= 0 ? d : pending.get();
    }
  }

  private sealed interface Job permits Full, Relabel, Drop {
    long label();
  }

  /** A view's state as of {@code label}, written by streaming {@code image} (and releasing it) exactly once. */
  private record Full(MaintainedView view, Tracked tracked, long label, StateImage image) implements Job {
  }

  private record Relabel(MaintainedView view, Tracked tracked, long from, long label) implements Job {
  }

  /** The view can no longer be checkpointed: its older checkpoint would only hold the slot back. */
  private record Drop(MaintainedView view, Tracked tracked) implements Job {
    @Override
    public long label() {
      return -1;
    }
  }

  private final String database;
  private final Settings settings;
  private final ConnectionSource connections;
  private final Map<MaintainedView, Tracked> tracked = new ConcurrentHashMap<>();
  private final Map<MaintainedView, Job> pending = new ConcurrentHashMap<>();
  private final ExecutorService writer;
  private Connection connection;
  private long nextTickNanos;
  private volatile boolean closed;

  private final LongAdder written = new LongAdder();
  private final LongAdder bytesWritten = new LongAdder();
  private final LongAdder relabels = new LongAdder();
  private final LongAdder failures = new LongAdder();
  private volatile long lastBytes;
  private volatile long lastSerializeMicros;
  private volatile long maxSerializeMicros;
  private volatile long lastWriteMicros;

  public Checkpointer(String database, Settings settings, ConnectionSource connections) {
    this.database = database;
    this.settings = settings;
    this.connections = connections;
    this.writer = Executors.newSingleThreadExecutor(r -> {
      Thread t = new Thread(r, "deltaview-checkpoints-" + database);
      t.setDaemon(true);
      return t;
    });
    if (settings.enabled()) {
      writer.execute(CheckpointFingerprint::code); // hashes the engine's classes once, off the apply thread
    }
  }

  public Settings settings() {
    return settings;
  }

  public Stats stats() {
    return new Stats(written.sum(), bytesWritten.sum(), lastBytes, lastSerializeMicros, maxSerializeMicros,
        lastWriteMicros, relabels.sum(), failures.sum());
  }

  /**
   * {@code view} was restored from its durable checkpoint at {@code lsn} (with {@code fingerprint}): the slot
   * keeps the WAL since then until a newer checkpoint is durable. Call before streaming starts.
   */
  public void restored(MaintainedView view, String fingerprint, LogSequenceNumber lsn) {
    Tracked t = new Tracked(view.generation(), fingerprint, System.nanoTime());
    t.durable = lsn.asLong();
    t.needsFull = false;
    tracked.put(view, t);
    view.markCheckpoint(lsn);
  }

  /** Stops holding the slot for {@code view} (its checkpoint is being deleted or was found unusable). */
  public void forget(MaintainedView view) {
    tracked.remove(view);
    pending.remove(view);
  }

  /** Forgets every view (maintenance stopped here; a later start restores afresh). */
  public void forgetAll() {
    tracked.clear();
    pending.clear();
  }

  @Override
  public long retainFrom() {
    long min = Long.MAX_VALUE;
    for (Tracked t : tracked.values()) {
      long h = t.hold();
      if (h >= 0 && h < min) {
        min = h;
      }
    }
    return min;
  }

  @Override
  public boolean atBoundary(List<MaintainedView> views, long position, boolean idle) {
    if (!settings.enabled()) {
      return false;
    }
    long now = System.nanoTime();
    if (now - nextTickNanos < 0) {
      return false;
    }
    nextTickNanos = now + settings.tickMillis() * 1_000_000;
    // A view failed, reloaded or dropped has a new generation (or is failed): its checkpoint is deleted with
    // that change, and nothing of it is held or written any more.
    tracked.entrySet().removeIf(e -> {
      MaintainedView v = e.getKey();
      boolean gone = v.generation() != e.getValue().generation || v.state() == MaintainedView.State.FAILED;
      if (gone) {
        pending.remove(v);
      }
      return gone;
    });
    MaintainedView due = null;
    Tracked dueTracked = null;
    // Due after the interval at a quiet moment (nothing waiting in the stream), at the latest after twice it.
    long intervalNanos = settings.intervalMillis() * 1_000_000 * (idle ? 1 : 2);
    long firstDue = settings.intervalMillis() * 1_000_000;
    for (MaintainedView v : views) {
      if (v.state() != MaintainedView.State.ACTIVE || v.pipeline() == null) {
        continue;
      }
      Tracked t = tracked.get(v);
      if (t == null) {
        // A view without a checkpoint gets its first at the next quiet moment: until then a restart rebuilds it.
        t = new Tracked(v.generation(), CheckpointFingerprint.of(v, v.pipeline()), now - firstDue);
        tracked.put(v, t);
      }
      if (t.uncheckpointable) {
        continue;
      }
      long label = Math.max(position, v.activeFrom().asLong());
      if (t.pending.get() >= 0) {
        // One checkpoint of a view at a time: were a newer one taken while an older one is being written (a
        // large state takes longer to write than the interval), the slot would follow the newer one's position
        // before the older one became durable, and a restart in between could use neither.
        continue;
      }
      if (t.needsFull || v.stateChangedSinceCheckpoint()) {
        // Of the views due, one without a checkpoint first, then the one whose checkpoint is oldest.
        if (now - t.lastFullNanos >= intervalNanos && (dueTracked == null || before(t, dueTracked))) {
          due = v;
          dueTracked = t;
        }
      } else if (t.durable >= 0 && t.durable < label && !pending.containsKey(v)
          && (now - t.lastRelabelNanos >= settings.relabelMillis() * 1_000_000 || label - t.durable >= RELABEL_BYTES)) {
        t.lastRelabelNanos = now;
        t.pending.set(label);
        submit(v, new Relabel(v, t, t.durable, label));
      }
    }
    if (due != null) {
      serialize(due, dueTracked, Math.max(position, due.activeFrom().asLong()), now);
    }
    return true;
  }

  @Override
  public boolean atStop(List<MaintainedView> views, long position) {
    if (!settings.enabled() || settings.stopMillis() <= 0 || closed) {
      return false;
    }
    long deadline = System.nanoTime() + settings.stopMillis() * 1_000_000;
    // What is being written finishes first: a view has one checkpoint in flight at a time.
    if (!writerIdleBy(deadline)) {
      return false;
    }
    long now = System.nanoTime();
    for (MaintainedView v : views) {
      if (v.state() != MaintainedView.State.ACTIVE || v.pipeline() == null) {
        continue;
      }
      Tracked t = tracked.get(v);
      if (t == null || v.generation() != t.generation) {
        t = new Tracked(v.generation(), CheckpointFingerprint.of(v, v.pipeline()), now);
        tracked.put(v, t);
      }
      if (t.uncheckpointable) {
        continue;
      }
      long label = Math.max(position, v.activeFrom().asLong());
      if (t.needsFull || v.stateChangedSinceCheckpoint() || t.durable < 0) {
        serialize(v, t, label, now);
      } else if (t.durable < label) {
        t.lastRelabelNanos = now;
        t.pending.set(label);
        submit(v, new Relabel(v, t, t.durable, label));
      }
    }
    if (!writerIdleBy(deadline)) {
      return false;
    }
    for (MaintainedView v : views) {
      Tracked t = tracked.get(v);
      if (t != null && !t.uncheckpointable && v.state() == MaintainedView.State.ACTIVE
          && t.durable < Math.max(position, v.activeFrom().asLong())) {
        return false; // its write failed: the slot stays where its older checkpoint needs it
      }
    }
    return true;
  }

  /** Waits until the writer has run everything submitted so far (it runs them in order); false at the deadline. */
  private boolean writerIdleBy(long deadlineNanos) {
    java.util.concurrent.Future<?> marker;
    try {
      marker = writer.submit(() -> { });
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      return false;
    }
    try {
      marker.get(Math.max(0, deadlineNanos - System.nanoTime()), java.util.concurrent.TimeUnit.NANOSECONDS);
      return true;
    } catch (java.util.concurrent.TimeoutException e) {
      return false;
    } catch (java.util.concurrent.ExecutionException e) {
      return false;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return false;
    }
  }

  /** Whether {@code a} is more urgent than {@code b}: a view without a checkpoint first, then the oldest. */
  private static boolean before(Tracked a, Tracked b) {
    boolean aNone = a.durable < 0;
    boolean bNone = b.durable < 0;
    return aNone != bNone ? aNone : a.lastFullNanos < b.lastFullNanos;
  }

  /** Serializes one view's state on the apply thread and hands the bytes to the writer. */
  private void serialize(MaintainedView v, Tracked t, long label, long now) {
    t.lastFullNanos = now;
    long start = System.nanoTime();
    StateOutput out;
    try {
      out = PipelineState.write(v.pipeline());
    } catch (StateFormatException e) {
      uncheckpointable(v, t, e.getMessage());
      return;
    }
    if (out == null) {
      uncheckpointable(v, t, "its plan has an operator whose state cannot be checkpointed");
      return;
    }
    StateImage image = out.image();
    long micros = (System.nanoTime() - start) / 1_000;
    lastSerializeMicros = micros;
    maxSerializeMicros = Math.max(maxSerializeMicros, micros);
    v.clearStateChanged();
    t.needsFull = false;
    t.pending.set(label);
    submit(v, new Full(v, t, label, image));
  }

  /** {@code v} gets no more checkpoints; one it had is deleted, so that the slot is not held for it. */
  private void uncheckpointable(MaintainedView v, Tracked t, String why) {
    t.uncheckpointable = true;
    LOG.log(System.Logger.Level.INFO, "Deltaview view " + v.qualifiedName() + " gets no checkpoint (" + why
        + "): after a restart it is rebuilt from a snapshot");
    if (t.durable >= 0 || t.pending.get() >= 0) {
      submit(v, new Drop(v, t));
    }
  }

  private void submit(MaintainedView v, Job job) {
    release(pending.put(v, job)); // a newer job replaces one not started yet
    try {
      writer.execute(() -> drain(v));
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      release(pending.remove(v));
    }
  }

  /** Frees what a job that will not be written holds (a spilled arrangement's snapshot). */
  private static void release(Job job) {
    if (job instanceof Full f) {
      f.image().release();
    }
  }

  // ---------------------------------------------------------------- the writer thread

  private void drain(MaintainedView v) {
    Job job = pending.remove(v);
    if (job == null || closed) {
      release(job);
      return;
    }
    Tracked t = job instanceof Full f ? f.tracked() : job instanceof Relabel r ? r.tracked() : ((Drop) job).tracked();
    if (tracked.get(v) != t || v.generation() != t.generation) {
      release(job);
      return; // the view went away or was reloaded since: this state belongs to nobody
    }
    long start = System.nanoTime();
    String what = job instanceof Full ? "writing a checkpoint" : job instanceof Relabel ? "moving the checkpoint"
        : "deleting the checkpoint";
    try {
      Connection c = connection();
      CheckpointStore.Written ok;
      try {
        ok = write(c, v, t, job);
        c.commit();
      } catch (SQLException | RuntimeException e) {
        rollbackQuietly(c);
        throw e;
      }
      if (ok != null && job instanceof Drop) {
        t.durable = -1;
        v.markCheckpoint(LogSequenceNumber.INVALID_LSN);
      } else if (ok != null) {
        t.durable = Math.max(t.durable, job.label());
        v.markCheckpoint(LogSequenceNumber.valueOf(t.durable));
      }
      if (job instanceof Full f) {
        lastWriteMicros = (System.nanoTime() - start) / 1_000;
        if (ok != null) {
          written.increment();
          bytesWritten.add(ok.bytes());
          lastBytes = ok.bytes();
          v.activity().stateBytes(ok.bytes());
          if (written.sum() == 1 || LOG.isLoggable(System.Logger.Level.DEBUG)) {
            LOG.log(System.Logger.Level.INFO, "Deltaview checkpoint of " + v.qualifiedName() + " at "
                + LogSequenceNumber.valueOf(f.label()) + ": " + ok.bytes() + " bytes in " + ok.parts()
                + " parts, serialized in " + lastSerializeMicros / 1000 + " ms on the apply thread, written in "
                + lastWriteMicros / 1000 + " ms");
          }
        }
      } else if (ok != null) {
        relabels.increment();
      }
    } catch (SQLException | RuntimeException e) {
      failures.increment();
      t.needsFull = true; // tried again at the next interval
      LOG.log(failures.sum() == 1 ? System.Logger.Level.WARNING : System.Logger.Level.DEBUG, "Deltaview: " + what
          + " of view " + v.qualifiedName() + " (database " + database + ") failed; the view goes on and the"
          + " checkpoint is tried again later: " + e);
      closeConnection();
    } finally {
      release(job); // written or not, a spilled arrangement's snapshot is not kept
      t.pending.compareAndSet(job.label(), -1);
      if (pending.isEmpty()) {
        // Held only while there is something to write: a checkpoint is due every interval at most, a position
        // move every ten seconds, and an engine should not keep a backend for that in between.
        closeConnection();
      }
    }
  }

  /**
   * One job in the writer's open transaction: what a full checkpoint wrote ({@link CheckpointStore.Written#NONE}
   * for the other jobs), or null if the view is no longer one a checkpoint may be written for.
   */
  private CheckpointStore.Written write(Connection c, MaintainedView v, Tracked t, Job job) throws SQLException {
    String schema = v.record().schema();
    String name = v.record().name();
    if (!CheckpointStore.lockReadyView(c, schema, name) || v.generation() != t.generation
        || v.state() == MaintainedView.State.FAILED) {
      return null;
    }
    if (job instanceof Drop) {
      CheckpointStore.deleteView(c, schema, name);
      return CheckpointStore.Written.NONE;
    }
    LogSequenceNumber label = LogSequenceNumber.valueOf(job.label());
    if (job instanceof Full f) {
      CheckpointStore.Written written = CheckpointStore.insert(c, schema, name, label, t.fingerprint, f.image());
      CheckpointStore.deleteOlder(c, schema, name, label);
      return written;
    }
    Relabel r = (Relabel) job;
    if (CheckpointStore.relabel(c, schema, name, LogSequenceNumber.valueOf(r.from()), label) == 0) {
      // Gone (deleted by hand, or by a reload this process has not seen yet): write a full one next time.
      t.durable = -1;
      t.needsFull = true;
      v.markCheckpoint(LogSequenceNumber.INVALID_LSN);
      return null;
    }
    return CheckpointStore.Written.NONE;
  }

  private Connection connection() throws SQLException {
    if (connection == null) {
      Connection c = connections.connect();
      c.setAutoCommit(false);
      connection = c;
    }
    return connection;
  }

  private void closeConnection() {
    if (connection != null) {
      try {
        connection.close();
      } catch (SQLException ignored) {
        // reopened on the next write
      }
      connection = null;
    }
  }

  private static void rollbackQuietly(Connection c) {
    try {
      c.rollback();
    } catch (SQLException ignored) {
      // the connection is closed right after
    }
  }

  /** Stops writing; checkpoints not yet written are dropped (the newest durable one stays usable). */
  @Override
  public void close() {
    closed = true;
    pending.values().forEach(Checkpointer::release);
    pending.clear();
    tracked.clear(); // the views and their state must not outlive their engine
    try {
      writer.execute(this::closeConnection);
    } catch (java.util.concurrent.RejectedExecutionException alreadyClosed) {
      return;
    }
    writer.shutdown();
  }
}
