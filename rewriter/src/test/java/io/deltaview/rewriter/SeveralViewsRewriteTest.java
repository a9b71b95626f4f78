package io.deltaview.rewriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * Queries that combine what several views answer: the branches of a set operation, or aggregates joined, each
 * block read from its own view in one rewrite. SQL in, SQL out; the integration rewrite suite checks the rows.
 */
class SeveralViewsRewriteTest {
  private static final ViewDefinition DEPT_10 = view("dept_10",
      "SELECT empid, name, salary FROM emps WHERE deptno = 10", "empid", "name", "salary");
  private static final ViewDefinition DEPT_20 = view("dept_20",
      "SELECT empid, name, salary FROM emps WHERE deptno = 20", "empid", "name", "salary");
  private static final ViewDefinition PAY = view("pay",
      "SELECT deptno, count(*) AS c, sum(salary) AS s FROM emps GROUP BY deptno", "deptno", "c", "s");
  private static final ViewDefinition HIRES = view("hires",
      "SELECT deptno, min(hired) AS first_hired, max(hired) AS last_hired FROM emps GROUP BY deptno",
      "deptno", "first_hired", "last_hired");

  private static final CatalogSchema CATALOG = CatalogSchema.builder()
      .searchPath(List.of("public"))
      .table("public", "depts")
          .column("deptno", "int4", false).column("name", "text", false).primaryKey("deptno").done()
      .table("public", "emps")
          .column("empid", "int4", false).column("deptno", "int4", false).column("name", "text", false)
          .column("salary", "numeric(10,2)", false).column("hired", "date", false)
          .primaryKey("empid").done()
      .table("public", "dept_10")
          .column("empid", "integer").column("name", "text").column("salary", "numeric(10,2)").done()
      .table("public", "dept_20")
          .column("empid", "integer").column("name", "text").column("salary", "numeric(10,2)").done()
      .table("public", "pay").column("deptno", "integer").column("c", "bigint").column("s", "numeric").done()
      .table("public", "hires")
          .column("deptno", "integer").column("first_hired", "date").column("last_hired", "date").done()
      .build();

  private static final QueryRewriter REWRITER = QueryRewriter.create(CATALOG,
      List.of(DEPT_10, DEPT_20, PAY, HIRES));

  private static ViewDefinition view(String name, String sql, String... columns) {
    return new ViewDefinition("public." + name, "public", name, sql, List.of(columns));
  }

  private static RewriteDecision assertServedBy(QueryRewriter rewriter, String sql, List<String> views) {
    RewriteDecision d = rewriter.rewrite(sql);
    assertTrue(d.rewritten(), () -> "not rewritten: " + d.reason());
    assertEquals(views, d.views(), d.sql());
    try {
      new SqlFrontEnd(CATALOG).toRel(d.sql());
    } catch (SQLException e) {
      throw new AssertionError("rewritten SQL does not validate: " + d.sql(), e);
    }
    return d;
  }

  @Test
  void unionAllOfTwoServedBranchesReadsBothViews() {
    RewriteDecision d = assertServedBy(REWRITER, "SELECT empid, name FROM emps WHERE deptno = 10"
        + " UNION ALL SELECT empid, name FROM emps WHERE deptno = 20", List.of("public.dept_10", "public.dept_20"));
    assertEquals("SELECT \"empid\", \"name\" FROM (SELECT \"empid\", \"name\" FROM \"public\".\"dept_10\""
        + " UNION ALL SELECT \"empid\", \"name\" FROM \"public\".\"dept_20\") AS \"t1\"", d.sql());
    assertEquals(Set.of(), d.directReads());
    assertEquals("public.dept_10, public.dept_20", d.view());
  }

  @Test
  void unionExceptAndIntersectOfServedBranches() {
    for (String op : List.of("UNION", "EXCEPT", "INTERSECT ALL")) {
      RewriteDecision d = assertServedBy(REWRITER, "SELECT name FROM emps WHERE deptno = 10 " + op
          + " SELECT name FROM emps WHERE deptno = 20 ORDER BY 1", List.of("public.dept_10", "public.dept_20"));
      assertTrue(d.sql().contains(op), d.sql());
    }
  }

  @Test
  void twoAggregatesJoinedOnTheirGroupKey() {
    RewriteDecision d = assertServedBy(REWRITER, "SELECT p.deptno, p.total, h.newest FROM"
        + " (SELECT deptno, sum(salary) AS total FROM emps GROUP BY deptno) p"
        + " JOIN (SELECT deptno, max(hired) AS newest FROM emps GROUP BY deptno) h ON h.deptno = p.deptno",
        List.of("public.pay", "public.hires"));
    assertFalse(d.sql().contains("\"emps\""), d.sql());
  }

  @Test
  void aBranchNoViewAnswersIsReadDirectlyAndSaysSo() {
    RewriteDecision d = assertServedBy(REWRITER, "SELECT empid, name FROM emps WHERE deptno = 10"
        + " UNION ALL SELECT empid, name FROM emps WHERE deptno = 30", List.of("public.dept_10"));
    // the second branch reads emps itself: a lagging view beside a current table is served only when strong
    assertEquals(Set.of("public.emps"), d.directReads());
  }

  @Test
  void aViewRefusedToTheRoleIsNotCombined() {
    QueryRewriter limited = REWRITER.withRefusals(Map.of("public.dept_20", "no SELECT on public.dept_20"));
    RewriteDecision d = assertServedBy(limited, "SELECT empid, name FROM emps WHERE deptno = 10"
        + " UNION ALL SELECT empid, name FROM emps WHERE deptno = 20", List.of("public.dept_10"));
    assertEquals(Set.of("public.emps"), d.directReads());
    assertFalse(d.sql().contains("dept_20"), d.sql());
  }

  @Test
  void branchesCalciteWouldTypeOtherwiseThanPostgresPassThrough() {
    // numeric(10,2) beside numeric: the plan casts a branch, a cast that may not mean the same in PostgreSQL
    RewriteDecision d = REWRITER.rewrite("SELECT salary FROM emps WHERE deptno = 10 UNION ALL SELECT s FROM"
        + " (SELECT deptno, sum(salary) AS s FROM emps GROUP BY deptno) t");
    assertFalse(d.rewritten(), d.sql());
  }
}
