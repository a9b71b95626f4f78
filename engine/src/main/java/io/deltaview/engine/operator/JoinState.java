package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import io.deltaview.engine.spill.SpillStore;
import io.deltaview.engine.spill.StateMemory;
import io.deltaview.engine.state.StateFormatException;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.lang.ref.Cleaner;
import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * One side of a join kept as an index: join key → the rows with that key. A bucket is a lone {@link Row}
 * (weight 1: the common case of a unique key, kept without a list to save memory on large snapshots) or a
 * {@link RowList} of entries, consolidated from time to time; buckets found empty then are removed.
 *
 * <p>The index lives in the heap until the engine's {@link StateMemory memory budget} is exceeded while it
 * holds a sizeable share of it; then it moves, whole, to the {@link SpillStore} on local disk, one key-value
 * pair per bucket, and every later read or write of a bucket goes there (a read, a decode, an encode and a
 * write per row: slower, but bounded in heap). It never moves back: a state that outgrew the budget once is
 * likely to again.
 */
final class JoinState {

  private static final Cleaner CLEANER = Cleaner.create();
  /** One row in this many is measured for the estimate of the heap a row takes. */
  private static final int SAMPLE_EVERY = 64;

  /** Buckets of integer keys, the common case, without boxing (a Long key is never equal to another type). */
  private LongObjectMap<Object> longKeys = new LongObjectMap<>();
  private Map<Object, Object> otherKeys = new HashMap<>();
  /** Where the buckets are once moved to disk; null while they are in the heap. */
  private OnDisk disk;

  private final StateMemory.Account account = StateMemory.global().open();
  /** The weights added so far, summed: about the number of rows held. */
  private long entries;
  private long sampledBytes;
  private long sampledRows;
  private int untilSample = 1;
  private int untilCheck = account.memory().checkEvery();

  JoinState() {
    StateMemory.Account a = account;
    CLEANER.register(this, a::release); // a dropped pipeline's share of the budget is freed with it
  }

  /** The bucket of {@code key}: null, a lone {@link Row} of weight 1, or a {@link RowList}. */
  Object get(Object key) {
    if (disk != null) {
      return disk.get(key);
    }
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
    if (disk != null) {
      return 0;
    }
    Object bucket = get(key);
    return bucket == null ? 0 : bucket instanceof RowList list ? list.touch() : 1;
  }

  /** Adds {@code weight} copies of {@code row} (negative: removes) under {@code key}. */
  void add(Object key, Row row, long weight) {
    if (weight == 0) {
      return;
    }
    if (disk != null) {
      disk.put(key, added(disk.get(key), row, weight));
      return;
    }
    Object before = get(key);
    Object after = added(before, row, weight);
    if (after != before) {
      if (after == null) {
        remove(key);
      } else {
        put(key, after);
      }
    }
    entries += weight;
    if (--untilSample == 0) {
      untilSample = SAMPLE_EVERY;
      sampledBytes += StateMemory.estimate(row);
      sampledRows++;
    }
    if (--untilCheck == 0) {
      checkBudget();
    }
  }

  /**
   * The bucket after adding {@code weight} copies of {@code row} to {@code bucket}: null when nothing is left, a
   * lone row of weight 1, or a list (possibly {@code bucket} itself, changed in place).
   */
  private static Object added(Object bucket, Row row, long weight) {
    if (bucket == null) {
      return weight == 1 ? row : new RowList(row, weight);
    }
    if (bucket instanceof Row single) {
      if (weight == -1 && single.equals(row)) {
        return null;
      }
      RowList list = new RowList(single, 1);
      list.add(row, weight);
      return list;
    }
    RowList list = (RowList) bucket;
    if (list.add(row, weight)) {
      // it consolidated: no rows → no bucket, one row of weight 1 → the lone row
      if (list.size() == 0) {
        return null;
      }
      Row lone = list.loneRow();
      if (lone != null) {
        return lone;
      }
    }
    return list;
  }

  /** Reports this index's estimated heap bytes, and moves it to disk if the budget says so. */
  private void checkBudget() {
    StateMemory memory = account.memory();
    untilCheck = memory.checkEvery();
    long rowBytes = sampledRows == 0 ? 64 : sampledBytes / sampledRows;
    long bytes = Math.max(0, entries) * (rowBytes + 48); // + the slot, the list entry and the key's share
    account.report(bytes);
    if (memory.shouldSpill(bytes)) {
      SpillStore store = memory.store();
      if (store != null) {
        moveTo(store);
        memory.spilled(bytes);
      }
    }
  }

  /** Moves every bucket to {@code store}; the heap maps are dropped. */
  private void moveTo(SpillStore store) {
    OnDisk d = new OnDisk(store, store.newPrefix());
    CLEANER.register(this, d::drop); // the files' share is freed when this index is gone
    try (SpillStore.Batch batch = store.batch()) {
      BiConsumer<Object, Object> write = (key, bucket) -> {
        batch.put(d.key(key), OnDisk.encode(bucket));
        if (batch.count() >= 10_000) {
          batch.commit();
        }
      };
      longKeys.forEach((key, bucket) -> write.accept(key, bucket));
      otherKeys.forEach(write);
      batch.commit();
    }
    longKeys = new LongObjectMap<>();
    otherKeys = new HashMap<>();
    disk = d;
    account.release();
  }

  /** Gives back this index's share of the memory budget (its pipeline is being discarded). */
  void releaseBudget() {
    account.release();
  }

  /** Whether this index moved to disk (for tests and metrics). */
  boolean onDisk() {
    return disk != null;
  }

  /** Every bucket, in no particular order. */
  private void forEachBucket(java.util.function.Consumer<Object> action) {
    if (disk != null) {
      disk.forEach(action);
      return;
    }
    longKeys.forEachValue(action);
    otherKeys.values().forEach(action);
  }

  /** Number of distinct rows held (consolidates every bucket). */
  long size() {
    long[] n = {0};
    forEachBucket(b -> n[0] += b instanceof RowList list ? list.consolidate() : 1);
    return n[0];
  }

  /**
   * Writes every (row, weight) entry held, as they are (a bucket's entries unconsolidated): adding them again
   * to an empty state gives an equal multiset under every key. The keys are not written; they follow from
   * the rows. The format is a run per non-empty bucket, its entry count then its entries, and a count of 0 at
   * the end: no count of the whole state up front, so a spilled state is read from its store once, each stored
   * bucket (already a run) copied as it is.
   */
  void writeState(StateOutput out) {
    if (disk != null) {
      // Serialized here, the state would be built in the heap that it outgrew: it is written later, off the
      // apply thread, from a snapshot of the store taken now.
      out.defer(disk.snapshot());
      return;
    }
    forEachBucket(b -> writeRun(b, out));
    out.writeCount(0);
  }

  /** A bucket as one run of {@link #writeState}'s format: its entry count, then its entries; nothing if empty. */
  private static void writeRun(Object bucket, StateOutput out) {
    if (bucket instanceof Row row) {
      out.writeCount(1);
      out.writeRow(row);
      out.writeLong(1);
      return;
    }
    RowList list = (RowList) bucket;
    if (list.size() == 0) {
      return;
    }
    out.writeCount(list.size());
    list.forEach((row, weight) -> {
      out.writeRow(row);
      out.writeLong(weight);
    });
  }

  /** Adds the entries {@link #writeState} wrote, keyed by {@code columns} as the owning operator keys them. */
  void readState(StateInput in, int[] columns, boolean[] nullSafe) {
    for (int run = in.readCount(); run != 0; run = in.readCount()) {
      for (int i = 0; i < run; i++) {
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

  /**
   * The buckets of one index in the spill store: key = the index's 8-byte prefix, then the join key (a tag and
   * its value in the checkpoint format, whose encoding of the canonical key values is unique); value = the
   * bucket's entries.
   */
  private static final class OnDisk {
    private final SpillStore store;
    private final byte[] prefix;

    OnDisk(SpillStore store, long id) {
      this.store = store;
      this.prefix = ByteBuffer.allocate(8).putLong(id).array();
    }

    byte[] key(Object key) {
      StateOutput out = new StateOutput();
      for (byte b : prefix) {
        out.writeByte(b);
      }
      if (key == JoinKey.NULL_KEY) {
        out.writeByte('N');
      } else if (key instanceof Row r) {
        out.writeByte('R');
        out.writeRow(r);
      } else {
        out.writeByte('V');
        out.writeValue(key);
      }
      return out.toBytes();
    }

    Object get(Object key) {
      byte[] bytes = store.get(key(key));
      return bytes == null ? null : decode(bytes);
    }

    void put(Object key, Object bucket) {
      if (bucket == null) {
        store.delete(key(key));
      } else {
        store.put(key(key), encode(bucket));
      }
    }

    void forEach(java.util.function.Consumer<Object> action) {
      store.forEach(prefix, (k, v) -> action.accept(decode(v)));
    }

    /**
     * This index's entries as of now, to be written as {@link #writeState} writes them. A bucket's stored value
     * is its count then its entries ({@link #encode}): a run of the checkpoint's format already, copied without
     * being decoded, in one pass over the store.
     */
    StateOutput.Deferred snapshot() {
      SpillStore.View view = store.view();
      return new StateOutput.Deferred() {
        @Override
        public void writeTo(StateOutput out) {
          view.forEach(prefix, (k, v) -> {
            if (new StateInput(List.of(v)).readCount() != 0) { // an empty run would end the state early
              out.writeEncoded(v, 0, v.length);
            }
          });
          out.writeCount(0);
        }

        @Override
        public void release() {
          view.close();
        }
      };
    }

    void drop() {
      try {
        store.deletePrefix(prefix);
      } catch (RuntimeException closed) {
        // the store was closed with the engine: its files are gone already
      }
    }

    static byte[] encode(Object bucket) {
      StateOutput out = new StateOutput();
      writeRun(bucket, out);
      return out.toBytes();
    }

    static Object decode(byte[] bytes) {
      StateInput in = new StateInput(List.of(bytes));
      int n = in.readCount();
      Row first = in.readRow();
      long weight = in.readLong();
      if (n == 1 && weight == 1) {
        return first;
      }
      RowList list = new RowList(first, weight);
      for (int i = 1; i < n; i++) {
        list.add(in.readRow(), in.readLong());
      }
      return list;
    }
  }
}
