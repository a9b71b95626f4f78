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
  void aParameterRightAfterAnOperatorIsAParameter() {
    // Hibernate writes id=?: the ? is a JDBC parameter (as pgjdbc reads it), so b's literal is the second
    QueryShape s = shape("SELECT a FROM t WHERE a=? AND b=5");
    assertEquals("SELECT a FROM t WHERE a=? AND b=?", s.parameterized());
    assertEquals(1, s.literals().get(0).parameter());
    assertEquals(s.key(), shape("SELECT a FROM t WHERE a=? AND b=6").key());
    assertEquals(1, shape("SELECT a FROM t WHERE a<>? AND b>=5").literals().get(0).parameter());
  }

  @Test
  void keywordsAreReadInAnyCase() {
    assertEquals(shape("select a from t where a = 5 order by 1").key(),
        shape("select a from t where a = 6 order by 1").key());
    assertNull(shape("SELECT a FROM t Order By 1 LiMiT 5"));
    assertEquals("SELECT a FROM t WhErE a = ? aNd b = ?",
        shape("SELECT a FROM t WhErE a = 5 aNd b = 6").parameterized());
  }

  @Test
  void literalsInDeeplyNestedParenthesesFollowTheirClause() {
    String open = "(".repeat(70);
    String close = ")".repeat(70);
    // ORDER BY's ordinal inside 70 parentheses stays, the WHERE literal after them is lifted
    QueryShape s = shape("SELECT a FROM t WHERE a = " + open + "5" + close + " ORDER BY " + open + "1" + close);
    assertEquals(1, s.literals().size());
    assertEquals("5", s.literals().get(0).rendered());
    // LIMIT's row count inside them stays; leaving them, AND's literal is an operand again
    QueryShape after = shape("SELECT a FROM t WHERE a IN " + open + "SELECT b FROM u LIMIT 1" + close + " AND c = 5");
    assertEquals(List.of("5"), after.literals().stream().map(QueryShape.Literal::rendered).toList());
  }

  @Test
  void integersAreRenderedAsTheirValue() {
    assertEquals("7", shape("SELECT a FROM t WHERE a = 007").literals().get(0).rendered());
    assertEquals("0", shape("SELECT a FROM t WHERE a = 000").literals().get(0).rendered());
    assertEquals("2147483647", shape("SELECT a FROM t WHERE a = 2147483647").literals().get(0).rendered());
    assertEquals("2147483647", shape("SELECT a FROM t WHERE a = 002147483647").literals().get(0).rendered());
    assertNull(shape("SELECT a FROM t WHERE a = 2147483648"));
    assertEquals("0.50", shape("SELECT a FROM t WHERE a = 00.50").literals().get(0).rendered());
    assertEquals("0.5", shape("SELECT a FROM t WHERE a = .5").literals().get(0).rendered());
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
        "SELECT a FROM t WHERE a @?? '$.b' AND b = 5",
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
