package io.deltaview.rewriter.sql;

import io.deltaview.sql.SqlStates;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL's lexical rules, once: whitespace and comments ({@code --} to end of line, nested
 * {@code /* *}{@code /}), identifiers, quoted identifiers, the string forms ({@code '…'}, {@code E'…'},
 * {@code $tag$…$tag$}, {@code B'…'}, {@code X'…'}, {@code N'…'}, {@code U&'…'}), numbers, parameters and
 * operators. Two uses: the per-query path skips comments with {@link #skipSpaceAndComments} (no allocation),
 * and definitions that Deltaview stores and executes are split into {@link Token}s so that they can be
 * checked and re-rendered ({@link DefinitionSql}).
 *
 * <p>Strings follow PostgreSQL with {@code standard_conforming_strings = on}: a backslash is an ordinary
 * character except inside {@code E'…'}; two literals separated only by whitespace that contains a newline
 * are one literal.
 */
public final class PgLexer {

  /** What a token is. */
  public enum Kind {
    /** An unquoted word: a keyword or an identifier, as written. */
    WORD,
    /** A {@code "quoted"} identifier; {@link Token#value} is the name. */
    QUOTED_IDENTIFIER,
    /** A character string in any of its forms; {@link Token#value} is the decoded string. */
    STRING,
    /** {@code B'…'} or {@code X'…'}; {@link Token#text} is the literal as written. */
    BIT_STRING,
    /** A numeric literal as written. */
    NUMBER,
    /** {@code $1}, or a JDBC {@code ?} outside strings and comments. */
    PARAMETER,
    /** A run of operator characters, as PostgreSQL would read it. */
    OPERATOR,
    /** One of {@code ( ) [ ] , ; : .}. */
    PUNCTUATION
  }

  /**
   * One token.
   *
   * @param kind what it is
   * @param text the source text of the token
   * @param value for strings and quoted identifiers, the decoded value; else {@code text}
   * @param start offset of the token in the source
   * @param spaceBefore whitespace or comments separate it from the previous token; {@code '\n'} if that
   *     separation contains a line break, {@code ' '} if not, {@code 0} if the tokens touch
   */
  public record Token(Kind kind, String text, String value, int start, char spaceBefore) {

    public boolean isWord(String keyword) {
      return kind == Kind.WORD && text.equalsIgnoreCase(keyword);
    }

    public boolean isPunctuation(char c) {
      return kind == Kind.PUNCTUATION && text.length() == 1 && text.charAt(0) == c;
    }
  }

  private static final String OPERATOR_CHARS = "+-*/<>=~!@#%^&|`?";

  private final String sql;
  private int pos;

  private PgLexer(String sql) {
    this.sql = sql;
  }

  /**
   * Skips whitespace and comments from {@code i}; returns the offset of the next significant character (or
   * the length). An unterminated block comment runs to the end, as PostgreSQL would then report.
   */
  public static int skipSpaceAndComments(CharSequence s, int i) {
    int n = s.length();
    while (i < n) {
      char c = s.charAt(i);
      if (isSpace(c)) {
        i++;
      } else if (c == '-' && i + 1 < n && s.charAt(i + 1) == '-') {
        while (i < n && s.charAt(i) != '\n' && s.charAt(i) != '\r') {
          i++;
        }
      } else if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
        int end = blockCommentEnd(s, i);
        i = end < 0 ? n : end;
      } else {
        return i;
      }
    }
    return i;
  }

  /** The offset just past the (nested) block comment starting at {@code i}, or -1 if it is unterminated. */
  private static int blockCommentEnd(CharSequence s, int i) {
    int n = s.length();
    int depth = 1;
    i += 2;
    while (i < n && depth > 0) {
      char c = s.charAt(i);
      if (c == '/' && i + 1 < n && s.charAt(i + 1) == '*') {
        depth++;
        i += 2;
      } else if (c == '*' && i + 1 < n && s.charAt(i + 1) == '/') {
        depth--;
        i += 2;
      } else {
        i++;
      }
    }
    return depth == 0 ? i : -1;
  }

  /**
   * Whether the first word of {@code s} after whitespace and comments is {@code keyword} (any case), without
   * allocating.
   */
  public static boolean startsWithKeyword(CharSequence s, String keyword) {
    int i = skipSpaceAndComments(s, 0);
    int end = i + keyword.length();
    if (end > s.length()) {
      return false;
    }
    for (int k = 0; k < keyword.length(); k++) {
      if (Character.toUpperCase(s.charAt(i + k)) != Character.toUpperCase(keyword.charAt(k))) {
        return false;
      }
    }
    return end == s.length() || !isIdentifierPart(s.charAt(end));
  }

  /** The tokens of {@code sql}; {@code 42601} for an unterminated string, identifier or comment. */
  public static List<Token> tokens(String sql) throws SQLException {
    return new PgLexer(sql).all();
  }

  /**
   * A lexer that reads {@code sql} one token at a time ({@link #next}), for a parser that stops early: a
   * command's head is read without lexing the statement it carries.
   */
  public static PgLexer reading(String sql) {
    return new PgLexer(sql);
  }

  /** The next token, or null at the end; {@code 42601} for an unterminated string, identifier or comment. */
  public Token next() throws SQLException {
    int before = pos;
    skipSeparator();
    char space = separator(before, pos);
    return pos >= sql.length() ? null : next(space);
  }

  /** The offset just past the last token {@link #next} returned (or the separator it skipped at the end). */
  public int position() {
    return pos;
  }

  private List<Token> all() throws SQLException {
    List<Token> out = new ArrayList<>();
    for (Token t = next(); t != null; t = next()) {
      out.add(t);
    }
    return out;
  }

  private void skipSeparator() throws SQLException {
    int n = sql.length();
    while (pos < n) {
      char c = sql.charAt(pos);
      if (c == '/' && pos + 1 < n && sql.charAt(pos + 1) == '*') {
        int end = blockCommentEnd(sql, pos);
        if (end < 0) {
          throw syntax("unterminated /* comment", pos);
        }
        pos = end;
      } else if (isSpace(c) || (c == '-' && pos + 1 < n && sql.charAt(pos + 1) == '-')) {
        pos = skipLineCommentOrSpace(pos);
      } else {
        return;
      }
    }
  }

  private int skipLineCommentOrSpace(int i) {
    if (sql.charAt(i) != '-') {
      return i + 1;
    }
    while (i < sql.length() && sql.charAt(i) != '\n' && sql.charAt(i) != '\r') {
      i++;
    }
    return i;
  }

  private char separator(int from, int to) {
    if (from == to) {
      return 0;
    }
    for (int i = from; i < to; i++) {
      char c = sql.charAt(i);
      if (c == '\n' || c == '\r') {
        return '\n';
      }
    }
    return ' ';
  }

  private Token next(char space) throws SQLException {
    int start = pos;
    char c = sql.charAt(pos);
    char d = pos + 1 < sql.length() ? sql.charAt(pos + 1) : 0;
    if (c == '\'') {
      return string(start, space, pos, false);
    }
    if ((c == 'E' || c == 'e') && d == '\'') {
      return string(start, space, pos + 1, true);
    }
    if ((c == 'N' || c == 'n') && d == '\'') {
      return string(start, space, pos + 1, false);
    }
    if ((c == 'U' || c == 'u') && d == '&' && pos + 2 < sql.length()
        && (sql.charAt(pos + 2) == '\'' || sql.charAt(pos + 2) == '"')) {
      throw new SQLException("Deltaview does not accept U&'…' or U&\"…\" literals in a view definition (at position "
          + (start + 1) + "): write the characters themselves", SqlStates.FEATURE_NOT_SUPPORTED);
    }
    if ((c == 'B' || c == 'b' || c == 'X' || c == 'x') && d == '\'') {
      return bitString(start, space);
    }
    if (c == '"') {
      return quotedIdentifier(start, space);
    }
    if (c == '$') {
      if (d >= '0' && d <= '9') {
        int i = pos + 1;
        while (i < sql.length() && Character.isDigit(sql.charAt(i))) {
          i++;
        }
        pos = i;
        return new Token(Kind.PARAMETER, sql.substring(start, i), sql.substring(start, i), start, space);
      }
      return dollarString(start, space);
    }
    if (isIdentifierStart(c)) {
      int i = pos + 1;
      while (i < sql.length() && isIdentifierPart(sql.charAt(i))) {
        i++;
      }
      pos = i;
      String word = sql.substring(start, i);
      return new Token(Kind.WORD, word, word, start, space);
    }
    if (Character.isDigit(c) || (c == '.' && Character.isDigit(d))) {
      return number(start, space);
    }
    if (c == '?') {
      pos++;
      return new Token(Kind.PARAMETER, "?", "?", start, space);
    }
    if (OPERATOR_CHARS.indexOf(c) >= 0) {
      int i = pos;
      while (i < sql.length() && OPERATOR_CHARS.indexOf(sql.charAt(i)) >= 0
          && !sql.startsWith("--", i) && !sql.startsWith("/*", i)) {
        i++;
      }
      pos = i;
      String op = sql.substring(start, i);
      return new Token(Kind.OPERATOR, op, op, start, space);
    }
    if ("()[],;:.".indexOf(c) >= 0) {
      pos++;
      String p = String.valueOf(c);
      return new Token(Kind.PUNCTUATION, p, p, start, space);
    }
    throw syntax("unexpected character '" + c + "'", start);
  }

  /** A string starting with the quote at {@code quote}, with continuation lines as PostgreSQL joins them. */
  private Token string(int start, char space, int quote, boolean escapes) throws SQLException {
    StringBuilder value = new StringBuilder();
    int i = quote + 1;
    int n = sql.length();
    while (true) {
      if (i >= n) {
        throw syntax("unterminated quoted string", start);
      }
      char c = sql.charAt(i);
      if (c == '\'') {
        if (i + 1 < n && sql.charAt(i + 1) == '\'') {
          value.append('\'');
          i += 2;
          continue;
        }
        // Continuation: 'a'<whitespace with a newline>'b' is one literal (comments do not count here).
        int j = i + 1;
        boolean newline = false;
        while (j < n && isSpace(sql.charAt(j))) {
          newline |= sql.charAt(j) == '\n' || sql.charAt(j) == '\r';
          j++;
        }
        if (newline && j < n && sql.charAt(j) == '\'') {
          i = j + 1;
          continue;
        }
        pos = i + 1;
        return new Token(Kind.STRING, sql.substring(start, pos), value.toString(), start, space);
      }
      if (c == '\\' && escapes) {
        i = escape(value, i, start);
        continue;
      }
      value.append(c);
      i++;
    }
  }

  /** Decodes the backslash escape at {@code i} of an {@code E'…'} string; returns the offset after it. */
  private int escape(StringBuilder value, int i, int start) throws SQLException {
    int n = sql.length();
    if (i + 1 >= n) {
      throw syntax("unterminated quoted string", start);
    }
    char e = sql.charAt(i + 1);
    switch (e) {
      case 'b' -> value.append('\b');
      case 'f' -> value.append('\f');
      case 'n' -> value.append('\n');
      case 'r' -> value.append('\r');
      case 't' -> value.append('\t');
      case 'x' -> {
        int j = i + 2;
        int code = 0;
        while (j < n && j < i + 4 && Character.digit(sql.charAt(j), 16) >= 0) {
          code = code * 16 + Character.digit(sql.charAt(j), 16);
          j++;
        }
        if (j == i + 2) {
          value.append('x'); // PostgreSQL: \x without hex digits is an x
          return i + 2;
        }
        return byteEscape(value, code, j, start);
      }
      case 'u', 'U' -> {
        int digits = e == 'u' ? 4 : 8;
        if (i + 2 + digits > n) {
          throw syntax("invalid Unicode escape", i);
        }
        int code;
        try {
          code = Integer.parseInt(sql.substring(i + 2, i + 2 + digits), 16);
        } catch (NumberFormatException ex) {
          throw syntax("invalid Unicode escape", i);
        }
        if (code == 0 || !Character.isValidCodePoint(code) || (code >= 0xD800 && code <= 0xDFFF)) {
          throw new SQLException("Deltaview does not accept this Unicode escape in a view definition (at position "
              + (i + 1) + ")", SqlStates.FEATURE_NOT_SUPPORTED);
        }
        value.appendCodePoint(code);
        return i + 2 + digits;
      }
      default -> {
        if (e >= '0' && e <= '7') {
          int j = i + 1;
          int code = 0;
          while (j < n && j < i + 4 && sql.charAt(j) >= '0' && sql.charAt(j) <= '7') {
            code = code * 8 + (sql.charAt(j) - '0');
            j++;
          }
          return byteEscape(value, code, j, start);
        }
        value.append(e); // \\ \' and any other character stand for themselves
      }
    }
    return i + 2;
  }

  /** An octal or hex escape names a byte; only ASCII is unambiguous in every server encoding. */
  private int byteEscape(StringBuilder value, int code, int next, int start) throws SQLException {
    if (code == 0 || code > 0x7f) {
      throw new SQLException("Deltaview does not accept byte escapes outside ASCII (or \\0) in a view definition"
          + " (at position " + (start + 1) + "): write the characters themselves", SqlStates.FEATURE_NOT_SUPPORTED);
    }
    value.append((char) code);
    return next;
  }

  private Token bitString(int start, char space) throws SQLException {
    boolean hex = Character.toUpperCase(sql.charAt(pos)) == 'X';
    int i = pos + 2;
    while (i < sql.length() && sql.charAt(i) != '\'') {
      char c = sql.charAt(i);
      if (hex ? Character.digit(c, 16) < 0 : (c != '0' && c != '1')) {
        throw syntax("\"" + c + "\" is not a valid " + (hex ? "hexadecimal" : "binary") + " digit", i);
      }
      i++;
    }
    if (i >= sql.length()) {
      throw syntax("unterminated bit string literal", start);
    }
    pos = i + 1;
    String text = sql.substring(start, pos);
    return new Token(Kind.BIT_STRING, text, text, start, space);
  }

  private Token quotedIdentifier(int start, char space) throws SQLException {
    StringBuilder name = new StringBuilder();
    int i = pos + 1;
    while (true) {
      if (i >= sql.length()) {
        throw syntax("unterminated quoted identifier", start);
      }
      char c = sql.charAt(i);
      if (c == '"') {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == '"') {
          name.append('"');
          i += 2;
          continue;
        }
        break;
      }
      name.append(c);
      i++;
    }
    if (name.length() == 0) {
      throw syntax("zero-length delimited identifier", start);
    }
    pos = i + 1;
    return new Token(Kind.QUOTED_IDENTIFIER, sql.substring(start, pos), name.toString(), start, space);
  }

  /** {@code $tag$…$tag$}; a {@code $} that does not open one is an error, as in PostgreSQL. */
  private Token dollarString(int start, char space) throws SQLException {
    int i = pos + 1;
    while (i < sql.length() && sql.charAt(i) != '$') {
      if (!isIdentifierPart(sql.charAt(i)) || sql.charAt(i) == '$') {
        throw syntax("unexpected \"$\"", start);
      }
      i++;
    }
    if (i >= sql.length() || (i > pos + 1 && Character.isDigit(sql.charAt(pos + 1)))) {
      throw syntax("unexpected \"$\"", start);
    }
    String tag = sql.substring(pos, i + 1);
    int end = sql.indexOf(tag, i + 1);
    if (end < 0) {
      throw syntax("unterminated dollar-quoted string", start);
    }
    pos = end + tag.length();
    return new Token(Kind.STRING, sql.substring(start, pos), sql.substring(i + 1, end), start, space);
  }

  private Token number(int start, char space) {
    int i = pos;
    int n = sql.length();
    while (i < n && (Character.isDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
      i++;
    }
    if (i < n && sql.charAt(i) == '.' && !(i + 1 < n && sql.charAt(i + 1) == '.')) {
      i++;
      while (i < n && (Character.isDigit(sql.charAt(i)) || sql.charAt(i) == '_')) {
        i++;
      }
    }
    if (i < n && (sql.charAt(i) == 'e' || sql.charAt(i) == 'E')) {
      int j = i + 1;
      if (j < n && (sql.charAt(j) == '+' || sql.charAt(j) == '-')) {
        j++;
      }
      if (j < n && Character.isDigit(sql.charAt(j))) {
        i = j;
        while (i < n && Character.isDigit(sql.charAt(i))) {
          i++;
        }
      }
    }
    pos = i;
    String text = sql.substring(start, i);
    return new Token(Kind.NUMBER, text, text, start, space);
  }

  /** PostgreSQL's whitespace: space, tab, newline, carriage return, form feed, vertical tab. */
  public static boolean isSpace(char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\u000B';
  }

  private static boolean isIdentifierStart(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c >= 0x80;
  }

  /** A character that continues an unquoted identifier or keyword in PostgreSQL. */
  public static boolean isIdentifierPart(char c) {
    return isIdentifierStart(c) || (c >= '0' && c <= '9') || c == '$';
  }

  private static SQLException syntax(String message, int at) {
    return new SQLException("syntax error: " + message + " at position " + (at + 1), SqlStates.SYNTAX_ERROR);
  }
}
