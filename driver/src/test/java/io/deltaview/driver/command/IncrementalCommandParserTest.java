package io.deltaview.driver.command;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class IncrementalCommandParserTest {

  @Test
  void showViewsAndShowQueries() throws SQLException {
    assertInstanceOf(IncrementalCommand.ShowViews.class, IncrementalCommandParser.parse("SHOW INCREMENTAL VIEWS"));
    assertInstanceOf(IncrementalCommand.ShowQueries.class,
        IncrementalCommandParser.parse("show incremental queries;"));
    assertInstanceOf(IncrementalCommand.ShowQueries.class,
        IncrementalCommandParser.parse("/* from psql */ SHOW INCREMENTAL\n QUERIES"));
  }

  @Test
  void anythingElseAfterShowIsASyntaxError() {
    SQLException e = assertThrows(SQLException.class,
        () -> IncrementalCommandParser.parse("SHOW INCREMENTAL QUERIES now"));
    assertEquals("42601", e.getSQLState());
    SQLException other = assertThrows(SQLException.class,
        () -> IncrementalCommandParser.parse("SHOW INCREMENTAL TABLES"));
    assertEquals("42601", other.getSQLState());
    assertTrue(other.getMessage().contains("TABLES"), other.getMessage());
  }

  @Test
  void createTakesAnEngineOptionBetweenTheNameAndAs() throws SQLException {
    IncrementalCommand.CreateView plain = (IncrementalCommand.CreateView) IncrementalCommandParser.parse(
        "CREATE INCREMENTAL VIEW v AS WITH x AS (SELECT 1 AS a) SELECT a FROM x");
    assertEquals(null, plain.engine());
    assertEquals("WITH x AS (SELECT 1 AS a) SELECT a FROM x", plain.query());

    IncrementalCommand.CreateView flink = (IncrementalCommand.CreateView) IncrementalCommandParser.parse(
        "create incremental view if not exists s.\"V\" with ( engine = 'flink' ) as select 1");
    assertEquals("flink", flink.engine());
    assertEquals(new IncrementalCommand.QualifiedName("s", "V"), flink.name());
    assertTrue(flink.ifNotExists());
    assertEquals("select 1", flink.query());

    assertEquals("embedded", ((IncrementalCommand.CreateView) IncrementalCommandParser.parse(
        "CREATE INCREMENTAL VIEW v WITH (ENGINE = Embedded) AS SELECT 1")).engine());
    assertEquals("it's", ((IncrementalCommand.CreateView) IncrementalCommandParser.parse(
        "CREATE INCREMENTAL VIEW v WITH (engine = 'it''s') AS SELECT 1")).engine());
  }

  @Test
  void unknownOrMalformedCreateOptionsAreRefused() {
    SQLException unknown = assertThrows(SQLException.class,
        () -> IncrementalCommandParser.parse("CREATE INCREMENTAL VIEW v WITH (fillfactor = 70) AS SELECT 1"));
    assertEquals("22023", unknown.getSQLState());
    assertTrue(unknown.getMessage().contains("fillfactor"), unknown.getMessage());
    for (String sql : new String[] {
        "CREATE INCREMENTAL VIEW v WITH engine = 'flink' AS SELECT 1",
        "CREATE INCREMENTAL VIEW v WITH (engine 'flink') AS SELECT 1",
        "CREATE INCREMENTAL VIEW v WITH (engine = 'flink' AS SELECT 1",
        "CREATE INCREMENTAL VIEW v WITH (engine = 'flink', engine = 'embedded') AS SELECT 1",
        "CREATE INCREMENTAL VIEW v WITH (engine = 'flink) AS SELECT 1",
        "CREATE INCREMENTAL VIEW v WITH () AS SELECT 1"}) {
      assertEquals("42601", assertThrows(SQLException.class, () -> IncrementalCommandParser.parse(sql)).getSQLState(),
          sql);
    }
  }

  @Test
  void theHeadIsReadWithPostgresqlsLexicalRulesAndTheStatementAsWritten() throws SQLException {
    IncrementalCommand.CreateView v = (IncrementalCommand.CreateView) IncrementalCommandParser.parse(
        "CREATE /* a */ INCREMENTAL -- b\n VIEW \"My \"\"V\"\"\" WITH (engine = E'fl\\x69nk') AS"
            + " SELECT U&'\\0041' AS a, $$it's$$ AS b;");
    assertEquals(new IncrementalCommand.QualifiedName(null, "My \"V\""), v.name());
    assertEquals("flink", v.engine());
    // the statement is handed on as written, never lexed here (U&'' strings are refused only in definitions)
    assertEquals("SELECT U&'\\0041' AS a, $$it's$$ AS b", v.query());
    assertEquals(new IncrementalCommand.DropView(new IncrementalCommand.QualifiedName("a\"b", "c"), true),
        IncrementalCommandParser.parse("DROP INCREMENTAL VIEW IF EXISTS \"a\"\"b\" . C ;;"));
    assertEquals("42601", assertThrows(SQLException.class,
        () -> IncrementalCommandParser.parse("DROP INCREMENTAL VIEW \"\"")).getSQLState());
    assertEquals("42601", assertThrows(SQLException.class,
        () -> IncrementalCommandParser.parse("DROP INCREMENTAL VIEW v /* unterminated")).getSQLState());
  }
}
