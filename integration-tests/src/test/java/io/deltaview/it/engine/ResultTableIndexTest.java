package io.deltaview.it.engine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.it.DeltaviewDatabase;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Result tables are written through an index: a view without a unique key gets one on its first columns of
 * small types, and a retraction (of whole rows, or of a group whose key may be NULL) is looked up through it
 * rather than by scanning the table, NULLs included. Random changes with NULLs and duplicate rows keep every
 * result table equal to its query.
 */
class ResultTableIndexTest {

  static final long SEED = Long.getLong("deltaview.seed", 20261204L);
  static final int ROWS = 20_000;
  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("ix_rows", "SELECT grp, label, amount, note FROM items WHERE tag IS DISTINCT FROM 3");
    VIEWS.put("ix_pairs", "SELECT a.grp, b.label FROM items a JOIN items b ON a.tag = b.grp WHERE a.id % 50 = 0");
    VIEWS.put("ix_groups", "SELECT label, count(*) AS n FROM items GROUP BY label");
    VIEWS.put("ix_notes", "SELECT note FROM items WHERE id % 7 = 0");
    VIEWS.put("ix_spellings", "SELECT n, f, i FROM spellings");
  }

  /** Values equal to PostgreSQL's {@code =} that print differently, for each column of {@code spellings}. */
  static final String[][] SPELLINGS = {
      {"2", "2.0", "2.00", null}, {"0", "-0", "1.5", null}, {"1 day", "24 hours", "1 day 1 second", null}};

  static DeltaviewDatabase db;
  static final Random RANDOM = new Random(SEED);
  static final List<Integer> LIVE = new ArrayList<>();
  static int nextId = 1;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("rtindex");
    try (Connection c = db.plain(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE items (id int PRIMARY KEY, grp int, label varchar(20), amount numeric(10,2),"
          + " note text, tag int)");
      c.setAutoCommit(false);
      for (int i = 0; i < ROWS; i++) {
        insert(c);
      }
      s.execute("CREATE TABLE spellings (id int PRIMARY KEY, n numeric, f double precision, i interval)");
      for (int id = 1; id <= 300; id++) {
        insertSpelling(c, id);
      }
      c.commit();
      c.setAutoCommit(true);
    }
    db.createViews(VIEWS);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (db != null) {
      db.dropViews(VIEWS.keySet());
    }
  }

  private static String maybe(String value) {
    return RANDOM.nextInt(8) == 0 ? null : value;
  }

  private static void insert(Connection c) throws SQLException {
    int id = nextId++;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO items VALUES (?, ?::int, ?, ?::numeric, ?, ?::int)")) {
      ps.setInt(1, id);
      ps.setString(2, maybe(Integer.toString(RANDOM.nextInt(2_000))));
      ps.setString(3, maybe("l" + RANDOM.nextInt(30)));
      ps.setString(4, maybe(RANDOM.nextInt(5) + "." + RANDOM.nextInt(10)));
      ps.setString(5, maybe("note " + RANDOM.nextInt(3)));
      ps.setString(6, maybe(Integer.toString(RANDOM.nextInt(2_000))));
      ps.executeUpdate();
    }
    LIVE.add(id);
  }

  private static void insertSpelling(Connection c, int id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO spellings VALUES (?, ?::numeric, ?::float8,"
        + " ?::interval)")) {
      ps.setInt(1, id);
      for (int col = 0; col < SPELLINGS.length; col++) {
        ps.setString(col + 2, SPELLINGS[col][RANDOM.nextInt(SPELLINGS[col].length)]);
      }
      ps.executeUpdate();
    }
  }

  private static void insertOutsideIxRows(Connection c) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO items VALUES (?, 1, 'outside', 1, NULL, 3)")) {
      int id = nextId++;
      ps.setInt(1, id);
      ps.executeUpdate();
      LIVE.add(id);
    }
  }

  private static void delete(Connection c, int id) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM items WHERE id = ?")) {
      ps.setInt(1, id);
      ps.executeUpdate();
    }
    LIVE.remove(Integer.valueOf(id));
  }

  @Test
  void viewsWithoutAKeyAreIndexedOnTheirSmallColumns() throws Exception {
    try (Connection c = db.plain()) {
      assertEquals("grp, label, amount", indexedColumns(c, "ix_rows"));
      assertEquals("grp, label", indexedColumns(c, "ix_pairs"));
      assertEquals("label", indexedColumns(c, "ix_groups"));
      assertEquals("", indexedColumns(c, "ix_notes"), "a text column is not indexed: its values have no bound");
    }
  }

  @Test
  void retractionsUseTheIndexNullsIncluded() throws Exception {
    try (Connection c = db.plain()) {
      long seq0 = stat(c, "ix_rows", "seq_scan");
      long idx0 = stat(c, "ix_rows", "idx_scan");
      long deleted0 = stat(c, "ix_rows", "n_tup_del");
      long groupSeq0 = stat(c, "ix_groups", "seq_scan");
      int deletes = 0;
      for (int i = 0; i < 30; i++) {
        int id = LIVE.get(RANDOM.nextInt(LIVE.size()));
        boolean inView;
        try (PreparedStatement ps = c.prepareStatement("SELECT tag IS DISTINCT FROM 3 FROM items WHERE id = ?")) {
          ps.setInt(1, id);
          try (java.sql.ResultSet rs = ps.executeQuery()) {
            rs.next();
            inView = rs.getBoolean(1);
          }
        }
        delete(c, id); // each in its own transaction: one retraction each
        deletes += inView ? 1 : 0;
      }
      int expected = deletes;
      // PostgreSQL 14 sends a backend's table statistics only when a later transaction ends at least 500 ms after
      // the last send: each poll commits a row outside ix_rows, so that the engine writes the other views again.
      DeltaviewDatabase.await("the retractions to show in ix_rows' statistics", Duration.ofSeconds(60), () -> {
        insertOutsideIxRows(c);
        long done = stat(c, "ix_rows", "n_tup_del") - deleted0;
        return done >= expected ? null : done + " of " + expected + " rows deleted";
      });
      assertEquals(0, stat(c, "ix_rows", "seq_scan") - seq0, "a retraction scanned the result table");
      assertTrue(stat(c, "ix_rows", "idx_scan") - idx0 >= expected, "retractions did not use the index");
      assertEquals(0, stat(c, "ix_groups", "seq_scan") - groupSeq0, "a group's update scanned the result table");
    }
    assertViewsExact("after single deletes");
  }

  @Test
  void randomChangesWithNullsAndDuplicatesStayExact() throws Exception {
    try (Connection writer = db.plain()) {
      for (int round = 1; round <= 30; round++) {
        writer.setAutoCommit(false);
        for (int i = 0; i < 20; i++) {
          int kind = RANDOM.nextInt(3);
          if (kind == 0) {
            insert(writer);
          } else if (kind == 1) {
            delete(writer, LIVE.get(RANDOM.nextInt(LIVE.size())));
          } else {
            try (PreparedStatement ps = writer.prepareStatement("UPDATE items SET label = ?, amount = ?::numeric,"
                + " tag = ?::int WHERE id = ?")) {
              ps.setString(1, maybe("l" + RANDOM.nextInt(30)));
              ps.setString(2, maybe(RANDOM.nextInt(5) + ".0"));
              ps.setString(3, maybe(Integer.toString(RANDOM.nextInt(5))));
              ps.setInt(4, LIVE.get(RANDOM.nextInt(LIVE.size())));
              ps.executeUpdate();
            }
          }
        }
        writer.commit();
        writer.setAutoCommit(true);
        if (round % 10 == 0) {
          assertViewsExact("after " + round + " rounds (seed " + SEED + ")");
        }
      }
    }
  }

  /**
   * A view without a key holds {@code 2} and {@code 2.00} (or {@code 0} and {@code -0}, {@code 1 day} and
   * {@code 24 hours}) as rows of their own, equal to {@code =}: each retraction must delete a copy of the
   * spelling it retracts, so that the result table still prints as its query does.
   */
  @Test
  void retractionsTakeTheCopyOfTheirOwnSpelling() throws Exception {
    try (Connection c = db.plain()) {
      for (int round = 1; round <= 40; round++) {
        try (PreparedStatement ps = c.prepareStatement("DELETE FROM spellings WHERE id = ?")) {
          ps.setInt(1, 1 + RANDOM.nextInt(300));
          ps.executeUpdate();
        }
        insertSpelling(c, 300 + round);
      }
      DeltaviewDatabase.await("ix_spellings to print as its query (seed " + SEED + ")", Duration.ofSeconds(60),
          () -> DeltaviewDatabase.textDifference(c, "ix_spellings", VIEWS.get("ix_spellings")));
    }
  }

  private static void assertViewsExact(String when) throws Exception {
    try (Connection c = db.plain()) {
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        DeltaviewDatabase.await(v.getKey() + " to equal its query " + when, Duration.ofSeconds(60),
            () -> DeltaviewDatabase.difference(c, v.getKey(), v.getValue()));
      }
    }
  }

  private static String indexedColumns(Connection c, String table) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT coalesce(string_agg(a.attname, ', ' ORDER BY k.n), '')"
        + " FROM pg_index i CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, n)"
        + " JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum"
        + " WHERE i.indrelid = ?::regclass")) {
      ps.setString(1, table);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getString(1);
      }
    }
  }

  private static long stat(Connection c, String table, String counter) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SELECT pg_stat_clear_snapshot()");
    }
    try (PreparedStatement ps = c.prepareStatement(
        "SELECT " + counter + " FROM pg_stat_user_tables WHERE relid = ?::regclass")) {
      ps.setString(1, table);
      try (java.sql.ResultSet rs = ps.executeQuery()) {
        rs.next();
        return rs.getLong(1);
      }
    }
  }
}
