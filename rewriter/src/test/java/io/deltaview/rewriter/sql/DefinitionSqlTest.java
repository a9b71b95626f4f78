package io.deltaview.rewriter.sql;

import io.deltaview.sql.SqlStates;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

class DefinitionSqlTest {

  @Test
  void ordinaryQueriesKeepTheirText() throws SQLException {
    String q = "SELECT c.region, count(*) AS n, sum(l.qty * l.price)::numeric(18,2) AS revenue FROM order_lines l"
        + " JOIN orders o ON l.order_id = o.id WHERE o.status <> 'x' GROUP BY c.region";
    assertEquals(q, DefinitionSql.canonical(q));
    assertEquals("SELECT a FROM t", DefinitionSql.canonical("  SELECT a FROM t ;  ; "));
    assertEquals("SELECT a\nFROM t", DefinitionSql.canonical("SELECT a -- the key\nFROM /* nested /* c */ */t"));
  }

  @Test
  void secondStatementsAreRefusedWhereverTheyHide() {
    for (String hostile : List.of(
        "SELECT 1 AS a WITH NO DATA; COMMIT; GRANT SELECT ON secret TO app; --",
        "SELECT 1; DROP TABLE t",
        "SELECT 'a'/* */; DROP TABLE t",
        "SELECT $$x$$; DROP TABLE t")) {
      SQLException e = assertThrows(SQLException.class, () -> DefinitionSql.canonical(hostile), hostile);
      assertEquals(SqlStates.SYNTAX_ERROR, e.getSQLState(), hostile);
    }
  }

  @Test
  void semicolonsInsideLiteralsStayInsideWhateverTheQuoting() throws SQLException {
    // PostgreSQL reads E'\'' as one quote: the ; that follows is still inside the literal.
    String e = DefinitionSql.canonical("SELECT E'\\'; DROP TABLE t; --' AS x FROM t");
    assertEquals("SELECT '''; DROP TABLE t; --' AS x FROM t", e);
    assertEquals("SELECT E'a\\\\b' AS x", DefinitionSql.canonical("SELECT 'a\\b' AS x"));
    assertEquals("SELECT ';x' AS y", DefinitionSql.canonical("SELECT $tag$;x$tag$ AS y"));
    assertEquals("SELECT 'it''s' AS y", DefinitionSql.canonical("SELECT $$it's$$ AS y"));
    assertEquals("SELECT \"a;\"\"b\" FROM t", DefinitionSql.canonical("SELECT \"a;\"\"b\" FROM t"));
    assertEquals("SELECT 'ab' AS c", DefinitionSql.canonical("SELECT 'a'\n  'b' AS c"));
    assertEquals("SELECT 'é\n' AS c", DefinitionSql.canonical("SELECT E'\\u00e9\\n' AS c"));
  }

  @Test
  void renderingIsIdempotent() throws SQLException {
    for (String q : List.of("SELECT E'\\'; x' AS a", "SELECT 'a\\b'", "SELECT $$q'$$ || 'r' AS s FROM t",
        "SELECT x::text FROM \"T\" WHERE y ~~ 'a%'", "SELECT date'2020-01-01'")) {
      String once = DefinitionSql.canonical(q);
      assertEquals(once, DefinitionSql.canonical(once), q);
    }
  }

  @Test
  void literalsAreNeverGluedToAPrecedingWord() throws SQLException {
    assertEquals("SELECT date '2020-01-01', x E'a\\\\' FROM t",
        DefinitionSql.canonical("SELECT date'2020-01-01', x 'a\\' FROM t"));
  }

  @Test
  void parametersAreRefusedClearly() {
    // a ? right after an operator is a parameter too, as pgjdbc reads it
    for (String q : List.of("SELECT a FROM t WHERE a = ?", "SELECT a FROM t WHERE a = $1",
        "SELECT a FROM t WHERE a=?")) {
      SQLException e = assertThrows(SQLException.class, () -> DefinitionSql.canonical(q));
      assertEquals(SqlStates.UNDEFINED_PARAMETER, e.getSQLState());
      assertTrue(e.getMessage().contains("parameters"), e.getMessage());
    }
  }

  @Test
  void onlyQueriesAreDefinitions() {
    for (String q : List.of("DELETE FROM t", "GRANT SELECT ON t TO app", "", " ; ", "-- nothing")) {
      assertThrows(SQLException.class, () -> DefinitionSql.canonical(q), q);
    }
  }

  @Test
  void onlyBeforeATableIsRefusedByName() throws SQLException {
    for (String q : List.of("SELECT id, v FROM ONLY parent", "SELECT a.id FROM t a JOIN only p ON p.id = a.id",
        "TABLE ONLY parent", "SELECT id FROM ONLY (parent)")) {
      SQLException e = assertThrows(SQLException.class, () -> DefinitionSql.canonical(q), q);
      assertEquals(SqlStates.FEATURE_NOT_SUPPORTED, e.getSQLState(), q);
      assertTrue(e.getMessage().contains("ONLY before a table name"), e.getMessage());
    }
    String fetch = "SELECT id FROM t ORDER BY id FETCH FIRST 3 ROWS ONLY";
    assertEquals(fetch, DefinitionSql.canonical(fetch));
    assertEquals("SELECT id FROM t FETCH FIRST ROW ONLY", DefinitionSql.canonical("SELECT id FROM t FETCH FIRST ROW ONLY"));
  }

  @Test
  void unterminatedThingsAreSyntaxErrors() {
    for (String q : List.of("SELECT 'abc", "SELECT \"abc", "SELECT $$abc", "SELECT 1 /* open", "SELECT E'abc\\'")) {
      SQLException e = assertThrows(SQLException.class, () -> DefinitionSql.canonical(q), q);
      assertEquals(SqlStates.SYNTAX_ERROR, e.getSQLState(), q);
    }
  }

  @Test
  void skippingCommentsFollowsPostgresql() {
    String sql = "/* a /* nested */ still comment */ -- line\n  SET search_path TO x";
    assertEquals(sql.indexOf("SET"), PgLexer.skipSpaceAndComments(sql, 0));
    assertTrue(PgLexer.startsWithKeyword(sql, "set"));
    assertFalse(PgLexer.startsWithKeyword("SETTINGS", "SET"));
  }
}
