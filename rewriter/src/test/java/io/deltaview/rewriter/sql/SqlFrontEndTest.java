package io.deltaview.rewriter.sql;

import io.deltaview.sql.SqlStates;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.TestCatalog;
import java.sql.SQLException;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.type.SqlTypeName;
import org.junit.jupiter.api.Test;

class SqlFrontEndTest {
  private final SqlFrontEnd frontEnd = new SqlFrontEnd(TestCatalog.withResultTables());

  private String plan(String sql) throws SQLException {
    return RelOptUtil.toString(frontEnd.toRel(sql).rel);
  }

  @Test
  void unquotedIdentifiersFoldToLowerCase() throws SQLException {
    RelRoot root = frontEnd.toRel("SELECT ID, Status FROM Public.ORDERS");
    assertEquals("[id, status]", root.validatedRowType.getFieldNames().toString());
  }

  @Test
  void aRangeOffsetOverSeveralOrderByColumnsIsPostgresqlsWindowingError() throws SQLException {
    SQLException e = assertThrows(SQLException.class, () -> frontEnd.toRel("SELECT id, count(*) OVER (ORDER BY"
        + " customer_id, amount RANGE BETWEEN 1 PRECEDING AND CURRENT ROW) AS n FROM orders"));
    assertEquals(SqlStates.WINDOWING_ERROR, e.getSQLState(), e.getMessage());
    assertTrue(e.getMessage().startsWith("RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY"
        + " column"), e.getMessage());
    // without an offset PostgreSQL takes any number of ORDER BY columns
    frontEnd.toRel("SELECT id, count(*) OVER (ORDER BY customer_id, amount RANGE BETWEEN UNBOUNDED PRECEDING"
        + " AND CURRENT ROW) AS n FROM orders");
  }

  @Test
  void quotedIdentifiersKeepTheirCase() {
    SQLException e = assertThrows(SQLException.class, () -> frontEnd.toRel("SELECT \"ID\" FROM orders"));
    assertEquals(SqlStates.UNDEFINED_COLUMN, e.getSQLState());
    assertTrue(e.getMessage().contains("ID"), e.getMessage());
  }

  @Test
  void postgresConstructsConvertToPlainOperators() throws SQLException {
    String plan = plan("""
        SELECT c.region, date_trunc('month', o.created_at) AS month, sum(l.qty * l.price), count(*)
        FROM customers c JOIN orders o ON o.customer_id = c.id JOIN order_lines l ON l.order_id = o.id
        WHERE o.status::text ILIKE 'PA%' AND extract(year FROM o.created_at) = 2024
          AND c.name || '!' <> 'x'
        GROUP BY c.region, date_trunc('month', o.created_at)
        ORDER BY 1 LIMIT 10 OFFSET 5""");
    assertTrue(plan.contains("LogicalAggregate"), plan);
    assertTrue(plan.contains("LogicalJoin"), plan);
    assertTrue(plan.contains("date_trunc"), plan);
    assertTrue(plan.contains("LogicalSort"), plan);
  }

  @Test
  void dateTruncKeepsTheTimestampType() throws SQLException {
    RelDataTypeField f = frontEnd.toRel("SELECT date_trunc('month', created_at) FROM orders")
        .validatedRowType.getFieldList().get(0);
    assertEquals(SqlTypeName.TIMESTAMP, f.getType().getSqlTypeName());
  }

  @Test
  void inSubqueryIsExpandedIntoJoin() throws SQLException {
    String plan = plan("SELECT id FROM orders WHERE customer_id IN (SELECT id FROM customers WHERE region = 'eu')");
    assertTrue(plan.contains("LogicalJoin"), plan);
    assertTrue(!plan.contains("$SCALAR_QUERY") && !plan.contains("IN("), plan);
  }

  @Test
  void correlatedSubqueriesAreDecorrelated() throws SQLException {
    String plan = plan("SELECT id, (SELECT max(amount) FROM orders o WHERE o.customer_id = c.id) FROM customers c "
        + "WHERE EXISTS (SELECT 1 FROM orders o2 WHERE o2.customer_id = c.id)");
    assertTrue(!plan.contains("Correlate") && plan.contains("LogicalJoin"), plan);
  }

  @Test
  void longInListsStayPredicates() throws SQLException {
    StringBuilder in = new StringBuilder("0");
    for (int i = 1; i < 30; i++) {
      in.append(", ").append(i);
    }
    String plan = plan("SELECT id FROM orders WHERE customer_id IN (" + in + ")");
    assertTrue(!plan.contains("LogicalJoin") && !plan.contains("Values"), plan);
  }

  @Test
  void jdbcParametersAreAccepted() throws SQLException {
    String plan = plan("SELECT id FROM orders WHERE amount > ? AND status = ?");
    assertTrue(plan.contains("?0") && plan.contains("?1"), plan);
  }

  @Test
  void syntaxErrorIs42601() {
    SQLException e = assertThrows(SQLException.class, () -> frontEnd.parse("SELEC id FROM orders"));
    assertEquals(SqlStates.SYNTAX_ERROR, e.getSQLState());
  }

  @Test
  void unknownTableIs42P01() {
    SQLException e = assertThrows(SQLException.class, () -> frontEnd.toRel("SELECT * FROM nope"));
    assertEquals(SqlStates.UNDEFINED_TABLE, e.getSQLState());
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
  }

  @Test
  void unknownColumnIs42703() {
    SQLException e = assertThrows(SQLException.class, () -> frontEnd.toRel("SELECT nope FROM orders"));
    assertEquals(SqlStates.UNDEFINED_COLUMN, e.getSQLState());
    assertTrue(e.getMessage().contains("nope"), e.getMessage());
  }

  @Test
  void otherValidationErrorsAre42000() {
    SQLException e = assertThrows(SQLException.class,
        () -> frontEnd.toRel("SELECT status, amount FROM orders GROUP BY status"));
    assertEquals(SqlStates.SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION, e.getSQLState());
  }

  @Test
  void parseOnlyAcceptsStatementsOfAnyKind() throws SQLException {
    assertEquals(SqlKind.INSERT, frontEnd.parse("INSERT INTO orders (id) VALUES (1)").getKind());
    SQLException e = assertThrows(SQLException.class, () -> frontEnd.toRel("DELETE FROM orders"));
    assertEquals(SqlStates.FEATURE_NOT_SUPPORTED, e.getSQLState());
  }

  @Test
  void postgresIntervalLiteralsParseAsWindowFrameOffsets() throws SQLException {
    assertEquals("SELECT sum(id) OVER (ORDER BY created_at RANGE BETWEEN INTERVAL '1' DAY(9) PRECEDING AND"
        + " INTERVAL '2:30:00.000' HOUR(9) TO SECOND(3) FOLLOWING), INTERVAL '1 day' FROM orders",
        PgIntervalLiterals.rewrite("SELECT sum(id) OVER (ORDER BY created_at RANGE BETWEEN INTERVAL '1 day' PRECEDING"
            + " AND interval '2 hours 30 mins' FOLLOWING), INTERVAL '1 day' FROM orders", false));
    assertEquals("x INTERVAL '14' MONTH(9) PRECEDING",
        PgIntervalLiterals.rewrite("x INTERVAL '1 year 2 months' PRECEDING", false));
    assertEquals("x INTERVAL '1' DAY PRECEDING", PgIntervalLiterals.rewrite("x INTERVAL '1' DAY PRECEDING", false));
    String plan = plan("SELECT id, count(*) OVER (ORDER BY created_at RANGE BETWEEN INTERVAL '3 days' PRECEDING AND"
        + " CURRENT ROW) FROM orders");
    assertTrue(plan.contains("RANGE 259200000:INTERVAL DAY(9) PRECEDING"), plan);
    SQLException e = assertThrows(SQLException.class, () -> frontEnd.toRel("SELECT count(*) OVER (ORDER BY"
        + " created_at RANGE BETWEEN INTERVAL '1 month 1 day' PRECEDING AND CURRENT ROW) FROM orders"));
    assertEquals(SqlStates.FEATURE_NOT_SUPPORTED, e.getSQLState());
  }

  /** In a view definition every interval literal is rewritten: PostgreSQL runs the definition as written. */
  @Test
  void postgresIntervalLiteralsParseAnywhereInViewDefinitions() throws SQLException {
    assertEquals("SELECT t + INTERVAL '1' DAY(9), t - (INTERVAL '3' MONTH(9)), INTERVAL '2' HOUR,"
        + " '1 day'::interval(0) FROM x",
        PgIntervalLiterals.rewrite("SELECT t + interval '1 day', t - '3 mons'::interval, INTERVAL '2' HOUR,"
            + " '1 day'::interval(0) FROM x", true));
    assertEquals("SELECT t + interval '1 day' FROM x",
        PgIntervalLiterals.rewrite("SELECT t + interval '1 day' FROM x", false));
    SqlFrontEnd views = SqlFrontEnd.forViews(frontEnd.catalog());
    String plan = RelOptUtil.toString(views.toRel("SELECT id, created_at + interval '1 day 2 hours' AS later,"
        + " created_at - '1 month'::interval AS earlier FROM orders").project());
    assertTrue(plan.contains("93600000:INTERVAL DAY(9) TO SECOND(3)") && plan.contains("1:INTERVAL MONTH(9)"),
        plan);
    assertThrows(SQLException.class, () -> frontEnd.toRel("SELECT created_at + interval '1 day' FROM orders"));
  }

  /** A series of integer constants in a view's FROM clause is the VALUES list of its rows, named as PostgreSQL does. */
  @Test
  void generateSeriesOfConstantsIsAValuesList() throws SQLException {
    SqlFrontEnd views = SqlFrontEnd.forViews(frontEnd.catalog());
    RelRoot named = views.toRel("SELECT d, count(o.id) AS n FROM generate_series(-1, 5, 3) AS d LEFT JOIN orders o"
        + " ON o.id = d GROUP BY d");
    assertEquals("[d, n]", named.validatedRowType.getFieldNames().toString());
    String plan = RelOptUtil.toString(named.project());
    assertTrue(plan.contains("LogicalValues(tuples=[[{ -1 }, { 2 }, { 5 }]])"), plan);
    assertEquals("[generate_series]", views.toRel("SELECT * FROM generate_series(3, 1, -1)")
        .validatedRowType.getFieldNames().toString());
    assertEquals("[n]", views.toRel("SELECT g.n FROM generate_series(1, 2) AS g(n)")
        .validatedRowType.getFieldNames().toString());
    SQLException zero = assertThrows(SQLException.class, () -> views.toRel("SELECT * FROM generate_series(1, 3, 0)"));
    assertEquals(SqlStates.INVALID_PARAMETER_VALUE, zero.getSQLState());
    SQLException big = assertThrows(SQLException.class,
        () -> views.toRel("SELECT * FROM generate_series(1, 1000000)"));
    assertEquals(SqlStates.FEATURE_NOT_SUPPORTED, big.getSQLState());
    SQLException overColumns = assertThrows(SQLException.class,
        () -> views.toRel("SELECT g FROM orders o, generate_series(1, o.id) g"));
    assertEquals(SqlStates.FEATURE_NOT_SUPPORTED, overColumns.getSQLState(), overColumns.getMessage());
  }

  @Test
  void distinctOnBecomesARowNumberFilterBelowTheSort() throws SQLException {
    assertEquals("SELECT  customer_id AS c, id, (customer_id) AS \"$distinct_on_1\" FROM orders ORDER BY 1, id",
        DistinctOn.rewrite("SELECT DISTINCT ON (c) customer_id AS c, id FROM orders ORDER BY 1, id"));
    RelRoot root = frontEnd.toRel("SELECT DISTINCT ON (1) customer_id AS c, id FROM orders ORDER BY 1, id LIMIT 3");
    assertEquals("[c, id]", root.validatedRowType.getFieldNames().toString());
    String plan = RelOptUtil.toString(root.project());
    assertTrue(plan.matches("(?s)LogicalSort.*fetch=\\[3].*LogicalFilter.*ROW_NUMBER\\(\\) OVER \\(PARTITION BY \\$0"
        + " ORDER BY \\$0.*\\$1.*"), plan);
    SQLException e = assertThrows(SQLException.class, () -> frontEnd.toRel("SELECT DISTINCT ON (status) id, status"
        + " FROM orders ORDER BY id"));
    assertEquals(SqlStates.INVALID_COLUMN_REFERENCE, e.getSQLState());
    SQLException union = assertThrows(SQLException.class, () -> frontEnd.toRel("SELECT DISTINCT ON (id) id FROM"
        + " orders UNION ALL SELECT id FROM customers"));
    assertEquals(SqlStates.FEATURE_NOT_SUPPORTED, union.getSQLState());
  }

  @Test
  void valuesColumnsWithNumbersOfDifferentScalesAreRefused() throws SQLException {
    assertEquals(2, frontEnd.toRel("SELECT * FROM (VALUES (1.0, 'a'), (2.5, 'bc')) AS t(x, y)").rel.getRowType()
        .getFieldCount());
    SQLException e = assertThrows(SQLException.class, () -> frontEnd.toRel("SELECT * FROM (VALUES (1), (2.5)) AS"
        + " t(x)"));
    assertEquals(SqlStates.FEATURE_NOT_SUPPORTED, e.getSQLState());
    assertTrue(e.getMessage().contains("VALUES column 1"), e.getMessage());
  }
}
