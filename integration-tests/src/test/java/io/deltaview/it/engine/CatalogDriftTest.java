package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.showColumn;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * Changes to base tables that the replication stream never reports — a table taken out of the publication,
 * a table dropped and created again outside the publication, a table renamed, a
 * publication that stops publishing deletes — fail exactly the views over that table (never served as ready
 * with an old answer), while the other views stay served and exact; the driver's answer is PostgreSQL's. An
 * inheritance child added rebuilds the view over its parent from a fresh snapshot instead.
 */
class CatalogDriftTest {

  private static final Duration WAIT = Duration.ofSeconds(60);

  private static final String A = "SELECT grp, count(*) AS n, sum(v) AS s FROM a GROUP BY grp";
  private static final String B = "SELECT count(*) AS n, sum(v) AS s FROM b";
  private static final String C = "SELECT id, v FROM c WHERE v > 2";
  private static final String D = "SELECT count(*) AS n, sum(v) AS s FROM d";
  private static final String UNRELATED = "SELECT grp, count(*) AS n, sum(v) AS s FROM u GROUP BY grp";

  /** Waits until {@code view} is failed with {@code sqlState}; returns its last_error. */
  private static String awaitFailed(Connection dv, String view, String sqlState) throws Exception {
    DeltaviewDatabase.await(view + " to fail with " + sqlState, WAIT, () -> {
      String status = showColumn(dv, "public." + view, "status");
      String state = showColumn(dv, "public." + view, "last_error_sqlstate");
      return "failed".equals(status) && sqlState.equals(state) ? null
          : status + " " + state + ": " + showColumn(dv, "public." + view, "last_error");
    });
    return showColumn(dv, "public." + view, "last_error");
  }

  /** Waits until the driver answers {@code query} exactly as PostgreSQL does (the view left the ready set). */
  private static void awaitAnswersAsPostgres(Connection dv, Connection plain, String query) throws Exception {
    DeltaviewDatabase.await("the driver to answer " + query + " as PostgreSQL", WAIT, () -> {
      List<List<String>> expected = sorted(DeltaviewDatabase.rows(plain, query));
      List<List<String>> actual = sorted(DeltaviewDatabase.rows(dv, query));
      return expected.equals(actual) ? null : "driver " + actual + " vs PostgreSQL " + expected;
    });
  }

  private static List<List<String>> sorted(List<List<String>> rows) {
    return rows.stream().sorted((x, y) -> x.toString().compareTo(y.toString())).toList();
  }

  private static void assertExact(Connection plain, String view, String query) throws Exception {
    DeltaviewDatabase.await(view + " to equal its query", WAIT, () -> DeltaviewDatabase.difference(plain, view, query));
  }

  private static void awaitReady(Connection dv, String view) throws Exception {
    DeltaviewDatabase.await(view + " ready", WAIT, () -> {
      String status = showColumn(dv, "public." + view, "status");
      return "ready".equals(status) ? null : status + ": " + showColumn(dv, "public." + view, "last_error");
    });
  }

  @Test
  void tableChangesTheStreamNeverReportsFailOnlyTheirViews() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("catalog_drift");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      for (String t : List.of("a", "b", "c", "d", "u")) {
        exec(plain, "CREATE TABLE " + t + " (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
        exec(plain, "INSERT INTO " + t + " SELECT g, g % 4, g FROM generate_series(1, 40) g");
      }
      exec(dv, "CREATE INCREMENTAL VIEW a_v AS " + A);
      exec(dv, "CREATE INCREMENTAL VIEW b_v AS " + B);
      exec(dv, "CREATE INCREMENTAL VIEW c_v AS " + C);
      exec(dv, "CREATE INCREMENTAL VIEW d_v AS " + D);
      exec(dv, "CREATE INCREMENTAL VIEW u_v AS " + UNRELATED);

      // a leaves the publication: its changes stop arriving, silently.
      exec(plain, "ALTER PUBLICATION deltaview_pub DROP TABLE a");
      exec(plain, "UPDATE a SET v = v + 100 WHERE grp = 1");
      String error = awaitFailed(dv, "a_v", "55000");
      assertTrue(error.contains("taken out of publication deltaview_pub"), error);
      awaitAnswersAsPostgres(dv, plain, A);

      // b gets an inheritance child with a row: a query over b reads it, and no change of b said so. The view is
      // rebuilt from a fresh snapshot over b and b_child, and follows the child's changes from then on.
      exec(plain, "CREATE TABLE b_child () INHERITS (b)");
      exec(plain, "INSERT INTO b_child VALUES (1000, 1, 1000)");
      assertExact(plain, "b_v", B);
      awaitReady(dv, "b_v");
      exec(plain, "INSERT INTO b_child VALUES (1001, 2, 1001)");
      assertExact(plain, "b_v", B);

      // c is dropped and created again, outside the publication: no Relation message ever tells.
      exec(plain, "DROP TABLE c");
      exec(plain, "CREATE TABLE c (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
      exec(plain, "INSERT INTO c VALUES (1, 1, 50)");
      error = awaitFailed(dv, "c_v", "0A000");
      assertTrue(error.contains("dropped and created again"), error);
      awaitAnswersAsPostgres(dv, plain, C);

      // d is renamed and another table takes its name: the view must not answer for the new one.
      exec(plain, "ALTER TABLE d RENAME TO d_old");
      exec(plain, "CREATE TABLE d (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
      error = awaitFailed(dv, "d_v", "0A000");
      assertTrue(error.contains("renamed to public.d_old"), error);
      awaitAnswersAsPostgres(dv, plain, D);

      // Meanwhile the unrelated view was never touched: ready, served and exact.
      exec(plain, "UPDATE u SET v = v * 2 WHERE grp = 3");
      exec(plain, "DELETE FROM u WHERE id % 7 = 0");
      assertExact(plain, "u_v", UNRELATED);
      assertEquals("ready", showColumn(dv, "public.u_v", "status"));
      assertEquals("t", DeltaviewDatabase.explain(dv, UNRELATED).get(0));

      // Put back into the publication, a is rebuilt (a retryable failure) and exact, changes since included.
      exec(plain, "ALTER PUBLICATION deltaview_pub ADD TABLE a");
      awaitReady(dv, "a_v");
      exec(plain, "UPDATE a SET v = v - 1 WHERE grp = 2");
      assertExact(plain, "a_v", A);

      // A publication that stops publishing deletes fails every view over its tables.
      exec(plain, "ALTER PUBLICATION deltaview_pub SET (publish = 'insert, update')");
      error = awaitFailed(dv, "u_v", "55000");
      assertTrue(error.contains("no longer publishes every kind of change"), error);
      exec(plain, "DELETE FROM u WHERE grp = 0");
      awaitAnswersAsPostgres(dv, plain, UNRELATED);
      exec(plain, "ALTER PUBLICATION deltaview_pub SET (publish = 'insert, update, delete, truncate')");
      awaitReady(dv, "u_v");
      exec(plain, "DELETE FROM u WHERE grp = 1");
      assertExact(plain, "u_v", UNRELATED);
      assertExact(plain, "a_v", A);
    }
  }

  @Test
  void aRowFilterOrColumnListOnTheTableInThePublicationFailsItsViews() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("catalog_drift_filter");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      // Row filters and column lists exist from PostgreSQL 15 on.
      Assumptions.assumeTrue(plain.getMetaData().getDatabaseMajorVersion() >= 15, "PostgreSQL 15 or later");
      for (String t : List.of("a", "u")) {
        exec(plain, "CREATE TABLE " + t + " (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
        exec(plain, "INSERT INTO " + t + " SELECT g, g % 4, g FROM generate_series(1, 40) g");
      }
      exec(dv, "CREATE INCREMENTAL VIEW a_v AS " + A);
      exec(dv, "CREATE INCREMENTAL VIEW u_v AS " + UNRELATED);
      plain.setAutoCommit(false);
      exec(plain, "ALTER PUBLICATION deltaview_pub DROP TABLE a");
      exec(plain, "ALTER PUBLICATION deltaview_pub ADD TABLE a WHERE (v > 10)");
      plain.commit();
      plain.setAutoCommit(true);
      exec(plain, "UPDATE a SET v = 1 WHERE id = 20"); // leaves the filter: the stream would say nothing
      String error = awaitFailed(dv, "a_v", "55000");
      assertTrue(error.contains("row filter or column list"), error);
      awaitAnswersAsPostgres(dv, plain, A);
      exec(plain, "UPDATE u SET v = v + 1");
      assertExact(plain, "u_v", UNRELATED);
      assertEquals("ready", showColumn(dv, "public.u_v", "status"));
    }
  }
}
