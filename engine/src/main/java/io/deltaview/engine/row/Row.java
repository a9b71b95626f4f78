package io.deltaview.engine.row;

import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable tuple of column values in Deltaview's canonical Java representation (see {@link Values}).
 *
 * <p>Rows are the elements of Z-sets, so equality and hashing are by value. The hash is computed on first use
 * and kept (as {@link String} does): many rows, such as joined rows a projection narrows at once, are never
 * hashed at all.
 */
public final class Row {

  public static final Row EMPTY = new Row(new Object[0]);

  private final Object[] values;
  /** 0 until computed; a racy single-check like String's, safe because every thread computes the same value. */
  private int hash;

  private Row(Object[] values) {
    this.values = values;
  }

  /**
   * Mixes each value's hash before combining. {@code Arrays.hashCode}'s {@code 31 * h + v} is linear, and so
   * are the hashes of typical key values ({@code LocalDate} keeps the month in bits 6–9, small
   * {@code BigDecimal}s hash to {@code 31 * unscaled + scale}), so rows such as (region, month, amount)
   * collided on the full 32-bit hash and formed long chains in every Z-set and group map.
   */
  private static int hash(Object[] values) {
    int h = values.length;
    for (Object v : values) {
      h = mix(h, v);
    }
    return finish(h);
  }

  private static int mix(int h, Object v) {
    int x = v == null ? 0 : v.hashCode();
    x *= 0x9E3779B9; // golden-ratio multiply, then fold the high bits down (as HashMap's spread does)
    x ^= x >>> 15;
    h = Integer.rotateLeft(h, 5) ^ x;
    return h * 0x85EBCA6B;
  }

  private static int finish(int h) {
    h ^= h >>> 16;
    return h == 0 ? 1 : h; // 0 means "not computed"
  }

  /**
   * The hash {@code project(columns)} has, without building that row: a group or key lookup on a few of a
   * row's columns then allocates nothing.
   */
  public int hashOf(int[] columns) {
    int h = columns.length;
    for (int c : columns) {
      h = mix(h, values[c]);
    }
    return finish(h);
  }

  /** Whether {@code project(columns)} equals {@code projected}, without building that row. */
  public boolean columnsEqual(int[] columns, Row projected) {
    if (projected.values.length != columns.length) {
      return false;
    }
    for (int i = 0; i < columns.length; i++) {
      if (!Objects.equals(values[columns[i]], projected.values[i])) {
        return false;
      }
    }
    return true;
  }

  /** Wraps {@code values} without copying: the caller hands over ownership of the array. */
  public static Row wrap(Object[] values) {
    return values.length == 0 ? EMPTY : new Row(values);
  }

  public static Row of(Object... values) {
    return wrap(values.clone());
  }

  public int size() {
    return values.length;
  }

  public Object get(int index) {
    return values[index];
  }

  /** A new row holding the columns at {@code indexes}, in that order. */
  public Row project(int[] indexes) {
    Object[] out = new Object[indexes.length];
    for (int i = 0; i < indexes.length; i++) {
      out[i] = values[indexes[i]];
    }
    return wrap(out);
  }

  /** This row's columns followed by {@code other}'s. */
  public Row concat(Row other) {
    Object[] out = Arrays.copyOf(values, values.length + other.values.length);
    System.arraycopy(other.values, 0, out, values.length, other.values.length);
    return wrap(out);
  }

  /** Copies the values into {@code dest} from position {@code offset} on. */
  public void copyInto(Object[] dest, int offset) {
    System.arraycopy(values, 0, dest, offset, values.length);
  }

  /** A copy of the values; the row itself stays immutable. */
  public Object[] toArray() {
    return values.clone();
  }

  @Override
  public boolean equals(Object o) {
    return this == o || (o instanceof Row r && hashCode() == r.hashCode() && Arrays.equals(values, r.values));
  }

  @Override
  public int hashCode() {
    int h = hash;
    if (h == 0) {
      h = hash(values);
      hash = h;
    }
    return h;
  }

  @Override
  public String toString() {
    return Arrays.toString(values);
  }
}
