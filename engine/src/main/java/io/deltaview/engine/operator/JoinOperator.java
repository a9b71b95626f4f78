package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import io.deltaview.engine.spill.BudgetedState;
import io.deltaview.engine.state.Checkpointable;
import io.deltaview.engine.state.StateFormatException;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ObjLongConsumer;
import java.util.function.Predicate;

/**
 * Stateful binary inner equi-join. Output rows are the left row's columns followed by the right row's.
 *
 * <p>Delta rule (DBSP): Δ(a⋈b) = Δa⋈b_old + a_old⋈Δb + Δa⋈Δb, after which the state (an index of each
 * side by join key) becomes a_old+Δa and b_old+Δb. Rows whose join key contains NULL never match (unless
 * that key column is declared null-safe, as for IS NOT DISTINCT FROM) and so are never indexed. An optional
 * residual predicate is evaluated on each joined row.
 */
public final class JoinOperator implements Checkpointable, BudgetedState {

  private final int[] leftKeys;
  private final int[] rightKeys;
  private final boolean[] nullSafe;
  private final Predicate<Row> residual;
  /** Applied to each joined row that passes the residual (a fused projection), or null for none. */
  private final Function<Row, Row> outputMap;
  /** Each side's rows by join key. */
  private final JoinState leftState = new JoinState();
  private final JoinState rightState = new JoinState();

  /**
   * @param nullSafe per key pair, true when NULL matches NULL; null means no key is null-safe
   * @param residual condition on the joined row, or null for none
   */
  public JoinOperator(int[] leftKeys, int[] rightKeys, boolean[] nullSafe, Predicate<Row> residual) {
    this(leftKeys, rightKeys, nullSafe, residual, null);
  }

  /**
   * @param outputMap a projection applied to each output row, or null for none. Fusing the projection above a
   *     join here saves building and consolidating the wide joined rows in a Z-set of their own; projection
   *     is linear, so mapping before consolidation gives the same Z-set.
   */
  public JoinOperator(int[] leftKeys, int[] rightKeys, boolean[] nullSafe, Predicate<Row> residual,
      Function<Row, Row> outputMap) {
    if (leftKeys.length != rightKeys.length) {
      throw new IllegalArgumentException("key arity differs");
    }
    this.leftKeys = leftKeys.clone();
    this.rightKeys = rightKeys.clone();
    this.nullSafe = nullSafe == null ? new boolean[leftKeys.length] : nullSafe.clone();
    this.residual = residual;
    this.outputMap = outputMap;
  }

  public JoinOperator(int[] leftKeys, int[] rightKeys, Predicate<Row> residual) {
    this(leftKeys, rightKeys, null, residual);
  }

  /** One step: the output delta for the simultaneous input deltas (either may be empty), consolidated. */
  public ZSet apply(WeightedRows leftDelta, WeightedRows rightDelta) {
    ZSet out = new ZSet();
    apply(leftDelta, rightDelta, out::add);
    return out;
  }

  /** One step: pushes the output for the simultaneous input deltas (either may be empty) into {@code out}. */
  public void apply(WeightedRows leftDelta, WeightedRows rightDelta, ObjLongConsumer<Row> out) {
    if (leftDelta.isEmpty() && rightDelta.isEmpty()) {
      return;
    }
    Map<Object, DeltaRows> dl = index(leftDelta, leftKeys);
    Map<Object, DeltaRows> dr = index(rightDelta, rightKeys);
    // Δa ⋈ b_old
    for (Map.Entry<Object, DeltaRows> e : dl.entrySet()) {
      Object old = rightState.get(e.getKey());
      if (old != null) {
        DeltaRows ls = e.getValue();
        for (int i = 0; i < ls.size; i++) {
          Row l = ls.rows[i];
          long lw = ls.weights[i];
          if (old instanceof Row r) {
            emit(out, l, r, lw);
          } else {
            ((RowList) old).forEach((r, rw) -> emit(out, l, r, lw * rw));
          }
        }
      }
    }
    // a_old ⋈ Δb
    for (Map.Entry<Object, DeltaRows> e : dr.entrySet()) {
      Object old = leftState.get(e.getKey());
      if (old != null) {
        DeltaRows rs = e.getValue();
        for (int i = 0; i < rs.size; i++) {
          Row r = rs.rows[i];
          long rw = rs.weights[i];
          if (old instanceof Row l) {
            emit(out, l, r, rw);
          } else {
            ((RowList) old).forEach((l, lw) -> emit(out, l, r, lw * rw));
          }
        }
      }
    }
    // Δa ⋈ Δb
    for (Map.Entry<Object, DeltaRows> e : dl.entrySet()) {
      DeltaRows rs = dr.get(e.getKey());
      if (rs != null) {
        DeltaRows ls = e.getValue();
        for (int i = 0; i < ls.size; i++) {
          for (int j = 0; j < rs.size; j++) {
            emit(out, ls.rows[i], rs.rows[j], ls.weights[i] * rs.weights[j]);
          }
        }
      }
    }
    update(leftState, dl);
    update(rightState, dr);
  }

  /** Number of distinct rows held in state, left plus right (for tests and metrics). */
  public long stateSize() {
    return leftState.size() + rightState.size();
  }

  private void emit(ObjLongConsumer<Row> out, Row l, Row r, long weight) {
    Row joined = l.concat(r);
    if (residual == null || residual.test(joined)) {
      out.accept(outputMap == null ? joined : outputMap.apply(joined), weight);
    }
  }

  /** The entries of one delta that share a join key, with their weights. */
  private static final class DeltaRows {
    Row[] rows = new Row[1]; // most keys of a delta have one row
    long[] weights = new long[1];
    int size;

    void add(Row row, long weight) {
      if (size == rows.length) {
        rows = java.util.Arrays.copyOf(rows, size * 2);
        weights = java.util.Arrays.copyOf(weights, size * 2);
      }
      rows[size] = row;
      weights[size++] = weight;
    }
  }

  /** Groups a delta by join key; NULL keys are dropped. */
  private Map<Object, DeltaRows> index(WeightedRows delta, int[] keys) {
    Map<Object, DeltaRows> idx = new HashMap<>((int) (delta.size() / 0.75f) + 1);
    delta.forEach((row, w) -> {
      Object key = JoinKey.of(row, keys, nullSafe);
      if (key != null) {
        idx.computeIfAbsent(key, k -> new DeltaRows()).add(row, w);
      }
    });
    return idx;
  }

  /** Adds a delta, grouped by key, to one side's state. */
  private static void update(JoinState state, Map<Object, DeltaRows> delta) {
    for (Map.Entry<Object, DeltaRows> e : delta.entrySet()) {
      DeltaRows rs = e.getValue();
      for (int i = 0; i < rs.size; i++) {
        state.add(e.getKey(), rs.rows[i], rs.weights[i]);
      }
    }
  }

  /** The key columns, then both sides' rows. */
  @Override
  public void writeState(StateOutput out) {
    out.writeIntArray(leftKeys);
    out.writeIntArray(rightKeys);
    out.writeBooleanArray(nullSafe);
    leftState.writeState(out);
    rightState.writeState(out);
  }

  @Override
  public void readState(StateInput in) {
    if (!Arrays.equals(in.readIntArray(), leftKeys) || !Arrays.equals(in.readIntArray(), rightKeys)
        || !Arrays.equals(in.readBooleanArray(), nullSafe)) {
      throw new StateFormatException("the checkpoint's join keys differ from the plan's");
    }
    leftState.readState(in, leftKeys, nullSafe);
    rightState.readState(in, rightKeys, nullSafe);
  }

  @Override
  public void releaseBudget() {
    leftState.releaseBudget();
    rightState.releaseBudget();
  }
}
