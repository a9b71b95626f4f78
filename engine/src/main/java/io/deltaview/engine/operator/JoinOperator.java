package io.deltaview.engine.operator;

import io.deltaview.engine.expr.PgValues;
import io.deltaview.engine.row.Row;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

/**
 * Stateful binary inner equi-join. Output rows are the left row's columns followed by the right row's.
 *
 * <p>Delta rule (DBSP): Δ(a⋈b) = Δa⋈b_old + a_old⋈Δb + Δa⋈Δb, after which the state (an index of each
 * side by join key) becomes a_old+Δa and b_old+Δb. Rows whose join key contains NULL never match (unless
 * that key column is declared null-safe, as for IS NOT DISTINCT FROM) and so are never indexed. An optional
 * residual predicate is evaluated on each joined row.
 */
public final class JoinOperator {

  private final int[] leftKeys;
  private final int[] rightKeys;
  private final boolean[] nullSafe;
  private final Predicate<Row> residual;
  /**
   * Join key → the rows with that key. A bucket is a lone {@link Row} (weight 1: the common case of a
   * unique key, kept without a map to save memory on large snapshots) or a {@link ZSet}.
   */
  private final Map<Row, Object> leftState = new HashMap<>();
  private final Map<Row, Object> rightState = new HashMap<>();

  /**
   * @param nullSafe per key pair, true when NULL matches NULL; null means no key is null-safe
   * @param residual condition on the joined row, or null for none
   */
  public JoinOperator(int[] leftKeys, int[] rightKeys, boolean[] nullSafe, Predicate<Row> residual) {
    if (leftKeys.length != rightKeys.length) {
      throw new IllegalArgumentException("key arity differs");
    }
    this.leftKeys = leftKeys.clone();
    this.rightKeys = rightKeys.clone();
    this.nullSafe = nullSafe == null ? new boolean[leftKeys.length] : nullSafe.clone();
    this.residual = residual;
  }

  public JoinOperator(int[] leftKeys, int[] rightKeys, Predicate<Row> residual) {
    this(leftKeys, rightKeys, null, residual);
  }

  /** One step: the output delta for the simultaneous input deltas (either may be empty). */
  public ZSet apply(ZSet leftDelta, ZSet rightDelta) {
    ZSet out = new ZSet();
    if (leftDelta.isEmpty() && rightDelta.isEmpty()) {
      return out;
    }
    Map<Row, List<Object>> dl = index(leftDelta, leftKeys);
    Map<Row, List<Object>> dr = index(rightDelta, rightKeys);
    // Δa ⋈ b_old
    for (Map.Entry<Row, List<Object>> e : dl.entrySet()) {
      Object old = rightState.get(e.getKey());
      if (old != null) {
        List<Object> ls = e.getValue();
        for (int i = 0; i < ls.size(); i += 2) {
          Row l = (Row) ls.get(i);
          long lw = (Long) ls.get(i + 1);
          if (old instanceof Row r) {
            emit(out, l, r, lw);
          } else {
            ((ZSet) old).forEach((r, rw) -> emit(out, l, r, lw * rw));
          }
        }
      }
    }
    // a_old ⋈ Δb
    for (Map.Entry<Row, List<Object>> e : dr.entrySet()) {
      Object old = leftState.get(e.getKey());
      if (old != null) {
        List<Object> rs = e.getValue();
        for (int i = 0; i < rs.size(); i += 2) {
          Row r = (Row) rs.get(i);
          long rw = (Long) rs.get(i + 1);
          if (old instanceof Row l) {
            emit(out, l, r, rw);
          } else {
            ((ZSet) old).forEach((l, lw) -> emit(out, l, r, lw * rw));
          }
        }
      }
    }
    // Δa ⋈ Δb
    for (Map.Entry<Row, List<Object>> e : dl.entrySet()) {
      List<Object> rs = dr.get(e.getKey());
      if (rs != null) {
        List<Object> ls = e.getValue();
        for (int i = 0; i < ls.size(); i += 2) {
          for (int j = 0; j < rs.size(); j += 2) {
            emit(out, (Row) ls.get(i), (Row) rs.get(j), (Long) ls.get(i + 1) * (Long) rs.get(j + 1));
          }
        }
      }
    }
    update(leftState, dl);
    update(rightState, dr);
    return out;
  }

  /** Number of distinct rows held in state, left plus right (for tests and metrics). */
  public long stateSize() {
    long n = 0;
    for (Object b : leftState.values()) {
      n += b instanceof ZSet z ? z.size() : 1;
    }
    for (Object b : rightState.values()) {
      n += b instanceof ZSet z ? z.size() : 1;
    }
    return n;
  }

  private void emit(ZSet out, Row l, Row r, long weight) {
    Row joined = l.concat(r);
    if (residual == null || residual.test(joined)) {
      out.add(joined, weight);
    }
  }

  /** Groups a delta by join key as flat [row, weight, row, weight, ...] lists; NULL keys are dropped. */
  private Map<Row, List<Object>> index(ZSet delta, int[] keys) {
    Map<Row, List<Object>> idx = new HashMap<>();
    delta.forEach((row, w) -> {
      Row key = keyOf(row, keys);
      if (key != null) {
        List<Object> list = idx.computeIfAbsent(key, k -> new ArrayList<>(2));
        list.add(row);
        list.add(w);
      }
    });
    return idx;
  }

  private static void update(Map<Row, Object> state, Map<Row, List<Object>> delta) {
    for (Map.Entry<Row, List<Object>> e : delta.entrySet()) {
      Row key = e.getKey();
      Object bucket = state.get(key);
      List<Object> rs = e.getValue();
      for (int i = 0; i < rs.size(); i += 2) {
        Row row = (Row) rs.get(i);
        long w = (Long) rs.get(i + 1);
        if (bucket == null) {
          bucket = w == 1 ? row : ZSet.of(row, w);
        } else if (bucket instanceof Row single) {
          ZSet z = ZSet.of(single, 1);
          z.add(row, w);
          bucket = z;
        } else {
          ((ZSet) bucket).add(row, w);
        }
        if (bucket instanceof ZSet z && z.size() <= 1) {
          // normalise: empty → no bucket, one row of weight 1 → the lone row
          bucket = z.isEmpty() ? null : singleOrSelf(z);
        }
      }
      if (bucket == null) {
        state.remove(key);
      } else {
        state.put(key, bucket);
      }
    }
  }

  private static Object singleOrSelf(ZSet z) {
    Object[] lone = new Object[1];
    z.forEach((r, w) -> {
      if (w == 1) {
        lone[0] = r;
      }
    });
    return lone[0] != null ? lone[0] : z;
  }

  private Row keyOf(Row row, int[] keys) {
    Object[] k = new Object[keys.length];
    for (int i = 0; i < keys.length; i++) {
      Object v = row.get(keys[i]);
      if (v == null && !nullSafe[i]) {
        return null;
      }
      k[i] = v == null ? null : PgValues.keyOf(v);
    }
    return Row.wrap(k);
  }
}
