package io.deltaview.rewriter.lift;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.QueryRewriter;
import io.deltaview.rewriter.RewriteDecision;
import io.deltaview.rewriter.TestCatalog;
import io.deltaview.rewriter.ViewDefinition;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import io.deltaview.sql.SqlStates;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Test;

/** SQL in, view SQL out: what Deltaview creates for a marked query, and what it refuses. */
class ParameterLifterTest {
  private static final SqlFrontEnd FRONT_END = new SqlFrontEnd(TestCatalog.baseTables().build());

  private static final String JOIN = "FROM customers c JOIN orders o ON o.customer_id = c.id "
      + "JOIN order_lines l ON l.order_id = o.id ";
  private static final String REVENUE_PER_MONTH = "/*+ incremental */ SELECT"
      + " date_trunc('month', o.created_at) AS month, sum(l.qty * l.price) AS revenue " + JOIN
      + "WHERE c.region = ? GROUP BY 1 ORDER BY 1";
  private static final String ORDERS_OF_CUSTOMER = "SELECT /*+ incremental */ id, amount FROM orders"
      + " WHERE ? = customer_id AND status <> 'new' ORDER BY id LIMIT ?";

  private static LiftedView lift(String sql) throws SQLException {
    return ParameterLifter.lift(sql, FRONT_END);
  }

  private static void assertLifted(String sql, String viewSql, List<String> keys) throws SQLException {
    LiftedView v = lift(sql);
    assertEquals(viewSql, v.sql());
    assertEquals(keys, v.keyColumns());
  }

  private static void assertNotLiftable(String sql, String reasonPart) {
    SQLException e = assertThrows(SQLException.class, () -> lift(sql));
    assertEquals(SqlStates.FEATURE_NOT_SUPPORTED, e.getSQLState());
    assertTrue(e.getMessage().contains(reasonPart), () -> "reason was: " + e.getMessage());
  }

  @Test
  void groupedQueryGetsTheParameterColumnAsAGroupKey() throws SQLException {
    assertLifted(REVENUE_PER_MONTH,
        "SELECT DATE_TRUNC('month', \"o\".\"created_at\") AS \"month\", SUM(\"l\".\"qty\" * \"l\".\"price\") AS"
            + " \"revenue\", \"c\".\"region\" AS \"region\" FROM \"customers\" AS \"c\" INNER JOIN \"orders\" AS \"o\""
            + " ON \"o\".\"customer_id\" = \"c\".\"id\" INNER JOIN \"order_lines\" AS \"l\" ON \"l\".\"order_id\""
            + " = \"o\".\"id\" GROUP BY 1, \"c\".\"region\"",
        List.of("region"));
  }

  @Test
  void filterQueryKeepsOtherConditionsAndDropsOrderByAndLimit() throws SQLException {
    assertLifted(ORDERS_OF_CUSTOMER,
        "SELECT \"id\", \"amount\", \"customer_id\" AS \"customer_id\" FROM \"orders\" WHERE \"status\" <> 'new'",
        List.of("customer_id"));
  }

  @Test
  void aggregateWithoutGroupByBecomesGroupedByTheKeys() throws SQLException {
    assertLifted("SELECT count(*), sum(amount) AS total FROM orders WHERE customer_id = ?::int4 AND status = ?",
        "SELECT COUNT(*), SUM(\"amount\") AS \"total\", \"customer_id\" AS \"customer_id\", \"status\" AS \"status\""
            + " FROM \"orders\" GROUP BY \"customer_id\", \"status\"",
        List.of("customer_id", "status"));
  }

  @Test
  void keyAlreadySelectedOrGroupedIsNotAddedTwice() throws SQLException {
    assertLifted("SELECT customer_id, status AS s, count(*) AS n FROM orders WHERE customer_id = ? AND status = ?"
            + " GROUP BY customer_id, status",
        "SELECT \"customer_id\", \"status\" AS \"s\", COUNT(*) AS \"n\" FROM \"orders\" GROUP BY \"customer_id\","
            + " \"status\"",
        List.of("customer_id", "s"));
    assertLifted("SELECT * FROM orders WHERE customer_id = ?", "SELECT * FROM \"orders\"", List.of("customer_id"));
  }

  @Test
  void keyLabelDoesNotClashWithAnAlias() throws SQLException {
    assertLifted("SELECT o.id AS status FROM orders o WHERE o.status = ?",
        "SELECT \"o\".\"id\" AS \"status\", \"o\".\"status\" AS \"status_key\" FROM \"orders\" AS \"o\"",
        List.of("status_key"));
  }

  @Test
  void distinctQueryKeepsTheKeyAsAColumn() throws SQLException {
    assertLifted("SELECT DISTINCT status FROM orders WHERE customer_id = ?",
        "SELECT DISTINCT \"status\", \"customer_id\" AS \"customer_id\" FROM \"orders\"", List.of("customer_id"));
  }

  @Test
  void queryWithoutParametersIsTheViewWithoutItsOrderBy() throws SQLException {
    assertLifted("SELECT status, count(*) AS n FROM orders GROUP BY status ORDER BY n DESC LIMIT 3",
        "SELECT \"status\", COUNT(*) AS \"n\" FROM \"orders\" GROUP BY \"status\"", List.of());
  }

  @Test
  void sameShapeSharesOneName() throws SQLException {
    LiftedView a = lift(REVENUE_PER_MONTH);
    LiftedView b = lift(REVENUE_PER_MONTH.replace(" ", "\n  ").replace("GROUP BY 1 ORDER BY 1", "group by 1"));
    assertEquals(a.sql(), b.sql());
    assertEquals(a.viewName(), b.viewName());
    assertTrue(a.viewName().matches("auto_[0-9a-f]{12}"), a.viewName());
    assertEquals(lift("SELECT id FROM orders WHERE customer_id = ?").viewName(),
        lift("SELECT id FROM orders WHERE customer_id = ? ORDER BY id").viewName());
    assertNotEquals(a.viewName(), lift(ORDERS_OF_CUSTOMER).viewName());
  }

  @Test
  void parametersThatCannotBeLiftedAreRefused() {
    assertNotLiftable("SELECT id, ? AS tag FROM orders", "outside a top-level WHERE");
    assertNotLiftable("SELECT id FROM orders WHERE customer_id = ? OR status = ?", "outside a top-level WHERE");
    assertNotLiftable("SELECT id FROM orders WHERE amount > ?", "outside a top-level WHERE");
    assertNotLiftable("SELECT id FROM orders WHERE customer_id + 1 = ?", "outside a top-level WHERE");
    assertNotLiftable("SELECT status FROM orders GROUP BY status HAVING count(*) > ?", "outside a top-level WHERE");
  }

  @Test
  void shapesThatCannotBecomeAViewAreRefused() {
    assertNotLiftable("SELECT id, rank() OVER (ORDER BY amount) FROM orders WHERE customer_id = ?", "window");
    assertNotLiftable("SELECT id FROM orders UNION SELECT id FROM customers", "UNION");
    assertNotLiftable("SELECT DISTINCT ON (customer_id, id) customer_id, id FROM orders WHERE status = ?"
        + " ORDER BY customer_id, id", "DISTINCT ON");
    assertNotLiftable("SELECT status, count(*) FROM orders WHERE customer_id = ? GROUP BY status HAVING count(*) > 1",
        "HAVING");
  }

  @Test
  void invalidQueriesKeepTheirOwnError() {
    SQLException e = assertThrows(SQLException.class, () -> lift("SELECT id FROM nowhere WHERE x = ?"));
    assertEquals(SqlStates.UNDEFINED_TABLE, e.getSQLState());
  }

  /**
   * The point of lifting: with the view's result table in the catalog (typed as PostgreSQL types it), the
   * rewriter answers the original query, for any parameter value, as a filter on the view.
   */
  @Test
  void theLiftedViewAnswersTheOriginalQuery() throws SQLException {
    LiftedView revenue = lift(REVENUE_PER_MONTH);
    LiftedView orders = lift(ORDERS_OF_CUSTOMER);
    CatalogSchema catalog = TestCatalog.baseTables()
        .table("deltaview", revenue.viewName())
            .column("month", "timestamp without time zone").column("revenue", "numeric").column("region", "text")
            .done()
        .table("deltaview", orders.viewName())
            .column("id", "integer").column("amount", "numeric(10,2)").column("customer_id", "integer").done()
        .build();
    QueryRewriter rewriter = QueryRewriter.create(catalog, List.of(
        new ViewDefinition("deltaview." + revenue.viewName(), "deltaview", revenue.viewName(), revenue.sql(),
            List.of("month", "revenue", "region")),
        new ViewDefinition("deltaview." + orders.viewName(), "deltaview", orders.viewName(), orders.sql(),
            List.of("id", "amount", "customer_id"))));

    RewriteDecision d = rewriter.rewrite(REVENUE_PER_MONTH);
    assertTrue(d.rewritten(), d::reason);
    assertEquals("SELECT \"month\", \"revenue\" FROM \"deltaview\".\"" + revenue.viewName() + "\""
        + " WHERE \"region\" = ? ORDER BY \"month\"", d.sql());

    d = rewriter.rewrite(ORDERS_OF_CUSTOMER);
    assertTrue(d.rewritten(), d::reason);
    assertEquals("SELECT \"id\", \"amount\" FROM \"deltaview\".\"" + orders.viewName() + "\""
        + " WHERE ? = \"customer_id\" ORDER BY \"id\" LIMIT ?", d.sql());
  }
}
