package io.deltaview.rewriter;

import java.util.List;

/** The incremental views used in the rewriter tests; result tables are in {@link TestCatalog}. */
public final class TestViews {
  private TestViews() {}

  public static final ViewDefinition REVENUE_BY_REGION_MONTH = new ViewDefinition(
      "public.revenue_by_region_month", "public", "revenue_by_region_month", """
      SELECT c.region, date_trunc('month', o.created_at) AS month,
             SUM(l.qty * l.price) AS revenue, COUNT(*) AS line_count
      FROM customers c
      JOIN orders o ON o.customer_id = c.id
      JOIN order_lines l ON l.order_id = o.id
      GROUP BY c.region, date_trunc('month', o.created_at)""",
      List.of("region", "month", "revenue", "line_count"));

  public static final ViewDefinition ORDERS_BY_STATUS = new ViewDefinition(
      "public.orders_by_status", "public", "orders_by_status", """
      SELECT status, COUNT(*) AS order_count, SUM(amount) AS total,
             MIN(amount) AS smallest, MAX(amount) AS largest
      FROM orders GROUP BY status""",
      List.of("status", "order_count", "total", "smallest", "largest"));

  public static final ViewDefinition PAID_ORDERS = new ViewDefinition(
      "public.paid_orders", "public", "paid_orders",
      "SELECT id, customer_id, amount FROM orders WHERE status = 'paid'",
      List.of("id", "customer_id", "amount"));

  /** Outside the matcher's shape (outer join, HAVING): answers only its own query. */
  public static final ViewDefinition CUSTOMER_ORDER_COUNTS = new ViewDefinition(
      "public.customer_order_counts", "public", "customer_order_counts", """
      SELECT c.region, c.name, COUNT(o.id) AS orders
      FROM customers c LEFT JOIN orders o ON o.customer_id = c.id
      GROUP BY c.region, c.name HAVING COUNT(o.id) < 100""",
      List.of("region", "name", "orders"));

  public static List<ViewDefinition> all() {
    return List.of(REVENUE_BY_REGION_MONTH, ORDERS_BY_STATUS, PAID_ORDERS, CUSTOMER_ORDER_COUNTS);
  }
}
