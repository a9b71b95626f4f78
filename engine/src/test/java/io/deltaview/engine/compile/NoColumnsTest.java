package io.deltaview.engine.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.math.BigDecimal;
import java.sql.SQLException;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * SELECT without columns through the production front end: a view with none holds one empty row per row of its
 * query; inside EXISTS or a derived table it means what it means in PostgreSQL; a query with one is not answered
 * from views.
 */
class NoColumnsTest {

  private static final CatalogSchema SCHEMA = CatalogSchema.builder()
      .table("public", "orders").column("id", "integer", false).column("customer_id", "integer")
      .column("amount", "numeric(10,2)").column("status", "text").primaryKey("id").done()
      .table("public", "customers").column("id", "integer", false).column("region", "text").primaryKey("id").done()
      .build();
  private static final SqlFrontEnd VIEWS = SqlFrontEnd.forViews(SCHEMA);

  private static ViewPipeline compile(String sql) throws SQLException {
    return ViewCompiler.compile(VIEWS.toRel(sql));
  }

  private static Row order(int id, Integer customer, String amount, String status) {
    return Row.of((long) id, customer == null ? null : (long) customer, new BigDecimal(amount), status);
  }

  /** The changes to {@code orders} and {@code customers}, by the pipeline's source numbers. */
  private static Map<Integer, ZSet> changes(ViewPipeline p, ZSet orders, ZSet customers) {
    Map<Integer, ZSet> out = new java.util.HashMap<>();
    for (int i = 0; i < p.sourceTables().size(); i++) {
      String table = p.sourceTables().get(i).get(p.sourceTables().get(i).size() - 1);
      ZSet delta = table.equals("orders") ? orders : customers;
      if (delta != null) {
        out.put(i, delta);
      }
    }
    return out;
  }

  @Test
  void aViewWithoutColumnsCountsItsQueryRows() throws SQLException {
    ViewPipeline p = compile("SELECT FROM orders WHERE status = 'paid'");
    assertEquals(0, p.columnTypes().size());
    assertNull(p.uniqueKey(), "several empty rows are not one row");
    ZSet out = new ZSet();
    out.addAll(p.onChanges(Map.of(0, ZSet.of(order(1, 7, "1", "paid"), 1, order(2, 7, "2", "paid"), 1,
        order(3, 8, "3", "new"), 1))));
    assertEquals(ZSet.of(Row.of(), 2), out);
    out.addAll(p.onChanges(Map.of(0, ZSet.of(order(1, 7, "1", "paid"), -1, order(3, 8, "3", "new"), -1,
        order(3, 8, "3", "paid"), 1, order(4, 9, "4", "paid"), 1))));
    assertEquals(ZSet.of(Row.of(), 3), out);
  }

  @Test
  void groupedWithoutColumnsOneRowPerGroup() throws SQLException {
    ViewPipeline p = compile("SELECT ALL FROM orders GROUP BY status HAVING count(*) > 1");
    ZSet out = p.onChanges(Map.of(0, ZSet.of(order(1, 7, "1", "paid"), 1, order(2, 7, "2", "paid"), 1,
        order(3, 8, "3", "new"), 1, order(4, 8, "3", "new"), 1, order(5, 8, "3", "sent"), 1)));
    assertEquals(ZSet.of(Row.of(), 2), out);
  }

  @Test
  void insideExistsAndDerivedTablesAsInPostgreSql() throws SQLException {
    ViewPipeline anti = compile("SELECT c.id FROM customers c WHERE NOT EXISTS (SELECT FROM orders o"
        + " WHERE o.customer_id = c.id)");
    ZSet out = new ZSet();
    out.addAll(anti.onChanges(changes(anti, ZSet.of(order(1, 7, "1", "paid"), 1),
        ZSet.of(Row.of(7L, "eu"), 1, Row.of(8L, "us"), 1))));
    assertEquals(ZSet.of(Row.of(8L), 1), out);
    out.addAll(anti.onChanges(changes(anti, ZSet.of(order(1, 7, "1", "paid"), -1), null)));
    assertEquals(ZSet.of(Row.of(7L), 1, Row.of(8L), 1), out);

    // a * over a derived table without columns adds none, and multiplies the rows
    ViewPipeline star = compile("SELECT * FROM customers, (SELECT FROM orders WHERE amount > 1) x,"
        + " (SELECT FROM orders WHERE status = 'paid') y");
    assertEquals(2, star.columnTypes().size());
    assertEquals(ZSet.of(Row.of(7L, "eu"), 2), star.onChanges(changes(star, ZSet.of(order(1, 7, "1", "paid"), 1,
        order(2, 7, "2", "new"), 1, order(3, 7, "3", "new"), 1), ZSet.of(Row.of(7L, "eu"), 1))));
  }

  @Test
  void aQueryWithoutColumnsIsNotAnsweredFromViews() {
    SQLException e = assertThrows(SQLException.class,
        () -> new SqlFrontEnd(SCHEMA).toRel("SELECT FROM orders WHERE status = 'paid'"));
    assertEquals("0A000", e.getSQLState());
  }
}
