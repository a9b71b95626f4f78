package io.deltaview.rewriter.match;

import java.util.List;
import java.util.Set;
import org.apache.calcite.plan.hep.HepPlanner;
import org.apache.calcite.plan.hep.HepProgram;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.rules.CoreRules;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.logical.LogicalSort;
import org.apache.calcite.rel.rel2sql.RelToSqlConverter;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.SqlDialect;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.SqlOrderBy;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.util.SqlString;

/** Turns a rewritten plan into PostgreSQL SQL whose result columns carry the original query's labels. */
final class PostgresSqlRenderer {
  private static final SqlDialect DIALECT = PgDialect.INSTANCE;

  private PostgresSqlRenderer() {}

  /** Rendered SQL plus the JDBC parameter indexes in the order their {@code ?} appear in the text. */
  record Rendered(String sql, List<Integer> parameterOrder, boolean orderedAtTop) {}

  static Rendered render(RelNode plan, List<String> labels) {
    RelNode labelled = withLabels(mergeProjections(plan), labels);
    SqlNode node = new RelToSqlConverter(DIALECT).visitRoot(labelled).asStatement();
    if (node instanceof SqlSelect select && isStar(select.getSelectList())) {
      // Spell the columns out: "*" would silently follow future changes of the result table.
      List<SqlNode> columns = labels.stream()
          .map(l -> (SqlNode) new SqlIdentifier(l, SqlParserPos.ZERO)).toList();
      select.setSelectList(new SqlNodeList(columns, SqlParserPos.ZERO));
    }
    SqlString sql = PgDialect.toSql(node);
    List<Integer> order = sql.getDynamicParameters() == null ? List.of() : sql.getDynamicParameters();
    boolean ordered = node instanceof SqlOrderBy
        || (node instanceof SqlSelect select && select.getOrderList() != null
            && select.getOrderList().size() > 0);
    return new Rendered(sql.getSql().replace('\n', ' ').trim(), order, ordered);
  }

  /**
   * Composes stacked projections (ours over the query's) so the converter can write one SELECT instead of
   * nesting subqueries, which also keeps ORDER BY at the outermost level.
   */
  private static RelNode mergeProjections(RelNode plan) {
    HepPlanner planner = new HepPlanner(HepProgram.builder()
        .addRuleInstance(CoreRules.PROJECT_MERGE)
        .addRuleInstance(CoreRules.PROJECT_REMOVE)
        .build());
    planner.setRoot(plan);
    return planner.findBestExp();
  }

  private static boolean isStar(SqlNodeList selectList) {
    return selectList == null || (selectList.size() == 1
        && selectList.get(0) instanceof SqlIdentifier id && id.isStar());
  }

  /**
   * Names the top projection's fields after the labels, so the converter writes {@code AS "label"} and
   * refers to the same names in ORDER BY.
   */
  private static RelNode withLabels(RelNode plan, List<String> labels) {
    if (plan instanceof Sort sort) {
      // Label below the sort: a projection above it would push ORDER BY into a subquery.
      return LogicalSort.create(withLabels(sort.getInput(), labels), sort.getCollation(), sort.offset,
          sort.fetch);
    }
    if (plan instanceof LogicalProject p) {
      return LogicalProject.create(p.getInput(), List.of(), p.getProjects(), labels, Set.of());
    }
    List<RexNode> refs = plan.getCluster().getRexBuilder().identityProjects(plan.getRowType());
    return LogicalProject.create(plan, List.of(), refs, labels, Set.of());
  }
}
