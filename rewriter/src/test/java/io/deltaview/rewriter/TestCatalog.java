package io.deltaview.rewriter;

import io.deltaview.rewriter.schema.CatalogSchema;

/** The shop schema used across the rewriter's unit tests, including the views' result tables. */
public final class TestCatalog {
  private TestCatalog() {}

  public static CatalogSchema.Builder baseTables() {
    return CatalogSchema.builder()
        .searchPath(java.util.List.of("public"))
        .table("public", "customers")
            .column("id", "int4").column("region", "text").column("name", "text")
            .primaryKey("id").done()
        .table("public", "orders")
            .column("id", "int4").column("customer_id", "int4").column("created_at", "timestamp")
            .column("status", "text").column("amount", "numeric(10,2)")
            .primaryKey("id").done()
        .table("public", "order_lines")
            .column("id", "int4").column("order_id", "int4").column("product", "text")
            .column("qty", "int4").column("price", "numeric(10,2)")
            .primaryKey("id").done()
        .table("public", "events")
            .column("id", "int4").column("at", "timestamptz").primaryKey("id").done();
  }

  /** Base tables plus the result tables of the views in {@link TestViews}, typed as PostgreSQL types them. */
  public static CatalogSchema withResultTables() {
    return withResultTablesBuilder().build();
  }

  /** {@link #withResultTables()}, to add more tables to. */
  public static CatalogSchema.Builder withResultTablesBuilder() {
    return baseTables()
        .table("public", "revenue_by_region_month")
            .column("region", "text").column("month", "timestamp without time zone")
            .column("revenue", "numeric").column("line_count", "bigint").done()
        .table("public", "orders_by_status")
            .column("status", "text").column("order_count", "bigint").column("total", "numeric")
            .column("smallest", "numeric").column("largest", "numeric").done()
        .table("public", "paid_orders")
            .column("id", "integer").column("customer_id", "integer").column("amount", "numeric(10,2)")
            .done()
        .table("public", "customer_order_counts")
            .column("region", "text").column("name", "text").column("orders", "bigint").done();
  }
}
