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

  private final String sql;
  /** Reads the command's head token by token; the statement it carries is never lexed here. */
  private final PgLexer lexer;
  /** The next token, read ahead; null at the end. */
  private PgLexer.Token ahead;
  /** The offset just past the last token taken. */
  private int pos;

  private IncrementalCommandParser(String sql) throws SQLException {
    this.sql = sql;
    this.lexer = PgLexer.reading(sql);
    this.ahead = lexer.next();
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
        if (acceptKeyword("IF")) {
          expectKeyword("NOT");
          expectKeyword("EXISTS");
          ifNotExists = true;
        }
        QualifiedName name = qualifiedName();
        String engine = acceptKeyword("WITH") ? createOptions() : null;
        expectKeyword("AS");
        String query = rest("a SELECT after AS");
        return new IncrementalCommand.CreateView(name, ifNotExists, query, engine);
      }
      case "DROP": {
        expectKeyword("VIEW");
        boolean ifExists = false;
        if (acceptKeyword("IF")) {
          expectKeyword("EXISTS");
          ifExists = true;
        }
        QualifiedName name = qualifiedName();
        expectEnd();
        return new IncrementalCommand.DropView(name, ifExists);
      }
      case "SHOW":
        if (acceptKeyword("QUERIES")) {
          expectEnd();
          return new IncrementalCommand.ShowQueries();
        }
        expectKeyword("VIEWS");
        expectEnd();
        return new IncrementalCommand.ShowViews();
      case "EXPLAIN":
        if (acceptKeyword("VIEW")) {
          if (acceptKeyword("AS")) {
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
   * {@code (engine = 'name')} after {@code WITH}, PostgreSQL's form of a relation's options (the value a string
   * or a bare word); returns the engine. {@code engine} is the one option.
   */
  private String createOptions() throws SQLException {
    expectPunctuation('(');
    String engine = null;
    do {
      PgLexer.Token key = ahead;
      if (key == null || key.kind() != PgLexer.Kind.WORD) {
        throw syntax("expected an option name" + where(key));
      }
      take();
      if (!key.isWord("ENGINE")) {
        throw new SQLException("unrecognized option \"" + lowerAscii(key.text()) + "\" of CREATE"
            + " INCREMENTAL VIEW (the one option is engine)", SqlStates.INVALID_PARAMETER_VALUE);
      }
      if (engine != null) {
        throw syntax("option engine given twice");
      }
      expectOperator("=");
      engine = optionValue();
    } while (acceptPunctuation(','));
    expectPunctuation(')');
    return engine;
  }

  /** A string literal (any of PostgreSQL's forms) or a bare word, lower-cased as PostgreSQL does. */
  private String optionValue() throws SQLException {
    PgLexer.Token t = ahead;
    if (t != null && t.kind() == PgLexer.Kind.STRING) {
      take();
      return t.value();
    }
    if (t == null || t.kind() != PgLexer.Kind.WORD) {
      throw syntax("expected a value" + where(t));
    }
    take();
    return lowerAscii(t.text());
  }

  private void take() throws SQLException {
    pos = lexer.position();
    ahead = lexer.next();
  }

  private boolean acceptPunctuation(char c) throws SQLException {
    if (ahead != null && ahead.isPunctuation(c)) {
      take();
      return true;
    }
    return false;
  }

  private void expectPunctuation(char c) throws SQLException {
    if (!acceptPunctuation(c)) {
      throw syntax("expected \"" + c + "\"" + where(ahead));
    }
  }

  private void expectOperator(String operator) throws SQLException {
    if (ahead == null || ahead.kind() != PgLexer.Kind.OPERATOR || !ahead.text().equals(operator)) {
      throw syntax("expected \"" + operator + "\"" + where(ahead));
    }
    take();
  }

  /** The next token as an upper-case keyword, or "" if it is not a word. */
  private String word() throws SQLException {
    if (ahead == null || ahead.kind() != PgLexer.Kind.WORD) {
      return "";
    }
    String w = ahead.text().toUpperCase(Locale.ROOT);
    take();
    return w;
  }

  private boolean acceptKeyword(String keyword) throws SQLException {
    if (ahead != null && ahead.isWord(keyword)) {
      take();
      return true;
    }
    return false;
  }

  private void expectKeyword(String keyword) throws SQLException {
    if (!acceptKeyword(keyword)) {
      throw syntax("expected " + keyword + where(ahead));
    }
  }

  /** Where the parser stands, for a message: the token found there, or the end. */
  private static String where(PgLexer.Token found) {
    return found == null ? " but the command ended"
        : " at position " + (found.start() + 1) + " but found \"" + found.text() + "\"";
  }

  private QualifiedName qualifiedName() throws SQLException {
    String first = identifier();
    if (acceptPunctuation('.')) {
      return new QualifiedName(first, identifier());
    }
    return new QualifiedName(null, first);
  }

  private String identifier() throws SQLException {
    PgLexer.Token t = ahead;
    if (t != null && t.kind() == PgLexer.Kind.QUOTED_IDENTIFIER) {
      take();
      return SqlIdentifiers.checkedLength(t.value());
    }
    if (t == null || t.kind() != PgLexer.Kind.WORD) {
      throw syntax("expected a view name" + where(t));
    }
    take();
    return SqlIdentifiers.checkedLength(lowerAscii(t.text()));
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

  /** The text after the last token taken: the statement the command carries, without trailing semicolons. */
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
    while (acceptPunctuation(';')) {
      // trailing semicolons end the command
    }
    if (ahead != null) {
      throw syntax("unexpected \"" + sql.substring(ahead.start()) + "\" at the end of the command");
    }
  }

  private SQLException syntax(String message) {
    return new SQLException("syntax error in Deltaview command: " + message, SYNTAX_ERROR);
  }

  private static int wordEnd(String s, int i) {
    int j = i;
    while (j < s.length() && PgLexer.isIdentifierPart(s.charAt(j))) {
      j++;
    }
    return j;
  }

  /** Skips whitespace and comments as PostgreSQL does (see {@link PgLexer}). */
  static int skipSpaceAndComments(String s, int i) {
    return PgLexer.skipSpaceAndComments(s, i);
  }
}
