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
    return mixHash(h, v == null ? 0 : v.hashCode());
  }

  private static int mixHash(int h, int x) {
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
   * The hash {@code project(columns)} has under SQL's equality, without building that row (a group lookup then
   * allocates nothing): numerics equal in value ({@code 1.0}, {@code 1.00}) and the float zeros ({@code 0},
   * {@code -0}) are one value, as grouping, DISTINCT and window partitions compare keys. Rows themselves stay
   * exact: a Z-set keeps {@code 1.0} and {@code 1.00} apart, as PostgreSQL prints them apart.
   */
  public int sqlHashOf(int[] columns) {
    int h = columns.length;
    for (int c : columns) {
      h = mixHash(h, sqlHashCode(values[c]));
    }
    return finish(h);
  }

  /** {@link #sqlHashOf} of all the columns. */
  public int sqlHash() {
    int h = values.length;
    for (Object v : values) {
      h = mixHash(h, sqlHashCode(v));
    }
    return finish(h);
  }

  /**
   * A hash alike for SQL-equal values: a numeric hashes as its double value (equal numerics convert to the same
   * double, so no scale is stripped), a float with -0 made 0 (-0.0 + 0.0 is 0.0).
   */
  private static int sqlHashCode(Object v) {
    if (v instanceof java.math.BigDecimal d) {
      return Double.hashCode(d.doubleValue() + 0.0);
    }
    if (v instanceof Double d) {
      return Double.hashCode(d + 0.0);
    }
    return v == null ? 0 : v.hashCode();
  }

  /** How {@code project(columns)} compares with {@code projected} under SQL's equality: see {@link #sqlHashOf}. */
  public enum KeyMatch {
    /** Not equal. */
    DIFFERENT,
    /** Equal value for value, as stored. */
    SAME,
    /** Equal in SQL, but some value is spelled otherwise ({@code 1.0} against {@code 1.00}, {@code -0} against 0). */
    SPELLED_OTHERWISE
  }

  /**
   * {@code project(columns)} with every value in one spelling per SQL value (a numeric without trailing zeros, 0
   * for -0): a map key under SQL's equality, for keys that are never output, such as window partitions.
   */
  public Row sqlKey(int[] columns) {
    Object[] out = new Object[columns.length];
    for (int i = 0; i < columns.length; i++) {
      out[i] = sqlSpelling(values[columns[i]]);
    }
    return wrap(out);
  }

  /** {@link #sqlKey(int[])} of the whole row: this row itself when it holds no numeric or float value. */
  public Row sqlKey() {
    for (Object v : values) {
      if (v instanceof java.math.BigDecimal || v instanceof Double) {
        Object[] out = new Object[values.length];
        for (int i = 0; i < out.length; i++) {
          out[i] = sqlSpelling(values[i]);
        }
        return wrap(out);
      }
    }
    return this;
  }

  /** The one spelling of {@code v}'s SQL value: a numeric without trailing zeros, 0 for -0. */
  private static Object sqlSpelling(Object v) {
    if (v instanceof java.math.BigDecimal d) {
      return d.signum() == 0 ? java.math.BigDecimal.ZERO : d.stripTrailingZeros();
    }
    if (v instanceof Double d && d == 0.0) {
      return 0.0d;
    }
    return v;
  }

  /** {@link KeyMatch} of {@code project(columns)} against {@code projected}, without building that row. */
  public KeyMatch matchSql(int[] columns, Row projected) {
    if (projected.values.length != columns.length) {
      return KeyMatch.DIFFERENT;
    }
    KeyMatch match = KeyMatch.SAME;
    for (int i = 0; i < columns.length; i++) {
      Object a = values[columns[i]];
      Object b = projected.values[i];
      if (Objects.equals(a, b)) {
        continue;
      }
      if (a instanceof java.math.BigDecimal x && b instanceof java.math.BigDecimal y && x.compareTo(y) == 0
          || a instanceof Double x2 && b instanceof Double y2 && x2.doubleValue() == y2.doubleValue()) {
        match = KeyMatch.SPELLED_OTHERWISE;
      } else {
        return KeyMatch.DIFFERENT;
      }
    }
    return match;
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
