package io.deltaview.it;

import io.deltaview.it.fixture.ResultBag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Views over timestamp with time zone values are evaluated in the TimeZone of the session that created them, as
 * PostgreSQL evaluates the view query there: days, months, hours and text of a timestamptz are those of its local
 * time in that zone, across daylight-saving changes (a day of 23 or 25 hours, a local time skipped or repeated).
 * Each view is created in a session of another zone (one through {@code deltaview.create_view}, which records the
 * requester's zone); after random changes to timestamps near those zones' transitions, every result table must
 * equal its query run in a session of the creator's zone.
 */
class SessionTimeZoneTest {

  static final long SEED = Long.getLong("deltaview.seed", 20261204L);
  static final int ROUNDS = Integer.getInteger("deltaview.transactions", 30);

  /** Zone → where views are created in it: its daylight-saving changes (or none), and a half-hour offset. */
  static final String[] ZONES = {"America/New_York", "Europe/Paris", "Asia/Kolkata", "Australia/Lord_Howe"};

  /** Local times around the zones' 2024 transitions, month and year ends; each is read in a random zone. */
  static final String[] INSTANTS = {"2024-03-10 01:59:59", "2024-03-10 02:30:00", "2024-03-10 07:00:00",
      "2024-11-03 01:30:00", "2024-11-03 05:30:00", "2024-11-03 06:30:00", "2024-03-31 00:59:00",
      "2024-03-31 01:30:00", "2024-10-27 00:30:00", "2024-10-27 01:30:00", "2024-12-31 23:30:00",
      "2024-02-29 22:00:00", "2024-04-06 15:45:00", "2024-10-05 15:30:00", "2000-01-01 00:00:00"};

  /** View name prefix → definition: each is created once per zone. */
  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("tz_fields", "SELECT id, date_trunc('day', tz) AS d, date_trunc('month', tz) AS m,"
        + " date_trunc('hour', tz) AS hr, date_trunc('week', tz) AS w, extract(hour from tz) AS h,"
        + " extract(minute from tz) AS mi, extract(day from tz) AS dd, extract(epoch from tz) AS ep,"
        + " extract(isodow from tz) AS dw, date_part('hour', tz) AS ph, tz::date AS asdate, tz::timestamp AS asts,"
        + " tz::time AS astime FROM events");
    VIEWS.put("tz_moves", "SELECT id, tz + interval '1 day' AS next_day, tz - '1 month'::interval AS last_month,"
        + " tz + INTERVAL '3' HOUR AS later, tz + interval '1 day 2 hours' AS day_and_two,"
        + " tz - INTERVAL '2' DAY AS two_days_before, ts::timestamptz AS ts_here, dt::timestamptz AS day_start,"
        + " date_trunc('day', dt) AS dt_day, ts < tz AS before FROM events");
    VIEWS.put("tz_text", "SELECT id, tz::text AS t, to_char(tz, 'YYYY-MM-DD HH24:MI:SS') AS c,"
        + " 'at ' || tz AS concat, extract(day from age(tz, dt::timestamptz)) AS age_days FROM events");
    VIEWS.put("tz_window", "SELECT id, tz, count(*) OVER (ORDER BY tz RANGE BETWEEN interval '1 day' PRECEDING"
        + " AND CURRENT ROW) AS last_day, max(id) OVER (ORDER BY tz RANGE BETWEEN CURRENT ROW AND"
        + " INTERVAL '1 month' FOLLOWING) AS next_month FROM events");
    VIEWS.put("tz_days", "SELECT date_trunc('day', tz) AS day, count(*) AS n, max(tz) AS latest"
        + " FROM events WHERE tz >= '2024-03-10 02:30:00' GROUP BY date_trunc('day', tz)");
  }

  static DeltaviewDatabase db;
  static final Random RANDOM = new Random(SEED);
  static final List<Integer> LIVE = new ArrayList<>();
  static int nextId = 1;

  static String viewName(String prefix, String zone) {
    return prefix + "_" + zone.replaceAll("[^A-Za-z]", "_").toLowerCase(java.util.Locale.ROOT);
  }

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("timezones");
    try (Connection c = db.plain(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE events (id int PRIMARY KEY, tz timestamptz, ts timestamp, dt date)");
      for (int r = 0; r < 60; r++) {
        insert(c);
      }
    }
    try (Connection c = db.deltaview(); Statement s = c.createStatement()) {
      for (String zone : ZONES) {
        if (zone.equals("Asia/Kolkata")) {
          continue; // created through deltaview.create_view below
        }
        setZone(c, zone);
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          s.execute("CREATE INCREMENTAL VIEW " + viewName(v.getKey(), zone) + " AS " + v.getValue());
        }
      }
    }
    try (Connection c = db.plain()) {
      setZone(c, "Asia/Kolkata");
      List<Long> requests = new ArrayList<>();
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        try (PreparedStatement ps = c.prepareStatement("SELECT deltaview.create_view(?, ?)")) {
          ps.setString(1, viewName(v.getKey(), "Asia/Kolkata"));
          ps.setString(2, v.getValue());
          try (ResultSet rs = ps.executeQuery()) {
            rs.next();
            requests.add(rs.getLong(1));
          }
        }
      }
      for (long id : requests) {
        DeltaviewDatabase.await("request " + id + " done", Duration.ofSeconds(60), () -> {
          List<List<String>> r = DeltaviewDatabase.rows(c, "SELECT state, error_message FROM deltaview.view_requests"
              + " WHERE id = " + id);
          assertTrue(!r.get(0).get(0).equals("failed"), "request failed: " + r);
          return r.get(0).get(0).equals("done") ? null : "state " + r;
        });
      }
    }
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (db == null) {
      return;
    }
    try (Connection c = db.deltaview(); Statement s = c.createStatement()) {
      for (String zone : ZONES) {
        for (String prefix : VIEWS.keySet()) {
          s.execute("DROP INCREMENTAL VIEW IF EXISTS " + viewName(prefix, zone));
        }
      }
    }
  }

  private static void setZone(Connection c, String zone) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT set_config('TimeZone', ?, false)")) {
      ps.setString(1, zone);
      ps.execute();
    }
  }

  private static void insert(Connection c) throws SQLException {
    int id = nextId++;
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO events VALUES (?, ?, ?::timestamp, ?::date)")) {
      ps.setInt(1, id);
      bindRandom(ps, 2);
      ps.executeUpdate();
    }
    LIVE.add(id);
  }

  /** Binds tz (a local time near a transition, read in a random zone), ts and dt from parameter {@code at} on. */
  private static void bindRandom(PreparedStatement ps, int at) throws SQLException {
    LocalDateTime local = LocalDateTime.parse(INSTANTS[RANDOM.nextInt(INSTANTS.length)],
        DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss")).plusMinutes(RANDOM.nextInt(7) * 20 - 60);
    String zone = ZONES[RANDOM.nextInt(ZONES.length)];
    String text = local.toString().replace('T', ' ');
    ps.setObject(at, RANDOM.nextInt(10) == 0 ? null
        : java.time.ZonedDateTime.of(local, java.time.ZoneId.of(zone)).toOffsetDateTime());
    ps.setString(at + 1, RANDOM.nextInt(10) == 0 ? null : text);
    ps.setString(at + 2, RANDOM.nextInt(10) == 0 ? null : text.substring(0, 10));
  }

  private static void randomChange(Connection c) throws SQLException {
    int kind = RANDOM.nextInt(3);
    if (kind == 0 || LIVE.size() < 10) {
      insert(c);
    } else if (kind == 1) {
      try (PreparedStatement ps = c.prepareStatement("UPDATE events SET tz = ?, ts = ?::timestamp, dt = ?::date"
          + " WHERE id = ?")) {
        bindRandom(ps, 1);
        ps.setInt(4, LIVE.get(RANDOM.nextInt(LIVE.size())));
        ps.executeUpdate();
      }
    } else {
      Integer id = LIVE.remove(RANDOM.nextInt(LIVE.size()));
      try (PreparedStatement ps = c.prepareStatement("DELETE FROM events WHERE id = ?")) {
        ps.setInt(1, id);
        ps.executeUpdate();
      }
    }
  }

  @Test
  void resultTablesEqualTheirQueriesInTheCreatorsZone() throws Exception {
    assertViewsExact("after the initial snapshot");
    try (Connection writer = db.plain()) {
      for (int round = 1; round <= ROUNDS; round++) {
        writer.setAutoCommit(false);
        for (int i = 0; i < 5; i++) {
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

  /**
   * After a restart the views are planned again from the catalog, in their recorded zones: changes made while
   * no engine ran, and after it, are evaluated as before.
   */
  @Test
  void aRestartedEngineEvaluatesInTheRecordedZones() throws Exception {
    assertViewsExact("before the restart");
    io.deltaview.engine.EngineRegistry.stop(db.pgUrl);
    try (Connection writer = db.plain()) {
      for (int i = 0; i < 20; i++) {
        randomChange(writer); // while no engine runs
      }
    }
    String database = db.pgUrl.substring(db.pgUrl.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
    try {
      io.deltaview.engine.Engine engine = io.deltaview.engine.EngineRegistry.engineFor(
          new io.deltaview.engine.EngineConfig(db.pgUrl, db.server.credentials(), database));
      int views = ZONES.length * VIEWS.size();
      DeltaviewDatabase.await("the restarted engine to resume the views", Duration.ofSeconds(120),
          () -> engine.readyViews().size() >= views ? null : engine.readyViews().size() + " ready");
      try (Connection writer = db.plain()) {
        for (int i = 0; i < 20; i++) {
          randomChange(writer);
        }
      }
      assertViewsExact("after the restart (seed " + SEED + ")");
    } finally {
      // the driver's connections start their own engine again (one per JVM and configuration)
      io.deltaview.engine.EngineRegistry.stop(db.pgUrl);
    }
  }

  @Test
  void theCatalogRecordsTheCreatorsZone() throws Exception {
    try (Connection c = db.plain()) {
      for (String zone : ZONES) {
        String view = viewName("tz_fields", zone);
        assertEquals(List.of(List.of(zone)), DeltaviewDatabase.rows(c, "SELECT time_zone FROM deltaview.view_catalog"
            + " WHERE view_name = '" + view + "'"), view);
      }
    }
  }

  /**
   * A query that converts a timestamptz is answered from a view only on a connection in the view's zone; in
   * another zone it passes through, and both answers are PostgreSQL's for that zone.
   */
  @Test
  void aZoneDependentQueryIsServedOnlyInTheViewsZone() throws Exception {
    String query = VIEWS.get("tz_days");
    String first = viewName("tz_days", ZONES[0]); // the oldest of the views with this definition answers it
    try (Connection plain = db.plain()) {
      setZone(plain, ZONES[0]);
      DeltaviewDatabase.await(first + " current", Duration.ofSeconds(60),
          () -> DeltaviewDatabase.difference(plain, first, query));
    }
    for (String zone : new String[] {ZONES[0], "Europe/Paris", "UTC"}) {
      try (Connection dv = db.deltaview(); Connection plain = db.plain(); Statement s = dv.createStatement()) {
        // SET, not set_config: a connection that calls set_config is no longer rewritten at all
        s.execute("SET TimeZone = '" + zone + "'");
        setZone(plain, zone);
        List<String> explained = DeltaviewDatabase.explain(dv, query);
        boolean served = zone.equals(ZONES[0]);
        assertEquals(served ? "t" : "f", explained.get(0), zone + ": " + explained);
        if (served) {
          assertEquals("public." + first, explained.get(1), explained.toString());
        } else {
          assertTrue(explained.get(3).contains("TimeZone"), explained.toString());
        }
        String difference = ResultBag.query(dv, query).difference(ResultBag.query(plain, query), true);
        assertEquals(null, difference, zone);
      }
    }
  }

  /**
   * A POSIX-style zone means the opposite offset in PostgreSQL than in Java, so a view that needs it is refused
   * with 0A000 naming the setting; one that converts no timestamptz is created in that session all the same.
   */
  @Test
  void aZoneDeltaviewCannotReproduceIsRefusedWhereItMatters() throws Exception {
    try (Connection c = db.deltaview(); Statement s = c.createStatement()) {
      setZone(c, "UTC+3");
      SQLException e = assertThrows(SQLException.class,
          () -> s.execute("CREATE INCREMENTAL VIEW posix_days AS SELECT id, date_trunc('day', tz) AS d FROM events"));
      assertEquals("0A000", e.getSQLState(), e.getMessage());
      assertTrue(e.getMessage().contains("UTC+3") && e.getMessage().contains("date_trunc"), e.getMessage());
      s.execute("CREATE INCREMENTAL VIEW posix_plain AS SELECT id, tz FROM events WHERE tz IS NOT NULL");
      try {
        DeltaviewDatabase.await("posix_plain equal to its query", Duration.ofSeconds(60),
            () -> DeltaviewDatabase.difference(c, "posix_plain", "SELECT id, tz FROM events WHERE tz IS NOT NULL"));
      } finally {
        s.execute("DROP INCREMENTAL VIEW posix_plain");
      }
    }
  }

  private static void assertViewsExact(String when) throws Exception {
    for (String zone : ZONES) {
      try (Connection c = db.plain()) {
        setZone(c, zone);
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          String view = viewName(v.getKey(), zone);
          DeltaviewDatabase.await(view + " to equal its query in " + zone + " " + when, Duration.ofSeconds(60),
              () -> ResultBag.query(c, "SELECT * FROM " + view).difference(ResultBag.query(c, v.getValue()), false));
        }
      }
    }
  }
}
