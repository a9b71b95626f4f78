package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.showColumn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * A view is the unit of failure: a bad row, a constraint on a result table or a schema change a view cannot
 * absorb fails that view only, with PostgreSQL's SQLState, while every other view of the database stays
 * served and exact; a failed view is rebuilt alone, and is exact again once the cause is gone.
 */
class FaultIsolationTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private static final String RATIOS = "SELECT id, 100 / v AS r FROM t";
  private static final String T_TOTALS = "SELECT grp, count(*) AS n, sum(v) AS s FROM t GROUP BY grp";
  private static final String OTHER_TOTALS = "SELECT count(*) AS n, sum(x) AS s FROM other";

  private static void assertExact(Connection plain, String view, String query) throws Exception {
    DeltaviewDatabase.await(view + " to equal its query", WAIT, () -> DeltaviewDatabase.difference(plain, view, query));
  }

  private static void awaitStatus(Connection dv, String view, String status) throws Exception {
    DeltaviewDatabase.await(view + " " + status, WAIT, () -> {
      String now = showColumn(dv, "public." + view, "status");
      return status.equals(now) ? null : now + ": " + showColumn(dv, "public." + view, "last_error");
    });
  }

  /** Waits until the view failed (or is being rebuilt after failing) with {@code sqlState}; returns last_error. */
  private static String awaitFailure(Connection dv, String view, String sqlState) throws Exception {
    DeltaviewDatabase.await(view + " to fail with " + sqlState, WAIT, () -> {
      String status = showColumn(dv, "public." + view, "status");
      String state = showColumn(dv, "public." + view, "last_error_sqlstate");
      return !"ready".equals(status) && sqlState.equals(state) ? null
          : status + " " + state + ": " + showColumn(dv, "public." + view, "last_error");
    });
    return showColumn(dv, "public." + view, "last_error");
  }

  private static Engine engine(DeltaviewDatabase db) {
    Engine engine = EngineRegistry.existing(db.pgUrl);
    if (engine == null) {
      throw new AssertionError("no engine for " + db.pgUrl);
    }
    return engine;
  }

  @Test
  void aBadRowFailsOnlyItsViewWhichIsRebuiltOnceTheRowIsFixed() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("badrow");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, grp int NOT NULL)");
      exec(plain, "CREATE TABLE other (id int PRIMARY KEY, x int NOT NULL)");
      exec(plain, "INSERT INTO t SELECT g, 1 + g % 7, g % 3 FROM generate_series(1, 50) g");
      exec(plain, "INSERT INTO other SELECT g, g FROM generate_series(1, 20) g");
      exec(dv, "CREATE INCREMENTAL VIEW ratios AS " + RATIOS);
      exec(dv, "CREATE INCREMENTAL VIEW t_totals AS " + T_TOTALS);
      exec(dv, "CREATE INCREMENTAL VIEW other_totals AS " + OTHER_TOTALS);

      // One transaction writes the bad row, a row every view reads and a row of the other table.
      plain.setAutoCommit(false);
      exec(plain, "INSERT INTO t VALUES (100, 0, 1)");
      exec(plain, "INSERT INTO t VALUES (101, 3, 2)");
      exec(plain, "INSERT INTO other VALUES (100, 7)");
      plain.commit();
      plain.setAutoCommit(true);

      String error = awaitFailure(dv, "ratios", "22012");
      assertEquals("division by zero", error);
      // The query is no longer answered from the stale table once the driver has heard that the view left
      // the ready set: it reaches PostgreSQL, which fails it too.
      DeltaviewDatabase.await("the query to reach PostgreSQL", WAIT, () -> {
        try {
          DeltaviewDatabase.rows(dv, RATIOS);
          return "still answered from the result table";
        } catch (SQLException e) {
          return "22012".equals(e.getSQLState()) ? null : e.toString();
        }
      });

      // Everything else goes on, in the same transaction and after it.
      Random random = new Random(9);
      for (int i = 0; i < 40; i++) {
        exec(plain, "INSERT INTO t VALUES (" + (200 + i) + ", " + (1 + random.nextInt(9)) + ", " + random.nextInt(4)
            + ")");
        exec(plain, "UPDATE other SET x = x + " + random.nextInt(5) + " WHERE id = " + (1 + random.nextInt(20)));
      }
      exec(plain, "DELETE FROM t WHERE id % 5 = 0 AND v <> 0");
      assertExact(plain, "t_totals", T_TOTALS);
      assertExact(plain, "other_totals", OTHER_TOTALS);
      assertEquals("ready", showColumn(dv, "public.t_totals", "status"));
      assertEquals("ready", showColumn(dv, "public.other_totals", "status"));
      assertEquals(null, showColumn(dv, "public.t_totals", "last_error_sqlstate"));
      assertEquals("true", explainRewritten(dv, T_TOTALS));
      assertEquals("true", explainRewritten(dv, OTHER_TOTALS));

      // Rebuilt on a schedule: while the row is there, it fails again the same way.
      long loadsBefore = engine(db).snapshotLoads();
      long failuresBefore = engine(db).viewFailures();
      DeltaviewDatabase.await("a rebuild of ratios to have failed again", WAIT,
          () -> engine(db).viewFailures() > failuresBefore ? null : "not yet retried");
      assertEquals("22012", showColumn(dv, "public.ratios", "last_error_sqlstate"));
      assertEquals("division by zero", showColumn(dv, "public.ratios", "last_error"));
      assertEquals(loadsBefore, engine(db).snapshotLoads(), "no other view was reloaded");
      assertEquals("ready", showColumn(dv, "public.t_totals", "status"));

      exec(plain, "UPDATE t SET v = 4 WHERE v = 0");
      awaitStatus(dv, "ratios", "ready");
      assertExact(plain, "ratios", RATIOS);
      assertEquals(null, showColumn(dv, "public.ratios", "last_error_sqlstate"));
      DeltaviewDatabase.await("ratios to be served again", WAIT,
          () -> "true".equals(explainRewritten(dv, RATIOS)) ? null : "not rewritten");
      exec(plain, "INSERT INTO t VALUES (500, 2, 0)");
      assertExact(plain, "ratios", RATIOS);
      assertExact(plain, "t_totals", T_TOTALS);
    }
  }

  private static String explainRewritten(Connection dv, String query) throws SQLException {
    String rewritten = DeltaviewDatabase.explain(dv, query).get(0);
    return "t".equals(rewritten) ? "true" : "f".equals(rewritten) ? "false" : rewritten;
  }

  @Test
  void aStrongReadIsNeverAnsweredByAViewThatFailedOnATransactionItWaitedFor() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("strongfail");
    try (Connection plain = db.plain(); Connection dv = db.deltaview();
         Connection strong = db.deltaview("deltaview.consistency", "strong")) {
      exec(plain, "CREATE TABLE t (id int PRIMARY KEY, v int NOT NULL, grp int NOT NULL)");
      exec(plain, "INSERT INTO t SELECT g, 1 + g % 7, g % 3 FROM generate_series(1, 50) g");
      exec(dv, "CREATE INCREMENTAL VIEW ratios AS " + RATIOS);
      for (int round = 0; round < 8; round++) {
        DeltaviewDatabase.await("ratios served", WAIT, () -> "true".equals(explainRewritten(dv, RATIOS))
            && "ready".equals(showColumn(dv, "public.ratios", "status")) ? null : "not yet");
        // The listeners hear of the failure on another thread a moment after the apply loop committed past
        // it; the strong read waits for that commit, and must then see what PostgreSQL sees: the error.
        exec(plain, "UPDATE t SET v = 0 WHERE id = " + (1 + round));
        SQLException e = assertThrows(SQLException.class, () -> DeltaviewDatabase.rows(strong, RATIOS),
            "round " + round + ": answered from the failed view's table");
        assertEquals("22012", e.getSQLState(), e.getMessage());
        exec(plain, "UPDATE t SET v = 3 WHERE v = 0");
      }
      DeltaviewDatabase.await("ratios served", WAIT, () -> "ready".equals(showColumn(dv, "public.ratios", "status"))
          ? null : "not yet");
      assertExact(plain, "ratios", RATIOS);
    }
  }

  @Test
  void aViewOverAColumnAddedToAQuietTableIsCreatedAndMaintained() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("addedcolumn");
    String byGrp = "SELECT grp, count(*) AS n FROM q GROUP BY grp";
    String byD = "SELECT d, count(*) AS n, sum(v) AS s FROM q GROUP BY d";
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE q (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
      exec(plain, "INSERT INTO q SELECT g, g % 3, g FROM generate_series(1, 30) g");
      exec(dv, "CREATE INCREMENTAL VIEW q_grp AS " + byGrp);
      exec(plain, "UPDATE q SET v = v + 1 WHERE id = 1"); // the stream has described q once
      assertExact(plain, "q_grp", byGrp);
      // No write follows the ALTER: the last description of q in the stream lacks d.
      exec(plain, "ALTER TABLE q ADD COLUMN d int NOT NULL DEFAULT 7");
      exec(dv, "CREATE INCREMENTAL VIEW q_d AS " + byD);
      assertEquals("ready", showColumn(dv, "public.q_d", "status"));
      exec(plain, "INSERT INTO q VALUES (100, 1, 5, 8)");
      exec(plain, "UPDATE q SET d = 9 WHERE id % 4 = 0");
      assertExact(plain, "q_d", byD);
      assertExact(plain, "q_grp", byGrp);
      // A column the view reads changed type with no write since: the catalog tells, not the stream.
      exec(plain, "ALTER TABLE q ALTER COLUMN d TYPE bigint");
      String error = awaitFailure(dv, "q_d", "42804");
      assertTrue(error.contains("changed type"), error);
      assertEquals("ready", showColumn(dv, "public.q_grp", "status"));
    }
  }

  @Test
  void evaluationErrorsAtCreateCarryPostgresqlsSqlStates() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("evalerrors");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE e (id int PRIMARY KEY, v int NOT NULL, n numeric NOT NULL, s text NOT NULL)");
      exec(plain, "INSERT INTO e VALUES (1, 0, 1000.5, 'abc')");
      for (String[] c : List.of(
          new String[] {"SELECT id, 10 / v AS q FROM e", "22012"},
          new String[] {"SELECT id, CAST(n AS numeric(4,1)) AS m FROM e", "22003"},
          new String[] {"SELECT id, CAST(s AS integer) AS i FROM e", "22P02"})) {
        SQLException e = assertThrows(SQLException.class, () -> exec(dv, "CREATE INCREMENTAL VIEW bad AS " + c[0]));
        assertEquals(c[1], e.getSQLState(), c[0] + ": " + e.getMessage());
        SQLException pg = assertThrows(SQLException.class, () -> DeltaviewDatabase.rows(plain, c[0]));
        assertEquals(pg.getSQLState(), e.getSQLState(), "PostgreSQL's own SQLState for " + c[0]);
        assertEquals(0, DeltaviewDatabase.scalarLong(plain, "SELECT count(*) FROM pg_class WHERE relname = 'bad'"));
      }
    }
  }

  @Test
  void aConstraintOnOneResultTableFailsOnlyThatView() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("constraint");
    String counts = "SELECT grp, count(*) AS n FROM c GROUP BY grp";
    String sums = "SELECT grp, sum(v) AS s FROM c GROUP BY grp";
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE c (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
      exec(plain, "INSERT INTO c SELECT g, g % 4, g FROM generate_series(1, 12) g");
      exec(dv, "CREATE INCREMENTAL VIEW c_counts AS " + counts);
      exec(dv, "CREATE INCREMENTAL VIEW c_sums AS " + sums);
      exec(plain, "ALTER TABLE c_counts ADD CONSTRAINT few CHECK (n < 5)");
      // Group 1 grows to 5 rows in a transaction that also changes what c_sums shows.
      exec(plain, "INSERT INTO c VALUES (101, 1, 1), (102, 1, 2), (103, 2, 3)");
      awaitFailure(dv, "c_counts", "23514");
      exec(plain, "UPDATE c SET v = v + 1 WHERE grp = 2");
      assertExact(plain, "c_sums", sums);
      assertEquals("ready", showColumn(dv, "public.c_sums", "status"));
      // The rebuild fails the same way until the rows are gone; then the view is exact again.
      exec(plain, "DELETE FROM c WHERE id IN (101, 102)");
      awaitStatus(dv, "c_counts", "ready");
      assertExact(plain, "c_counts", counts);
      assertExact(plain, "c_sums", sums);
    }
  }

  @Test
  void schemaChangesFailExactlyTheViewsReadingWhatChanged() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("schemachange");
    String readsA = "SELECT id, a FROM s WHERE id > 0";
    String readsB = "SELECT sum(b) AS sb, count(*) AS n FROM s";
    String readsId = "SELECT count(id) AS n, max(id) AS top FROM s";
    String unrelated = "SELECT count(*) AS n, sum(x) AS s FROM other";
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE s (id int PRIMARY KEY, a int, b int, c text)");
      exec(plain, "CREATE TABLE other (id int PRIMARY KEY, x int NOT NULL)");
      exec(plain, "INSERT INTO s SELECT g, g, g * 2, 'c' FROM generate_series(1, 30) g");
      exec(plain, "INSERT INTO other SELECT g, g FROM generate_series(1, 10) g");
      exec(dv, "CREATE INCREMENTAL VIEW reads_a AS " + readsA);
      exec(dv, "CREATE INCREMENTAL VIEW reads_b AS " + readsB);
      exec(dv, "CREATE INCREMENTAL VIEW reads_id AS " + readsId);
      exec(dv, "CREATE INCREMENTAL VIEW unrelated AS " + unrelated);
      long loads = engine(db).snapshotLoads();

      // Columns no view reads: added, renamed, dropped. Nothing fails, nothing is rebuilt.
      exec(plain, "ALTER TABLE s ADD COLUMN d int");
      exec(plain, "INSERT INTO s VALUES (31, 31, 62, 'c', 1)");
      exec(plain, "ALTER TABLE s RENAME COLUMN c TO c2");
      exec(plain, "UPDATE s SET a = a + 1 WHERE id < 5");
      exec(plain, "ALTER TABLE s DROP COLUMN c2");
      exec(plain, "DELETE FROM s WHERE id = 7");
      exec(plain, "INSERT INTO other VALUES (11, 11)");
      for (String[] v : List.of(new String[] {"reads_a", readsA}, new String[] {"reads_b", readsB},
          new String[] {"reads_id", readsId}, new String[] {"unrelated", unrelated})) {
        assertExact(plain, v[0], v[1]);
        assertEquals("ready", showColumn(dv, "public." + v[0], "status"), v[0]);
      }
      assertEquals(loads, engine(db).snapshotLoads(), "no view was rebuilt");

      // A read column changes type: the views reading it fail, saying why; the others go on.
      exec(plain, "ALTER TABLE s ALTER COLUMN a TYPE numeric");
      exec(plain, "INSERT INTO s (id, a, b) VALUES (40, 1.5, 1)");
      assertEquals("column a of public.s changed type from integer to numeric; re-create the view",
          awaitFailure(dv, "reads_a", "42804"));
      exec(plain, "UPDATE other SET x = x * 2");
      assertExact(plain, "reads_b", readsB);
      assertExact(plain, "reads_id", readsId);
      assertExact(plain, "unrelated", unrelated);

      // A read column renamed.
      exec(plain, "ALTER TABLE s RENAME COLUMN b TO b2");
      exec(plain, "UPDATE s SET b2 = 0 WHERE id = 1");
      assertEquals("column b of public.s was renamed to b2; re-create the view",
          awaitFailure(dv, "reads_b", "0A000"));
      exec(plain, "INSERT INTO s (id, a, b2) VALUES (41, 2, 2)");
      exec(plain, "INSERT INTO other VALUES (12, 12)");
      assertExact(plain, "reads_id", readsId);
      assertExact(plain, "unrelated", unrelated);
      assertEquals("ready", showColumn(dv, "public.reads_id", "status"));
      assertEquals("failed", showColumn(dv, "public.reads_a", "status"), "not retried: re-create it");
    }
  }

  @Test
  void replicaIdentityNoLongerFullFailsTheViewUntilItIsRestored() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("replident");
    String sums = "SELECT grp, count(*) AS n, sum(v) AS s FROM r GROUP BY grp";
    String unrelated = "SELECT count(*) AS n, sum(x) AS s FROM other";
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE r (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
      exec(plain, "CREATE TABLE other (id int PRIMARY KEY, x int NOT NULL)");
      exec(plain, "INSERT INTO r SELECT g, g % 3, g FROM generate_series(1, 10) g");
      exec(plain, "INSERT INTO other SELECT g, g FROM generate_series(1, 10) g");
      exec(dv, "CREATE INCREMENTAL VIEW r_sums AS " + sums);
      exec(dv, "CREATE INCREMENTAL VIEW unrelated AS " + unrelated);
      exec(plain, "ALTER TABLE r REPLICA IDENTITY DEFAULT");
      exec(plain, "UPDATE r SET v = v + 1 WHERE id = 1"); // would add without retracting
      String error = awaitFailure(dv, "r_sums", "55000");
      assertTrue(error.contains("REPLICA IDENTITY FULL"), error);
      exec(plain, "UPDATE other SET x = x + 1");
      assertExact(plain, "unrelated", unrelated);
      exec(plain, "ALTER TABLE r REPLICA IDENTITY FULL");
      exec(plain, "UPDATE r SET v = v + 1 WHERE id = 2");
      awaitStatus(dv, "r_sums", "ready");
      exec(plain, "UPDATE r SET v = v + 1 WHERE id = 3");
      assertExact(plain, "r_sums", sums);
    }
  }

  @Test
  void aTableDroppedAndCreatedAgainFailsItsViews() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("recreated");
    String totals = "SELECT count(*) AS n, sum(v) AS s FROM d";
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE d (id int PRIMARY KEY, v int NOT NULL)");
      exec(plain, "INSERT INTO d SELECT g, g FROM generate_series(1, 10) g");
      exec(dv, "CREATE INCREMENTAL VIEW d_totals AS " + totals);
      exec(plain, "DROP TABLE d");
      exec(plain, "CREATE TABLE d (id int PRIMARY KEY, v int NOT NULL)");
      exec(plain, "ALTER TABLE d REPLICA IDENTITY FULL");
      exec(plain, "ALTER PUBLICATION deltaview_pub ADD TABLE d"); // e.g. another view over the new table
      exec(plain, "INSERT INTO d VALUES (1, 100)");
      String error = awaitFailure(dv, "d_totals", "0A000");
      assertTrue(error.contains("dropped and created again"), error);
    }
  }

  @Test
  void rowsWithTypesWithoutEqualityAreDeletedAndUpdated() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("noequality");
    String docs = "SELECT id, doc, pos, tag FROM j WHERE id > 0";
    String asText = "SELECT id, doc::text, pos::text, tag FROM ";
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE j (id int PRIMARY KEY, doc json, pos point, tag text)");
      exec(plain, "INSERT INTO j SELECT g, ('{\"k\": ' || g || '}')::json, point(g, -g), 't' || g"
          + " FROM generate_series(1, 20) g");
      exec(dv, "CREATE INCREMENTAL VIEW docs AS " + docs);
      exec(plain, "DELETE FROM j WHERE id IN (3, 4)");
      exec(plain, "UPDATE j SET tag = 'changed' WHERE id = 5");
      exec(plain, "UPDATE j SET doc = '{\"k\":  \"spaced\"}' WHERE id = 6");
      exec(plain, "UPDATE j SET pos = point(0.5, 1e10) WHERE id = 7");
      exec(plain, "INSERT INTO j VALUES (30, NULL, NULL, NULL)");
      exec(plain, "DELETE FROM j WHERE id = 30");
      DeltaviewDatabase.await("docs to equal its query", WAIT,
          () -> DeltaviewDatabase.difference(plain, "(" + asText + "docs) v", asText + "j WHERE id > 0"));
      assertEquals("ready", showColumn(dv, "public.docs", "status"));
    }
  }

  @Test
  void truncateLeavesAWholeTableAggregateItsOneRow() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("truncagg");
    String totals = "SELECT count(*) AS n, sum(x) AS s, min(x) AS m FROM w";
    String empty = "SELECT count(*) AS n, sum(y) AS s, max(y) AS m FROM empty_w";
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE w (id int PRIMARY KEY, x int NOT NULL)");
      exec(plain, "CREATE TABLE empty_w (id int PRIMARY KEY, y int NOT NULL)");
      exec(plain, "INSERT INTO w SELECT g, g FROM generate_series(1, 10) g");
      exec(dv, "CREATE INCREMENTAL VIEW w_totals AS " + totals);
      exec(dv, "CREATE INCREMENTAL VIEW empty_totals AS " + empty);
      assertEquals(List.of(java.util.Arrays.asList("0", null, null)),
          DeltaviewDatabase.rows(plain, "SELECT * FROM empty_totals"),
          "a view over an empty table has PostgreSQL's one row from the start");
      exec(plain, "TRUNCATE w");
      DeltaviewDatabase.await("w_totals to be (0, NULL, NULL)", WAIT, () -> {
        List<List<String>> rows = DeltaviewDatabase.rows(plain, "SELECT * FROM w_totals");
        return rows.equals(List.of(java.util.Arrays.asList("0", null, null))) && "ready".equals(
            showColumn(dv, "public.w_totals", "status")) ? null : rows.toString();
      });
      exec(plain, "INSERT INTO w VALUES (1, 5), (2, 3)");
      assertExact(plain, "w_totals", totals);
      exec(plain, "INSERT INTO empty_w VALUES (1, 5)");
      exec(plain, "DELETE FROM empty_w");
      assertExact(plain, "empty_totals", empty);
    }
  }

  @Test
  void anIdleEngineLetsTheSlotFollowTheWal() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("idleslot");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE watched (id int PRIMARY KEY, v int NOT NULL)");
      exec(plain, "CREATE TABLE unwatched (id int, filler text)");
      exec(plain, "INSERT INTO watched VALUES (1, 1)");
      exec(dv, "CREATE INCREMENTAL VIEW watched_totals AS SELECT count(*) AS n FROM watched");
      exec(plain, "INSERT INTO unwatched SELECT g, repeat('x', 200) FROM generate_series(1, 100000) g");
      // WAL that no transaction carries: only keepalives tell the engine the server is past it.
      exec(plain, "CHECKPOINT");
      String target;
      try (Statement s = plain.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
        rs.next();
        target = rs.getString(1);
      }
      DeltaviewDatabase.await("the slot to confirm " + target, WAIT, () -> {
        try (java.sql.PreparedStatement ps = plain.prepareStatement("SELECT confirmed_flush_lsn >= ?::pg_lsn,"
            + " confirmed_flush_lsn::text FROM pg_replication_slots WHERE database = current_database()"
            + " AND NOT temporary AND slot_name LIKE 'deltaview%'")) {
          ps.setString(1, target);
          try (ResultSet rs = ps.executeQuery()) {
            return !rs.next() ? "no slot" : rs.getBoolean(1) ? null : "confirmed " + rs.getString(2);
          }
        }
      });
    }
  }
}
