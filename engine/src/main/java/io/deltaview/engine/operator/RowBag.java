package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.function.ObjLongConsumer;

/**
 * A compact mutable multiset of rows with non-zero {@code long} weights: the storage of {@link ZSet}, and
 * what a large {@link RowList} consolidates through. Parallel open-addressing arrays (linear
 * probing, backward-shift deletion, load factor at most 1/2), so an entry costs about 40 bytes of arrays and
 * no objects: with a {@code HashMap<Row, Weight>} per Z-set and per bucket, the nodes and weight cells made
 * join state several times larger and dominated allocation and GC.
 */
final class RowBag {

  private static final int MIN_CAPACITY = 4;

  private Row[] rows;
  private long[] weights;
  /**
   * Each slot's row hash, so that a probe compares hashes without loading the row (a cache miss for rows of a
   * large join state) and a resize never asks a row for its hash again.
   */
  private int[] hashes;
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
    hashes = new int[capacity];
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
    int h = row.hashCode();
    int mask = rows.length - 1;
    int i = slot(h, mask);
    for (Row r; (r = rows[i]) != null; i = (i + 1) & mask) {
      if (hashes[i] == h && r.equals(row)) {
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
    hashes[i] = h;
    // load factor at most 1/2 keeps probe sequences short
    if (++size * 2 > rows.length) {
      resize(rows.length * 2);
    }
  }

  /** The weight of {@code row}, 0 if absent. */
  long weight(Row row) {
    int h = row.hashCode();
    int mask = rows.length - 1;
    for (int i = slot(h, mask); rows[i] != null; i = (i + 1) & mask) {
      if (hashes[i] == h && rows[i].equals(row)) {
        return weights[i];
      }
    }
    return 0;
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

  private static int slot(int hash, int mask) {
    // spread before masking, so that hashes differing only in high bits do not share a probe run
    int h = hash * 0x9E3779B9;
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
      int home = slot(hashes[i], mask);
      // r may move into the hole iff its home slot is not cyclically within (hole, i]
      if (((i - home) & mask) >= ((i - hole) & mask)) {
        rows[hole] = r;
        weights[hole] = weights[i];
        hashes[hole] = hashes[i];
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
    int[] oldHashes = hashes;
    rows = new Row[capacity];
    weights = new long[capacity];
    hashes = new int[capacity];
    int mask = capacity - 1;
    for (int j = 0; j < oldRows.length; j++) {
      Row r = oldRows[j];
      if (r != null) {
        int i = slot(oldHashes[j], mask);
        while (rows[i] != null) {
          i = (i + 1) & mask;
        }
        rows[i] = r;
        weights[i] = oldWeights[j];
        hashes[i] = oldHashes[j];
      }
    }
  }
}
