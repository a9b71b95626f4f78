package io.deltaview.engine.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.dataflow.DataflowPrinter;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SELECT DISTINCT ON through the production front end: the first row of each group in the ORDER BY's order, kept
 * as rows come and go; PostgreSQL's errors for expressions that do not match the ORDER BY, and a refusal when
 * the ORDER BY leaves the kept row undecided.
 */
class DistinctOnTest {

  private static final SqlFrontEnd FRONT_END = new SqlFrontEnd(CatalogSchema.builder()
      .table("public", "orders").column("id", "integer", false).column("customer_id", "integer")
      .column("amount", "numeric(10,2)").column("status", "text").primaryKey("id").done()
      .table("public", "customers").column("id", "integer", false).column("region", "text").primaryKey("id").done()
      .build());

  private static ViewPipeline compile(String sql) throws SQLException {
    return ViewCompiler.compile(FRONT_END.toRel(sql));
  }

  private static Row order(int id, Integer customer, String amount, String status) {
    return Row.of((long) id, customer == null ? null : (long) customer, amount == null ? null : new BigDecimal(amount),
        status);
  }

  @Test
  void keepsEachGroupsFirstRowInOrderAsRowsComeAndGo() throws SQLException {
    ViewPipeline p = compile("SELECT DISTINCT ON (customer_id) customer_id, id, amount FROM orders"
        + " ORDER BY customer_id, amount DESC NULLS LAST, id");
    String plan = DataflowPrinter.print(p.dataflow());
    assertTrue(plan.contains("ROW_NUMBER()") && plan.contains("partition by [customer_id]"), plan);
    ZSet out = new ZSet();
    out.addAll(p.onChanges(Map.of(0, ZSet.of(order(1, 7, "10.00", "new"), 1, order(2, 7, "30.00", "new"), 1,
        order(3, 8, null, "new"), 1, order(4, 8, "5.00", "paid"), 1, order(5, null, "1.00", "x"), 1))));
    assertEquals(ZSet.of(Row.of(7L, 2L, new BigDecimal("30.00")), 1, Row.of(8L, 4L, new BigDecimal("5.00")), 1,
        Row.of(null, 5L, new BigDecimal("1.00")), 1), out);
    out.addAll(p.onChanges(Map.of(0, ZSet.of(order(2, 7, "30.00", "new"), -1, order(6, 8, "5.00", "new"), 1))));
    assertEquals(ZSet.of(Row.of(7L, 1L, new BigDecimal("10.00")), 1, Row.of(8L, 4L, new BigDecimal("5.00")), 1,
        Row.of(null, 5L, new BigDecimal("1.00")), 1), out);
  }

  @Test
  void positionsAndOutputNamesMeanSelectListItemsAndALimitAppliesAfterwards() throws SQLException {
    ViewPipeline p = compile("SELECT DISTINCT ON (1, s) customer_id AS c, upper(status) AS s, id FROM orders"
        + " ORDER BY 1, s, id LIMIT 2");
    ZSet out = p.onChanges(Map.of(0, ZSet.of(order(1, 7, "1", "a"), 1, order(2, 7, "1", "a"), 1,
        order(3, 7, "1", "b"), 1, order(4, 8, "1", "a"), 1)));
    assertEquals(ZSet.of(Row.of(7L, "A", 1L), 1, Row.of(7L, "B", 3L), 1), out);
  }

  @Test
  void overAJoinWithoutOrderByWhenTheKeysAreEverySelectedColumn() throws SQLException {
    ViewPipeline p = compile("SELECT DISTINCT ON (c.region, o.status) c.region, o.status FROM orders o"
        + " JOIN customers c ON c.id = o.customer_id");
    ZSet out = new ZSet();
    out.addAll(p.onChanges(Map.of(0, ZSet.of(order(1, 7, "1", "a"), 1, order(2, 7, "1", "a"), 1),
        1, ZSet.of(Row.of(7L, "eu"), 1))));
    assertEquals(ZSet.of(Row.of("eu", "a"), 1), out);
  }

  @Test
  void expressionsThatDoNotStartTheOrderByFailAsInPostgreSql() {
    SQLException e = assertThrows(SQLException.class, () -> compile("SELECT DISTINCT ON (customer_id) customer_id, id"
        + " FROM orders ORDER BY id, customer_id"));
    assertEquals("42P10", e.getSQLState());
    assertEquals("SELECT DISTINCT ON expressions must match initial ORDER BY expressions", e.getMessage());
  }

  @Test
  void anOrderThatLeavesTheKeptRowUndecidedIsRefused() {
    SQLException e = assertThrows(SQLException.class, () -> compile("SELECT DISTINCT ON (customer_id) customer_id,"
        + " amount FROM orders ORDER BY customer_id"));
    assertEquals("0A000", e.getSQLState());
    assertTrue(e.getMessage().contains("DISTINCT ON whose ORDER BY does not decide the row kept"), e.getMessage());
    SQLException nested = assertThrows(SQLException.class, () -> compile("SELECT * FROM (SELECT DISTINCT ON (id) id"
        + " FROM orders ORDER BY id) x"));
    assertEquals("0A000", nested.getSQLState());
  }

  @Test
  void overAStarAndOverGroups() throws SQLException {
    ViewPipeline star = compile("SELECT DISTINCT ON (customer_id) * FROM orders ORDER BY customer_id, id DESC");
    assertEquals(java.util.List.of("id", "customer_id", "amount", "status"), star.columnNames());
    assertEquals(ZSet.of(order(2, 7, "1.00", "b"), 1), star.onChanges(Map.of(0, ZSet.of(order(1, 7, "1.00", "a"), 1,
        order(2, 7, "1.00", "b"), 1))));
    // the status of each customer's most frequent status, ties to the first status in text order
    ViewPipeline groups = compile("SELECT DISTINCT ON (customer_id) customer_id, status, count(*) AS n FROM orders"
        + " GROUP BY customer_id, status ORDER BY customer_id, n DESC, status");
    ZSet out = new ZSet();
    out.addAll(groups.onChanges(Map.of(0, ZSet.of(order(1, 7, "1", "b"), 1, order(2, 7, "1", "a"), 1,
        order(3, 7, "1", "b"), 1))));
    assertEquals(ZSet.of(Row.of(7L, "b", 2L), 1), out);
    out.addAll(groups.onChanges(Map.of(0, ZSet.of(order(3, 7, "1", "b"), -1))));
    assertEquals(ZSet.of(Row.of(7L, "a", 1L), 1), out);
  }
}
