package io.deltaview.engine.expr;

import static io.deltaview.engine.expr.ExprTestSupport.compile;
import static io.deltaview.engine.expr.ExprTestSupport.compilePredicate;
import static io.deltaview.engine.expr.ExprTestSupport.eval;
import static io.deltaview.engine.expr.ExprTestSupport.evalNull;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.compile.UnsupportedConstructException;
import io.deltaview.engine.row.Row;
import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;

/**
 * Expected values were taken from PostgreSQL 15 with the same row:
 * t(i=7, b=10, n=12.50, d=2.5, s='Hello', dt='2024-03-15', ts='2024-03-15 13:45:30.5', si=3, n3=1.125).
 */
class ScalarCompilerTest {

  private static BigDecimal dec(String s) {
    return new BigDecimal(s);
  }

  @Test
  void arithmetic() {
    assertEquals(3L, eval("i / 2"));
    assertEquals(1L, eval("mod(i, 3)"));
    assertEquals(-1L, eval("mod(-i, 3)"));
    assertEquals(dec("14.06250"), eval("n * n3"));
    assertEquals(dec("1.7857142857142857"), eval("n / i"));
    assertEquals(dec("0.56000000000000000000"), eval("i / n"));
    assertEquals(dec("13.625"), eval("n + n3"));
    assertEquals(dec("5.50"), eval("n - i"));
    assertEquals(17.5, eval("d * i"));
    assertEquals(3L, eval("b / 3"));
    assertEquals(dec("4.1666666666666667"), eval("n / 3"));
    assertEquals(dec("0.09000000000000000000"), eval("n3 / n"));
    assertEquals(-7L, eval("-i"));
    assertNull(evalNull("i + 1"));
    EvaluationException e = assertThrows(EvaluationException.class, () -> eval("i / (i - 7)"));
    assertEquals("22012", e.sqlState());
    assertEquals("division by zero", e.getMessage());
  }

  /** The errors PostgreSQL raises for the same expressions over the sample row, SQLState and message. */
  @Test
  void dataExceptionsCarryPostgresqlsSqlStateAndMessage() {
    String[][] cases = {
        {"i / (i - 7)", "22012", "division by zero"},
        {"n / (i - 7)", "22012", "division by zero"},
        {"d / (i - 7)", "22012", "division by zero"},
        {"mod(i, i - 7)", "22012", "division by zero"},
        {"b * 1000000000000000000", "22003", "bigint out of range"},
        {"CAST(n * 1000 AS numeric(4, 1))", "22003", "numeric field overflow"},
        {"CAST(b * 1000000000 AS integer)", "22003", "integer out of range"},
        {"CAST(s AS integer)", "22P02", "invalid input syntax for type integer: \"Hello\""},
        {"CAST(s AS numeric(10, 2))", "22P02", "invalid input syntax for type numeric: \"Hello\""},
        {"CAST(s AS double precision)", "22P02", "invalid input syntax for type double precision: \"Hello\""},
        {"CAST(s AS boolean)", "22P02", "invalid input syntax for type boolean: \"Hello\""},
        {"CAST(s AS date)", "22007", "invalid input syntax for type date: \"Hello\""},
        {"substring(s from 1 for i - 8)", "22011", "negative substring length not allowed"},
    };
    for (String[] c : cases) {
      EvaluationException e = assertThrows(EvaluationException.class, () -> eval(c[0]), c[0]);
      assertEquals(c[1], e.sqlState(), c[0]);
      assertEquals(c[2], e.getMessage(), c[0]);
    }
  }

  @Test
  void numericDivisionScale() {
    assertEquals(dec("3333.3333333333333333"), PgValues.divideNumeric(dec("10000"), dec("3")));
    assertEquals(dec("0.99999000000000000000"), PgValues.divideNumeric(dec("99999"), dec("100000")));
    assertEquals(dec("0.000100000000000000000000"), PgValues.divideNumeric(dec("1"), dec("10000")));
    assertEquals(dec("15000.000000000000"), PgValues.divideNumeric(dec("30000"), dec("2")));
    assertEquals(dec("0.33333333333333333333"), PgValues.divideNumeric(dec("1"), dec("3")));
    assertEquals(dec("-0.6666666666666667"), PgValues.divideNumeric(dec("-2"), dec("3")).stripTrailingZeros()
        .setScale(16, java.math.RoundingMode.HALF_UP));
  }

  @Test
  void comparisonsAcrossNumericTypesAndThreeValuedLogic() {
    assertEquals(true, eval("i < n"));
    assertEquals(true, eval("n > d"));
    assertEquals(true, eval("b = 10.0"));
    assertEquals(true, eval("si <> i"));
    assertNull(evalNull("i = 1"));
    assertEquals(false, evalNull("i = 1 and false"));
    assertNull(evalNull("i = 1 and true"));
    assertEquals(true, evalNull("i = 1 or true"));
    assertNull(evalNull("i = 1 or false"));
    assertNull(evalNull("not (i = 1)"));
    assertEquals(true, evalNull("i is null"));
    assertEquals(false, eval("i is null"));
    assertEquals(true, evalNull("i is not distinct from b"));
    assertEquals(true, eval("i is distinct from b"));
    assertEquals(false, evalNull("i is distinct from null"));
  }

  @Test
  void filterKeepsOnlyTrue() {
    Scalar p = compilePredicate("i > 5");
    assertTrue(p.test(ExprTestSupport.SAMPLE));
    assertFalse(p.test(ExprTestSupport.NULLS));
    Scalar q = compilePredicate("i in (1, 7, 9)");
    assertTrue(q.test(ExprTestSupport.SAMPLE));
    assertFalse(q.test(ExprTestSupport.NULLS));
    Scalar r = compilePredicate("i not in (1, 9) and s in ('Hello', 'x')");
    assertTrue(r.test(ExprTestSupport.SAMPLE));
    Scalar between = compilePredicate("n between 12 and 13");
    assertTrue(between.test(ExprTestSupport.SAMPLE));
  }

  @Test
  void caseCoalesceNullif() {
    assertEquals("big", eval("case when i > 5 then 'big' else 'small' end"));
    assertEquals("small", evalNull("case when i > 5 then 'big' else 'small' end"));
    assertNull(evalNull("case when i > 5 then 'big' end"));
    assertEquals(0, ((BigDecimal) evalNull("coalesce(n, 0)")).signum());
    assertEquals(0, dec("12.50").compareTo((BigDecimal) eval("coalesce(null, n, 0)")));
    assertNull(eval("nullif(i, 7)"));
    assertEquals(7L, eval("nullif(i, 8)"));
  }

  @Test
  void casts() {
    assertEquals(13L, eval("cast(n as integer)"));
    assertEquals(dec("1.13"), eval("cast(n3 as numeric(10,2))"));
    assertEquals(dec("-1.13"), eval("cast(-n3 as numeric(10,2))"));
    assertEquals(2L, eval("cast(d as integer)"));
    assertEquals(4L, eval("cast(d + 1 as integer)"));
    assertEquals("2.5", eval("cast(d as varchar)"));
    assertEquals("12.50", eval("cast(n as varchar)"));
    assertEquals("7", eval("cast(i as varchar(1))"));
    assertEquals(12L, eval("cast('12' as integer)"));
    assertEquals(LocalDate.of(2024, 3, 15), eval("cast(ts as date)"));
    assertEquals(LocalDateTime.of(2024, 3, 15, 0, 0), eval("cast(dt as timestamp)"));
    assertEquals(LocalDate.of(2024, 1, 2), eval("cast('2024-01-02' as date)"));
    assertEquals(dec("2.5"), eval("cast(d as numeric)"));
    assertEquals(dec("12.50"), eval("cast(n as numeric)"));
    assertEquals("1e+20", Casts.doubleText(1e20));
    assertEquals("1e-05", Casts.doubleText(1e-5));
    assertEquals("123456789012345", Casts.doubleText(123456789012345d));
  }

  @Test
  void text() {
    assertEquals("HELLO", eval("upper(s)"));
    assertEquals("hello", eval("lower(s)"));
    assertEquals("ell", eval("substring(s from 2 for 3)"));
    assertEquals("He", eval("substring(s from 0 for 3)"));
    assertEquals("llo", eval("substring(s from 3)"));
    assertEquals("ello", eval("trim(both 'H' from s)"));
    assertEquals("x", eval("trim('  x  ')"));
    assertEquals("x  ", eval("trim(leading ' ' from '  x  ')"));
    assertEquals(5L, eval("char_length(s)"));
    assertEquals(5L, eval("character_length(s)"));
    assertEquals("Hello7", eval("s || cast(i as varchar)"));
    assertNull(evalNull("s || 'x'"));
    assertEquals(true, eval("s like 'H%o'"));
    assertEquals(false, eval("s like 'h%'"));
    assertEquals(true, eval("s not like 'h%'"));
    assertEquals(true, eval("'a_b' like 'a\\_b'"));
    assertEquals(false, eval("'axb' like 'a\\_b'"));
    assertEquals(true, eval("'a%b' like 'a!%b' escape '!'"));
    assertNull(evalNull("s like 'x'"));
    assertEquals(2L, eval("position('el' in s)"));
  }

  @Test
  void dateTime() {
    assertEquals(dec("2024"), eval("extract(year from ts)"));
    assertEquals(dec("3"), eval("extract(month from dt)"));
    assertEquals(dec("30.500000"), eval("extract(second from ts)"));
    assertEquals(dec("5"), eval("extract(dow from dt)"));
    assertEquals(dec("1710510330.500000"), eval("extract(epoch from ts)"));
    assertEquals(dec("1710460800"), eval("extract(epoch from dt)"));
    assertEquals(dec("1"), eval("extract(quarter from ts)"));
    assertEquals(dec("75"), eval("extract(doy from dt)"));
    assertEquals(dec("11"), eval("extract(week from dt)"));
    assertEquals(dec("13"), eval("extract(hour from ts)"));
    assertEquals(LocalDateTime.of(2024, 3, 1, 0, 0), eval("floor(ts to month)"));
    assertEquals(LocalDateTime.of(2024, 3, 15, 13, 0), eval("floor(ts to hour)"));
    assertEquals(LocalDateTime.of(2024, 1, 1, 0, 0), eval("floor(ts to year)"));
    assertEquals(LocalDateTime.of(2024, 3, 15, 0, 0), eval("floor(ts to day)"));
    assertNull(evalNull("floor(ts to day)"));
    assertEquals(LocalDateTime.of(2024, 3, 16, 13, 45, 30, 500_000_000), eval("ts + interval '1' day"));
    assertEquals(LocalDateTime.of(2024, 2, 15, 13, 45, 30, 500_000_000), eval("ts - interval '1' month"));
  }

  @Test
  void numericFunctions() {
    assertEquals(dec("12.50"), eval("abs(-n)"));
    assertEquals(dec("-13"), eval("floor(-n)"));
    assertEquals(dec("13"), eval("ceil(n)"));
    assertEquals(dec("1.13"), eval("round(n3, 2)"));
    assertEquals(dec("3"), eval("round(cast(2.5 as numeric(2,1)))"));
    assertEquals(2.0, eval("round(d)"));
  }

  @Test
  void unsupportedConstructsAreNamed() {
    UnsupportedConstructException e = assertThrows(UnsupportedConstructException.class,
        () -> compile("current_timestamp"));
    assertTrue(e.getMessage().contains("non-deterministic function current_timestamp"), e.getMessage());
    e = assertThrows(UnsupportedConstructException.class, () -> compile("row_number() over (order by i)"));
    assertTrue(e.getMessage().contains("window function ROW_NUMBER"), e.getMessage());
    e = assertThrows(UnsupportedConstructException.class, () -> compile("exp(d)"));
    assertTrue(e.getMessage().contains("function EXP"), e.getMessage());
  }

  @Test
  void projectionOfPlainColumnsReordersValues() {
    Row r = Row.of(1L, 2L, 3L);
    assertEquals(Row.of(3L, 1L), r.project(new int[] {2, 0}));
  }

  /**
   * PostgreSQL's functions as the production front end resolves them; expected values and value types from
   * PostgreSQL 14 (an integer argument picks the double precision overload of sign, trunc, power, round).
   */
  @Test
  void postgresqlNumericFunctions() {
    assertEquals(-1.0, PgExprSupport.eval("sign(-3)"));
    assertEquals(dec("-1"), PgExprSupport.eval("sign(-2.50)"));
    assertEquals(-2.0, PgExprSupport.eval("trunc(-2.7::float8)"));
    assertEquals(dec("12.34"), PgExprSupport.eval("trunc(12.345, 2)"));
    assertEquals(dec("-12"), PgExprSupport.eval("trunc(-12.345)"));
    assertEquals(dec("120"), PgExprSupport.eval("trunc(125, -1)"));
    assertEquals(1024.0, PgExprSupport.eval("power(2, 10)"));
    assertEquals(dec("1.414213562373095"), PgExprSupport.eval("sqrt(2.00)"));
    assertEquals(dec("0.01000000000000000"), PgExprSupport.eval("sqrt(0.0001)"));
    assertEquals(5.0, PgExprSupport.eval("round(5)"));
    assertEquals(3L, PgExprSupport.eval("greatest(1, null, 3)"));
    assertEquals(dec("1.5"), PgExprSupport.eval("least(2.50, 1.5, null)"));
    assertNull(PgExprSupport.eval("greatest(null::int, null)"));
    EvaluationException e = assertThrows(EvaluationException.class, () -> PgExprSupport.eval("sqrt(-1.0)"));
    assertEquals("2201F", e.sqlState());
    e = assertThrows(EvaluationException.class, () -> PgExprSupport.eval("power(0, -1)"));
    assertEquals("2201F", e.sqlState());
    UnsupportedConstructException u = assertThrows(UnsupportedConstructException.class,
        () -> PgExprSupport.compile("power(n, 2)"));
    assertTrue(u.getMessage().contains("power() of a numeric"), u.getMessage());
  }

  @Test
  void postgresqlTextFunctions() {
    assertEquals("hél", PgExprSupport.eval("left('héllo', -2)"));
    assertEquals("", PgExprSupport.eval("right('héllo', -7)"));
    assertEquals("lo", PgExprSupport.eval("right('héllo', 2)"));
    assertEquals("", PgExprSupport.eval("split_part('a,b,,c', ',', -2)"));
    assertEquals("c", PgExprSupport.eval("split_part('a,b,,c', ',', -1)"));
    assertEquals("", PgExprSupport.eval("split_part('a,b,,c', ',', 9)"));
    assertEquals(3L, PgExprSupport.eval("strpos('héllo', 'l')"));
    assertEquals("a-1.50-2024-02-29", PgExprSupport.eval("concat_ws('-', 'a', null, 1.50, date '2024-02-29')"));
    assertNull(PgExprSupport.eval("concat_ws(null, 'a')"));
    assertEquals("hi", PgExprSupport.eval("btrim('xxhixx', 'x')"));
    assertEquals("ell", PgExprSupport.eval("substr('hello', 2, 3)"));
    EvaluationException e = assertThrows(EvaluationException.class,
        () -> PgExprSupport.eval("split_part('a', ',', 0)"));
    assertEquals("22023", e.sqlState());
    assertThrows(UnsupportedConstructException.class, () -> PgExprSupport.compile("concat(s, true)"));
  }

  @Test
  void postgresqlDateFunctions() {
    assertEquals(LocalDate.of(2024, 2, 29), PgExprSupport.eval("date '2024-02-28' + 1"));
    assertEquals(LocalDate.of(2024, 2, 29), PgExprSupport.eval("1 + date '2024-02-28'"));
    assertEquals(LocalDate.of(2024, 2, 29), PgExprSupport.eval("date '2024-03-01' - 1"));
    assertEquals(366L, PgExprSupport.eval("date '2024-03-01' - date '2023-03-01'"));
    assertEquals(LocalDate.of(2024, 2, 29), PgExprSupport.eval("make_date(2024, 2, 29)"));
    EvaluationException e = assertThrows(EvaluationException.class,
        () -> PgExprSupport.eval("make_date(2023, 2, 29)"));
    assertEquals("date field value out of range: 2023-02-29", e.getMessage());
    assertEquals(2460375.0, PgExprSupport.eval("date_part('julian', date '2024-03-05')"));
    assertEquals(2020.0, PgExprSupport.eval("date_part('isoyear', date '2021-01-03')"));
    assertEquals(dec("53"), PgExprSupport.eval("extract(week from date '2020-12-31')"));
    assertEquals(dec("2"), PgExprSupport.eval("extract(day from age(timestamp '2024-03-31 00:00:00',"
        + " timestamp '2024-02-29 00:00:00'))"));
    assertEquals(dec("1"), PgExprSupport.eval("extract(month from age(timestamp '2024-03-31 00:00:00',"
        + " timestamp '2024-02-29 00:00:00'))"));
    assertEquals(dec("-34243200.000000"), PgExprSupport.eval("extract(epoch from age(timestamp '2023-01-31 10:00:00',"
        + " timestamp '2024-03-01 12:00:00'))"));
    assertThrows(UnsupportedConstructException.class, () -> PgExprSupport.compile("age(ts)"));
  }

  /**
   * A timestamptz's fields are those of its local time in the creator's zone; across a fall-back change
   * date_trunc to an hour keeps the value's own offset and to a day resolves midnight again, as PostgreSQL's
   * timestamptz_trunc does. Values as PostgreSQL 15 gives them under {@code SET TimeZone}.
   */
  @Test
  void timestamptzInTheSessionZone() {
    java.time.Instant firstOneThirty = java.time.Instant.parse("2024-11-03T05:30:00Z"); // 01:30 EDT
    java.time.Instant secondOneThirty = java.time.Instant.parse("2024-11-03T06:30:00Z"); // 01:30 EST
    String ny = "America/New_York";
    assertEquals(dec("1"), PgExprSupport.evalAt("extract(hour from tz)", ny, firstOneThirty));
    assertEquals(dec("1"), PgExprSupport.evalAt("extract(hour from tz)", ny, secondOneThirty));
    assertEquals(dec("5"), PgExprSupport.evalAt("extract(hour from tz)", "UTC", firstOneThirty));
    assertEquals(java.time.Instant.parse("2024-11-03T05:00:00Z"),
        PgExprSupport.evalAt("date_trunc('hour', tz)", ny, firstOneThirty));
    assertEquals(java.time.Instant.parse("2024-11-03T06:00:00Z"),
        PgExprSupport.evalAt("date_trunc('hour', tz)", ny, secondOneThirty));
    assertEquals(java.time.Instant.parse("2024-11-03T04:00:00Z"),
        PgExprSupport.evalAt("date_trunc('day', tz)", ny, secondOneThirty));
    // a day later is 25 hours later across the change; 24 hours is an interval of hours
    assertEquals(java.time.Instant.parse("2024-11-03T17:00:00Z"),
        PgExprSupport.evalAt("tz + INTERVAL '1' DAY", ny, java.time.Instant.parse("2024-11-02T16:00:00Z")));
    assertEquals(java.time.Instant.parse("2024-11-03T16:00:00Z"),
        PgExprSupport.evalAt("tz + INTERVAL '24' HOUR", ny, java.time.Instant.parse("2024-11-02T16:00:00Z")));
    assertEquals("2024-11-03 01:30:00-05", PgExprSupport.evalAt("CAST(tz AS text)", ny, secondOneThirty));
    assertEquals("2024-11-03 11:00:00+05:30", PgExprSupport.evalAt("CAST(tz AS text)", "Asia/Kolkata",
        firstOneThirty));
    assertEquals("2024-11-03 01:30", PgExprSupport.evalAt("to_char(tz, 'YYYY-MM-DD HH24:MI')", ny, firstOneThirty));
    // 02:30 does not exist that day in New York: PostgreSQL reads it with the offset before the jump, 03:30 EDT
    assertEquals(java.time.Instant.parse("2024-03-10T07:30:00Z"),
        PgExprSupport.evalAt("CAST('2024-03-10 02:30:00' AS timestamptz)", ny, null));
    assertEquals(java.time.LocalDate.parse("2024-11-02"),
        PgExprSupport.evalAt("CAST(tz AS date)", "America/Los_Angeles", firstOneThirty));
    for (String zone : new String[] {"UTC+3", "<+03>-03"}) {
      UnsupportedConstructException u = assertThrows(UnsupportedConstructException.class,
          () -> PgExprSupport.compile("date_part('hour', tz)", SessionZone.of(zone)));
      assertTrue(u.getMessage().contains("TimeZone") && u.getMessage().contains(zone), u.getMessage());
    }
    // what converts no timestamptz compiles in any zone
    assertEquals(dec("1.000000"), PgExprSupport.evalAt("extract(epoch from tz)", "UTC+3", java.time.Instant.ofEpochSecond(1)));
  }

  @Test
  void postgresqlToChar() {
    assertEquals("2020-53 Sunday Sun 03rd", PgExprSupport.eval("to_char(date '2021-01-03', 'IYYY-IW FMDay Dy DDth')"));
    assertEquals("-1,234.57", PgExprSupport.eval("to_char(-1234.567, '9G999D99')"));
    assertEquals("0.50", PgExprSupport.eval("to_char(0.5, 'FM990.00')"));
    assertEquals(" ###", PgExprSupport.eval("to_char(12345, '999')"));
    assertEquals("    .50", PgExprSupport.eval("to_char(0.5, '999.99')"));
    assertEquals("12.", PgExprSupport.eval("to_char(12, 'FM999.99')"));
    assertEquals(" 12", PgExprSupport.eval("to_char(12, '99.')"));
    for (String refused : new String[] {"to_char(dt, 'RM')", "to_char(dt, 'TMMonth')", "to_char(n, 'S999')",
        "to_char(dt, s)"}) {
      assertThrows(UnsupportedConstructException.class, () -> PgExprSupport.compile(refused), refused);
    }
  }

  @Test
  void postgresqlRegularExpressions() {
    assertEquals(true, PgExprSupport.eval("'Hello' ~ '^H.l+o$'"));
    assertEquals(false, PgExprSupport.eval("E'Hello\\n' ~ '^H.l+o$'"));
    assertEquals(true, PgExprSupport.eval("'HELLO' ~* 'l{2}'"));
    assertEquals(false, PgExprSupport.eval("'HELLO' !~* 'l{2}'"));
    assertEquals("Hell[o] W[o]rld", PgExprSupport.eval("regexp_replace('Hello World', '(o)', '[\\1]', 'g')"));
    assertEquals("a-b.c", PgExprSupport.eval("regexp_replace('a.b.c', '\\.', '-')"));
    assertEquals("-a--c-", PgExprSupport.eval("regexp_replace('abc', 'b*', '-', 'g')"));
    for (String refused : new String[] {"s ~ '\\w'", "s ~ '[[:alpha:]]'", "s ~ s",
        "regexp_replace(s, 'a|ab', 'x')", "regexp_replace(s, '(ab)+', 'x')", "regexp_replace(s, 'a', 'x', 'n')",
        "regexp_match(s, 'a')", "s ~ 'a*+'", "s ~ 'a{2}?*'"}) {
      assertThrows(UnsupportedConstructException.class, () -> PgExprSupport.compile(refused), refused);
    }
  }
}
