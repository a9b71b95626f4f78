package io.deltaview.engine.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.state.PipelineState;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.calcite.rel.RelRoot;
import org.junit.jupiter.api.Test;

/**
 * VALUES lists through the front end the view compiler plans with: their rows come once, with PostgreSQL's
 * values, and a pipeline restored from a checkpoint does not insert them again.
 */
class ValuesListTest {

  private static final CatalogSchema SCHEMA = CatalogSchema.builder()
      .table("public", "orders").column("id", "integer", false).column("status", "text").primaryKey("id").done()
      .build();

  private static RelRoot plan(String sql) throws SQLException {
    return SqlFrontEnd.forViews(SCHEMA).toRel(sql);
  }

  /** The rows' values as text, as the result table would print them. */
  private static List<String> printed(ZSet rows) {
    List<String> out = new ArrayList<>();
    rows.forEach((row, weight) -> out.add(row + " " + weight));
    out.sort(null);
    return out;
  }

  @Test
  void numbersOfDifferentScalesKeepTheirOwnAsInPostgreSql() throws SQLException {
    ViewPipeline p = ViewCompiler.compile(plan("SELECT * FROM (VALUES (1, 'a'), (2.5, 'bc'), (-0.125, NULL))"
        + " AS t(x, y)"));
    List<String> rows = printed(p.onChanges(Map.of()));
    assertEquals(List.of("[-0.125, null] 1", "[1, a] 1", "[2.5, bc] 1"), rows);
    assertTrue(p.onChanges(Map.of()).isEmpty(), "a VALUES list's rows come once");
    // the front end that plans queries for the rewriter refuses it instead: its plans may go back to PostgreSQL
    SQLException e = assertThrows(SQLException.class, () -> new SqlFrontEnd(SCHEMA).toRel("SELECT * FROM"
        + " (VALUES (1), (2.5)) AS t(x)"));
    assertEquals("0A000", e.getSQLState());
  }

  @Test
  void aRestoredPipelineDoesNotInsertTheRowsAgain() throws SQLException {
    RelRoot root = plan("SELECT o.id, v.label FROM orders o JOIN (VALUES ('new', 'open'), ('paid', 'done'))"
        + " AS v(status, label) ON v.status = o.status");
    ViewPipeline p = ViewCompiler.compile(root);
    ZSet first = p.onChanges(Map.of(0, ZSet.of(Row.of(1L, "new"), 1)));
    assertEquals(ZSet.of(Row.of(1L, "open"), 1), first);
    ViewPipeline restored = ViewCompiler.compile(root);
    PipelineState.read(restored, PipelineState.write(p).finish());
    assertEquals(ZSet.of(Row.of(2L, "done"), 1), restored.onChanges(Map.of(0, ZSet.of(Row.of(2L, "paid"), 1))));
  }

  @Test
  void aCastToNumericInsideARowIsRefused() {
    SQLException e = assertThrows(SQLException.class, () -> plan("SELECT * FROM (VALUES (CAST(2.5 AS numeric)))"
        + " AS t(x)"));
    assertEquals("0A000", e.getSQLState());
    assertTrue(e.getMessage().contains("cast to numeric inside VALUES"), e.getMessage());
  }
}
