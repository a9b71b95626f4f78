package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import io.deltaview.engine.state.Checkpointable;
import io.deltaview.engine.state.StateFormatException;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.ObjLongConsumer;

/**
 * {@code ORDER BY … LIMIT n OFFSET m}: the rows at positions m … m+n−1 of the input in the keys' order, each with
 * its multiplicity in that window. The state is the input as a sorted multiset; a step computes the window
 * before and after applying the delta and emits the difference, so it costs the delta's inserts into the sorted
 * state plus m+n, not the input's size. The keys must order the rows totally (the compiler checks it): rows equal
 * on the keys are then identical, and PostgreSQL's choice among them does not show.
 */
public final class TopKOperator implements Checkpointable {

  private final TreeMap<Row, long[]> sorted;
  private final long offset;
  private final long limit;

  /** @param limit the number of rows, or a negative number for all rows after the offset */
  public TopKOperator(List<SortKey> keys, long offset, long limit) {
    this.sorted = new TreeMap<>(SortKey.total(SortKey.order(keys)));
    this.offset = offset;
    this.limit = limit;
  }

  public void apply(WeightedRows delta, ObjLongConsumer<Row> out) {
    if (delta.isEmpty()) {
      return;
    }
    Map<Row, Long> before = window();
    delta.forEach((row, weight) -> Multiplicities.add(sorted, row, weight));
    Map<Row, Long> after = window();
    Multiplicities.emitDifference(before, after, out);
  }

  /** The rows in the window and how many copies of each. */
  private Map<Row, Long> window() {
    Map<Row, Long> window = new HashMap<>();
    long skip = offset;
    long take = limit < 0 ? Long.MAX_VALUE : limit;
    for (Map.Entry<Row, long[]> e : sorted.entrySet()) {
      if (take == 0) {
        break;
      }
      long n = e.getValue()[0];
      if (n < 0) {
        throw new IllegalStateException("negative count of " + e.getKey() + ": delete of a missing row");
      }
      long skipped = Math.min(skip, n);
      skip -= skipped;
      long taken = Math.min(take, n - skipped);
      if (taken > 0) {
        window.put(e.getKey(), taken);
        take -= taken;
      }
    }
    return window;
  }

  /** The offset and limit, then the input's rows with their counts, in order. */
  @Override
  public void writeState(StateOutput out) {
    out.writeLong(offset);
    out.writeLong(limit);
    Multiplicities.writeCounts(out, sorted);
  }

  @Override
  public void readState(StateInput in) {
    if (in.readLong() != offset || in.readLong() != limit) {
      throw new StateFormatException("the checkpoint's LIMIT or OFFSET differs from the plan's");
    }
    Multiplicities.readCounts(in, sorted);
  }

  /** Number of distinct rows held (for tests and metrics). */
  public int stateSize() {
    return sorted.size();
  }
}
