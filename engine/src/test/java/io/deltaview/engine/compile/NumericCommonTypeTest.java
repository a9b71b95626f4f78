package io.deltaview.engine.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Numerics where branches meet: set operations, CASE, COALESCE, GREATEST/LEAST. PostgreSQL's common type of
 * {@code numeric(p,s)} and anything but that same type is plain {@code numeric}, and converting to it keeps
 * each value's own scale: {@code 2} stays {@code 2}, not {@code 2.00}. The expected rows are what PostgreSQL 15
 * prints for each query over the same rows.
 */
class NumericCommonTypeTest {

  private static final CatalogSchema SCHEMA = CatalogSchema.builder()
      .table("public", "s").column("id", "integer", false).column("a", "numeric(5,2)").column("b", "integer")
      .column("c", "numeric(6,3)").column("e", "numeric(5,2)").column("f", "bigint")
      .column("g", "double precision").primaryKey("id").done()
      .build();

  /** (1, 1.50, 2, 2.125, 7.25, 9, 1.5), (2, 3.10, 4, NULL, …) and (3, NULL, 5, NULL, …). */
  private static final ZSet ROWS = ZSet.of(
      Row.of(1L, new BigDecimal("1.50"), 2L, new BigDecimal("2.125"), new BigDecimal("7.25"), 9L, 1.5), 1,
      Row.of(2L, new BigDecimal("3.10"), 4L, null, null, null, null), 1,
      Row.of(3L, null, 5L, null, null, null, null), 1);

  private static List<String> rows(String sql) throws SQLException {
    ViewPipeline p = ViewCompiler.compile(SqlFrontEnd.forViews(SCHEMA).toRel(sql));
    List<String> out = new ArrayList<>();
    p.onChanges(Map.of(0, ROWS)).forEach((row, weight) -> out.add(row + (weight == 1 ? "" : " " + weight)));
    out.sort(null);
    return out;
  }

  @Test
  void setOperationsKeepEachBranchsScale() throws SQLException {
    assertEquals(List.of("[1.50]", "[2]", "[3.10]", "[4]", "[5]", "[null]"),
        rows("SELECT a AS x FROM s UNION ALL SELECT b FROM s"));
    assertEquals(List.of("[1.50]", "[2]", "[3.10]", "[4]", "[5]", "[null]"),
        rows("SELECT a AS x FROM s UNION SELECT b FROM s"));
    assertEquals(List.of("[1.50]", "[2.125]", "[3.10]", "[null]"), rows("SELECT a AS x FROM s UNION SELECT c FROM s"));
    assertEquals(List.of("[1.50]", "[3.10]", "[7.25]", "[null]"), rows("SELECT a AS x FROM s UNION SELECT e FROM s"));
    assertEquals(List.of("[1.50]", "[3.10]", "[9]", "[null]"), rows("SELECT a AS x FROM s UNION SELECT f FROM s"));
    assertEquals(List.of("[1.50]", "[3.10]"),
        rows("SELECT a AS x FROM s WHERE a IS NOT NULL EXCEPT SELECT b FROM s"));
    assertEquals(List.of("[1.50]", "[null]"), rows("SELECT a AS x FROM s INTERSECT SELECT c - 0.625 FROM s"));
    assertEquals(List.of("[1.50]", "[2]"),
        rows("SELECT a AS x FROM s WHERE id = 1 UNION ALL SELECT 2 FROM s WHERE id = 1"));
  }

  @Test
  void caseAndCoalesceKeepEachBranchsScale() throws SQLException {
    assertEquals(List.of("[1, 2]", "[2, 3.10]", "[3, null]"), rows("SELECT id, CASE WHEN b > 3 THEN a ELSE b END FROM s"));
    assertEquals(List.of("[1, 1.50]", "[2, 3.10]", "[3, 5]"), rows("SELECT id, coalesce(a, b) FROM s"));
    assertEquals(List.of("[1, 1.50]", "[2, 3.10]", "[3, 5]"), rows("SELECT id, coalesce(a, c, b) FROM s"));
    assertEquals(List.of("[1, 2.125]", "[2, 3.10]", "[3, null]"),
        rows("SELECT id, CASE WHEN b > 3 THEN a ELSE c END FROM s"));
    assertEquals(List.of("[1, 1.50]", "[2, 3.10]", "[3, 0]"), rows("SELECT id, coalesce(a, 0) FROM s"));
    assertEquals(List.of("[1, 0.5]", "[2, 3.10]", "[3, null]"),
        rows("SELECT id, CASE WHEN b > 3 THEN a ELSE 0.5 END FROM s"));
    assertEquals(List.of("[1, 1.50]", "[2, 0]", "[3, 0]"), rows("SELECT id, CASE b WHEN 2 THEN a ELSE 0 END FROM s"));
    assertEquals(List.of("[1, 9]", "[2, 3.10]", "[3, null]"), rows("SELECT id, CASE WHEN b > 3 THEN a ELSE f END FROM s"));
    assertEquals(List.of("[1, 1.50]", "[2, 6.20]", "[3, null]"),
        rows("SELECT id, CASE WHEN b > 3 THEN a * 2 ELSE a END FROM s"));
    // the same numeric(p,s) on every branch is that type, values at its scale
    assertEquals(List.of("[1, 7.25]", "[2, 3.10]", "[3, null]"),
        rows("SELECT id, CASE WHEN b > 3 THEN a ELSE e END FROM s"));
    assertEquals(List.of("[1, 1.50]", "[2, 3.10]", "[3, null]"), rows("SELECT id, nullif(a, b) FROM s"));
    // text of the result shows the scale as PostgreSQL's does
    assertEquals(List.of("[1, 2]", "[2, 3.10]", "[3, null]"),
        rows("SELECT id, CAST(CASE WHEN b > 3 THEN a ELSE b END AS text) FROM s"));
  }

  @Test
  void greatestAndLeastKeepTheChosenValuesScale() throws SQLException {
    assertEquals(List.of("[1, 2, 1.50]", "[2, 4, 3.10]", "[3, 5, 5]"),
        rows("SELECT id, greatest(a, b), least(a, b) FROM s"));
  }

  @Test
  void anExplicitCastStillRescales() throws SQLException {
    assertEquals(List.of("[1.50]", "[2.00]", "[3.10]", "[4.00]", "[5.00]", "[null]"),
        rows("SELECT a AS x FROM s UNION ALL SELECT CAST(b AS numeric(5,2)) FROM s"));
    assertEquals(List.of("[1, 2.00]", "[2, 3.10]", "[3, null]"),
        rows("SELECT id, CASE WHEN b > 3 THEN a ELSE CAST(b AS numeric(5,2)) END FROM s"));
  }
}
