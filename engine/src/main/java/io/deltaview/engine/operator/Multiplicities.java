package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/** Operators that recompute part of their output (a top-K window, a window partition) and emit the change. */
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
}
