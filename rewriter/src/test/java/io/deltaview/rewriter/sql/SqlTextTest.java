package io.deltaview.rewriter.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SqlTextTest {

  private static String rest(String sql) {
    return sql.substring(SqlText.skipSpaceAndComments(sql, 0));
  }

  @Test
  void skipsWhitespaceLineAndNestedBlockComments() {
    assertEquals("SET search_path TO x", rest("  \n\t SET search_path TO x"));
    assertEquals("SET ROLE r", rest("-- a comment\nSET ROLE r"));
    assertEquals("SET ROLE r", rest("-- a comment\r\nSET ROLE r"));
    assertEquals("SET ROLE r", rest("/* outer /* inner */ still comment */ SET ROLE r"));
    assertEquals("SET ROLE r", rest("/*+ incremental */-- x\n /**/SET ROLE r"));
    assertEquals("", rest("/* never closed SET ROLE r"));
    assertEquals("", rest("-- only a comment"));
    assertEquals("/ * not a comment", rest("/ * not a comment"));
    assertEquals("- 1", rest("- 1"));
  }

  @Test
  void wordsEndAtNonIdentifierCharacters() {
    assertTrue(SqlText.startsWithWord("set role", 0, "SET"));
    assertTrue(SqlText.startsWithWord("SET", 0, "set"));
    assertTrue(SqlText.startsWithWord("x SET(", 2, "set"));
    assertFalse(SqlText.startsWithWord("settings", 0, "set"));
    assertFalse(SqlText.startsWithWord("set_config", 0, "set"));
    assertFalse(SqlText.startsWithWord("se", 0, "set"));
  }

  @Test
  void abbreviatesLongTextForLogs() {
    assertEquals("SELECT 1 FROM t", SqlText.abbreviate("  SELECT 1\n   FROM t  \n"));
    String longSql = "SELECT '" + "x".repeat(5000) + "'";
    String shortForm = SqlText.abbreviate(longSql);
    assertTrue(shortForm.length() < SqlText.MAX_LOGGED_CHARS + 40, shortForm);
    assertTrue(shortForm.endsWith("… (" + longSql.length() + " characters)"), shortForm);
  }
}
