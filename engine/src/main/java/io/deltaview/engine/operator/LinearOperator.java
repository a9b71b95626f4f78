package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.function.ObjLongConsumer;

/**
 * A stateless operator that distributes over Z-set addition, so its delta rule is the operator itself:
 * Δ(op(a)) = op(Δa). Filter and map are linear, which is also why they can work row by row on what the
 * operator below pushes, without the input being consolidated first.
 */
public interface LinearOperator {

  /** Pushes the output for one input entry into {@code out}. */
  void push(Row row, long weight, ObjLongConsumer<Row> out);

  /** The output delta for {@code delta}, consolidated; {@code delta} is not changed. */
  default ZSet apply(WeightedRows delta) {
    ZSet out = new ZSet();
    ObjLongConsumer<Row> sink = out::add;
    delta.forEach((row, weight) -> push(row, weight, sink));
    return out;
  }
}
