package io.deltaview.it;

import io.deltaview.it.fixture.ResultBag;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
 * PostgreSQL's scalar functions and operators in incremental views, with PostgreSQL as the oracle: a table
 * whose columns take values from a grid of edge cases per type (NULLs, zero, negatives, halves for rounding,
 * leap days, year ends in ISO week 53, early years, unicode, empty strings, commas to split on), views using
 * each function family, random inserts, updates and deletes; after each batch every result table must equal
 * its query run directly on PostgreSQL. Non-deterministic definitions are refused with {@code 0A000} naming the
 * function (time-zone dependent ones are evaluated in the creator's zone: {@code SessionTimeZoneTest}).
 */
class ScalarFunctionsTest {

  static final long SEED = Long.getLong("deltaview.seed", 20261203L);
  static final int TRANSACTIONS = Integer.getInteger("deltaview.transactions", 120);

  static final String[] INTS = {null, "0", "1", "-1", "7", "-7", "12", "-13", "999", "2147483647", "-2147483647"};
  static final String[] BIGINTS = {null, "0", "-5", "3", "1234567", "-9000000000"};
  static final String[] NUMERICS = {null, "0", "1.5", "-1.5", "2.25", "-2.25", "0.004", "-0.5", "99.999",
      "12345678.125", "0.05", "1000"};
  static final String[] BIG_NUMERICS = {null, "0", "1e-10", "123456789.123456789", "-3.5", "2", "0.25",
      "100.000000"};
  static final String[] DOUBLES = {null, "0", "1.5", "-2.5", "2.675", "1e-5", "123456.789", "-0.125", "1e15",
      "3.14159265358979"};
  static final String[] TEXTS = {null, "", "a,b,,c", "héllo wörld", "日本語,テキスト", "Hello World",
      "abc123def",
      "  padded  ", "x", "ABCabc", "hhh", "l", "2024,leap,day"};
  static final String[] DATES = {null, "0001-01-08", "2000-02-29", "2024-02-29", "2020-12-31", "2021-01-03",
      "1999-12-31", "2024-03-05", "1970-01-01", "2027-01-01", "2016-01-01", "2100-03-01"};
  static final String[] TIMESTAMPS = {null, "2024-02-29 23:59:59.999999", "2000-01-01 00:00:00",
      "1999-12-31 12:30:45.5", "2020-12-31 23:00:00", "0001-01-08 00:00:00", "2024-03-05 00:07:09.123456",
      "2021-01-03 12:00:00.000001", "1970-01-01 00:00:00"};
  static final String[] TIMESTAMPTZS = {null, "2024-02-29 23:59:59.5+00", "2000-01-01 00:00:00-08",
      "1970-01-01 00:00:00+00"};

  /** View name → view query. */
  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("v_math", "SELECT id, sign(i) AS si, sign(n) AS sn, sign(d) AS sd, trunc(n, 1) AS tn1, trunc(n) AS tn,"
        + " trunc(d) AS td, trunc(nu, 2) AS tnu, round(n, 1) AS rn, round(i) AS ri, round(d) AS rd, ceil(n) AS cn,"
        + " ceil(i) AS ci, floor(d) AS fd, mod(i, 7) AS mi, mod(n, 2) AS mn, abs(n) AS an, abs(i) AS ai,"
        + " power(d, 2) AS pd, power(i, 3) AS pi, sqrt(abs(d)) AS qd, sqrt(abs(n)) AS qn, sqrt(abs(nu)) AS qnu,"
        + " greatest(i, b, 3) AS gi, least(n, 1.5, NULL) AS ln, greatest(nu, n) AS gn, least(d, 0) AS ld"
        + " FROM vals");
    VIEWS.put("v_text", "SELECT id, left(s, 3) AS l3, left(s, -2) AS lm2, right(s, 2) AS r2, right(s, -3) AS rm3,"
        + " split_part(s, ',', 2) AS sp2, split_part(s, ',', -1) AS spm1, split_part(s, '', 1) AS spe,"
        + " strpos(s, 'l') AS sp, length(s) AS len, substr(s, 2, 3) AS ss, substr(s, 3) AS ss2,"
        + " position('o' in s) AS po, replace(s, 'l', 'L') AS re, trim(s) AS tr, ltrim(s) AS lt, rtrim(s) AS rt,"
        + " btrim(s, 'x') AS bt, trim(both 'h' from s) AS trh, concat(s, '-', i, '-', dt, n) AS co,"
        + " concat_ws('|', s, n, ts, NULL, d) AS cw, concat_ws(NULL, s) AS cwn, coalesce(s, '?') AS cs,"
        + " nullif(s, '') AS nf, s || '!' AS cat FROM vals");
    VIEWS.put("v_dates", "SELECT id, dt + 1 AS d1, dt - abs(i % 5) AS dm, 7 + dt AS d7, dt + abs(i % 1000) AS di,"
        + " dt - DATE '2000-01-01' AS dd, make_date(2024, 1 + abs(i % 12), 1 + abs(i % 28)) AS md,"
        + " extract(year from dt) AS ey, extract(century from dt) AS ec, extract(decade from dt) AS edc,"
        + " extract(millennium from dt) AS em, extract(dow from dt) AS edow, extract(isodow from dt) AS eidow,"
        + " extract(doy from dt) AS edoy, extract(week from dt) AS ew, extract(isoyear from dt) AS eiy,"
        + " extract(quarter from dt) AS eq, extract(epoch from dt) AS ee, extract(month from dt) AS emo,"
        + " extract(day from dt) AS eda, date_part('year', dt) AS dpy, date_part('dow', dt) AS dpd,"
        + " date_part('epoch', dt) AS dpe, date_part('week', ts) AS dpw, date_part('doy', ts) AS dpdoy,"
        + " date_part('isoyear', ts) AS dpiy, extract(hour from ts) AS eh, extract(minute from ts) AS emi,"
        + " extract(second from ts) AS es, extract(millisecond from ts) AS ems, extract(microsecond from ts) AS eus,"
        + " extract(epoch from ts) AS ets, date_part('second', ts) AS dps, date_part('epoch', ts) AS dpets,"
        + " date_part('milliseconds', ts) AS dpms, date_part('hour', ts) AS dph, date_part('century', ts) AS dpc,"
        + " date_trunc('month', ts) AS tm, date_part('epoch', tz) AS tze, extract(epoch from tz) AS etze"
        + " FROM vals");
    VIEWS.put("v_tochar", "SELECT id, to_char(dt, 'YYYY-MM-DD') AS c1, to_char(dt, 'FMDay, FMDD FMMonth YYYY') AS c2,"
        + " to_char(dt, 'Dy Mon DD YY Q WW IW IYYY D ID DDD IDDD J CC W') AS c3,"
        + " to_char(ts, 'HH24:MI:SS.US HH12 AM MS SSSS') AS c4, to_char(ts, 'YYYY-MM-DD\"T\"HH24:MI:SS') AS c5,"
        + " to_char(dt, 'DDth FMDDTH Y,YYY month MONTH mon DAY day dy') AS c6, to_char(n, '999G999G990D00') AS c7,"
        + " to_char(n, 'FM999999990.999') AS c8, to_char(i, '9999999999') AS c9, to_char(i, 'FM0000') AS c10,"
        + " to_char(d, '999999.99') AS c11, to_char(n, '9.9') AS c12, to_char(nu, 'FM999.99') AS c13,"
        + " to_char(b, '9,999') AS c14, to_char(n, '99999999.9999') AS c15, to_char(d, 'FM9999999999999990.0') AS c16"
        + " FROM vals");
    VIEWS.put("v_regex", "SELECT id, s ~ 'l+' AS m1, s ~* '^h' AS m2, s !~ '[0-9]' AS m3, s !~* 'WORLD$' AS m4,"
        + " s ~ '^[[:digit:]]' AS m5, s ~ 'b.{1,2}c' AS m6, regexp_replace(s, 'l', 'L') AS r1,"
        + " regexp_replace(s, '[aeiou]', '*', 'g') AS r2, regexp_replace(s, 'h', 'J', 'gi') AS r3,"
        + " regexp_replace(s, '([a-z]+)([0-9]+)', '\\2\\1') AS r4, regexp_replace(s, '\\d', '#', 'g') AS r5,"
        + " regexp_replace(s, 'x*', '-', 'g') AS r6, regexp_replace(s, '^ +', '', 'g') AS r7"
        + " FROM vals WHERE s !~ '^x$'");
    VIEWS.put("v_groups", "SELECT split_part(s, ',', 1) AS k, extract(year from dt) AS y, count(*) AS c, sum(n) AS sn,"
        + " max(to_char(ts, 'YYYY-MM')) AS mx FROM vals GROUP BY split_part(s, ',', 1), extract(year from dt)");
    VIEWS.put("v_age", "SELECT id, extract(year from age(ts, dt)) AS ay, extract(month from age(ts, dt)) AS am,"
        + " extract(day from age(ts, dt)) AS ad, extract(hour from age(ts, dt)) AS ah,"
        + " extract(epoch from age(dt, ts)) AS ae, date_part('day', age(ts, TIMESTAMP '2000-02-29 12:00:00')) AS dd,"
        + " extract(second from age(TIMESTAMP '2024-01-01 00:00:00', ts)) AS asec FROM vals");
    VIEWS.put("v_filter", "SELECT id, s, dt FROM vals WHERE s ~* 'o' AND left(s, 1) <> 'x'"
        + " AND dt + 30 > DATE '2000-01-01' AND greatest(i, 0) < 100 AND age(ts, dt) > INTERVAL '1' DAY");
    VIEWS.put("v_casts", "SELECT id, i::text AS t1, n::int AS t2, s::varchar(3) AS t3, dt::timestamp AS t4,"
        + " ts::date AS t5, d::numeric(20,4) AS t6, i::float8 AS t7, n::real AS t8, b::int8 AS t9,"
        + " (i > 0)::text AS t10, i::bool AS t11, n::text AS t12, CAST(d AS text) AS t13, dt::text AS t14"
        + " FROM vals");
  }

  static DeltaviewDatabase db;
  static final Random RANDOM = new Random(SEED);
  static final List<Integer> LIVE = new ArrayList<>();
  static int nextId = 1;

  @BeforeAll
  static void setUp() throws Exception {
    db = new DeltaviewDatabase("scalar");
    try (Connection c = db.plain(); Statement s = c.createStatement()) {
      s.execute("CREATE TABLE vals (id int PRIMARY KEY, i int, b bigint, n numeric(14,3), nu numeric, d float8,"
          + " s text, dt date, ts timestamp, tz timestamptz)");
      for (int r = 0; r < 80; r++) {
        insert(c);
      }
      s.execute("CREATE FUNCTION volatile_answer() RETURNS int VOLATILE LANGUAGE sql AS 'SELECT 42'");
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
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO vals VALUES (?, ?::int, ?::bigint, ?::numeric,"
        + " ?::numeric, ?::float8, ?, ?::date, ?::timestamp, ?::timestamptz)")) {
      int id = nextId++;
      ps.setInt(1, id);
      ps.setString(2, pick(INTS));
      ps.setString(3, pick(BIGINTS));
      ps.setString(4, pick(NUMERICS));
      ps.setString(5, pick(BIG_NUMERICS));
      ps.setString(6, pick(DOUBLES));
      ps.setString(7, pick(TEXTS));
      ps.setString(8, pick(DATES));
      ps.setString(9, pick(TIMESTAMPS));
      ps.setString(10, pick(TIMESTAMPTZS));
      ps.executeUpdate();
      LIVE.add(id);
    }
  }

  private static void update(Connection c) throws SQLException {
    if (LIVE.isEmpty()) {
      return;
    }
    int id = LIVE.get(RANDOM.nextInt(LIVE.size()));
    String[][] grids = {INTS, BIGINTS, NUMERICS, BIG_NUMERICS, DOUBLES, TEXTS, DATES, TIMESTAMPS, TIMESTAMPTZS};
    String[] columns = {"i::int", "b::bigint", "n::numeric", "nu::numeric", "d::float8", "s::text", "dt::date",
        "ts::timestamp", "tz::timestamptz"};
    int col = RANDOM.nextInt(columns.length);
    String[] nameAndType = columns[col].split("::");
    try (PreparedStatement ps = c.prepareStatement(
        "UPDATE vals SET " + nameAndType[0] + " = ?::" + nameAndType[1] + " WHERE id = ?")) {
      ps.setString(1, pick(grids[col]));
      ps.setInt(2, id);
      ps.executeUpdate();
    }
  }

  private static void delete(Connection c) throws SQLException {
    if (LIVE.isEmpty()) {
      return;
    }
    int id = LIVE.remove(RANDOM.nextInt(LIVE.size()));
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM vals WHERE id = ?")) {
      ps.setInt(1, id);
      ps.executeUpdate();
    }
  }

  @Test
  void resultTablesEqualPostgresqlUnderRandomChanges() throws Exception {
    assertViewsExact("after the initial snapshot");
    try (Connection c = db.plain()) {
      c.setAutoCommit(false);
      for (int t = 1; t <= TRANSACTIONS; t++) {
        int ops = 1 + RANDOM.nextInt(4);
        for (int o = 0; o < ops; o++) {
          int kind = RANDOM.nextInt(10);
          if (kind < 4) {
            insert(c);
          } else if (kind < 8) {
            update(c);
          } else {
            delete(c);
          }
        }
        c.commit();
        if (t % 40 == 0 || t == TRANSACTIONS) {
          assertViewsExact("after " + t + " transactions (seed " + SEED + ")");
        }
      }
    }
  }

  /** Waits (bounded) until every result table equals its query; reports every view that does not. */
  private static void assertViewsExact(String when) throws Exception {
    DeltaviewDatabase.await("result tables to equal their queries " + when, Duration.ofSeconds(60), () -> {
      StringBuilder problems = new StringBuilder();
      try (Connection dv = db.deltaview(); Connection c = db.plain()) {
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          String view = v.getKey();
          String status = DeltaviewDatabase.showColumn(dv, "public." + view, "status");
          if ("failed".equals(status)) {
            throw new AssertionError(view + " failed " + when + ": "
                + DeltaviewDatabase.showColumn(dv, "public." + view, "last_error"));
          }
          String diff = ResultBag.query(c, "SELECT * FROM " + view).difference(ResultBag.query(c, v.getValue()), false);
          if (diff != null) {
            problems.append("\n").append(view).append(": ").append(diff);
          }
        }
      }
      return problems.length() == 0 ? null : problems.toString();
    });
    // The view's own query through the driver equals PostgreSQL's answer, whether it is answered from the result
    // table or passed through (the rewriter refuses, e.g., a column whose Calcite type is not PostgreSQL's).
    try (Connection plain = db.plain(); Connection dv = db.deltaview()) {
      for (Map.Entry<String, String> v : VIEWS.entrySet()) {
        String query = v.getValue();
        assertEquals(null, ResultBag.query(dv, query).difference(ResultBag.query(plain, query), true),
            "through the driver " + when + ": " + query + " " + DeltaviewDatabase.explain(dv, query));
      }
    }
  }

  /** Definitions whose result cannot be kept equal to their query are refused, naming the function and why. */
  @Test
  void nonDeterministicDefinitionsAreRefused() throws Exception {
    String[][] cases = {
        {"SELECT id, now() AS t FROM vals", "now"},
        {"SELECT id FROM vals WHERE dt < current_date", "current_date"},
        {"SELECT id, current_timestamp AS t FROM vals", "current_timestamp"},
        {"SELECT id, localtimestamp AS t FROM vals", "localtimestamp"},
        {"SELECT id, random() AS r FROM vals", "random"},
        {"SELECT id, clock_timestamp() AS t FROM vals", "clock_timestamp"},
        {"SELECT id, volatile_answer() AS a FROM vals", "volatile_answer"},
        {"SELECT id, extract(year from age(ts)) AS a FROM vals", "age"},
        {"SELECT id, to_char(dt, 'RM') AS r FROM vals", "to_char"},
        {"SELECT id, to_char(n, 'S999') AS r FROM vals", "to_char"},
        {"SELECT id, regexp_match(s, 'a') AS m FROM vals", "regexp_match"},
        {"SELECT id, regexp_replace(s, 'a|ab', 'x') AS m FROM vals", "regular expression"},
        {"SELECT id, s ~ '\\w+' AS m FROM vals", "regular expression"},
        {"SELECT id, age(ts, dt) AS a FROM vals", "interval"},
        {"SELECT id, s::jsonb AS j FROM vals", "jsonb"},
        {"SELECT id, s::uuid AS u FROM vals", "uuid"},
    };
    try (Connection c = db.deltaview(); Statement s = c.createStatement()) {
      for (String[] refused : cases) {
        SQLException e = assertThrows(SQLException.class,
            () -> s.execute("CREATE INCREMENTAL VIEW refused_view AS " + refused[0]), refused[0]);
        assertEquals("0A000", e.getSQLState(), refused[0] + ": " + e.getMessage());
        assertTrue(e.getMessage().toLowerCase(java.util.Locale.ROOT).contains(refused[1]),
            refused[0] + ": " + e.getMessage());
      }
    }
  }
}
