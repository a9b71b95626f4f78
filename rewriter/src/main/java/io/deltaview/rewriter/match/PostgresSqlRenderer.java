package io.deltaview.rewriter.match;

import java.util.ArrayList;
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
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlDialect;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.SqlOrderBy;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.util.SqlString;
import org.apache.calcite.sql.validate.SqlValidatorUtil;
import org.apache.calcite.util.Litmus;

/** Turns a rewritten plan into PostgreSQL SQL whose result columns carry the original query's labels. */
final class PostgresSqlRenderer {
  private static final SqlDialect DIALECT = PgDialect.INSTANCE;

  private PostgresSqlRenderer() {}

  /** A plan this renderer cannot write so that PostgreSQL reads it as meant: the rewrite is refused. */
  static final class Unwritable extends RuntimeException {
    Unwritable(String message) {
      super(message, null, false, false);
    }
  }

  /** Rendered SQL plus the JDBC parameter indexes in the order their {@code ?} appear in the text. */
  record Rendered(String sql, List<Integer> parameterOrder, boolean orderedAtTop) {}

  /**
   * Renders {@code plan} with {@code labels}, which may repeat ({@code SELECT e.name, d.name}): the plan is
   * rendered with them made unique, then the select list gets the labels themselves. ORDER BY names columns as
   * PostgreSQL reads them ({@link #orderByAsPostgresReadsIt}).
   *
   * @throws Unwritable when an ORDER BY item cannot be written so that PostgreSQL reads it as meant
   */
  static Rendered render(RelNode plan, List<String> labels) {
    List<String> unique = uniqueLabels(labels);
    RelNode labelled = withLabels(mergeProjections(plan), unique);
    SqlNode node = new RelToSqlConverter(DIALECT).visitRoot(labelled).asStatement();
    if (node instanceof SqlSelect select && isStar(select.getSelectList())) {
      // Spell the columns out: "*" would silently follow future changes of the result table.
      List<SqlNode> columns = unique.stream()
          .map(l -> (SqlNode) new SqlIdentifier(l, SqlParserPos.ZERO)).toList();
      select.setSelectList(new SqlNodeList(columns, SqlParserPos.ZERO));
    }
    if (node instanceof SqlSelect select) {
      if (!unique.equals(labels)) {
        relabel(select, unique, labels);
      }
      orderByAsPostgresReadsIt(select, labels);
    } else if (!unique.equals(labels)) {
      throw new Unwritable("repeated labels " + labels + " outside a single SELECT");
    }
    SqlString sql = PgDialect.toSql(node);
    List<Integer> order = sql.getDynamicParameters() == null ? List.of() : sql.getDynamicParameters();
    boolean ordered = node instanceof SqlOrderBy
        || (node instanceof SqlSelect select && select.getOrderList() != null
            && select.getOrderList().size() > 0);
    return new Rendered(sql.getSql().replace('\n', ' ').trim(), order, ordered);
  }

  /** {@code labels} made unique ({@code name}, {@code name0}), as a plan's field names must be. */
  private static List<String> uniqueLabels(List<String> labels) {
    return SqlValidatorUtil.uniquify(labels, SqlValidatorUtil.EXPR_SUGGESTER, true);
  }

  /** Gives {@code select}'s columns the (repeating) {@code labels} instead of {@code unique}. */
  private static void relabel(SqlSelect select, List<String> unique, List<String> labels) {
    List<SqlNode> items = new ArrayList<>(select.getSelectList().getList());
    if (items.size() != labels.size()) {
      throw new Unwritable("select list " + items + " for labels " + labels);
    }
    for (int i = 0; i < items.size(); i++) {
      if (!unique.get(i).equals(labels.get(i))) {
        items.set(i, SqlStdOperatorTable.AS.createCall(SqlParserPos.ZERO, expression(items.get(i)),
            new SqlIdentifier(labels.get(i), SqlParserPos.ZERO)));
      }
    }
    select.setSelectList(new SqlNodeList(items, SqlParserPos.ZERO));
  }

  /**
   * Calcite writes ORDER BY with the sorted expressions, columns of the FROM clause; PostgreSQL reads a bare
   * name there as an output column's label first. So a name that is also the label of an output column it does
   * not mean ({@code SELECT dept_name AS name, name AS ename ... ORDER BY name}), or of several, is written as
   * the ordinal of the output column that is its expression; with none such, the rewrite is refused.
   */
  private static void orderByAsPostgresReadsIt(SqlSelect select, List<String> labels) {
    if (select.getOrderList() == null || select.getOrderList().size() == 0) {
      return;
    }
    List<SqlNode> expressions = select.getSelectList().getList().stream().map(PostgresSqlRenderer::expression)
        .toList();
    if (expressions.size() != labels.size()) {
      throw new Unwritable("select list " + expressions + " for labels " + labels);
    }
    List<SqlNode> order = new ArrayList<>();
    for (SqlNode item : select.getOrderList()) {
      order.add(unambiguous(item, labels, expressions));
    }
    select.setOrderBy(new SqlNodeList(order, SqlParserPos.ZERO));
  }

  private static SqlNode unambiguous(SqlNode item, List<String> labels, List<SqlNode> expressions) {
    if (item.getKind() == SqlKind.DESCENDING || item.getKind() == SqlKind.NULLS_FIRST
        || item.getKind() == SqlKind.NULLS_LAST) {
      SqlCall call = (SqlCall) item;
      return call.getOperator().createCall(SqlParserPos.ZERO, unambiguous(call.operand(0), labels, expressions));
    }
    if (!(item instanceof SqlIdentifier id && id.isSimple())) {
      return item; // PostgreSQL reads the names inside an expression as columns of the FROM clause
    }
    int labelled = labels.indexOf(id.getSimple());
    if (labelled < 0) {
      return item;
    }
    int meant = -1;
    for (int i = 0; i < expressions.size() && meant < 0; i++) {
      if (expressions.get(i).equalsDeep(item, Litmus.IGNORE)) {
        meant = i;
      }
    }
    if (meant == labelled && labels.lastIndexOf(id.getSimple()) == labelled) {
      return item;
    }
    if (meant < 0) {
      throw new Unwritable("ORDER BY " + item + " would be read as the output column "
          + id.getSimple());
    }
    return SqlLiteral.createExactNumeric(String.valueOf(meant + 1), SqlParserPos.ZERO);
  }

  private static SqlNode expression(SqlNode selectItem) {
    return selectItem.getKind() == SqlKind.AS ? ((SqlCall) selectItem).operand(0) : selectItem;
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
