package io.deltaview.it.driver;

import io.deltaview.it.DeltaviewDatabase;
import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.explain;
import static io.deltaview.it.DeltaviewDatabase.hits;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static io.deltaview.it.DeltaviewDatabase.showColumn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Types;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * {@code EXPLAIN INCREMENTAL} and {@code SHOW INCREMENTAL VIEWS} answer with the documented columns and
 * sensible values; {@code deltaview.mode=off} is plain pgjdbc: nothing is rewritten or intercepted.
 */
class CommandsTest {

  static final String VIEW = "SELECT status, count(*) AS n, sum(amount) AS total FROM orders GROUP BY status";
  static DeltaviewDatabase db;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("commands").withShop(5);
    try (Connection dv = db.deltaview()) {
      exec(dv, "CREATE INCREMENTAL VIEW cmd_status AS " + VIEW);
    }
  }

  @Test
  void explainOfANonMatchingQuerySaysWhyNot() throws Exception {
    try (Connection dv = db.deltaview()) {
      String query = "SELECT name FROM customers WHERE id = 1";
      List<String> row = explain(dv, query);
      assertEquals("f", row.get(0));
      assertNull(row.get(1), "no view");
      assertEquals(query, row.get(2), "the SQL that is sent is the query itself");
      assertNotNull(row.get(3), "a reason");
      assertTrue(!row.get(3).isBlank());

      List<String> served = explain(dv, VIEW);
      assertEquals(List.of("t", "public.cmd_status"), served.subList(0, 2));
      assertTrue(served.get(2).contains("cmd_status"), served.get(2));
      assertNull(served.get(3));
      try (Statement s = dv.createStatement(); ResultSet rs = s.executeQuery("explain incremental " + VIEW)) {
        ResultSetMetaData md = rs.getMetaData();
        assertEquals(List.of("rewritten:-7:bool", "view:12:text", "sql:12:text", "reason:12:text"),
            DeltaviewDatabase.shape(md));
      }
    }
  }

  @Test
  void explainIncrementalViewPrintsTheDataflowOfAViewOrOfADefinition() throws Exception {
    try (Connection dv = db.deltaview(); Connection plain = db.plain()) {
      List<String> plan = planLines(dv, "EXPLAIN INCREMENTAL VIEW public.cmd_status");
      assertTrue(plan.get(0).startsWith("Aggregate group by [status]"), String.join("\n", plan));
      assertTrue(plan.get(0).contains("[state: groups by"), plan.get(0));
      assertTrue(plan.stream().anyMatch(l -> l.contains("Scan public.orders")), String.join("\n", plan));
      assertEquals(plan, planLines(dv, "explain incremental view cmd_status"), "unqualified, via the search_path");

      // before creating: a LEFT JOIN shows which side keeps match counts
      List<String> left = planLines(dv, "EXPLAIN INCREMENTAL VIEW AS SELECT c.name, o.amount FROM customers c"
          + " LEFT JOIN orders o ON o.customer_id = c.id");
      assertTrue(left.get(0).startsWith("LeftJoin on left.id = right.customer_id"), String.join("\n", left));
      assertTrue(left.get(0).contains("left rows by [0] with match counts, right rows by [0]]"), left.get(0));

      // DISTINCT ON as a first row per group, a VALUES list as a constant input, a RANGE frame with its offsets
      String distinctOn = String.join("\n", planLines(dv, "EXPLAIN INCREMENTAL VIEW AS SELECT DISTINCT ON"
          + " (customer_id) customer_id, id FROM orders ORDER BY customer_id, id DESC"));
      assertTrue(distinctOn.contains("ROW_NUMBER()") && distinctOn.contains("partition by [customer_id]")
          && distinctOn.contains("Filter =("), distinctOn);
      String values = String.join("\n", planLines(dv, "EXPLAIN INCREMENTAL VIEW AS SELECT o.id, v.label FROM orders o"
          + " JOIN (VALUES ('new', 'open'), ('paid', 'done')) AS v(status, label) ON v.status = o.status"));
      assertTrue(values.contains("Values [status, label] ('new', 'open'), ('paid', 'done')"), values);
      String range = String.join("\n", planLines(dv, "EXPLAIN INCREMENTAL VIEW AS SELECT id, count(*) OVER (ORDER BY"
          + " created_at RANGE BETWEEN INTERVAL '1 day' PRECEDING AND INTERVAL '2 hours' FOLLOWING) AS n FROM orders"));
      assertTrue(range.contains("RANGE between '1 day' PRECEDING and '02:00:00' FOLLOWING"), range);

      SQLException refused = assertThrows(SQLException.class, () -> planLines(dv,
          "EXPLAIN INCREMENTAL VIEW AS SELECT id, ntile(4) OVER (ORDER BY amount) FROM orders"));
      assertEquals("0A000", refused.getSQLState(), refused.getMessage());
      SQLException missing = assertThrows(SQLException.class, () -> planLines(dv,
          "EXPLAIN INCREMENTAL VIEW no_such_view"));
      assertEquals("42P01", missing.getSQLState(), missing.getMessage());
      // the caller's transaction and search_path are left as they were
      dv.setAutoCommit(false);
      exec(dv, "SET LOCAL search_path = pg_catalog");
      assertEquals(plan, planLines(dv, "EXPLAIN INCREMENTAL VIEW public.cmd_status"));
      try (Statement s = dv.createStatement(); ResultSet rs = s.executeQuery("SHOW search_path")) {
        rs.next();
        assertEquals("pg_catalog", rs.getString(1));
      }
      dv.rollback();
      dv.setAutoCommit(true);
    }
  }

  private static List<String> planLines(Connection c, String command) throws SQLException {
    List<String> lines = new ArrayList<>();
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(command)) {
      assertEquals("QUERY PLAN", rs.getMetaData().getColumnLabel(1));
      while (rs.next()) {
        lines.add(rs.getString(1));
      }
    }
    return lines;
  }

  @Test
  void showIncrementalViewsHasTheDocumentedColumnsAndSensibleValues() throws Exception {
    try (Connection dv = db.deltaview(); Connection plain = db.plain()) {
      rows(dv, VIEW); // one hit at least
      // The position is read inside the inserting transaction, so it is before its commit: read after the commit,
      // it may include WAL written since (e.g. by the engine applying the insert), which no view change follows.
      plain.setAutoCommit(false);
      exec(plain, "INSERT INTO orders VALUES (4000001, 1, now()::timestamp, 'shown', 3)");
      String writtenAt;
      try (Statement s = plain.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
        rs.next();
        writtenAt = rs.getString(1);
      }
      plain.commit();
      plain.setAutoCommit(true);
      await("the insert to be applied", Duration.ofSeconds(30), () -> {
        String applied = showColumn(dv, "public.cmd_status", "applied_lsn");
        if (applied == null) {
          return "applied_lsn is null";
        }
        try (PreparedStatement ps = plain.prepareStatement("SELECT ?::pg_lsn >= ?::pg_lsn")) {
          ps.setString(1, applied);
          ps.setString(2, writtenAt);
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            return rs.getBoolean(1) ? null : "applied_lsn " + applied + " < " + writtenAt;
          }
        }
      });
      try (Statement s = dv.createStatement(); ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
        ResultSetMetaData md = rs.getMetaData();
        List<String> labels = new ArrayList<>();
        for (int i = 1; i <= md.getColumnCount(); i++) {
          labels.add(md.getColumnLabel(i));
        }
        assertEquals(List.of("name", "status", "result_table", "row_count", "lag_ms", "applied_lsn", "hits",
            "definition", "last_error", "origin", "last_error_sqlstate", "wal_status", "retained_wal_bytes",
            "state_source", "checkpoint_lsn", "progress", "staleness_ms"), labels);
        assertEquals(Types.BIGINT, md.getColumnType(4));
        assertEquals(Types.BIGINT, md.getColumnType(5));
        assertEquals(Types.BIGINT, md.getColumnType(7));
        assertEquals(Types.BIGINT, md.getColumnType(17));
        assertTrue(rs.next());
        assertEquals("public.cmd_status", rs.getString("name"));
        assertEquals("ready", rs.getString("status"));
        assertEquals(null, rs.getString("progress"), "no snapshot load under way");
        String table = rs.getString("result_table");
        assertEquals(scalarLong(plain, "SELECT count(*) FROM (" + VIEW + ") q"), rs.getLong("row_count"));
        assertEquals(scalarLong(plain, "SELECT count(*) FROM " + table), rs.getLong("row_count"),
            "result_table " + table + " must name the table read with plain SQL");
        long lag = rs.getLong("lag_ms");
        assertTrue(!rs.wasNull() && lag >= 0 && lag < 60_000, "lag_ms " + lag);
        assertTrue(rs.getLong("hits") >= 1, "hits " + rs.getLong("hits"));
        assertEquals(VIEW, rs.getString("definition"));
        assertNull(rs.getString("last_error"));
        assertEquals("sql", rs.getString("origin"));
        assertNull(rs.getString("last_error_sqlstate"));
        assertTrue(List.of("reserved", "extended").contains(rs.getString("wal_status")), rs.getString("wal_status"));
        assertEquals(Types.BIGINT, md.getColumnType(13));
        assertTrue(rs.getLong("retained_wal_bytes") >= 0 && !rs.wasNull(), "retained_wal_bytes");
        assertTrue(!rs.next(), "one view, one row");
      }
    }
  }

  @Test
  void modeOffIsPlainPgjdbc() throws Exception {
    try (Connection off = db.deltaview(DeltaviewOptions.MODE, "off"); Connection dv = db.deltaview();
         Connection plain = db.plain()) {
      long h0 = hits(dv, "public.cmd_status");
      assertEquals(rows(plain, VIEW + " ORDER BY status"), rows(off, VIEW + " ORDER BY status"));
      assertEquals(h0, hits(dv, "public.cmd_status"), "mode=off never reads a view");
      // With mode=off the driver intercepts nothing: Deltaview's commands reach PostgreSQL, which rejects them.
      SQLException explain = assertThrows(SQLException.class, () -> rows(off, "EXPLAIN INCREMENTAL " + VIEW));
      assertEquals("42601", explain.getSQLState());
      SQLException show = assertThrows(SQLException.class, () -> rows(off, "SHOW INCREMENTAL VIEWS"));
      assertEquals("42601", show.getSQLState());
      SQLException create = assertThrows(SQLException.class,
          () -> exec(off, "CREATE INCREMENTAL VIEW never AS " + VIEW));
      assertEquals("42601", create.getSQLState());
      assertEquals(0, scalarLong(dv, "SELECT count(*) FROM pg_class WHERE relname = 'never'"));
    }
  }
}
