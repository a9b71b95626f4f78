package io.deltaview.engine.apply;

import io.deltaview.sql.SqlStates;
import io.deltaview.engine.cdc.ChangeFeed;
import io.deltaview.engine.cdc.Heartbeat;
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
import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.row.Values;
import io.deltaview.engine.state.Checkpoints;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.MaintainedView.BufferedTransaction;
import io.deltaview.engine.view.TableShape;
import io.deltaview.engine.view.ViewFailure;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
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
 * <p><b>A view is the unit of failure.</b> An error computing one view (a data exception such as division by
 * zero, an operator failing) or writing its result table (a constraint, any SQL error) fails that view only
 * ({@link MaintainedView#fail}, reported to the owner, recorded in the catalog with the batch) and the loop goes
 * on with the others in the same transaction. Writes are isolated per view without paying for it on every
 * write: outputs written into the open target transaction are kept until it commits, and when one view's
 * write fails (PostgreSQL then aborts the whole transaction) the loop rolls back, fails that view and writes
 * the others' outputs again. Only once a chunk of a large source transaction has been written, whose outputs
 * are not kept, does each view's write get a savepoint of its own. The stream's Relation messages are
 * compared with what each view was planned against (table OID, the columns it reads, REPLICA IDENTITY FULL):
 * a view whose table changed under it in a way it cannot absorb fails with a message saying why; a change
 * it does not read (a column added, an unread column dropped or renamed) costs nothing.
 *
 * <p>What stops the loop is what concerns every view: the stream or the target connection failing. The
 * target transaction is then rolled back and the owner restarts streaming from the slot. Views that took no
 * input since the last target commit ({@link #resumableViews()}) have operator state that matches their
 * result tables at {@link #safePosition()}: the owner may keep them, and resume the stream after that
 * position; the others must be reloaded from a fresh snapshot.
 *
 * <p>Everything that changes the set of views runs as a task on this thread, between source transactions
 * and after the open batch committed, so the loop never sees a view half-registered.
 */
public final class ApplyLoop implements Runnable {

  private static final System.Logger LOG = System.getLogger(ApplyLoop.class.getName());
  private static final long POSITION_UNKNOWN = 0;
  private static final Duration POLL_INTERVAL = Duration.ofMillis(50);
  private static final Layout[] NO_LAYOUTS = new Layout[0];

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
  private final Consumer<MaintainedView> viewFailures;
  private final Limits limits;
  private final Checkpoints checkpoints;
  private final ConcurrentLinkedQueue<Runnable> tasks = new ConcurrentLinkedQueue<>();
  private final List<MaintainedView> views = new CopyOnWriteArrayList<>();
  /** Per base table some live view reads, the layouts its views were planned with (usually one). */
  private final Map<String, List<TableShape>> shapes = new HashMap<>();
  /**
   * OID of every partition or inheritance child (holding rows) of a base table some live view reads → the
   * qualified names of those base tables: the stream reports the descendant's changes under its own name, a
   * query over the table reads them as the table's rows.
   */
  private final Map<Long, Set<String>> ancestorsOf = new HashMap<>();
  /** Planned OID of every base table some live view reads → its planned qualified name. */
  private final Map<Long, String> plannedOids = new HashMap<>();
  /** Per relation id of the stream, from its latest Relation message. */
  private final Map<Integer, RelationState> relations = new HashMap<>();
  /** Per qualified name, the relation of the latest Relation message with that name. */
  private final Map<String, RelationState> latestByName = new HashMap<>();
  /** The relation of the previous row change: consecutive changes are mostly to one table. */
  private RelationState lastRelation;
  private final Object positionMonitor = new Object();

  private volatile boolean running = true;
  /** Whether the loop, stopping, checkpoints every view at its last position first. */
  private volatile boolean checkpointAtStop;
  /** With {@link #checkpointAtStop}: until when ({@link System#nanoTime}) the transaction under way is finished. */
  private volatile long finishOpenTransactionBy;
  /** How long a clean stop waits for the source transaction under way to end. */
  private static final long FINISH_TRANSACTION_AT_STOP_NANOS = 5_000_000_000L;
  /** Whether the last poll of the stream found nothing waiting. */
  private boolean idle;
  private volatile Throwable failure;
  private volatile long position = POSITION_UNKNOWN;
  /**
   * Every view not in {@link #dirty} has operator state equal to its committed result table as of the
   * stream up to here (the end of the last committed batch, or a later idle position).
   */
  private volatile long safePosition;
  /** Views whose operator state took input since the last target commit (their tables lag their state). */
  private final Set<MaintainedView> dirty = new HashSet<>();
  /** Views fed chunks of the open source transaction: they stay dirty through a batch commit before its end. */
  private final Set<MaintainedView> openTxnDirty = new HashSet<>();
  /** Rows inserted and deleted per view by the open target transaction; published once it commits. */
  private final Map<MaintainedView, long[]> uncommittedRows = new HashMap<>();
  /**
   * The views in this loop reflect every source transaction that committed before this time (milliseconds,
   * this JVM's clock): the write time of the last {@link Heartbeat} passed. 0 until one was.
   */
  private volatile long currentAsOfMillis;
  /** Views failed since the last target commit, whose status the next commit records. */
  private final Map<MaintainedView, ViewFailure> failedStatuses = new LinkedHashMap<>();

  // The open source transaction (Begin seen, Commit not yet).
  private Begin openTxn;
  private boolean txnSkipped;
  /** The open source transaction's changes per table layout ({@link TableShape#layoutKey()}). */
  private Map<String, ZSet> txnChanges;
  /** Incremented whenever {@link #txnChanges} is replaced, so that a layout's cached delta can tell it is stale. */
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
  /** The target transaction holds uncommitted writes (or catalog reads): the next commit must commit it. */
  private boolean targetWritten;
  private final Map<MaintainedView, ZSet> pendingOutputs = new LinkedHashMap<>();
  /** Views with output in the batch → commit time (epoch ms) of the last source transaction that changed them. */
  private final Map<MaintainedView, Long> batchApplied = new LinkedHashMap<>();
  /**
   * The outputs written into the open target transaction, in order, so that they can be written again after
   * one view's write failed and PostgreSQL aborted the transaction; see {@link #replayable}.
   */
  private final List<Written> written = new ArrayList<>();
  /**
   * Whether {@link #written} holds every write of the open target transaction. Chunks of a large source
   * transaction are not kept (memory stays bounded); after one, each write gets a savepoint instead.
   */
  private boolean replayable = true;

  private record Written(MaintainedView view, ZSet delta) {
  }

  /**
   * @param feed the replication stream
   * @param sink a connection used only by this loop, for result-table writes (autocommit is turned off)
   * @param slotName key of the progress row
   * @param alreadyApplied the applied position: transactions committed before it are skipped
   * @param reloadRequests receives views that must be reloaded from a fresh snapshot (e.g. after TRUNCATE)
   * @param viewFailures told (on the loop thread) of each view this loop failed, after it failed
   * @param limits chunk and batch bounds
   */
  public ApplyLoop(ChangeFeed feed, Connection sink, String slotName, LogSequenceNumber alreadyApplied,
      Consumer<List<MaintainedView>> reloadRequests, Consumer<MaintainedView> viewFailures, Limits limits) {
    this(feed, new JdbcApplyTarget(sink, slotName), alreadyApplied, reloadRequests, viewFailures, limits);
  }

  /** As above with {@link Limits#fromSystemProperties()}. */
  public ApplyLoop(ChangeFeed feed, Connection sink, String slotName, LogSequenceNumber alreadyApplied,
      Consumer<List<MaintainedView>> reloadRequests, Consumer<MaintainedView> viewFailures) {
    this(feed, sink, slotName, alreadyApplied, reloadRequests, viewFailures, Limits.fromSystemProperties());
  }

  /**
   * As above, taking checkpoints of the views' operator state between source transactions; the slot is never
   * confirmed past {@link Checkpoints#retainFrom()}. {@code alreadyApplied} may then be older than the result
   * tables' position: views restored from a checkpoint replay the stream from their checkpoint on.
   */
  public ApplyLoop(ChangeFeed feed, Connection sink, String slotName, LogSequenceNumber alreadyApplied,
      Consumer<List<MaintainedView>> reloadRequests, Consumer<MaintainedView> viewFailures, Checkpoints checkpoints) {
    this(feed, new JdbcApplyTarget(sink, slotName), alreadyApplied, reloadRequests, viewFailures,
        Limits.fromSystemProperties(), checkpoints);
  }

  ApplyLoop(ChangeFeed feed, ApplyTarget target, LogSequenceNumber alreadyApplied,
      Consumer<List<MaintainedView>> reloadRequests, Consumer<MaintainedView> viewFailures, Limits limits) {
    this(feed, target, alreadyApplied, reloadRequests, viewFailures, limits, Checkpoints.NONE);
  }

  ApplyLoop(ChangeFeed feed, ApplyTarget target, LogSequenceNumber alreadyApplied,
      Consumer<List<MaintainedView>> reloadRequests, Consumer<MaintainedView> viewFailures, Limits limits,
      Checkpoints checkpoints) {
    this.checkpoints = checkpoints;
    this.feed = feed;
    this.target = target;
    this.alreadyApplied = alreadyApplied == null ? LogSequenceNumber.INVALID_LSN : alreadyApplied;
    this.safePosition = this.alreadyApplied.asLong();
    this.reloadRequests = reloadRequests;
    this.viewFailures = viewFailures;
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

  /**
   * Registers a view, loading or active (carried over from a stopped loop, see {@link #resumableViews()}, or
   * restored from a checkpoint, see {@link MaintainedView#activate(ViewPipeline, LogSequenceNumber,
   * LogSequenceNumber)}, added before the loop runs):
   * from the next transaction on, its changes are buffered or applied. Loop thread only.
   */
  public void addView(MaintainedView view) {
    views.add(view);
    rebuildShapes();
  }

  /** Forgets a view; a load of it under way will not activate it. Loop thread only. */
  public void removeView(MaintainedView view) {
    views.remove(view);
    view.reset(); // a new generation: activations planned before this see it changed
    dirty.remove(view);
    openTxnDirty.remove(view);
    failedStatuses.remove(view);
    rebuildShapes();
  }

  /**
   * {@link #shapes} holds exactly the tables some live view reads, one merged shape per layout, so a lookup
   * decides relevance, each reading the columns any of those views reads. Failed views read nothing.
   */
  private void rebuildShapes() {
    shapes.clear();
    plannedOids.clear();
    ancestorsOf.clear();
    for (MaintainedView v : views) {
      if (v.state() == MaintainedView.State.FAILED) {
        continue;
      }
      for (TableShape shape : v.sources()) {
        List<TableShape> layouts = shapes.computeIfAbsent(shape.qualifiedName(), t -> new ArrayList<>(1));
        String key = shape.layoutKey();
        boolean merged = false;
        for (int i = 0; i < layouts.size() && !merged; i++) {
          if (layouts.get(i).layoutKey().equals(key)) {
            layouts.set(i, layouts.get(i).readingAlso(shape));
            merged = true;
          }
        }
        if (!merged) {
          layouts.add(shape);
        }
        if (shape.oid() != 0) {
          plannedOids.put(shape.oid(), shape.qualifiedName());
        }
        for (TableShape.Descendant d : shape.descendants()) {
          if (d.holdsRows()) {
            ancestorsOf.computeIfAbsent(d.oid(), o -> new LinkedHashSet<>(2)).add(shape.qualifiedName());
          }
        }
      }
    }
    for (RelationState r : relations.values()) {
      r.reshape(layoutsFor(r));
    }
    lastRelation = null;
  }

  /**
   * The layouts the changes of relation {@code r} feed: those of its table that views planned against this very
   * table (by OID) read, and, for a partition or inheritance child, those of each ancestor table whose views were
   * planned with it as a descendant. A descendant's tuples are read into the ancestor's layout by column name
   * ({@link #mapping}): its columns may be in another order, and a child may have more.
   */
  private Layout[] layoutsFor(RelationState r) {
    List<TableShape> layouts = shapes.get(r.table);
    Set<String> ancestors = ancestorsOf.get(r.oid());
    if (layouts == null && ancestors == null) {
      return NO_LAYOUTS;
    }
    List<Layout> out = new ArrayList<>(1);
    if (layouts != null) {
      for (TableShape shape : layouts) {
        if (shape.oid() == 0 || shape.oid() == r.oid()) {
          out.add(new Layout(shape));
        }
      }
    }
    if (ancestors != null) {
      for (String ancestor : ancestors) {
        for (TableShape shape : shapes.getOrDefault(ancestor, List.of())) {
          if (shape.hasDescendant(r.oid())) {
            out.add(new Layout(shape));
          }
        }
      }
    }
    return out.toArray(NO_LAYOUTS);
  }

  /** Whether changes of relation {@code r} are changes of the rows of base table {@code shape}. */
  private static boolean feeds(RelationState r, TableShape shape) {
    return shape.qualifiedName().equals(r.table) && (shape.oid() == 0 || shape.oid() == r.oid())
        || shape.hasDescendant(r.oid());
  }

  /**
   * Gives {@code view}, being loaded, the descendants its base tables have now ({@link
   * MaintainedView#takeDescendants}) and feeds it their changes from the next source transaction on. Loop
   * thread only, before the view's snapshot is taken.
   */
  public void takeDescendants(MaintainedView view, Map<Long, List<TableShape.Descendant>> now) {
    if (views.contains(view) && view.state() == MaintainedView.State.PENDING && view.takeDescendants(now)) {
      rebuildShapes();
    }
  }

  /**
   * Activates a loaded view (loop thread only, as a task, so no target transaction is open): replays the
   * buffered transactions that committed at or after {@code snapshotPoint} and writes their effect, with the
   * view's status, in one target transaction. If the view cannot be maintained (its base tables changed in
   * a way it cannot absorb, computing the buffered changes or writing them fails), it is failed instead and
   * this throws its failure with PostgreSQL's SQLState.
   */
  public void activate(MaintainedView view, ViewPipeline loaded, LogSequenceNumber snapshotPoint)
      throws SQLException {
    ViewFailure mismatch = checkAgainstKnownRelations(view, snapshotPoint.asLong());
    if (mismatch != null) {
      throw failOnActivation(view, mismatch);
    }
    ZSet out = new ZSet();
    try {
      // The first step of a pipeline emits what an empty input gives: a whole-table aggregate's one row. A
      // load of empty tables never stepped it; a stepped pipeline outputs nothing for an empty step.
      out.addAll(loaded.onChanges(Map.of()));
      for (BufferedTransaction t : view.buffer()) {
        if (t.commitLsn().asLong() >= snapshotPoint.asLong()) {
          out.addAll(loaded.onChanges(t.deltas()));
        }
      }
    } catch (RuntimeException e) {
      throw failOnActivation(view, ViewFailure.of(e));
    }
    view.buffer().clear();
    // the table holds the snapshot and what the loop buffered since: ahead of the loop if the snapshot was
    LogSequenceNumber readyAt = LogSequenceNumber.valueOf(Math.max(position, snapshotPoint.asLong()));
    try {
      target.write(view, out);
      noteWritten(view, out);
      target.markReady(view, readyAt);
      commitTarget();
      targetWritten = false;
    } catch (SQLException | RuntimeException e) {
      rollbackQuietly();
      if (isFatal(e)) {
        // Nothing can be written any more: the loop stops as on any other sink failure, before the caller
        // hears of it, so the caller can tell "the loop died" from "this view failed".
        failure = e;
        running = false;
        throw e;
      }
      throw failOnActivation(view, ViewFailure.of(e));
    }
    view.activate(loaded, snapshotPoint);
    view.markApplied(readyAt, 0);
  }

  /**
   * Fails a view for a reason found outside the stream (its load failed): loop thread only, as a task,
   * between transactions. Its status is recorded at once.
   */
  public void fail(MaintainedView view, ViewFailure why) throws SQLException {
    if (!views.contains(view)) {
      return; // dropped meanwhile (or never this loop's): its catalog row is not its any more
    }
    failView(view, why);
    commitStatuses();
  }

  /**
   * Puts a failed view of this loop back to loading, to be rebuilt from a fresh snapshot; false if it is not a
   * failed view of this loop (dropped meanwhile). Loop thread only.
   */
  public boolean retry(MaintainedView view) {
    if (!views.contains(view) || view.state() != MaintainedView.State.FAILED) {
      return false;
    }
    view.reset();
    rebuildShapes();
    return true;
  }

  /**
   * Fails {@code view} while activating it and records that at once. Activations run between batches: the
   * target transaction holds no writes, at most the catalog reads of the checks.
   */
  private SQLException failOnActivation(MaintainedView view, ViewFailure why) throws SQLException {
    failView(view, why);
    targetWritten = false;
    commitStatuses();
    return why.toSqlException();
  }

  /** Position up to which every active view reflects the source; 0 before the first event. */
  public long position() {
    return position;
  }

  /**
   * The stream position that every view in {@link #resumableViews()} reflects exactly, in operator state
   * and in its committed result table: a loop replacing this one resumes after it.
   */
  public LogSequenceNumber safePosition() {
    return LogSequenceNumber.valueOf(safePosition);
  }

  /**
   * Once the loop has stopped: the active views whose operator state equals their committed result table at
   * {@link #safePosition()}: they took no input since the last target commit (or none that this loop could
   * not commit). A loop that stopped on something other than a stream or SQL failure (a bug) vouches for none.
   */
  public Set<MaintainedView> resumableViews() {
    if (running || !(failure == null || failure instanceof SQLException)) {
      return Set.of();
    }
    Set<MaintainedView> out = new LinkedHashSet<>();
    for (MaintainedView v : views) {
      if (v.state() == MaintainedView.State.ACTIVE && !dirty.contains(v)) {
        out.add(v);
      }
    }
    return out;
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
   * The views this loop keeps current reflect every source transaction committed before this time
   * (milliseconds since the epoch, this JVM's clock); 0 until the loop passed its first heartbeat.
   */
  public long currentAsOfMillis() {
    return currentAsOfMillis;
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

  /**
   * Stops as {@link #stop()} does, and, if the stream is then between source transactions, first brings every
   * view's checkpoint to the position the loop stopped at ({@link Checkpoints#atStop}) and confirms the slot
   * there: a clean stop (a deploy, a shutdown) then costs the next start only the WAL written after it.
   */
  public void stopWithCheckpoints() {
    finishOpenTransactionBy = System.nanoTime() + FINISH_TRANSACTION_AT_STOP_NANOS;
    checkpointAtStop = true;
    running = false;
  }

  /**
   * After {@link #stopWithCheckpoints}: whether to go on to the end of the source transaction under way, so that
   * the loop stops between transactions, where the checkpoints can be brought to its position. Under a steady
   * write load a stop asked at any moment almost always falls inside one; stopping there would leave the slot at
   * the last periodic checkpoint, and the next start decoding everything since. Not for long: a transaction still
   * open after {@link #FINISH_TRANSACTION_AT_STOP_NANOS} is left unfinished, as before.
   */
  private boolean finishingOpenTransaction() {
    return checkpointAtStop && openTxn != null && System.nanoTime() - finishOpenTransactionBy < 0;
  }

  @Override
  public void run() {
    try {
      target.open();
      while (running || finishingOpenTransaction()) {
        if (openTxn == null && !tasks.isEmpty()) {
          commitBatch(); // tasks write and commit on the same connection, and may change which views exist
          runTasks();
        }
        if (openTxn == null && batchTxns == 0 && checkpoints.atBoundary(views, safePosition, idle)) {
          confirm(safePosition); // a checkpoint that became durable lets the slot follow
        }
        // With a batch open, only take what is already waiting; when nothing is, commit the batch.
        boolean canCommit = batchTxns > 0 && !chunkWritten;
        ReplicationEvent event = feed.poll(canCommit ? Duration.ZERO : POLL_INTERVAL);
        idle = event == null;
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
        // Between transactions only: the state of a view fed part of an open one is not the state at any position.
        if (checkpointAtStop && openTxn == null && checkpoints.atStop(views, safePosition)) {
          confirm(safePosition);
        }
      }
    } catch (Throwable e) {
      failure = e;
      if (targetWritten || !written.isEmpty()) {
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
        idleAt(idle.walEnd());
      }
      return;
    }
    if (event instanceof ReplicationEvent.Failed failed) {
      if (!chunkWritten) {
        // The target is most likely fine: commit the complete source transactions received, so that fewer
        // views are left with state ahead of their tables. The open one's rows were not applied, or only
        // to views that stay dirty (openTxnDirty).
        commitBatch();
      }
      throw new SQLException("Deltaview: replication stream failed: " + failed.cause(), SqlStates.CONNECTION_FAILURE,
          failed.cause());
    }
    PgOutputMessage message = ((ReplicationEvent.Change) event).message();
    if (message instanceof Relation r) {
      relation(r);
    } else if (message instanceof Begin b) {
      begin(b);
    } else if (message instanceof Insert i) {
      change(i.relationId(), (char) 0, null, i.newTuple(), null);
    } else if (message instanceof Update u) {
      change(u.relationId(), u.oldKind(), u.oldTuple(), u.newTuple(), u);
    } else if (message instanceof Delete d) {
      change(d.relationId(), d.oldKind(), d.oldTuple(), null, null);
    } else if (message instanceof Truncate t) {
      for (int relationId : t.relationIds()) {
        truncated(relationId);
      }
    } else if (message instanceof Commit c) {
      commit(c);
    } else if (message instanceof LogicalMessage m) {
      if (!m.transactional() && openTxn == null) {
        idleAt(m.lsn()); // a watermark is passed only once everything before it is visible
        long writtenAt = Heartbeat.PREFIX.equals(m.prefix()) ? Heartbeat.writtenAt(m.content()) : -1;
        if (writtenAt > currentAsOfMillis) {
          currentAsOfMillis = writtenAt;
        }
      }
    }
  }

  /**
   * The stream is at {@code lsn} outside any transaction, and every transaction committed before it has been
   * received: once the batch is committed nothing before it is pending, so the slot may be confirmed there.
   * On a quiet database (or one whose changes no view reads) the slot then follows the WAL instead of holding
   * it back, and a server shutting down does not wait for Deltaview to confirm what it has sent. Views still
   * loading hold changes before it only in memory; they are reloaded from a fresh snapshot after a restart.
   */
  private void idleAt(LogSequenceNumber lsn) throws SQLException {
    commitBatch();
    if (lsn.asLong() > safePosition) {
      safePosition = lsn.asLong();
      confirm(lsn.asLong());
    }
    advance(lsn.asLong());
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

  // ---------------------------------------------------------------- schema changes

  /**
   * A Relation message: the table's shape from now on in the stream. Views reading the table are checked
   * against it (and, for the column numbers a message does not carry, against the catalog); those that
   * cannot absorb the change fail, the others go on untouched. A table no view reads costs a map lookup.
   */
  private void relation(Relation r) throws SQLException {
    RelationState state = new RelationState(r, openTxn != null ? openTxn.finalLsn().asLong() : position);
    relations.put(r.relationId(), state);
    latestByName.put(state.table, state);
    lastRelation = null;
    String planned = plannedOids.get(state.oid());
    if (shapes.containsKey(state.table) || planned != null) {
      checkViews(state);
    }
    state.reshape(layoutsFor(state));
  }

  /** Fails the live views reading the table of {@code state} (by name or by planned OID) that it contradicts. */
  private void checkViews(RelationState state) throws SQLException {
    boolean failed = false;
    for (MaintainedView v : views) {
      // A loading view is checked when it is activated; an active one only against descriptions of the table
      // from its snapshot on (an older one may predate a column its plan reads).
      if (v.state() != MaintainedView.State.ACTIVE || state.seenAt < v.activeFrom().asLong()) {
        continue;
      }
      for (TableShape shape : v.sources()) {
        if (shape.qualifiedName().equals(state.table) || shape.oid() == state.oid()) {
          ViewFailure why = mismatch(shape, state);
          if (why != null) {
            failView(v, why);
            failed = true;
            break;
          }
        }
      }
    }
    if (failed) {
      rebuildShapes();
    }
  }

  /**
   * Whether a view's sources agree with the latest Relation messages of their tables (by name, and by planned
   * OID for a table renamed since) seen so far (null), else why not.
   */
  private ViewFailure checkAgainstKnownRelations(MaintainedView view, long snapshotPoint) throws SQLException {
    for (TableShape shape : view.sources()) {
      RelationState byName = latestByName.get(shape.qualifiedName());
      RelationState byOid = shape.oid() == 0 ? null : relations.get((int) shape.oid());
      for (RelationState state : new RelationState[] {byName, byOid}) {
        // Descriptions from before the snapshot may predate the version of the table the view was planned
        // against (a column added since, with no write after it): the catalog check before activation
        // compared the plan with the table as it is.
        if (state != null && state.seenAt >= snapshotPoint
            && (state == byName || !state.table.equals(shape.qualifiedName()))) {
          ViewFailure why = mismatch(shape, state);
          if (why != null) {
            return why;
          }
        }
      }
    }
    return null;
  }

  /** Why a view planned against {@code planned} cannot be maintained from the table of {@code state}, or null. */
  private ViewFailure mismatch(TableShape planned, RelationState state) throws SQLException {
    return SchemaCheck.mismatch(planned, state.relation, state.table, state.oid(), () -> {
      // The lookup opens a target transaction: it must end with the next commit even if nothing is written,
      // not stay idle in transaction.
      targetWritten = true;
      return state.catalog(target);
    });
  }

  /**
   * One relation of the stream: its name, and while live views read the table, its layouts (usually one) with
   * where each shape column is in the relation's tuples, and the open source transaction's delta of each.
   * Kept per relation so that a row change costs no map lookups by name.
   */
  private static final class RelationState {
    final Relation relation;
    final String table;
    /** Empty when no live view reads the table. */
    Layout[] layouts = NO_LAYOUTS;
    /** The table's columns as the catalog has them (looked up once, when a view's check needs them). */
    private List<TableShape.Column> catalog;
    private boolean catalogLoaded;

    /**
     * Where in the stream this description of the table arrived (the commit position of the transaction it
     * came in): it says what the table looked like from there on, not before, and a view snapshotted later
     * may have been planned against a newer version of the table that the stream has not described yet.
     */
    final long seenAt;

    RelationState(Relation relation, long seenAt) {
      this.relation = relation;
      this.table = relation.namespace() + "." + relation.name();
      this.seenAt = seenAt;
    }

    long oid() {
      return Integer.toUnsignedLong(relation.relationId());
    }

    void reshape(Layout[] newLayouts) {
      layouts = newLayouts;
    }

    /** Null when the table no longer exists. */
    List<TableShape.Column> catalog(ApplyTarget target) throws SQLException {
      if (!catalogLoaded) {
        catalog = target.columnsOf(oid());
        catalogLoaded = true;
      }
      return catalog;
    }
  }

  /** The rows of one relation as the views of one layout read them. */
  private static final class Layout {
    final TableShape shape;
    final String key;
    /** Computed on the first change; see {@link ApplyLoop#mapping}. */
    int[] mapping;
    /** Per shape column, its type when some view reads it, else null (computed with {@link #mapping}). */
    SqlTypeName[] readTypes;
    /** The open transaction's delta in this layout, valid while {@link #deltaVersion} is current. */
    ZSet delta;
    long deltaVersion = -1;

    Layout(TableShape shape) {
      this.shape = shape;
      this.key = shape.layoutKey();
    }
  }

  // ---------------------------------------------------------------- row changes

  private void change(int relationId, char oldKind, TupleData oldTuple, TupleData newTuple, Update update)
      throws SQLException {
    if (openTxn == null) {
      throw new SQLException("Deltaview internal error: row change outside a transaction", SqlStates.INTERNAL_ERROR);
    }
    RelationState relation = relation(relationId);
    if (txnSkipped || relation.layouts.length == 0) {
      return;
    }
    TupleData old = oldTuple;
    if (oldKind != 'O' && (oldTuple != null || update != null)) {
      // Not the whole old row (REPLICA IDENTITY is not FULL): only views reading nothing but key columns can
      // retract it. The old row of an update that sent none has the new row's (unchanged) key values.
      failViewsNeedingOldColumns(relation, oldKind);
      if (relation.layouts.length == 0) {
        return;
      }
      old = oldTuple != null ? oldTuple : newTuple;
    }
    List<String> resolved = null;
    if (update != null && newTuple.hasUnchangedToast()) {
      ToastResolver.Resolved r = ToastResolver.resolve(update, relation.relation);
      if (r.unresolved().length > 0) {
        failViewsReadingColumns(relation, r.unresolved(), ViewFailure.retryable(
            SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE, "update of " + relation.table + " carries an unchanged"
            + " TOAST value without the old row; the table needs REPLICA IDENTITY FULL"));
        if (relation.layouts.length == 0) {
          return;
        }
      }
      resolved = r.values();
    }
    Layout[] layouts = relation.layouts;
    if (layouts.length == 1) {
      Layout layout = layouts[0];
      mapping(relation, layout);
      Row oldRow;
      Row newRow;
      try {
        oldRow = old == null ? null : toRow(layout, old, null);
        newRow = newTuple == null ? null : toRow(layout, newTuple, resolved);
      } catch (RuntimeException e) {
        unparsable(relation, layout, old, newTuple, resolved, e);
        change(relationId, oldKind, oldTuple, newTuple, update); // the views that could not read it left
        return;
      }
      addToDelta(layout, oldRow, newRow);
    } else {
      // Parse for every layout before adding anything, so that a value failing in one leaves none half-added.
      Row[] rows = new Row[2 * layouts.length];
      for (int l = 0; l < layouts.length; l++) {
        Layout layout = layouts[l];
        mapping(relation, layout);
        try {
          rows[2 * l] = old == null ? null : toRow(layout, old, null);
          rows[2 * l + 1] = newTuple == null ? null : toRow(layout, newTuple, resolved);
        } catch (RuntimeException e) {
          unparsable(relation, layout, old, newTuple, resolved, e);
          change(relationId, oldKind, oldTuple, newTuple, update);
          return;
        }
      }
      for (int l = 0; l < layouts.length; l++) {
        addToDelta(layouts[l], rows[2 * l], rows[2 * l + 1]);
      }
    }
    int rows = (old != null ? 1 : 0) + (newTuple != null ? 1 : 0);
    txnChunkRows += rows;
    txnRows += rows;
    if (txnChunkRows >= limits.chunkRows()) {
      applyChunk();
    }
  }

  private void addToDelta(Layout layout, Row oldRow, Row newRow) {
    if (layout.deltaVersion != txnChangesVersion) {
      layout.delta = txnChanges.computeIfAbsent(layout.key, t -> new ZSet());
      layout.deltaVersion = txnChangesVersion;
    }
    if (oldRow != null) {
      layout.delta.add(oldRow, -1);
    }
    if (newRow != null) {
      layout.delta.add(newRow, 1);
    }
  }

  /**
   * A change's values did not parse in {@code layout}: fails the views reading the values at fault, so that
   * trying the change again (as the caller does) cannot fail the same way; if no view left, nothing can be
   * done for this change and the loop stops.
   */
  private void unparsable(RelationState relation, Layout layout, TupleData old, TupleData next,
      List<String> resolved, RuntimeException thrown) throws SQLException {
    int before = liveViews();
    failViewsReadingUnparsable(relation, layout, old, next, resolved, thrown);
    if (liveViews() == before) {
      throw new SQLException("Deltaview internal error reading a change of " + relation.table + ": " + thrown,
          SqlStates.INTERNAL_ERROR, thrown);
    }
  }

  private int liveViews() {
    int n = 0;
    for (MaintainedView v : views) {
      if (v.state() != MaintainedView.State.FAILED) {
        n++;
      }
    }
    return n;
  }

  /**
   * Fails the live views of {@code relation} that read a column its old tuple lacks: every non-key column for
   * a {@code 'K'} tuple or an update without one.
   */
  private void failViewsNeedingOldColumns(RelationState relation, char oldKind) throws SQLException {
    Relation r = relation.relation;
    List<Integer> missing = new ArrayList<>();
    for (int j = 0; j < r.columns().size(); j++) {
      if (!r.isKey(j)) {
        missing.add(j);
      }
    }
    int[] columns = missing.stream().mapToInt(Integer::intValue).toArray();
    String what = oldKind == 'K' ? "only its key columns" : "no old row";
    failViewsReadingColumns(relation, columns, ViewFailure.retryable(SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE,
        "an update or delete of " + relation.table + " arrived with " + what + " (the table's REPLICA IDENTITY is"
        + " not FULL), so the old row cannot be retracted exactly; run ALTER TABLE " + relation.table
        + " REPLICA IDENTITY FULL and the view is rebuilt"));
  }

  /** Fails the live views that read any of {@code relationColumns} (indexes into the relation's tuples). */
  private void failViewsReadingColumns(RelationState relation, int[] relationColumns, ViewFailure why)
      throws SQLException {
    Set<String> names = new HashSet<>();
    for (int j : relationColumns) {
      names.add(relation.relation.columns().get(j).name());
    }
    List<MaintainedView> failing = new ArrayList<>();
    for (MaintainedView v : views) {
      if (v.state() != MaintainedView.State.FAILED && readsAny(v, relation, names)) {
        failing.add(v);
      }
    }
    for (MaintainedView v : failing) {
      failView(v, why);
    }
    if (!failing.isEmpty()) {
      rebuildShapes();
    }
  }

  private static boolean readsAny(MaintainedView v, RelationState relation, Set<String> columnNames) {
    for (TableShape shape : v.sources()) {
      if (feeds(relation, shape)) {
        for (int i = 0; i < shape.columnNames().size(); i++) {
          if (shape.reads(i) && columnNames.contains(shape.columnNames().get(i))) {
            return true;
          }
        }
      }
    }
    return false;
  }

  /** After {@link #toRow} threw: finds the columns that do not parse and fails the views reading them. */
  private void failViewsReadingUnparsable(RelationState relation, Layout layout, TupleData old, TupleData next,
      List<String> resolved, RuntimeException thrown) throws SQLException {
    int[] mapping = layout.mapping;
    List<Integer> bad = new ArrayList<>();
    String detail = null;
    for (int i = 0; i < mapping.length; i++) {
      SqlTypeName type = layout.readTypes[i];
      if (type == null) {
        continue;
      }
      for (TupleData t : new TupleData[] {old, next}) {
        if (t == null) {
          continue;
        }
        String text = t == next && resolved != null ? resolved.get(mapping[i]) : t.isNull(mapping[i]) ? null
            : t.text(mapping[i]);
        try {
          Values.parse(text, type);
        } catch (RuntimeException e) {
          bad.add(mapping[i]);
          detail = "column " + layout.shape.columnNames().get(i) + " of " + relation.table + " holds \"" + text
              + "\", which is not a valid " + type.getName().toLowerCase(java.util.Locale.ROOT)
              + " (did its type change?); re-create the view";
        }
      }
    }
    if (bad.isEmpty()) {
      // Not a value's fault: the views reading this table in this layout cannot be fed.
      for (int i = 0; i < mapping.length; i++) {
        if (layout.readTypes[i] != null) {
          bad.add(mapping[i]);
        }
      }
      detail = "Deltaview internal error reading a change of " + relation.table + ": " + thrown;
    }
    failViewsReadingColumns(relation, bad.stream().mapToInt(Integer::intValue).toArray(),
        ViewFailure.permanent(SqlStates.INVALID_TEXT_REPRESENTATION, detail));
  }

  /**
   * The row of a tuple in {@code layout}; columns no view reads are left NULL, unparsed (see {@link TableShape}).
   * Integers and plain decimals are parsed straight from the received bytes; other values through their text.
   */
  private static Row toRow(Layout layout, TupleData tuple, List<String> resolvedText) {
    int[] mapping = layout.mapping;
    SqlTypeName[] types = layout.readTypes;
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

  /**
   * For each column of the layout's shape, its index in the relation's tuples (matched by name); -1 for a
   * column the stream does not carry, which is then left NULL (see below). A read column dropped or renamed
   * later fails its active views at the Relation message already ({@link #mismatch}).
   */
  private static int[] mapping(RelationState relation, Layout layout) throws SQLException {
    int[] mapping = layout.mapping;
    if (mapping != null) {
      return mapping;
    }
    Relation r = relation.relation;
    TableShape shape = layout.shape;
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
      mapping[i] = found; // -1 for a column no view reads (e.g. a generated one): it is never looked at
      // A read column missing from this description of the table was added after it: only views snapshotted
      // after the addition read it, so no change in this older layout is ever applied to them (it commits
      // before their snapshot). Read as NULL rather than stop the loop for every view.
      readTypes[i] = shape.reads(i) && found >= 0 ? shape.columnTypes().get(i) : null;
    }
    layout.readTypes = readTypes;
    layout.mapping = mapping;
    return mapping;
  }

  /**
   * A TRUNCATE of a base table, or of a partition or inheritance child of one (a TRUNCATE of a partitioned
   * table lists its partitions): the stream does not say which rows went, so the views reading it are reloaded
   * from a fresh snapshot once the transaction commits.
   */
  private void truncated(int relationId) throws SQLException {
    RelationState relation = relation(relationId);
    for (MaintainedView v : views) {
      if (v.state() != MaintainedView.State.FAILED && readsTable(v, relation)) {
        txnReloads.add(v);
      }
    }
  }

  private static boolean readsTable(MaintainedView v, RelationState relation) {
    for (TableShape shape : v.sources()) {
      if (feeds(relation, shape)) {
        return true;
      }
    }
    return false;
  }

  // ---------------------------------------------------------------- applying

  /**
   * Pushes the open source transaction's collected changes through the pipelines and writes the outputs (and
   * the batch's pending ones) into the target transaction, which now cannot commit before this source
   * transaction's Commit.
   */
  private void applyChunk() throws SQLException {
    process(txnChanges, openTxn.finalLsn(), txnReloads, openTxnDirty);
    newTxnChanges();
    txnChunkRows = 0;
    if (writePending(true)) {
      chunkWritten = true;
    }
  }

  /**
   * Runs changes of the open source transaction (committing at {@code commitLsn}) through the views; a view
   * whose computation fails is failed alone. Views fed are added to {@code fed} unless it is null.
   */
  private void process(Map<String, ZSet> changes, LogSequenceNumber commitLsn, Set<MaintainedView> reloads,
      Set<MaintainedView> fed) throws SQLException {
    if (changes.isEmpty()) {
      return;
    }
    for (MaintainedView v : views) {
      MaintainedView.State state = v.state();
      if (state == MaintainedView.State.FAILED || reloads.contains(v)) {
        continue;
      }
      Map<Integer, ZSet> deltas = deltasFor(v, changes);
      if (deltas.isEmpty()) {
        continue;
      }
      if (state == MaintainedView.State.ACTIVE) {
        if (commitLsn.asLong() < v.activeFrom().asLong()) {
          continue;
        }
        if (fed != null) {
          fed.add(v);
        }
        dirty.add(v);
        v.markStateChanged();
        ZSet out;
        try {
          out = v.pipeline().onChanges(deltas);
        } catch (RuntimeException e) {
          // PostgreSQL would fail this view's query on these rows too (or an operator failed): its operator
          // state is half-updated and of no use. The other views are independent of it.
          failView(v, ViewFailure.of(e));
          continue;
        }
        if (!out.isEmpty() && commitLsn.asLong() >= v.outputFrom().asLong()) {
          // (Before outputFrom, the view's state is catching up from a checkpoint with what its table holds.)
          // onChanges returns a Z-set of its own, so the first one can be kept and summed into.
          pendingOutputs.merge(v, out, (sum, next) -> {
            sum.addAll(next);
            return sum;
          });
          txnTouched.add(v);
        }
      } else if (state == MaintainedView.State.PENDING) {
        v.buffer().add(new BufferedTransaction(commitLsn, deltas));
      }
    }
  }

  /**
   * Writes the summed pending outputs, one sink call per view; true if anything was written. {@code chunk}:
   * the writes belong to a source transaction still open, whose earlier chunks are not kept for rewriting.
   */
  private boolean writePending(boolean chunk) throws SQLException {
    if (chunk && replayable) {
      replayable = false;
      written.clear();
    }
    boolean wrote = false;
    // A copy: a view whose write fails is failed, which drops its pending output from the map.
    for (Map.Entry<MaintainedView, ZSet> e : List.copyOf(pendingOutputs.entrySet())) {
      MaintainedView v = e.getKey();
      if (!e.getValue().isEmpty() && v.state() != MaintainedView.State.FAILED) {
        wrote |= write(v, e.getValue());
      }
    }
    pendingOutputs.clear();
    targetWritten |= wrote;
    return wrote;
  }

  /** Writes one view's output; if that fails for this view's sake, fails the view and returns false. */
  private boolean write(MaintainedView view, ZSet delta) throws SQLException {
    if (!replayable) {
      try {
        target.writeIsolated(view, delta);
        noteWritten(view, delta);
        return true;
      } catch (SQLException | RuntimeException e) {
        if (isFatal(e)) {
          throw e;
        }
        failView(view, ViewFailure.of(e));
        return false;
      }
    }
    try {
      target.write(view, delta);
      noteWritten(view, delta);
      written.add(new Written(view, delta));
      return true;
    } catch (SQLException | RuntimeException e) {
      if (isFatal(e)) {
        throw e;
      }
      failView(view, ViewFailure.of(e));
      rewrite();
      return false;
    }
  }

  /**
   * After a view's write failed in replayable mode: rolls the target transaction back (PostgreSQL aborted it)
   * and writes again what the other views had written into it, failing in turn any view whose write fails.
   */
  private void rewrite() throws SQLException {
    boolean again = true;
    while (again) {
      again = false;
      target.rollback();
      uncommittedRows.clear();
      for (Written w : written) {
        if (w.view().state() == MaintainedView.State.FAILED) {
          continue;
        }
        try {
          target.write(w.view(), w.delta());
          noteWritten(w.view(), w.delta());
        } catch (SQLException | RuntimeException e) {
          if (isFatal(e)) {
            throw e;
          }
          failView(w.view(), ViewFailure.of(e));
          again = true;
          break;
        }
      }
    }
    written.removeIf(w -> w.view().state() == MaintainedView.State.FAILED);
  }

  /**
   * Whether an error writing a view concerns every view (the target connection is unusable, the server is
   * shutting down or out of resources) rather than this view's data or table.
   */
  private boolean isFatal(Throwable e) {
    if (!(e instanceof SQLException s)) {
      return false;
    }
    String state = s.getSQLState();
    if (state == null || state.startsWith("08") || state.startsWith("57P") || state.startsWith("53")
        || state.startsWith("58") || state.equals("25P02")) {
      return true;
    }
    return target.isBroken();
  }

  /**
   * Stops maintaining one view: it stops being served and its output is dropped; its status is recorded in the
   * catalog with the next target commit and the owner is told, to rebuild it later if that may help.
   */
  private void failView(MaintainedView v, ViewFailure why) {
    if (v.state() == MaintainedView.State.FAILED) {
      return;
    }
    LOG.log(System.Logger.Level.WARNING, "Deltaview view " + v.qualifiedName() + " failed (the others go on): "
        + why);
    v.fail(why);
    pendingOutputs.remove(v);
    txnTouched.remove(v);
    batchApplied.remove(v);
    dirty.remove(v);
    openTxnDirty.remove(v);
    if (txnReloads != null) {
      txnReloads.remove(v);
    }
    failedStatuses.put(v, why);
    rebuildShapes();
    try {
      viewFailures.accept(v);
    } catch (RuntimeException e) {
      LOG.log(System.Logger.Level.WARNING, "view failure listener failed: " + e, e);
    }
  }

  private void commit(Commit c) throws SQLException {
    Begin txn = openTxn;
    if (txn == null) {
      throw new SQLException("Deltaview internal error: commit at " + c.commitLsn() + " without begin", SqlStates.INTERNAL_ERROR);
    }
    openTxn = null;
    Set<MaintainedView> reloads = txnReloads;
    if (!txnSkipped) {
      process(txnChanges, c.commitLsn(), reloads, null);
      long commitMillis = postgresEpochMicrosToMillis(c.commitTimeMicros());
      for (MaintainedView v : txnTouched) {
        batchApplied.put(v, commitMillis);
      }
    }
    openTxnDirty.clear(); // complete now: its views are dirty until the batch commits, like any others
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
      // Their tables may now hold part of this transaction (chunks written before the TRUNCATE): they stop
      // being served here at once, and in other processes with the commit that makes that part visible.
      List<MaintainedView> toReload = new ArrayList<>(reloads);
      for (MaintainedView v : toReload) {
        v.reset();
        pendingOutputs.remove(v);
        target.markLoading(v);
      }
      targetWritten = true;
      // Commit first: the loader replaces these views' tables on another connection, which must not wait for
      // (or be overwritten by) rows this loop wrote and has not committed yet.
      commitBatch();
      reloadRequests.accept(toReload);
    } else if (batchTxns >= limits.batchTransactions() || batchRows >= limits.batchRows() || batchExpired()) {
      commitBatch();
    }
  }

  private boolean batchExpired() {
    return System.nanoTime() - batchStartNanos >= limits.batchTime().toNanos();
  }

  /**
   * Commits the target transaction with the batch's last end LSN (and the status of views failed meanwhile),
   * then confirms the slot and advances the position. Only callable while no open source transaction has
   * written into the target transaction.
   */
  private void commitBatch() throws SQLException {
    if (batchTxns == 0) {
      commitStatuses();
      return;
    }
    if (chunkWritten) {
      throw new IllegalStateException("Deltaview internal error: batch commit inside a chunked source transaction");
    }
    writePending(false);
    if (targetWritten || !failedStatuses.isEmpty()) {
      recordStatuses();
      target.recordApplied(batchEnd);
      commitTarget();
      targetWritten = false;
    }
    written.clear();
    replayable = true;
    // Views fed only complete transactions now match their tables; those fed chunks of the open one do not.
    dirty.clear();
    dirty.addAll(openTxnDirty);
    long now = System.currentTimeMillis();
    for (Map.Entry<MaintainedView, Long> e : batchApplied.entrySet()) {
      e.getKey().markApplied(batchEnd, Math.max(0, now - e.getValue()));
    }
    batchApplied.clear();
    LogSequenceNumber end = batchEnd;
    batchTxns = 0;
    batchRows = 0;
    batchEnd = null;
    safePosition = Math.max(safePosition, end.asLong());
    confirm(end.asLong());
    advance(end.asLong());
  }

  /** Commits the status of views failed while no batch is open (e.g. during an activation). */
  private void commitStatuses() throws SQLException {
    if (failedStatuses.isEmpty() || targetWritten || chunkWritten) {
      return;
    }
    recordStatuses();
    commitTarget();
  }

  private void recordStatuses() throws SQLException {
    for (Map.Entry<MaintainedView, ViewFailure> e : failedStatuses.entrySet()) {
      target.markFailed(e.getKey(), e.getValue());
    }
    failedStatuses.clear();
  }

  private static long postgresEpochMicrosToMillis(long micros) {
    // pgoutput timestamps count from 2000-01-01.
    return micros / 1000 + 946_684_800_000L;
  }

  private static Map<Integer, ZSet> deltasFor(MaintainedView v, Map<String, ZSet> changes) {
    Map<Integer, ZSet> deltas = new HashMap<>();
    for (Map.Entry<String, ZSet> e : changes.entrySet()) {
      int[] indexes = v.sourceIndexesByLayout(e.getKey());
      if (indexes != null && !e.getValue().isEmpty()) {
        for (int index : indexes) {
          deltas.put(index, e.getValue());
        }
      }
    }
    return deltas;
  }

  /** Commits the target transaction and publishes the rows it wrote to each view's activity. */
  private void commitTarget() throws SQLException {
    target.commit();
    for (Map.Entry<MaintainedView, long[]> e : uncommittedRows.entrySet()) {
      e.getKey().activity().committed(e.getValue()[0], e.getValue()[1]);
    }
    uncommittedRows.clear();
  }

  /** Counts what a write of {@code delta} to the view's result table inserted and deleted (+n: n copies). */
  private void noteWritten(MaintainedView view, ZSet delta) {
    long[] counts = uncommittedRows.computeIfAbsent(view, v -> new long[2]);
    delta.forEach((row, weight) -> counts[weight > 0 ? 0 : 1] += Math.abs(weight));
  }

  private void rollbackQuietly() {
    uncommittedRows.clear();
    try {
      target.rollback();
    } catch (SQLException e) {
      LOG.log(System.Logger.Level.WARNING, "rollback of the target transaction failed: " + e);
    }
  }

  /**
   * Lets the slot advance to {@code lsn}, but not past the oldest checkpoint position still needed: a restart
   * resumes the stream from there.
   */
  private void confirm(long lsn) {
    long upTo = Math.min(lsn, checkpoints.retainFrom());
    if (upTo > 0) {
      feed.confirm(LogSequenceNumber.valueOf(upTo));
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
