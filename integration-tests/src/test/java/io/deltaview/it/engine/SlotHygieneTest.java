package io.deltaview.it.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.DeltaviewDatabase;
import io.deltaview.it.EngineChild;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The replication slot off the happy path: a slot PostgreSQL invalidated ({@code max_slot_wal_keep_size},
 * {@code wal_status = 'lost'}) while the engine was down or while it was streaming is replaced and every view
 * rebuilt, shown as {@code rebuilding} meanwhile, and exact afterwards, changes made while the slot was lost
 * included; SHOW reports the slot's {@code wal_status} and retained WAL; past {@code deltaview.maxRetainedWal}
 * the engine stops maintaining, fails the views and drops the slot.
 *
 * <p>Invalidating a slot needs a server setting ({@code max_slot_wal_keep_size}, changed with ALTER SYSTEM and
 * a reload, and reset at once) and {@code pg_switch_wal()}/{@code CHECKPOINT}, so these tests need a superuser.
 */
class SlotHygieneTest {

  private static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("sh_totals", "SELECT grp, count(*) AS n, sum(v) AS total FROM items GROUP BY grp");
    VIEWS.put("sh_pairs", "SELECT i.id, i.v, t.label FROM items i JOIN tags t ON i.grp = t.grp WHERE i.v > 10");
  }

  @Test
  void aSlotLostWhileTheEngineWasDownIsReplacedAndEveryViewRebuilt() throws Exception {
    DeltaviewDatabase db = database("slot_lost_down");
    try (EngineChild child = new EngineChild(db)) {
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        child.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
      }
    } // a clean exit: the slot stays, inactive, at what the child applied
    try (Connection plain = db.plain()) {
      // Changes while no engine runs; once the slot is lost they are in no stream any more.
      DeltaviewDatabase.exec(plain, "INSERT INTO items SELECT g, g % 7, g % 50 FROM generate_series(1001, 1500) g");
      DeltaviewDatabase.exec(plain, "DELETE FROM items WHERE id % 10 = 3");
      DeltaviewDatabase.exec(plain, "UPDATE tags SET label = label || '!' WHERE grp = 2");
      invalidateSlot(plain, db);
      assertEquals("lost", walStatus(plain));
    }
    try (Connection plain = db.plain(); Connection blocker = db.plain()) {
      // Holds the rebuild at its first write so that "rebuilding" can be seen: the load writes result tables
      // (DELETE, COPY) in its own transaction, which waits for this lock; reads (SHOW's row count) do not.
      blocker.setAutoCommit(false);
      DeltaviewDatabase.exec(blocker, "LOCK TABLE sh_pairs IN SHARE MODE");
      try (Connection dv = db.deltaview(); Statement s = dv.createStatement()) {
        // The start succeeds (before, it failed with 55000 and this JVM believed another process maintained).
        for (String view : VIEWS.keySet()) {
          DeltaviewDatabase.await(view + " rebuilding", Duration.ofSeconds(60), () -> {
            String status = DeltaviewDatabase.showColumn(dv, "public." + view, "status");
            String error = DeltaviewDatabase.showColumn(dv, "public." + view, "last_error");
            return "rebuilding".equals(status) && error != null && error.contains("was lost")
                && error.contains("max_slot_wal_keep_size") ? null : status + ": " + error;
          });
        }
        assertEquals("rebuilding", catalogStatus(plain, "sh_totals"), "other processes read the catalog");
        String walStatus = DeltaviewDatabase.showColumn(dv, "public.sh_totals", "wal_status");
        assertTrue(List.of("reserved", "extended").contains(walStatus), "the new slot: " + walStatus);
        blocker.commit();
        awaitReadyAndExact(db, dv);
        DeltaviewDatabase.await("sh_totals served again", Duration.ofSeconds(30),
            () -> "t".equals(DeltaviewDatabase.explain(dv, VIEWS.get("sh_totals")).get(0)) ? null : "not rewritten");

        // The new slot streams: later changes are maintained.
        DeltaviewDatabase.exec(plain, "INSERT INTO items SELECT g, g % 5, g % 40 FROM generate_series(2001, 2300) g");
        DeltaviewDatabase.exec(plain, "UPDATE items SET v = v + 20 WHERE id % 4 = 0");
        awaitReadyAndExact(db, dv);
        // DDL works (it was refused with "another process maintains" before).
        s.execute("DROP INCREMENTAL VIEW sh_pairs");
        s.execute("CREATE INCREMENTAL VIEW sh_pairs AS " + VIEWS.get("sh_pairs"));
        awaitReadyAndExact(db, dv);
        for (String view : VIEWS.keySet()) {
          s.execute("DROP INCREMENTAL VIEW " + view);
        }
      }
    }
  }

  @Test
  void aSlotLostWhileStreamingIsReplacedAndEveryViewRebuilt() throws Exception {
    DeltaviewDatabase db = database("slot_lost_streaming");
    try (Connection dv = db.deltaview(); Statement s = dv.createStatement(); Connection plain = db.plain();
         Connection blocker = db.plain()) {
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        s.execute("CREATE INCREMENTAL VIEW " + v.getKey() + " AS " + v.getValue());
      }
      awaitReadyAndExact(db, dv);
      Engine engine = EngineRegistry.existing(db.pgUrl);
      assertNotNull(engine);
      try (AutoCloseable paused = engine.pauseApplying()) {
        // The slot stays where the engine confirmed; PostgreSQL invalidates it and terminates its walsender.
        invalidateSlot(plain, db);
        DeltaviewDatabase.exec(plain, "INSERT INTO items SELECT g, g % 7, g % 50 FROM generate_series(1001, 1400) g");
        DeltaviewDatabase.exec(plain, "DELETE FROM items WHERE id % 9 = 2");
        DeltaviewDatabase.exec(plain, "UPDATE tags SET label = label || '?' WHERE grp = 3");
        // The stopped stream had nothing of these writes, so the loop never writes sh_pairs' table again.
        blocker.setAutoCommit(false);
        DeltaviewDatabase.exec(blocker, "LOCK TABLE sh_pairs IN SHARE MODE");
      }
      for (String view : VIEWS.keySet()) {
        DeltaviewDatabase.await(view + " rebuilding", Duration.ofSeconds(60), () -> {
          String status = DeltaviewDatabase.showColumn(dv, "public." + view, "status");
          String error = DeltaviewDatabase.showColumn(dv, "public." + view, "last_error");
          return "rebuilding".equals(status) && error != null && error.contains("was lost") ? null
              : status + ": " + error;
        });
      }
      assertEquals("f", DeltaviewDatabase.explain(dv, VIEWS.get("sh_totals")).get(0), "not served meanwhile");
      blocker.commit();
      awaitReadyAndExact(db, dv);
      DeltaviewDatabase.exec(plain, "INSERT INTO items SELECT g, g % 3, g % 30 FROM generate_series(3001, 3200) g");
      DeltaviewDatabase.exec(plain, "DELETE FROM tags WHERE grp = 4");
      awaitReadyAndExact(db, dv);
      for (String view : VIEWS.keySet()) {
        s.execute("DROP INCREMENTAL VIEW " + view);
      }
    }
  }

  @Test
  void showReportsTheSlotAndPastMaxRetainedWalTheEngineStops() throws Exception {
    DeltaviewDatabase db = database("slot_limit");
    // The first connection starts this database's engine, with its limit.
    try (Connection dv = db.deltaview("deltaview.maxRetainedWal", "4MB"); Statement s = dv.createStatement();
         Connection plain = db.plain(); Connection other = db.deltaview("deltaview.engine", "none")) {
      s.execute("CREATE INCREMENTAL VIEW sh_totals AS " + VIEWS.get("sh_totals"));
      awaitReadyAndExact(db, dv);
      try (ResultSet rs = s.executeQuery("SHOW INCREMENTAL VIEWS")) {
        ResultSetMetaData md = rs.getMetaData();
        int n = md.getColumnCount() - 4; // state_source, checkpoint_lsn, progress and staleness_ms follow
        assertEquals("wal_status", md.getColumnLabel(n - 1));
        assertEquals("retained_wal_bytes", md.getColumnLabel(n));
        assertEquals("text", md.getColumnTypeName(n - 1));
        assertEquals("int8", md.getColumnTypeName(n));
        assertTrue(rs.next());
        assertTrue(List.of("reserved", "extended").contains(rs.getString("wal_status")), rs.getString("wal_status"));
        long retained = rs.getLong("retained_wal_bytes");
        assertFalse(rs.wasNull());
        assertTrue(retained >= 0 && retained < 4L << 20, "retained " + retained);
      }
      // A process without the engine reads the same from pg_replication_slots.
      assertTrue(List.of("reserved", "extended").contains(
          DeltaviewDatabase.showColumn(other, "public.sh_totals", "wal_status")));
      assertNotNull(DeltaviewDatabase.showColumn(other, "public.sh_totals", "retained_wal_bytes"));

      Engine engine = EngineRegistry.existing(db.pgUrl);
      try (AutoCloseable paused = engine.pauseApplying()) {
        // 8 MB of WAL behind the slot (in a table no view reads; the loop holds the slot meanwhile).
        DeltaviewDatabase.exec(plain, "CREATE TABLE filler (id int, pad text)");
        DeltaviewDatabase.exec(plain, "INSERT INTO filler SELECT g, repeat('x', 200) FROM generate_series(1, 40000) g");
        DeltaviewDatabase.await("the view failed past the limit", Duration.ofSeconds(90), () -> {
          String status = DeltaviewDatabase.showColumn(dv, "public.sh_totals", "status");
          return "failed".equals(status) ? null : status;
        });
      }
      String error = DeltaviewDatabase.showColumn(dv, "public.sh_totals", "last_error");
      assertTrue(error.contains("deltaview.maxRetainedWal=4194304") && error.contains("53400")
          && error.contains("dropped the slot"), error);
      assertNull(DeltaviewDatabase.showColumn(dv, "public.sh_totals", "wal_status"), "the slot is gone");
      assertNull(DeltaviewDatabase.showColumn(dv, "public.sh_totals", "retained_wal_bytes"));
      assertNull(walStatus(plain), "the slot is dropped, so PostgreSQL can recycle the WAL");
      assertEquals("failed", catalogStatus(plain, "sh_totals"));
      DeltaviewDatabase.await("sh_totals no longer served", Duration.ofSeconds(30),
          () -> "f".equals(DeltaviewDatabase.explain(dv, VIEWS.get("sh_totals")).get(0)) ? null : "still rewritten");
      DeltaviewDatabase.exec(plain, "INSERT INTO items SELECT g, g % 7, g % 50 FROM generate_series(1001, 1100) g");
      // Re-creating the view starts over with a new slot.
      s.execute("DROP INCREMENTAL VIEW sh_totals");
      s.execute("CREATE INCREMENTAL VIEW sh_totals AS " + VIEWS.get("sh_totals"));
      DeltaviewDatabase.exec(plain, "UPDATE items SET v = v + 1 WHERE id % 3 = 0");
      DeltaviewDatabase.await("sh_totals exact again", Duration.ofSeconds(60), () -> {
        try (Connection c = db.plain()) {
          return DeltaviewDatabase.difference(c, "sh_totals", VIEWS.get("sh_totals"));
        }
      });
      assertEquals("ready", DeltaviewDatabase.showColumn(dv, "public.sh_totals", "status"));
      s.execute("DROP INCREMENTAL VIEW sh_totals");
    }
  }

  @Test
  void aLostSlotThatCannotBeReplacedFailsTheStartWithItsOwnSqlState() throws Exception {
    DeltaviewDatabase db = database("slot_lost_denied");
    try (EngineChild child = new EngineChild(db)) {
      child.execute("CREATE INCREMENTAL VIEW sh_totals AS " + VIEWS.get("sh_totals"));
    }
    String role = "sh_norepl_" + ProcessHandle.current().pid();
    try (Connection plain = db.plain()) {
      invalidateSlot(plain, db);
      DeltaviewDatabase.exec(plain, "DROP ROLE IF EXISTS " + role);
      // May read the catalog and take the maintainer lock (a table lock that needs UPDATE on it), but has no
      // REPLICATION: cannot drop or create slots.
      DeltaviewDatabase.exec(plain, "CREATE ROLE " + role + " LOGIN PASSWORD 'sh-secret'");
      DeltaviewDatabase.exec(plain, "GRANT USAGE ON SCHEMA deltaview TO " + role);
      DeltaviewDatabase.exec(plain, "GRANT SELECT ON ALL TABLES IN SCHEMA deltaview TO " + role);
      DeltaviewDatabase.exec(plain, "GRANT UPDATE ON deltaview.maintainer TO " + role);
      try {
        Properties p = new Properties();
        p.setProperty("user", role);
        p.setProperty("password", "sh-secret");
        // The URL's parameters may name a user, which would win over the properties.
        String url = db.deltaviewUrl.contains("?") ? db.deltaviewUrl.substring(0, db.deltaviewUrl.indexOf('?'))
            : db.deltaviewUrl;
        try (Connection dv = DriverManager.getConnection(url, p); Statement s = dv.createStatement()) {
          assertEquals(role, DeltaviewDatabase.rows(dv, "SELECT current_user").get(0).get(0));
          SQLException e = assertThrows(SQLException.class, () -> s.executeQuery("SHOW INCREMENTAL VIEWS"));
          assertEquals(SqlStates.REPLICATION_SLOT_LOST, e.getSQLState(), e.getMessage());
          assertTrue(e.getMessage().contains("was lost") && e.getMessage().contains("could not be recreated"),
              e.getMessage());
        }
        assertEquals("lost", walStatus(plain), "nothing changed");
        // A role that may replicate replaces it.
        try (Connection dv = db.deltaview(); Statement s = dv.createStatement()) {
          awaitReadyAndExact(db, dv);
          s.execute("DROP INCREMENTAL VIEW sh_totals");
        }
      } finally {
        DeltaviewDatabase.exec(plain, "DROP OWNED BY " + role);
        DeltaviewDatabase.exec(plain, "DROP ROLE " + role);
      }
    }
  }

  // ---------------------------------------------------------------- helpers

  private static DeltaviewDatabase database(String prefix) throws SQLException {
    DeltaviewDatabase db = new DeltaviewDatabase(prefix);
    try (Connection c = db.plain()) {
      Assumptions.assumeTrue(DeltaviewDatabase.scalarLong(c, "SELECT rolsuper::int FROM pg_roles"
          + " WHERE rolname = current_user") == 1, "invalidating a slot needs a superuser");
      DeltaviewDatabase.exec(c, "CREATE TABLE items (id int PRIMARY KEY, grp int NOT NULL, v int NOT NULL)");
      DeltaviewDatabase.exec(c, "CREATE TABLE tags (grp int PRIMARY KEY, label text NOT NULL)");
      DeltaviewDatabase.exec(c, "INSERT INTO items SELECT g, g % 7, g % 50 FROM generate_series(1, 1000) g");
      DeltaviewDatabase.exec(c, "INSERT INTO tags SELECT g, 'tag ' || g FROM generate_series(0, 6) g");
    }
    return db;
  }

  /**
   * Makes PostgreSQL invalidate this database's Deltaview slot: keeps at most 1 MB of WAL for slots (so none
   * beyond the current segment), moves to new WAL segments and checkpoints until the slot is {@code lost}; the
   * setting is reset at once (other databases of the server have slots too).
   */
  private static void invalidateSlot(Connection plain, DeltaviewDatabase db) throws Exception {
    DeltaviewDatabase.exec(plain, "CREATE TABLE IF NOT EXISTS wal_filler (id int)");
    DeltaviewDatabase.exec(plain, "ALTER SYSTEM SET max_slot_wal_keep_size = '1MB'");
    try {
      DeltaviewDatabase.exec(plain, "SELECT pg_reload_conf()");
      DeltaviewDatabase.await("setting reloaded", Duration.ofSeconds(30),
          () -> "1MB".equals(DeltaviewDatabase.rows(plain, "SHOW max_slot_wal_keep_size").get(0).get(0)) ? null
              : "not yet");
      DeltaviewDatabase.await("the slot invalidated", Duration.ofSeconds(90), () -> {
        DeltaviewDatabase.exec(plain, "INSERT INTO wal_filler SELECT generate_series(1, 1000)");
        DeltaviewDatabase.exec(plain, "SELECT pg_switch_wal()");
        DeltaviewDatabase.exec(plain, "CHECKPOINT");
        String status = walStatus(plain);
        return "lost".equals(status) ? null : "wal_status " + status;
      });
    } finally {
      DeltaviewDatabase.exec(plain, "ALTER SYSTEM RESET max_slot_wal_keep_size");
      DeltaviewDatabase.exec(plain, "SELECT pg_reload_conf()");
    }
  }

  /** The wal_status of this database's Deltaview slot; null if there is none. */
  private static String walStatus(Connection plain) throws SQLException {
    try (Statement s = plain.createStatement(); ResultSet rs = s.executeQuery("SELECT wal_status"
        + " FROM pg_replication_slots WHERE database = current_database() AND NOT temporary"
        + " AND slot_name LIKE 'deltaview%'")) {
      return rs.next() ? rs.getString(1) : null;
    }
  }

  private static String catalogStatus(Connection plain, String view) throws SQLException {
    try (PreparedStatement ps = plain.prepareStatement("SELECT status FROM deltaview.views WHERE view_name = ?")) {
      ps.setString(1, view);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getString(1) : null;
      }
    }
  }

  /** Every registered view ready without an error, and each equal to its query run directly. */
  private static void awaitReadyAndExact(DeltaviewDatabase db, Connection dv) throws Exception {
    for (Map.Entry<String, String> v : VIEWS.entrySet()) {
      if (DeltaviewDatabase.rows(dv, "SHOW INCREMENTAL VIEWS").stream()
          .noneMatch(r -> r.get(0).equals("public." + v.getKey()))) {
        continue;
      }
      DeltaviewDatabase.await(v.getKey() + " ready and exact", Duration.ofSeconds(90), () -> {
        String status = DeltaviewDatabase.showColumn(dv, "public." + v.getKey(), "status");
        String error = DeltaviewDatabase.showColumn(dv, "public." + v.getKey(), "last_error");
        if (!"ready".equals(status) || error != null) {
          return status + ": " + error;
        }
        try (Connection c = db.plain()) {
          return DeltaviewDatabase.difference(c, v.getKey(), v.getValue());
        }
      });
    }
  }
}
