package io.deltaview.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

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
 * Numerics where branches meet, printed as PostgreSQL prints them: a set operation, CASE, COALESCE or
 * GREATEST/LEAST of {@code numeric(5,2)} next to integers or another scale is plain numeric in PostgreSQL, and
 * each value keeps its own scale ({@code 2}, not {@code 2.00}). Random changes; after each batch every result
 * table equals its query row for row as text, which tells {@code 2} from {@code 2.00} where {@code EXCEPT ALL}
 * would not. The values of different columns never coincide (no integer is a value of {@code a}, no value of
 * {@code c} one of {@code a}), so a set operation never has to pick between spellings of one number.
 */
class NumericScaleViewsTest {

  static final long SEED = Long.getLong("deltaview.seed", 20261204L);
  static final int ROUNDS = Integer.getInteger("deltaview.transactions", 40);

  static final String[] A = {null, "1.50", "2.25", "-3.10", "0.05", "7"};
  static final String[] C = {null, "1.125", "-0.005", "2.5", "4"};
  static final String[] E = {null, "1.50", "9.99", "0"};

  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("s_union_all", "SELECT a AS x FROM m UNION ALL SELECT b FROM m");
    VIEWS.put("s_union", "SELECT a AS x FROM m UNION SELECT c FROM m");
    VIEWS.put("s_union_same", "SELECT a AS x FROM m UNION SELECT e FROM m");
    VIEWS.put("s_except", "SELECT a AS x FROM m EXCEPT SELECT f FROM m");
    VIEWS.put("s_intersect", "SELECT b AS x FROM m INTERSECT SELECT a FROM m");
    VIEWS.put("s_branches", "SELECT id, CASE WHEN b > 1 THEN a ELSE b END AS x, coalesce(a, b) AS y,"
        + " coalesce(a, 0) AS z, CASE b WHEN 0 THEN c WHEN 1 THEN a ELSE e END AS w, greatest(a, c) AS g,"
        + " least(a, f) AS l, CASE WHEN b > 2 THEN a ELSE e END AS same FROM m");
    VIEWS.put("s_sums", "SELECT b, sum(coalesce(a, b)) AS s, max(CASE WHEN b > 1 THEN a ELSE c END) AS top"
        + " FROM m GROUP BY b");
  }

  static DeltaviewDatabase db;
  static final Random RANDOM = new Random(SEED);
  static final List<Integer> LIVE = new ArrayList<>();
  static int nextId = 1;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("numscale");
    try (Connection c = db.plain(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE m (id int PRIMARY KEY, a numeric(5,2), b int, c numeric(6,3), e numeric(5,2),"
          + " f bigint)");
      for (int r = 0; r < 30; r++) {
        insert(c);
      }
    }
    db.createViews(VIEWS);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (db == null) {
      return;
    }
    db.dropViews(VIEWS.keySet());
  }

  private static String pick(String[] grid) {
    return grid[RANDOM.nextInt(grid.length)];
  }

  private static void insert(Connection c) throws SQLException {
    int id = nextId++;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO m VALUES (?, ?::numeric, ?, ?::numeric,"
        + " ?::numeric, ?)")) {
      ps.setInt(1, id);
      ps.setString(2, pick(A));
      if (RANDOM.nextInt(5) == 0) {
        ps.setNull(3, java.sql.Types.INTEGER);
      } else {
        ps.setInt(3, RANDOM.nextInt(4));
      }
      ps.setString(4, pick(C));
      ps.setString(5, pick(E));
      ps.setLong(6, 10 + RANDOM.nextInt(3));
      ps.executeUpdate();
    }
    LIVE.add(id);
  }

  private static void randomChange(Connection c) throws SQLException {
    int kind = RANDOM.nextInt(3);
    if (kind == 0 || LIVE.size() < 10) {
      insert(c);
    } else if (kind == 1) {
      try (PreparedStatement ps = c.prepareStatement("UPDATE m SET a = ?::numeric, c = ?::numeric, b = ?"
          + " WHERE id = ?")) {
        ps.setString(1, pick(A));
        ps.setString(2, pick(C));
        ps.setInt(3, RANDOM.nextInt(4));
        ps.setInt(4, LIVE.get(RANDOM.nextInt(LIVE.size())));
        ps.executeUpdate();
      }
    } else {
      Integer id = LIVE.remove(RANDOM.nextInt(LIVE.size()));
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM m WHERE id = ?")) {
        ps.setInt(1, id);
        ps.executeUpdate();
      }
    }
  }

  @Test
  void resultTablesPrintEachValueAtItsOwnScale() throws Exception {
    try (Connection c = db.plain()) {
      // the comparison can fail: 2.00 is not printed as 2
      assertNotNull(DeltaviewDatabase.textDifference(c, "(SELECT 2.00::numeric AS x)", "SELECT 2::numeric"));
      // the result table's column is the query's type: plain numeric where branches differ
      assertEquals("numeric", DeltaviewDatabase.rows(c, "SELECT format_type(atttypid, atttypmod) FROM pg_attribute"
          + " WHERE attrelid = 's_union_all'::regclass AND attname = 'x'").get(0).get(0));
    }
    assertViewsExact("after the initial snapshot");
    try (Connection writer = db.plain()) {
      for (int round = 1; round <= ROUNDS; round++) {
        writer.setAutoCommit(false);
        for (int i = 0; i < 4; i++) {
          randomChange(writer);
        }
        writer.commit();
        writer.setAutoCommit(true);
        if (round % 10 == 0 || round == ROUNDS) {
          assertViewsExact("after " + round + " rounds (seed " + SEED + ")");
        }
      }
    }
  }

  private static void assertViewsExact(String when) throws Exception {
    try (Connection c = db.plain()) {
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        DeltaviewDatabase.await(v.getKey() + " to print as its query " + when, Duration.ofSeconds(60),
            () -> DeltaviewDatabase.textDifference(c, v.getKey(), v.getValue()));
      }
    }
  }
}
