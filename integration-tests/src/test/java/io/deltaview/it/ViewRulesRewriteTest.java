package io.deltaview.it;

import io.deltaview.it.fixture.ResultBag;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import java.math.BigDecimal;
import io.deltaview.it.fixture.TpchLikeData;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Queries that only Calcite's materialized-view rules match (joins in another order, comma joins, an extra table
 * joined to a view, implied predicates, rollups through joins) and the traps that must pass through, on a
 * TPC-H-like schema with keys and foreign keys: for each query, whether a view serves it as expected, and that
 * its rows, labels and column types equal PostgreSQL's own answer, before and after random changes.
 */
class ViewRulesRewriteTest {
  static final long SEED = Long.getLong("deltaview.seed", 20260707L);

  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("order_lines", "SELECT o.o_orderkey, o.o_custkey, o.o_orderdate, o.o_orderstatus, o.o_orderpriority,"
        + " l.l_linenumber, l.l_quantity, l.l_extendedprice, l.l_shipdate"
        + " FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey");
    VIEWS.put("sales_by_customer_status", "SELECT o.o_custkey, o.o_orderstatus, count(*) AS line_count,"
        + " sum(l.l_quantity) AS quantity, sum(l.l_extendedprice) AS revenue, min(l.l_shipdate) AS first_ship,"
        + " max(l.l_extendedprice) AS top_price, sum(l.l_tax) AS tax"
        + " FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey GROUP BY o.o_custkey, o.o_orderstatus");
    VIEWS.put("urgent_orders", "SELECT o_orderkey, o_custkey, o_orderpriority, o_totalprice, o_orderdate"
        + " FROM orders WHERE o_orderpriority IN ('1-URGENT', '2-HIGH', '3-MEDIUM')");
    VIEWS.put("orders_95_96", "SELECT o_orderkey, o_custkey, o_orderdate, o_totalprice, o_orderstatus"
        + " FROM orders WHERE o_orderdate >= DATE '1995-01-01' AND o_orderdate < DATE '1997-01-01'");
    VIEWS.put("orders_by_nation", "SELECT c.c_nationkey, count(*) AS order_count, sum(o.o_totalprice) AS total"
        + " FROM customer c JOIN orders o ON o.o_custkey = c.c_custkey GROUP BY c.c_nationkey");
    VIEWS.put("supplier_balance", "SELECT \"Nation\", count(*) AS \"Count\", sum(\"Balance\") AS \"Total\""
        + " FROM \"Suppliers\" GROUP BY \"Nation\"");
  }

  /** Served by any view (the planner may pick either of two that answer it). */
  static final String ANY = "*";
  static final String OL = " FROM lineitem l JOIN orders o ON l.l_orderkey = o.o_orderkey";

  /** Query → the view expected to serve it, {@link #ANY}, or null for a pass-through. */
  static final Map<String, String> PAIRS = new LinkedHashMap<>();

  static {
    // joins written another way, an extra table joined to a view
    PAIRS.put("SELECT o.o_orderkey, l.l_linenumber, l.l_quantity" + OL, "order_lines");
    PAIRS.put("SELECT o.o_orderkey, l.l_quantity FROM lineitem l, orders o WHERE l.l_orderkey = o.o_orderkey"
        + " AND l.l_quantity > 25", "order_lines");
    PAIRS.put("SELECT c.c_name, o.o_orderkey, l.l_linenumber, l.l_extendedprice FROM orders o"
        + " JOIN lineitem l ON l.l_orderkey = o.o_orderkey JOIN customer c ON c.c_custkey = o.o_custkey"
        + " WHERE c.c_mktsegment = 'BUILDING'", "order_lines");
    PAIRS.put("SELECT n.n_name, l.l_quantity, o.o_orderdate FROM customer c, orders o, lineitem l, nation n"
        + " WHERE o.o_custkey = c.c_custkey AND l.l_orderkey = o.o_orderkey AND n.n_nationkey = c.c_nationkey",
        "order_lines");
    PAIRS.put("SELECT o.o_orderkey, l.l_quantity FROM orders o JOIN lineitem l ON l.l_orderkey = o.o_orderkey"
        + " WHERE o.o_orderdate BETWEEN DATE '1995-01-01' AND DATE '1995-03-31'", "order_lines");
    PAIRS.put("SELECT l.l_shipdate, count(*) AS n, sum(l.l_quantity) AS q" + OL + " GROUP BY l.l_shipdate",
        "order_lines");
    PAIRS.put("SELECT o.o_orderstatus, avg(l.l_quantity) AS a" + OL + " GROUP BY o.o_orderstatus", "order_lines");
    PAIRS.put("SELECT o.o_orderstatus, count(DISTINCT l.l_quantity) AS d" + OL + " GROUP BY o.o_orderstatus",
        "order_lines");
    PAIRS.put("SELECT o.o_orderstatus, count(*) AS n" + OL + " WHERE l.l_quantity > 10 GROUP BY o.o_orderstatus",
        "order_lines");
    // rollups through the join, scalar aggregates
    PAIRS.put("SELECT o.o_custkey, count(*) AS n, sum(l.l_quantity) AS q" + OL + " GROUP BY o.o_custkey",
        "sales_by_customer_status");
    PAIRS.put("SELECT o.o_orderstatus, count(*), sum(l.l_quantity) AS q, sum(l.l_extendedprice) AS r,"
        + " max(l.l_extendedprice), min(l.l_shipdate) FROM orders o, lineitem l WHERE l.l_orderkey = o.o_orderkey"
        + " GROUP BY o.o_orderstatus", ANY);
    PAIRS.put("SELECT count(*) AS n, sum(l.l_quantity) AS q, max(l.l_extendedprice) AS m" + OL
        + " WHERE o.o_orderstatus = 'Z'", "sales_by_customer_status");
    PAIRS.put("SELECT count(*) AS n, sum(l.l_quantity) AS q, max(l.l_extendedprice) AS m" + OL
        + " WHERE o.o_orderstatus = 'F'", "sales_by_customer_status");
    PAIRS.put("SELECT o.o_custkey, o.o_orderstatus, count(*) AS n FROM lineitem l, orders o"
        + " WHERE l.l_orderkey = o.o_orderkey GROUP BY o.o_orderstatus, o.o_custkey", "sales_by_customer_status");
    PAIRS.put("SELECT o.o_custkey, sum(l.l_quantity) AS q" + OL + " GROUP BY o.o_custkey"
        + " HAVING sum(l.l_quantity) > 100", ANY);
    PAIRS.put("SELECT c.c_mktsegment, sum(l.l_extendedprice) AS rev, count(*) AS n" + OL
        + " JOIN customer c ON c.c_custkey = o.o_custkey GROUP BY c.c_mktsegment", ANY);
    PAIRS.put("SELECT c.c_nationkey, sum(l.l_quantity) AS q" + OL
        + " JOIN customer c ON c.c_custkey = o.o_custkey GROUP BY c.c_nationkey", ANY);
    PAIRS.put("SELECT o.o_orderstatus, sum(l.l_tax) AS t" + OL + " GROUP BY o.o_orderstatus", null);
    // an aggregate view joined to dimensions on its group key
    PAIRS.put("SELECT n.n_name, sum(o.o_totalprice) AS t, count(*) AS n FROM customer c"
        + " JOIN orders o ON o.o_custkey = c.c_custkey JOIN nation n ON n.n_nationkey = c.c_nationkey"
        + " GROUP BY n.n_name", "orders_by_nation");
    PAIRS.put("SELECT r.r_name, count(*) AS n FROM customer c JOIN orders o ON o.o_custkey = c.c_custkey"
        + " JOIN nation n ON n.n_nationkey = c.c_nationkey JOIN region r ON r.r_regionkey = n.n_regionkey"
        + " GROUP BY r.r_name", "orders_by_nation");
    PAIRS.put("SELECT c.c_nationkey, count(*) AS n FROM orders o JOIN customer c ON c.c_custkey = o.o_custkey"
        + " GROUP BY c.c_nationkey", "orders_by_nation");
    PAIRS.put("SELECT count(*) AS n, sum(o.o_totalprice) AS t FROM orders o, customer c"
        + " WHERE o.o_custkey = c.c_custkey", "orders_by_nation");
    PAIRS.put("SELECT count(*) AS n, sum(o.o_totalprice) AS t FROM orders o, customer c"
        + " WHERE o.o_custkey = c.c_custkey AND c.c_nationkey = 999", "orders_by_nation");
    // implied predicates
    PAIRS.put("SELECT o_orderkey, o_totalprice FROM orders WHERE o_orderpriority IN ('1-URGENT', '2-HIGH')",
        "urgent_orders");
    PAIRS.put("SELECT o_orderkey FROM orders WHERE o_orderpriority = '3-MEDIUM' AND o_totalprice > 1000",
        "urgent_orders");
    PAIRS.put("SELECT o_orderpriority, count(*) AS n, sum(o_totalprice) AS t FROM orders"
        + " WHERE o_orderpriority IN ('1-URGENT', '3-MEDIUM') GROUP BY o_orderpriority", "urgent_orders");
    PAIRS.put("SELECT count(*) AS n FROM orders WHERE o_orderpriority IN ('1-URGENT', '2-HIGH')", "urgent_orders");
    PAIRS.put("SELECT o_orderkey FROM orders WHERE o_orderpriority IN ('1-URGENT') AND o_orderdate IS NULL",
        "urgent_orders");
    PAIRS.put("SELECT o_orderkey FROM orders WHERE o_orderpriority IN ('1-URGENT', '5-LOW')", null);
    PAIRS.put("SELECT o_orderkey, o_totalprice FROM orders"
        + " WHERE o_orderdate BETWEEN DATE '1995-03-01' AND DATE '1995-06-30'", "orders_95_96");
    PAIRS.put("SELECT o_orderkey FROM orders WHERE o_orderdate >= DATE '1996-01-01'"
        + " AND o_orderdate < DATE '1996-07-01' AND o_totalprice > 100", "orders_95_96");
    PAIRS.put("SELECT o_orderstatus, count(*) AS n, sum(o_totalprice) AS t FROM orders"
        + " WHERE o_orderdate BETWEEN DATE '1995-01-01' AND DATE '1995-12-31' GROUP BY o_orderstatus",
        "orders_95_96");
    PAIRS.put("SELECT o_orderkey, o_custkey FROM orders WHERE o_orderdate = DATE '1995-05-05'", "orders_95_96");
    PAIRS.put("SELECT o_orderkey FROM orders WHERE o_orderdate >= DATE '1994-06-01'"
        + " AND o_orderdate < DATE '1995-06-01'", null);
    // ordering, casts, quoted names, shapes the rules do not take
    PAIRS.put("SELECT o_orderkey, o_totalprice FROM orders WHERE o_orderpriority = '1-URGENT'"
        + " ORDER BY o_totalprice DESC, o_orderkey LIMIT 10 OFFSET 5", "urgent_orders");
    PAIRS.put("SELECT o_orderkey::int4 AS k, o_totalprice::numeric(14,2) AS p FROM orders"
        + " WHERE o_orderpriority = '2-HIGH'", "urgent_orders");
    PAIRS.put("SELECT o_orderkey::text AS k FROM orders WHERE o_orderpriority = '2-HIGH'", null);
    PAIRS.put("SELECT o_totalprice::numeric AS p FROM orders WHERE o_orderpriority = '2-HIGH'", null);
    PAIRS.put("SELECT o_orderkey FROM orders WHERE o_orderpriority = ANY('{1-URGENT,2-HIGH}')", null);
    PAIRS.put("SELECT n.n_name, sum(s.\"Balance\") AS \"Sum\", count(*) AS \"N\" FROM \"Suppliers\" s"
        + " JOIN nation n ON n.n_nationkey = s.\"Nation\" GROUP BY n.n_name", "supplier_balance");
    PAIRS.put("SELECT sum(\"Balance\") AS \"S\" FROM \"Suppliers\" WHERE \"Nation\" = 99", "supplier_balance");
    PAIRS.put("SELECT o.o_orderkey, l.l_quantity FROM orders o LEFT JOIN lineitem l"
        + " ON l.l_orderkey = o.o_orderkey", null);
    PAIRS.put("SELECT l_quantity FROM lineitem WHERE l_quantity > 45", null);
  }

  /** A prepared query with LIMIT/OFFSET parameters: served, the parameters bound in their original order. */
  static final String PREPARED = "SELECT o_orderkey, o_totalprice FROM orders"
      + " WHERE o_orderpriority IN ('1-URGENT', '2-HIGH') AND o_totalprice > ? ORDER BY o_orderkey LIMIT ? OFFSET ?";

  static DeltaviewDatabase db;
  static TpchLikeData data;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("viewrules");
    data = new TpchLikeData(SEED);
    try (Connection c = db.plain()) {
      data.createSchema(c);
      data.load(c);
    }
    try (Connection dv = db.deltaview()) {
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        exec(dv, "CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
      }
    }
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (db == null) {
      return;
    }
    try (Connection dv = db.deltaview()) {
      for (String name : VIEWS.keySet()) {
        exec(dv, "DROP INCREMENTAL VIEW IF EXISTS " + name);
      }
    }
  }

  @Test
  void servedAsExpectedAndEqualToPostgresBeforeAndAfterRandomChanges() throws Exception {
    assertTrue(PAIRS.size() >= 40, "pairs: " + PAIRS.size());
    checkAll("after the initial snapshot");
    try (Connection writer = db.plain()) {
      for (int round = 1; round <= 3; round++) {
        for (int i = 0; i < 25; i++) {
          data.randomChange(writer);
        }
        checkAll("after change round " + round + " (seed " + SEED + ")");
      }
    }
  }

  /** A view joined to a table it does not read is served only with strong consistency; eventual passes through. */
  @Test
  void aRewriteThatAlsoReadsABaseTableIsServedOnlyWithStrongConsistency() throws Exception {
    String query = "SELECT n.n_name, l.l_quantity, o.o_orderdate FROM customer c, orders o, lineitem l, nation n"
        + " WHERE o.o_custkey = c.c_custkey AND l.l_orderkey = o.o_orderkey AND n.n_nationkey = c.c_nationkey";
    try (Connection strong = db.deltaview(DeltaviewOptions.AUTO_CREATE, "false", DeltaviewOptions.CONSISTENCY,
             "strong");
         Connection eventual = db.deltaview(DeltaviewOptions.AUTO_CREATE, "false", DeltaviewOptions.CONSISTENCY,
             "eventual")) {
      assertEquals("t", explain(strong, query).get(0), explain(strong, query).toString());
      List<String> plan = explain(eventual, query);
      assertEquals("f", plan.get(0), plan.toString());
      assertTrue(plan.get(3).contains(
          "also reads public.customer, public.nation directly: served only with consistency=strong"), plan.get(3));
      long before = hits(eventual, "public.order_lines");
      ResultBag.query(eventual, query);
      assertEquals(before, hits(eventual, "public.order_lines"), "not read from the view");
    }
  }

  private static void checkAll(String when) throws Exception {
    for (Map.Entry<String, String> v : VIEWS.entrySet()) {
      DeltaviewDatabase.await("result table " + v.getKey() + " to equal its query " + when, Duration.ofSeconds(60),
          () -> {
            try (Connection c = db.plain()) {
              return ResultBag.query(c, "SELECT * FROM " + v.getKey()).difference(ResultBag.query(c, v.getValue()), false);
            }
          });
    }
    List<String> failures = new ArrayList<>();
    try (Connection plain = db.plain();
         Connection dv = db.deltaview(DeltaviewOptions.AUTO_CREATE, "false", DeltaviewOptions.CONSISTENCY, "strong",
             DeltaviewOptions.STRONG_TIMEOUT_MS, "30000")) {
      for (Map.Entry<String, String> pair : PAIRS.entrySet()) {
        String query = pair.getKey();
        String expected = pair.getValue();
        List<String> plan = explain(dv, query);
        boolean rewritten = "t".equals(plan.get(0));
        if (expected == null && rewritten) {
          failures.add("served by " + plan.get(1) + " but should pass through: " + query + " → " + plan.get(2));
        } else if (expected != null && !rewritten) {
          failures.add("not served (" + plan.get(3) + "): " + query);
        } else if (expected != null && !ANY.equals(expected) && !("public." + expected).equals(plan.get(1))) {
          failures.add("served by " + plan.get(1) + " instead of " + expected + ": " + query);
        }
        long before = rewritten ? hits(dv, plan.get(1)) : 0;
        ResultBag served = ResultBag.query(dv, query);
        if (rewritten && hits(dv, plan.get(1)) <= before) {
          failures.add("EXPLAIN says served by " + plan.get(1) + " but executing did not read it: " + query);
        }
        String difference = served.difference(ResultBag.query(plain, query), true);
        if (difference != null) {
          failures.add(when + ": " + difference + " for " + query + (rewritten ? " → " + plan.get(2) : ""));
        }
      }
      checkPrepared(dv, plain, failures);
    }
    assertEquals(List.of(), failures, when);
  }

  private static void checkPrepared(Connection dv, Connection plain, List<String> failures) throws SQLException {
    long before = hits(dv, "public.urgent_orders");
    ResultBag served;
    ResultBag direct;
    try (PreparedStatement ps = dv.prepareStatement(PREPARED)) {
      bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        served = ResultBag.read(rs);
      }
    }
    try (PreparedStatement ps = plain.prepareStatement(PREPARED)) {
      bind(ps);
      try (ResultSet rs = ps.executeQuery()) {
        direct = ResultBag.read(rs);
      }
    }
    if (hits(dv, "public.urgent_orders") <= before) {
      failures.add("prepared query not served by urgent_orders: " + PREPARED);
    }
    String difference = served.difference(direct, true);
    if (difference != null) {
      failures.add(difference + " for prepared " + PREPARED);
    }
  }

  private static void bind(PreparedStatement ps) throws SQLException {
    ps.setBigDecimal(1, new BigDecimal("500.00"));
    ps.setInt(2, 15);
    ps.setInt(3, 3);
  }
}
