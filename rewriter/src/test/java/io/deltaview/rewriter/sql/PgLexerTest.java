package io.deltaview.rewriter.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.deltaview.rewriter.sql.PgLexer.Kind;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgLexerTest {

  /** Each token as kind:text. */
  private static List<String> lex(String sql) throws SQLException {
    return PgLexer.tokens(sql).stream().map(t -> t.kind() + ":" + t.text()).toList();
  }

  @Test
  void aQuestionMarkAfterAnOperatorIsAParameter() throws SQLException {
    // as pgjdbc reads JDBC text (Hibernate writes id=?), not as PostgreSQL would (an operator =?)
    assertEquals(List.of("WORD:id", "OPERATOR:=", "PARAMETER:?"), lex("id=?"));
    assertEquals(List.of("WORD:a", "OPERATOR:<>", "PARAMETER:?", "WORD:and", "WORD:b", "OPERATOR:>=",
        "PARAMETER:?"), lex("a<>? and b>=?"));
    assertEquals(List.of("PUNCTUATION:(", "PARAMETER:?", "PUNCTUATION:)"), lex("(?)"));
  }

  @Test
  void questionMarkOperatorsFollowPgjdbc() throws SQLException {
    // pgjdbc: a lone ? is a parameter wherever it stands, ?? is an escaped ? character of an operator
    assertEquals(List.of("WORD:j", "PARAMETER:?", "OPERATOR:|", "WORD:array"), lex("j ?| array"));
    assertEquals(List.of("WORD:j", "OPERATOR:??|", "WORD:array"), lex("j ??| array"));
    assertEquals(List.of("WORD:j", "OPERATOR:??&", "WORD:array"), lex("j ??& array"));
    assertEquals(List.of("WORD:j", "OPERATOR:@", "PARAMETER:?", "STRING:'$.a'"), lex("j @? '$.a'"));
    assertEquals(List.of("WORD:j", "OPERATOR:@??", "STRING:'$.a'"), lex("j @?? '$.a'"));
    assertEquals(List.of("WORD:j", "OPERATOR:??", "STRING:'k'"), lex("j ?? 'k'"));
    assertEquals(List.of("WORD:a", "OPERATOR:=", "PARAMETER:?", "PARAMETER:?"), lex("a=? ?"));
    // inside strings, quoted identifiers and comments a ? is a character
    assertEquals(List.of("STRING:'?'", "QUOTED_IDENTIFIER:\"?\""), lex("'?' /* ? */ \"?\" -- ?"));
  }

  @Test
  void spansFindTheTokens() throws SQLException {
    for (String sql : List.of(
        "SELECT a, b FROM t WHERE a = 5 AND b = 'it''s' -- c\n ORDER BY 1",
        "select E'a\\'b', $tag$x$y$tag$, $$z$$, B'101', X'ff', N'n', \"Q\"\"x\", 1.5e3, .5, 5., $1, ?",
        "SELECT 'a'\n  'b' FROM t /* nested /* comment */ */ WHERE x::int >= -3 AND y @?? '$.a' AND z=?",
        "SELECT a[1:2], (b).c; SELECT 1",
        "")) {
      List<PgLexer.Token> tokens = PgLexer.tokens(sql);
      PgLexer.Spans spans = PgLexer.spans(sql);
      List<String> expected = new ArrayList<>();
      List<String> actual = new ArrayList<>();
      for (PgLexer.Token t : tokens) {
        expected.add(t.kind() + "@" + t.start() + ":" + t.text());
      }
      for (int i = 0; i < spans.size(); i++) {
        actual.add(spans.kind(i) + "@" + spans.start(i) + ":" + sql.substring(spans.start(i), spans.end(i)));
      }
      assertEquals(expected, actual, sql);
    }
    assertEquals(Kind.WORD, PgLexer.spans("x".repeat(1000) + " y".repeat(1000)).kind(1000));
  }

  @Test
  void spansRefuseWhatTokensRefuse() {
    for (String sql : List.of("SELECT 'a", "SELECT \"\"", "SELECT E'\\u0000'", "SELECT E'\\xff'", "SELECT U&'x'",
        "SELECT B'12'", "SELECT /* x", "SELECT $a", "SELECT #\u0001", "SELECT \u0001")) {
      SQLException tokens = assertThrows(SQLException.class, () -> PgLexer.tokens(sql), sql);
      SQLException spans = assertThrows(SQLException.class, () -> PgLexer.spans(sql), sql);
      assertEquals(tokens.getSQLState(), spans.getSQLState(), sql);
      assertEquals(tokens.getMessage(), spans.getMessage(), sql);
    }
  }

  @Test
  void spansTellWordsInAnyCase() throws SQLException {
    PgLexer.Spans s = PgLexer.spans("SELECT Order \"by\" by");
    assertEquals(true, s.isWord(0, "select"));
    assertEquals(true, s.isWord(1, "order"));
    assertEquals(false, s.isWord(2, "by"));
    assertEquals(true, s.isWord(3, "by"));
    assertEquals(false, s.isWord(1, "orde"));
  }
}
