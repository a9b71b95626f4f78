package io.deltaview.engine.expr;

import io.deltaview.engine.compile.UnsupportedConstructException;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * PostgreSQL's regular-expression match operators ({@code ~ ~* !~ !~*}) and {@code regexp_replace}, run by
 * {@link java.util.regex} after translating the pattern from PostgreSQL's ARE dialect.
 *
 * <p>Only patterns whose meaning is the same in both engines are translated; anything else is refused when
 * the view is created, never evaluated differently. Refused: non-constant patterns, locale-dependent classes
 * ({@code \w}, {@code \s}, {@code [[:alpha:]]}, …), back references, word-boundary escapes, embedded options
 * and directors. For {@code regexp_replace}, where the extent of each match matters, also alternation,
 * quantified groups and non-greedy quantifiers: PostgreSQL picks the longest match (POSIX rules), Java the
 * first its backtracking finds, and the two differ exactly there.
 */
final class RegexFunctions {

  private RegexFunctions() {
  }

  /**
   * Compiles a constant PostgreSQL pattern; {@code forReplace} also refuses what changes match extents. A
   * case-insensitive pattern matches as PostgreSQL's does: each letter of the pattern stands for itself, its
   * upper and its lower case under {@code cases} (the ctype's), and nothing else. Java's own case-insensitive
   * matching differs: it compares both sides' cases, so {@code s} would match {@code ſ} (whose upper case is
   * {@code S}) and, under the C ctype, it could not leave non-ASCII letters alone while folding ASCII ones
   * unless told, so the pattern is expanded instead ({@code a} becomes {@code [aA]}).
   */
  static Pattern compile(String pgPattern, boolean caseInsensitive, boolean forReplace, TextCase cases) {
    String java = translate(pgPattern, forReplace, caseInsensitive ? cases : null);
    int flags = Pattern.DOTALL;
    try {
      return Pattern.compile(java, flags);
    } catch (PatternSyntaxException e) {
      throw unsupported(pgPattern, "it does not compile as a Java regular expression");
    }
  }

  private static UnsupportedConstructException unsupported(String pattern, String why) {
    return new UnsupportedConstructException("regular expression '" + pattern + "' (" + why + ")");
  }

  /** PostgreSQL ARE → java.util.regex, or refusal. */
  static String translate(String p, boolean forReplace) {
    return translate(p, forReplace, null);
  }

  /** PostgreSQL ARE → java.util.regex, letters expanded to their {@code cases} unless null; or refusal. */
  static String translate(String p, boolean forReplace, TextCase cases) {
    if (p.startsWith("***")) {
      throw unsupported(p, "directors");
    }
    StringBuilder out = new StringBuilder();
    int depth = 0;
    int i = 0;
    while (i < p.length()) {
      char c = p.charAt(i);
      switch (c) {
        case '\\': {
          if (i + 1 >= p.length()) {
            throw unsupported(p, "trailing backslash");
          }
          out.append(escape(p, p.charAt(i + 1), false));
          i += 2;
          continue;
        }
        case '[':
          i = bracket(p, i, out, cases);
          continue;
        case '$':
          out.append("\\z"); // PostgreSQL's $ matches only at the very end; Java's also before a final newline
          break;
        case '(':
          if (p.startsWith("(?", i)) {
            String[] allowed = {"(?:", "(?=", "(?!", "(?<=", "(?<!"};
            String found = null;
            for (String a : allowed) {
              if (p.startsWith(a, i)) {
                found = a;
              }
            }
            if (found == null) {
              throw unsupported(p, "embedded options");
            }
            out.append(found);
            i += found.length();
            depth++;
            continue;
          }
          depth++;
          out.append(c);
          break;
        case ')':
          depth--;
          out.append(c);
          if (forReplace && i + 1 < p.length() && "*+?{".indexOf(p.charAt(i + 1)) >= 0) {
            throw unsupported(p, "a quantified group, whose longest match PostgreSQL prefers");
          }
          break;
        case '|':
          if (forReplace) {
            throw unsupported(p, "alternation, whose longest match PostgreSQL prefers");
          }
          out.append(c);
          break;
        case '*':
        case '+':
        case '?':
          out.append(c);
          if (i + 1 < p.length() && p.charAt(i + 1) == '?') {
            if (forReplace) {
              throw unsupported(p, "a non-greedy quantifier");
            }
            out.append('?');
            i++;
          }
          refuseStackedQuantifier(p, i + 1);
          break;
        case '{': {
          int close = p.indexOf('}', i);
          if (close < 0 || !p.substring(i + 1, close).matches("\\d+(,\\d*)?")) {
            throw unsupported(p, "a '{' that is not a bound");
          }
          out.append(p, i, close + 1);
          i = close;
          if (i + 1 < p.length() && p.charAt(i + 1) == '?') {
            if (forReplace) {
              throw unsupported(p, "a non-greedy quantifier");
            }
            out.append('?');
            i++;
          }
          refuseStackedQuantifier(p, i + 1);
          break;
        }
        default: {
          int cp = p.codePointAt(i);
          if (cases != null && (cases.lower(cp) != cp || cases.upper(cp) != cp)) {
            out.append('[');
            appendCases(out, cp, cases);
            out.append(']');
          } else {
            out.appendCodePoint(cp);
          }
          i += Character.charCount(cp);
          continue;
        }
      }
      i++;
    }
    if (depth != 0) {
      throw unsupported(p, "unbalanced parentheses");
    }
    return out.toString();
  }

  /**
   * A quantifier right after a quantifier ({@code a*+}, {@code a?*}) is an error to PostgreSQL but a
   * possessive or nested quantifier to Java.
   */
  private static void refuseStackedQuantifier(String p, int next) {
    if (next < p.length() && "*+?{".indexOf(p.charAt(next)) >= 0) {
      throw unsupported(p, "a quantifier after a quantifier");
    }
  }

  /** The Java form of PostgreSQL's escape {@code \x}. */
  private static String escape(String p, char x, boolean inBracket) {
    switch (x) {
      case 'd':
        return inBracket ? "0-9" : "[0-9]";
      case 'D':
        if (inBracket) {
          throw unsupported(p, "\\D inside brackets");
        }
        return "[^0-9]";
      case 'n':
        return "\\n";
      case 't':
        return "\\t";
      case 'r':
        return "\\r";
      default:
        if (Character.isLetterOrDigit(x)) {
          throw unsupported(p, "escape \\" + x);
        }
        return "\\" + x; // an escaped punctuation character is itself in both dialects
    }
  }

  /** Appends {@code c}, its lower and its upper case (each once), for use inside a Java character class. */
  private static void appendCases(StringBuilder out, int c, TextCase cases) {
    out.appendCodePoint(c);
    int lower = cases.lower(c);
    int upper = cases.upper(c);
    if (lower != c) {
      out.appendCodePoint(lower);
    }
    if (upper != c && upper != lower) {
      out.appendCodePoint(upper);
    }
  }

  /**
   * Copies a bracket expression starting at {@code p[start] == '['}; returns the index after it. With {@code
   * cases}, each character and each character of a range also brings its lower and upper case, as in PostgreSQL.
   */
  private static int bracket(String p, int start, StringBuilder out, TextCase cases) {
    int i = start + 1;
    out.append('[');
    if (i < p.length() && p.charAt(i) == '^') {
      out.append('^');
      i++;
    }
    boolean first = true;
    while (i < p.length()) {
      char c = p.charAt(i);
      if (c == ']' && !first) {
        out.append(']');
        return i + 1;
      }
      first = false;
      if (c == '[' && i + 1 < p.length() && (p.charAt(i + 1) == ':' || p.charAt(i + 1) == '.'
          || p.charAt(i + 1) == '=')) {
        if (p.startsWith("[:digit:]", i)) {
          out.append("0-9");
          i += "[:digit:]".length();
          continue;
        }
        throw unsupported(p, "a locale-dependent character class");
      }
      if (c == '\\') {
        if (i + 1 >= p.length()) {
          throw unsupported(p, "trailing backslash");
        }
        if (cases != null && i + 3 < p.length() && p.charAt(i + 2) == '-' && p.charAt(i + 3) != ']') {
          throw unsupported(p, "a range from an escape in a case-insensitive bracket expression");
        }
        out.append(escape(p, p.charAt(i + 1), true));
        i += 2;
        continue;
      }
      int cp = p.codePointAt(i);
      int next = i + Character.charCount(cp);
      if (cases != null && next + 1 < p.length() && p.charAt(next) == '-' && p.charAt(next + 1) != ']'
          && p.charAt(next + 1) != '\\' && p.charAt(next + 1) != '[') {
        int hi = p.codePointAt(next + 1);
        appendBracketChar(out, cp);
        out.append('-');
        appendBracketChar(out, hi);
        for (int r = cp; r <= hi; r++) {
          for (int variant : new int[] {cases.lower(r), cases.upper(r)}) {
            if (variant < cp || variant > hi) {
              appendBracketChar(out, variant);
            }
          }
        }
        i = next + 1 + Character.charCount(hi);
        continue;
      }
      if (cases != null && (cases.lower(cp) != cp || cases.upper(cp) != cp)) {
        appendCases(out, cp, cases);
      } else {
        appendBracketChar(out, cp);
      }
      i = next;
    }
    throw unsupported(p, "an unterminated bracket expression");
  }

  /** One character inside a Java character class. */
  private static void appendBracketChar(StringBuilder out, int c) {
    if (c == '[' || c == '&' || c == ']') {
      out.append('\\'); // literal inside a PostgreSQL bracket, special to Java
    }
    out.appendCodePoint(c);
  }

  /**
   * regexp_replace's flags: {@code g} (every match), {@code i} (case-insensitive), {@code c} (case-sensitive,
   * the default); others are refused. Returns {global, caseInsensitive}.
   */
  static boolean[] flags(String flags) {
    boolean global = false;
    boolean insensitive = false;
    for (char f : flags.toCharArray()) {
      switch (f) {
        case 'g' -> global = true;
        case 'i' -> insensitive = true;
        case 'c' -> insensitive = false;
        default -> throw new UnsupportedConstructException("regexp_replace flag '" + f + "'");
      }
    }
    return new boolean[] {global, insensitive};
  }

  /**
   * Replaces the first (or every) match; in the replacement {@code \1}…{@code \9} are groups, {@code \&} the
   * match and {@code \\} a backslash, everything else literal, as in PostgreSQL.
   */
  static String replace(Pattern pattern, String s, String replacement, boolean global) {
    Matcher m = pattern.matcher(s);
    StringBuilder sb = new StringBuilder();
    int last = 0;
    int from = 0;
    while (from <= s.length() && m.find(from)) {
      sb.append(s, last, m.start());
      appendReplacement(sb, m, replacement);
      last = m.end();
      if (!global) {
        break;
      }
      if (m.end() > m.start()) {
        from = m.end();
      } else if (m.end() < s.length()) {
        from = s.offsetByCodePoints(m.end(), 1); // after an empty match, search on from the next character
      } else {
        break;
      }
    }
    sb.append(s, last, s.length());
    return sb.toString();
  }

  private static void appendReplacement(StringBuilder sb, Matcher m, String replacement) {
    for (int i = 0; i < replacement.length(); i++) {
      char c = replacement.charAt(i);
      if (c == '\\' && i + 1 < replacement.length()) {
        char n = replacement.charAt(i + 1);
        if (n >= '1' && n <= '9') {
          int g = n - '0';
          if (g <= m.groupCount() && m.group(g) != null) {
            sb.append(m.group(g));
          }
          i++;
          continue;
        }
        if (n == '&') {
          sb.append(m.group());
          i++;
          continue;
        }
        if (n == '\\') {
          sb.append('\\');
          i++;
          continue;
        }
      }
      sb.append(c);
    }
  }
}
