package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.Objects;
import java.util.function.ObjLongConsumer;
import java.util.function.Predicate;

/** Linear filter: keeps each row (with its weight) for which the predicate holds (SQL: is TRUE). */
public final class FilterOperator implements LinearOperator {

  private final Predicate<Row> predicate;

  public FilterOperator(Predicate<Row> predicate) {
    this.predicate = Objects.requireNonNull(predicate);
  }

  @Override
  public void push(Row row, long weight, ObjLongConsumer<Row> out) {
    if (predicate.test(row)) {
      out.accept(row, weight);
    }
  }
}
