package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ObjLongConsumer;

/**
 * A multiset of {@link Row}s with signed {@code long} weights: +1 is an insert, −1 a delete, an update is
 * −old +new. Invariant: no row is ever stored with weight zero (adding the opposite weight removes it).
 *
 * <p>Z-sets are mutable accumulators owned by one operator at a time; an operator never changes a Z-set it
 * received as input.
 */
public final class ZSet {

  /** Mutable weight cell, so that adding to an existing row costs one hash lookup and no boxing. */
  private static final class Weight {
    long value;

    Weight(long value) {
      this.value = value;
    }
  }

  private final HashMap<Row, Weight> weights;

  public ZSet() {
    this.weights = new HashMap<>();
  }

  /** An empty Z-set sized for about {@code expectedRows} rows without rehashing. */
  public ZSet(int expectedRows) {
    // Small buckets (e.g. a join index entry per key) must stay small, so no minimum capacity.
    this.weights = new HashMap<>((int) (expectedRows / 0.75f) + 1);
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
    if (weight == 0) {
      return;
    }
    Weight w = weights.get(row);
    if (w == null) {
      weights.put(row, new Weight(weight));
    } else {
      long sum = Math.addExact(w.value, weight);
      if (sum == 0) {
        weights.remove(row);
      } else {
        w.value = sum;
      }
    }
  }

  /** Adds every row of {@code other} (Z-set addition); {@code other} is not changed. */
  public void addAll(ZSet other) {
    if (other == this) {
      other = other.copy();
    }
    for (Map.Entry<Row, Weight> e : other.weights.entrySet()) {
      add(e.getKey(), e.getValue().value);
    }
  }

  /** A new Z-set with every weight negated. */
  public ZSet negate() {
    ZSet z = new ZSet(weights.size());
    for (Map.Entry<Row, Weight> e : weights.entrySet()) {
      z.weights.put(e.getKey(), new Weight(-e.getValue().value));
    }
    return z;
  }

  /** An independent copy. */
  public ZSet copy() {
    ZSet z = new ZSet(weights.size());
    for (Map.Entry<Row, Weight> e : weights.entrySet()) {
      z.weights.put(e.getKey(), new Weight(e.getValue().value));
    }
    return z;
  }

  /** The weight of {@code row}, 0 if absent. */
  public long weight(Row row) {
    Weight w = weights.get(row);
    return w == null ? 0 : w.value;
  }

  /** Number of distinct rows (with non-zero weight). */
  public int size() {
    return weights.size();
  }

  public boolean isEmpty() {
    return weights.isEmpty();
  }

  /** Calls {@code action} once per distinct row with its (non-zero) weight. */
  public void forEach(ObjLongConsumer<Row> action) {
    for (Map.Entry<Row, Weight> e : weights.entrySet()) {
      action.accept(e.getKey(), e.getValue().value);
    }
  }

  /** True when every weight is positive, i.e. this Z-set is an ordinary multiset (bag). */
  public boolean isPositive() {
    for (Weight w : weights.values()) {
      if (w.value < 0) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof ZSet other) || other.weights.size() != weights.size()) {
      return false;
    }
    for (Map.Entry<Row, Weight> e : weights.entrySet()) {
      if (other.weight(e.getKey()) != e.getValue().value) {
        return false;
      }
    }
    return true;
  }

  @Override
  public int hashCode() {
    int h = 0;
    for (Map.Entry<Row, Weight> e : weights.entrySet()) {
      h += e.getKey().hashCode() ^ Long.hashCode(e.getValue().value);
    }
    return h;
  }

  /** Rows sorted by their text, each with its weight; deterministic so that test failures are readable. */
  @Override
  public String toString() {
    List<String> lines = new ArrayList<>(weights.size());
    for (Map.Entry<Row, Weight> e : weights.entrySet()) {
      long w = e.getValue().value;
      lines.add(e.getKey() + (w > 0 ? " +" : " ") + w);
    }
    lines.sort(Comparator.naturalOrder());
    return "{" + String.join(", ", lines) + "}";
  }
}
