package io.deltaview.engine.apply;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.cdc.ChangeFeed;
import io.deltaview.engine.cdc.PgOutputMessage;
import io.deltaview.engine.cdc.PgOutputMessage.Begin;
import io.deltaview.engine.cdc.PgOutputMessage.Commit;
import io.deltaview.engine.cdc.PgOutputMessage.Delete;
import io.deltaview.engine.cdc.PgOutputMessage.Insert;
import io.deltaview.engine.cdc.PgOutputMessage.LogicalMessage;
import io.deltaview.engine.cdc.PgOutputMessage.Relation;
import io.deltaview.engine.cdc.PgOutputMessage.Truncate;
import io.deltaview.engine.cdc.PgOutputMessage.Update;
import io.deltaview.engine.cdc.ReplicationEvent;
import io.deltaview.engine.cdc.ToastResolver;
import io.deltaview.engine.cdc.TupleData;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.row.Values;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.MaintainedView.BufferedTransaction;
import io.deltaview.engine.view.TableShape;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The single thread that turns the replication stream into result-table writes. For each source
 * transaction it collects the changed rows per base table, runs them through every active view's pipeline,
 * and writes all output deltas plus the transaction's end LSN in one target transaction; only after that
 * commit does it let the slot advance. Views still loading get their changes buffered instead.
 *
 * <p>Everything that changes the set of views runs as a task on this thread, between transactions, so
 * the loop never sees a view half-registered.
 */
public final class ApplyLoop implements Runnable {

  private static final System.Logger LOG = System.getLogger(ApplyLoop.class.getName());
  private static final long POSITION_UNKNOWN = 0;
  private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

  private final ChangeFeed feed;
  private final Connection sink;
  private final String slotName;
  private final LogSequenceNumber alreadyApplied;
  private final Consumer<List<MaintainedView>> reloadRequests;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final List<MaintainedView> views = new CopyOnWriteArrayList<>();
  private final Map<String, TableShape> shapes = new HashMap<>();
  private final Map<Integer, Relation> relations = new HashMap<>();
  private final Map<Integer, int[]> columnMappings = new HashMap<>();
  private final Object positionMonitor = new Object();

  private volatile boolean running = true;
  private volatile Throwable failure;
  private volatile long position = POSITION_UNKNOWN;
  private PreparedStatement recordApplied;

  private Begin openTxn;
  private Map<String, ZSet> txnChanges;
  private Set<MaintainedView> txnReloads;

  /**
   * @param feed the replication stream
   * @param sink a connection used only by this loop, for result-table writes (autocommit is turned off)
   * @param slotName key of the progress row
   * @param alreadyApplied the recorded applied position: transactions committed before it are skipped
   * @param reloadRequests receives views that must be reloaded from a fresh snapshot (e.g. after TRUNCATE)
   */
  public ApplyLoop(ChangeFeed feed, Connection sink, String slotName, LogSequenceNumber alreadyApplied,
      Consumer<List<MaintainedView>> reloadRequests) {
    this.feed = feed;
    this.sink = sink;
    this.slotName = slotName;
    this.alreadyApplied = alreadyApplied == null ? LogSequenceNumber.INVALID_LSN : alreadyApplied;
    this.reloadRequests = reloadRequests;
  }

  /** Runs {@code task} on the loop thread between transactions. */
  public void submit(Runnable task) {
    tasks.add(task);
  }

  /** The views the loop knows, in registration order (a snapshot, safe from any thread). */
  public List<MaintainedView> views() {
    return List.copyOf(views);
  }

  /** Registers a loading view: from the next transaction on, its changes are buffered. Loop thread only. */
  public void addView(MaintainedView view) {
    for (TableShape shape : view.sources()) {
      shapes.put(shape.qualifiedName(), shape);
    }
    columnMappings.clear();
    views.add(view);
  }

  /** Forgets a view. Loop thread only. */
  public void removeView(MaintainedView view) {
    views.remove(view);
  }

  /**
   * Activates a loaded view (loop thread only): replays the buffered transactions that committed at or after
   * {@code snapshotPoint} and writes their effect, with the view's status, in one target transaction.
   */
  public void activate(MaintainedView view, io.deltaview.engine.compile.ViewPipeline loaded,
      LogSequenceNumber snapshotPoint) throws SQLException {
    ZSet out = new ZSet();
    for (BufferedTransaction t : view.buffer()) {
      if (t.commitLsn().asLong() >= snapshotPoint.asLong()) {
        out.addAll(loaded.onChanges(t.deltas()));
      }
    }
    view.buffer().clear();
    try {
      view.sink().apply(sink, out);
      Catalog.updateStatus(sink, view.record().schema(), view.record().name(), "ready", null);
      sink.commit();
    } catch (SQLException e) {
      rollbackQuietly();
      throw e;
    }
    view.activate(loaded, snapshotPoint);
    view.markApplied(LogSequenceNumber.valueOf(Math.max(position, snapshotPoint.asLong())), 0);
  }

  /** Position up to which every active view reflects the source; 0 before the first event. */
  public long position() {
    return position;
  }

  /** The loop's fatal error, if it stopped because of one. */
  public Throwable failure() {
    return failure;
  }

  public boolean isRunning() {
    return running;
  }

  /**
   * Waits until the loop has applied everything up to {@code lsn} to all active views.
   * Returns false on timeout or if the loop died.
   */
  public boolean awaitPosition(long lsn, long timeoutMs) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
    synchronized (positionMonitor) {
      while (position < lsn) {
        long left = deadline - System.nanoTime();
        if (left <= 0 || !running) {
          return false;
        }
        TimeUnit.NANOSECONDS.timedWait(positionMonitor, left);
      }
      return true;
    }
  }

  public void stop() {
    running = false;
  }

  @Override
  public void run() {
    try {
      sink.setAutoCommit(false);
      recordApplied = sink.prepareStatement(Catalog.recordAppliedSql());
      while (running) {
        if (openTxn == null) {
          runTasks();
        }
        ReplicationEvent event = feed.poll(POLL_INTERVAL);
        if (event != null) {
          handle(event);
        }
      }
    } catch (Throwable e) {
      failure = e;
      if (running) {
        LOG.log(System.Logger.Level.ERROR, "Deltaview apply loop stopped: " + e, e);
      }
    } finally {
      running = false;
      synchronized (positionMonitor) {
        positionMonitor.notifyAll();
      }
      try {
        if (recordApplied != null) {
          recordApplied.close();
        }
      } catch (SQLException ignored) {
        // the connection is closed by the owner right after
      }
    }
  }

  private void runTasks() {
    Runnable task;
    while ((task = tasks.poll()) != null) {
      task.run();
    }
  }

  private void handle(ReplicationEvent event) throws Exception {
    if (event instanceof ReplicationEvent.Idle idle) {
      if (openTxn == null) {
        advance(idle.walEnd().asLong());
      }
      return;
    }
    if (event instanceof ReplicationEvent.Failed failed) {
      throw new SQLException("Deltaview: replication stream failed: " + failed.cause(), "08006", failed.cause());
    }
    PgOutputMessage message = ((ReplicationEvent.Change) event).message();
    if (message instanceof Relation r) {
      relations.put(r.relationId(), r);
      columnMappings.remove(r.relationId());
    } else if (message instanceof Begin b) {
      openTxn = b;
      txnChanges = new LinkedHashMap<>();
      txnReloads = new LinkedHashSet<>();
    } else if (message instanceof Insert i) {
      change(i.relationId(), null, i.newTuple(), null);
    } else if (message instanceof Update u) {
      change(u.relationId(), u.oldTuple(), u.newTuple(), u);
    } else if (message instanceof Delete d) {
      change(d.relationId(), d.oldTuple(), null, null);
    } else if (message instanceof Truncate t) {
      for (int relationId : t.relationIds()) {
        truncated(relationId);
      }
    } else if (message instanceof Commit c) {
      commit(c);
    } else if (message instanceof LogicalMessage m) {
      if (!m.transactional() && openTxn == null) {
        advance(m.lsn().asLong());
      }
    }
  }

  private String tableOf(int relationId) throws SQLException {
    Relation r = relations.get(relationId);
    if (r == null) {
      throw new SQLException("Deltaview internal error: change for relation " + relationId
          + " before its Relation message", "XX000");
    }
    return r.namespace() + "." + r.name();
  }

  private boolean interested(String table) {
    return shapes.containsKey(table) && views.stream().anyMatch(v -> v.sourceIndexes(table) != null);
  }

  private void change(int relationId, TupleData oldTuple, TupleData newTuple, Update update) throws SQLException {
    if (openTxn == null) {
      throw new SQLException("Deltaview internal error: row change outside a transaction", "XX000");
    }
    String table = tableOf(relationId);
    if (!interested(table)) {
      return;
    }
    ZSet delta = txnChanges.computeIfAbsent(table, t -> new ZSet());
    int[] mapping = mapping(relationId, table);
    TableShape shape = shapes.get(table);
    if (oldTuple != null) {
      delta.add(toRow(shape, mapping, oldTuple, null), -1);
    }
    if (newTuple != null) {
      List<String> resolved = null;
      if (update != null) {
        ToastResolver.Resolved r = ToastResolver.resolve(update, relations.get(relationId));
        if (!r.complete()) {
          throw new SQLException("Deltaview: update of " + table + " carries an unchanged TOAST value without the"
              + " old row; the table needs REPLICA IDENTITY FULL", "55000");
        }
        resolved = r.values();
      }
      delta.add(toRow(shape, mapping, newTuple, resolved), 1);
    }
  }

  private Row toRow(TableShape shape, int[] mapping, TupleData tuple, List<String> resolvedText) {
    Object[] values = new Object[mapping.length];
    for (int i = 0; i < mapping.length; i++) {
      int col = mapping[i];
      String text = resolvedText != null ? resolvedText.get(col) : (tuple.isNull(col) ? null : tuple.text(col));
      values[i] = Values.parse(text, shape.columnTypes().get(i));
    }
    return Row.wrap(values);
  }

  /** For each column of the table shape, its index in the relation's tuples (matched by name). */
  private int[] mapping(int relationId, String table) throws SQLException {
    int[] mapping = columnMappings.get(relationId);
    if (mapping != null) {
      return mapping;
    }
    Relation r = relations.get(relationId);
    TableShape shape = shapes.get(table);
    mapping = new int[shape.columnNames().size()];
    for (int i = 0; i < mapping.length; i++) {
      String name = shape.columnNames().get(i);
      int found = -1;
      for (int j = 0; j < r.columns().size(); j++) {
        if (r.columns().get(j).name().equals(name)) {
          found = j;
          break;
        }
      }
      if (found < 0) {
        throw new SQLException("Deltaview: column " + name + " of " + table + " is not in the replication stream"
            + " (generated columns are not replicated, and the table may have changed)", "0A000");
      }
      mapping[i] = found;
    }
    columnMappings.put(relationId, mapping);
    return mapping;
  }

  private void truncated(int relationId) throws SQLException {
    String table = tableOf(relationId);
    for (MaintainedView v : views) {
      if (v.sourceIndexes(table) != null && v.state() != MaintainedView.State.FAILED) {
        txnReloads.add(v);
      }
    }
  }

  private void commit(Commit c) throws SQLException {
    Begin txn = openTxn;
    openTxn = null;
    Map<String, ZSet> changes = txnChanges;
    txnChanges = null;
    Set<MaintainedView> reloads = txnReloads;
    txnReloads = null;
    long commitLsn = c.commitLsn().asLong();
    if (commitLsn < alreadyApplied.asLong()) {
      advance(c.endLsn().asLong());
      return;
    }
    Map<MaintainedView, ZSet> outputs = new LinkedHashMap<>();
    for (MaintainedView v : views) {
      if (reloads.contains(v)) {
        continue;
      }
      Map<Integer, ZSet> deltas = deltasFor(v, changes);
      if (v.state() == MaintainedView.State.ACTIVE) {
        if (deltas.isEmpty() || commitLsn < v.activeFrom().asLong()) {
          continue;
        }
        ZSet out = v.pipeline().onChanges(deltas);
        if (!out.isEmpty()) {
          outputs.put(v, out);
        }
      } else if (v.state() == MaintainedView.State.PENDING && !deltas.isEmpty()) {
        v.buffer().add(new BufferedTransaction(c.commitLsn(), deltas));
      }
    }
    if (!outputs.isEmpty()) {
        try {
        for (Map.Entry<MaintainedView, ZSet> e : outputs.entrySet()) {
          e.getKey().sink().apply(sink, e.getValue());
        }
        Catalog.recordApplied(recordApplied, slotName, c.endLsn());
        sink.commit();
      } catch (SQLException e) {
        rollbackQuietly();
        throw e;
      }
    }
    long lagMs = Math.max(0, System.currentTimeMillis() - postgresEpochMicrosToMillis(c.commitTimeMicros()));
    for (MaintainedView v : outputs.keySet()) {
      v.markApplied(c.endLsn(), lagMs);
    }
    if (!reloads.isEmpty()) {
      List<MaintainedView> toReload = new ArrayList<>(reloads);
      for (MaintainedView v : toReload) {
        v.reset();
      }
      reloadRequests.accept(toReload);
    }
    feed.confirm(c.endLsn());
    advance(c.endLsn().asLong());
    if (txn == null) {
      LOG.log(System.Logger.Level.WARNING, "commit without begin at " + c.commitLsn());
    }
  }

  private static long postgresEpochMicrosToMillis(long micros) {
    // pgoutput timestamps count from 2000-01-01.
    return micros / 1000 + 946_684_800_000L;
  }

  private static Map<Integer, ZSet> deltasFor(MaintainedView v, Map<String, ZSet> changes) {
    Map<Integer, ZSet> deltas = new HashMap<>();
    for (Map.Entry<String, ZSet> e : changes.entrySet()) {
      int[] indexes = v.sourceIndexes(e.getKey());
      if (indexes != null && !e.getValue().isEmpty()) {
        for (int index : indexes) {
          deltas.put(index, e.getValue());
        }
      }
    }
    return deltas;
  }

  private void rollbackQuietly() {
    try {
      sink.rollback();
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.WARNING, "rollback of the target transaction failed: " + e);
    }
  }

  private void advance(long lsn) {
    if (lsn > position) {
      synchronized (positionMonitor) {
        if (lsn > position) {
          position = lsn;
        }
        positionMonitor.notifyAll();
      }
    }
  }
}
