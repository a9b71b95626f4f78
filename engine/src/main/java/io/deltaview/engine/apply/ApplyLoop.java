package io.deltaview.engine.apply;

import io.deltaview.rewriter.sql.SqlStates;
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
import java.math.BigDecimal;
import java.sql.Connection;
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
import org.apache.calcite.sql.type.SqlTypeName;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The single thread that turns the replication stream into result-table writes. For each source
 * transaction it collects the changed rows per base table, runs them through every active view's pipeline,
 * and writes the output deltas plus the transaction's end LSN in one target transaction; only after that
 * commit does it let the slot advance. Views still loading get their changes buffered instead.
 *
 * <p>Two refinements keep memory bounded and throughput up without giving up "one source transaction is
 * never visible in part":
 * <ul>
 *   <li><b>Chunks.</b> A source transaction is applied in chunks of {@link Limits#chunkRows()} changed rows:
 *   each chunk goes through the pipelines (operator state updates are sequential, so chunk by chunk equals
 *   all at once) and its output is written into a target transaction that stays open until the source
 *   Commit, which records the LSN and commits. Each chunk's output is one sink call, so the keyed sink's
 *   "at most one new row per key" holds per call. Views still loading buffer each chunk in memory until
 *   they are activated: a huge transaction during a long snapshot load is held in memory in full.</li>
 *   <li><b>Batches.</b> When more events are already waiting after a source Commit, the target transaction is
 *   left open for the next source transactions (at most {@link Limits#batchTransactions()} transactions,
 *   {@link Limits#batchRows()} changed rows or {@link Limits#batchTime()}); the outputs of a batch are summed
 *   per view before they are written (the sum of consecutive deltas is the delta between two real states,
 *   so it too has at most one new row per key). The recorded LSN is the end LSN of the batch's last source
 *   transaction and commits with the writes; the slot is confirmed and the position advances only after
 *   that commit. Readers therefore see the views jump from one real commit point to a later one.</li>
 * </ul>
 *
 * <p>If anything fails while a target transaction is open, it is rolled back and the loop stops: the
 * pipelines' operator state is then ahead of the result tables, so the owner must reload every view from a
 * fresh snapshot before maintaining them again (the engine's supervisor does).
 *
 * <p>Everything that changes the set of views runs as a task on this thread, between source transactions
 * and after the open batch committed, so the loop never sees a view half-registered.
 */
public final class ApplyLoop implements Runnable {

  private static final System.Logger LOG = System.getLogger(ApplyLoop.class.getName());
  private static final long POSITION_UNKNOWN = 0;
  private static final Duration POLL_INTERVAL = Duration.ofMillis(50);

  /**
   * Size bounds of the target transactions.
   *
   * @param chunkRows changed rows of one source transaction collected before they are pushed through the
   *     pipelines and written (the target transaction stays open until the source Commit)
   * @param batchTransactions most source transactions committed in one target transaction
   * @param batchRows most changed rows of source transactions batched in one target transaction
   * @param batchTime longest time a target transaction is kept open for more source transactions
   */
  public record Limits(int chunkRows, int batchTransactions, int batchRows, Duration batchTime) {

    public Limits {
      if (chunkRows < 1 || batchTransactions < 1 || batchRows < 1 || batchTime.isNegative()) {
        throw new IllegalArgumentException("apply limits must be positive: " + chunkRows + ", " + batchTransactions
            + ", " + batchRows + ", " + batchTime);
      }
    }

    /** 50,000-row chunks; batches of at most 100 transactions, 50,000 rows or 50 ms. */
    public static Limits defaults() {
      return new Limits(50_000, 100, 50_000, Duration.ofMillis(50));
    }

    /**
     * The defaults, overridden by the system properties {@code deltaview.applyChunkRows},
     * {@code deltaview.applyBatchTransactions}, {@code deltaview.applyBatchRows} and
     * {@code deltaview.applyBatchMillis} (read when a loop is created; meant for tests and tuning).
     */
    public static Limits fromSystemProperties() {
      Limits d = defaults();
      return new Limits(Integer.getInteger("deltaview.applyChunkRows", d.chunkRows),
          Integer.getInteger("deltaview.applyBatchTransactions", d.batchTransactions),
          Integer.getInteger("deltaview.applyBatchRows", d.batchRows),
          Duration.ofMillis(Long.getLong("deltaview.applyBatchMillis", d.batchTime.toMillis())));
    }
  }

  private final ChangeFeed feed;
  private final ApplyTarget target;
  private final LogSequenceNumber alreadyApplied;
  private final Consumer<List<MaintainedView>> reloadRequests;
  private final Limits limits;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final List<MaintainedView> views = new CopyOnWriteArrayList<>();
  private final Map<String, TableShape> shapes = new HashMap<>();
  /** Per relation id of the stream, from its latest Relation message. */
  private final Map<Integer, RelationState> relations = new HashMap<>();
  /** The relation of the previous row change: consecutive changes are mostly to one table. */
  private RelationState lastRelation;
  private final Object positionMonitor = new Object();

  private volatile boolean running = true;
  private volatile Throwable failure;
  private volatile long position = POSITION_UNKNOWN;

  // The open source transaction (Begin seen, Commit not yet).
  private Begin openTxn;
  private boolean txnSkipped;
  private Map<String, ZSet> txnChanges;
  /** Incremented whenever {@link #txnChanges} is replaced, so that a relation's cached delta can tell it is stale. */
  private long txnChangesVersion;
  private int txnChunkRows;
  private long txnRows;
  private Set<MaintainedView> txnReloads;
  private final Set<MaintainedView> txnTouched = new LinkedHashSet<>();
  /** The open source transaction has written chunks into the target transaction: it cannot commit before it. */
  private boolean chunkWritten;

  // The batch: complete source transactions whose effects are in the open target transaction or pending.
  private int batchTxns;
  private long batchRows;
  private long batchStartNanos;
  private LogSequenceNumber batchEnd;
  /** The target transaction holds uncommitted writes. */
  private boolean targetWritten;
  private final Map<MaintainedView, ZSet> pendingOutputs = new LinkedHashMap<>();
  /** Views with output in the batch → commit time (epoch ms) of the last source transaction that changed them. */
  private final Map<MaintainedView, Long> batchApplied = new LinkedHashMap<>();

  /**
   * @param feed the replication stream
   * @param sink a connection used only by this loop, for result-table writes (autocommit is turned off)
   * @param slotName key of the progress row
   * @param alreadyApplied the recorded applied position: transactions committed before it are skipped
   * @param reloadRequests receives views that must be reloaded from a fresh snapshot (e.g. after TRUNCATE)
   * @param limits chunk and batch bounds
   */
  public ApplyLoop(ChangeFeed feed, Connection sink, String slotName, LogSequenceNumber alreadyApplied,
      Consumer<List<MaintainedView>> reloadRequests, Limits limits) {
    this(feed, new JdbcApplyTarget(sink, slotName), alreadyApplied, reloadRequests, limits);
  }

  /** As above with {@link Limits#fromSystemProperties()}. */
  public ApplyLoop(ChangeFeed feed, Connection sink, String slotName, LogSequenceNumber alreadyApplied,
      Consumer<List<MaintainedView>> reloadRequests) {
    this(feed, sink, slotName, alreadyApplied, reloadRequests, Limits.fromSystemProperties());
  }

  ApplyLoop(ChangeFeed feed, ApplyTarget target, LogSequenceNumber alreadyApplied,
      Consumer<List<MaintainedView>> reloadRequests, Limits limits) {
    this.feed = feed;
    this.target = target;
    this.alreadyApplied = alreadyApplied == null ? LogSequenceNumber.INVALID_LSN : alreadyApplied;
    this.reloadRequests = reloadRequests;
    this.limits = limits;
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
    views.add(view);
    rebuildShapes();
  }

  /** Forgets a view. Loop thread only. */
  public void removeView(MaintainedView view) {
    views.remove(view);
    rebuildShapes();
  }

  /**
   * {@link #shapes} holds exactly the tables some registered view reads, so a lookup decides relevance, each
   * reading the columns any of those views reads.
   */
  private void rebuildShapes() {
    shapes.clear();
    for (MaintainedView v : views) {
      for (TableShape shape : v.sources()) {
        shapes.merge(shape.qualifiedName(), shape, TableShape::readingAlso);
      }
    }
    for (RelationState r : relations.values()) {
      r.reshape(shapes.get(r.table));
    }
  }

  /**
   * Activates a loaded view (loop thread only, as a task, so no target transaction is open): replays the
   * buffered transactions that committed at or after {@code snapshotPoint} and writes their effect, with the
   * view's status, in one target transaction.
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
      target.write(view, out);
      target.markReady(view);
      target.commit();
    } catch (SQLException e) {
      rollbackQuietly();
      if (target.isBroken()) {
        // Nothing can be written any more: the loop stops as on any other sink failure, before the caller
        // hears of it, so the caller can tell "the loop died" from "this view failed".
        failure = e;
        running = false;
      }
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

  /** The bounds this loop applies with. */
  public Limits limits() {
    return limits;
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
      target.open();
      while (running) {
        if (openTxn == null && !tasks.isEmpty()) {
          commitBatch(); // tasks write and commit on the same connection, and may change which views exist
          runTasks();
        }
        // With a batch open, only take what is already waiting; when nothing is, commit the batch.
        boolean canCommit = batchTxns > 0 && !chunkWritten;
        ReplicationEvent event = feed.poll(canCommit ? Duration.ZERO : POLL_INTERVAL);
        if (event == null) {
          if (canCommit) {
            commitBatch();
          }
          continue;
        }
        handle(event);
      }
      if (!chunkWritten) {
        commitBatch(); // a clean stop keeps the complete source transactions of the open batch
      }
    } catch (Throwable e) {
      failure = e;
      if (targetWritten) {
        rollbackQuietly();
      }
      // The owner decides what a failure means (the engine logs it once and restarts); this is the detail.
      LOG.log(System.Logger.Level.DEBUG, () -> "Deltaview apply loop stopped: " + e);
    } finally {
      running = false;
      synchronized (positionMonitor) {
        positionMonitor.notifyAll();
      }
      target.close();
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
        commitBatch();
        advance(idle.walEnd().asLong());
      }
      return;
    }
    if (event instanceof ReplicationEvent.Failed failed) {
      throw new SQLException("Deltaview: replication stream failed: " + failed.cause(), SqlStates.CONNECTION_FAILURE, failed.cause());
    }
    PgOutputMessage message = ((ReplicationEvent.Change) event).message();
    if (message instanceof Relation r) {
      RelationState state = new RelationState(r);
      state.reshape(shapes.get(state.table));
      relations.put(r.relationId(), state);
      lastRelation = null;
    } else if (message instanceof Begin b) {
      begin(b);
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
        commitBatch(); // a watermark is passed only once everything before it is visible
        advance(m.lsn().asLong());
      }
    }
  }

  private void begin(Begin b) throws SQLException {
    if (batchTxns > 0 && batchExpired()) {
      commitBatch();
    }
    openTxn = b;
    txnSkipped = b.finalLsn().asLong() < alreadyApplied.asLong();
    newTxnChanges();
    txnChunkRows = 0;
    txnRows = 0;
    txnReloads = new LinkedHashSet<>();
  }

  private void newTxnChanges() {
    txnChanges = new LinkedHashMap<>();
    txnChangesVersion++;
  }

  private RelationState relation(int relationId) throws SQLException {
    RelationState r = lastRelation;
    if (r == null || r.relation.relationId() != relationId) {
      r = relations.get(relationId);
      if (r == null) {
        throw new SQLException("Deltaview internal error: change for relation " + relationId
            + " before its Relation message", SqlStates.INTERNAL_ERROR);
      }
      lastRelation = r;
    }
    return r;
  }

  /**
   * One relation of the stream: its name, and while some view reads the table, its shape (what the views
   * read), where each shape column is in the relation's tuples, and the open source transaction's delta of
   * it. Kept per relation so that a row change costs no map lookups by name.
   */
  private static final class RelationState {
    final Relation relation;
    final String table;
    /** Null when no view reads the table. */
    TableShape shape;
    /** Computed on the first change after {@link #reshape}; see {@link ApplyLoop#mapping}. */
    int[] mapping;
    /** Per shape column, its type when some view reads it, else null (computed with {@link #mapping}). */
    SqlTypeName[] readTypes;
    /** The open transaction's delta of this table, valid while {@link #deltaVersion} is current. */
    ZSet delta;
    long deltaVersion = -1;

    RelationState(Relation relation) {
      this.relation = relation;
      this.table = relation.namespace() + "." + relation.name();
    }

    void reshape(TableShape newShape) {
      shape = newShape;
      mapping = null;
      readTypes = null;
      delta = null;
      deltaVersion = -1;
    }
  }

  private void change(int relationId, TupleData oldTuple, TupleData newTuple, Update update) throws SQLException {
    if (openTxn == null) {
      throw new SQLException("Deltaview internal error: row change outside a transaction", SqlStates.INTERNAL_ERROR);
    }
    RelationState relation = relation(relationId);
    TableShape shape = relation.shape;
    if (txnSkipped || shape == null) {
      return;
    }
    String table = relation.table;
    if (relation.deltaVersion != txnChangesVersion) {
      relation.delta = txnChanges.computeIfAbsent(table, t -> new ZSet());
      relation.deltaVersion = txnChangesVersion;
    }
    ZSet delta = relation.delta;
    int[] mapping = mapping(relation);
    if (oldTuple != null) {
      delta.add(toRow(relation, oldTuple, null), -1);
    }
    if (newTuple != null) {
      List<String> resolved = null;
      if (update != null && newTuple.hasUnchangedToast()) {
        ToastResolver.Resolved r = ToastResolver.resolve(update, relation.relation);
        for (int col : r.unresolved()) {
          if (readsRelationColumn(shape, mapping, col)) {
            throw new SQLException("Deltaview: update of " + table + " carries an unchanged TOAST value without the"
                + " old row; the table needs REPLICA IDENTITY FULL", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
          }
        }
        resolved = r.values();
      }
      delta.add(toRow(relation, newTuple, resolved), 1);
    }
    int rows = (oldTuple != null ? 1 : 0) + (newTuple != null ? 1 : 0);
    txnChunkRows += rows;
    txnRows += rows;
    if (txnChunkRows >= limits.chunkRows()) {
      applyChunk();
    }
  }

  /**
   * The row of a tuple; columns no view reads are left NULL, unparsed (see {@link TableShape}). Integers and
   * plain decimals are parsed straight from the received bytes; other values through their text.
   */
  private static Row toRow(RelationState relation, TupleData tuple, List<String> resolvedText) {
    int[] mapping = relation.mapping;
    SqlTypeName[] types = relation.readTypes;
    Object[] values = new Object[mapping.length];
    for (int i = 0; i < mapping.length; i++) {
      SqlTypeName type = types[i];
      if (type == null) {
        continue;
      }
      int col = mapping[i];
      if (resolvedText == null && tuple.kind(col) == TupleData.TEXT) {
        if (Values.isIntegral(type)) {
          values[i] = tuple.longValue(col);
          continue;
        }
        if (type == SqlTypeName.DECIMAL) {
          BigDecimal d = tuple.decimalValue(col);
          if (d != null) {
            values[i] = d;
            continue;
          }
        }
      }
      String text = resolvedText != null ? resolvedText.get(col) : (tuple.isNull(col) ? null : tuple.text(col));
      values[i] = Values.parse(text, type);
    }
    return Row.wrap(values);
  }

  private static boolean readsRelationColumn(TableShape shape, int[] mapping, int relationColumn) {
    for (int i = 0; i < mapping.length; i++) {
      if (mapping[i] == relationColumn && shape.reads(i)) {
        return true;
      }
    }
    return false;
  }

  /**
   * For each column of the table shape, its index in the relation's tuples (matched by name); -1 for a column
   * that no view reads and the stream does not carry.
   */
  private static int[] mapping(RelationState relation) throws SQLException {
    int[] mapping = relation.mapping;
    if (mapping != null) {
      return mapping;
    }
    Relation r = relation.relation;
    TableShape shape = relation.shape;
    String table = relation.table;
    mapping = new int[shape.columnNames().size()];
    SqlTypeName[] readTypes = new SqlTypeName[mapping.length];
    for (int i = 0; i < mapping.length; i++) {
      String name = shape.columnNames().get(i);
      int found = -1;
      for (int j = 0; j < r.columns().size(); j++) {
        if (r.columns().get(j).name().equals(name)) {
          found = j;
          break;
        }
      }
      if (found < 0 && shape.reads(i)) {
        throw new SQLException("Deltaview: column " + name + " of " + table + " is not in the replication stream"
            + " (generated columns are not replicated, and the table may have changed)", SqlStates.FEATURE_NOT_SUPPORTED);
      }
      mapping[i] = found; // -1 for a column no view reads (e.g. a generated one): it is never looked at
      readTypes[i] = shape.reads(i) ? shape.columnTypes().get(i) : null;
    }
    relation.readTypes = readTypes;
    relation.mapping = mapping;
    return mapping;
  }

  private void truncated(int relationId) throws SQLException {
    String table = relation(relationId).table;
    for (MaintainedView v : views) {
      if (v.sourceIndexes(table) != null && v.state() != MaintainedView.State.FAILED) {
        txnReloads.add(v);
      }
    }
  }

  /**
   * Pushes the open source transaction's collected changes through the pipelines and writes the outputs (and
   * the batch's pending ones) into the target transaction, which now cannot commit before this source
   * transaction's Commit.
   */
  private void applyChunk() throws SQLException {
    process(txnChanges, openTxn.finalLsn(), txnReloads);
    newTxnChanges();
    txnChunkRows = 0;
    if (writePending()) {
      chunkWritten = true;
    }
  }

  /** Runs changes of the open source transaction (committing at {@code commitLsn}) through the views. */
  private void process(Map<String, ZSet> changes, LogSequenceNumber commitLsn, Set<MaintainedView> reloads) {
    if (changes.isEmpty()) {
      return;
    }
    for (MaintainedView v : views) {
      if (reloads.contains(v)) {
        continue;
      }
      Map<Integer, ZSet> deltas = deltasFor(v, changes);
      if (deltas.isEmpty()) {
        continue;
      }
      if (v.state() == MaintainedView.State.ACTIVE) {
        if (commitLsn.asLong() < v.activeFrom().asLong()) {
          continue;
        }
        ZSet out = v.pipeline().onChanges(deltas);
        if (!out.isEmpty()) {
          // onChanges returns a Z-set of its own, so the first one can be kept and summed into.
          pendingOutputs.merge(v, out, (sum, next) -> {
            sum.addAll(next);
            return sum;
          });
          txnTouched.add(v);
        }
      } else if (v.state() == MaintainedView.State.PENDING) {
        v.buffer().add(new BufferedTransaction(commitLsn, deltas));
      }
    }
  }

  /** Writes the summed pending outputs, one sink call per view; true if anything was written. */
  private boolean writePending() throws SQLException {
    boolean wrote = false;
    for (Map.Entry<MaintainedView, ZSet> e : pendingOutputs.entrySet()) {
      if (!e.getValue().isEmpty()) {
        target.write(e.getKey(), e.getValue());
        wrote = true;
      }
    }
    pendingOutputs.clear();
    targetWritten |= wrote;
    return wrote;
  }

  private void commit(Commit c) throws SQLException {
    Begin txn = openTxn;
    if (txn == null) {
      throw new SQLException("Deltaview internal error: commit at " + c.commitLsn() + " without begin", SqlStates.INTERNAL_ERROR);
    }
    openTxn = null;
    Set<MaintainedView> reloads = txnReloads;
    if (!txnSkipped) {
      process(txnChanges, c.commitLsn(), reloads);
      long commitMillis = postgresEpochMicrosToMillis(c.commitTimeMicros());
      for (MaintainedView v : txnTouched) {
        batchApplied.put(v, commitMillis);
      }
    }
    txnTouched.clear();
    txnChanges = null;
    txnReloads = null;
    chunkWritten = false;
    if (batchTxns == 0) {
      batchStartNanos = System.nanoTime();
    }
    batchTxns++;
    batchRows += txnRows;
    batchEnd = c.endLsn();
    if (!reloads.isEmpty()) {
      // Commit first: the loader replaces these views' tables on another connection, which must not wait for
      // (or be overwritten by) rows this loop wrote and has not committed yet.
      commitBatch();
      List<MaintainedView> toReload = new ArrayList<>(reloads);
      for (MaintainedView v : toReload) {
        v.reset();
      }
      reloadRequests.accept(toReload);
    } else if (batchTxns >= limits.batchTransactions() || batchRows >= limits.batchRows() || batchExpired()) {
      commitBatch();
    }
  }

  private boolean batchExpired() {
    return System.nanoTime() - batchStartNanos >= limits.batchTime().toNanos();
  }

  /**
   * Commits the target transaction with the batch's last end LSN, then confirms the slot and advances the
   * position. Only callable while no open source transaction has written into the target transaction.
   */
  private void commitBatch() throws SQLException {
    if (batchTxns == 0) {
      return;
    }
    if (chunkWritten) {
      throw new IllegalStateException("Deltaview internal error: batch commit inside a chunked source transaction");
    }
    writePending();
    if (targetWritten) {
      target.recordApplied(batchEnd);
      target.commit();
      targetWritten = false;
    }
    long now = System.currentTimeMillis();
    for (Map.Entry<MaintainedView, Long> e : batchApplied.entrySet()) {
      e.getKey().markApplied(batchEnd, Math.max(0, now - e.getValue()));
    }
    batchApplied.clear();
    LogSequenceNumber end = batchEnd;
    batchTxns = 0;
    batchRows = 0;
    batchEnd = null;
    feed.confirm(end);
    advance(end.asLong());
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
      target.rollback();
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
