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
}
