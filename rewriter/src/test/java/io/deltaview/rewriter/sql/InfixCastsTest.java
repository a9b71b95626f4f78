package io.deltaview.rewriter.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class InfixCastsTest {
  @Test
  void castBindsTighterThanBinaryOperators() {
    assertEquals("a || CAST(b AS text)", InfixCasts.rewrite("a || b::text"));
    assertEquals("x = 1 AND CAST(y AS int) > 2", InfixCasts.rewrite("x = 1 AND y::int > 2"));
    assertEquals("customer_id = CAST(? AS int4)", InfixCasts.rewrite("customer_id = ?::int4"));
  }

  @Test
  void operandsAndTypesOfEveryShape() {
    assertEquals("CAST(o.\"Amount\" AS numeric(10, 2))", InfixCasts.rewrite("o.\"Amount\"::numeric(10, 2)"));
    assertEquals("CAST(sum(x) AS bigint) + 1", InfixCasts.rewrite("sum(x)::bigint + 1"));
    assertEquals("CAST((a + b) AS double precision)", InfixCasts.rewrite("(a + b)::double precision"));
    assertEquals("CAST('2024-01-01' AS timestamp with time zone)",
        InfixCasts.rewrite("'2024-01-01'::timestamp with time zone"));
    assertEquals("CAST(CAST(a AS text) AS int)", InfixCasts.rewrite("a::text::int"));
    assertEquals("x IN (CAST(1 AS int), 2)", InfixCasts.rewrite("x IN (1::int, 2)"));
  }

  @Test
  void literalsAndCommentsAreLeftAlone() {
    assertEquals("SELECT 'a::b', \"c::d\" -- e::f", InfixCasts.rewrite("SELECT 'a::b', \"c::d\" -- e::f"));
  }
}
