package io.deltaview.rewriter;

import io.deltaview.rewriter.schema.CatalogSchema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/** SQL in, SQL out: what the driver sends for the queries an application runs. */
class QueryRewriterTest {
  private static final QueryRewriter REWRITER =
      QueryRewriter.create(TestCatalog.withResultTables(), TestViews.all());

  private static final String JOIN = "FROM customers c JOIN orders o ON o.customer_id = c.id "
      + "JOIN order_lines l ON l.order_id = o.id ";

  /** Asserts the query is rewritten to exactly {@code expected} using {@code view}. */
  private static RewriteDecision assertRewrite(String sql, String view, String expected) {
    RewriteDecision d = REWRITER.rewrite(sql);
    assertTrue(d.rewritten(), () -> "not rewritten: " + d.reason());
    assertEquals(expected, d.sql());
    assertEquals(view, d.view());
    assertNull(d.reason());
    assertParsesAsPostgres(d.sql());
    return d;
  }

  /** Asserts the query passes through unchanged, for a reason containing {@code reasonPart}. */
  private static RewriteDecision assertPassThrough(String sql, String reasonPart) {
    RewriteDecision d = REWRITER.rewrite(sql);
    assertFalse(d.rewritten(), () -> "unexpectedly rewritten to: " + d.sql());
    assertEquals(sql, d.sql());
    assertNull(d.view());
    assertTrue(d.reason().contains(reasonPart), () -> "reason was: " + d.reason());
    return d;
  }

  /** The rewrite must parse with PostgreSQL syntax rules and validate against the result tables. */
  private static void assertParsesAsPostgres(String sql) {
    try {
      new SqlFrontEnd(TestCatalog.withResultTables()).toRel(sql);
    } catch (SQLException e) {
      throw new AssertionError("rewritten SQL does not parse/validate: " + sql, e);
    }
  }

  @Nested
  class ExactMatch {
    @Test
    void sameQueryDifferentAliasesCaseAndWhitespace() {
      assertRewrite("""
          select   Status,COUNT(*) AS order_count,
            sum(AMOUNT) as total, min(amount) as smallest,max(amount) as largest
          FROM   public.Orders   group BY status""",
          "public.orders_by_status",
          "SELECT \"status\", \"order_count\", \"total\", \"smallest\", \"largest\" "
              + "FROM \"public\".\"orders_by_status\"");
    }

    @Test
    void labelsFollowTheQueryNotTheView() {
      assertRewrite("SELECT o.status AS s, count(*), MAX(o.amount) AS \"Biggest\" FROM orders o GROUP BY o.status",
          "public.orders_by_status",
          "SELECT \"status\" AS \"s\", \"order_count\" AS \"count\", \"largest\" AS \"Biggest\" "
              + "FROM \"public\".\"orders_by_status\"");
    }

    @Test
    void joinViewWithCommaJoinsAndGroupByOrdinals() {
      assertRewrite("SELECT c.region, date_trunc('month', o.created_at), sum(l.qty * l.price) AS rev, count(*) "
              + "FROM customers c, orders o, order_lines l WHERE o.customer_id = c.id AND l.order_id = o.id "
              + "GROUP BY 1, 2",
          "public.revenue_by_region_month",
          "SELECT \"region\", \"month\" AS \"date_trunc\", \"revenue\" AS \"rev\", \"line_count\" AS \"count\" "
              + "FROM \"public\".\"revenue_by_region_month\"");
    }

    @Test
    void viewOutsideTheMatcherShapeAnswersItsOwnQuery() {
      assertRewrite("""
          SELECT cu.region AS r, cu.name, count(ord.id) AS orders
          FROM customers cu LEFT OUTER JOIN orders ord ON ord.customer_id = cu.id
          GROUP BY cu.region, cu.name HAVING count(ord.id) < 100 ORDER BY r""",
          "public.customer_order_counts",
          "SELECT \"region\" AS \"r\", \"name\", \"orders\" FROM \"public\".\"customer_order_counts\" "
              + "ORDER BY \"region\"");
    }

    @Test
    void viewOutsideTheMatcherShapeIsNotUsedForOtherQueries() {
      assertPassThrough("SELECT c.region, count(o.id) FROM customers c LEFT JOIN orders o "
          + "ON o.customer_id = c.id GROUP BY c.region HAVING count(o.id) < 100", "query shape not supported");
    }

    @Test
    void trailingSemicolonAndSearchPathResolution() {
      QueryRewriter appFirst = QueryRewriter.create(TestCatalog.baseTables()
          .searchPath(List.of("app", "public"))
          .table("app", "orders").column("id", "int4").done()
          .table("public", "paid_orders").column("id", "integer").column("customer_id", "integer")
              .column("amount", "numeric(10,2)").done()
          .build(), List.of(new ViewDefinition("public.paid_orders", "public", "paid_orders",
              "SELECT id, customer_id, amount FROM public.orders WHERE status = 'paid'",
              List.of("id", "customer_id", "amount"))));
      // View definitions resolve names with the same search path, so the engine should register them qualified.
      assertTrue(appFirst.unusableViews().isEmpty(), appFirst.unusableViews().toString());
      // Unqualified "orders" now means app.orders, which no view reads.
      RewriteDecision d = appFirst.rewrite("SELECT id FROM orders;");
      assertFalse(d.rewritten());
      assertEquals(Set.of("app.orders"), d.baseTables());
      assertTrue(appFirst.rewrite("SELECT id FROM public.orders WHERE status = 'paid';").rewritten());
    }

    @Test
    void optInHintsBeforeOrAfterSelectAreDropped() {
      String expected = "SELECT \"id\", \"customer_id\", \"amount\" FROM \"public\".\"paid_orders\"";
      assertRewrite("/*+ incremental */ SELECT id, customer_id, amount FROM orders WHERE status = 'paid'",
          "public.paid_orders", expected);
      assertRewrite(" SELECT /*+ incremental(consistency=strong) */ id, customer_id, amount FROM orders"
          + " WHERE status = 'paid'", "public.paid_orders", expected);
      assertRewrite("SELECT\n/*+ incremental(consistency=bounded(500)) */ id, customer_id, amount FROM orders"
          + " WHERE status = 'paid'", "public.paid_orders", expected);
      assertRewrite("/*+ incremental */ select/*+ SeqScan(o) Leading((o)) */ id, customer_id, amount FROM orders"
          + " WHERE status = 'paid'", "public.paid_orders", expected);
    }

    @Test
    void projectionViewItself() {
      assertRewrite("SELECT id, customer_id, amount FROM orders WHERE status = 'paid'", "public.paid_orders",
          "SELECT \"id\", \"customer_id\", \"amount\" FROM \"public\".\"paid_orders\"");
    }
  }

  @Nested
  class FiltersProjectionsOrdering {
    @Test
    void extraFilterWithParameterAndFewerColumns() {
      RewriteDecision d = assertRewrite(
          "SELECT amount * 2 AS double_amount FROM orders WHERE status = 'paid' AND customer_id = ?",
          "public.paid_orders",
          "SELECT \"amount\" * 2 AS \"double_amount\" FROM \"public\".\"paid_orders\" WHERE \"customer_id\" = ?");
      assertEquals(1, d.parameterCount());
      assertEquals(Set.of("public.orders"), d.baseTables());
    }

    @Test
    void parametersKeepTheirLeftToRightOrder() {
      RewriteDecision d = assertRewrite(
          "SELECT id FROM orders WHERE customer_id = ? AND status = 'paid' AND amount > ?",
          "public.paid_orders",
          "SELECT \"id\" FROM \"public\".\"paid_orders\" WHERE \"customer_id\" = ? AND \"amount\" > ?");
      assertEquals(2, d.parameterCount());
    }

    @Test
    void filterOnAGroupKeyOfAnAggregateView() {
      assertRewrite("SELECT status, sum(amount) AS total FROM orders WHERE status IN ('paid', 'open') "
              + "GROUP BY status",
          "public.orders_by_status",
          "SELECT \"status\", \"total\" FROM \"public\".\"orders_by_status\" "
              + "WHERE \"status\" = 'paid' OR \"status\" = 'open'");
    }

    @Test
    void orderByAndLimit() {
      assertRewrite("SELECT id, amount FROM orders WHERE status = 'paid' ORDER BY amount DESC, id LIMIT 10",
          "public.paid_orders",
          "SELECT \"id\", \"amount\" FROM \"public\".\"paid_orders\" "
              + "ORDER BY \"amount\" DESC, \"id\" LIMIT 10");
    }

    @Test
    void paginationWithParameters() {
      RewriteDecision d = assertRewrite(
          "SELECT id FROM orders WHERE status = 'paid' AND amount > ? ORDER BY id LIMIT ? OFFSET ?",
          "public.paid_orders",
          "SELECT \"id\" FROM \"public\".\"paid_orders\" WHERE \"amount\" > ? ORDER BY \"id\" LIMIT ? OFFSET ?");
      assertEquals(3, d.parameterCount());
    }

    @Test
    void orderByOrdinalWithParameterFilter() {
      assertRewrite("SELECT c.region, date_trunc('month', o.created_at) AS m, count(*) " + JOIN
              + "WHERE c.region = ? GROUP BY c.region, date_trunc('month', o.created_at) ORDER BY 2",
          "public.revenue_by_region_month",
          "SELECT \"region\", \"month\" AS \"m\", \"line_count\" AS \"count\" "
              + "FROM \"public\".\"revenue_by_region_month\" WHERE \"region\" = ? ORDER BY \"month\"");
    }

    @Test
    void havingAndOrderByOnTopOfAnAggregateView() {
      assertRewrite("SELECT status, count(*) FROM orders GROUP BY status HAVING count(*) > 5 ORDER BY status",
          "public.orders_by_status",
          "SELECT \"status\", \"EXPR$1\" AS \"count\" FROM (SELECT \"status\", \"order_count\" AS \"EXPR$1\" "
              + "FROM \"public\".\"orders_by_status\") AS \"t\" WHERE \"EXPR$1\" > 5 ORDER BY \"status\"");
    }

    @Test
    void orderByAColumnThatIsNotSelected() {
      assertRewrite("SELECT id, amount FROM orders WHERE status = 'paid' ORDER BY customer_id",
          "public.paid_orders",
          "SELECT \"id\", \"amount\" FROM \"public\".\"paid_orders\" ORDER BY \"customer_id\"");
    }

    @Test
    void selectDistinctOnAGroupKey() {
      assertRewrite("SELECT DISTINCT status FROM orders", "public.orders_by_status",
          "SELECT \"status\" FROM \"public\".\"orders_by_status\"");
    }

    @Test
    void postgresCastsKeepTheColumnLabel() {
      assertRewrite("SELECT amount::numeric(12,2) FROM orders WHERE status = 'paid' AND id::bigint > 10",
          "public.paid_orders",
          "SELECT CAST(\"amount\" AS DECIMAL(12, 2)) AS \"amount\" FROM \"public\".\"paid_orders\" "
              + "WHERE CAST(\"id\" AS BIGINT) > 10");
    }

    @Test
    void aggregateOverAProjectionView() {
      assertRewrite("SELECT customer_id, sum(amount) FROM orders WHERE status = 'paid' GROUP BY customer_id",
          "public.paid_orders",
          "SELECT \"customer_id\", SUM(\"amount\") AS \"sum\" FROM \"public\".\"paid_orders\" "
              + "GROUP BY \"customer_id\"");
    }
  }

  @Nested
  class Rollup {
    @Test
    void monthToAllPerRegion() {
      assertRewrite("SELECT c.region, sum(l.qty * l.price) AS revenue, count(*) AS lines " + JOIN
              + "GROUP BY c.region",
          "public.revenue_by_region_month",
          "SELECT \"region\", SUM(\"revenue\") AS \"revenue\", "
              + "CAST(COALESCE(SUM(\"line_count\"), 0) AS BIGINT) AS \"lines\" "
              + "FROM \"public\".\"revenue_by_region_month\" GROUP BY \"region\"");
    }

    @Test
    void grandTotalsOfCountSumMinMax() {
      assertRewrite("SELECT count(*) AS n, sum(amount) AS total, min(amount) AS lo, max(amount) AS hi FROM orders",
          "public.orders_by_status",
          "SELECT CAST(COALESCE(SUM(\"order_count\"), 0) AS BIGINT) AS \"n\", SUM(\"total\") AS \"total\", "
              + "MIN(\"smallest\") AS \"lo\", MAX(\"largest\") AS \"hi\" FROM \"public\".\"orders_by_status\"");
    }

    @Test
    void rollupWithAFilterOnARemainingKey() {
      assertRewrite("SELECT c.region, count(*) " + JOIN + "WHERE c.region <> 'eu' GROUP BY c.region",
          "public.revenue_by_region_month",
          "SELECT \"region\", CAST(COALESCE(SUM(\"line_count\"), 0) AS BIGINT) AS \"count\" "
              + "FROM \"public\".\"revenue_by_region_month\" WHERE \"region\" <> 'eu' GROUP BY \"region\"");
    }

    @Test
    void aKeyPinnedByAParameterNeedsNoRollup() {
      assertRewrite("SELECT date_trunc('month', o.created_at) AS m, sum(l.qty * l.price) AS revenue " + JOIN
              + "WHERE c.region = ? GROUP BY date_trunc('month', o.created_at)",
          "public.revenue_by_region_month",
          "SELECT \"month\" AS \"m\", \"revenue\" FROM \"public\".\"revenue_by_region_month\" WHERE \"region\" = ?");
    }

    @Test
    void aKeyPinnedByALiteralNeedsNoRollup() {
      assertRewrite("SELECT date_trunc('month', o.created_at) AS m, count(*) AS n " + JOIN
              + "WHERE 'north' = c.region GROUP BY 1",
          "public.revenue_by_region_month",
          "SELECT \"month\" AS \"m\", \"line_count\" AS \"n\" FROM \"public\".\"revenue_by_region_month\""
              + " WHERE 'north' = \"region\"");
    }

    @Test
    void aPinnedKeyDoesNotTurnAGrandTotalIntoAGroup() {
      // Without GROUP BY the query returns one row even when no view row has the region: still a rollup.
      assertRewrite("SELECT count(*) AS n " + JOIN + "WHERE c.region = ?",
          "public.revenue_by_region_month",
          "SELECT CAST(COALESCE(SUM(\"line_count\"), 0) AS BIGINT) AS \"n\" "
              + "FROM \"public\".\"revenue_by_region_month\" WHERE \"region\" = ?");
    }

    @Test
    void aRangeOnAKeyStillRollsUp() {
      assertRewrite("SELECT date_trunc('month', o.created_at) AS m, count(*) AS n " + JOIN
              + "WHERE c.region > ? GROUP BY 1",
          "public.revenue_by_region_month",
          "SELECT \"month\" AS \"m\", CAST(COALESCE(SUM(\"line_count\"), 0) AS BIGINT) AS \"n\" "
              + "FROM \"public\".\"revenue_by_region_month\" WHERE \"region\" > ? GROUP BY \"month\"");
    }

    @Test
    void distinctCountOfAGroupKeyCountsTheViewsKeys() {
      assertRewrite("SELECT count(DISTINCT status) FROM orders", "public.orders_by_status",
          "SELECT COUNT(DISTINCT \"status\") AS \"count\" FROM \"public\".\"orders_by_status\"");
      assertRewrite("SELECT c.region, count(DISTINCT date_trunc('month', o.created_at)) AS months " + JOIN
              + "WHERE c.region <> 'eu' GROUP BY c.region", "public.revenue_by_region_month",
          "SELECT \"region\", COUNT(DISTINCT \"month\") AS \"months\" FROM \"public\".\"revenue_by_region_month\""
              + " WHERE \"region\" <> 'eu' GROUP BY \"region\"");
    }

    @Test
    void distinctCountsOfOtherColumnsAreNotRolledUp() {
      assertPassThrough("SELECT count(DISTINCT amount) FROM orders", "cannot roll up COUNT DISTINCT");
      assertPassThrough("SELECT status, count(DISTINCT customer_id) FROM orders GROUP BY status",
          "does not compute COUNT DISTINCT");
      assertPassThrough("SELECT sum(DISTINCT id) FROM orders", "cannot roll up SUM DISTINCT");
    }

    @Test
    void avgIsNotRolledUp() {
      assertPassThrough("SELECT avg(amount) FROM orders", "does not compute AVG");
    }

    @Test
    void selectsWithoutColumnsPassThrough() {
      assertPassThrough("SELECT FROM orders WHERE status = 'paid'", "SELECT without columns");
      assertPassThrough("SELECT status, count(*) FROM orders o WHERE EXISTS (SELECT FROM customers c"
          + " WHERE c.id = o.customer_id) GROUP BY status", "SELECT without columns");
    }

    @Test
    void filterOnANonKeyColumnCannotUseAnAggregateView() {
      assertPassThrough("SELECT status, sum(amount) FROM orders WHERE amount > 5 GROUP BY status",
          "not GROUP BY keys of the view");
    }
  }

  @Nested
  class PassThrough {
    @Test
    void noViewReadsTheseTables() {
      RewriteDecision d = assertPassThrough("SELECT name FROM customers WHERE id = ?", "no view matches");
      assertEquals(Set.of("public.customers"), d.baseTables());
      assertEquals(1, d.parameterCount());
    }

    @Test
    void dml() {
      assertPassThrough("UPDATE orders SET status = 'paid' WHERE id = ?", "not a query: UPDATE");
      assertPassThrough("INSERT INTO orders (id) VALUES (1)", "not a query: INSERT");
      assertPassThrough("SET search_path = public", "not a query");
    }

    @Test
    void syntaxError() {
      assertPassThrough("SELEC id FROM orders", "unparseable");
    }

    @Test
    void unknownTable() {
      assertPassThrough("SELECT * FROM nope", "42P01");
    }

    @Test
    void volatileFunction() {
      RewriteDecision d = assertPassThrough(
          "SELECT id FROM orders WHERE status = 'paid' AND created_at > now()", "volatile function now()");
      assertEquals(Set.of("public.orders"), d.baseTables());
      assertPassThrough("SELECT random()", "volatile function random()");
      // Keywords the parser reads as identifiers, in any case; a quoted one would be a column.
      assertPassThrough("SELECT id FROM orders WHERE status = 'paid' AND created_at > current_date - 7",
          "volatile function current_date()");
      assertPassThrough("SELECT id FROM orders WHERE status = 'paid' AND created_at > CURRENT_DATE - 7",
          "volatile function current_date()");
    }

    @Test
    void sampledTable() {
      // A sample's rows depend on how the table is stored: a view holding every row answers differently.
      assertPassThrough("SELECT status, count(*) AS order_count FROM orders TABLESAMPLE SYSTEM (50) GROUP BY status",
          "samples a table (TABLESAMPLE)");
      assertPassThrough("SELECT status, count(*) AS order_count FROM orders TABLESAMPLE BERNOULLI (10)"
          + " REPEATABLE (7) GROUP BY status", "samples a table (TABLESAMPLE)");
    }

    /**
     * A query that converts a timestamptz is answered only in the zone its view was evaluated in: the decision
     * names that zone, and views of different zones never answer one query together.
     */
    @Test
    void timeZoneDependentExpressionsAreBoundToTheViewsZone() {
      String daily = "SELECT date_trunc('day', at) AS day, count(*) AS n FROM events GROUP BY 1";
      assertPassThrough(daily, RewriteDecision.NO_VIEW_MATCHES);
      java.util.function.BiFunction<String, String, ViewDefinition> view = (name, zone) -> new ViewDefinition(
          "public." + name, "public", name, daily, List.of("day", "n"), zone);
      CatalogSchema catalog = TestCatalog.baseTables()
          .table("public", "daily_paris").column("day", "timestamptz").column("n", "int8").done()
          .table("public", "daily_utc").column("day", "timestamptz").column("n", "int8").done().build();
      RewriteDecision paris = QueryRewriter.create(catalog, List.of(view.apply("daily_paris", "Europe/Paris")))
          .rewrite(daily);
      assertTrue(paris.rewritten(), paris.reason());
      assertEquals("Europe/Paris", paris.timeZone());
      assertTrue(paris.answersZone("Europe/Paris") && !paris.answersZone("UTC") && !paris.answersZone(null));
      // a legacy view (no zone recorded) was evaluated in UTC
      RewriteDecision legacy = QueryRewriter.create(catalog, List.of(new ViewDefinition("public.daily_utc", "public",
          "daily_utc", daily, List.of("day", "n")))).rewrite(daily);
      assertEquals("UTC", legacy.timeZone());
      // what converts no timestamptz answers any session
      RewriteDecision plain = REWRITER.rewrite("SELECT id, customer_id, amount FROM orders WHERE status = 'paid'");
      assertTrue(plain.rewritten() && plain.timeZone() == null && plain.answersZone("Asia/Tokyo"));
      String hourly = daily.replace("'day'", "'hour'");
      List<ViewDefinition> twoZones = List.of(view.apply("daily_paris", "Europe/Paris"), new ViewDefinition(
          "public.daily_utc", "public", "daily_utc", hourly, List.of("day", "n"), "UTC"));
      String union = daily + " UNION ALL " + hourly;
      RewriteDecision sameZone = QueryRewriter.create(catalog, List.of(twoZones.get(0), new ViewDefinition(
          "public.daily_utc", "public", "daily_utc", hourly, List.of("day", "n"), "Europe/Paris"))).rewrite(union);
      assertEquals(List.of("public.daily_paris", "public.daily_utc"), sameZone.views(), sameZone.toString());
      RewriteDecision both = QueryRewriter.create(catalog, twoZones).rewrite(union);
      assertFalse(both.rewritten(), both.toString());
      assertTrue(both.reason().contains("different time zones"), both.reason());
    }

    @Test
    void lockingSelect() {
      assertPassThrough("SELECT id, customer_id, amount FROM orders WHERE status = 'paid' FOR UPDATE",
          "FOR UPDATE");
    }

    @Test
    void unsureLabel() {
      assertPassThrough("SELECT extract(year FROM created_at) FROM orders WHERE status = 'paid'",
          "unsure of column labels");
    }

    @Test
    void castToTextWouldPrintAsVarchar() {
      assertPassThrough("SELECT id::text AS t FROM orders WHERE status = 'paid'", "may not mean the same");
    }

    @Test
    void castToUnconstrainedNumericCannotBeRenderedFaithfully() {
      assertPassThrough("SELECT id::numeric FROM orders WHERE status = 'paid'", "may not mean the same");
    }

    @Test
    void columnsTheViewDoesNotKeep() {
      assertPassThrough("SELECT id, created_at FROM orders WHERE status = 'paid'",
          "SELECT uses columns the view does not output");
    }

    @Test
    void weakerFilterThanTheView() {
      assertPassThrough("SELECT id, amount FROM orders", "is not part of the query's WHERE/ON");
    }

    @Test
    void outerJoin() {
      assertPassThrough("SELECT c.region, o.id FROM customers c LEFT JOIN orders o ON o.customer_id = c.id",
          "query shape not supported");
    }

    @Test
    void offsetParameterBeforeTheLimitsKeepsItsPlace() {
      // Hibernate's pagination, and PostgreSQL's OFFSET before LIMIT: the standard form keeps the order.
      assertRewrite("select o1_0.id from orders o1_0 where o1_0.status='paid' and o1_0.customer_id=?"
              + " order by o1_0.id offset ? rows fetch first ? rows only",
          "public.paid_orders",
          "SELECT \"id\" FROM \"public\".\"paid_orders\" WHERE \"customer_id\" = ? ORDER BY \"id\""
              + " OFFSET ? ROWS FETCH NEXT ? ROWS ONLY");
      assertRewrite("SELECT id FROM orders WHERE status = 'paid' OFFSET ? LIMIT ?", "public.paid_orders",
          "SELECT \"id\" FROM \"public\".\"paid_orders\" OFFSET ? ROWS FETCH NEXT ? ROWS ONLY");
    }
  }

  @Nested
  class Caching {
    @Test
    void repeatedQueryReturnsTheCachedDecision() {
      String sql = "SELECT id FROM orders WHERE status = 'paid'";
      assertSame(REWRITER.rewrite(sql), REWRITER.rewrite(sql));
    }

    @Test
    void concurrentCallersGetConsistentDecisions() {
      QueryRewriter fresh = QueryRewriter.create(TestCatalog.withResultTables(), TestViews.all());
      List<String> queries = List.of("SELECT id FROM orders WHERE status = 'paid'",
          "SELECT count(*) FROM orders", "SELECT name FROM customers", "SELECT c.region, count(*) " + JOIN
              + "GROUP BY c.region");
      List<Boolean> expected = List.of(true, true, false, true);
      java.util.stream.IntStream.range(0, 400).parallel().forEach(i -> {
        int q = i % queries.size();
        assertEquals(expected.get(q), fresh.rewrite(queries.get(q)).rewritten(), queries.get(q));
      });
    }

    @Test
    void newViewsGiveAFreshRewriter() {
      QueryRewriter none = REWRITER.withViews(List.of());
      assertFalse(none.rewrite("SELECT id FROM orders WHERE status = 'paid'").rewritten());
      assertTrue(REWRITER.rewrite("SELECT id FROM orders WHERE status = 'paid'").rewritten());
      assertSame(REWRITER, REWRITER.withViews(TestViews.all()));
      assertSame(REWRITER, REWRITER.withSchema(TestCatalog.withResultTables()));
    }

    /**
     * A rewriter for a new snapshot compiles only what changed: a created view (with its new result table), and
     * the views over a table whose bare name now means another table (one created earlier on the search path).
     */
    @Test
    void aNewSnapshotCompilesOnlyTheViewsItChanges() {
      ViewDefinition big = new ViewDefinition("public.big_orders", "public", "big_orders",
          "SELECT id FROM orders WHERE amount > 100", List.of("id"));
      List<ViewDefinition> views = new java.util.ArrayList<>(TestViews.all());
      views.add(big);
      QueryRewriter more = REWRITER.with(TestCatalog.withResultTablesBuilder().table("public", "big_orders")
          .column("id", "integer").done().build(), views);
      for (ViewDefinition v : TestViews.all()) {
        assertSame(REWRITER.compiledView(v.qualifiedName()), more.compiledView(v.qualifiedName()), v.qualifiedName());
      }
      assertEquals("public.big_orders", more.rewrite("SELECT id FROM orders WHERE amount > 100").view());

      QueryRewriter onPath = REWRITER.with(TestCatalog.withResultTablesBuilder()
          .searchPath(List.of("app", "public")).build(), TestViews.all());
      QueryRewriter shadowed = onPath.with(TestCatalog.withResultTablesBuilder().searchPath(List.of("app", "public"))
          .table("app", "customers").column("id", "int4").column("region", "text").column("name", "text")
          .primaryKey("id").done().build(), TestViews.all());
      for (ViewDefinition v : List.of(TestViews.ORDERS_BY_STATUS, TestViews.PAID_ORDERS)) {
        assertSame(onPath.compiledView(v.qualifiedName()), shadowed.compiledView(v.qualifiedName()));
      }
      for (ViewDefinition v : List.of(TestViews.REVENUE_BY_REGION_MONTH, TestViews.CUSTOMER_ORDER_COUNTS)) {
        assertNotNull(onPath.compiledView(v.qualifiedName()));
        assertNotSame(onPath.compiledView(v.qualifiedName()), shadowed.compiledView(v.qualifiedName()),
            "customers now means app.customers for " + v.qualifiedName());
      }
      assertTrue(shadowed.rewrite("SELECT status, count(*) FROM orders GROUP BY status").rewritten());

      // views created one by one: each compiled against its own snapshot, of which only a few are kept
      QueryRewriter growing = REWRITER;
      CatalogSchema.Builder catalog = TestCatalog.withResultTablesBuilder();
      List<ViewDefinition> created = new java.util.ArrayList<>(TestViews.all());
      for (int i = 0; i < 12; i++) {
        catalog.table("public", "paid_" + i).column("id", "integer").done();
        created.add(new ViewDefinition("public.paid_" + i, "public", "paid_" + i,
            "SELECT id FROM orders WHERE amount > " + i, List.of("id")));
        growing = growing.with(catalog.build(), created);
        assertTrue(growing.snapshotsHeld() <= 4, "snapshots held: " + growing.snapshotsHeld());
      }
      assertSame(REWRITER.compiledView("public.paid_orders"), growing.compiledView("public.paid_orders"),
          "the views of the first snapshot, the most, are kept");
      assertEquals("public.paid_3", growing.rewrite("SELECT id FROM orders WHERE amount > 3").view());
    }

    /**
     * A view where numerics of other types meet holds each value at its own scale (plain numeric, as PostgreSQL
     * types it), which the rewriter's typing does not follow: it never answers a query, which could need the
     * widest scale ({@code 0.00}); a view over a plain numeric column is typed alike on both sides and serves.
     */
    @Test
    void aViewWhoseNumericsKeepTheirOwnScalesIsNotUsed() {
      String mixed = "SELECT amount FROM orders UNION ALL SELECT 0 FROM orders";
      String plain = "SELECT status, sum(amount) AS total FROM orders GROUP BY status";
      CatalogSchema catalog = TestCatalog.baseTables()
          .table("public", "mixed_amounts").column("amount", "numeric").done()
          .table("public", "totals").column("status", "text").column("total", "numeric").done().build();
      QueryRewriter r = QueryRewriter.create(catalog, List.of(
          new ViewDefinition("public.mixed_amounts", "public", "mixed_amounts", mixed, List.of("amount")),
          new ViewDefinition("public.totals", "public", "totals", plain, List.of("status", "total"))));
      assertTrue(r.unusableViews().containsKey("public.mixed_amounts"), r.unusableViews().toString());
      assertTrue(r.unusableViews().get("public.mixed_amounts").contains("amount"));
      assertFalse(r.rewrite("SELECT amount FROM orders UNION ALL SELECT 0::numeric(10,2) FROM orders").rewritten());
      // nor is such a query answered by a view that casts its branches alike (it would print 0.00 for 0)
      String cast = "SELECT amount FROM orders UNION ALL SELECT 0::numeric(10,2) FROM orders";
      QueryRewriter castView = QueryRewriter.create(TestCatalog.baseTables()
          .table("public", "cast_amounts").column("amount", "numeric(10,2)").done().build(), List.of(
          new ViewDefinition("public.cast_amounts", "public", "cast_amounts", cast, List.of("amount"))));
      assertTrue(castView.rewrite(cast).rewritten(), castView.rewrite(cast).reason());
      RewriteDecision mixedQuery = castView.rewrite(mixed);
      assertFalse(mixedQuery.rewritten());
      assertTrue(mixedQuery.reason().contains("plain numeric"), mixedQuery.reason());
      assertFalse(r.unusableViews().containsKey("public.totals"), r.unusableViews().toString());
      assertTrue(r.rewrite(plain).rewritten());
    }

    @Test
    void viewWithoutResultTableIsUnusable() {
      QueryRewriter r = QueryRewriter.create(TestCatalog.baseTables().build(), TestViews.all());
      assertEquals(4, r.unusableViews().size());
      assertFalse(r.rewrite("SELECT id FROM orders WHERE status = 'paid'").rewritten());
    }
  }
}
