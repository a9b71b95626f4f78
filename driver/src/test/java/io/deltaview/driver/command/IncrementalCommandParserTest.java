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
}
