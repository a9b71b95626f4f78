package io.deltaview.driver.runtime;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.junit.jupiter.api.Test;

class QueryShapesTest {

  @Test
  void literalsBecomeParametersAndSpacingAndCommentsCollapse() {
    assertEquals("SELECT * FROM orders WHERE id = ? AND status = ?",
        QueryShapes.shapeOf("SELECT *  FROM orders\n WHERE id = 5 AND status = 'paid' -- a comment"));
    assertEquals(QueryShapes.shapeOf("select a from t where x = 1.5e3"),
        QueryShapes.shapeOf("select a from t /* hint */ where x = 7"));
    assertEquals("SELECT ?, ?, ?, ?", QueryShapes.shapeOf("SELECT E'it''s\\n', $tag$secret$tag$, B'101', 'a'"));
    assertEquals("SELECT \"Nation\", count(*) FROM s.\"Suppliers\" WHERE x = $1",
        QueryShapes.shapeOf("SELECT \"Nation\", count(*) FROM s.\"Suppliers\" WHERE x = $1"));
    assertEquals("(not valid SQL)", QueryShapes.shapeOf("SELECT 'unterminated"));
  }

  @Test
  void noLiteralValueIsKept() {
    String shape = QueryShapes.shapeOf("SELECT * FROM users WHERE password = 'hunter2' AND pin = 4711");
    assertTrue(!shape.contains("hunter2") && !shape.contains("4711"), shape);
  }

  @Test
  void longShapesAreCut() {
    String shape = QueryShapes.shapeOf("SELECT " + "a, ".repeat(2_000) + "b FROM t");
    assertEquals(QueryShapes.MAX_SHAPE_LENGTH + 1, shape.length());
    assertTrue(shape.endsWith("…"));
  }

  @Test
  void textsOfOneShapeShareItsCountsAndTheMostExecutedComesFirst() {
    QueryShapes shapes = new QueryShapes();
    QueryShapes.Shape five = shapes.of("SELECT * FROM orders WHERE id = 5");
    assertSame(five, shapes.of("SELECT * FROM orders WHERE id = 6"));
    assertSame(five, shapes.of("SELECT * FROM orders WHERE id = 5"));
    five.served("public.by_id");
    five.took(2_000_000);
    shapes.of("SELECT * FROM orders WHERE id = 6").passedThrough("too_stale");
    shapes.of("SELECT * FROM orders WHERE id = 6").took(4_000_000);
    QueryShapes.Shape other = shapes.of("SELECT count(*) FROM lines");
    other.passedThrough("no view matches");
    five.served("public.by_id");

    List<QueryShapes.Shape> seen = shapes.seen();
    assertEquals(List.of(five, other), seen);
    assertEquals(3, five.executions());
    assertEquals(2, five.servedCount());
    assertEquals("public.by_id", five.view());
    assertEquals("too_stale", five.passReason());
    assertEquals(3.0, five.meanMillis(), 1e-9);
    assertNull(other.view());
    assertNull(other.meanMillis());
  }
}
