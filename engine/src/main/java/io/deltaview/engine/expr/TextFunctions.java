package io.deltaview.engine.expr;

import io.deltaview.sql.SqlStates;

/**
 * PostgreSQL's text functions that count in characters (code points, as PostgreSQL does in a UTF-8
 * database): {@code left}, {@code right}, {@code split_part}, {@code strpos}, {@code concat_ws}, and the
 * trim family. Arguments are non-null unless said otherwise.
 */
final class TextFunctions {

  private TextFunctions() {
  }

  private static int length(String s) {
    return s.codePointCount(0, s.length());
  }

  /** The first {@code n} characters; with negative {@code n}, all but the last {@code |n|}. */
  static String left(String s, long n) {
    int len = length(s);
    long keep = n >= 0 ? Math.min(n, len) : Math.max(len + n, 0);
    return s.substring(0, s.offsetByCodePoints(0, (int) keep));
  }

  /** The last {@code n} characters; with negative {@code n}, all but the first {@code |n|}. */
  static String right(String s, long n) {
    int len = length(s);
    long keep = n >= 0 ? Math.min(n, len) : Math.max(len + n, 0);
    return s.substring(s.offsetByCodePoints(0, (int) (len - keep)));
  }

  /**
   * split_part(s, delimiter, n): the n-th field (1-based; negative n counts from the end, PostgreSQL 14),
   * '' when there is no such field; an empty delimiter makes {@code s} the only field.
   */
  static String splitPart(String s, String delimiter, long n) {
    if (n == 0) {
      throw new EvaluationException(SqlStates.INVALID_PARAMETER_VALUE, "field position must not be zero");
    }
    if (s.isEmpty()) {
      return "";
    }
    if (delimiter.isEmpty()) {
      return n == 1 || n == -1 ? s : "";
    }
    java.util.List<String> fields = new java.util.ArrayList<>();
    int from = 0;
    while (true) {
      int at = s.indexOf(delimiter, from);
      if (at < 0) {
        fields.add(s.substring(from));
        break;
      }
      fields.add(s.substring(from, at));
      from = at + delimiter.length();
    }
    long index = n > 0 ? n - 1 : fields.size() + n;
    return index >= 0 && index < fields.size() ? fields.get((int) index) : "";
  }

  /** strpos(s, sub): the 1-based character position of the first occurrence, 0 if none ('' is at 1). */
  static long strpos(String s, String sub) {
    int i = s.indexOf(sub);
    return i < 0 ? 0L : (long) s.codePointCount(0, i) + 1;
  }

  /** trim/btrim/ltrim/rtrim: the characters of {@code set} removed from the start and/or the end. */
  static String trim(String s, String set, boolean leading, boolean trailing) {
    int b = 0;
    int e = s.length();
    while (leading && b < e && set.indexOf(s.codePointAt(b)) >= 0) {
      b += Character.charCount(s.codePointAt(b));
    }
    while (trailing && e > b && set.indexOf(s.codePointBefore(e)) >= 0) {
      e -= Character.charCount(s.codePointBefore(e));
    }
    return s.substring(b, e);
  }

  /**
   * concat_ws(separator, values...): the non-null values' text joined by the separator; NULL only when the
   * separator is NULL.
   */
  static String concatWs(String separator, Object[] values) {
    StringBuilder sb = new StringBuilder();
    boolean first = true;
    for (Object v : values) {
      if (v == null) {
        continue;
      }
      if (!first) {
        sb.append(separator);
      }
      sb.append(Casts.toText(v));
      first = false;
    }
    return sb.toString();
  }
}
