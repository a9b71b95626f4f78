package io.deltaview.it;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * {@code upper}, {@code lower}, {@code ILIKE} and case-insensitive regular expressions under the database's
 * LC_CTYPE: in a database created with {@code C} only ASCII letters change case, in one with {@code C.UTF-8}
 * every letter, one character for one ({@code upper('ß')} is {@code ß}). Random changes over text chosen where
 * the rules differ, among them letters of Unicode 14 (Glagolitic, Vithkuqi) that the server's C library may map
 * and Java 17 does not; after each batch every result table equals its query row for row as text. A view that
 * changes case over text of both kinds of ctype, or under an ICU collation, is refused with {@code 0A000}.
 */
class CtypeCaseViewsTest {

  static final long SEED = Long.getLong("deltaview.seed", 20261204L);
  static final int ROUNDS = Integer.getInteger("deltaview.transactions", 30);

  static final String[] TEXTS = {null, "straße", "STRASSE", "Élan", "élan", "ǅemal", "ſun", "İstanbul", "ıI",
      "aBc", "ΣΑΣ", "ς", "ﬁx", "plain", "\u2C2F\u2C5F \uD801\uDD70\uD801\uDD97"};

  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("f_fold", "SELECT id, upper(s) AS u, lower(s) AS l FROM w");
    VIEWS.put("f_match", "SELECT id, s ~* 'é' AS m, s !~* '[a-c]' AS n, s ILIKE '%É%' AS i,"
        + " s NOT ILIKE 's%' AS ni, s ~* '^[À-Ö]' AS r FROM w");
    VIEWS.put("f_grouped", "SELECT lower(s) AS k, count(*) AS n FROM w GROUP BY lower(s)");
    VIEWS.put("f_replace", "SELECT id, regexp_replace(s, '[sß]', '_', 'gi') AS r FROM w");
    VIEWS.put("f_filter", "SELECT id, s FROM w WHERE upper(s) LIKE '%SS%' OR s ~* 'i'");
  }

  private static DeltaviewDatabase database(String prefix, String locale) {
    try {
      return DeltaviewDatabase.withLocale(prefix, locale);
    } catch (SQLException e) {
      Assumptions.abort("this server cannot create a database with locale " + locale + ": " + e.getMessage());
      throw new AssertionError(e);
    }
  }

  @Test
  void theCCtypeChangesTheCaseOfAsciiLettersOnly() throws Exception {
    maintained(database("ctype_c", "C"));
  }

  @Test
  void theCUtf8CtypeChangesEveryLetterOneCharacterForOne() throws Exception {
    maintained(database("ctype_utf8", "C.UTF-8"));
  }

  private static void maintained(DeltaviewDatabase db) throws Exception {
    Random random = new Random(SEED);
    List<Integer> live = new ArrayList<>();
    try (Connection c = db.plain(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE w (id int PRIMARY KEY, s text)");
      for (int id = 1; id <= TEXTS.length; id++) {
        insert(c, id, TEXTS[id - 1]);
        live.add(id);
      }
    }
    db.createViews(VIEWS);
    try {
      assertViewsExact(db, "after the initial snapshot");
      int nextId = TEXTS.length + 1;
      try (Connection writer = db.plain()) {
        for (int round = 1; round <= ROUNDS; round++) {
          writer.setAutoCommit(false);
          for (int i = 0; i < 3; i++) {
            int kind = random.nextInt(3);
            if (kind == 0 || live.size() < 5) {
              insert(writer, nextId, TEXTS[random.nextInt(TEXTS.length)]);
              live.add(nextId++);
            } else if (kind == 1) {
              try (PreparedStatement ps = writer.prepareStatement("UPDATE w SET s = ? WHERE id = ?")) {
                ps.setString(1, TEXTS[random.nextInt(TEXTS.length)]);
                ps.setInt(2, live.get(random.nextInt(live.size())));
                ps.executeUpdate();
              }
            } else {
              try (PreparedStatement ps = writer.prepareStatement("DELETE FROM w WHERE id = ?")) {
                ps.setInt(1, live.remove(random.nextInt(live.size())));
                ps.executeUpdate();
              }
            }
          }
          writer.commit();
          writer.setAutoCommit(true);
          if (round % 10 == 0) {
            assertViewsExact(db, "after " + round + " rounds (seed " + SEED + ")");
          }
        }
      }
    } finally {
      db.dropViews(VIEWS.keySet());
    }
  }

  private static void insert(Connection c, int id, String text) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO w VALUES (?, ?)")) {
      ps.setInt(1, id);
      ps.setString(2, text);
      ps.executeUpdate();
    }
  }

  private static void assertViewsExact(DeltaviewDatabase db, String when) throws Exception {
    try (Connection c = db.plain()) {
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        DeltaviewDatabase.await(v.getKey() + " to print as its query " + when, Duration.ofSeconds(60),
            () -> DeltaviewDatabase.textDifference(c, v.getKey(), v.getValue()));
      }
    }
  }

  /**
   * A column of collation C in a C.UTF-8 database changes case by C's rules, maintained; a view that changes
   * case and reads text of both ctypes is refused naming the construct and both, and so is one under an ICU
   * collation when the server has one.
   */
  @Test
  void aColumnCollationDecidesAndMixedOrIcuCtypesAreRefused() throws Exception {
    DeltaviewDatabase db = database("ctype_mixed", "C.UTF-8");
    try (Connection c = db.plain(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE w2 (id int PRIMARY KEY, x text COLLATE \"C\", y text)");
      s.execute("INSERT INTO w2 VALUES (1, 'straße élan', 'straße élan'), (2, 'ÉLAN', NULL), (3, NULL, 'x')");
    }
    String onlyC = "SELECT id, upper(x) AS u, x ~* 'é' AS m, x ILIKE '%é%' AS i FROM w2";
    db.createViews(Map.of("g_c", onlyC));
    try (Connection c = db.plain()) {
      DeltaviewDatabase.await("g_c to print as its query", Duration.ofSeconds(60),
          () -> DeltaviewDatabase.textDifference(c, "g_c", onlyC));
      assertEquals(List.of(List.of("STRAßE éLAN")), DeltaviewDatabase.rows(c, "SELECT u FROM g_c WHERE id = 1"));
    }
    db.dropViews(List.of("g_c"));
    try (Connection dv = db.deltaview(); Statement s = dv.createStatement()) {
      SQLException e = assertThrows(SQLException.class,
          () -> s.execute("CREATE INCREMENTAL VIEW g_mixed AS SELECT id, upper(x) AS u, y FROM w2"));
      assertEquals("0A000", e.getSQLState(), e.getMessage());
      assertTrue(e.getMessage().contains("upper") && e.getMessage().contains("\"C\"")
          && e.getMessage().contains("\"C.UTF-8\""), e.getMessage());
      // no case change: the ctypes do not matter
      s.execute("CREATE INCREMENTAL VIEW g_plain AS SELECT id, x, y FROM w2");
      s.execute("DROP INCREMENTAL VIEW g_plain");
    }
    String icu;
    try (Connection c = db.plain(); Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT collname FROM pg_collation WHERE collprovider = 'i'"
             + " ORDER BY collname = 'und-x-icu' DESC, collname LIMIT 1")) {
      icu = rs.next() ? rs.getString(1) : null;
    }
    if (icu == null) {
      return; // this server has no ICU collation to refuse
    }
    try (Connection c = db.plain(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE w3 (id int PRIMARY KEY, z text COLLATE \"" + icu + "\")");
    }
    try (Connection dv = db.deltaview(); Statement s = dv.createStatement()) {
      SQLException e = assertThrows(SQLException.class,
          () -> s.execute("CREATE INCREMENTAL VIEW g_icu AS SELECT id FROM w3 WHERE z ILIKE 'a%'"));
      assertEquals("0A000", e.getSQLState(), e.getMessage());
      assertTrue(e.getMessage().contains("ILIKE") && e.getMessage().contains("ICU"), e.getMessage());
    }
  }
}
