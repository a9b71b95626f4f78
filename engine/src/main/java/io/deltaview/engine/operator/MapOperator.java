package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.Objects;
import java.util.function.Function;
import java.util.function.ObjLongConsumer;

/**
 * Linear map (SQL projection): replaces each row by {@code f(row)} keeping its weight; rows that map to the
 * same output add their weights where the output is consolidated.
 */
public final class MapOperator implements LinearOperator {

  private final Function<Row, Row> function;

  public MapOperator(Function<Row, Row> function) {
    this.function = Objects.requireNonNull(function);
  }

  @Override
  public void push(Row row, long weight, ObjLongConsumer<Row> out) {
    out.accept(function.apply(row), weight);
  }
}
