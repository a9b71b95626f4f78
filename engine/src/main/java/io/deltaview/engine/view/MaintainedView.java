package io.deltaview.engine.view;

import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.sink.ResultTableSink;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The runtime side of one registered view: its compiled plan, the operator state (the pipeline), its sink,
 * and where it stands in the replication stream.
 *
 * <p>Life cycle: {@code PENDING} (a snapshot is loading; the apply loop buffers its changes) →
 * {@code ACTIVE} (the apply loop maintains it) → back to {@code PENDING} when it must be reloaded (TRUNCATE of a
 * base table, or the apply loop stopped with operator state ahead of the result table). Any state →
 * {@code FAILED} when computing or writing this view failed ({@link #fail(ViewFailure)}): only this view stops;
 * a retryable failure goes back to {@code PENDING} when the engine rebuilds it. Pipeline, buffer and
 * activeFrom are touched only by the apply loop thread once registered.
 */
public final class MaintainedView {

  /** Where a view stands. */
  public enum State { PENDING, ACTIVE, FAILED }

  private final ViewRecord record;
  /** Replaced only by {@link #takeDescendants}, which keeps every source's table and columns. */
  private volatile List<TableShape> sources;
  private final ResultTableSink sink;
  private final Supplier<ViewPipeline> pipelineFactory;
  private final Map<String, int[]> sourceIndexesByTable = new HashMap<>();
  /** Replaced with {@link #sources} (the layout keys name the descendants). */
  private volatile Map<String, int[]> sourceIndexesByLayout;

  private volatile State state = State.PENDING;
  private volatile String lastError;
  private volatile ViewFailure failure;
  /** Failures since the view was last activated, for the engine's retry backoff. */
  private volatile int consecutiveFailures;
  private volatile long lastLagMs;
  private volatile LogSequenceNumber appliedLsn = LogSequenceNumber.INVALID_LSN;
  /** Counts the times the view went back to loading; a load started before the last one must not activate it. */
  private volatile int generation;

  private ViewPipeline pipeline;
  private LogSequenceNumber activeFrom = LogSequenceNumber.INVALID_LSN;
  /** The result table holds the effects of the transactions committed before this: theirs are not written. */
  private LogSequenceNumber outputFrom = LogSequenceNumber.INVALID_LSN;
  /** Whether the operator state took input since it was last written to a checkpoint. */
  private boolean stateChanged;
  /** Where the operator state came from when the view was last activated, for SHOW INCREMENTAL VIEWS. */
  private volatile String stateSource;
  /** Why the next load is a rebuild from a snapshot, if that needs saying (e.g. its checkpoint was unusable). */
  private volatile String rebuildReason;
  /** The position of the view's newest durable checkpoint, INVALID if none. */
  private volatile LogSequenceNumber checkpointLsn = LogSequenceNumber.INVALID_LSN;
  private final List<BufferedTransaction> buffer = new ArrayList<>();
  private final ViewActivity activity = new ViewActivity();

  /** A source transaction seen while the view was loading, kept until the view is activated. */
  public record BufferedTransaction(LogSequenceNumber commitLsn, Map<Integer, ZSet> deltas) {
  }

  public MaintainedView(ViewRecord record, List<TableShape> sources, ResultTableSink sink,
      Supplier<ViewPipeline> pipelineFactory) {
    this.record = record;
    this.sources = List.copyOf(sources);
    this.sink = sink;
    this.pipelineFactory = pipelineFactory;
    for (int i = 0; i < this.sources.size(); i++) {
      int source = i;
      sourceIndexesByTable.merge(this.sources.get(i).qualifiedName(), new int[] {i}, (a, b) -> append(a, source));
    }
    this.sourceIndexesByLayout = byLayout(this.sources);
  }

  private static Map<String, int[]> byLayout(List<TableShape> sources) {
    Map<String, int[]> out = new HashMap<>();
    for (int i = 0; i < sources.size(); i++) {
      int source = i;
      out.merge(sources.get(i).layoutKey(), new int[] {i}, (a, b) -> append(a, source));
    }
    return out;
  }

  private static int[] append(int[] a, int v) {
    int[] out = java.util.Arrays.copyOf(a, a.length + 1);
    out[a.length] = v;
    return out;
  }

  public ViewRecord record() {
    return record;
  }

  public String qualifiedName() {
    return record.qualifiedName();
  }

  public List<TableShape> sources() {
    return sources;
  }

  /**
   * Takes the descendants (partitions, inheritance children) its base tables have now, {@code now} by table OID
   * (a table without any is absent), in place of those it was planned with; true if any differ. Called by the
   * apply loop on its thread, for a view being loaded, before the snapshot it is loaded from is taken: the
   * snapshot then reads the rows of exactly the descendants whose changes the loop feeds the view.
   */
  public boolean takeDescendants(Map<Long, List<TableShape.Descendant>> now) {
    List<TableShape> updated = new ArrayList<>(sources.size());
    boolean changed = false;
    for (TableShape t : sources) {
      TableShape u = t.oid() == 0 ? t : t.withDescendants(now.getOrDefault(t.oid(), List.of()));
      changed |= u != t;
      updated.add(u);
    }
    if (changed) {
      sourceIndexesByLayout = byLayout(updated);
      sources = List.copyOf(updated);
    }
    return changed;
  }

  public ResultTableSink sink() {
    return sink;
  }

  /** A fresh pipeline with empty operator state. */
  public ViewPipeline newPipeline() {
    return pipelineFactory.get();
  }

  /** Pipeline source indexes fed by {@code qualifiedTable}; null if the view does not read it. */
  public int[] sourceIndexes(String qualifiedTable) {
    return sourceIndexesByTable.get(qualifiedTable);
  }

  /**
   * Pipeline source indexes fed rows in layout {@code layoutKey} ({@link TableShape#layoutKey()}); null if
   * the view reads no table in that layout.
   */
  public int[] sourceIndexesByLayout(String layoutKey) {
    return sourceIndexesByLayout.get(layoutKey);
  }

  public State state() {
    return state;
  }

  /** The error shown in SHOW INCREMENTAL VIEWS: why it failed, or why it is being reloaded; null when fine. */
  public String lastError() {
    return lastError;
  }

  /** PostgreSQL's SQLState of the failure in {@link #lastError()}, if it failed; else null. */
  public String lastErrorSqlState() {
    ViewFailure f = failure;
    return f == null ? null : f.sqlState();
  }

  /** Why the view failed (null unless it failed and has not been active since). */
  public ViewFailure failure() {
    return failure;
  }

  /** Failures since the view was last active (0 while it is fine). */
  public int consecutiveFailures() {
    return consecutiveFailures;
  }

  /**
   * How many times the view went back to loading (TRUNCATE, apply-loop restart). Its buffer is cleared each
   * time, so a load whose snapshot was taken before the latest reset lacks changes and must not activate it.
   */
  public int generation() {
    return generation;
  }

  /** Its result table's rows and the changes written to it, as this process knows them. */
  public ViewActivity activity() {
    return activity;
  }

  public long lastLagMs() {
    return lastLagMs;
  }

  public LogSequenceNumber appliedLsn() {
    return appliedLsn;
  }

  /**
   * Whether its result table holds source transactions past {@code position}, the apply loop's: it was loaded
   * from a snapshot taken ahead of the stream, and the loop has not reached that point yet. Views applied past
   * their load are never ahead: the loop writes every view's delta of a transaction in one target transaction.
   * Any thread.
   */
  public boolean aheadOf(long position) {
    return appliedLsn.asLong() > position;
  }

  // ---- apply-loop-only state below ----

  public ViewPipeline pipeline() {
    return pipeline;
  }

  public LogSequenceNumber activeFrom() {
    return activeFrom;
  }

  public List<BufferedTransaction> buffer() {
    return buffer;
  }

  /** Becomes active with operator state loaded at snapshot point {@code from}. */
  public void activate(ViewPipeline loaded, LogSequenceNumber from) {
    activate(loaded, from, from);
  }

  /**
   * Becomes active with operator state as of {@code from} (transactions committed before it are in the state)
   * whose result table already holds the transactions committed before {@code outputFrom} (at or after
   * {@code from}): their output is computed into the state but not written again.
   */
  public void activate(ViewPipeline loaded, LogSequenceNumber from, LogSequenceNumber outputFrom) {
    discard(loaded);
    this.pipeline = loaded;
    this.activeFrom = from;
    this.outputFrom = outputFrom;
    this.stateChanged = false;
    this.state = State.ACTIVE;
    this.lastError = null;
    this.failure = null;
    this.consecutiveFailures = 0;
  }

  /** Its state is about to be dropped with the apply loop that kept it: its share of the budget goes now. */
  public void releaseBudget() {
    ViewPipeline current = pipeline;
    if (current != null) {
      current.releaseBudget();
    }
  }

  /** The current pipeline is replaced by {@code next} (or dropped): its share of the memory budget goes now. */
  private void discard(ViewPipeline next) {
    ViewPipeline current = pipeline;
    if (current != null && current != next) {
      current.releaseBudget();
    }
  }

  /** Back to loading: operator state is discarded, changes are buffered until the next activation. */
  public void reset() {
    this.generation++;
    this.checkpointLsn = LogSequenceNumber.INVALID_LSN;
    discard(null);
    this.pipeline = null;
    this.buffer.clear();
    this.state = State.PENDING;
  }

  /**
   * The apply loop that maintained this view stopped: its operator state may be ahead of the result table
   * (a rolled-back target transaction), so it is discarded and the view waits for a reload, showing
   * {@code error} until it is active again. A failed view stays failed.
   */
  public void interrupt(String error) {
    if (state == State.FAILED) {
      return;
    }
    this.generation++;
    this.checkpointLsn = LogSequenceNumber.INVALID_LSN;
    discard(null);
    this.pipeline = null;
    this.buffer.clear();
    this.lastError = error;
    this.state = State.PENDING;
  }

  /**
   * Stops maintaining this view (only this one) because of {@code why}: its operator state and buffer are
   * discarded, so it can only come back through a rebuild from a fresh snapshot ({@link #reset()}).
   */
  public void fail(ViewFailure why) {
    this.generation++; // a load under way must not activate it
    this.checkpointLsn = LogSequenceNumber.INVALID_LSN;
    discard(null);
    this.pipeline = null;
    this.buffer.clear();
    this.failure = why;
    this.lastError = why.message();
    this.activity.rowsAre(-1); // what its last writes left in the table is not known
    this.consecutiveFailures++;
    this.state = State.FAILED;
  }

  /** {@link #fail(ViewFailure)} with a retryable failure carrying PostgreSQL's {@code sqlState} and message. */
  public void fail(String sqlState, String message) {
    fail(ViewFailure.retryable(sqlState, message));
  }

  /** Transactions committed before this are in the result table already (see {@link #activate(ViewPipeline,
   * LogSequenceNumber, LogSequenceNumber)}). */
  public LogSequenceNumber outputFrom() {
    return outputFrom;
  }

  /** The apply loop fed the operator state. */
  public void markStateChanged() {
    stateChanged = true;
  }

  /** Whether the operator state took input since {@link #clearStateChanged()} (or activation). */
  public boolean stateChangedSinceCheckpoint() {
    return stateChanged;
  }

  /** The operator state was just written to a checkpoint. */
  public void clearStateChanged() {
    stateChanged = false;
  }

  /** {@code checkpoint} or {@code snapshot[: why]}: where the state of the current activation came from; null before. */
  public String stateSource() {
    return stateSource;
  }

  public void markStateSource(String source) {
    this.stateSource = source;
  }

  /** Why the next snapshot load rebuilds this view (taken once), or null. */
  public String takeRebuildReason() {
    String r = rebuildReason;
    rebuildReason = null;
    return r;
  }

  public void noteRebuildReason(String why) {
    this.rebuildReason = why;
  }

  /** The position of the view's newest durable checkpoint; INVALID if none is known. */
  public LogSequenceNumber checkpointLsn() {
    return checkpointLsn;
  }

  public void markCheckpoint(LogSequenceNumber lsn) {
    this.checkpointLsn = lsn;
  }

  public void markApplied(LogSequenceNumber lsn, long lagMs) {
    this.appliedLsn = lsn;
    this.lastLagMs = lagMs;
  }
}
