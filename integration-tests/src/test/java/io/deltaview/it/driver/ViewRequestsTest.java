package io.deltaview.it.driver;

import static io.deltaview.it.DeltaviewDatabase.await;
import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.rows;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.DeltaviewOptions;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Views created and dropped from sessions that are not the maintainer's: with {@code deltaview.create_view}
 * from any SQL client (as psql or a Flyway migration would), and with {@code CREATE INCREMENTAL VIEW} through a
 * driver that has no engine. A request is part of the caller's transaction; the maintaining engine (this
 * JVM's) carries it out once committed and records the outcome.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class ViewRequestsTest {

  static final String TOTALS = "SELECT customer_id, count(*) AS n, sum(amount) AS total FROM orders"
      + " GROUP BY customer_id";

  static DeltaviewDatabase db;
  /** The maintainer: the first Deltaview connection starts this JVM's engine. */
  static Connection maintainer;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("viewreq").withShop(21);
    maintainer = db.deltaview();
    rows(maintainer, "SHOW INCREMENTAL VIEWS");
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (maintainer != null) {
      maintainer.close();
    }
    if (db != null) {
      EngineRegistry.stop(db.pgUrl);
    }
  }

  @Test
  @Order(1)
  void aRequestTakesEffectWithTheMigrationThatMadeItAndARolledBackOneLeavesNothing() throws Exception {
    try (Connection psql = db.plain()) {
      psql.setAutoCommit(false);
      long rolledBack = request(psql, "SELECT deltaview.create_view('rolled_back', '" + TOTALS + "')");
      psql.rollback();
      exec(psql, "CREATE TABLE migrated (id int PRIMARY KEY, v int)");
      exec(psql, "INSERT INTO migrated SELECT g, g % 7 FROM generate_series(1, 100) g");
      long created = request(psql, "SELECT deltaview.create_view('public.migrated_sums',"
          + " 'SELECT v, count(*) AS n FROM migrated GROUP BY v')");
      assertEquals(0, scalarLong(maintainer, "SELECT count(*) FROM pg_class WHERE relname = 'migrated_sums'"),
          "nothing before the migration commits");
      psql.commit();
      psql.setAutoCommit(true);
      assertEquals(List.of(), outcome(psql, rolledBack), "a rolled-back request never existed");
      assertEquals(java.util.Arrays.asList("done", null, null), awaitOutcome(psql, created));
      assertNull(DeltaviewDatabase.difference(psql, "migrated_sums",
          "SELECT v, count(*) AS n FROM migrated GROUP BY v"));
      exec(psql, "UPDATE migrated SET v = v + 1 WHERE id <= 40");
      await("the view created by the migration to be maintained", Duration.ofSeconds(30),
          () -> DeltaviewDatabase.difference(psql, "migrated_sums",
              "SELECT v, count(*) AS n FROM migrated GROUP BY v"));
      assertEquals(0, scalarLong(psql, "SELECT count(*) FROM pg_class WHERE relname = 'rolled_back'"));
      assertEquals("ready", rows(psql, "SELECT status FROM deltaview.views WHERE view_name = 'migrated_sums'")
          .get(0).get(0));

      assertEquals(java.util.Arrays.asList("done", null, null), awaitOutcome(psql,
          request(psql, "SELECT deltaview.drop_view('migrated_sums')")));
      assertEquals(0, scalarLong(psql, "SELECT count(*) FROM pg_class WHERE relname = 'migrated_sums'"));
    }
  }

  @Test
  @Order(2)
  void aBadDefinitionFailsTheRequestWithPostgresErrorAndLeavesNothing() throws Exception {
    try (Connection psql = db.plain()) {
      List<String> unsupported = awaitOutcome(psql, request(psql, "SELECT deltaview.create_view('bad_random',"
          + " 'SELECT id, random() AS r FROM orders')"));
      assertEquals("failed", unsupported.get(0));
      assertEquals("0A000", unsupported.get(1), unsupported.toString());
      List<String> missing = awaitOutcome(psql, request(psql, "SELECT deltaview.create_view('bad_missing',"
          + " 'SELECT id FROM no_such_table')"));
      assertEquals(List.of("failed", "42P01"), missing.subList(0, 2), missing.toString());
      assertTrue(missing.get(2).contains("no_such_table"), missing.get(2));
      List<String> noView = awaitOutcome(psql, request(psql, "SELECT deltaview.drop_view('never_was')"));
      assertEquals(List.of("failed", "42P01"), noView.subList(0, 2), noView.toString());
      assertEquals(java.util.Arrays.asList("done", null, null),
          awaitOutcome(psql, request(psql, "SELECT deltaview.drop_view('never_was', if_exists => true)")));
      assertEquals(0, scalarLong(psql, "SELECT count(*) FROM pg_class WHERE relname LIKE 'bad\\_%'"));
      assertEquals(0, scalarLong(psql, "SELECT count(*) FROM deltaview.views WHERE view_name LIKE 'bad\\_%'"));

      // Refused at once, in the caller's session: nothing is recorded.
      SQLException tooMany = assertThrows(SQLException.class,
          () -> request(psql, "SELECT deltaview.create_view('a.b.c', 'SELECT 1')"));
      assertEquals("42601", tooMany.getSQLState(), tooMany.getMessage());
      SQLException badName = assertThrows(SQLException.class,
          () -> request(psql, "SELECT deltaview.create_view('a b', 'SELECT 1')"));
      assertEquals("22023", badName.getSQLState(), badName.getMessage());
      SQLException nullDefinition = assertThrows(SQLException.class,
          () -> request(psql, "SELECT deltaview.create_view('v', NULL)"));
      assertEquals("22004", nullDefinition.getSQLState(), nullDefinition.getMessage());
    }
  }

  @Test
  @Order(3)
  void nobodyButTheEngineWritesTheOutcomeOrTheRequester() throws Exception {
    try (Connection c = db.plain()) {
      String app = "app_" + db.pgUrl.substring(db.pgUrl.lastIndexOf('/') + 1).replaceAll("[^a-z0-9_]", "");
      exec(c, "CREATE ROLE " + app);
      exec(c, "GRANT SELECT ON orders TO " + app);
      c.setAutoCommit(false);
      exec(c, "SET LOCAL ROLE " + app);
      for (String forged : List.of(
          "INSERT INTO deltaview.view_requests (kind, view_name, definition, search_path, requested_by)"
              + " VALUES ('create', 'forged', 'SELECT id FROM orders', 'public', 'postgres')",
          "INSERT INTO deltaview.view_requests (kind, view_name, definition, search_path, state)"
              + " VALUES ('create', 'forged', 'SELECT id FROM orders', 'public', 'done')",
          "UPDATE deltaview.view_requests SET state = 'pending'",
          "DELETE FROM deltaview.view_requests")) {
        exec(c, "SAVEPOINT s");
        SQLException e = assertThrows(SQLException.class, () -> exec(c, forged), forged);
        assertEquals("42501", e.getSQLState(), forged + ": " + e.getMessage());
        exec(c, "ROLLBACK TO SAVEPOINT s");
      }
      long id = request(c, "SELECT deltaview.create_view('app_ids', 'SELECT id FROM orders WHERE amount > 100')");
      assertEquals(app, rows(c, "SELECT requested_by FROM deltaview.view_requests WHERE id = " + id)
          .get(0).get(0));
      c.commit();
      c.setAutoCommit(true);
      exec(c, "RESET ROLE");
      // The role may not create in public (no CREATE there since PostgreSQL 15, granted here to nobody).
      exec(c, "REVOKE CREATE ON SCHEMA public FROM PUBLIC");
      List<String> refused = awaitOutcome(c, id);
      assertEquals(List.of("failed", "42501"), refused.subList(0, 2), refused.toString());
      exec(c, "DROP OWNED BY " + app);
      exec(c, "DROP ROLE " + app);
    }
  }

  @Test
  @Order(4)
  void aDriverWithoutEngineCreatesAndDropsThroughTheMaintainer() throws Exception {
    try (Connection none = db.deltaview(DeltaviewOptions.ENGINE, "none"); Connection plain = db.plain()) {
      exec(none, "CREATE INCREMENTAL VIEW remote_totals AS " + TOTALS);
      assertNull(DeltaviewDatabase.difference(plain, "remote_totals", TOTALS), "created and loaded before it returned");
      SQLException refused = assertThrows(SQLException.class,
          () -> exec(none, "CREATE INCREMENTAL VIEW remote_totals AS " + TOTALS));
      assertEquals("42P07", refused.getSQLState(), refused.getMessage());
      exec(none, "CREATE INCREMENTAL VIEW IF NOT EXISTS remote_totals AS " + TOTALS);

      // In a transaction the request commits (or not) with it.
      none.setAutoCommit(false);
      exec(none, "DROP INCREMENTAL VIEW remote_totals");
      none.rollback();
      exec(none, "CREATE INCREMENTAL VIEW remote_big AS SELECT id, amount FROM orders WHERE amount > 50");
      assertEquals(0, scalarLong(plain, "SELECT count(*) FROM pg_class WHERE relname = 'remote_big'"));
      none.commit();
      none.setAutoCommit(true);
      await("the committed request to be carried out", Duration.ofSeconds(30), () -> scalarLong(plain,
          "SELECT count(*) FROM deltaview.views WHERE view_name = 'remote_big' AND status = 'ready'") == 1 ? null
          : "not ready yet");
      assertNull(DeltaviewDatabase.difference(plain, "remote_big", "SELECT id, amount FROM orders WHERE amount > 50"));
      assertEquals(1, scalarLong(plain, "SELECT count(*) FROM deltaview.views WHERE view_name = 'remote_totals'"),
          "the rolled-back DROP did nothing");

      exec(none, "DROP INCREMENTAL VIEW remote_totals");
      exec(none, "DROP INCREMENTAL VIEW remote_big");
      assertEquals(0, scalarLong(plain, "SELECT count(*) FROM pg_class WHERE relname LIKE 'remote\\_%'"));
    }
  }

  @Test
  @Order(5)
  void deltaviewViewsHasTheColumnsOfShowAndShowsEachRoleWhatItMayRead() throws Exception {
    exec(maintainer, "CREATE INCREMENTAL VIEW vv_totals AS " + TOTALS);
    try (Connection plain = db.plain();
         java.sql.Statement show = maintainer.createStatement();
         ResultSet shown = show.executeQuery("SHOW INCREMENTAL VIEWS");
         java.sql.Statement sql = plain.createStatement();
         ResultSet listed = sql.executeQuery("SELECT * FROM deltaview.views WHERE view_name = 'vv_totals'")) {
      java.sql.ResultSetMetaData showMeta = shown.getMetaData();
      java.sql.ResultSetMetaData viewMeta = listed.getMetaData();
      for (int i = 1; i <= showMeta.getColumnCount(); i++) {
        assertEquals(showMeta.getColumnLabel(i) + " " + showMeta.getColumnTypeName(i),
            viewMeta.getColumnLabel(i) + " " + viewMeta.getColumnTypeName(i), "column " + i);
      }
      List<String> compared = List.of("name", "status", "result_table", "definition", "last_error", "origin");
      java.util.Map<String, List<String>> byName = new java.util.HashMap<>();
      while (shown.next()) {
        List<String> values = new java.util.ArrayList<>();
        for (String column : compared) {
          values.add(shown.getString(column));
        }
        byName.put(shown.getString("name"), values);
      }
      assertTrue(listed.next(), "vv_totals is listed");
      List<String> values = new java.util.ArrayList<>();
      for (String column : compared) {
        values.add(listed.getString(column));
      }
      assertEquals(byName.get("public.vv_totals"), values);
      assertEquals(null, listed.getObject("row_count"), "the SQL view never counts result tables");
      exec(plain, "UPDATE orders SET amount = amount + 1 WHERE id = (SELECT min(id) FROM orders)");
      await("the applied position, as the catalog records it", Duration.ofSeconds(30), () -> scalarLong(plain,
          "SELECT count(*) FROM deltaview.views WHERE view_name = 'vv_totals' AND applied_lsn IS NOT NULL") == 1
          ? null : "none yet");
    }
    try (Connection c = db.plain()) {
      String reader = "reader_" + db.pgUrl.substring(db.pgUrl.lastIndexOf('/') + 1).replaceAll("[^a-z0-9_]", "");
      exec(c, "CREATE ROLE " + reader);
      c.setAutoCommit(false);
      exec(c, "SET LOCAL ROLE " + reader);
      assertEquals(0, scalarLong(c, "SELECT count(*) FROM deltaview.views WHERE view_name = 'vv_totals'"),
          "a role that may not read the result table does not see the view");
      c.rollback();
      exec(c, "GRANT SELECT ON vv_totals TO " + reader);
      exec(c, "SET LOCAL ROLE " + reader);
      assertEquals(1, scalarLong(c, "SELECT count(*) FROM deltaview.views WHERE view_name = 'vv_totals'"));
      c.rollback();
      c.setAutoCommit(true);
      exec(c, "DROP OWNED BY " + reader);
      exec(c, "DROP ROLE " + reader);
    }
    exec(maintainer, "DROP INCREMENTAL VIEW vv_totals");
  }

  @Test
  @Order(6)
  void withNoMaintainerADriverWithoutEngineIsRefusedAtOnce() throws Exception {
    maintainer.close();
    maintainer = null;
    EngineRegistry.stop(db.pgUrl);
    try (Connection none = db.deltaview(DeltaviewOptions.ENGINE, "none"); Connection plain = db.plain()) {
      long before = scalarLong(plain, "SELECT count(*) FROM deltaview.view_requests");
      SQLException e = assertThrows(SQLException.class,
          () -> exec(none, "CREATE INCREMENTAL VIEW orphan AS " + TOTALS));
      assertEquals("55000", e.getSQLState(), e.getMessage());
      assertEquals(before, scalarLong(plain, "SELECT count(*) FROM deltaview.view_requests"), "nothing queued");
    }
  }

  private static long request(Connection c, String sql) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql); ResultSet rs = ps.executeQuery()) {
      rs.next();
      return rs.getLong(1);
    }
  }

  /** The request's state, SQLState and message; empty if there is no such request. */
  private static List<String> outcome(Connection c, long id) throws SQLException {
    List<List<String>> r = rows(c, "SELECT state, error_sqlstate, error_message FROM deltaview.view_requests"
        + " WHERE id = " + id);
    return r.isEmpty() ? List.of() : r.get(0);
  }

  private static List<String> awaitOutcome(Connection c, long id) throws Exception {
    await("request " + id + " to be carried out", Duration.ofSeconds(60), () -> {
      List<String> o = outcome(c, id);
      return !o.isEmpty() && !List.of("pending", "running").contains(o.get(0)) ? null : "still " + o;
    });
    return outcome(c, id);
  }
}
