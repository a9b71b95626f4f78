package io.deltaview.engine.operator;

import io.deltaview.engine.expr.PgValues;
import io.deltaview.engine.row.Row;

/**
 * Join keys: what the join operators hash a row's key columns to, so that the key of a stored row and the
 * key probed with are equal exactly when SQL's {@code =} (or {@code IS NOT DISTINCT FROM}) holds.
 */
final class JoinKey {

  /** The key of NULL in a single null-safe key column (null itself means "no key"). */
  static final Object NULL_KEY = new Object();

  private JoinKey() {
  }

  /** The join key of {@code row}'s columns {@code columns}, or null when it never matches. */
  static Object of(Row row, int[] columns, boolean[] nullSafe) {
    if (columns.length == 1) {
      return single(row.get(columns[0]), nullSafe[0]);
    }
    Object[] k = new Object[columns.length];
    for (int i = 0; i < columns.length; i++) {
      Object v = row.get(columns[i]);
      if (v == null && !nullSafe[i]) {
        return null;
      }
      k[i] = v == null ? null : PgValues.keyOf(v);
    }
    return Row.wrap(k);
  }

  /** As {@link #of(Row, int[], boolean[])} for a row being assembled in an array. */
  static Object of(Object[] values, int[] columns, boolean[] nullSafe) {
    if (columns.length == 1) {
      return single(values[columns[0]], nullSafe[0]);
    }
    Object[] k = new Object[columns.length];
    for (int i = 0; i < columns.length; i++) {
      Object v = values[columns[i]];
      if (v == null && !nullSafe[i]) {
        return null;
      }
      k[i] = v == null ? null : PgValues.keyOf(v);
    }
    return Row.wrap(k);
  }

  /**
   * A single-column key is the canonical value itself rather than a one-column {@link Row}: state lookups
   * are the joins' hot path, and the wrapper cost an allocation and two dependent loads per probe. A NULL
   * never matches unless the column is null-safe.
   */
  private static Object single(Object v, boolean nullSafe) {
    if (v == null) {
      return nullSafe ? NULL_KEY : null;
    }
    return PgValues.keyOf(v);
  }
}
