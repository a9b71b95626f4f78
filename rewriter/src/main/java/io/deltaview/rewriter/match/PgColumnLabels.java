package io.deltaview.rewriter.match;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlJoin;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOrderBy;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.SqlSyntax;
import org.apache.calcite.sql.SqlWith;

/**
 * The column labels PostgreSQL gives a query's result, worked out from the parse tree the way PostgreSQL's
 * {@code FigureColname} does: an explicit alias, else a column's name, else a function's name, else
 * {@code ?column?}. Where we are not certain what PostgreSQL prints, the answer is "unknown" and the query
 * is not rewritten.
 */
final class PgColumnLabels {
  private PgColumnLabels() {}

  /** Functions whose label is their (lower-case) name in every supported PostgreSQL version. */
  private static final Set<String> NAMED_FUNCTIONS = Set.of("count", "sum", "min", "max", "avg",
      "date_trunc", "coalesce", "upper", "lower", "length", "abs", "round", "trunc", "floor", "ceil",
      "nullif", "greatest", "least", "concat", "substr", "replace", "bool_and", "bool_or", "every",
      "string_agg", "array_agg");

  /** Operators PostgreSQL labels {@code ?column?}. */
  private static final Set<SqlKind> UNNAMED_OPERATORS = Set.of(SqlKind.PLUS, SqlKind.MINUS, SqlKind.TIMES,
      SqlKind.DIVIDE, SqlKind.MOD, SqlKind.MINUS_PREFIX, SqlKind.EQUALS, SqlKind.NOT_EQUALS,
      SqlKind.LESS_THAN, SqlKind.GREATER_THAN, SqlKind.LESS_THAN_OR_EQUAL, SqlKind.GREATER_THAN_OR_EQUAL,
      SqlKind.AND, SqlKind.OR, SqlKind.NOT, SqlKind.OTHER);

  /** Labels, or a reason why they are unknown. A {@code null} label stands for a star expansion. */
  record Labels(List<String> labels, boolean star, String unknownReason) {
    /** Final labels given the validated row type (needed only to expand {@code SELECT *}). */
    List<String> resolve(RelDataType validatedRowType) {
      return star ? validatedRowType.getFieldNames() : labels;
    }
  }

  static Labels of(SqlNode parsed) {
    SqlNode query = parsed instanceof SqlOrderBy orderBy ? orderBy.query : parsed;
    boolean withClause = false;
    if (query instanceof SqlWith with) {
      // The labels are the body's; a star there would show the names Calcite gave the CTE's columns.
      withClause = true;
      query = with.body instanceof SqlOrderBy orderBy ? orderBy.query : with.body;
    }
    while (query.getKind() == SqlKind.UNION || query.getKind() == SqlKind.INTERSECT
        || query.getKind() == SqlKind.EXCEPT) {
      query = ((SqlCall) query).operand(0); // PostgreSQL takes a set operation's labels from its first arm
    }
    if (!(query instanceof SqlSelect select)) {
      return unknown("not a simple SELECT");
    }
    List<String> labels = new ArrayList<>();
    List<SqlNode> items = select.getSelectList().getList();
    for (SqlNode item : items) {
      if (item instanceof SqlIdentifier id && id.isStar()) {
        // Only "SELECT * FROM one_table": then labels are the table's column names, in order.
        if (withClause || items.size() != 1 || select.getFrom() == null || select.getFrom() instanceof SqlJoin
            || !(select.getFrom() instanceof SqlIdentifier || select.getFrom().getKind() == SqlKind.AS)) {
          return unknown("* over several tables or mixed with other items");
        }
        SqlNode from = select.getFrom().getKind() == SqlKind.AS ? ((SqlCall) select.getFrom()).operand(0)
            : select.getFrom();
        if (from.isA(SqlKind.QUERY)) {
          // "SELECT * FROM (subquery) t": the subquery's labels (Calcite names unlabelled columns EXPR$n).
          return ((SqlCall) select.getFrom()).operandCount() == 2 ? of(from)
              : unknown("* over a derived table with a column list");
        }
        return new Labels(List.of(), true, null);
      }
      String label = labelOf(item);
      if (label == null) {
        return unknown("cannot be sure which label PostgreSQL gives " + item);
      }
      labels.add(label);
    }
    return new Labels(List.copyOf(labels), false, null);
  }

  private static Labels unknown(String reason) {
    return new Labels(List.of(), false, reason);
  }

  private static String labelOf(SqlNode item) {
    if (item.getKind() == SqlKind.AS) {
      return ((SqlIdentifier) ((SqlCall) item).operand(1)).getSimple();
    }
    if (item instanceof SqlIdentifier id) {
      return id.names.get(id.names.size() - 1);
    }
    if (item instanceof SqlLiteral) {
      return "?column?";
    }
    if (!(item instanceof SqlCall call)) {
      return null;
    }
    if (call.getKind() == SqlKind.CAST) {
      // PostgreSQL keeps the operand's name when it has a strong one (column or function name).
      SqlNode operand = call.operand(0);
      return operand instanceof SqlIdentifier || isNamedFunction(operand) ? labelOf(operand) : null;
    }
    if (isNamedFunction(call)) {
      return call.getOperator().getName().toLowerCase(Locale.ROOT);
    }
    if (call instanceof SqlBasicCall && UNNAMED_OPERATORS.contains(call.getKind())
        && call.getOperator().getSyntax() != SqlSyntax.FUNCTION
        && (call.getKind() != SqlKind.OTHER || call.getOperator().getName().equals("||"))) {
      return "?column?";
    }
    return null;
  }

  private static boolean isNamedFunction(SqlNode node) {
    if (!(node instanceof SqlCall call)) {
      return false;
    }
    SqlSyntax syntax = call.getOperator().getSyntax();
    return (syntax == SqlSyntax.FUNCTION || syntax == SqlSyntax.FUNCTION_STAR)
        && NAMED_FUNCTIONS.contains(call.getOperator().getName().toLowerCase(Locale.ROOT));
  }
}
