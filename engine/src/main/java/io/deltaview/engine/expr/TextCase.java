package io.deltaview.engine.expr;

/**
 * How PostgreSQL changes the case of text under a libc ctype: what {@code upper}, {@code lower}, {@code ILIKE}
 * and case-insensitive regular expressions ({@code ~*}, {@code !~*}, {@code regexp_replace(…, 'i')}) do. Each
 * character is mapped on its own to one character (towupper/towlower): {@code upper('ß')} is {@code ß}, not
 * Java's {@code SS}, and {@code lower('Σ')} is {@code σ} at the end of a word too.
 */
public enum TextCase {
  /** The {@code C} and {@code POSIX} ctypes: only the ASCII letters have another case. */
  ASCII,
  /**
   * The {@code C.UTF-8} ctype: Unicode's simple case mappings, as Java's {@link Character#toUpperCase(int)} and
   * {@link Character#toLowerCase(int)} give them.
   */
  UNICODE;

  /** The upper case of one code point. */
  public int upper(int c) {
    if (this == ASCII) {
      return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
    }
    return Character.toUpperCase(c);
  }

  /** The lower case of one code point. */
  public int lower(int c) {
    if (this == ASCII) {
      return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }
    return Character.toLowerCase(c);
  }

  /** PostgreSQL's {@code upper(s)}. */
  public String upper(String s) {
    return map(s, true);
  }

  /** PostgreSQL's {@code lower(s)}. */
  public String lower(String s) {
    return map(s, false);
  }

  private String map(String s, boolean up) {
    StringBuilder out = null;
    for (int i = 0; i < s.length(); ) {
      int c = s.codePointAt(i);
      int m = up ? upper(c) : lower(c);
      if (m != c && out == null) {
        out = new StringBuilder(s.length()).append(s, 0, i);
      }
      if (out != null) {
        out.appendCodePoint(m);
      }
      i += Character.charCount(c);
    }
    return out == null ? s : out.toString();
  }
}
