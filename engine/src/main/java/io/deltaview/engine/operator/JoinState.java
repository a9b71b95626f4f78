package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import io.deltaview.engine.state.StateFormatException;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.util.HashMap;
import java.util.Map;

/**
 * One side of a join kept as an index: join key → the rows with that key. A bucket is a lone {@link Row}
 * (weight 1: the common case of a unique key, kept without a list to save memory on large snapshots) or a
 * {@link RowList} of entries, consolidated from time to time; buckets found empty then are removed.
 */
final class JoinState {

  /** Buckets of integer keys, the common case, without boxing (a Long key is never equal to another type). */
  private final LongObjectMap<Object> longKeys = new LongObjectMap<>();
  private final Map<Object, Object> otherKeys = new HashMap<>();

  /** The bucket of {@code key}: null, a lone {@link Row} of weight 1, or a {@link RowList}. */
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

  /**
   * Reads what {@link #add} under {@code key} reads, returning something derived from it: a batch of adds
   * reads ahead this way for all its keys first, so that their cache misses overlap.
   */
  long touch(Object key) {
    Object bucket = get(key);
    return bucket == null ? 0 : bucket instanceof RowList list ? list.touch() : 1;
  }

  /** Adds {@code weight} copies of {@code row} (negative: removes) under {@code key}. */
  void add(Object key, Row row, long weight) {
    if (weight == 0) {
      return;
    }
    Object bucket = get(key);
    if (bucket == null) {
      put(key, weight == 1 ? row : new RowList(row, weight));
      return;
    }
    if (bucket instanceof Row single) {
      if (weight == -1 && single.equals(row)) {
        remove(key);
      } else {
        RowList list = new RowList(single, 1);
        list.add(row, weight);
        put(key, list);
      }
      return;
    }
    RowList list = (RowList) bucket;
    if (list.add(row, weight)) {
      // it consolidated: no rows → no bucket, one row of weight 1 → the lone row
      Row lone = list.loneRow();
      if (list.size() == 0) {
        remove(key);
      } else if (lone != null) {
        put(key, lone);
      }
    }
  }

  /** Number of distinct rows held (consolidates every bucket). */
  long size() {
    long[] n = {0};
    longKeys.forEachValue(b -> n[0] += b instanceof RowList list ? list.consolidate() : 1);
    for (Object b : otherKeys.values()) {
      n[0] += b instanceof RowList list ? list.consolidate() : 1;
    }
    return n[0];
  }

  /**
   * Writes every (row, weight) entry held, as they are (a bucket's entries unconsolidated): adding them again
   * to an empty state gives an equal multiset under every key. The keys are not written; they follow from
   * the rows.
   */
  void writeState(StateOutput out) {
    long[] entries = {0};
    longKeys.forEachValue(b -> entries[0] += b instanceof RowList list ? list.size() : 1);
    for (Object b : otherKeys.values()) {
      entries[0] += b instanceof RowList list ? list.size() : 1;
    }
    out.writeLong(entries[0]);
    longKeys.forEachValue(b -> writeBucket(b, out));
    for (Object b : otherKeys.values()) {
      writeBucket(b, out);
    }
  }

  private static void writeBucket(Object bucket, StateOutput out) {
    if (bucket instanceof Row row) {
      out.writeRow(row);
      out.writeLong(1);
    } else {
      ((RowList) bucket).forEach((row, weight) -> {
        out.writeRow(row);
        out.writeLong(weight);
      });
    }
  }

  /** Adds the entries {@link #writeState} wrote, keyed by {@code columns} as the owning operator keys them. */
  void readState(StateInput in, int[] columns, boolean[] nullSafe) {
    long entries = in.readLong();
    for (long i = 0; i < entries; i++) {
      Row row = in.readRow();
      long weight = in.readLong();
      Object key = JoinKey.of(row, columns, nullSafe);
      if (key == null) {
        throw new StateFormatException("a join state row without a key: " + row);
      }
      add(key, row, weight);
    }
  }
}
