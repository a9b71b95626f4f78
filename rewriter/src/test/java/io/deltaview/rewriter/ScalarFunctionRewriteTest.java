package io.deltaview.rewriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/**
 * Queries using PostgreSQL's scalar functions and operators over a view's columns are rewritten, and the SQL
 * sent is PostgreSQL that validates again (functions keep their PostgreSQL names and argument order).
 */
class ScalarFunctionRewriteTest {
  private static final QueryRewriter REWRITER =
      QueryRewriter.create(TestCatalog.withResultTables(), TestViews.all());

  private static String rewrite(String sql) {
    RewriteDecision d = REWRITER.rewrite(sql);
    assertTrue(d.rewritten(), () -> "not rewritten: " + sql + ": " + d.reason());
    try {
      new SqlFrontEnd(TestCatalog.withResultTables()).toRel(d.sql());
    } catch (SQLException e) {
      throw new AssertionError("rewritten SQL does not parse/validate: " + d.sql(), e);
    }
    return d.sql();
  }

  private static final String PAID = "SELECT id, customer_id, amount FROM orders WHERE status = 'paid' AND ";

  @Test
  void numericFunctionsOverAProjectionView() {
    String sql = rewrite(PAID + "sign(amount) = 1");
    assertTrue(sql.startsWith("SELECT \"id\", \"customer_id\", \"amount\" FROM \"public\".\"paid_orders\" WHERE")
        && sql.contains("SIGN(\"amount\")"), sql);
    rewrite(PAID + "greatest(amount, 10, NULL) > least(customer_id, 5)");
    rewrite(PAID + "trunc(amount, 1) > 2 AND sqrt(abs(amount)) < 100 AND power(id, 2) > 4");
  }

  @Test
  void textFunctionsOverAGroupKey() {
    String base = "SELECT status, COUNT(*) AS order_count FROM orders WHERE ";
    assertTrue(rewrite(base + "left(status, 2) = 'pa' GROUP BY status").contains("LEFT(\"status\", 2) = 'pa'"));
    rewrite(base + "right(status, -1) = 'aid' AND split_part(status, 'a', 2) <> '' GROUP BY status");
    rewrite(base + "status ~ '^p' AND status !~* 'X' AND regexp_replace(status, 'a', 'b', 'g') <> ''"
        + " AND strpos(status, 'i') > 0 AND concat_ws('-', status, 'x') <> '' GROUP BY status");
  }

  @Test
  void dateArithmetic() {
    String sql = rewrite(PAID + "make_date(2024, 1, customer_id) + id > DATE '2024-01-05'"
        + " AND make_date(2024, 3, 1) - make_date(2024, 1, customer_id) > 30"
        + " AND 1 + make_date(2024, 1, 1) - 1 < DATE '2025-01-01'");
    assertTrue(sql.contains("MAKE_DATE(2024, 1, \"customer_id\") + \"id\""), sql);
  }

  @Test
  void toCharOfAGroupKey() {
    rewrite("SELECT c.region, date_trunc('month', o.created_at) AS month,"
        + " SUM(l.qty * l.price) AS revenue, COUNT(*) AS line_count FROM customers c"
        + " JOIN orders o ON o.customer_id = c.id JOIN order_lines l ON l.order_id = o.id"
        + " WHERE to_char(date_trunc('month', o.created_at), 'YYYY-MM') > '2023'"
        + " AND date_part('year', date_trunc('month', o.created_at)) > 2000"
        + " GROUP BY c.region, date_trunc('month', o.created_at)");
  }
}
