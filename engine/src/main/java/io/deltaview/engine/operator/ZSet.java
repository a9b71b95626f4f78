package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.function.ObjLongConsumer;

/**
 * A multiset of {@link Row}s with signed {@code long} weights: +1 is an insert, −1 a delete, an update is
 * −old +new. Invariant: no row is ever stored with weight zero (adding the opposite weight removes it).
 *
 * <p>Z-sets are mutable accumulators owned by one operator at a time; an operator never changes a Z-set it
 * received as input.
 */
public final class ZSet implements WeightedRows {

  /**
   * The rows and weights, in open-addressing arrays rather than a {@code HashMap<Row, Weight>}: no node or
   * weight-cell object per row, which matters for the million-row deltas of a snapshot and for GC.
   */
  private final RowBag weights;

  public ZSet() {
    this.weights = new RowBag();
  }

  /** An empty Z-set sized for about {@code expectedRows} rows without rehashing. */
  public ZSet(int expectedRows) {
    this.weights = new RowBag(expectedRows);
  }

  /** A Z-set holding each of {@code rows} with weight +1 (duplicates add up). */
  public static ZSet ofInserts(Iterable<Row> rows) {
    ZSet z = new ZSet();
    for (Row r : rows) {
      z.add(r, 1);
    }
    return z;
  }

  /** A Z-set from alternating (Row, Long weight) pairs; meant for tests. */
  public static ZSet of(Object... rowWeightPairs) {
    ZSet z = new ZSet();
    for (int i = 0; i < rowWeightPairs.length; i += 2) {
      z.add((Row) rowWeightPairs[i], ((Number) rowWeightPairs[i + 1]).longValue());
    }
    return z;
  }

  /** Adds {@code weight} to {@code row}'s weight, dropping the row if the sum is zero. */
  public void add(Row row, long weight) {
    weights.add(row, weight);
  }

  /** Adds every row of {@code other} (Z-set addition); {@code other} is not changed. */
  public void addAll(WeightedRows other) {
    if (other == this) {
      other = copy();
    }
    other.forEach(weights::add);
  }

  /** A new Z-set with every weight negated. */
  public ZSet negate() {
    ZSet z = new ZSet(size());
    weights.forEach((r, w) -> z.weights.add(r, -w));
    return z;
  }

  /** An independent copy. */
  public ZSet copy() {
    ZSet z = new ZSet(size());
    weights.forEach(z.weights::add);
    return z;
  }

  /** The weight of {@code row}, 0 if absent. */
  public long weight(Row row) {
    return weights.weight(row);
  }

  /** Number of distinct rows (with non-zero weight). */
  @Override
  public int size() {
    return weights.size();
  }

  @Override
  public boolean isEmpty() {
    return weights.isEmpty();
  }

  /** Calls {@code action} once per distinct row with its (non-zero) weight. */
  @Override
  public void forEach(ObjLongConsumer<Row> action) {
    weights.forEach(action);
  }

  /** True when every weight is positive, i.e. this Z-set is an ordinary multiset (bag). */
  public boolean isPositive() {
    boolean[] positive = {true};
    weights.forEach((r, w) -> positive[0] &= w > 0);
    return positive[0];
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ZSet other) || other.size() != size()) {
      return false;
    }
    boolean[] same = {true};
    weights.forEach((r, w) -> same[0] &= other.weight(r) == w);
    return same[0];
  }

  @Override
  public int hashCode() {
    int[] h = {0};
    weights.forEach((r, w) -> h[0] += r.hashCode() ^ Long.hashCode(w));
    return h[0];
  }

  /** Rows sorted by their text, each with its weight; deterministic so that test failures are readable. */
  @Override
  public String toString() {
    List<String> lines = new ArrayList<>(size());
    weights.forEach((r, w) -> lines.add(r + (w > 0 ? " +" : " ") + w));
    lines.sort(Comparator.naturalOrder());
    return "{" + String.join(", ", lines) + "}";
  }
}
