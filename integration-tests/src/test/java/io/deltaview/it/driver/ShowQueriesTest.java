package io.deltaview.it.driver;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewStatement;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * {@code SHOW INCREMENTAL QUERIES}: per query shape (literals lifted), how often it ran, how often a view
 * served it and which, why it passed through, and its mean time; a user sees only the queries run as that
 * user, and never a literal value. Per statement, {@link DeltaviewStatement} tells the same of its last execution.
 */
class ShowQueriesTest {

  @Test
  void shapesCountServedAndPassedThroughQueriesPerUserWithoutLiterals() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("showqueries");
    try (Connection plain = db.plain()) {
      exec(plain, "CREATE TABLE accounts (id int PRIMARY KEY, owner text NOT NULL, balance numeric(12,2))");
      exec(plain, "INSERT INTO accounts SELECT g, 'owner ' || (g % 9), g * 1.5 FROM generate_series(1, 200) g");
      exec(plain, "CREATE ROLE sq_other LOGIN PASSWORD 'other'");
      exec(plain, "GRANT SELECT ON accounts TO sq_other");
    }
    try (Connection dv = db.deltaview()) {
      exec(dv, "CREATE INCREMENTAL VIEW balances AS SELECT owner, count(*) AS n, sum(balance) AS total"
          + " FROM accounts GROUP BY owner");
      for (int i = 0; i < 3; i++) {
        rows(dv, "SELECT owner, balance FROM accounts LIMIT " + i); // no view answers a row scan
      }
      for (String owner : List.of("owner 1", "owner 2", "owner 1", "owner 7")) {
        rows(dv, "SELECT owner, sum(balance) AS total FROM accounts WHERE owner = '" + owner + "' GROUP BY owner");
      }
      try (PreparedStatement ps = dv.prepareStatement("SELECT id FROM accounts WHERE balance > ?")) {
        ps.setBigDecimal(1, new java.math.BigDecimal("12345.67"));
        ps.executeQuery().close();
      }
      exec(dv, "UPDATE accounts SET balance = balance + 1 WHERE id = 424242");

      // The same, per statement: unwrap DeltaviewStatement.
      try (Statement s = dv.createStatement()) {
        DeltaviewStatement routed = s.unwrap(DeltaviewStatement.class);
        assertNull(routed.servedBy(), "nothing ran yet");
        s.executeQuery("SELECT owner, sum(balance) AS total FROM accounts WHERE owner = 'owner 3' GROUP BY owner")
            .close();
        assertEquals("public.balances", routed.servedBy());
        assertNull(routed.passReason());
        s.executeQuery("SELECT owner, balance FROM accounts LIMIT 1").close();
        assertNull(routed.servedBy());
        assertTrue(routed.passReason().startsWith("no view matches"), routed.passReason());
        s.executeUpdate("UPDATE accounts SET balance = balance WHERE id = -1");
        assertNull(routed.servedBy());
        assertNull(routed.passReason(), "a write is not a query Deltaview looks at");
      }
      try (PreparedStatement ps = dv.prepareStatement("SELECT owner, sum(balance) AS total FROM accounts"
          + " WHERE owner = ? GROUP BY owner")) {
        ps.setString(1, "owner 4");
        ps.executeQuery().close();
        assertEquals("public.balances", ps.unwrap(DeltaviewStatement.class).servedBy());
      }

      List<List<String>> shown = show(dv);
      String served = "SELECT owner, sum(balance) AS total FROM accounts WHERE owner = ? GROUP BY owner";
      List<String> servedRow = row(shown, served);
      assertEquals("6", servedRow.get(1), shown.toString());
      assertEquals("6", servedRow.get(2), "each execution served: " + shown);
      assertEquals("public.balances", servedRow.get(3));
      assertNull(servedRow.get(4), "never passed through");
      assertTrue(Double.parseDouble(servedRow.get(5)) > 0, servedRow.toString());

      List<String> scan = row(shown, "SELECT owner, balance FROM accounts LIMIT ?");
      assertEquals("4", scan.get(1));
      assertEquals("0", scan.get(2));
      assertNull(scan.get(3));
      assertNotNull(scan.get(4), "why it passed through");
      List<String> prepared = row(shown, "SELECT id FROM accounts WHERE balance > ?");
      assertEquals("1", prepared.get(1));

      String all = shown.toString();
      for (String secret : List.of("owner 1", "owner 7", "12345.67", "424242")) {
        assertFalse(all.contains(secret), "a literal value is shown: " + secret + " in " + all);
      }
      assertFalse(all.contains("UPDATE"), "only queries are shapes: " + all);
    }
    try (Connection other = db.deltaview("user", "sq_other", "password", "other")) {
      rows(other, "SELECT count(*) FROM accounts");
      List<List<String>> shown = show(other);
      assertEquals(1, shown.size(), "another user sees only its own queries: " + shown);
      assertEquals("SELECT count(*) FROM accounts", shown.get(0).get(0));
    } finally {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  private static List<List<String>> show(Connection c) throws Exception {
    List<List<String>> out = new ArrayList<>();
    try (ResultSet rs = c.createStatement().executeQuery("SHOW INCREMENTAL QUERIES")) {
      ResultSetMetaData md = rs.getMetaData();
      assertEquals(List.of("query", "executions", "served", "view", "pass_reason", "mean_ms"),
          List.of(md.getColumnLabel(1), md.getColumnLabel(2), md.getColumnLabel(3), md.getColumnLabel(4),
              md.getColumnLabel(5), md.getColumnLabel(6)));
      while (rs.next()) {
        List<String> row = new ArrayList<>();
        for (int i = 1; i <= 6; i++) {
          row.add(rs.getString(i));
        }
        out.add(row);
      }
    }
    return out;
  }

  private static List<String> row(List<List<String>> shown, String query) {
    return shown.stream().filter(r -> r.get(0).equals(query)).findFirst()
        .orElseThrow(() -> new AssertionError("no row for " + query + " in " + shown));
  }
}
