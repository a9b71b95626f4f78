package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import io.deltaview.engine.state.StateFormatException;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/**
 * Rows kept with their counts (a top-K's input, a window partition, an ordered aggregate's values): the change an
 * operator emits after recomputing part of its output from them, and the counts in a checkpoint.
 */
final class Multiplicities {

  private Multiplicities() {
  }

  /** Pushes {@code after − before} (rows with their multiplicities) into {@code out}, rows that did not change left out. */
  static void emitDifference(Map<Row, Long> before, Map<Row, Long> after, ObjLongConsumer<Row> out) {
    before.forEach((row, n) -> {
      long now = after.getOrDefault(row, 0L);
      if (now != n) {
        out.accept(row, now - n);
      }
    });
    after.forEach((row, n) -> {
      if (!before.containsKey(row)) {
        out.accept(row, n);
      }
    });
  }

  /** Adds {@code weight} to the count of {@code key}, which leaves {@code counts} when its count reaches zero. */
  static <K> void add(Map<K, long[]> counts, K key, long weight) {
    long[] c = counts.computeIfAbsent(key, k -> new long[1]);
    c[0] += weight;
    if (c[0] == 0) {
      counts.remove(key);
    }
  }

  /** Writes each row of {@code counts} with its count, in the map's order. */
  static void writeCounts(StateOutput out, Map<Row, long[]> counts) {
    out.writeCount(counts.size());
    counts.forEach((row, n) -> {
      out.writeRow(row);
      out.writeLong(n[0]);
    });
  }

  /** Reads what {@link #writeCounts} wrote into {@code into}. */
  static void readCounts(StateInput in, Map<Row, long[]> into) {
    int n = in.readCount();
    for (int i = 0; i < n; i++) {
      Row row = in.readRow();
      long count = in.readLong();
      if (count <= 0 || into.put(row, new long[] {count}) != null) {
        throw new StateFormatException("a row held twice or with a count of " + count);
      }
    }
  }
}
