package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.Objects;
import java.util.function.Predicate;

/** Linear filter: keeps each row (with its weight) for which the predicate holds (SQL: is TRUE). */
public final class FilterOperator implements LinearOperator {

  private final Predicate<Row> predicate;

  public FilterOperator(Predicate<Row> predicate) {
    this.predicate = Objects.requireNonNull(predicate);
  }

  @Override
  public ZSet apply(ZSet delta) {
    ZSet out = new ZSet(delta.size());
    delta.forEach((row, weight) -> {
      if (predicate.test(row)) {
        out.add(row, weight);
      }
    });
    return out;
  }
}
