package io.deltaview.engine.expr;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * How PostgreSQL changes the case of text under a libc ctype: what {@code upper}, {@code lower}, {@code ILIKE}
 * and case-insensitive regular expressions ({@code ~*}, {@code !~*}, {@code regexp_replace(…, 'i')}) do. Each
 * character is mapped on its own to one character (towupper/towlower): {@code upper('ß')} is {@code ß}, not
 * Java's {@code SS}, and {@code lower('Σ')} is {@code σ} at the end of a word too.
 */
public final class TextCase {

  /** The {@code C} and {@code POSIX} ctypes: only the ASCII letters have another case. */
  public static final TextCase ASCII = new TextCase(true, Map.of(), Map.of());

  /**
   * The {@code C.UTF-8} ctype as Java's {@link Character#toUpperCase(int)} and {@link Character#toLowerCase(int)}
   * give Unicode's simple case mappings; {@link #unicode} corrects it where the server's C library differs.
   */
  public static final TextCase UNICODE = new TextCase(false, Map.of(), Map.of());

  private final boolean ascii;
  private final Map<Integer, Integer> upperExceptions;
  private final Map<Integer, Integer> lowerExceptions;

  private TextCase(boolean ascii, Map<Integer, Integer> upperExceptions, Map<Integer, Integer> lowerExceptions) {
    this.ascii = ascii;
    this.upperExceptions = Map.copyOf(upperExceptions);
    this.lowerExceptions = Map.copyOf(lowerExceptions);
  }

  /**
   * Unicode's simple case mappings with the server's own where they differ from Java's: a C library and a JVM
   * of different Unicode versions disagree on letters one of them does not know yet (glibc 2.36 maps the
   * Vithkuqi letters of Unicode 14, Java 17's Unicode 13 tables do not).
   */
  public static TextCase unicode(Map<Integer, Integer> upperExceptions, Map<Integer, Integer> lowerExceptions) {
    return upperExceptions.isEmpty() && lowerExceptions.isEmpty() ? UNICODE
        : new TextCase(false, upperExceptions, lowerExceptions);
  }

  /**
   * The code points whose case mappings to ask the server about for {@link #unicode}: those Java's tables
   * change, and those they do not know (unassigned to Java) in the planes that hold cased scripts, the basic
   * and the supplementary multilingual ones. Elsewhere, no Unicode version has cased letters.
   */
  public static int[] unicodeProbe() {
    List<Integer> out = new ArrayList<>();
    for (int c = 1; c < 0x20000; c++) {
      if (c >= Character.MIN_SURROGATE && c <= Character.MAX_SURROGATE) {
        continue;
      }
      if (Character.getType(c) == Character.UNASSIGNED || Character.toUpperCase(c) != c
          || Character.toLowerCase(c) != c) {
        out.add(c);
      }
    }
    return out.stream().mapToInt(Integer::intValue).toArray();
  }

  /** The upper case of one code point. */
  public int upper(int c) {
    if (ascii) {
      return c >= 'a' && c <= 'z' ? c - ('a' - 'A') : c;
    }
    Integer exception = upperExceptions.get(c);
    return exception != null ? exception : Character.toUpperCase(c);
  }

  /** The lower case of one code point. */
  public int lower(int c) {
    if (ascii) {
      return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c;
    }
    Integer exception = lowerExceptions.get(c);
    return exception != null ? exception : Character.toLowerCase(c);
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

  @Override
  public String toString() {
    return ascii ? "ASCII" : "UNICODE" + (upperExceptions.isEmpty() && lowerExceptions.isEmpty() ? ""
        : " with " + (upperExceptions.size() + lowerExceptions.size()) + " exceptions");
  }
}
