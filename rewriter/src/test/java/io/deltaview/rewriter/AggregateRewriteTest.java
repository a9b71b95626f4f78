package io.deltaview.rewriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.sql.SQLException;
import java.util.List;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * Aggregates an aggregate view answers although it does not keep them as they are (AVG from a SUM and a COUNT),
 * on a small "hr" schema: SQL in, SQL out, and the traps that must pass through.
 */
class AggregateRewriteTest {
  private static final ViewDefinition BY_DEPT = new ViewDefinition("public.by_dept", "public", "by_dept",
      "SELECT deptno, count(*) AS c, sum(salary) AS s FROM emps GROUP BY deptno", List.of("deptno", "c", "s"));

  /** Grouped by a nullable column too, with the sums and non-null counts of nullable columns. */
  private static final ViewDefinition BY_DEPT_COMMISSION = new ViewDefinition("public.by_dept_commission",
      "public", "by_dept_commission", """
      SELECT deptno, commission, count(*) AS c, sum(salary) AS s, count(grade) AS graded, sum(grade) AS grades,
             sum(bonus) AS bonuses, count(bonus) AS with_bonus, count(commission) AS with_commission
      FROM emps GROUP BY deptno, commission""",
      List.of("deptno", "commission", "c", "s", "graded", "grades", "bonuses", "with_bonus", "with_commission"));

  private static final CatalogSchema CATALOG = CatalogSchema.builder()
      .searchPath(List.of("public"))
      .table("public", "depts")
          .column("deptno", "int4", false).column("name", "text", false).primaryKey("deptno").done()
      .table("public", "emps")
          .column("empid", "int4", false).column("deptno", "int4", false).column("name", "text", false)
          .column("salary", "numeric(10,2)", false).column("commission", "int4").column("grade", "int2")
          .column("bonus", "float8").column("hired", "date", false)
          .primaryKey("empid").done()
      .table("public", "by_dept")
          .column("deptno", "integer").column("c", "bigint").column("s", "numeric").done()
      .table("public", "by_dept_commission")
          .column("deptno", "integer").column("commission", "integer").column("c", "bigint")
          .column("s", "numeric").column("graded", "bigint").column("grades", "bigint")
          .column("bonuses", "double precision").column("with_bonus", "bigint").column("with_commission", "bigint")
          .done()
      .table("public", "graded_by_dept").column("deptno", "integer").column("graded", "bigint").done()
      .table("public", "salaries_by_commission")
          .column("deptno", "integer").column("commission", "integer").column("s", "numeric").done()
      .table("public", "grades_by_dept")
          .column("deptno", "integer").column("c", "bigint").column("s", "bigint").done()
      .build();

  private static final QueryRewriter BOTH = QueryRewriter.create(CATALOG, List.of(BY_DEPT, BY_DEPT_COMMISSION));
  private static final QueryRewriter FINE = QueryRewriter.create(CATALOG, List.of(BY_DEPT_COMMISSION));

  private static void assertRewrite(QueryRewriter rewriter, String sql, String view, String expected) {
    RewriteDecision d = rewriter.rewrite(sql);
    assertTrue(d.rewritten(), () -> "not rewritten: " + d.reason());
    assertEquals(expected, d.sql());
    assertEquals(view, d.view());
    assertNull(d.reason());
    try {
      new SqlFrontEnd(CATALOG).toRel(d.sql());
    } catch (SQLException e) {
      throw new AssertionError("rewritten SQL does not validate: " + d.sql(), e);
    }
  }

  private static void assertPassThrough(QueryRewriter rewriter, String sql, String reasonPart) {
    RewriteDecision d = rewriter.rewrite(sql);
    assertFalse(d.rewritten(), () -> "unexpectedly rewritten to: " + d.sql());
    assertEquals(sql, d.sql());
    assertTrue(d.reason().contains(reasonPart), () -> "reason was: " + d.reason());
  }

  @Nested
  class Averages {
    @Test
    void avgOfANotNullColumnIsTheViewsSumOverItsCountStar() {
      assertRewrite(BOTH, "SELECT deptno, avg(salary) AS average FROM emps GROUP BY deptno", "public.by_dept",
          "SELECT \"deptno\", \"s\" / \"c\" AS \"average\" FROM \"public\".\"by_dept\"");
    }

    @Test
    void avgUnderAFunctionWithOrderByAndLimit() {
      assertRewrite(BOTH, "SELECT deptno, round(avg(salary), 2) AS average FROM emps GROUP BY deptno"
              + " ORDER BY average DESC, deptno LIMIT 3", "public.by_dept",
          "SELECT \"deptno\", ROUND(\"s\" / \"c\", 2) AS \"average\" FROM \"public\".\"by_dept\""
              + " ORDER BY 2 DESC, \"deptno\" LIMIT 3");
    }

    @Test
    void rolledUpAvgDividesTheSumOfSumsByTheSumOfCounts() {
      assertRewrite(FINE, "SELECT deptno, count(*) AS n, avg(salary) AS average FROM emps GROUP BY deptno",
          "public.by_dept_commission",
          "SELECT \"deptno\", CAST(COALESCE(SUM(\"c\"), 0) AS BIGINT) AS \"n\", SUM(\"s\")"
              + " / CAST(COALESCE(SUM(\"c\"), 0) AS BIGINT) AS \"average\" FROM \"public\".\"by_dept_commission\""
              + " GROUP BY \"deptno\"");
    }

    @Test
    void avgOfANullableIntegerUsesItsNonNullCountAndANumericSum() {
      assertRewrite(FINE, "SELECT avg(grade) AS g FROM emps WHERE deptno = 3", "public.by_dept_commission",
          // the rolled-up sum of int2 sums is cast back to bigint, as PostgreSQL types sum(int2), then made numeric
          "SELECT CAST(CAST(SUM(\"grades\") AS BIGINT) AS DECIMAL(19, 0))"
              + " / CAST(COALESCE(SUM(\"graded\"), 0) AS BIGINT) AS \"g\" FROM \"public\".\"by_dept_commission\" WHERE \"deptno\" = 3");
    }

    @Test
    void avgInHaving() {
      // Calcite types the literal as the average, numeric(1000, 500): the same number in PostgreSQL.
      assertRewrite(BOTH, "SELECT deptno FROM emps GROUP BY deptno HAVING avg(salary) > 5000", "public.by_dept",
          "SELECT \"deptno\" FROM (SELECT \"deptno\", \"s\" / \"c\" AS \"$f1\" FROM \"public\".\"by_dept\") AS \"t\""
              + " WHERE \"$f1\" > 5000." + "0".repeat(500));
    }

    @Test
    void avgOfAColumnTheViewOnlyCountsPassesThrough() {
      assertPassThrough(QueryRewriter.create(CATALOG, List.of(new ViewDefinition("public.graded_by_dept", "public",
              "graded_by_dept", "SELECT deptno, count(grade) AS graded FROM emps GROUP BY deptno",
              List.of("deptno", "graded")))),
          "SELECT avg(grade) FROM emps", "does not compute SUM");
    }

    @Test
    void avgOfAFloatPassesThrough() {
      // PostgreSQL's float AVG also sums squares and fails when they overflow: not a plain division.
      assertPassThrough(BOTH, "SELECT deptno, avg(bonus) FROM emps GROUP BY deptno", "does not compute AVG");
    }

    @Test
    void avgOfANullableColumnNeedsItsNonNullCount() {
      // The view sums commissions only as a group key; and count(*) is not the count of non-null grades.
      assertPassThrough(QueryRewriter.create(CATALOG, List.of(new ViewDefinition("public.grades_by_dept", "public",
              "grades_by_dept", "SELECT deptno, count(*) AS c, sum(grade) AS s FROM emps GROUP BY deptno",
              List.of("deptno", "c", "s")))),
          "SELECT deptno, avg(grade) FROM emps GROUP BY deptno", "does not compute COUNT");
    }

    @Test
    void distinctAvgPassesThrough() {
      assertPassThrough(BOTH, "SELECT deptno, avg(DISTINCT salary) FROM emps GROUP BY deptno",
          "does not compute AVG DISTINCT");
    }
  }
  @Nested
  class CastsOnAggregates {
    @Test
    void aNumericTypmodOnTheViewsSumIsTheSameCoercion() {
      assertRewrite(BOTH, "SELECT deptno, sum(salary)::numeric(14,2) AS total FROM emps GROUP BY deptno",
          "public.by_dept", "SELECT \"deptno\", CAST(\"s\" AS DECIMAL(14, 2)) AS \"total\" FROM \"public\".\"by_dept\"");
    }

    @Test
    void aNumericTypmodOnARolledUpSum() {
      assertRewrite(FINE, "SELECT CAST(sum(salary) AS numeric(18, 1)) AS total FROM emps", "public.by_dept_commission",
          "SELECT CAST(SUM(\"s\") AS DECIMAL(18, 1)) AS \"total\" FROM \"public\".\"by_dept_commission\"");
    }

    @Test
    void aNumericTypmodOnAnAverage() {
      assertRewrite(BOTH, "SELECT deptno, avg(salary)::numeric(12,3) AS a FROM emps GROUP BY deptno",
          "public.by_dept",
          "SELECT \"deptno\", CAST(\"s\" / \"c\" AS DECIMAL(12, 3)) AS \"a\" FROM \"public\".\"by_dept\"");
    }

    @Test
    void castsThatMayNotMeanTheSamePassThrough() {
      // text would print as varchar; a cast of a bigint sum or of a constrained numeric is not the query's typmod
      assertPassThrough(BOTH, "SELECT deptno, sum(salary)::text AS t FROM emps GROUP BY deptno",
          "may not mean the same");
      assertPassThrough(FINE, "SELECT deptno, sum(grade)::numeric(5,1) AS g FROM emps GROUP BY deptno",
          "may not mean the same");
      assertPassThrough(BOTH, "SELECT deptno, max(salary)::numeric(8,1) AS m FROM emps GROUP BY deptno",
          "may not mean the same");
    }
  }
  @Nested
  class CtesAndDerivedTables {
    @Test
    void aggregatesOverACteTheViewAnswers() {
      assertRewrite(BOTH, "WITH d AS (SELECT deptno, sum(salary) AS s FROM emps GROUP BY deptno)"
              + " SELECT max(s) AS biggest, min(s) AS smallest, count(*) AS n FROM d", "public.by_dept",
          "SELECT MAX(\"s\") AS \"biggest\", MIN(\"s\") AS \"smallest\", COUNT(*) AS \"n\""
              + " FROM \"public\".\"by_dept\"");
    }

    @Test
    void aDerivedTableJoinedToADimension() {
      assertRewrite(BOTH, "SELECT d.name, a.c FROM (SELECT deptno, count(*) AS c FROM emps GROUP BY deptno) a"
              + " JOIN depts d ON d.deptno = a.deptno", "public.by_dept",
          "SELECT \"depts\".\"name\", \"t\".\"c\" FROM (SELECT \"deptno\", \"c\" FROM \"public\".\"by_dept\")"
              + " AS \"t\" INNER JOIN \"public\".\"depts\" ON \"t\".\"deptno\" = \"depts\".\"deptno\"");
    }

    @Test
    void aStarOverADerivedTableKeepsItsLabels() {
      assertRewrite(BOTH, "SELECT * FROM (SELECT deptno, count(*) FROM emps GROUP BY deptno) t", "public.by_dept",
          "SELECT \"deptno\", \"c\" AS \"count\" FROM \"public\".\"by_dept\"");
      assertPassThrough(BOTH, "SELECT * FROM (SELECT deptno, count(*) FROM emps GROUP BY deptno) t(a, b)",
          "unsure of column labels");
    }

    @Test
    void aCteNoViewAnswersPassesThrough() {
      assertPassThrough(BOTH, "WITH d AS (SELECT name, sum(salary) AS s FROM emps GROUP BY name)"
              + " SELECT max(s) FROM d", "answers no CTE or derived table");
    }
  }
  @Nested
  class SumsOfGroupKeys {
    @Test
    void aSumOfAGroupKeyWeighsEachViewRowByItsCount() {
      assertRewrite(FINE, "SELECT deptno, sum(commission) AS total FROM emps GROUP BY deptno",
          "public.by_dept_commission", "SELECT \"deptno\", CAST(SUM(\"commission\" * \"c\") AS BIGINT) AS \"total\""
              + " FROM \"public\".\"by_dept_commission\" GROUP BY \"deptno\"");
    }

    @Test
    void anAverageOfAGroupKeyDividesByItsNonNullCount() {
      assertRewrite(FINE, "SELECT avg(commission) AS a FROM emps WHERE deptno IN (1, 2)", "public.by_dept_commission",
          "SELECT CAST(CAST(SUM(\"commission\" * \"c\") AS BIGINT) AS DECIMAL(19, 0))"
              + " / CAST(COALESCE(SUM(\"with_commission\"), 0) AS BIGINT) AS \"a\""
              + " FROM \"public\".\"by_dept_commission\" WHERE \"deptno\" = 1 OR \"deptno\" = 2");
    }

    @Test
    void withoutTheViewsRowCountASumOfAGroupKeyPassesThrough() {
      assertPassThrough(QueryRewriter.create(CATALOG, List.of(new ViewDefinition("public.salaries_by_commission",
              "public", "salaries_by_commission",
              "SELECT deptno, commission, sum(salary) AS s FROM emps GROUP BY deptno, commission",
              List.of("deptno", "commission", "s")))),
          "SELECT deptno, sum(commission) FROM emps GROUP BY deptno", "does not compute SUM");
    }
  }
}
