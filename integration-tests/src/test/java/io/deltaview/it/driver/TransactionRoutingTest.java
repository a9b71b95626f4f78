package io.deltaview.it.driver;

import io.deltaview.it.DeltaviewDatabase;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import java.sql.Connection;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Transactions and session state: a transaction that wrote a view's base table reads the base tables (and
 * sees its own uncommitted rows); read-only transactions are still served from views; rewriting resumes after
 * commit or rollback; {@code SET search_path} stops rewriting on that connection.
 */
class TransactionRoutingTest {

  static final String VIEW = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status";
  static final String VIEW_NAME = "public.txn_status_totals";
  static DeltaviewDatabase db;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("txn").withShop(3);
    try (Connection dv = db.deltaview()) {
      exec(dv, "CREATE INCREMENTAL VIEW txn_status_totals AS " + VIEW);
    }
  }

  static String query(String status) {
    return "SELECT status, count(*) AS n, sum(amount) AS total FROM orders WHERE status = '" + status
        + "' GROUP BY status";
  }

  /** Strong consistency makes "served from the view" and "fresh" both deterministic after a commit. */
  static Connection strong() throws Exception {
    return db.deltaview(DeltaviewOptions.CONSISTENCY, "strong", DeltaviewOptions.STRONG_TIMEOUT_MS, "30000");
  }

  @Test
  void aTransactionThatWroteTheBaseTableReadsItsOwnWritesThenRewritingResumes() throws Exception {
    try (Connection dv = strong()) {
      dv.setAutoCommit(false);
      long h0 = hits(dv, VIEW_NAME);
      exec(dv, "INSERT INTO orders VALUES (3000001, 1, now()::timestamp, 'mine', 7)");
      assertEquals(List.of(List.of("mine", "1", "7.00")), rows(dv, query("mine")),
          "the transaction must see its own uncommitted insert");
      List<String> plan = explain(dv, query("mine"));
      assertEquals("f", plan.get(0));
      assertNotNull(plan.get(3), "a reason is given");
      assertTrue(plan.get(3).contains("written"), plan.get(3));
      assertEquals(h0, hits(dv, VIEW_NAME), "no query was served from the view inside the writing transaction");

      dv.rollback();
      assertEquals(List.of(), rows(dv, query("mine")), "after rollback the row is gone");
      assertEquals(h0 + 1, hits(dv, VIEW_NAME), "after rollback queries are served from the view again");
      assertEquals("t", explain(dv, query("mine")).get(0));

      exec(dv, "INSERT INTO orders VALUES (3000002, 1, now()::timestamp, 'mine', 9)");
      assertEquals(List.of(List.of("mine", "1", "9.00")), rows(dv, query("mine")));
      assertEquals(h0 + 1, hits(dv, VIEW_NAME));
      dv.commit();
      assertEquals(List.of(List.of("mine", "1", "9.00")), rows(dv, query("mine")),
          "after commit the view (strong consistency) has the committed row");
      assertEquals(h0 + 2, hits(dv, VIEW_NAME), "after commit queries are served from the view again");
    }
  }

  @Test
  void anExplicitBeginUnderAutocommitIsTrackedToo() throws Exception {
    try (Connection dv = strong(); Connection plain = db.plain()) {
      exec(plain, "INSERT INTO orders VALUES (3000003, 1, now()::timestamp, 'to_move', 4)");
      long h0 = hits(dv, VIEW_NAME);
      exec(dv, "BEGIN");
      exec(dv, "UPDATE orders SET status = 'moved' WHERE id = 3000003");
      assertEquals(List.of(List.of("moved", "1", "4.00")), rows(dv, query("moved")));
      assertEquals(h0, hits(dv, VIEW_NAME));
      exec(dv, "ROLLBACK");
      assertEquals(List.of(), rows(dv, query("moved")));
      assertEquals(h0 + 1, hits(dv, VIEW_NAME));
    }
  }

  @Test
  void aReadOnlyTransactionIsServedFromTheView() throws Exception {
    try (Connection dv = strong(); Connection plain = db.plain()) {
      dv.setAutoCommit(false);
      long h0 = hits(dv, VIEW_NAME);
      for (String status : List.of("paid", "shipped", "cancelled", "pending", "paid")) {
        assertEquals(rows(plain, query(status)), rows(dv, query(status)), status);
      }
      assertEquals(h0 + 5, hits(dv, VIEW_NAME), "every read of the read-only transaction was served");
      dv.commit();
    }
  }

  /** Schema {@code other} with its own {@code orders}: a search_path that puts it first changes the answer. */
  static void ensureShadowSchema() throws Exception {
    try (Connection plain = db.plain()) {
      exec(plain, "CREATE SCHEMA IF NOT EXISTS other");
      exec(plain, "CREATE TABLE IF NOT EXISTS other.orders (LIKE public.orders)");
      exec(plain, "DELETE FROM other.orders");
      exec(plain, "INSERT INTO other.orders VALUES (1, 1, now()::timestamp, 'shadow', 1)");
    }
  }

  static final String UNQUALIFIED = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status";
  static final List<List<String>> SHADOW = List.of(List.of("shadow", "1", "1.00"));

  @Test
  void setSearchPathStopsRewritingOnThatConnectionOnly() throws Exception {
    ensureShadowSchema();
    try (Connection dv = strong(); Connection untouched = strong()) {
      assertEquals("t", explain(dv, UNQUALIFIED).get(0));
      exec(dv, "SET search_path TO other, public");
      assertEquals(SHADOW, rows(dv, UNQUALIFIED),
          "after SET search_path, orders is other.orders: the query must not read the public view");
      List<String> plan = explain(dv, UNQUALIFIED);
      assertEquals("f", plan.get(0));
      assertTrue(plan.get(3).contains("search_path"), plan.get(3));
      long h0 = hits(untouched, VIEW_NAME);
      rows(untouched, UNQUALIFIED);
      assertEquals(h0 + 1, hits(untouched, VIEW_NAME), "other connections keep being served");
    }
  }

  @Test
  void connectionSetSchemaStopsRewriting() throws Exception {
    ensureShadowSchema();
    try (Connection dv = strong()) {
      assertEquals("t", explain(dv, UNQUALIFIED).get(0));
      dv.setSchema("other"); // pgjdbc sends SET search_path itself, not through the statement path
      assertEquals(SHADOW, rows(dv, UNQUALIFIED));
    }
  }

  @Test
  void setConfigOfTheSearchPathStopsRewriting() throws Exception {
    ensureShadowSchema();
    try (Connection dv = strong()) {
      rows(dv, "SELECT SET_CONFIG('search_path', 'other, public', false)");
      assertEquals(SHADOW, rows(dv, UNQUALIFIED));
    }
  }

  @Test
  void aCurrentSchemaPropertyResolvesNamesLikePostgres() throws Exception {
    ensureShadowSchema();
    try (Connection first = strong()) {
      rows(first, UNQUALIFIED); // the runtime for this URL exists, resolving with the default search_path
      try (Connection dv = db.deltaview("currentSchema", "other,public")) {
        assertEquals(SHADOW, rows(dv, UNQUALIFIED), "currentSchema=other: orders is other.orders");
      }
    }
  }
}
