package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.Arrays;
import java.util.function.ObjLongConsumer;

/**
 * Weighted rows collected in arrival order, without consolidation: how one operator's output reaches a join
 * within a step. Appending costs no hashing, and the join is bilinear, so it does not need equal rows summed
 * first; only a view's final output is consolidated (into a {@link ZSet}).
 */
public final class RowBatch implements WeightedRows, ObjLongConsumer<Row> {

  private Row[] rows = new Row[16];
  private long[] weights = new long[16];
  private int size;

  /** Appends {@code row} with {@code weight}; zero weights are dropped. */
  @Override
  public void accept(Row row, long weight) {
    if (weight == 0) {
      return;
    }
    if (size == rows.length) {
      rows = Arrays.copyOf(rows, size * 2);
      weights = Arrays.copyOf(weights, size * 2);
    }
    rows[size] = row;
    weights[size++] = weight;
  }

  @Override
  public void forEach(ObjLongConsumer<Row> action) {
    for (int i = 0; i < size; i++) {
      action.accept(rows[i], weights[i]);
    }
  }

  @Override
  public boolean isEmpty() {
    return size == 0;
  }

  @Override
  public int size() {
    return size;
  }
}
