package io.deltaview.engine.expr;

import io.deltaview.engine.row.Row;

/** A compiled scalar expression over a row; returns a canonical value, {@code null} for SQL NULL. */
@FunctionalInterface
public interface Scalar {

  Object eval(Row row);

  /** SQL WHERE semantics: true only when the value is TRUE (NULL and FALSE both reject). */
  default boolean test(Row row) {
    return Boolean.TRUE.equals(eval(row));
  }
}
