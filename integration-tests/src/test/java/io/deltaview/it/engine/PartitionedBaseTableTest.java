package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.showColumn;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.EngineChild;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Views over a partitioned table (sub-partitioned, with default partitions and a partition whose columns are
 * in another order) and over an inheritance parent (a child with another column order and an extra column)
 * equal their queries after random changes: rows moving between partitions, changes made through the parent
 * and through the children, TRUNCATE of the parent and of one partition, and restarts of the engine (one after
 * a partition was attached and a child added while it was down). A partition attached, created or detached, or
 * an inheritance child added or removed, rebuilds the views over that table from a fresh snapshot (those rows
 * never came as changes), after which they follow the changes of the new descendants; the other views stay
 * ready and exact.
 */
class PartitionedBaseTableTest {

  private static final long SEED = Long.getLong("deltaview.seed", 7171L);
  private static final Duration WAIT = Duration.ofSeconds(60);

  private static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("m_filter", "SELECT id, k, v FROM m WHERE v % 3 <> 0");
    VIEWS.put("m_group", "SELECT grp, count(*) AS n, sum(v) AS s FROM m GROUP BY grp");
    VIEWS.put("m_join", "SELECT g.label, count(*) AS n, sum(m.v) AS s FROM m JOIN g ON g.grp = m.grp"
        + " GROUP BY g.label");
    VIEWS.put("m_low_only", "SELECT id, v FROM m_low");
    VIEWS.put("h_filter", "SELECT id, grp, v FROM h WHERE v > 10");
    VIEWS.put("h_group", "SELECT grp, count(*) AS n, sum(v) AS s FROM h GROUP BY grp");
    VIEWS.put("h_join", "SELECT g.label, h.id, h.v FROM h JOIN g ON g.grp = h.grp");
    VIEWS.put("u_v", "SELECT grp, count(*) AS n, sum(v) AS s FROM u GROUP BY grp");
  }

  /**
   * m: range-partitioned on k, with a partition list-partitioned on grp (and its default), a partition attached
   * with its columns in another order (and other attribute numbers, the parent having a dropped column), and a
   * default partition. h: an inheritance parent with rows of its own, a plain child and a child with its
   * columns in another order plus one of its own. g: labels to join with; u: unrelated.
   */
  static void createTables(Connection plain) throws SQLException {
    exec(plain, "CREATE TABLE m (junk int, id int NOT NULL, grp int NOT NULL, k int NOT NULL, v int NOT NULL)"
        + " PARTITION BY RANGE (k)");
    exec(plain, "ALTER TABLE m DROP COLUMN junk");
    exec(plain, "CREATE TABLE m_low PARTITION OF m FOR VALUES FROM (0) TO (100)");
    exec(plain, "CREATE TABLE m_mid PARTITION OF m FOR VALUES FROM (100) TO (200) PARTITION BY LIST (grp)");
    exec(plain, "CREATE TABLE m_mid_a PARTITION OF m_mid FOR VALUES IN (0, 1)");
    exec(plain, "CREATE TABLE m_mid_rest PARTITION OF m_mid DEFAULT");
    exec(plain, "CREATE TABLE m_high (v int NOT NULL, k int NOT NULL, id int NOT NULL, grp int NOT NULL)");
    exec(plain, "ALTER TABLE m ATTACH PARTITION m_high FOR VALUES FROM (200) TO (300)");
    exec(plain, "CREATE TABLE m_other PARTITION OF m DEFAULT");
    exec(plain, "CREATE TABLE h (id int NOT NULL, grp int NOT NULL, v int NOT NULL)");
    exec(plain, "CREATE TABLE h_c1 () INHERITS (h)");
    exec(plain, "CREATE TABLE h_c2 (extra text, v int NOT NULL, id int NOT NULL, grp int NOT NULL)");
    exec(plain, "ALTER TABLE h_c2 INHERIT h");
    exec(plain, "CREATE TABLE g (grp int PRIMARY KEY, label text NOT NULL)");
    exec(plain, "INSERT INTO g VALUES (0, 'zero'), (1, 'one'), (2, 'two'), (3, 'three')");
    exec(plain, "CREATE TABLE u (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
    exec(plain, "INSERT INTO u SELECT g, g % 4, g FROM generate_series(1, 40) g");
    exec(plain, "INSERT INTO m SELECT g, g % 5, (g * 7) % 330, g FROM generate_series(1, 200) g");
    exec(plain, "INSERT INTO h SELECT g, g % 5, g FROM generate_series(1, 30) g");
    exec(plain, "INSERT INTO h_c1 SELECT g, g % 5, g FROM generate_series(31, 60) g");
    exec(plain, "INSERT INTO h_c2 (extra, v, id, grp) SELECT 'x' || g, g, g, g % 5 FROM generate_series(61, 90) g");
  }

  @Test
  void viewsOverPartitionsAndInheritanceChildrenFollowRandomChangesExactly() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("partitioned");
    Random random = new Random(SEED);
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      createTables(plain);
      db.createViews(VIEWS);
      awaitExact(plain, "after creation, seed " + SEED);
      for (int batch = 0; batch < 12; batch++) {
        String when = "batch " + batch + ", seed " + SEED;
        randomChanges(plain, random, 40);
        if (batch == 4) {
          exec(plain, "TRUNCATE m");
          randomChanges(plain, random, 20);
        } else if (batch == 7) {
          exec(plain, "TRUNCATE h");
          randomChanges(plain, random, 20);
        } else if (batch == 9) {
          exec(plain, "TRUNCATE m_mid_rest, h_c2"); // some descendants only: the views are loaded again
          randomChanges(plain, random, 20);
        }
        awaitExact(plain, when);
      }
      for (String view : VIEWS.keySet()) {
        assertEquals("ready", showColumn(dv, "public." + view, "status"), view + ", seed " + SEED);
      }
      assertEquals(List.of(List.of("m_mid_a", "f")), DeltaviewDatabase.rows(plain, "SELECT relname, relreplident"
          + " FROM pg_class WHERE relname = 'm_mid_a'"), "a leaf partition gets REPLICA IDENTITY FULL");
      db.dropViews(VIEWS.keySet());
      assertEquals(0L, DeltaviewDatabase.scalarLong(plain, "SELECT count(*) FROM pg_class WHERE relreplident = 'f'"
          + " AND relname IN ('m_low', 'm_mid_a', 'm_mid_rest', 'm_high', 'm_other', 'h', 'h_c1', 'h_c2')"),
          "dropping the last view gives the descendants their replica identity back");
    }
  }

  @Test
  void structureChangesWithoutChangeEventsRebuildOnlyTheViewsOverThatTable() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("partitioned_drift");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      createTables(plain);
      exec(plain, "CREATE TABLE p2 (id int NOT NULL, v int NOT NULL) PARTITION BY RANGE (id)");
      exec(plain, "CREATE TABLE p2_a PARTITION OF p2 FOR VALUES FROM (0) TO (100)");
      exec(plain, "CREATE TABLE p2_b PARTITION OF p2 FOR VALUES FROM (100) TO (200)");
      exec(plain, "INSERT INTO p2 SELECT g, g FROM generate_series(1, 150) g");
      exec(plain, "CREATE TABLE p3 (id int NOT NULL, v int NOT NULL) PARTITION BY RANGE (id)");
      exec(plain, "CREATE TABLE p3_a PARTITION OF p3 FOR VALUES FROM (0) TO (100)");
      exec(plain, "INSERT INTO p3 SELECT g, g FROM generate_series(1, 50) g");
      Map<String, String> views = new LinkedHashMap<>();
      views.put("m_group", VIEWS.get("m_group"));
      views.put("h_group", VIEWS.get("h_group"));
      views.put("p2_sum", "SELECT count(*) AS n, sum(v) AS s FROM p2");
      views.put("p3_sum", "SELECT count(*) AS n, sum(v) AS s FROM p3");
      views.put("u_v", VIEWS.get("u_v"));
      db.createViews(views);
      awaitExact(plain, views, "after creation");

      // One partition truncated: which rows went is known to a fresh snapshot only, and the view is loaded again.
      exec(plain, "TRUNCATE m_low");
      exec(plain, "INSERT INTO m VALUES (1000, 1, 5, 1000)");
      awaitExact(plain, views, "after TRUNCATE of one partition");
      awaitReady(dv, "m_group");

      // Each change below alters the rows of a query without a change event: the views over that table are
      // rebuilt from a fresh snapshot, and then follow the changes of the new descendants too.
      // A partition attached with rows.
      exec(plain, "CREATE TABLE m_extra (id int NOT NULL, grp int NOT NULL, k int NOT NULL, v int NOT NULL)");
      exec(plain, "INSERT INTO m_extra VALUES (2000, 2, 400, 7), (2001, 3, 450, 8)");
      exec(plain, "ALTER TABLE m ATTACH PARTITION m_extra FOR VALUES FROM (400) TO (500)");
      // An inheritance child added, with a row.
      exec(plain, "CREATE TABLE h_c3 () INHERITS (h)");
      exec(plain, "INSERT INTO h_c3 VALUES (5000, 1, 5000)");
      // A partition detached: its rows left the query.
      exec(plain, "ALTER TABLE p2 DETACH PARTITION p2_b");
      // A partition created empty and then written to.
      exec(plain, "CREATE TABLE p3_b PARTITION OF p3 FOR VALUES FROM (100) TO (200)");
      exec(plain, "INSERT INTO p3 VALUES (150, 150)");
      awaitExact(plain, views, "after the structure changes");
      for (String view : views.keySet()) {
        awaitReady(dv, view);
      }
      exec(plain, "INSERT INTO m VALUES (2002, 1, 420, 9)");
      exec(plain, "UPDATE m SET k = 410 WHERE id = 2000");
      exec(plain, "UPDATE m SET k = 5 WHERE id = 2001"); // out of the attached partition
      exec(plain, "INSERT INTO h_c3 VALUES (5001, 2, 5001)");
      exec(plain, "UPDATE h SET v = v + 1 WHERE id >= 5000");
      exec(plain, "INSERT INTO p2 VALUES (5, 5)");
      exec(plain, "INSERT INTO p2_b VALUES (199, 199)"); // detached: no longer in the query
      exec(plain, "INSERT INTO p3 VALUES (160, 160)");
      exec(plain, "DELETE FROM p3 WHERE id = 150");
      awaitExact(plain, views, "after changes of the new descendants");
      exec(plain, "ALTER TABLE h_c3 NO INHERIT h");
      awaitExact(plain, views, "after NO INHERIT");
      awaitReady(dv, "h_group");

      // The unrelated view stayed ready and exact throughout.
      exec(plain, "UPDATE u SET v = v * 2 WHERE grp = 3");
      exec(plain, "DELETE FROM u WHERE id % 7 = 0");
      DeltaviewDatabase.await("u_v exact", WAIT, () -> DeltaviewDatabase.difference(plain, "u_v", VIEWS.get("u_v")));
      assertEquals("ready", showColumn(dv, "public.u_v", "status"));
      assertEquals(2L, DeltaviewDatabase.scalarLong(plain, "SELECT count(*) FROM pg_publication_tables"
          + " WHERE pubname = 'deltaview_pub' AND tablename IN ('m_extra', 'p3_b')"),
          "the new partitions joined the publication");
    }
  }

  @Test
  void aRestartedEngineKeepsTheViewsExact() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("partitioned_restart");
    Random random = new Random(SEED + 1);
    List<String> options = List.of("-Ddeltaview.checkpointMillis=200", "-Ddeltaview.checkpointTickMillis=20",
        "-Xmx256m", "-XX:TieredStopAtLevel=1");
    try (Connection plain = db.plain()) {
      createTables(plain);
      EngineChild child = new EngineChild(db, options);
      try {
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          child.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
        }
        for (int round = 0; round < 3; round++) {
          String when = "restart round " + round + ", seed " + (SEED + 1);
          randomChanges(plain, random, 40);
          awaitExact(plain, "before the kill, " + when);
          randomChanges(plain, random, 20);
          child.kill();
          randomChanges(plain, random, 30); // while no engine runs
          if (round == 1) {
            // Descendants that came while no engine ran: their rows are in no checkpoint and no stream.
            exec(plain, "CREATE TABLE m_late (id int NOT NULL, grp int NOT NULL, k int NOT NULL, v int NOT NULL)");
            exec(plain, "INSERT INTO m_late VALUES (3000, 1, 520, 30), (3001, 2, 530, 31)");
            exec(plain, "ALTER TABLE m ATTACH PARTITION m_late FOR VALUES FROM (500) TO (600)");
            exec(plain, "CREATE TABLE h_late (note text, id int NOT NULL, grp int NOT NULL, v int NOT NULL)");
            exec(plain, "INSERT INTO h_late VALUES ('n', 3002, 3, 32)");
            exec(plain, "ALTER TABLE h_late INHERIT h");
          }
          child = new EngineChild(db, options);
          awaitExact(plain, "after the restart, " + when);
          if (round >= 1) {
            // and the late descendants' changes reach the views from then on
            update(plain, "UPDATE m SET v = v + ? WHERE id >= 3000", round);
            update(plain, "INSERT INTO h_late (id, grp, v) VALUES (?, 1, 1)", 3100 + round);
            awaitExact(plain, "after changes of the late descendants, " + when);
          }
        }
      } finally {
        child.close();
      }
    }
  }

  /**
   * {@code n} random changes, each its own transaction: inserts into m (through the parent) and into h and
   * each of its children, updates that move rows between partitions (k, and grp inside the sub-partitioned
   * one), updates through the inheritance parent, deletes through parents and children.
   */
  static void randomChanges(Connection plain, Random random, int n) throws SQLException {
    for (int i = 0; i < n; i++) {
      int id = random.nextInt(400);
      switch (random.nextInt(9)) {
        case 0 -> update(plain, "INSERT INTO m (id, grp, k, v) VALUES (?, ?, ?, ?)", id, random.nextInt(5),
            random.nextInt(320), random.nextInt(100));
        case 1 -> update(plain, "UPDATE m SET k = ? WHERE id = ?", random.nextInt(320), id);
        case 2 -> update(plain, "UPDATE m SET grp = ?, v = v + 1 WHERE id % 13 = ?", random.nextInt(5),
            random.nextInt(13));
        case 3 -> update(plain, "DELETE FROM m WHERE id = ?", id);
        case 4 -> update(plain, "INSERT INTO " + List.of("h", "h_c1").get(random.nextInt(2))
            + " (id, grp, v) VALUES (?, ?, ?)", id, random.nextInt(5), random.nextInt(40));
        case 5 -> update(plain, "INSERT INTO h_c2 (v, extra, grp, id) VALUES (?, 'e', ?, ?)", random.nextInt(40),
            random.nextInt(5), id);
        case 6 -> update(plain, "UPDATE h SET v = v + ?, grp = (grp + 1) % 5 WHERE id % 11 = ?", random.nextInt(9),
            random.nextInt(11));
        case 7 -> update(plain, "UPDATE h_c2 SET extra = extra || 'y', v = v - 1 WHERE id % 7 = ?",
            random.nextInt(7));
        default -> update(plain, "DELETE FROM " + List.of("h", "h_c1", "h_c2").get(random.nextInt(3))
            + " WHERE id % 17 = ?", random.nextInt(17));
      }
    }
  }

  private static void update(Connection c, String sql, int... values) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement(sql)) {
      for (int i = 0; i < values.length; i++) {
        ps.setInt(i + 1, values[i]);
      }
      ps.executeUpdate();
    }
  }

  private static void awaitExact(Connection plain, String when) throws Exception {
    awaitExact(plain, VIEWS, when);
  }

  private static void awaitExact(Connection plain, Map<String, String> views, String when) throws Exception {
    for (Map.Entry<String, String> v : views.entrySet()) {
      DeltaviewDatabase.await(v.getKey() + " to equal its query " + when, WAIT,
          () -> DeltaviewDatabase.difference(plain, v.getKey(), v.getValue()));
    }
  }

  private static void awaitReady(Connection dv, String view) throws Exception {
    DeltaviewDatabase.await(view + " ready", WAIT, () -> {
      String status = showColumn(dv, "public." + view, "status");
      return "ready".equals(status) ? null : status + ": " + showColumn(dv, "public." + view, "last_error");
    });
  }
}
