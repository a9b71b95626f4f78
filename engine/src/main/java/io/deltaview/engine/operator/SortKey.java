package io.deltaview.engine.operator;

import io.deltaview.engine.expr.PgValues;
import io.deltaview.engine.row.Row;
import java.util.Comparator;
import java.util.List;

/**
 * One column of an ORDER BY: which column, which direction, and where NULLs go (PostgreSQL's default is NULLS
 * LAST ascending, NULLS FIRST descending; the plan states it for every key).
 */
public record SortKey(int column, boolean descending, boolean nullsFirst) {

  /** Rows in the order of {@code keys} (SQL's comparison of values), rows equal on the keys as equal. */
  public static Comparator<Row> order(List<SortKey> keys) {
    SortKey[] k = keys.toArray(new SortKey[0]);
    return (a, b) -> {
      for (SortKey key : k) {
        int c = key.compare(a.get(key.column), b.get(key.column));
        if (c != 0) {
          return c;
        }
      }
      return 0;
    };
  }

  /**
   * A total order on rows that refines {@code order}: rows equal on the keys are ordered by all their columns,
   * so distinct rows are never equal (numerics by value, then by scale: 1.0 and 1.00 are distinct rows).
   */
  public static Comparator<Row> total(Comparator<Row> order) {
    return order.thenComparing((a, b) -> {
      for (int i = 0; i < a.size(); i++) {
        int c = compareValues(a.get(i), b.get(i));
        if (c != 0) {
          return c;
        }
      }
      return Integer.compare(a.size(), b.size());
    });
  }

  int compare(Object a, Object b) {
    if (a == null || b == null) {
      if (a == b) {
        return 0;
      }
      return (a == null) == nullsFirst ? -1 : 1;
    }
    int c = PgValues.compare(a, b);
    return descending ? -c : c;
  }

  private static int compareValues(Object a, Object b) {
    if (a == null || b == null) {
      return a == b ? 0 : a == null ? -1 : 1;
    }
    return AggregateOperator.VALUE_ORDER.compare(a, b);
  }
}
