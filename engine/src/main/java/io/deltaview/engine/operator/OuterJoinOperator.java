package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
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
 * Stateful binary LEFT, RIGHT or FULL outer join on an equi-key with an optional residual condition. Output rows
 * are the left row's columns followed by the right row's; a preserved row with no match comes out once per copy
 * with the other side's columns NULL.
 *
 * <p>The output is a function of the two sides' current contents:
 * {@code f(A, B) = Σ matched pairs wa·wb + Σ preserved a: wa·[m(a) = 0] + Σ preserved b: wb·[m(b) = 0]}, where
 * {@code m(a)} is the summed weight of the rows of B that match {@code a} (same key, residual true). So each side
 * keeps, per join key, its distinct rows with their weight and, when that side is preserved, their match count.
 * A step applies the left delta against the old right side, then the right delta against the new left side
 * ({@code f(A', B') − f(A, B) = [f(A', B) − f(A, B)] + [f(A', B') − f(A', B)]}), entry by entry, and each entry
 * emits exactly the change of {@code f} it causes: its matched pairs, its own NULL-extended row if it has no
 * match, and the flips of the other side's rows between matched and NULL-extended. The cost of an entry is the
 * size of its key's bucket on the other side, as for the inner join: proportional to the change, not the table.
 *
 * <p>A row whose key holds a NULL (in a column that is not null-safe) never matches: it is never stored, and a
 * preserved one comes out NULL-extended at once.
 */
public final class OuterJoinOperator implements Checkpointable {

  private final int[] leftKeys;
  private final int[] rightKeys;
  private final boolean[] nullSafe;
  private final boolean preserveLeft;
  private final boolean preserveRight;
  private final Row leftNulls;
  private final Row rightNulls;
  private final Predicate<Row> residual;
  private final Function<Row, Row> outputMap;
  private final Map<Object, Map<Row, Entry>> leftState = new HashMap<>();
  private final Map<Object, Map<Row, Entry>> rightState = new HashMap<>();

  /** A distinct row of one side: its weight and, on a preserved side, the summed weight of its matches. */
  private static final class Entry {
    long weight;
    long matches;
  }

  /**
   * @param nullSafe per key pair, true when NULL matches NULL; null means no key is null-safe
   * @param residual condition on the joined row (left columns then right), or null for none
   * @param outputMap a projection applied to each output row, or null for none
   */
  public OuterJoinOperator(int leftWidth, int rightWidth, int[] leftKeys, int[] rightKeys, boolean[] nullSafe,
      boolean preserveLeft, boolean preserveRight, Predicate<Row> residual, Function<Row, Row> outputMap) {
    if (leftKeys.length != rightKeys.length) {
      throw new IllegalArgumentException("key arity differs");
    }
    if (!preserveLeft && !preserveRight) {
      throw new IllegalArgumentException("an outer join preserves at least one side");
    }
    this.leftKeys = leftKeys.clone();
    this.rightKeys = rightKeys.clone();
    this.nullSafe = nullSafe == null ? new boolean[leftKeys.length] : nullSafe.clone();
    this.preserveLeft = preserveLeft;
    this.preserveRight = preserveRight;
    this.leftNulls = Row.wrap(new Object[leftWidth]);
    this.rightNulls = Row.wrap(new Object[rightWidth]);
    this.residual = residual;
    this.outputMap = outputMap;
  }

  /** One step: the output delta for the simultaneous input deltas (either may be empty), consolidated. */
  public ZSet apply(WeightedRows leftDelta, WeightedRows rightDelta) {
    ZSet out = new ZSet();
    apply(leftDelta, rightDelta, out::add);
    return out;
  }

  /** One step: pushes the output for the simultaneous input deltas (either may be empty) into {@code out}. */
  public void apply(WeightedRows leftDelta, WeightedRows rightDelta, ObjLongConsumer<Row> out) {
    leftDelta.forEach((row, weight) -> applyEntry(true, row, weight, out));
    rightDelta.forEach((row, weight) -> applyEntry(false, row, weight, out));
  }

  /** Number of distinct rows held in state, left plus right (for tests and metrics). */
  public long stateSize() {
    long n = 0;
    for (Map<Row, Entry> bucket : leftState.values()) {
      n += bucket.size();
    }
    for (Map<Row, Entry> bucket : rightState.values()) {
      n += bucket.size();
    }
    return n;
  }

  /** Adds {@code weight} copies of {@code row} to one side, the other side unchanged, and emits what changes. */
  private void applyEntry(boolean left, Row row, long weight, ObjLongConsumer<Row> out) {
    if (weight == 0) {
      return;
    }
    boolean preserved = left ? preserveLeft : preserveRight;
    boolean otherPreserved = left ? preserveRight : preserveLeft;
    Object key = JoinKey.of(row, left ? leftKeys : rightKeys, nullSafe);
    if (key == null) {
      if (preserved) {
        emitUnmatched(left, row, weight, out);
      }
      return;
    }
    Map<Object, Map<Row, Entry>> own = left ? leftState : rightState;
    Map<Row, Entry> others = (left ? rightState : leftState).get(key);
    Map<Row, Entry> bucket = own.get(key);
    Entry entry = bucket == null ? null : bucket.get(row);
    boolean fresh = entry == null;
    long matches = 0;
    if (others != null) {
      for (Map.Entry<Row, Entry> e : others.entrySet()) {
        Row other = e.getKey();
        Entry o = e.getValue();
        Row joined = left ? row.concat(other) : other.concat(row);
        if (residual != null && !residual.test(joined)) {
          continue;
        }
        out.accept(outputMap == null ? joined : outputMap.apply(joined), weight * o.weight);
        matches += o.weight;
        if (otherPreserved) {
          boolean wasUnmatched = o.matches == 0;
          o.matches += weight;
          boolean isUnmatched = o.matches == 0;
          if (wasUnmatched != isUnmatched) {
            emitUnmatched(!left, other, isUnmatched ? o.weight : -o.weight, out);
          }
        }
      }
    }
    if (fresh) {
      entry = new Entry();
      entry.matches = matches;
      if (bucket == null) {
        bucket = new HashMap<>(2);
        own.put(key, bucket);
      }
      bucket.put(row, entry);
    }
    // The other side did not change, so a stored entry's match count is current: only its weight changes.
    if (preserved && entry.matches == 0) {
      emitUnmatched(left, row, weight, out);
    }
    entry.weight += weight;
    if (entry.weight == 0) {
      bucket.remove(row);
      if (bucket.isEmpty()) {
        own.remove(key);
      }
    }
  }

  /** The keys, which sides are preserved, both sides' widths, then each side's rows with weight and match count. */
  @Override
  public void writeState(StateOutput out) {
    out.writeIntArray(leftKeys);
    out.writeIntArray(rightKeys);
    out.writeBooleanArray(nullSafe);
    out.writeBooleanArray(new boolean[] {preserveLeft, preserveRight});
    out.writeIntArray(new int[] {leftNulls.size(), rightNulls.size()});
    writeSide(out, leftState);
    writeSide(out, rightState);
  }

  @Override
  public void readState(StateInput in) {
    if (!Arrays.equals(in.readIntArray(), leftKeys) || !Arrays.equals(in.readIntArray(), rightKeys)
        || !Arrays.equals(in.readBooleanArray(), nullSafe)
        || !Arrays.equals(in.readBooleanArray(), new boolean[] {preserveLeft, preserveRight})
        || !Arrays.equals(in.readIntArray(), new int[] {leftNulls.size(), rightNulls.size()})) {
      throw new StateFormatException("the checkpoint's outer join differs from the plan's");
    }
    readSide(in, leftState, leftKeys, leftNulls.size());
    readSide(in, rightState, rightKeys, rightNulls.size());
  }

  private static void writeSide(StateOutput out, Map<Object, Map<Row, Entry>> side) {
    int n = 0;
    for (Map<Row, Entry> bucket : side.values()) {
      n += bucket.size();
    }
    out.writeCount(n);
    for (Map<Row, Entry> bucket : side.values()) {
      bucket.forEach((row, e) -> {
        out.writeRow(row);
        out.writeLong(e.weight);
        out.writeLong(e.matches);
      });
    }
  }

  private void readSide(StateInput in, Map<Object, Map<Row, Entry>> side, int[] keys, int width) {
    int n = in.readCount();
    for (int i = 0; i < n; i++) {
      Row row = in.readRow();
      Entry e = new Entry();
      e.weight = in.readLong();
      e.matches = in.readLong();
      Object key = row.size() == width ? JoinKey.of(row, keys, nullSafe) : null;
      if (key == null || e.weight == 0
          || side.computeIfAbsent(key, k -> new HashMap<>(2)).put(row, e) != null) {
        throw new StateFormatException("an outer join row of " + row.size() + " columns, weight " + e.weight
            + ", or with a NULL key");
      }
    }
  }

  /** Emits {@code row} of one side with the other side's columns NULL. */
  private void emitUnmatched(boolean left, Row row, long weight, ObjLongConsumer<Row> out) {
    Row extended = left ? row.concat(rightNulls) : leftNulls.concat(row);
    out.accept(outputMap == null ? extended : outputMap.apply(extended), weight);
  }
}
