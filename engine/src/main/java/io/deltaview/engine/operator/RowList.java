package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.Arrays;
import java.util.function.ObjLongConsumer;

/**
 * A join-state bucket of several rows: the (row, weight) entries added under one key, in arrival order,
 * consolidated (equal rows summed, zero weights dropped) only once they outnumber twice the rows the last
 * consolidation left, plus a few. An add is an append: no hashing and no search, where a hashed bag per key
 * cost a hash of the row and a probe into arrays of their own. Readers iterate the entries as they are,
 * which is exact because joins are bilinear: a row that came and went yields matches that cancel in the
 * view's consolidated output. Memory stays within about twice the live rows.
 */
final class RowList {

  /** Entries allowed beyond twice the consolidated count before consolidating again. */
  private static final int SLACK = 4;
  /** Up to this many entries are consolidated by comparing pairs; more go through a hashed {@link RowBag}. */
  private static final int PAIRWISE = 16;

  private Row[] rows;
  private long[] weights;
  private int size;
  /** Number of distinct rows the last consolidation left. */
  private int consolidated;

  /** A list of one entry. */
  RowList(Row row, long weight) {
    rows = new Row[4];
    weights = new long[4];
    rows[0] = row;
    weights[0] = weight;
    size = 1;
  }

  /** Number of entries; equal rows may appear more than once until {@link #consolidate}. */
  int size() {
    return size;
  }

  Row rowAt(int i) {
    return rows[i];
  }

  long weightAt(int i) {
    return weights[i];
  }

  void forEach(ObjLongConsumer<Row> action) {
    for (int i = 0; i < size; i++) {
      action.accept(rows[i], weights[i]);
    }
  }

  /**
   * Appends an entry; returns true when that made the list consolidate, after which the owner may replace a
   * list of no rows, or of one row of weight 1, by something smaller.
   */
  boolean add(Row row, long weight) {
    if (size == rows.length) {
      rows = Arrays.copyOf(rows, size * 2);
      weights = Arrays.copyOf(weights, size * 2);
    }
    rows[size] = row;
    weights[size++] = weight;
    if (size > 2 * consolidated + SLACK) {
      consolidate();
      return true;
    }
    return false;
  }

  /** Sums the weights of equal rows and drops zero weights; returns the number of distinct rows left. */
  int consolidate() {
    int n = 0;
    if (size <= PAIRWISE) {
      for (int i = 0; i < size; i++) {
        Row r = rows[i];
        long w = weights[i];
        int j = 0;
        while (j < n && !rows[j].equals(r)) {
          j++;
        }
        if (j < n) {
          weights[j] = Math.addExact(weights[j], w);
        } else {
          rows[n] = r;
          weights[n++] = w;
        }
      }
      int kept = 0;
      for (int i = 0; i < n; i++) {
        if (weights[i] != 0) {
          rows[kept] = rows[i];
          weights[kept++] = weights[i];
        }
      }
      n = kept;
    } else {
      RowBag sums = new RowBag(size);
      for (int i = 0; i < size; i++) {
        sums.add(rows[i], weights[i]);
      }
      int[] k = {0};
      sums.forEach((r, w) -> {
        rows[k[0]] = r;
        weights[k[0]++] = w;
      });
      n = k[0];
    }
    Arrays.fill(rows, n, size, null);
    Arrays.fill(weights, n, size, 0);
    size = n;
    consolidated = n;
    if (rows.length > 8 && size * 4 < rows.length) {
      rows = Arrays.copyOf(rows, Math.max(4, size * 2));
      weights = Arrays.copyOf(weights, rows.length);
    }
    return n;
  }

  /** The only row when, consolidated, this list holds exactly one row of weight 1; else null. */
  Row loneRow() {
    return size == 1 && weights[0] == 1 ? rows[0] : null;
  }

  /**
   * A read of the fields and array slots an {@link #add} writes, returning something derived from them: a
   * batch of adds reads ahead this way so that its cache misses overlap.
   */
  long touch() {
    return size + (long) rows.length + weights[Math.min(size, weights.length - 1)];
  }
}
