package io.deltaview.it.engine;

import static io.deltaview.it.DeltaviewDatabase.exec;
import static io.deltaview.it.DeltaviewDatabase.scalarLong;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Relations whose changes the replication stream does not carry are refused at CREATE with a clear message
 * (never PostgreSQL's raw error from the middle of the set-up), and nothing is left behind: views, materialized
 * views, a partitioned table with a foreign partition, a table read with ONLY. A partitioned table, an
 * inheritance parent and a partition read directly are maintained.
 */
class BaseTableKindsTest {

  @Test
  void viewsOverRelationsTheStreamCannotFollowAreRefusedClearly() throws Exception {
    DeltaviewDatabase db = new DeltaviewDatabase("basekinds");
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      exec(plain, "CREATE TABLE t (id int PRIMARY KEY, v int)");
      exec(plain, "INSERT INTO t SELECT g, g FROM generate_series(1, 10) g");
      exec(plain, "CREATE VIEW plain_view AS SELECT id, v FROM t");
      exec(plain, "CREATE MATERIALIZED VIEW mat_view AS SELECT id, v FROM t");
      exec(plain, "CREATE TABLE parted (id int, v int) PARTITION BY RANGE (id)");
      exec(plain, "CREATE TABLE parted_low PARTITION OF parted FOR VALUES FROM (0) TO (100)");
      exec(plain, "INSERT INTO parted SELECT g, g FROM generate_series(1, 10) g");
      exec(plain, "CREATE TABLE parent (id int, v int)");
      exec(plain, "CREATE TABLE child () INHERITS (parent)");
      exec(plain, "INSERT INTO child VALUES (1, 1)");
      exec(plain, "CREATE FOREIGN DATA WRAPPER basekinds_fdw");
      exec(plain, "CREATE SERVER basekinds_server FOREIGN DATA WRAPPER basekinds_fdw");
      exec(plain, "CREATE TABLE remote_parted (id int, v int) PARTITION BY RANGE (id)");
      exec(plain, "CREATE TABLE remote_low PARTITION OF remote_parted FOR VALUES FROM (0) TO (100)");
      exec(plain, "CREATE FOREIGN TABLE remote_high PARTITION OF remote_parted FOR VALUES FROM (100) TO (200)"
          + " SERVER basekinds_server");
      Map<String, String> refused = Map.of(
          "plain_view", "0A000",
          "mat_view", "0A000",
          "remote_parted", "0A000");
      for (Map.Entry<String, String> r : refused.entrySet()) {
        SQLException e = assertThrows(SQLException.class, () -> exec(dv,
            "CREATE INCREMENTAL VIEW over_" + r.getKey() + " AS SELECT id, v FROM " + r.getKey()), r.getKey());
        assertEquals(r.getValue(), e.getSQLState(), r.getKey() + ": " + e.getMessage());
        assertTrue(e.getMessage().contains(r.getKey()), e.getMessage());
        assertEquals(0, scalarLong(plain, "SELECT count(*) FROM pg_class WHERE relname = 'over_" + r.getKey() + "'"));
      }
      SQLException foreign = assertThrows(SQLException.class,
          () -> exec(dv, "CREATE INCREMENTAL VIEW over_remote AS SELECT id, v FROM remote_parted"));
      assertTrue(foreign.getMessage().contains("remote_high") && foreign.getMessage().contains("foreign table"),
          foreign.getMessage());
      SQLException only = assertThrows(SQLException.class,
          () -> exec(dv, "CREATE INCREMENTAL VIEW over_only AS SELECT id, v FROM ONLY parent"));
      assertEquals("0A000", only.getSQLState(), only.getMessage());
      assertTrue(only.getMessage().contains("ONLY"), only.getMessage());
      assertEquals(0, scalarLong(plain, "SELECT count(*) FROM pg_class WHERE relreplident = 'f'"
          + " AND relname IN ('t', 'parted', 'parted_low', 'parent', 'child', 'remote_parted', 'remote_low')"));
      for (String table : List.of("parted", "parent")) {
        String query = "SELECT id, v FROM " + table + " WHERE v > 0";
        exec(dv, "CREATE INCREMENTAL VIEW over_" + table + " AS " + query);
        exec(plain, "INSERT INTO " + table + " VALUES (60, 60)");
        DeltaviewDatabase.await("the view over " + table + " follows its changes", Duration.ofSeconds(30),
            () -> DeltaviewDatabase.difference(plain, "over_" + table, query));
        exec(dv, "DROP INCREMENTAL VIEW over_" + table);
      }
      exec(dv, "CREATE INCREMENTAL VIEW over_partition AS SELECT id, v FROM parted_low WHERE v > 3");
      exec(plain, "INSERT INTO parted VALUES (50, 50)");
      exec(plain, "DELETE FROM parted WHERE id = 4");
      DeltaviewDatabase.await("the view over one partition follows its changes", Duration.ofSeconds(30),
          () -> DeltaviewDatabase.difference(plain, "over_partition", "SELECT id, v FROM parted_low WHERE v > 3"));
      exec(dv, "DROP INCREMENTAL VIEW over_partition");
    }
  }
}
