package io.deltaview.rewriter.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class QueryShapeTest {

  private static QueryShape shape(String sql) {
    return QueryShape.of(sql, Set.of());
  }

  @Test
  void textsThatDifferInLiftedValuesShareAKey() {
    QueryShape five = shape("SELECT id FROM t WHERE id = 5 AND name = 'x'");
    QueryShape six = shape("SELECT id FROM t WHERE id = 6 AND name = 'it''s'");
    assertEquals(five.key(), six.key());
    assertEquals("SELECT id FROM t WHERE id = ? AND name = ?", six.parameterized());
    assertEquals(List.of("6", "'it''s'"), six.literals().stream().map(QueryShape.Literal::rendered).toList());
  }

  @Test
  void liftedLiteralsAreNumberedAmongTheParameters() {
    QueryShape s = shape("SELECT id FROM t WHERE a = ? AND b = 5 AND c = ?");
    assertEquals(1, s.literals().get(0).parameter());
  }

  @Test
  void typesSplitShapes() {
    assertNotEquals(shape("SELECT 1 FROM t WHERE a = 5").key(), shape("SELECT 1 FROM t WHERE a = 5.5").key());
    assertNotEquals(shape("SELECT 1 FROM t WHERE a = 1.5").key(), shape("SELECT 1 FROM t WHERE a = 1.50").key());
    assertEquals(shape("SELECT 1 FROM t WHERE a = 1.50").key(), shape("SELECT 1 FROM t WHERE a = 2.75").key());
    assertNotEquals(shape("SELECT 1 FROM t WHERE a = 5").key(), shape("SELECT 1 FROM t WHERE a = '5'").key());
    assertNotEquals(shape("SELECT 1 FROM t WHERE a IN (1, 2)").key(),
        shape("SELECT 1 FROM t WHERE a IN (1, 2, 3)").key());
  }

  @Test
  void literalsThatAreNotPlainOperandsStay() {
    for (String sql : List.of(
        "SELECT a, count(*) FROM t GROUP BY 1 ORDER BY 2",
        "SELECT a FROM t ORDER BY a LIMIT 5 OFFSET 10",
        "SELECT a FROM t ORDER BY a OFFSET 10 ROWS FETCH FIRST 5 ROWS ONLY",
        "SELECT DISTINCT ON (1) a, b FROM t",
        "SELECT a FROM t WHERE d > DATE '2020-01-01'",
        "SELECT a FROM t WHERE d > now() - interval '1 day'",
        "SELECT a FROM t WHERE a = '5'::int",
        "SELECT a FROM t WHERE b = 'x' COLLATE \"C\"",
        "SELECT a FROM t WHERE b = E'x\\n'",
        "SELECT a FROM t WHERE b = 'caf\u00e9'",
        "SELECT a FROM t WHERE b = $$x$$",
        "SELECT a FROM t WHERE a = 5000000000",
        "SELECT a FROM t WHERE a = 1e5",
        "SELECT a FROM t WHERE a = 5.",
        "SELECT a FROM t WHERE a = $1 AND b = 5",
        "SELECT a FROM t WHERE a=? AND b = 5",
        "SELECT a FROM t WHERE b = 'x\u0000'",
        "SELECT a FROM t WHERE b = 'unterminated")) {
      assertNull(shape(sql), sql);
    }
    // the sign stays, the digits are lifted
    assertEquals("SELECT a FROM t WHERE a > -?", shape("SELECT a FROM t WHERE a > -5").parameterized());
    // outside ORDER BY's parentheses, literals are operands again
    assertEquals("SELECT a, row_number() OVER (ORDER BY 1) FROM t WHERE a = ?",
        shape("SELECT a, row_number() OVER (ORDER BY 1) FROM t WHERE a = 5").parameterized());
  }

  @Test
  void valuesAViewHoldsStay() {
    Set<String> constants = QueryShape.constants(List.of(
        "SELECT a FROM t WHERE a IN (1, 2, 3) AND b = 'paid' AND c > 10.50 AND d = '7'"));
    assertNull(QueryShape.of("SELECT a FROM t WHERE a = 2", constants));
    assertNull(QueryShape.of("SELECT a FROM t WHERE a = 2.0", constants));
    assertNull(QueryShape.of("SELECT a FROM t WHERE c > 10.5", constants));
    assertNull(QueryShape.of("SELECT a FROM t WHERE b = 'paid'", constants));
    assertNull(QueryShape.of("SELECT a FROM t WHERE d = 7", constants));
    assertNull(QueryShape.of("SELECT a FROM t WHERE a = '3'", constants));
    assertEquals("SELECT a FROM t WHERE a = ? AND b = 'paid'",
        QueryShape.of("SELECT a FROM t WHERE a = 8 AND b = 'paid'", constants).parameterized());
  }

  @Test
  void aReasonQuotingALiftedValueIsTold() {
    QueryShape s = shape("SELECT a FROM t WHERE a = 15 AND b = 'paid'");
    assertTrue(s.quotesALiteral("cast CAST(15 AS INTEGER)"));
    assertTrue(s.quotesALiteral("=($1, 'paid')"));
    assertFalse(s.quotesALiteral("=($15, 150, v15, 'paid2')"));
  }
}
