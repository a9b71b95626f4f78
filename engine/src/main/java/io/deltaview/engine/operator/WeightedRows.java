package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.function.ObjLongConsumer;

/**
 * Weighted rows an operator reads as its input delta: a consolidated {@link ZSet}, or a {@link RowBatch} of
 * rows pushed by the operator below, where the same row may appear more than once. Every operator is linear
 * (filter, map, aggregate) or bilinear (join) in its input, so it gives the same result for both.
 */
public interface WeightedRows {

  /** Calls {@code action} for each entry, in no particular order. */
  void forEach(ObjLongConsumer<Row> action);

  boolean isEmpty();

  /** Number of entries {@link #forEach} visits. */
  int size();
}
