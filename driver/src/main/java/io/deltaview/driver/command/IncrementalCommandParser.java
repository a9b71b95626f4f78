package io.deltaview.driver.command;

import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import io.deltaview.driver.command.IncrementalCommand.QualifiedName;
import io.deltaview.rewriter.sql.PgLexer;
import java.sql.SQLException;
import java.util.Locale;

/**
 * Recognises Deltaview's commands at the start of a SQL string. Everything else is left to PostgreSQL,
 * so {@link #isCandidate} is written to reject ordinary queries after looking at a few characters.
 */
public final class IncrementalCommandParser {

  private static final String SYNTAX_ERROR = SqlStates.SYNTAX_ERROR;
  /** PostgreSQL's longest name ({@code NAMEDATALEN - 1}). */

  private final String sql;
  private int pos;

  private IncrementalCommandParser(String sql) {
    this.sql = sql;
  }

  /**
   * Cheap pre-check for the per-query path: true only if the first word is CREATE, DROP, SHOW or EXPLAIN
   * and the second is INCREMENTAL. No allocation for ordinary SELECTs.
   */
  public static boolean isCandidate(String sql) {
    int i = skipSpaceAndComments(sql, 0);
    if (i >= sql.length()) {
      return false;
    }
    int end = wordEnd(sql, i);
    if (!isWord(sql, i, end, "CREATE") && !isWord(sql, i, end, "DROP")
        && !isWord(sql, i, end, "SHOW") && !isWord(sql, i, end, "EXPLAIN")) {
      return false;
    }
    int j = skipSpaceAndComments(sql, end);
    return isWord(sql, j, wordEnd(sql, j), "INCREMENTAL");
  }

  private static boolean isWord(String s, int start, int end, String keyword) {
    return end - start == keyword.length() && s.regionMatches(true, start, keyword, 0, keyword.length());
  }

  /** Parses a command; returns null if {@code sql} is not a Deltaview command. */
  public static IncrementalCommand parse(String sql) throws SQLException {
    if (!isCandidate(sql)) {
      return null;
    }
    return new IncrementalCommandParser(sql).command();
  }

  private IncrementalCommand command() throws SQLException {
    String verb = word();
    expectKeyword("INCREMENTAL");
    switch (verb) {
      case "CREATE": {
        expectKeyword("VIEW");
        boolean ifNotExists = false;
        if (peekKeyword("IF")) {
          expectKeyword("IF");
          expectKeyword("NOT");
          expectKeyword("EXISTS");
          ifNotExists = true;
        }
        QualifiedName name = qualifiedName();
        String engine = peekKeyword("WITH") ? createOptions() : null;
        expectKeyword("AS");
        String query = rest("a SELECT after AS");
        return new IncrementalCommand.CreateView(name, ifNotExists, query, engine);
      }
      case "DROP": {
        expectKeyword("VIEW");
        boolean ifExists = false;
        if (peekKeyword("IF")) {
          expectKeyword("IF");
          expectKeyword("EXISTS");
          ifExists = true;
        }
        QualifiedName name = qualifiedName();
        expectEnd();
        return new IncrementalCommand.DropView(name, ifExists);
      }
      case "SHOW":
        if (peekKeyword("QUERIES")) {
          expectKeyword("QUERIES");
          expectEnd();
          return new IncrementalCommand.ShowQueries();
        }
        expectKeyword("VIEWS");
        expectEnd();
        return new IncrementalCommand.ShowViews();
      case "EXPLAIN":
        if (peekKeyword("VIEW")) {
          expectKeyword("VIEW");
          if (peekKeyword("AS")) {
            expectKeyword("AS");
            return new IncrementalCommand.ExplainDefinition(rest("a SELECT after EXPLAIN INCREMENTAL VIEW AS"));
          }
          QualifiedName name = qualifiedName();
          expectEnd();
          return new IncrementalCommand.ExplainView(name);
        }
        return new IncrementalCommand.Explain(rest("a SELECT after EXPLAIN INCREMENTAL"));
      default:
        throw syntax("unexpected " + verb);
    }
  }

  /**
   * {@code WITH (engine = 'name')}, PostgreSQL's form of a relation's options (the value quoted or a bare word);
   * returns the engine. {@code engine} is the one option.
   */
  private String createOptions() throws SQLException {
    expectKeyword("WITH");
    expectPunctuation('(');
    String engine = null;
    do {
      int start = skipSpaceAndComments(sql, pos);
      String key = word();
      if (key.isEmpty()) {
        throw syntax("expected an option name at position " + (start + 1));
      }
      if (!key.equals("ENGINE")) {
        throw new SQLException("unrecognized option \"" + lowerAscii(sql.substring(start, pos)) + "\" of CREATE"
            + " INCREMENTAL VIEW (the one option is engine)", SqlStates.INVALID_PARAMETER_VALUE);
      }
      if (engine != null) {
        throw syntax("option engine given twice");
      }
      expectPunctuation('=');
      engine = optionValue();
    } while (acceptPunctuation(','));
    expectPunctuation(')');
    return engine;
  }

  /** A string literal ({@code 'flink'}, quotes doubled inside) or a bare word, lower-cased as PostgreSQL does. */
  private String optionValue() throws SQLException {
    pos = skipSpaceAndComments(sql, pos);
    if (pos < sql.length() && sql.charAt(pos) == '\'') {
      StringBuilder out = new StringBuilder();
      int i = pos + 1;
      while (i < sql.length()) {
        char c = sql.charAt(i);
        if (c == '\'') {
          if (i + 1 < sql.length() && sql.charAt(i + 1) == '\'') {
            out.append('\'');
            i += 2;
            continue;
          }
          pos = i + 1;
          return out.toString();
        }
        out.append(c);
        i++;
      }
      throw syntax("unterminated quoted string");
    }
    int end = wordEnd(sql, pos);
    if (end == pos) {
      throw syntax("expected a value at position " + (pos + 1));
    }
    String value = lowerAscii(sql.substring(pos, end));
    pos = end;
    return value;
  }

  private void expectPunctuation(char c) throws SQLException {
    if (!acceptPunctuation(c)) {
      int at = skipSpaceAndComments(sql, pos);
      throw syntax("expected \"" + c + "\" at position " + (at + 1)
          + (at < sql.length() ? " but found \"" + sql.charAt(at) + "\"" : " but the command ended"));
    }
  }

  private boolean acceptPunctuation(char c) {
    int at = skipSpaceAndComments(sql, pos);
    if (at < sql.length() && sql.charAt(at) == c) {
      pos = at + 1;
      return true;
    }
    return false;
  }

  private String word() {
    pos = skipSpaceAndComments(sql, pos);
    int end = wordEnd(sql, pos);
    String w = sql.substring(pos, end).toUpperCase(Locale.ROOT);
    pos = end;
    return w;
  }

  private boolean peekKeyword(String keyword) {
    int i = skipSpaceAndComments(sql, pos);
    return isWord(sql, i, wordEnd(sql, i), keyword);
  }

  private void expectKeyword(String keyword) throws SQLException {
    int start = skipSpaceAndComments(sql, pos);
    String w = word();
    if (!w.equals(keyword)) {
      throw syntax("expected " + keyword + " at position " + (start + 1)
          + (w.isEmpty() ? " but the command ended" : " but found \"" + sql.substring(start, pos) + "\""));
    }
  }

  private QualifiedName qualifiedName() throws SQLException {
    String first = identifier();
    pos = skipSpaceAndComments(sql, pos);
    if (pos < sql.length() && sql.charAt(pos) == '.') {
      pos++;
      return new QualifiedName(first, identifier());
    }
    return new QualifiedName(null, first);
  }

  private String identifier() throws SQLException {
    pos = skipSpaceAndComments(sql, pos);
    if (pos < sql.length() && sql.charAt(pos) == '"') {
      StringBuilder out = new StringBuilder();
      int i = pos + 1;
      while (i < sql.length()) {
        char c = sql.charAt(i);
        if (c == '"') {
          if (i + 1 < sql.length() && sql.charAt(i + 1) == '"') {
            out.append('"');
            i += 2;
            continue;
          }
          pos = i + 1;
          if (out.length() == 0) {
            throw syntax("zero-length delimited identifier");
          }
          return SqlIdentifiers.checkedLength(out.toString());
        }
        out.append(c);
        i++;
      }
      throw syntax("unterminated quoted identifier");
    }
    int end = wordEnd(sql, pos);
    if (end == pos || Character.isDigit(sql.charAt(pos))) {
      throw syntax("expected a view name at position " + (pos + 1));
    }
    String id = lowerAscii(sql.substring(pos, end));
    pos = end;
    return SqlIdentifiers.checkedLength(id);
  }

  /** PostgreSQL folds unquoted names to lower case in ASCII only (in UTF-8 databases). */
  private static String lowerAscii(String word) {
    char[] chars = word.toCharArray();
    for (int i = 0; i < chars.length; i++) {
      if (chars[i] >= 'A' && chars[i] <= 'Z') {
        chars[i] = (char) (chars[i] + ('a' - 'A'));
      }
    }
    return new String(chars);
  }

  private String rest(String what) throws SQLException {
    String rest = sql.substring(pos).trim();
    while (rest.endsWith(";")) {
      rest = rest.substring(0, rest.length() - 1).trim();
    }
    if (rest.isEmpty()) {
      throw syntax("expected " + what);
    }
    return rest;
  }

  private void expectEnd() throws SQLException {
    int i = skipSpaceAndComments(sql, pos);
    while (i < sql.length() && sql.charAt(i) == ';') {
      i = skipSpaceAndComments(sql, i + 1);
    }
    if (i < sql.length()) {
      throw syntax("unexpected \"" + sql.substring(i) + "\" at the end of the command");
    }
  }

  private SQLException syntax(String message) {
    return new SQLException("syntax error in Deltaview command: " + message, SYNTAX_ERROR);
  }

  private static int wordEnd(String s, int i) {
    int j = i;
    while (j < s.length() && (Character.isLetterOrDigit(s.charAt(j)) || s.charAt(j) == '_' || s.charAt(j) == '$')) {
      j++;
    }
    return j;
  }

  /** Skips whitespace and comments as PostgreSQL does (see {@link PgLexer}). */
  static int skipSpaceAndComments(String s, int i) {
    return PgLexer.skipSpaceAndComments(s, i);
  }
}
