package io.deltaview.rewriter.sql;

import java.util.Locale;
import java.util.Set;

/**
 * Rewrites PostgreSQL's {@code operand::type} into {@code CAST(operand AS type)} before parsing.
 *
 * <p>Calcite's Babel parser gives {@code ::} a lower precedence than PostgreSQL does, so
 * {@code a || b::text} parses as {@code (a || b)::text} and {@code x = 1 AND y::int > 2} fails. In
 * PostgreSQL {@code ::} binds tighter than every binary operator, so its operand is always a primary
 * expression: a (qualified, possibly quoted) name, a literal, a parenthesised expression or a function call.
 * Strings, quoted identifiers and comments are skipped. If an operand or type cannot be delimited, the text
 * is left as it was (the parser then reports an error or Calcite's reading applies).
 */
final class InfixCasts {
  private InfixCasts() {}

  /** Words that continue a multi-word type name. */
  private static final Set<String> TYPE_CONTINUATIONS =
      Set.of("precision", "varying", "with", "without", "time", "zone");

  static String rewrite(String sql) {
    String current = sql;
    for (int guard = 0; guard < 1000; guard++) {
      int at = findCast(current);
      if (at < 0) {
        return current;
      }
      int start = operandStart(current, at);
      int end = typeEnd(current, at + 2);
      if (start < 0 || end < 0) {
        return current;
      }
      String operand = current.substring(start, at).trim();
      String type = current.substring(at + 2, end).trim();
      current = current.substring(0, start) + "CAST(" + operand + " AS " + type + ")" + current.substring(end);
    }
    return current;
  }

  /** Position of the first {@code ::} outside literals, quoted identifiers and comments, or -1. */
  private static int findCast(String s) {
    int i = 0;
    while (i < s.length()) {
      char c = s.charAt(i);
      if (c == '\'' || c == '"') {
        i = skipQuoted(s, i, c);
      } else if (c == '-' && i + 1 < s.length() && s.charAt(i + 1) == '-') {
        int nl = s.indexOf('\n', i);
        i = nl < 0 ? s.length() : nl + 1;
      } else if (c == '/' && i + 1 < s.length() && s.charAt(i + 1) == '*') {
        int close = s.indexOf("*/", i + 2);
        i = close < 0 ? s.length() : close + 2;
      } else if (c == ':' && i + 1 < s.length() && s.charAt(i + 1) == ':') {
        return i;
      } else {
        i++;
      }
    }
    return -1;
  }

  private static int skipQuoted(String s, int open, char quote) {
    int i = open + 1;
    while (i < s.length()) {
      if (s.charAt(i) == quote) {
        if (i + 1 < s.length() && s.charAt(i + 1) == quote) {
          i += 2;
          continue;
        }
        return i + 1;
      }
      i++;
    }
    return s.length();
  }

  /** Start of the primary expression ending just before {@code end}, or -1. */
  private static int operandStart(String s, int end) {
    int i = end - 1;
    while (i >= 0 && Character.isWhitespace(s.charAt(i))) {
      i--;
    }
    if (i < 0) {
      return -1;
    }
    char c = s.charAt(i);
    int start;
    if (c == ')') {
      int depth = 0;
      int j = i;
      for (; j >= 0; j--) {
        char d = s.charAt(j);
        if (d == '\'' || d == '"') {
          j = quotedStart(s, j, d);
          if (j < 0) {
            return -1;
          }
        } else if (d == ')') {
          depth++;
        } else if (d == '(') {
          depth--;
          if (depth == 0) {
            break;
          }
        }
      }
      if (j < 0) {
        return -1;
      }
      start = j;
      // A function name (possibly qualified) right before the parenthesis belongs to the operand.
      int k = start - 1;
      while (k >= 0 && Character.isWhitespace(s.charAt(k))) {
        k--;
      }
      int nameStart = nameStart(s, k);
      if (nameStart >= 0 && !isKeyword(s.substring(nameStart, k + 1))) {
        start = nameStart;
      }
      return start;
    }
    if (c == '\'') {
      return quotedStart(s, i, '\'');
    }
    if (c == '?') {
      return i; // a JDBC parameter
    }
    return nameStart(s, i);
  }

  /** Start of a (qualified, possibly quoted) name or number ending at {@code end}, or -1. */
  private static int nameStart(String s, int end) {
    int i = end;
    int start = -1;
    while (i >= 0) {
      char c = s.charAt(i);
      if (c == '"') {
        int q = quotedStart(s, i, '"');
        if (q < 0) {
          return -1;
        }
        start = q;
        i = q - 1;
      } else if (Character.isLetterOrDigit(c) || c == '_' || c == '$') {
        start = i;
        i--;
      } else {
        break;
      }
      if (i >= 0 && s.charAt(i) == '.') {
        i--;
        continue;
      }
      if (i >= 0 && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_' || s.charAt(i) == '$')) {
        continue;
      }
      break;
    }
    return start;
  }

  /** Opening quote of the quoted token whose closing quote is at {@code close}, or -1. */
  private static int quotedStart(String s, int close, char quote) {
    int i = close - 1;
    while (i >= 0) {
      if (s.charAt(i) == quote) {
        if (i - 1 >= 0 && s.charAt(i - 1) == quote) {
          i -= 2;
          continue;
        }
        return i;
      }
      i--;
    }
    return -1;
  }

  private static boolean isKeyword(String word) {
    return Set.of("and", "or", "not", "in", "select", "where", "on", "by", "having", "when", "then", "else",
        "exists", "any", "all", "some", "as", "is", "like", "ilike", "between", "from", "join", "values",
        "using", "over", "filter", "case", "distinct", "limit", "offset", "group", "order", "array")
        .contains(word.toLowerCase(Locale.ROOT));
  }

  /** End (exclusive) of the type name starting at {@code from}, or -1. */
  private static int typeEnd(String s, int from) {
    int i = skipSpace(s, from);
    int wordEnd = wordEnd(s, i);
    if (wordEnd == i) {
      return -1;
    }
    int end = wordEnd;
    while (true) {
      int j = skipSpace(s, end);
      if (j < s.length() && s.charAt(j) == '(') {
        int close = s.indexOf(')', j);
        if (close < 0) {
          return -1;
        }
        end = close + 1;
        continue;
      }
      if (j + 1 < s.length() && s.charAt(j) == '[' && s.charAt(j + 1) == ']') {
        end = j + 2;
        continue;
      }
      int w = wordEnd(s, j);
      if (w > j && TYPE_CONTINUATIONS.contains(s.substring(j, w).toLowerCase(Locale.ROOT))) {
        end = w;
        continue;
      }
      return end;
    }
  }

  private static int skipSpace(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  private static int wordEnd(String s, int i) {
    if (i < s.length() && s.charAt(i) == '"') {
      return skipQuoted(s, i, '"');
    }
    while (i < s.length() && (Character.isLetterOrDigit(s.charAt(i)) || s.charAt(i) == '_'
        || s.charAt(i) == '.')) {
      i++;
    }
    return i;
  }
}
