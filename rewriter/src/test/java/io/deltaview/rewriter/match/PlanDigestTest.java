package io.deltaview.rewriter.match;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

import io.deltaview.rewriter.TestCatalog;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

class PlanDigestTest {
  private final SqlFrontEnd frontEnd = new SqlFrontEnd(TestCatalog.withResultTables());

  private String digest(String sql) throws SQLException {
    return PlanDigest.of(frontEnd.toRel(sql).project());
  }

  @Test
  void aliasesDoNotMatter() throws SQLException {
    assertEquals(digest("SELECT status AS s, count(*) AS n FROM orders o GROUP BY status"),
        digest("SELECT o.status, COUNT(*) FROM orders AS o GROUP BY o.status"));
  }

  @Test
  void limitAndOffsetStayDistinct() throws SQLException {
    assertNotEquals(digest("SELECT * FROM (SELECT id FROM orders ORDER BY id LIMIT 5) t"),
        digest("SELECT * FROM (SELECT id FROM orders ORDER BY id OFFSET 5) t"));
  }

  @Test
  void differentConditionsDiffer() throws SQLException {
    assertNotEquals(digest("SELECT id FROM orders WHERE status = 'paid'"),
        digest("SELECT id FROM orders WHERE status = 'open'"));
  }
}
