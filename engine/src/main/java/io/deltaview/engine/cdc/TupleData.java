package io.deltaview.engine.cdc;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * The column values of one row as pgoutput sent them: per column a kind ({@code 'n'} null,
 * {@code 'u'} unchanged TOASTed value that was not sent, {@code 't'} text, {@code 'b'} binary) and the value.
 *
 * <p>Values stay in PostgreSQL's text form; turning them into canonical values needs the column types,
 * which is the engine's business. An unchanged-TOAST column is <em>not</em> NULL: its value is unknown
 * here and must come from elsewhere (see {@link ToastResolver}).
 */
public final class TupleData {

  public static final char NULL = 'n';
  public static final char UNCHANGED_TOAST = 'u';
  public static final char TEXT = 't';
  public static final char BINARY = 'b';

  private final char[] kinds;
  /** Raw bytes of {@code 't'} and {@code 'b'} columns, {@code null} for the others. Never exposed. */
  private final byte[][] raw;
  /**
   * Texts decoded lazily and cached, the cache allocated on first use: most consumers read each text column
   * once, some never (filtered tables), and numbers are parsed from the bytes without one.
   */
  private String[] text;
  private final boolean unchangedToast;

  private TupleData(char[] kinds, byte[][] raw) {
    this.kinds = kinds;
    this.raw = raw;
    boolean u = false;
    for (char k : kinds) {
      u |= k == UNCHANGED_TOAST;
    }
    this.unchangedToast = u;
  }

  /** Takes ownership of both arrays; only the decoder and {@link #builder(int)} call this. */
  static TupleData wrap(char[] kinds, byte[][] raw) {
    for (int i = 0; i < kinds.length; i++) {
      char k = kinds[i];
      boolean hasValue = k == TEXT || k == BINARY;
      if (k != NULL && k != UNCHANGED_TOAST && !hasValue) {
        throw new IllegalArgumentException("unknown tuple column kind '" + k + "' at column " + i);
      }
      if (hasValue != (raw[i] != null)) {
        throw new IllegalArgumentException("column " + i + " of kind '" + k + "' "
            + (hasValue ? "lacks" : "must not have") + " a value");
      }
    }
    return new TupleData(kinds, raw);
  }

  /** A builder for tuples made by hand (tests, tools). */
  public static Builder builder(int size) {
    return new Builder(size);
  }

  public int size() {
    return kinds.length;
  }

  /** The kind byte of column {@code i}: one of {@code 'n'}, {@code 'u'}, {@code 't'}, {@code 'b'}. */
  public char kind(int i) {
    return kinds[i];
  }

  public boolean isNull(int i) {
    return kinds[i] == NULL;
  }

  public boolean isUnchangedToast(int i) {
    return kinds[i] == UNCHANGED_TOAST;
  }

  /** Whether any column is an unchanged TOAST value (most tuples have none, and need no resolving). */
  public boolean hasUnchangedToast() {
    return unchangedToast;
  }

  /**
   * The text value of column {@code i}, {@code null} for SQL NULL.
   *
   * @throws IllegalStateException for an unchanged-TOAST column (its value was not sent, and it is not
   *     NULL) or a binary column
   */
  public String text(int i) {
    switch (kinds[i]) {
      case NULL:
        return null;
      case TEXT:
        String[] texts = text;
        if (texts == null) {
          texts = new String[kinds.length];
          text = texts;
        }
        String s = texts[i];
        if (s == null) {
          // Benign race: two threads may both decode (or both allocate the cache); the results are equal strings.
          s = new String(raw[i], StandardCharsets.UTF_8);
          texts[i] = s;
        }
        return s;
      case UNCHANGED_TOAST:
        throw new IllegalStateException("column " + i + " is an unchanged TOASTed value; its text was not sent");
      default:
        throw new IllegalStateException("column " + i + " is in binary format, not text");
    }
  }

  /**
   * A text column holding a whole number (the output of int2, int4 or int8), parsed straight from the bytes
   * received rather than through a String: integer columns, join keys mostly, are the commonest kind.
   *
   * @throws NumberFormatException if the text is not an optionally signed run of decimal digits in range
   */
  public long longValue(int i) {
    if (kinds[i] != TEXT) {
      throw new IllegalStateException("column " + i + " is of kind '" + kinds[i] + "', not text");
    }
    byte[] b = raw[i];
    boolean negative = b.length > 0 && b[0] == '-';
    int start = negative ? 1 : 0;
    if (b.length == start || b.length - start > 18) {
      return Long.parseLong(text(i)); // empty, or 19+ digits that may not fit: the JDK decides and words the error
    }
    long value = 0; // at most 18 digits: cannot overflow
    for (int k = start; k < b.length; k++) {
      int digit = b[k] - '0';
      if (digit < 0 || digit > 9) {
        return Long.parseLong(text(i)); // not a plain number: the JDK's error names the text
      }
      value = value * 10 + digit;
    }
    return negative ? -value : value;
  }

  /**
   * A text column holding a plain decimal ({@code numeric} output such as {@code -12.50}) of at most 18
   * digits, parsed from the bytes received with the scale as printed; {@code null} for anything else (more
   * digits, {@code NaN}, or text that is not a number), which the caller parses from {@link #text}.
   */
  public BigDecimal decimalValue(int i) {
    if (kinds[i] != TEXT) {
      return null;
    }
    byte[] b = raw[i];
    int k = b.length > 0 && b[0] == '-' ? 1 : 0;
    int digitsStart = k;
    long unscaled = 0;
    int digits = 0;
    int scale = -1;
    for (; k < b.length; k++) {
      int c = b[k];
      if (c == '.' && scale < 0 && k > digitsStart) {
        scale = 0;
        continue;
      }
      int digit = c - '0';
      if (digit < 0 || digit > 9 || ++digits > 18) {
        return null;
      }
      unscaled = unscaled * 10 + digit;
      if (scale >= 0) {
        scale++;
      }
    }
    if (digits == 0 || scale == 0) {
      return null; // "", "-", "1." are not what numeric prints
    }
    return BigDecimal.valueOf(digitsStart == 1 ? -unscaled : unscaled, Math.max(scale, 0));
  }

  /** A copy of the bytes of a binary ({@code 'b'}) column. */
  public byte[] binary(int i) {
    if (kinds[i] != BINARY) {
      throw new IllegalStateException("column " + i + " is of kind '" + kinds[i] + "', not binary");
    }
    return raw[i].clone();
  }

  @Override
  public boolean equals(Object o) {
    return this == o || (o instanceof TupleData t && Arrays.equals(kinds, t.kinds) && Arrays.deepEquals(raw, t.raw));
  }

  @Override
  public int hashCode() {
    return 31 * Arrays.hashCode(kinds) + Arrays.deepHashCode(raw);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < kinds.length; i++) {
      if (i > 0) {
        sb.append(", ");
      }
      switch (kinds[i]) {
        case NULL -> sb.append("NULL");
        case UNCHANGED_TOAST -> sb.append("<unchanged toast>");
        case TEXT -> {
          String s = text(i);
          sb.append('\'').append(s.length() > 40 ? s.substring(0, 40) + "...(" + s.length() + " chars)" : s)
              .append('\'');
        }
        default -> sb.append("<binary ").append(raw[i].length).append(" bytes>");
      }
    }
    return sb.append(')').toString();
  }

  /** Builds a {@link TupleData} column by column. */
  public static final class Builder {
    private final char[] kinds;
    private final byte[][] raw;
    private int next;

    private Builder(int size) {
      kinds = new char[size];
      raw = new byte[size][];
    }

    public Builder text(String value) {
      if (value == null) {
        return nul();
      }
      kinds[next] = TEXT;
      raw[next++] = value.getBytes(StandardCharsets.UTF_8);
      return this;
    }

    public Builder nul() {
      kinds[next++] = NULL;
      return this;
    }

    public Builder unchangedToast() {
      kinds[next++] = UNCHANGED_TOAST;
      return this;
    }

    public TupleData build() {
      if (next != kinds.length) {
        throw new IllegalStateException("built " + next + " of " + kinds.length + " columns");
      }
      return wrap(kinds.clone(), raw.clone());
    }
  }
}
