package io.deltaview.it.app;

import static org.jooq.impl.DSL.count;
import static org.jooq.impl.DSL.field;
import static org.jooq.impl.DSL.name;
import static org.jooq.impl.DSL.sum;
import static org.jooq.impl.DSL.table;

import io.deltaview.Incremental;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import org.jooq.DSLContext;
import org.jooq.Field;
import org.jooq.Record4;
import org.jooq.Result;
import org.jooq.Table;

/**
 * The example application's reports, written the way a jOOQ application writes them (DSL, bind values,
 * quoted names). {@link #revenueByRegionMonth()} is the heavy one its team marked {@link Incremental}; the
 * others are ordinary queries.
 */
public final class ShopReports {

  static final Table<?> CUSTOMERS = table(name("customers")).as("c");
  static final Table<?> ORDERS = table(name("orders")).as("o");
  static final Table<?> LINES = table(name("order_lines")).as("l");
  static final Field<String> REGION = field(name("c", "region"), String.class);
  static final Field<LocalDateTime> MONTH =
      field("date_trunc('month', {0})", LocalDateTime.class, field(name("o", "created_at")));
  static final Field<BigDecimal> LINE_AMOUNT =
      field(name("l", "qty"), BigDecimal.class).mul(field(name("l", "price"), BigDecimal.class));

  /** The view the application registers at start-up (its "migration"), in plain SQL. */
  public static final String VIEW_SQL = "CREATE INCREMENTAL VIEW IF NOT EXISTS revenue_by_region_month AS"
      + " SELECT c.region, date_trunc('month', o.created_at) AS month, sum(l.qty * l.price) AS revenue,"
      + " count(*) AS lines FROM customers c JOIN orders o ON o.customer_id = c.id"
      + " JOIN order_lines l ON l.order_id = o.id GROUP BY c.region, date_trunc('month', o.created_at)";

  private final DSLContext dsl;

  public ShopReports(DSLContext dsl) {
    this.dsl = dsl;
  }

  /** Revenue and line count per region and month, optionally for one region: the heavy report. */
  @Incremental
  public Result<Record4<String, LocalDateTime, BigDecimal, Integer>> revenueByRegionMonth(String region) {
    return revenue(region);
  }

  /** The same report, from code nobody marked: in opt-in mode it always reads the base tables. */
  public Result<Record4<String, LocalDateTime, BigDecimal, Integer>> revenueByRegionMonthUnmarked(String region) {
    return revenue(region);
  }

  /**
   * Orders and amount per customer of one region. No registered view answers it; because it is marked,
   * Deltaview creates one for it by itself (the region parameter becomes a key column of that view).
   */
  @Incremental
  public Result<Record4<Integer, String, Integer, BigDecimal>> customerTotals(String region) {
    return customerTotalsQuery(region);
  }

  /** The same query from unmarked code: for comparison on plain pgjdbc. */
  public Result<Record4<Integer, String, Integer, BigDecimal>> customerTotalsUnmarked(String region) {
    return customerTotalsQuery(region);
  }

  private Result<Record4<Integer, String, Integer, BigDecimal>> customerTotalsQuery(String region) {
    Field<Integer> id = field(name("c", "id"), Integer.class);
    Field<String> customer = field(name("c", "name"), String.class);
    return dsl.select(id, customer, count().as("orders"), sum(field(name("o", "amount"), BigDecimal.class)).as("total"))
        .from(CUSTOMERS)
        .join(ORDERS).on(field(name("o", "customer_id")).eq(id))
        .where(REGION.eq(region))
        .groupBy(id, customer)
        .orderBy(id)
        .fetch();
  }

  private Result<Record4<String, LocalDateTime, BigDecimal, Integer>> revenue(String region) {
    var query = dsl.select(REGION, MONTH.as("month"), sum(LINE_AMOUNT).as("revenue"), count().as("lines"))
        .from(CUSTOMERS)
        .join(ORDERS).on(field(name("o", "customer_id")).eq(field(name("c", "id"))))
        .join(LINES).on(field(name("l", "order_id")).eq(field(name("o", "id"))));
    var grouped = region == null
        ? query.groupBy(REGION, MONTH)
        : query.where(REGION.eq(region)).groupBy(REGION, MONTH);
    return grouped.orderBy(REGION, MONTH).fetch();
  }
}
