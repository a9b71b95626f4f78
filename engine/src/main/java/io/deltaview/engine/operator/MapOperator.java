package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.Objects;
import java.util.function.Function;

/**
 * Linear map (SQL projection): replaces each row by {@code f(row)} keeping its weight; rows that map to the
 * same output add their weights, and weights that cancel disappear.
 */
public final class MapOperator implements LinearOperator {

  private final Function<Row, Row> function;

  public MapOperator(Function<Row, Row> function) {
    this.function = Objects.requireNonNull(function);
  }

  @Override
  public ZSet apply(ZSet delta) {
    ZSet out = new ZSet(delta.size());
    delta.forEach((row, weight) -> out.add(function.apply(row), weight));
    return out;
  }
}
