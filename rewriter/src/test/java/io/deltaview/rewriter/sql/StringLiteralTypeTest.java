package io.deltaview.rewriter.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

import io.deltaview.rewriter.TestCatalog;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.sql.type.SqlTypeName;
import org.junit.jupiter.api.Test;

/** String literals of different lengths must not be blank-padded to a common CHAR type (PostgreSQL uses text). */
class StringLiteralTypeTest {

  @Test
  void caseOverLiteralsOfDifferentLengthsIsVaryingAndUnpadded() throws Exception {
    var root = new SqlFrontEnd(TestCatalog.baseTables().build())
        .toRel("SELECT CASE WHEN qty > 5 THEN 'big' ELSE 'small' END AS size FROM order_lines");
    assertEquals(SqlTypeName.VARCHAR, root.rel.getRowType().getFieldList().get(0).getType().getSqlTypeName());
    assertFalse(RelOptUtil.toString(root.rel).contains("'big  '"), RelOptUtil.toString(root.rel));
  }
}
