package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.HashMap;
import java.util.Map;

/**
 * One side of a join kept as an index: join key → the rows with that key. A bucket is a lone {@link Row}
 * (weight 1: the common case of a unique key, kept without a bag to save memory on large snapshots) or a
 * {@link RowBag}; empty buckets are removed.
 */
final class JoinState {

  /** Buckets of integer keys, the common case, without boxing (a Long key is never equal to another type). */
  private final LongObjectMap<Object> longKeys = new LongObjectMap<>();
  private final Map<Object, Object> otherKeys = new HashMap<>();

  /** The bucket of {@code key}: null, a lone {@link Row} of weight 1, or a {@link RowBag}. */
  Object get(Object key) {
    return key instanceof Long l ? longKeys.get(l) : otherKeys.get(key);
  }

  private void put(Object key, Object bucket) {
    if (key instanceof Long l) {
      longKeys.put(l, bucket);
    } else {
      otherKeys.put(key, bucket);
    }
  }

  private void remove(Object key) {
    if (key instanceof Long l) {
      longKeys.remove(l);
    } else {
      otherKeys.remove(key);
    }
  }

  /** Adds {@code weight} copies of {@code row} (negative: removes) under {@code key}. */
  void add(Object key, Row row, long weight) {
    if (weight == 0) {
      return;
    }
    Object bucket = get(key);
    if (bucket == null) {
      put(key, weight == 1 ? row : bagOf(row, weight));
      return;
    }
    RowBag bag;
    if (bucket instanceof Row single) {
      if (weight == -1 && single.equals(row)) {
        remove(key);
        return;
      }
      bag = bagOf(single, 1);
      put(key, bag);
    } else {
      bag = (RowBag) bucket;
    }
    bag.add(row, weight);
    if (bag.size() <= 1) {
      // normalise: empty → no bucket, one row of weight 1 → the lone row
      Row lone = bag.loneRow();
      if (bag.isEmpty()) {
        remove(key);
      } else if (lone != null) {
        put(key, lone);
      }
    }
  }

  /** Number of distinct rows held. */
  long size() {
    long[] n = {0};
    longKeys.forEachValue(b -> n[0] += b instanceof RowBag z ? z.size() : 1);
    for (Object b : otherKeys.values()) {
      n[0] += b instanceof RowBag z ? z.size() : 1;
    }
    return n[0];
  }

  private static RowBag bagOf(Row row, long weight) {
    RowBag bag = new RowBag();
    bag.add(row, weight);
    return bag;
  }
}
