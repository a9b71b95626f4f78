package io.deltaview.rewriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.schema.CatalogSchema;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Output labels that PostgreSQL reads differently from Calcite: repeated labels, and ORDER BY names that are
 * also the label of another output column (PostgreSQL reads a bare name there as the output column first).
 */
class OutputLabelsRewriteTest {

  private static final QueryRewriter REWRITER = QueryRewriter.create(CatalogSchema.builder()
      .searchPath(List.of("public"))
      .table("public", "depts").column("deptno", "int4").column("name", "text").primaryKey("deptno").done()
      .table("public", "emps").column("empid", "int4").column("deptno", "int4").column("name", "text")
          .primaryKey("empid").done()
      .table("public", "emp_dept").column("empid", "int4").column("name", "text").column("deptno", "int4")
          .column("dept_name", "text").done()
      .build(), List.of(new ViewDefinition("public.emp_dept", "public", "emp_dept",
          "SELECT e.empid, e.name, e.deptno, d.name AS dept_name FROM emps e JOIN depts d ON d.deptno = e.deptno",
          List.of("empid", "name", "deptno", "dept_name"))));

  private static final String JOIN = " FROM emps e JOIN depts d ON d.deptno = e.deptno";

  private static void assertRewrite(String query, String rewrite) {
    RewriteDecision d = REWRITER.rewrite(query);
    assertTrue(d.rewritten(), d.reason());
    assertEquals(rewrite, d.sql());
  }

  @Test
  void repeatedLabelsAreKept() {
    assertRewrite("SELECT e.name, d.name" + JOIN,
        "SELECT \"name\", \"dept_name\" AS \"name\" FROM \"public\".\"emp_dept\"");
    assertRewrite("SELECT d.name, e.name" + JOIN + " ORDER BY d.name DESC NULLS LAST, e.name, e.empid",
        "SELECT \"dept_name\" AS \"name\", \"name\" AS \"name\" FROM \"public\".\"emp_dept\""
            + " ORDER BY \"dept_name\" DESC NULLS LAST, 2, \"empid\"");
  }

  @Test
  void orderByANameThatLabelsAnotherColumnUsesTheOrdinal() {
    assertRewrite("SELECT d.name AS name, e.name AS ename" + JOIN + " ORDER BY e.name, e.empid",
        "SELECT \"dept_name\" AS \"name\", \"name\" AS \"ename\" FROM \"public\".\"emp_dept\" ORDER BY 2, \"empid\"");
    // sorted by a column not in the output whose name an output column has: not written, not served
    RewriteDecision d = REWRITER.rewrite("SELECT e.empid, d.name" + JOIN + " ORDER BY e.name LIMIT 3");
    assertFalse(d.rewritten(), d.sql());
    assertTrue(d.reason().contains("would be read as the output column name"), d.reason());
  }
}
