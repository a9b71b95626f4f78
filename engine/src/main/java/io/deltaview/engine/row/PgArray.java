package io.deltaview.engine.row;

import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A one-dimensional PostgreSQL array value (what {@code array_agg} yields): its elements in order, each a
 * canonical value of the element type (see {@link Values}) or null. Equal when the elements are equal in order.
 */
public final class PgArray {

  private final Object[] elements;

  private PgArray(Object[] elements) {
    this.elements = elements;
  }

  /** An array of {@code elements}, copied. */
  public static PgArray of(List<?> elements) {
    return new PgArray(elements.toArray());
  }

  public List<Object> elements() {
    return Collections.unmodifiableList(Arrays.asList(elements));
  }

  public int size() {
    return elements.length;
  }

  /**
   * The array's text form as PostgreSQL's array input accepts it: every element double-quoted (backslash and
   * double quote escaped), NULL unquoted, so no element text is mistaken for a delimiter or for NULL.
   */
  public String toPgText() {
    StringBuilder b = new StringBuilder(2 + elements.length * 8).append('{');
    for (int i = 0; i < elements.length; i++) {
      if (i > 0) {
        b.append(',');
      }
      String text = Values.toPgText(elements[i]);
      if (text == null) {
        b.append("NULL");
        continue;
      }
      b.append('"');
      for (int c = 0; c < text.length(); c++) {
        char ch = text.charAt(c);
        if (ch == '"' || ch == '\\') {
          b.append('\\');
        }
        b.append(ch);
      }
      b.append('"');
    }
    return b.append('}').toString();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PgArray a && Arrays.equals(elements, a.elements);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(elements);
  }

  @Override
  public String toString() {
    return toPgText();
  }
}
