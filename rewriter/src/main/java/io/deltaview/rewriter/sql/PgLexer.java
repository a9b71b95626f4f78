package io.deltaview.rewriter.sql;

import io.deltaview.sql.SqlStates;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;

/**
 * PostgreSQL's lexical rules, once: whitespace and comments ({@code --} to end of line, nested
 * {@code /* *}{@code /}), identifiers, quoted identifiers, the string forms ({@code '…'}, {@code E'…'},
 * {@code $tag$…$tag$}, {@code B'…'}, {@code X'…'}, {@code N'…'}, {@code U&'…'}), numbers, parameters and
 * operators. The per-query path skips comments with {@link #skipSpaceAndComments} (no allocation) and finds a
 * query's literals with {@link #spans} (offsets only: no object or substring per token); definitions that
 * Deltaview stores and executes are split into {@link Token}s so that they can be checked and re-rendered
 * ({@link DefinitionSql}). Both read the text by the same rules.
 *
 * <p>Strings follow PostgreSQL with {@code standard_conforming_strings = on}: a backslash is an ordinary
 * character except inside {@code E'…'}; two literals separated only by whitespace that contains a newline
 * are one literal.
 *
 * <p>The text is JDBC text, which the driver hands to pgjdbc: as pgjdbc's parser does, every {@code ?} outside
 * strings, quoted identifiers and comments is a parameter, also right after operator characters ({@code id=?}
 * is {@code id}, {@code =}, a parameter, where PostgreSQL itself would read an operator {@code =?}), and
 * {@code ??} is pgjdbc's escape for one {@code ?} character, so it belongs to an operator ({@code ??|} is sent as
 * PostgreSQL's {@code ?|}; an unescaped {@code ?|} is a parameter and {@code |}).
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
    /**
     * A run of operator characters; a {@code ?} in it is always written {@code ??} (pgjdbc's escape), as a lone
     * {@code ?} is a parameter.
     */
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

  private static final Kind[] KINDS = Kind.values();

  private final String sql;
  private int pos;
  /** The decoded value of the string or quoted identifier being read by {@link #next}; reused. */
  private final StringBuilder value = new StringBuilder();

  private PgLexer(String sql) {
    this.sql = sql;
  }

  /**
   * The tokens of a text as offsets: what {@link #tokens} finds, without a {@link Token} object, substring or
   * decoded value per token, for the per-query path ({@link QueryShape}). Immutable.
   */
  public static final class Spans {
    private final String sql;
    /** Per token: its kind's ordinal, start and end offset. */
    private final int[] data;
    private final int size;

    private Spans(String sql, int[] data, int size) {
      this.sql = sql;
      this.data = data;
      this.size = size;
    }

    /** The text the spans are of. */
    public String sql() {
      return sql;
    }

    /** The number of tokens. */
    public int size() {
      return size;
    }

    public Kind kind(int token) {
      return KINDS[data[3 * token]];
    }

    /** Offset of the token in the text. */
    public int start(int token) {
      return data[3 * token + 1];
    }

    /** Offset just after the token. */
    public int end(int token) {
      return data[3 * token + 2];
    }

    /**
     * Whether the token is the word {@code keyword} (given in lower case) in any case, without allocating. Only
     * ASCII letters are folded, as PostgreSQL folds keywords.
     */
    public boolean isWord(int token, String keyword) {
      int start = start(token);
      if (kind(token) != Kind.WORD || end(token) - start != keyword.length()) {
        return false;
      }
      for (int k = 0; k < keyword.length(); k++) {
        char c = sql.charAt(start + k);
        if ((c >= 'A' && c <= 'Z' ? (char) (c + ('a' - 'A')) : c) != keyword.charAt(k)) {
          return false;
        }
      }
      return true;
    }

    /** Whether the token is the punctuation {@code c}. */
    public boolean isPunctuation(int token, char c) {
      return kind(token) == Kind.PUNCTUATION && sql.charAt(start(token)) == c;
    }

    /** Whether the token's text holds {@code c}. */
    public boolean contains(int token, char c) {
      int i = sql.indexOf(c, start(token));
      return i >= 0 && i < end(token);
    }
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
    if (pos >= sql.length()) {
      return null;
    }
    int start = pos;
    value.setLength(0);
    Kind kind = scan(value);
    String text = sql.substring(start, pos);
    String decoded = kind == Kind.STRING || kind == Kind.QUOTED_IDENTIFIER ? value.toString() : text;
    return new Token(kind, text, decoded, start, space);
  }

  /** The offset just past the last token {@link #next} returned (or the separator it skipped at the end). */
  public int position() {
    return pos;
  }

  /**
   * The tokens of {@code sql} as offsets ({@link Spans}); {@code 42601} or {@code 0A000} exactly when
   * {@link #tokens} throws.
   */
  public static Spans spans(String sql) throws SQLException {
    PgLexer lexer = new PgLexer(sql);
    // about one token per five characters of typical SQL; grown when there are more
    int[] data = new int[3 * Math.max(8, sql.length() / 5)];
    int size = 0;
    while (true) {
      lexer.skipSeparator();
      if (lexer.pos >= sql.length()) {
        return new Spans(sql, data, size);
      }
      int start = lexer.pos;
      Kind kind = lexer.scan(null);
      if (3 * size + 3 > data.length) {
        data = java.util.Arrays.copyOf(data, 2 * data.length);
      }
      data[3 * size] = kind.ordinal();
      data[3 * size + 1] = start;
      data[3 * size + 2] = lexer.pos;
      size++;
    }
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

  /**
   * Reads the token at {@link #pos} and moves past it. Strings and quoted identifiers are decoded into
   * {@code value} when it is given; without it they are checked all the same (an invalid escape throws either
   * way), so both ways of reading find the same tokens.
   */
  private Kind scan(StringBuilder value) throws SQLException {
    int start = pos;
    char c = sql.charAt(pos);
    char d = pos + 1 < sql.length() ? sql.charAt(pos + 1) : 0;
    if (c == '\'') {
      return string(start, pos, false, value);
    }
    if ((c == 'E' || c == 'e') && d == '\'') {
      return string(start, pos + 1, true, value);
    }
    if ((c == 'N' || c == 'n') && d == '\'') {
      return string(start, pos + 1, false, value);
    }
    if ((c == 'U' || c == 'u') && d == '&' && pos + 2 < sql.length()
        && (sql.charAt(pos + 2) == '\'' || sql.charAt(pos + 2) == '"')) {
      throw new SQLException("Deltaview does not accept U&'…' or U&\"…\" literals in a view definition (at position "
          + (start + 1) + "): write the characters themselves", SqlStates.FEATURE_NOT_SUPPORTED);
    }
    if ((c == 'B' || c == 'b' || c == 'X' || c == 'x') && d == '\'') {
      return bitString(start);
    }
    if (c == '"') {
      return quotedIdentifier(start, value);
    }
    if (c == '$') {
      if (d >= '0' && d <= '9') {
        int i = pos + 1;
        while (i < sql.length() && Character.isDigit(sql.charAt(i))) {
          i++;
        }
        pos = i;
        return Kind.PARAMETER;
      }
      return dollarString(start, value);
    }
    if (isIdentifierStart(c)) {
      int i = pos + 1;
      while (i < sql.length() && isIdentifierPart(sql.charAt(i))) {
        i++;
      }
      pos = i;
      return Kind.WORD;
    }
    if (Character.isDigit(c) || (c == '.' && Character.isDigit(d))) {
      return number();
    }
    if (c == '?' && d != '?') {
      pos++;
      return Kind.PARAMETER;
    }
    if (isOperatorChar(c)) {
      int i = pos;
      while (i < sql.length() && isOperatorChar(sql.charAt(i)) && !sql.startsWith("--", i)
          && !sql.startsWith("/*", i)) {
        if (sql.charAt(i) == '?') {
          // pgjdbc: ?? is one ? character of an operator, a lone ? a parameter that ends the operator
          if (i + 1 < sql.length() && sql.charAt(i + 1) == '?') {
            i += 2;
            continue;
          }
          break;
        }
        i++;
      }
      pos = i;
      return Kind.OPERATOR;
    }
    if ("()[],;:.".indexOf(c) >= 0) {
      pos++;
      return Kind.PUNCTUATION;
    }
    throw syntax("unexpected character '" + c + "'", start);
  }

  /**
   * A string starting with the quote at {@code quote}, with continuation lines as PostgreSQL joins them;
   * decoded into {@code value} when given.
   */
  private Kind string(int start, int quote, boolean escapes, StringBuilder value) throws SQLException {
    int i = quote + 1;
    int n = sql.length();
    while (true) {
      if (i >= n) {
        throw syntax("unterminated quoted string", start);
      }
      char c = sql.charAt(i);
      if (c == '\'') {
        if (i + 1 < n && sql.charAt(i + 1) == '\'') {
          append(value, '\'');
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
        return Kind.STRING;
      }
      if (c == '\\' && escapes) {
        i = escape(value, i, start);
        continue;
      }
      append(value, c);
      i++;
    }
  }

  private static void append(StringBuilder value, char c) {
    if (value != null) {
      value.append(c);
    }
  }

  /**
   * Decodes the backslash escape at {@code i} of an {@code E'…'} string into {@code value} (when given);
   * returns the offset after it.
   */
  private int escape(StringBuilder value, int i, int start) throws SQLException {
    int n = sql.length();
    if (i + 1 >= n) {
      throw syntax("unterminated quoted string", start);
    }
    char e = sql.charAt(i + 1);
    switch (e) {
      case 'b' -> append(value, '\b');
      case 'f' -> append(value, '\f');
      case 'n' -> append(value, '\n');
      case 'r' -> append(value, '\r');
      case 't' -> append(value, '\t');
      case 'x' -> {
        int j = i + 2;
        int code = 0;
        while (j < n && j < i + 4 && Character.digit(sql.charAt(j), 16) >= 0) {
          code = code * 16 + Character.digit(sql.charAt(j), 16);
          j++;
        }
        if (j == i + 2) {
          append(value, 'x'); // PostgreSQL: \x without hex digits is an x
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
          code = Integer.parseInt(sql, i + 2, i + 2 + digits, 16);
        } catch (NumberFormatException ex) {
          throw syntax("invalid Unicode escape", i);
        }
        if (code == 0 || !Character.isValidCodePoint(code) || (code >= 0xD800 && code <= 0xDFFF)) {
          throw new SQLException("Deltaview does not accept this Unicode escape in a view definition (at position "
              + (i + 1) + ")", SqlStates.FEATURE_NOT_SUPPORTED);
        }
        if (value != null) {
          value.appendCodePoint(code);
        }
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
        append(value, e); // \\ \' and any other character stand for themselves
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
    append(value, (char) code);
    return next;
  }

  private Kind bitString(int start) throws SQLException {
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
    return Kind.BIT_STRING;
  }

  private Kind quotedIdentifier(int start, StringBuilder name) throws SQLException {
    int i = pos + 1;
    while (true) {
      if (i >= sql.length()) {
        throw syntax("unterminated quoted identifier", start);
      }
      char c = sql.charAt(i);
      if (c == '"') {
        if (i + 1 < sql.length() && sql.charAt(i + 1) == '"') {
          append(name, '"');
          i += 2;
          continue;
        }
        break;
      }
      append(name, c);
      i++;
    }
    if (i == pos + 1) {
      throw syntax("zero-length delimited identifier", start);
    }
    pos = i + 1;
    return Kind.QUOTED_IDENTIFIER;
  }

  /** {@code $tag$…$tag$}; a {@code $} that does not open one is an error, as in PostgreSQL. */
  private Kind dollarString(int start, StringBuilder value) throws SQLException {
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
    if (value != null) {
      value.append(sql, i + 1, end);
    }
    pos = end + tag.length();
    return Kind.STRING;
  }

  private Kind number() {
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
    return Kind.NUMBER;
  }

  /** One of PostgreSQL's operator characters {@code + - * / < > = ~ ! @ # % ^ & | ` ?}. */
  private static boolean isOperatorChar(char c) {
    return switch (c) {
      case '+', '-', '*', '/', '<', '>', '=', '~', '!', '@', '#', '%', '^', '&', '|', '`', '?' -> true;
      default -> false;
    };
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
