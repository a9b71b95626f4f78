package io.deltaview.rewriter;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.ShapeDecisions.Sharing;
import io.deltaview.rewriter.match.CompiledView;
import io.deltaview.rewriter.match.RewritePlanner;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Decisions shared by a shape's texts are the decisions a fresh planner makes for each text: random literal
 * values in queries over views whose own literals are traps (a value list, a range, a status), each text's
 * decision from a rewriter that has seen other texts of its shape against one from a rewriter that has seen
 * nothing.
 */
class ShapeDecisionsTest {

  private static final ViewDefinition FIRST_CUSTOMERS = new ViewDefinition("public.first_customers", "public",
      "first_customers", "SELECT id, customer_id, status, amount FROM orders WHERE customer_id IN (1, 2, 3)",
      List.of("id", "customer_id", "status", "amount"));
  private static final ViewDefinition BIG_LINES = new ViewDefinition("public.big_lines", "public", "big_lines",
      "SELECT id, order_id, qty, price FROM order_lines WHERE qty > 10", List.of("id", "order_id", "qty", "price"));
  private static final ViewDefinition LINES = new ViewDefinition("public.lines", "public", "lines",
      "SELECT id, order_id, product, qty, price FROM order_lines", List.of("id", "order_id", "product", "qty", "price"));
  private static final ViewDefinition BIG_ORDERS = new ViewDefinition("public.big_orders", "public", "big_orders",
      "SELECT id, customer_id, amount FROM orders WHERE amount > 150", List.of("id", "customer_id", "amount"));
  private static final List<ViewDefinition> VIEWS = List.of(TestViews.REVENUE_BY_REGION_MONTH,
      TestViews.ORDERS_BY_STATUS, TestViews.PAID_ORDERS, FIRST_CUSTOMERS, BIG_LINES, LINES, BIG_ORDERS);

  private static CatalogSchema catalog() {
    return TestCatalog.withResultTablesBuilder()
        .table("public", "first_customers")
            .column("id", "integer").column("customer_id", "integer").column("status", "text")
            .column("amount", "numeric(10,2)").done()
        .table("public", "big_lines")
            .column("id", "integer").column("order_id", "integer").column("qty", "integer")
            .column("price", "numeric(10,2)").done()
        .table("public", "big_orders")
            .column("id", "integer").column("customer_id", "integer").column("amount", "numeric(10,2)").done()
        .table("public", "lines")
            .column("id", "integer").column("order_id", "integer").column("product", "text")
            .column("qty", "integer").column("price", "numeric(10,2)").done()
        .build();
  }

  /** A query with holes (the i-th text, from random values), and how its texts are shared once one is decided. */
  private record Case(String name, BiFunction<Random, Integer, String> text, Sharing expected) {}

  private static String integer(Random r) {
    return String.valueOf(r.nextInt(30));
  }

  private static String decimal(Random r) {
    return r.nextInt(100) + "." + (10 + r.nextInt(90));
  }

  private static String string(Random r) {
    String[] values = {"paid", "open", "shipped", "it''s", "", "PAID", "paid ", "1", "2", "5"};
    return "'" + values[r.nextInt(values.length)] + "'";
  }

  private static final List<Case> CASES = List.of(
      new Case("Hibernate's parameters beside a value", (r, i) -> "select o1_0.id,o1_0.amount from orders o1_0"
          + " where o1_0.status='paid' and o1_0.customer_id=? and o1_0.amount<" + decimal(r), Sharing.TEMPLATE),
      new Case("a view's filter plus a key", (r, i) -> "SELECT id, amount FROM orders WHERE status = 'paid' AND customer_id = "
          + integer(r), Sharing.TEMPLATE),
      new Case("the key compared twice", (r, i) -> "SELECT id FROM orders WHERE status = 'paid' AND customer_id > "
          + integer(r) + " AND amount < " + decimal(r) + " ORDER BY id", Sharing.TEMPLATE),
      new Case("a group key's value", (r, i) -> "SELECT status, sum(amount) AS total FROM orders WHERE status = "
          + string(r) + " GROUP BY status", Sharing.TEMPLATE),
      new Case("a rollup through joins filtered on a group key", (r, i) -> "SELECT c.region, sum(l.qty * l.price) AS rev"
          + " FROM customers c JOIN orders o ON o.customer_id = c.id JOIN order_lines l ON l.order_id = o.id"
          + " WHERE c.region = " + string(r) + " GROUP BY c.region", Sharing.TEMPLATE),
      new Case("a value in or out of a view's list", (r, i) -> "SELECT id, amount FROM orders WHERE customer_id = "
          + integer(r), null),
      new Case("a list in or out of a view's list", (r, i) -> "SELECT id, amount FROM orders WHERE customer_id IN ("
          + integer(r) + ", " + integer(r) + ")", null),
      new Case("a range in or out of a view's range", (r, i) -> "SELECT id, price FROM order_lines WHERE qty > "
          + integer(r), null),
      new Case("a value in or out of a view's range, the first one out", (r, i) -> "SELECT id, amount FROM orders"
          + " WHERE amount > " + (i == 0 ? 120 : 100 + r.nextInt(100)) + ".5", null),
      new Case("an expression over a projection view", (r, i) -> "SELECT id, price * " + decimal(r)
          + " AS p FROM order_lines WHERE product = " + string(r), Sharing.TEMPLATE),
      new Case("ordinals", (r, i) -> "SELECT status, count(*) FROM orders GROUP BY 1 ORDER BY " + (1 + r.nextInt(2)),
          Sharing.NO_SHAPE),
      new Case("a limit", (r, i) -> "SELECT id FROM orders WHERE status = 'paid' ORDER BY amount LIMIT "
          + (1 + r.nextInt(9)), Sharing.NO_SHAPE),
      new Case("a negative number", (r, i) -> "SELECT id FROM orders WHERE status = 'paid' AND amount > -"
          + integer(r), null),
      new Case("a timestamp as a string", (r, i) -> "SELECT id FROM orders WHERE status = 'paid' AND created_at > '2024-0"
          + (1 + r.nextInt(9)) + "-1" + r.nextInt(10) + "'", null),
      new Case("a typed literal", (r, i) -> "SELECT id FROM orders WHERE status = 'paid' AND created_at > DATE '2024-0"
          + (1 + r.nextInt(9)) + "-1" + r.nextInt(10) + "'", Sharing.NO_SHAPE),
      new Case("an interval", (r, i) -> "SELECT id FROM orders WHERE created_at > TIMESTAMP '2024-01-01' - interval '"
          + (1 + r.nextInt(9)) + " day'", Sharing.NO_SHAPE),
      new Case("a cast", (r, i) -> "SELECT id FROM orders WHERE status = 'paid' AND customer_id = '"
          + integer(r) + "'::int", Sharing.NO_SHAPE),
      new Case("a table no view reads", (r, i) -> "SELECT id FROM events WHERE id = " + integer(r)
          + " OR id > " + decimal(r), Sharing.PASS_THROUGH),
      new Case("a value in the select list", (r, i) -> "SELECT id, " + integer(r) + " AS k FROM orders WHERE status = 'paid'",
          null));

  @Test
  void sharedDecisionsEqualFreshPlanning() throws SQLException {
    CatalogSchema catalog = catalog();
    QueryRewriter shared = QueryRewriter.create(catalog, VIEWS);
    assertTrue(shared.unusableViews().isEmpty(), shared.unusableViews().toString());
    SqlFrontEnd frontEnd = new SqlFrontEnd(catalog);
    List<CompiledView> compiled = new ArrayList<>();
    for (ViewDefinition v : VIEWS) {
      compiled.add(CompiledView.compile(v, frontEnd));
    }
    RewritePlanner fresh = new RewritePlanner(frontEnd, compiled); // no cache: every text planned
    Random random = new Random(20261203);
    Map<Sharing, Integer> seen = new EnumMap<>(Sharing.class);
    List<String> mismatches = new ArrayList<>();
    for (Case c : CASES) {
      Set<Sharing> states = EnumSet.noneOf(Sharing.class);
      for (int i = 0; i < 25; i++) {
        String sql = c.text().apply(random, i);
        Sharing before = shared.sharing(sql);
        RewriteDecision got = shared.rewrite(sql);
        RewriteDecision planned = fresh.decide(sql);
        if (!got.equals(planned)) {
          mismatches.add(c.name() + " (" + before + "): " + sql + "\n  shared: " + got + "\n  fresh:  " + planned);
        }
        // asked again: from the shape, then (cached by its text from its second sighting) from the first level
        for (int again = 0; again < 2; again++) {
          RewriteDecision repeated = shared.rewrite(sql);
          if (!repeated.equals(planned)) {
            mismatches.add(c.name() + " repeated: " + sql + "\n  shared: " + repeated + "\n  fresh:  " + planned);
          }
        }
        seen.merge(before, 1, Integer::sum);
        states.add(shared.sharing(sql));
      }
      if (c.expected() != null) {
        assertTrue(states.contains(c.expected()), c.name() + ": " + states);
      }
    }
    assertTrue(mismatches.isEmpty(), String.join("\n", mismatches));
    // the point of the cache: most texts of shared shapes were not planned
    assertTrue(seen.getOrDefault(Sharing.TEMPLATE, 0) > 100, seen.toString());
    assertTrue(seen.getOrDefault(Sharing.PASS_THROUGH, 0) > 10, seen.toString());
  }
}
