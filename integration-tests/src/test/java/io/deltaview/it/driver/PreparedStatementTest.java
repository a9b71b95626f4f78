package io.deltaview.it.driver;

import io.deltaview.it.DeltaviewDatabase;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static io.deltaview.it.DeltaviewDatabase.shape;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * A {@code PreparedStatement} with {@code ?} parameters that a view answers with an extra filter: for many
 * parameter values the rows, column labels and types equal what plain pgjdbc returns, and it is served.
 */
class PreparedStatementTest {

  static final String VIEW = "SELECT customer_id, status, count(*) AS n, sum(amount) AS total FROM orders"
      + " GROUP BY customer_id, status";
  static final String VIEW_NAME = "public.customer_status";
  static DeltaviewDatabase db;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("prepared").withShop(4);
    try (Connection dv = db.deltaview()) {
      exec(dv, "CREATE INCREMENTAL VIEW customer_status AS " + VIEW);
    }
  }

  @Test
  void filterOnAGroupKeyParameter() throws Exception {
    assertSameAsPlain("SELECT customer_id, status, count(*) AS n, sum(amount) AS total FROM orders"
        + " WHERE customer_id = ? GROUP BY customer_id, status ORDER BY status", intValues(0, 45));
  }

  @Test
  void filterOnAnotherGroupKeyAndAnAggregate() throws Exception {
    assertSameAsPlain("SELECT customer_id, count(*) AS n FROM orders WHERE status = ? GROUP BY customer_id, status"
        + " HAVING count(*) > ? ORDER BY customer_id", List.of("paid", "shipped", "cancelled", "pending", "new", "none"));
  }

  @Test
  void twoParametersKeepTheirOrder() throws Exception {
    List<Object[]> params = new ArrayList<>();
    for (int c = 0; c < 42; c += 3) {
      params.add(new Object[] {c, c + 10});
    }
    assertSameAsPlainMulti("SELECT customer_id, status, count(*) AS n, sum(amount) AS total FROM orders"
        + " WHERE customer_id >= ? AND customer_id < ? GROUP BY customer_id, status ORDER BY customer_id, status",
        params);
  }

  private static List<Object> intValues(int from, int to) {
    List<Object> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(i);
    }
    return out;
  }

  private static void assertSameAsPlain(String sql, List<Object> values) throws Exception {
    List<Object[]> params = new ArrayList<>();
    for (Object v : values) {
      params.add(sql.contains("HAVING") ? new Object[] {v, 1} : new Object[] {v});
    }
    assertSameAsPlainMulti(sql, params);
  }

  /** Runs {@code sql} with each parameter row through plain pgjdbc and Deltaview; all must be served. */
  private static void assertSameAsPlainMulti(String sql, List<Object[]> params) throws Exception {
    try (Connection plain = db.plain(); Connection dv = db.deltaview();
         PreparedStatement p = plain.prepareStatement(sql); PreparedStatement d = dv.prepareStatement(sql)) {
      long h0 = hits(dv, VIEW_NAME);
      boolean sawRows = false;
      for (Object[] values : params) {
        for (int i = 0; i < values.length; i++) {
          p.setObject(i + 1, values[i]);
          d.setObject(i + 1, values[i]);
        }
        try (ResultSet expected = p.executeQuery(); ResultSet actual = d.executeQuery()) {
          String label = sql + " with " + List.of(values);
          assertEquals(describe(expected.getMetaData()), describe(actual.getMetaData()), label);
          List<List<String>> want = rows(expected);
          sawRows |= !want.isEmpty();
          assertEquals(want, rows(actual), label);
        }
      }
      assertFalse(!sawRows, "the parameters should select some rows: " + sql);
      assertEquals(h0 + params.size(), hits(dv, VIEW_NAME), "every execution is served from the view: " + sql);
    }
  }

  private static List<String> describe(ResultSetMetaData md) throws SQLException {
    List<String> out = new ArrayList<>(shape(md));
    for (int i = 1; i <= md.getColumnCount(); i++) {
      out.add(md.getColumnLabel(i) + " precision " + md.getPrecision(i) + " scale " + md.getScale(i));
    }
    return out;
  }
}
