package io.deltaview.rewriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Refused views (a role may not read what they read) match but never answer, and the pass-through says why;
 * {@link ViewReads} lists exactly the columns each definition reads, which is what the driver checks per role.
 */
class RefusalTest {
  private static final QueryRewriter ALL = QueryRewriter.create(TestCatalog.withResultTables(), TestViews.all());
  private static final String BY_STATUS = "SELECT status, count(*) AS order_count FROM orders GROUP BY status";

  @Test
  void aRefusedViewPassesThroughWithItsReason() {
    assertTrue(ALL.rewrite(BY_STATUS).rewritten());
    QueryRewriter refused = ALL.withRefusals(Map.of("public.orders_by_status",
        "role app may not read column public.orders.amount"));
    RewriteDecision d = refused.rewrite(BY_STATUS);
    assertFalse(d.rewritten(), d.sql());
    assertEquals(BY_STATUS, d.sql());
    assertEquals("not served to this role: public.orders_by_status: role app may not read column"
        + " public.orders.amount", d.reason());
    assertTrue(d.refused());
    assertFalse(ALL.rewrite("SELECT 1").refused());
    assertEquals(Map.of("public.orders_by_status", "role app may not read column public.orders.amount"),
        refused.refusals());
  }

  @Test
  void anExactMatchOfARefusedViewOutsideTheMatchersShapeSaysWhyToo() {
    String own = TestViews.CUSTOMER_ORDER_COUNTS.definitionSql();
    assertTrue(ALL.rewrite(own).rewritten());
    RewriteDecision d = ALL.withRefusals(Map.of("public.customer_order_counts", "row-level security applies"
        + " to role tenant on table public.orders")).rewrite(own);
    assertFalse(d.rewritten());
    assertTrue(d.reason().contains("row-level security applies to role tenant on table public.orders"), d.reason());
  }

  @Test
  void otherViewsStillAnswerAndRefusalsReplaceEachOther() {
    QueryRewriter refused = ALL.withRefusals(Map.of("public.revenue_by_region_month", "no"));
    assertTrue(refused.rewrite(BY_STATUS).rewritten());
    assertSame(refused, refused.withRefusals(Map.of("public.revenue_by_region_month", "no")));
    QueryRewriter none = refused.withRefusals(Map.of());
    assertTrue(none.rewrite(BY_STATUS).rewritten());
    assertEquals(Map.of(), none.refusals());
    assertSame(ALL.views(), none.views());
  }

  @Test
  void readsListTheResultTableAndEveryBaseColumnTheDefinitionReads() {
    Map<String, ViewReads> reads = new java.util.HashMap<>();
    for (ViewReads r : ALL.reads()) {
      reads.put(r.view(), r);
    }
    ViewReads byStatus = reads.get("public.orders_by_status");
    assertEquals("public", byStatus.resultSchema());
    assertEquals("orders_by_status", byStatus.resultTable());
    assertEquals(List.of(new ViewReads.BaseTable("public", "orders", List.of("status", "amount"))),
        byStatus.baseTables());
    // filters read columns the output does not show
    assertEquals(List.of(new ViewReads.BaseTable("public", "orders", List.of("id", "customer_id", "status",
        "amount"))), reads.get("public.paid_orders").baseTables());
    // join keys and group keys of every table of a three-way join
    assertEquals(List.of(
            new ViewReads.BaseTable("public", "customers", List.of("id", "region")),
            new ViewReads.BaseTable("public", "orders", List.of("id", "customer_id", "created_at")),
            new ViewReads.BaseTable("public", "order_lines", List.of("order_id", "qty", "price"))),
        reads.get("public.revenue_by_region_month").baseTables());
  }

  @Test
  void aCountStarReadsNoColumnButStillTheTable() {
    ViewDefinition count = new ViewDefinition("public.n", "public", "n", "SELECT count(*) AS n FROM orders",
        List.of("n"));
    QueryRewriter r = QueryRewriter.create(TestCatalog.baseTables().table("public", "n").column("n", "bigint")
        .done().build(), List.of(count));
    assertEquals(List.of(new ViewReads.BaseTable("public", "orders", List.of())), r.reads().get(0).baseTables());
  }
}
