package io.deltaview.rewriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Queries that neither an exact nor a block match answers, served through Calcite's materialized-view rules:
 * SQL in, SQL out, and the traps that must pass through.
 */
class ViewRulesRewriteTest {
  private static final QueryRewriter ALL = QueryRewriter.create(TpchViews.withResultTables(), TpchViews.all());
  /** Only the aggregate view over orders and lineitem, so that rollups cannot be answered from the join view. */
  private static final QueryRewriter SALES_ONLY = QueryRewriter.create(TpchViews.withResultTables(),
      List.of(TpchViews.SALES_BY_CUSTOMER_STATUS));

  /** Only the join view over orders and lineitem. */
  private static final QueryRewriter JOIN_ONLY = QueryRewriter.create(TpchViews.withResultTables(),
      List.of(TpchViews.ORDER_LINES));

  private static final String ORDERS_LINES = " FROM lineitem l JOIN orders o ON l.l_orderkey = o.o_orderkey";

  private static RewriteDecision assertRewrite(QueryRewriter rewriter, String sql, String view, String expected) {
    RewriteDecision d = rewriter.rewrite(sql);
    assertTrue(d.rewritten(), () -> "not rewritten: " + d.reason());
    assertEquals(expected, d.sql());
    assertEquals(view, d.view());
    assertNull(d.reason());
    try {
      new SqlFrontEnd(TpchViews.withResultTables()).toRel(d.sql());
    } catch (SQLException e) {
      throw new AssertionError("rewritten SQL does not validate: " + d.sql(), e);
    }
    return d;
  }

  private static RewriteDecision assertPassThrough(QueryRewriter rewriter, String sql, String reasonPart) {
    RewriteDecision d = rewriter.rewrite(sql);
    assertFalse(d.rewritten(), () -> "unexpectedly rewritten to: " + d.sql());
    assertEquals(sql, d.sql());
    assertTrue(d.reason().contains(reasonPart), () -> "reason was: " + d.reason());
    return d;
  }

  @Nested
  class JoinsWrittenAnotherWay {
    @Test
    void joinInTheOtherOrder() {
      assertRewrite(ALL, "SELECT o.o_orderkey, l.l_quantity" + ORDERS_LINES, "public.order_lines",
          "SELECT \"o_orderkey\", \"l_quantity\" FROM \"public\".\"order_lines\"");
    }

    @Test
    void commaJoinWithTheConditionInWhere() {
      assertRewrite(ALL, "SELECT o.o_orderkey, l.l_quantity FROM lineitem l, orders o"
              + " WHERE l.l_orderkey = o.o_orderkey AND l.l_quantity > 5", "public.order_lines",
          "SELECT \"o_orderkey\", \"l_quantity\" FROM \"public\".\"order_lines\" WHERE 5 < \"l_quantity\"");
    }

    @Test
    void oneMoreTableJoinedOnAKey() {
      assertRewrite(ALL, "SELECT c.c_name, o.o_orderkey, l.l_quantity FROM orders o"
              + " JOIN lineitem l ON l.l_orderkey = o.o_orderkey JOIN customer c ON c.c_custkey = o.o_custkey",
          "public.order_lines",
          "SELECT \"customer\".\"c_name\", \"order_lines\".\"o_orderkey\", \"order_lines\".\"l_quantity\""
              + " FROM \"public\".\"order_lines\", \"public\".\"customer\""
              + " WHERE \"customer\".\"c_custkey\" = \"order_lines\".\"o_custkey\"");
    }

    @Test
    void anAggregateOverTheJoinView() {
      assertRewrite(JOIN_ONLY, "SELECT o.o_custkey, count(*) AS n, sum(l.l_quantity) AS q" + ORDERS_LINES
              + " GROUP BY o.o_custkey", "public.order_lines",
          "SELECT \"o_custkey\", COUNT(*) AS \"n\", SUM(\"l_quantity\") AS \"q\" FROM \"public\".\"order_lines\""
              + " GROUP BY \"o_custkey\"");
    }

    @Test
    void avgOverAJoinViewIsFineItsRowsAreTheBaseRows() {
      assertRewrite(JOIN_ONLY, "SELECT avg(l.l_quantity)" + ORDERS_LINES + " GROUP BY o.o_custkey", "public.order_lines",
          "SELECT AVG(\"l_quantity\") AS \"avg\" FROM \"public\".\"order_lines\" GROUP BY \"o_custkey\"");
    }
  }

  @Nested
  class ImpliedPredicates {
    @Test
    void inListInsideTheViewsInList() {
      assertRewrite(ALL, "SELECT o_orderkey, o_totalprice FROM orders WHERE o_orderpriority IN ('1-URGENT', '2-HIGH')",
          "public.urgent_orders", "SELECT \"o_orderkey\", \"o_totalprice\" FROM \"public\".\"urgent_orders\""
              + " WHERE \"o_orderpriority\" IN ('1-URGENT', '2-HIGH')");
    }

    @Test
    void aShortIntegerRangeInsideTheViewsInList() {
      QueryRewriter firstLines = QueryRewriter.create(TpchViews.withResultTables(), List.of(new ViewDefinition("public.first_lines", "public", "first_lines",
              "SELECT l_orderkey, l_linenumber, l_quantity FROM lineitem WHERE l_linenumber IN (1, 2, 3, 4)",
              List.of("l_orderkey", "l_linenumber", "l_quantity"))));
      assertRewrite(firstLines, "SELECT l_orderkey FROM lineitem WHERE l_linenumber BETWEEN 2 AND 3",
          "public.first_lines", "SELECT \"l_orderkey\" FROM \"public\".\"first_lines\" WHERE \"l_linenumber\" IN (2, 3)");
      assertRewrite(firstLines, "SELECT l_orderkey FROM lineitem WHERE l_linenumber > 1 AND l_linenumber < 5"
              + " AND l_quantity IS NULL", "public.first_lines", "SELECT \"l_orderkey\" FROM \"public\".\"first_lines\""
              + " WHERE \"l_quantity\" IS NULL AND \"l_linenumber\" IN (2, 3, 4)");
      assertPassThrough(firstLines, "SELECT l_orderkey FROM lineitem WHERE l_linenumber BETWEEN 2 AND 5",
          "no view matches");
      assertPassThrough(firstLines, "SELECT l_orderkey FROM lineitem WHERE l_linenumber >= 2", "no view matches");
    }

    @Test
    void aRangeWithALiteralOfAnotherScaleInsideTheViewsRange() {
      // Calcite compares numeric(12,2) with 5000 through a cast to numeric(14,2), with 5000.01 directly.
      QueryRewriter big = QueryRewriter.create(TpchViews.withResultTables(), List.of(new ViewDefinition(
          "public.big_orders", "public", "big_orders",
          "SELECT o_orderkey, o_totalprice FROM orders WHERE o_totalprice > 5000",
          List.of("o_orderkey", "o_totalprice"))));
      assertRewrite(big, "SELECT o_orderkey FROM orders WHERE o_totalprice >= 5000.01", "public.big_orders",
          "SELECT \"o_orderkey\" FROM \"public\".\"big_orders\" WHERE 5000.01 <= \"o_totalprice\"");
      assertPassThrough(big, "SELECT o_orderkey FROM orders WHERE o_totalprice >= 5000", "no view matches");
      assertPassThrough(big, "SELECT o_orderkey FROM orders WHERE o_totalprice > 4999.99", "no view matches");
    }

    @Test
    void inListOfDatesInsideTheViewsRange() {
      assertRewrite(ALL, "SELECT o_orderkey FROM orders WHERE o_orderdate IN (DATE '1995-01-01', DATE '1996-12-31')",
          "public.orders_1995_1996", "SELECT \"o_orderkey\" FROM \"public\".\"orders_1995_1996\""
              + " WHERE \"o_orderdate\" IN (DATE '1995-01-01', DATE '1996-12-31')");
      assertPassThrough(ALL, "SELECT o_orderkey FROM orders WHERE o_orderdate IN (DATE '1995-01-01', DATE '1997-01-01')",
          "no view matches");
      assertPassThrough(ALL, "SELECT o_orderkey FROM orders"
          + " WHERE o_orderdate IN (DATE '1995-01-01', DATE '1996-12-31') OR o_orderdate IS NULL", "no view matches");
    }

    @Test
    void betweenInsideTheViewsRange() {
      assertRewrite(ALL, "SELECT o_orderkey, o_totalprice FROM orders"
              + " WHERE o_orderdate BETWEEN DATE '1995-03-01' AND DATE '1995-06-30'", "public.orders_1995_1996",
          "SELECT \"o_orderkey\", \"o_totalprice\" FROM \"public\".\"orders_1995_1996\""
              + " WHERE \"o_orderdate\" >= DATE '1995-03-01' AND \"o_orderdate\" <= DATE '1995-06-30'");
    }

    @Test
    void stricterRangePlusAResidualFilter() {
      assertRewrite(ALL, "SELECT o_orderkey FROM orders WHERE o_orderdate >= DATE '1996-01-01'"
              + " AND o_orderdate < DATE '1996-07-01' AND o_totalprice > 100", "public.orders_1995_1996",
          "SELECT \"o_orderkey\" FROM \"public\".\"orders_1995_1996\" WHERE \"o_totalprice\" > 100.00"
              + " AND (\"o_orderdate\" >= DATE '1996-01-01' AND \"o_orderdate\" < DATE '1996-07-01')");
    }

    @Test
    void aRangeReachingOutsideTheViewPassesThrough() {
      assertPassThrough(ALL, "SELECT o_orderkey FROM orders WHERE o_orderdate >= DATE '1994-06-01'"
          + " AND o_orderdate < DATE '1995-06-01'", "Calcite's view rules find no rewrite with public.urgent_orders, public.orders_1995_1996");
    }

    @Test
    void aValueOutsideTheViewsInListPassesThrough() {
      assertPassThrough(ALL, "SELECT o_orderkey FROM orders WHERE o_orderpriority IN ('1-URGENT', '5-LOW')",
          "view rules:");
    }
  }

  @Nested
  class Rollups {
    @Test
    void rollupThroughTheJoinCastsSumsBackAndCountsToBigint() {
      assertRewrite(SALES_ONLY, "SELECT o.o_orderstatus, count(*) AS n, sum(l.l_quantity) AS q,"
              + " sum(l.l_extendedprice) AS revenue, max(l.l_extendedprice) AS top" + ORDERS_LINES
              + " GROUP BY o.o_orderstatus", "public.sales_by_customer_status",
          "SELECT \"o_orderstatus\", CAST(COALESCE(SUM(\"line_count\"), 0) AS BIGINT) AS \"n\","
              + " CAST(SUM(\"quantity\") AS BIGINT) AS \"q\", SUM(\"revenue\") AS \"revenue\","
              + " MAX(\"top_price\") AS \"top\" FROM \"public\".\"sales_by_customer_status\""
              + " GROUP BY \"o_orderstatus\"");
    }

    @Test
    void rollupWithUnlabelledAggregatesAndADateMin() {
      assertRewrite(SALES_ONLY, "SELECT o.o_orderstatus, count(*), max(l.l_extendedprice), min(l.l_shipdate)"
              + " FROM orders o, lineitem l WHERE l.l_orderkey = o.o_orderkey GROUP BY o.o_orderstatus",
          "public.sales_by_customer_status", "SELECT \"o_orderstatus\", CAST(COALESCE(SUM(\"line_count\"), 0) AS BIGINT)"
              + " AS \"count\", MAX(\"top_price\") AS \"max\", MIN(\"first_ship\") AS \"min\""
              + " FROM \"public\".\"sales_by_customer_status\" GROUP BY \"o_orderstatus\"");
    }

    @Test
    void aScalarAggregateStaysOneRowWhenNoGroupMatches() {
      // Without GROUP BY the query returns one row (count 0, sum NULL) even when no view row has status 'X':
      // the rewrite must aggregate the view's rows again, not read them.
      assertRewrite(SALES_ONLY, "SELECT count(*) AS n, sum(l.l_quantity) AS q FROM orders o, lineitem l"
              + " WHERE l.l_orderkey = o.o_orderkey AND o.o_orderstatus = 'X'", "public.sales_by_customer_status",
          "SELECT CAST(COALESCE(SUM(\"line_count\"), 0) AS BIGINT) AS \"n\", CAST(SUM(\"quantity\") AS BIGINT)"
              + " AS \"q\" FROM \"public\".\"sales_by_customer_status\" WHERE \"o_orderstatus\" = 'X'");
    }

    @Test
    void theRulesPreferTheAggregateViewToTheJoinView() {
      assertRewrite(ALL, "SELECT o.o_custkey, count(*) AS n, sum(l.l_quantity) AS q" + ORDERS_LINES
              + " GROUP BY o.o_custkey", "public.sales_by_customer_status",
          "SELECT \"o_custkey\", CAST(COALESCE(SUM(\"line_count\"), 0) AS BIGINT) AS \"n\","
              + " CAST(SUM(\"quantity\") AS BIGINT) AS \"q\" FROM \"public\".\"sales_by_customer_status\""
              + " GROUP BY \"o_custkey\"");
    }

    @Test
    void aggregateViewJoinedToADimensionOnItsGroupKey() {
      assertRewrite(ALL, "SELECT n.n_name, sum(o.o_totalprice) AS t, count(*) AS n FROM customer c"
              + " JOIN orders o ON o.o_custkey = c.c_custkey JOIN nation n ON n.n_nationkey = c.c_nationkey"
              + " GROUP BY n.n_name", "public.orders_by_nation",
          "SELECT \"nation\".\"n_name\", SUM(\"orders_by_nation\".\"total\") AS \"t\","
              + " CAST(COALESCE(SUM(\"orders_by_nation\".\"order_count\"), 0) AS BIGINT) AS \"n\""
              + " FROM \"public\".\"orders_by_nation\", \"public\".\"nation\""
              + " WHERE \"nation\".\"n_nationkey\" = \"orders_by_nation\".\"c_nationkey\" GROUP BY \"nation\".\"n_name\"");
    }

    @Test
    void quotedCaseSensitiveNames() {
      assertRewrite(ALL, "SELECT n.n_name, sum(s.\"Balance\") AS \"Sum\" FROM \"Suppliers\" s"
              + " JOIN nation n ON n.n_nationkey = s.\"Nation\" GROUP BY n.n_name", "public.supplier_balance",
          "SELECT \"nation\".\"n_name\", SUM(\"supplier_balance\".\"Total\") AS \"Sum\""
              + " FROM \"public\".\"supplier_balance\", \"public\".\"nation\""
              + " WHERE \"nation\".\"n_nationkey\" = \"supplier_balance\".\"Nation\" GROUP BY \"nation\".\"n_name\"");
      assertPassThrough(ALL, "SELECT n.n_name, sum(s.balance) FROM suppliers s JOIN nation n"
          + " ON n.n_nationkey = s.nation GROUP BY n.n_name", "42P01");
    }

    @Test
    void avgDoesNotRollUp() {
      assertPassThrough(SALES_ONLY, "SELECT o.o_orderstatus, avg(l.l_quantity)" + ORDERS_LINES
          + " GROUP BY o.o_orderstatus", "view rules: Calcite's view rules find no rewrite");
    }

    @Test
    void floatingPointSumsDoNotRollUp() {
      assertPassThrough(SALES_ONLY, "SELECT sum(l.l_tax)" + ORDERS_LINES,
          "cannot roll up a sum of DOUBLE exactly");
    }

    @Test
    void distinctCountsDoNotRollUp() {
      assertPassThrough(SALES_ONLY, "SELECT o.o_orderstatus, count(DISTINCT l.l_quantity)" + ORDERS_LINES
          + " GROUP BY o.o_orderstatus", "view rules:");
    }

    @Test
    void aFilterOnAColumnTheViewAggregatesAwayPassesThrough() {
      assertPassThrough(SALES_ONLY, "SELECT o.o_orderstatus, count(*)" + ORDERS_LINES
          + " WHERE l.l_quantity > 10 GROUP BY o.o_orderstatus", "view rules:");
    }
  }

  @Nested
  class Traps {
    @Test
    void anyOfAnArrayParameterPassesThrough() {
      assertPassThrough(ALL, "SELECT o_orderkey FROM orders WHERE o_orderpriority = ANY(?)", "invalid query");
    }

    @Test
    void castToTextPassesThrough() {
      assertPassThrough(ALL, "SELECT o_orderkey::text FROM orders WHERE o_orderpriority IN ('1-URGENT')",
          "may not mean the same");
    }

    @Test
    void castsThatKeepValuesAndTypesAreKept() {
      assertRewrite(ALL, "SELECT o_orderkey::int4 AS k, o_totalprice::numeric(14,2) AS p FROM orders"
              + " WHERE o_orderpriority = '1-URGENT'", "public.urgent_orders",
          "SELECT \"o_orderkey\" AS \"k\", CAST(\"o_totalprice\" AS DECIMAL(14, 2)) AS \"p\""
              + " FROM \"public\".\"urgent_orders\" WHERE \"o_orderpriority\" = '1-URGENT'");
    }

    @Test
    void castToAnUnconstrainedNumericPassesThrough() {
      assertPassThrough(ALL, "SELECT o_totalprice::numeric FROM orders WHERE o_orderpriority = '1-URGENT'",
          "may not mean the same");
    }

    @Test
    void limitAndOffsetParametersKeepTheirOrder() {
      RewriteDecision d = assertRewrite(ALL, "SELECT o_orderkey FROM orders WHERE o_orderpriority IN ('1-URGENT')"
              + " AND o_totalprice > ? ORDER BY o_orderkey LIMIT ? OFFSET ?", "public.urgent_orders",
          "SELECT \"o_orderkey\" FROM \"public\".\"urgent_orders\" WHERE ? < \"o_totalprice\""
              + " AND \"o_orderpriority\" = '1-URGENT' ORDER BY \"o_orderkey\" LIMIT ? OFFSET ?");
      assertEquals(3, d.parameterCount());
      assertRewrite(ALL, "SELECT o_orderkey FROM orders WHERE o_orderpriority IN ('1-URGENT')"
          + " ORDER BY o_orderkey OFFSET ? LIMIT ?", "public.urgent_orders",
          "SELECT \"o_orderkey\" FROM \"public\".\"urgent_orders\" WHERE \"o_orderpriority\" = '1-URGENT'"
              + " ORDER BY \"o_orderkey\" OFFSET ? ROWS FETCH NEXT ? ROWS ONLY");
    }

    @Test
    void aQueryReadingFewerTablesThanEveryViewIsNotTried() {
      assertPassThrough(ALL, "SELECT l_quantity FROM lineitem WHERE l_quantity > 3",
          "view rules: no view reads only tables the query reads");
    }

    @Test
    void outerJoinsAreNotTried() {
      assertPassThrough(ALL, "SELECT o.o_orderkey, l.l_quantity FROM orders o LEFT JOIN lineitem l"
          + " ON l.l_orderkey = o.o_orderkey", "query shape not supported");
    }
  }

  @Nested
  class Concurrency {
    @Test
    void concurrentMissesShareTheCompiledViewsSafely() {
      QueryRewriter fresh = QueryRewriter.create(TpchViews.withResultTables(), TpchViews.all());
      java.util.stream.IntStream.range(0, 64).parallel().forEach(i -> {
        String sql = i % 2 == 0
            ? "SELECT o.o_orderkey, l.l_quantity FROM lineitem l, orders o WHERE l.l_orderkey = o.o_orderkey"
                + " AND l.l_quantity > " + i
            : "SELECT n.n_name, count(*) AS n FROM customer c JOIN orders o ON o.o_custkey = c.c_custkey"
                + " JOIN nation n ON n.n_nationkey = c.c_nationkey WHERE n.n_nationkey <> " + i + " GROUP BY n.n_name";
        RewriteDecision d = fresh.rewrite(sql);
        assertTrue(d.rewritten(), () -> sql + ": " + d.reason());
        assertEquals(i % 2 == 0 ? "public.order_lines" : "public.orders_by_nation", d.view(), sql);
      });
    }
  }

  @Nested
  class Cost {
    /** Views over orders and lineitem that answer nothing the test asks, to make every query a full miss. */
    private static List<ViewDefinition> decoys(int n) {
      List<ViewDefinition> views = new ArrayList<>();
      CatalogSchemaHolder.reset();
      for (int i = 0; i < n; i++) {
        String name = "decoy_" + i;
        views.add(new ViewDefinition("public." + name, "public", name,
            "SELECT o.o_custkey, count(*) AS n FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey"
                + " WHERE l.l_quantity > " + (1000 + i) + " GROUP BY o.o_custkey", List.of("o_custkey", "n")));
        CatalogSchemaHolder.add(name);
      }
      return views;
    }

    @Test
    void moreCandidatesThanTheLimitAreNotTried() {
      List<ViewDefinition> views = decoys(30);
      QueryRewriter r = QueryRewriter.create(CatalogSchemaHolder.catalog(), views);
      assertTrue(r.unusableViews().isEmpty(), r.unusableViews().toString());
      assertPassThrough(r, "SELECT o.o_orderstatus, count(*)" + ORDERS_LINES + " GROUP BY o.o_orderstatus",
          "30 views read only tables the query reads, more than the 12 tried");
    }

    @Test
    void aMissWithThirtyViewsOfWhichTwelveAreCandidates() {
      List<ViewDefinition> views = new ArrayList<>(decoys(12));
      for (int i = 0; i < 18; i++) {
        String name = "other_" + i;
        views.add(new ViewDefinition("public." + name, "public", name,
            "SELECT c_nationkey, count(*) AS n FROM customer WHERE c_acctbal > " + i + " GROUP BY c_nationkey",
            List.of("o_custkey", "n")));
        CatalogSchemaHolder.add(name);
      }
      QueryRewriter r = QueryRewriter.create(CatalogSchemaHolder.catalog(), views);
      assertTrue(r.unusableViews().isEmpty(), r.unusableViews().toString());
      long best = Long.MAX_VALUE;
      for (int i = 0; i < 8; i++) {
        long t0 = System.nanoTime();
        RewriteDecision d = r.rewrite("SELECT o.o_orderstatus, count(*)" + ORDERS_LINES
            + " WHERE o.o_custkey <> " + i + " GROUP BY o.o_orderstatus");
        best = Math.min(best, System.nanoTime() - t0);
        assertFalse(d.rewritten(), d::sql);
      }
      System.out.printf("rules-path miss with 30 views, 12 candidates: best of 8 %.1f ms%n", best / 1e6);
    }
  }

  /** The catalog of {@link Cost}: base tables plus one result table per decoy view. */
  private static final class CatalogSchemaHolder {
    private static final List<String> NAMES = new ArrayList<>();

    static void reset() {
      NAMES.clear();
    }

    static void add(String name) {
      NAMES.add(name);
    }

    static io.deltaview.rewriter.schema.CatalogSchema catalog() {
      io.deltaview.rewriter.schema.CatalogSchema.Builder b = TpchViews.baseTables();
      for (String name : NAMES) {
        b.table("public", name).column("o_custkey", "integer").column("n", "bigint").done();
      }
      return b.build();
    }
  }
}
