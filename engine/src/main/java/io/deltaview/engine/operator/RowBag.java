package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.function.ObjLongConsumer;

/**
 * A compact mutable multiset of rows with non-zero {@code long} weights: the storage of {@link ZSet} and a
 * join index bucket (all rows of one side sharing a join key). Two parallel open-addressing arrays (linear
 * probing, backward-shift deletion, load factor at most 1/2), so an entry costs about 32 bytes of arrays and
 * no objects: with a {@code HashMap<Row, Weight>} per Z-set and per bucket, the nodes and weight cells made
 * join state several times larger and dominated allocation and GC.
 */
final class RowBag {

  private static final int MIN_CAPACITY = 4;

  private Row[] rows;
  private long[] weights;
  private int size;

  RowBag() {
    this(0);
  }

  /** A bag that holds {@code expectedRows} rows without resizing. */
  RowBag(int expectedRows) {
    int capacity = MIN_CAPACITY;
    while (capacity < 2 * (long) expectedRows && capacity < 1 << 30) {
      capacity <<= 1;
    }
    rows = new Row[capacity];
    weights = new long[capacity];
  }

  int size() {
    return size;
  }

  boolean isEmpty() {
    return size == 0;
  }

  /** Adds {@code weight} to {@code row}'s weight, dropping the row when the sum is zero. */
  void add(Row row, long weight) {
    if (weight == 0) {
      return;
    }
    int mask = rows.length - 1;
    int i = slot(row, mask);
    for (Row r; (r = rows[i]) != null; i = (i + 1) & mask) {
      if (r.equals(row)) {
        long sum = Math.addExact(weights[i], weight);
        if (sum == 0) {
          remove(i);
        } else {
          weights[i] = sum;
        }
        return;
      }
    }
    rows[i] = row;
    weights[i] = weight;
    // load factor at most 1/2 keeps probe sequences short
    if (++size * 2 > rows.length) {
      resize(rows.length * 2);
    }
  }

  /** The weight of {@code row}, 0 if absent. */
  long weight(Row row) {
    int mask = rows.length - 1;
    for (int i = slot(row, mask); rows[i] != null; i = (i + 1) & mask) {
      if (rows[i].equals(row)) {
        return weights[i];
      }
    }
    return 0;
  }

  /** The only row when this bag holds exactly one row with weight 1, else null. */
  Row loneRow() {
    if (size != 1) {
      return null;
    }
    for (int i = 0; i < rows.length; i++) {
      if (rows[i] != null) {
        return weights[i] == 1 ? rows[i] : null;
      }
    }
    return null;
  }

  /**
   * The number of slots, for iterating with {@link #rowAt} and {@link #weightAt} where a callback would not do
   * (a recursive walk); empty slots hold null.
   */
  int slots() {
    return rows.length;
  }

  Row rowAt(int slot) {
    return rows[slot];
  }

  long weightAt(int slot) {
    return weights[slot];
  }

  void forEach(ObjLongConsumer<Row> action) {
    Row[] rs = rows;
    long[] ws = weights;
    for (int i = 0; i < rs.length; i++) {
      if (rs[i] != null) {
        action.accept(rs[i], ws[i]);
      }
    }
  }

  private static int slot(Row row, int mask) {
    // Row hashes are Arrays.hashCode sums, weak in the low bits: spread before masking.
    int h = row.hashCode() * 0x9E3779B9;
    return (h ^ (h >>> 16)) & mask;
  }

  /** Empties slot {@code hole}, shifting later members of its probe run back so lookups still find them. */
  private void remove(int hole) {
    int mask = rows.length - 1;
    int i = hole;
    while (true) {
      i = (i + 1) & mask;
      Row r = rows[i];
      if (r == null) {
        break;
      }
      int home = slot(r, mask);
      // r may move into the hole iff its home slot is not cyclically within (hole, i]
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        rows[hole] = r;
        weights[hole] = weights[i];
        hole = i;
      }
    }
    rows[hole] = null;
    weights[hole] = 0;
    size--;
    if (rows.length > MIN_CAPACITY && size * 8 < rows.length) {
      resize(rows.length / 2);
    }
  }

  private void resize(int capacity) {
    Row[] oldRows = rows;
    long[] oldWeights = weights;
    rows = new Row[capacity];
    weights = new long[capacity];
    int mask = capacity - 1;
    for (int j = 0; j < oldRows.length; j++) {
      Row r = oldRows[j];
      if (r != null) {
        int i = slot(r, mask);
        while (rows[i] != null) {
          i = (i + 1) & mask;
        }
        rows[i] = r;
        weights[i] = oldWeights[j];
      }
    }
  }
}
