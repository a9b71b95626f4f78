package io.deltaview.it;

import static org.junit.jupiter.api.Assertions.assertEquals;

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
 * Keys compared as PostgreSQL compares them: numerics equal in value ({@code 1}, {@code 1.0}, {@code 1.00}) and
 * the float zeros ({@code 0}, {@code -0}) are one group, one DISTINCT row, one set-operation row and one window
 * partition, however their rows spell them. Random changes move rows between spellings; after each batch every
 * result table equals its query (compared by PostgreSQL, {@code EXCEPT ALL} both ways), and a grouped view spells
 * each key as some row of its group still does.
 */
class SqlEqualKeysTest {

  static final long SEED = Long.getLong("deltaview.seed", 20261204L);
  static final int ROUNDS = Integer.getInteger("deltaview.transactions", 60);

  static final String[] NUMERICS = {null, "1", "1.0", "1.00", "2.5", "2.50", "0", "0.0", "-0.00", "10", "1e1",
      "-3.10", "-3.1"};
  static final String[] FLOATS = {null, "0", "-0", "1.5", "NaN", "-2"};

  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("k_groups", "SELECT a, count(*) AS n, sum(g) AS s, max(b) AS top FROM amounts GROUP BY a");
    VIEWS.put("k_pairs", "SELECT a, b, count(*) AS n FROM amounts GROUP BY a, b");
    VIEWS.put("k_distinct", "SELECT DISTINCT a FROM amounts");
    VIEWS.put("k_floats", "SELECT f, count(*) AS n FROM amounts GROUP BY f");
    VIEWS.put("k_distinct_count", "SELECT g, count(DISTINCT a) AS da, sum(DISTINCT b) AS sb FROM amounts GROUP BY g");
    VIEWS.put("k_union", "SELECT a FROM amounts UNION SELECT b FROM amounts");
    VIEWS.put("k_intersect", "SELECT a FROM amounts INTERSECT SELECT b FROM amounts");
    VIEWS.put("k_except_all", "SELECT a FROM amounts EXCEPT ALL SELECT b FROM amounts");
    VIEWS.put("k_partitions", "SELECT id, a, count(*) OVER (PARTITION BY a) AS peers,"
        + " row_number() OVER (PARTITION BY a ORDER BY id) AS r FROM amounts");
    VIEWS.put("k_float_partitions", "SELECT id, f, sum(g) OVER (PARTITION BY f) AS s FROM amounts");
    VIEWS.put("k_join", "SELECT x.id, y.id AS yid FROM amounts x JOIN amounts y ON x.a = y.b");
  }

  static DeltaviewDatabase db;
  static final Random RANDOM = new Random(SEED);
  static final List<Integer> LIVE = new ArrayList<>();
  static int nextId = 1;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("sqlkeys");
    try (Connection c = db.plain(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE amounts (id int PRIMARY KEY, a numeric, b numeric, f float8, g int)");
      for (int r = 0; r < 40; r++) {
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
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO amounts VALUES (?, ?::numeric, ?::numeric,"
        + " ?::float8, ?)")) {
      ps.setInt(1, id);
      ps.setString(2, pick(NUMERICS));
      ps.setString(3, pick(NUMERICS));
      ps.setString(4, pick(FLOATS));
      ps.setInt(5, RANDOM.nextInt(4));
      ps.executeUpdate();
    }
    LIVE.add(id);
  }

  private static void randomChange(Connection c) throws SQLException {
    int kind = RANDOM.nextInt(3);
    if (kind == 0 || LIVE.size() < 10) {
      insert(c);
    } else if (kind == 1) {
      // respell or move a value: the same number in another scale as often as another number
      try (PreparedStatement ps = c.prepareStatement("UPDATE amounts SET " + (RANDOM.nextBoolean() ? "a" : "b")
          + " = ?::numeric, f = ?::float8 WHERE id = ?")) {
        ps.setString(1, pick(NUMERICS));
        ps.setString(2, pick(FLOATS));
        ps.setInt(3, LIVE.get(RANDOM.nextInt(LIVE.size())));
        ps.executeUpdate();
      }
    } else {
      Integer id = LIVE.remove(RANDOM.nextInt(LIVE.size()));
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM amounts WHERE id = ?")) {
        ps.setInt(1, id);
        ps.executeUpdate();
      }
    }
  }

  @Test
  void keysEqualInSqlAreOneKeyWhateverTheirSpelling() throws Exception {
    assertViewsExact("after the initial snapshot");
    try (Connection writer = db.plain()) {
      for (int round = 1; round <= ROUNDS; round++) {
        writer.setAutoCommit(false);
        for (int i = 0; i < 4; i++) {
          randomChange(writer);
        }
        writer.commit();
        writer.setAutoCommit(true);
        if (round % 15 == 0 || round == ROUNDS) {
          assertViewsExact("after " + round + " rounds (seed " + SEED + ")");
        }
      }
    }
  }

  private static void assertViewsExact(String when) throws Exception {
    try (Connection c = db.plain()) {
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        DeltaviewDatabase.await(v.getKey() + " to equal its query " + when, Duration.ofSeconds(60),
            () -> DeltaviewDatabase.difference(c, v.getKey(), v.getValue()));
      }
      // each group is spelled as one of its rows spells it, never as a spelling no row has any more
      assertEquals(0, DeltaviewDatabase.scalarLong(c, "SELECT count(*) FROM k_groups k WHERE k.a IS NOT NULL"
          + " AND NOT EXISTS (SELECT 1 FROM amounts t WHERE t.a::text = k.a::text)"), "stale spelling " + when);
      assertEquals(0, DeltaviewDatabase.scalarLong(c, "SELECT count(*) FROM k_union k WHERE k.a IS NOT NULL"
          + " AND NOT EXISTS (SELECT 1 FROM amounts t WHERE t.a::text = k.a::text OR t.b::text = k.a::text)"),
          "stale spelling " + when);
    }
  }
}
