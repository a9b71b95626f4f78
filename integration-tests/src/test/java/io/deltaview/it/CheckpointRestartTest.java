package io.deltaview.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Checkpoints of operator state: an engine JVM killed (SIGKILL) at varied points — while views load, while it
 * applies changes, right after a checkpoint, in the middle of writing one — resumes every view from its
 * checkpoint without reading a base table, and the views equal their queries exactly after each restart. A
 * second process takes over from the checkpoints the same way; a corrupt or deleted checkpoint makes its view
 * (only that one) rebuild from a snapshot, exact too.
 */
class CheckpointRestartTest {

  static final long SEED = Long.getLong("deltaview.seed", 1010L);
  static final List<String> OPTIONS = List.of("-Ddeltaview.checkpointMillis=200",
      "-Ddeltaview.checkpointRelabelMillis=100", "-Ddeltaview.checkpointTickMillis=20", "-Xmx256m",
      "-XX:TieredStopAtLevel=1");
  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    // joins and aggregates, then an outer join, a set operation, a top-K over an aggregate and window functions,
    // a VALUES list outer-joined under an aggregate (its rows must not come twice after a restore), DISTINCT ON
    for (String name : List.of("revenue", "customer_totals", "big_lines", "product_prices", "line_totals",
        "customer_orders", "distinct_labels", "top_customers", "running_totals", "label_totals",
        "latest_per_customer")) {
      VIEWS.put(name, DifferentialTest.VIEWS.get(name));
    }
  }

  private static final Duration WAIT = Duration.ofSeconds(60);
  /** Kills in the first test: 20 with {@code -Pfull}, fewer in the default suite (each costs a JVM start). */
  private static final int KILLS = Integer.getInteger("deltaview.restart.kills", 20);

  @Test
  void killedAtVariedPointsTheEngineResumesFromCheckpointsWithoutReadingBaseTables() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("ckptkill");
    ShopWorkload workload = new ShopWorkload(SEED);
    Random random = new Random(SEED);
    String[] points = {"mid-apply", "right-after-checkpoint", "during-checkpoint-write", "during-load"};
    List<String> log = new ArrayList<>();
    int resumedWithoutReading = 0;
    try (Connection writer = db.plain()) {
      ShopWorkload.createSchema(writer);
      workload.load(writer, 60, 600, 4000, n -> { });
      EngineChild child = new EngineChild(db, OPTIONS);
      try {
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          child.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
        }
        boolean checkpointedBeforeKill = false;
        for (int round = 0; round < KILLS; round++) {
          String point = points[round % points.length];
          String when = "round " + round + " (" + point + ", seed " + SEED + ")";
          if (!point.equals("during-load")) {
            awaitExact(db, "after the restart before " + when);
            Map<String, Long> stats = awaitStats(child);
            if (checkpointedBeforeKill) {
              assertEquals(0L, stats.get("snapshotReads"), "every view had a checkpoint, yet the restarted engine"
                  + " read base tables, " + when + ": " + stats);
              assertEquals((long) VIEWS.size(), stats.get("checkpointResumes"), when + ": " + stats);
              resumedWithoutReading++;
            }
            log.add(when + ": " + stats);
          }
          switch (point) {
            case "mid-apply" -> {
              for (int t = 0; t < 6; t++) {
                workload.randomTransaction(writer, 4);
              }
            }
            case "right-after-checkpoint" -> {
              workload.randomTransaction(writer, 4);
              long before = awaitStats(child).get("checkpointsWritten");
              EngineChild running = child;
              DeltaviewDatabase.await("a checkpoint written, " + when, WAIT,
                  () -> running.stats().get("checkpointsWritten") > before ? null : "none yet");
            }
            case "during-checkpoint-write" -> {
              checkpointedBeforeKill = killDuringCheckpointWrite(db, writer, workload, child, when);
              child = restart(db, writer, workload, random);
              continue;
            }
            default -> {
              // the child was started a moment ago: it is reading checkpoints or snapshots, or activating views
            }
          }
          checkpointedBeforeKill = viewsWithCheckpoints(writer) == VIEWS.size();
          child.kill();
          child = restart(db, writer, workload, random);
        }
        awaitExact(db, "after the last restart");
        Map<String, Long> stats = awaitStats(child);
        if (checkpointedBeforeKill) {
          assertEquals(0L, stats.get("snapshotReads"), "last restart: " + stats);
          resumedWithoutReading++;
        }
        for (String name : VIEWS.keySet()) {
          child.execute("DROP INCREMENTAL VIEW " + name);
        }
        assertEquals(0L, DeltaviewDatabase.scalarLong(writer, "SELECT count(*) FROM deltaview.checkpoints"),
            "dropping the views drops their checkpoints");
      } finally {
        child.close();
      }
    }
    System.out.println(String.join("\n", log));
    // Most restarts must have resumed from checkpoints, or this test did not test them.
    assertTrue(resumedWithoutReading >= KILLS * 3 / 5, resumedWithoutReading + " of " + KILLS
        + " restarts resumed from checkpoints:\n" + String.join("\n", log));
  }

  @Test
  void anotherProcessTakesOverFromTheCheckpointsWithoutReadingBaseTables() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("ckpttakeover");
    ShopWorkload workload = new ShopWorkload(SEED + 1);
    try (Connection writer = db.plain()) {
      ShopWorkload.createSchema(writer);
      workload.load(writer, 60, 600, 4000, n -> { });
      EngineChild active = new EngineChild(db, OPTIONS);
      try (EngineChild standby = new EngineChild(db, OPTIONS)) {
        assertEquals(Map.of(), standby.stats(), "the first process maintains; the second only serves");
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          active.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
        }
        for (int t = 0; t < 20; t++) {
          workload.randomTransaction(writer, 4);
        }
        awaitExact(db, "while the first process maintains");
        DeltaviewDatabase.await("a checkpoint of every view", WAIT,
            () -> viewsWithCheckpoints(writer) == VIEWS.size() ? null : viewsWithCheckpoints(writer) + " views");
        active.kill();
        for (int t = 0; t < 20; t++) {
          workload.randomTransaction(writer, 4);
        }
        Map<String, Long> stats = awaitStats(standby);
        awaitExact(db, "after the takeover");
        stats = standby.stats();
        assertEquals(0L, stats.get("snapshotReads"), "the process taking over read base tables: " + stats);
        assertEquals((long) VIEWS.size(), stats.get("checkpointResumes"), stats.toString());
        for (List<String> row : standby.rows("SHOW INCREMENTAL VIEWS")) {
          assertEquals("ready", row.get(1), row.toString());
          assertEquals("checkpoint", row.get(13), "state_source: " + row);
        }
        for (int t = 0; t < 20; t++) {
          workload.randomTransaction(writer, 4);
        }
        awaitExact(db, "after the takeover and more changes");
      } finally {
        active.close();
      }
    }
  }

  @Test
  void aCorruptOrDeletedCheckpointRebuildsOnlyItsViewFromASnapshot() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("ckptcorrupt");
    ShopWorkload workload = new ShopWorkload(SEED + 2);
    try (Connection writer = db.plain()) {
      ShopWorkload.createSchema(writer);
      workload.load(writer, 40, 300, 1500, n -> { });
      EngineChild child = new EngineChild(db, OPTIONS);
      try {
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          child.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
        }
        for (int t = 0; t < 20; t++) {
          workload.randomTransaction(writer, 4);
        }
        DeltaviewDatabase.await("a checkpoint of every view", WAIT,
            () -> viewsWithCheckpoints(writer) == VIEWS.size() ? null : viewsWithCheckpoints(writer) + " views");
        // Unlogged: a checkpoint is never decoded by the slot it lets the engine resume.
        assertEquals("u", checkpointsPersistence(writer));
        child.kill();
        DeltaviewDatabase.exec(writer, "UPDATE deltaview.checkpoints SET state = overlay(state placing"
            + " '\\xdeadbeef'::bytea from 5) WHERE view_name = 'revenue' AND part = 0");
        DeltaviewDatabase.exec(writer, "DELETE FROM deltaview.checkpoints WHERE view_name = 'product_prices'");
        // The others as an engine of the catalog's version 2 left them, in a logged table: the restart converts
        // it and keeps them.
        DeltaviewDatabase.exec(writer, "ALTER TABLE deltaview.checkpoints SET LOGGED");
        DeltaviewDatabase.exec(writer, "COMMENT ON SCHEMA deltaview IS 'Deltaview catalog, version 2'");
        for (int t = 0; t < 20; t++) {
          workload.randomTransaction(writer, 4);
        }
        child = new EngineChild(db, OPTIONS);
        awaitExact(db, "after the restart");
        Map<String, Long> stats = awaitStats(child);
        assertEquals((long) VIEWS.size() - 2, stats.get("checkpointResumes"), stats.toString());
        assertTrue(stats.get("snapshotReads") >= 1, stats.toString());
        Map<String, String> sources = new LinkedHashMap<>();
        EngineChild restarted = child;
        // the result tables can equal their queries a moment before the rebuilt views are reported
        DeltaviewDatabase.await("every view's state_source", WAIT, () -> {
          sources.clear();
          for (List<String> row : restarted.rows("SHOW INCREMENTAL VIEWS")) {
            sources.put(row.get(0), row.get(13));
          }
          return sources.containsValue(null) || sources.size() < VIEWS.size() ? sources.toString() : null;
        });
        assertTrue(sources.get("public.revenue").startsWith("snapshot: its checkpoint at ")
            && sources.get("public.revenue").endsWith("is corrupt (checksum mismatch)"), sources.toString());
        assertEquals("snapshot: it has no checkpoint", sources.get("public.product_prices"), sources.toString());
        assertEquals("checkpoint", sources.get("public.big_lines"), sources.toString());
        assertEquals("u", checkpointsPersistence(writer));
        // deltaview.views reads the positions through a function (a standby could not plan a query of the
        // unlogged table); one statement, one snapshot, as the checkpoints move on meanwhile.
        assertEquals(0L, DeltaviewDatabase.scalarLong(writer, "SELECT count(*) FROM deltaview.views v"
            + " WHERE v.checkpoint_lsn IS DISTINCT FROM (SELECT max(k.checkpoint_lsn) FROM deltaview.checkpoints k"
            + " WHERE k.view_name = v.view_name)"));
        for (int t = 0; t < 20; t++) {
          workload.randomTransaction(writer, 4);
        }
        awaitExact(db, "after the rebuild and more changes");
      } finally {
        child.close();
      }
    }
  }

  private static String checkpointsPersistence(Connection c) throws SQLException {
    return DeltaviewDatabase.rows(c, "SELECT relpersistence FROM pg_class WHERE oid = 'deltaview.checkpoints'::regclass")
        .get(0).get(0);
  }

  @Test
  void aCheckpointThatCannotBeWrittenIsTriedAgainAndNothingElseStops() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("ckptfail");
    ShopWorkload workload = new ShopWorkload(SEED + 3);
    try (Connection writer = db.plain()) {
      ShopWorkload.createSchema(writer);
      workload.load(writer, 40, 300, 1500, n -> { });
      EngineChild child = new EngineChild(db, OPTIONS);
      try {
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          child.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
        }
        DeltaviewDatabase.await("a checkpoint of every view", WAIT,
            () -> viewsWithCheckpoints(writer) == VIEWS.size() ? null : viewsWithCheckpoints(writer) + " views");
        // Every write of a checkpoint fails from now on, as on a full disk.
        DeltaviewDatabase.exec(writer, "ALTER TABLE deltaview.checkpoints ADD CONSTRAINT refuse_all"
            + " CHECK (state_bytes < 0) NOT VALID");
        for (int t = 0; t < 20; t++) {
          workload.randomTransaction(writer, 4);
        }
        EngineChild running = child;
        DeltaviewDatabase.await("checkpoint writes to fail", WAIT,
            () -> running.stats().get("checkpointFailures") > 0 ? null : "none failed yet");
        awaitExact(db, "while checkpoints cannot be written");
        long written = child.stats().get("checkpointsWritten");
        DeltaviewDatabase.exec(writer, "ALTER TABLE deltaview.checkpoints DROP CONSTRAINT refuse_all");
        for (int t = 0; t < 10; t++) {
          workload.randomTransaction(writer, 4);
        }
        DeltaviewDatabase.await("checkpoints written again", WAIT,
            () -> running.stats().get("checkpointsWritten") >= written + VIEWS.size() ? null : "not yet");
        awaitExact(db, "after checkpoints could be written again");
        child.kill();
        for (int t = 0; t < 10; t++) {
          workload.randomTransaction(writer, 4);
        }
        child = new EngineChild(db, OPTIONS);
        awaitExact(db, "after a restart");
        Map<String, Long> stats = awaitStats(child);
        assertEquals(0L, stats.get("snapshotReads"), stats.toString());
      } finally {
        child.close();
      }
    }
  }

  @Test
  void onlyTheEngineRoleMayReadCheckpointsEvenWithDefaultPrivileges() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("ckptacl");
    String reader = "ckpt_reader_" + Long.toHexString(System.nanoTime());
    try (Connection plain = db.plain()) {
      DeltaviewDatabase.exec(plain, "CREATE ROLE " + reader);
      try {
        // Set up the way result tables often are: every table the engine role creates is readable by the app.
        DeltaviewDatabase.exec(plain, "ALTER DEFAULT PRIVILEGES GRANT SELECT ON TABLES TO " + reader);
        DeltaviewDatabase.exec(plain, "CREATE TABLE t (id int PRIMARY KEY, v int)");
        DeltaviewDatabase.exec(plain, "INSERT INTO t VALUES (1, 10), (2, 20)");
        try (Connection dv = db.deltaview()) {
          DeltaviewDatabase.exec(dv, "CREATE INCREMENTAL VIEW t_sum AS SELECT sum(v) AS s FROM t");
        }
        assertEquals(List.of(List.of("f", "f", "t", "t")), DeltaviewDatabase.rows(plain, "SELECT"
            + " has_table_privilege('" + reader + "', 'deltaview.checkpoints', 'SELECT'),"
            + " has_table_privilege('public', 'deltaview.checkpoints', 'SELECT'),"
            + " has_table_privilege('" + reader + "', 'deltaview.views', 'SELECT'),"
            + " has_table_privilege('" + reader + "', 'public.t_sum', 'SELECT')"));
      } finally {
        io.deltaview.engine.EngineRegistry.stop(db.pgUrl);
        DeltaviewDatabase.exec(plain, "ALTER DEFAULT PRIVILEGES REVOKE SELECT ON TABLES FROM " + reader);
        DeltaviewDatabase.exec(plain, "DROP OWNED BY " + reader);
        DeltaviewDatabase.exec(plain, "DROP ROLE " + reader);
      }
    }
  }

  /**
   * Holds the rows of a view's checkpoint locked so that the next checkpoint of it (or the move of this one)
   * blocks inside its transaction, changes the view so that one is due, and kills the engine while that
   * transaction is open. Returns whether every view had a checkpoint before.
   */
  private static boolean killDuringCheckpointWrite(DeltaviewDatabase db, Connection writer, ShopWorkload workload,
      EngineChild child, String when) throws Exception {
    DeltaviewDatabase.await("a checkpoint of revenue, " + when, WAIT, () -> DeltaviewDatabase.scalarLong(writer,
        "SELECT count(*) FROM deltaview.checkpoints WHERE view_name = 'revenue'") > 0 ? null : "none yet");
    boolean all = viewsWithCheckpoints(writer) == VIEWS.size();
    try (Connection locker = db.plain()) {
      locker.setAutoCommit(false);
      DeltaviewDatabase.rows(locker, "SELECT part FROM deltaview.checkpoints WHERE view_name = 'revenue' FOR UPDATE");
      for (int t = 0; t < 4; t++) {
        workload.randomTransaction(writer, 4);
      }
      DeltaviewDatabase.await("the engine's checkpoint writer to block, " + when, WAIT, () -> {
        try (PreparedStatement ps = writer.prepareStatement("SELECT count(*) FROM pg_stat_activity"
            + " WHERE datname = current_database() AND application_name = 'deltaview-engine'"
            + " AND wait_event_type = 'Lock' AND query LIKE '%deltaview.checkpoints%'");
             ResultSet rs = ps.executeQuery()) {
          rs.next();
          return rs.getLong(1) > 0 ? null : "not blocked yet";
        }
      });
      child.kill();
      locker.rollback();
    }
    return all;
  }

  private static EngineChild restart(DeltaviewDatabase db, Connection writer, ShopWorkload workload, Random random)
      throws Exception {
    for (int t = 0, n = 1 + random.nextInt(5); t < n; t++) {
      workload.randomTransaction(writer, 4);
    }
    return new EngineChild(db, OPTIONS);
  }

  private static Map<String, Long> awaitStats(EngineChild child) throws Exception {
    DeltaviewDatabase.await("the child to maintain the views", WAIT,
        () -> child.stats().isEmpty() ? "no engine in the child yet" : null);
    return child.stats();
  }

  static long viewsWithCheckpoints(Connection c) throws SQLException {
    return DeltaviewDatabase.scalarLong(c, "SELECT count(DISTINCT view_name) FROM deltaview.checkpoints");
  }

  private static void awaitExact(DeltaviewDatabase db, String when) throws Exception {
    try (Connection c = db.plain()) {
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        DeltaviewDatabase.await(v.getKey() + " exact " + when, WAIT,
            () -> DeltaviewDatabase.difference(c, v.getKey(), v.getValue()));
      }
    }
  }
}
