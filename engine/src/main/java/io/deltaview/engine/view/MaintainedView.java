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
 * base table, or the apply loop stopped and is being restarted). Pipeline, buffer and activeFrom are touched only by the apply loop thread once registered.
 */
public final class MaintainedView {

  /** Where a view stands. */
  public enum State { PENDING, ACTIVE, FAILED }

  private final ViewRecord record;
  private final List<TableShape> sources;
  private final ResultTableSink sink;
  private final Supplier<ViewPipeline> pipelineFactory;
  private final Map<String, int[]> sourceIndexesByTable = new HashMap<>();

  private volatile State state = State.PENDING;
  private volatile String lastError;
  private volatile long lastLagMs;
  private volatile LogSequenceNumber appliedLsn = LogSequenceNumber.INVALID_LSN;
  /** Counts the times the view went back to loading; a load started before the last one must not activate it. */
  private volatile int generation;

  private ViewPipeline pipeline;
  private LogSequenceNumber activeFrom = LogSequenceNumber.INVALID_LSN;
  private final List<BufferedTransaction> buffer = new ArrayList<>();

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
      String table = this.sources.get(i).qualifiedName();
      int[] prev = sourceIndexesByTable.get(table);
      int[] next = prev == null ? new int[] {i} : append(prev, i);
      sourceIndexesByTable.put(table, next);
    }
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

  public State state() {
    return state;
  }

  public String lastError() {
    return lastError;
  }

  /**
   * How many times the view went back to loading (TRUNCATE, apply-loop restart). Its buffer is cleared each
   * time, so a load whose snapshot was taken before the latest reset lacks changes and must not activate it.
   */
  public int generation() {
    return generation;
  }

  public long lastLagMs() {
    return lastLagMs;
  }

  public LogSequenceNumber appliedLsn() {
    return appliedLsn;
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
    this.pipeline = loaded;
    this.activeFrom = from;
    this.state = State.ACTIVE;
    this.lastError = null;
  }

  /** Back to loading: operator state is discarded, changes are buffered until the next activation. */
  public void reset() {
    this.generation++;
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
    this.pipeline = null;
    this.buffer.clear();
    this.lastError = error;
    this.state = State.PENDING;
  }

  public void fail(String error) {
    this.pipeline = null;
    this.buffer.clear();
    this.lastError = error;
    this.state = State.FAILED;
  }

  public void markApplied(LogSequenceNumber lsn, long lagMs) {
    this.appliedLsn = lsn;
    this.lastLagMs = lagMs;
  }
}
