package io.deltaview.rewriter;

import io.deltaview.rewriter.schema.CatalogSchema;
import java.util.List;

/**
 * A TPC-H-like schema (region, nation, customer, orders, lineitem) and views whose queries the block matcher
 * cannot answer but Calcite's materialized-view rules can; result tables typed as PostgreSQL types them.
 */
public final class TpchViews {
  private TpchViews() {}

  public static CatalogSchema.Builder baseTables() {
    return CatalogSchema.builder()
        .searchPath(List.of("public"))
        .table("public", "region")
            .column("r_regionkey", "int4").column("r_name", "text").primaryKey("r_regionkey").done()
        .table("public", "nation")
            .column("n_nationkey", "int4").column("n_name", "text").column("n_regionkey", "int4", false)
            .primaryKey("n_nationkey").done()
        .table("public", "customer")
            .column("c_custkey", "int4").column("c_name", "text").column("c_nationkey", "int4", false)
            .column("c_mktsegment", "text").column("c_acctbal", "numeric(12,2)")
            .primaryKey("c_custkey").done()
        .table("public", "orders")
            .column("o_orderkey", "int4").column("o_custkey", "int4", false).column("o_orderstatus", "text")
            .column("o_totalprice", "numeric(12,2)").column("o_orderdate", "date")
            .column("o_orderpriority", "text").column("o_discount", "float8")
            .primaryKey("o_orderkey").done()
        .table("public", "lineitem")
            .column("l_orderkey", "int4").column("l_linenumber", "int4").column("l_quantity", "int4")
            .column("l_extendedprice", "numeric(12,2)").column("l_shipdate", "date")
            .column("l_returnflag", "text").column("l_tax", "float8")
            .primaryKey("l_orderkey", "l_linenumber").done()
        .table("public", "Suppliers")
            .column("SuppKey", "int4").column("Nation", "int4").column("Balance", "numeric(12,2)")
            .primaryKey("SuppKey").done();
  }

  public static final ViewDefinition ORDER_LINES = new ViewDefinition(
      "public.order_lines", "public", "order_lines", """
      SELECT o.o_orderkey, o.o_custkey, o.o_orderdate, o.o_orderstatus, l.l_linenumber, l.l_quantity,
             l.l_extendedprice, l.l_shipdate
      FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey""",
      List.of("o_orderkey", "o_custkey", "o_orderdate", "o_orderstatus", "l_linenumber", "l_quantity",
          "l_extendedprice", "l_shipdate"));

  public static final ViewDefinition SALES_BY_CUSTOMER_STATUS = new ViewDefinition(
      "public.sales_by_customer_status", "public", "sales_by_customer_status", """
      SELECT o.o_custkey, o.o_orderstatus, COUNT(*) AS line_count, SUM(l.l_quantity) AS quantity,
             SUM(l.l_extendedprice) AS revenue, MIN(l.l_shipdate) AS first_ship, MAX(l.l_extendedprice) AS top_price,
             SUM(l.l_tax) AS tax
      FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey
      GROUP BY o.o_custkey, o.o_orderstatus""",
      List.of("o_custkey", "o_orderstatus", "line_count", "quantity", "revenue", "first_ship", "top_price", "tax"));

  public static final ViewDefinition URGENT_ORDERS = new ViewDefinition(
      "public.urgent_orders", "public", "urgent_orders", """
      SELECT o_orderkey, o_custkey, o_orderpriority, o_totalprice, o_orderdate
      FROM orders WHERE o_orderpriority IN ('1-URGENT', '2-HIGH', '3-MEDIUM')""",
      List.of("o_orderkey", "o_custkey", "o_orderpriority", "o_totalprice", "o_orderdate"));

  public static final ViewDefinition ORDERS_1995_1996 = new ViewDefinition(
      "public.orders_1995_1996", "public", "orders_1995_1996", """
      SELECT o_orderkey, o_custkey, o_orderdate, o_totalprice, o_orderstatus
      FROM orders WHERE o_orderdate >= DATE '1995-01-01' AND o_orderdate < DATE '1997-01-01'""",
      List.of("o_orderkey", "o_custkey", "o_orderdate", "o_totalprice", "o_orderstatus"));

  public static final ViewDefinition ORDERS_BY_NATION = new ViewDefinition(
      "public.orders_by_nation", "public", "orders_by_nation", """
      SELECT c.c_nationkey, COUNT(*) AS order_count, SUM(o.o_totalprice) AS total
      FROM customer c JOIN orders o ON o.o_custkey = c.c_custkey
      GROUP BY c.c_nationkey""",
      List.of("c_nationkey", "order_count", "total"));

  /** Quoted, case-sensitive names throughout. */
  public static final ViewDefinition SUPPLIER_BALANCE = new ViewDefinition(
      "public.supplier_balance", "public", "supplier_balance",
      "SELECT \"Nation\", COUNT(*) AS \"Count\", SUM(\"Balance\") AS \"Total\" FROM \"Suppliers\" GROUP BY \"Nation\"",
      List.of("Nation", "Count", "Total"));

  public static List<ViewDefinition> all() {
    return List.of(ORDER_LINES, SALES_BY_CUSTOMER_STATUS, URGENT_ORDERS, ORDERS_1995_1996, ORDERS_BY_NATION,
        SUPPLIER_BALANCE);
  }

  public static CatalogSchema withResultTables() {
    return baseTables()
        .table("public", "order_lines")
            .column("o_orderkey", "integer").column("o_custkey", "integer").column("o_orderdate", "date")
            .column("o_orderstatus", "text").column("l_linenumber", "integer").column("l_quantity", "integer")
            .column("l_extendedprice", "numeric(12,2)").column("l_shipdate", "date").done()
        .table("public", "sales_by_customer_status")
            .column("o_custkey", "integer").column("o_orderstatus", "text").column("line_count", "bigint")
            .column("quantity", "bigint").column("revenue", "numeric").column("first_ship", "date")
            .column("top_price", "numeric").column("tax", "double precision").done()
        .table("public", "urgent_orders")
            .column("o_orderkey", "integer").column("o_custkey", "integer").column("o_orderpriority", "text")
            .column("o_totalprice", "numeric(12,2)").column("o_orderdate", "date").done()
        .table("public", "orders_1995_1996")
            .column("o_orderkey", "integer").column("o_custkey", "integer").column("o_orderdate", "date")
            .column("o_totalprice", "numeric(12,2)").column("o_orderstatus", "text").done()
        .table("public", "orders_by_nation")
            .column("c_nationkey", "integer").column("order_count", "bigint").column("total", "numeric").done()
        .table("public", "big_orders") // views some tests define for themselves
            .column("o_orderkey", "integer").column("o_totalprice", "numeric(12,2)").done()
        .table("public", "first_lines")
            .column("l_orderkey", "integer").column("l_linenumber", "integer").column("l_quantity", "integer").done()
        .table("public", "supplier_balance")
            .column("Nation", "integer").column("Count", "bigint").column("Total", "numeric").done()
        .build();
  }
}
