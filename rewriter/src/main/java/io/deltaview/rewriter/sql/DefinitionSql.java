package io.deltaview.rewriter.sql;

import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import io.deltaview.rewriter.sql.PgLexer.Kind;
import io.deltaview.rewriter.sql.PgLexer.Token;
import java.sql.SQLException;
import java.util.List;

/**
 * The one way a view definition that arrived on a connection becomes SQL Deltaview stores and executes:
 * it is split into tokens by PostgreSQL's lexical rules, checked to be exactly one query without parameters,
 * and re-rendered from the tokens. Comments are dropped, every string literal is re-quoted in a form that
 * means the same with any {@code standard_conforming_strings} ({@code '…'}, or {@code E'…'} when it holds a
 * backslash), quoted identifiers are re-quoted, and everything else is written as it came. So the text that
 * reaches PostgreSQL can hold a {@code ;} only inside a literal or an identifier Deltaview quoted itself,
 * while column names, types and meaning stay exactly what PostgreSQL gives the original query.
 *
 * <p>Rendering is idempotent: a canonical definition renders to itself, so stored definitions are checked
 * again, the same way, every time they are loaded.
 */
public final class DefinitionSql {

  private DefinitionSql() {
  }

  /**
   * The canonical text of {@code sql}.
   *
   * @throws SQLException {@code 42601} if it is not one query (empty, several statements, unterminated
   *     literal), {@code 42P02} if it has parameters, {@code 0A000} for literal forms Deltaview does not accept
   */
  public static String canonical(String sql) throws SQLException {
    List<Token> tokens = PgLexer.tokens(sql);
    int end = tokens.size();
    while (end > 0 && tokens.get(end - 1).isPunctuation(';')) {
      end--; // a trailing semicolon ends the one statement, as psql users write it
    }
    if (end == 0) {
      throw new SQLException("syntax error: the view definition is empty", SqlStates.SYNTAX_ERROR);
    }
    Token first = tokens.get(0);
    if (!(first.isWord("SELECT") || first.isWord("WITH") || first.isWord("VALUES") || first.isWord("TABLE")
        || first.isPunctuation('('))) {
      throw new SQLException("syntax error: a view definition is a query (SELECT, WITH, VALUES or TABLE), not \""
          + first.text() + "\"", SqlStates.SYNTAX_ERROR);
    }
    refuseUnmaintainableSyntax(tokens, end);
    StringBuilder out = new StringBuilder(sql.length());
    Token previous = null;
    for (int i = 0; i < end; i++) {
      Token t = tokens.get(i);
      if (t.isPunctuation(';')) {
        throw new SQLException("syntax error: a view definition is one query, but a second statement starts after"
            + " the \";\" at position " + (t.start() + 1), SqlStates.SYNTAX_ERROR);
      }
      if (t.kind() == Kind.PARAMETER) {
        throw new SQLException("a view definition cannot have parameters, but it has " + t.text() + " at position "
            + (t.start() + 1) + " (write the value itself)", SqlStates.UNDEFINED_PARAMETER);
      }
      appendSeparator(out, previous, t);
      switch (t.kind()) {
        case STRING -> appendString(out, t);
        case QUOTED_IDENTIFIER -> out.append(SqlIdentifiers.quote(t.value()));
        default -> out.append(t.text());
      }
      previous = t;
    }
    return out.toString();
  }

  /**
   * PostgreSQL syntax a view definition may not use, refused with {@code 0A000} by name before Calcite's parser
   * would call it a syntax error: row locks ({@code FOR UPDATE}, {@code FOR SHARE}, …), data-modifying
   * statements in a WITH or subquery, and {@code ONLY} before a table (which Calcite's parser would take for a table named "only").
   */
  private static void refuseUnmaintainableSyntax(List<Token> tokens, int end) throws SQLException {
    for (int i = 0; i + 1 < end; i++) {
      Token t = tokens.get(i);
      Token next = tokens.get(i + 1);
      if (t.isWord("FOR") && (next.isWord("UPDATE") || next.isWord("SHARE") || next.isWord("NO")
          || next.isWord("KEY"))) {
        throw unsupported("FOR " + next.text().toUpperCase(java.util.Locale.ROOT) + " (a maintained view's rows"
            + " cannot be locked)");
      }
      if (t.isPunctuation('(') && (next.isWord("INSERT") || next.isWord("UPDATE") || next.isWord("DELETE")
          || next.isWord("MERGE"))) {
        throw unsupported("data-modifying statement " + next.text().toUpperCase(java.util.Locale.ROOT)
            + " in WITH or a subquery");
      }
      if (next.isWord("ONLY") && !t.isWord("ROWS") && !t.isWord("ROW")) {
        throw unsupported("ONLY before a table name (a view over a partitioned table or an inheritance parent"
            + " reads all of its partitions or children; one without them is not maintained)");
      }
    }
  }

  private static SQLException unsupported(String construct) {
    return new SQLException("Deltaview cannot maintain this view yet: incremental views do not support " + construct,
        SqlStates.FEATURE_NOT_SUPPORTED);
  }

  private static void appendSeparator(StringBuilder out, Token previous, Token t) {
    if (previous == null) {
      return;
    }
    if (previous.kind() == Kind.STRING && t.kind() == Kind.STRING) {
      // Two literals the lexer did not join (a comment between them, or no line break): PostgreSQL rejects
      // the original, so the rendering must not become a continuation line that it would accept.
      out.append(' ');
    } else if (t.spaceBefore() != 0) {
      out.append(t.spaceBefore());
    } else if (t.kind() == Kind.STRING && PgLexer.isIdentifierPart(out.charAt(out.length() - 1))) {
      out.append(' '); // E'…' must not be glued to a preceding word (typename 'literal' means the same)
    }
  }

  private static void appendString(StringBuilder out, Token t) throws SQLException {
    String value = t.value();
    boolean national = t.text().startsWith("N") || t.text().startsWith("n");
    if (value.indexOf('\\') >= 0) {
      if (national) {
        throw new SQLException("Deltaview does not accept N'…' literals with a backslash in a view definition"
            + " (at position " + (t.start() + 1) + ")", SqlStates.FEATURE_NOT_SUPPORTED);
      }
      out.append("E'").append(value.replace("\\", "\\\\").replace("'", "''")).append('\'');
    } else {
      out.append(national ? "N'" : "'").append(value.replace("'", "''")).append('\'');
    }
  }
}
