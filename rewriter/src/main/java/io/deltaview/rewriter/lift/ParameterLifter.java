package io.deltaview.rewriter.lift;

import io.deltaview.rewriter.match.PgDialect;
import io.deltaview.rewriter.match.SqlInspection;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import io.deltaview.sql.SqlStates;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlDynamicParam;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNodeList;
import org.apache.calcite.sql.SqlOrderBy;
import org.apache.calcite.sql.SqlSelect;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.util.SqlBasicVisitor;
import org.apache.calcite.util.Litmus;

/**
 * Lifts a query's parameters out of it, so that one view serves every parameter value: each top-level
 * {@code WHERE} conjunct {@code col = ?} (either side, the parameter possibly cast) is removed from the
 * view's {@code WHERE}, and {@code col} becomes a result column (and a group key when the query groups);
 * the rewriter then answers the original query as the filter {@code col = ?} on the view. {@code ORDER BY},
 * {@code LIMIT} and {@code OFFSET} are left out of the view: the rewriter applies them on top.
 *
 * <p>A query whose parameters cannot all be lifted ({@code ?} in the select list, in {@code HAVING}, under
 * an {@code OR}...), that is not one {@code SELECT}, or that uses window functions is refused with SQLState
 * {@code 0A000} and a message naming the reason; a query that does not validate keeps its own error.
 */
public final class ParameterLifter {

  /** Aggregate functions by name: the parser does not resolve most function names, so name is what we have. */
  private static final Set<String> AGGREGATES = Set.of("count", "sum", "avg", "min", "max", "every", "bool_and",
      "bool_or", "string_agg", "array_agg", "stddev", "stddev_pop", "stddev_samp", "variance", "var_pop",
      "var_samp", "bit_and", "bit_or", "json_agg", "jsonb_agg", "percentile_cont", "percentile_disc", "mode");

  private ParameterLifter() {
  }

  /**
   * The view that answers {@code sql} for every value of its parameters.
   *
   * @param frontEnd parses the query and validates the result, with the search_path names resolve with
   * @throws SQLException {@code 0A000} when the query cannot be lifted (the message says why), or the
   *     parser's or validator's error
   */
  public static LiftedView lift(String sql, SqlFrontEnd frontEnd) throws SQLException {
    SqlNode parsed = frontEnd.parse(sql);
    if (SqlFrontEnd.isDistinctOn(parsed)) {
      throw notLiftable("SELECT DISTINCT ON (its ORDER BY decides the rows, and a view keeps no order)");
    }
    SqlNode query = parsed instanceof SqlOrderBy orderBy ? orderBy.query : parsed;
    if (!(query instanceof SqlSelect select)) {
      throw notLiftable(query.isA(SqlKind.QUERY)
          ? query.getKind() + " (only a single SELECT can become a view)"
          : "not a query: " + query.getKind());
    }
    // Applied by the rewriter on top of the view; a view keeps no order.
    select.setOrderBy(null);
    select.setOffset(null);
    select.setFetch(null);
    select.setHints(SqlNodeList.EMPTY);
    if (usesWindowFunction(select)) {
      throw notLiftable("window functions (OVER) cannot be maintained incrementally");
    }

    Map<String, SqlIdentifier> keys = new LinkedHashMap<>();
    List<SqlNode> kept = new ArrayList<>();
    for (SqlNode conjunct : conjuncts(select.getWhere())) {
      SqlIdentifier column = liftableColumn(conjunct);
      if (column != null) {
        keys.putIfAbsent(String.join(".", column.names), column);
      } else {
        kept.add(conjunct);
      }
    }
    select.setWhere(and(kept));
    if (SqlInspection.parameterCount(select) > 0) {
      throw notLiftable("a ? parameter is used outside a top-level WHERE condition of the form column = ?");
    }

    List<String> keyColumns = new ArrayList<>();
    if (!keys.isEmpty()) {
      boolean grouped = (select.getGroup() != null && select.getGroup().size() > 0)
          || usesAggregate(select.getSelectList());
      if (select.getHaving() != null) {
        throw notLiftable("HAVING together with parameters (a view with HAVING answers only its own query)");
      }
      SqlNodeList selectList = select.getSelectList();
      Set<String> labels = labels(selectList);
      List<SqlNode> items = new ArrayList<>(selectList.getList());
      List<SqlNode> groupBy = new ArrayList<>();
      if (select.getGroup() != null) {
        groupBy.addAll(select.getGroup().getList());
      }
      for (SqlIdentifier column : keys.values()) {
        String existing = existingLabel(selectList, column);
        if (existing != null) {
          keyColumns.add(existing);
        } else {
          String label = freeLabel(column.names.get(column.names.size() - 1), labels);
          labels.add(label);
          keyColumns.add(label);
          items.add(SqlStdOperatorTable.AS.createCall(SqlParserPos.ZERO, column,
              new SqlIdentifier(label, SqlParserPos.ZERO)));
        }
        if (grouped && groupBy.stream().noneMatch(g -> g.equalsDeep(column, Litmus.IGNORE))) {
          groupBy.add(column);
        }
      }
      select.setSelectList(new SqlNodeList(items, SqlParserPos.ZERO));
      if (grouped) {
        select.setGroupBy(new SqlNodeList(groupBy, SqlParserPos.ZERO));
      }
    }
    String viewSql = PgDialect.toSql(select).getSql().replace('\n', ' ').trim();
    frontEnd.toRel(viewSql); // must validate as written: the engine will run exactly this text
    return new LiftedView(viewSql, keyColumns);
  }

  private static SQLException notLiftable(String reason) {
    return new SQLException(reason, SqlStates.FEATURE_NOT_SUPPORTED);
  }

  /** The top-level AND operands of {@code where} (none when null). */
  private static List<SqlNode> conjuncts(SqlNode where) {
    List<SqlNode> out = new ArrayList<>();
    if (where == null) {
      return out;
    }
    if (where.getKind() == SqlKind.AND) {
      for (SqlNode operand : ((SqlCall) where).getOperandList()) {
        out.addAll(conjuncts(operand));
      }
    } else {
      out.add(where);
    }
    return out;
  }

  private static SqlNode and(List<SqlNode> conjuncts) {
    if (conjuncts.isEmpty()) {
      return null;
    }
    SqlNode result = conjuncts.get(0);
    for (int i = 1; i < conjuncts.size(); i++) {
      result = SqlStdOperatorTable.AND.createCall(SqlParserPos.ZERO, result, conjuncts.get(i));
    }
    return result;
  }

  /** The column of a conjunct {@code column = ?} or {@code ? = column} (the parameter possibly cast), or null. */
  private static SqlIdentifier liftableColumn(SqlNode conjunct) {
    if (conjunct.getKind() != SqlKind.EQUALS) {
      return null;
    }
    SqlCall eq = (SqlCall) conjunct;
    SqlNode left = eq.operand(0);
    SqlNode right = eq.operand(1);
    if (isParameter(right) && isColumn(left)) {
      return (SqlIdentifier) left;
    }
    if (isParameter(left) && isColumn(right)) {
      return (SqlIdentifier) right;
    }
    return null;
  }

  private static boolean isParameter(SqlNode node) {
    return node instanceof SqlDynamicParam
        || (node.getKind() == SqlKind.CAST && ((SqlCall) node).operand(0) instanceof SqlDynamicParam);
  }

  private static boolean isColumn(SqlNode node) {
    return node instanceof SqlIdentifier id && !id.isStar();
  }

  /** Whether the select list computes an aggregate (outside subqueries), which makes the query grouped. */
  private static boolean usesAggregate(SqlNodeList selectList) {
    boolean[] found = {false};
    selectList.accept(new SqlBasicVisitor<Void>() {
      @Override
      public Void visit(SqlCall call) {
        if (call instanceof SqlSelect) {
          return null;
        }
        if (call.getOperator().isAggregator()
            || AGGREGATES.contains(call.getOperator().getName().toLowerCase(Locale.ROOT))) {
          found[0] = true;
          return null;
        }
        return super.visit(call);
      }
    });
    return found[0];
  }

  private static boolean usesWindowFunction(SqlSelect select) {
    if (select.getWindowList() != null && select.getWindowList().size() > 0) {
      return true;
    }
    boolean[] found = {false};
    select.getSelectList().accept(new SqlBasicVisitor<Void>() {
      @Override
      public Void visit(SqlCall call) {
        if (call.getKind() == SqlKind.OVER) {
          found[0] = true;
          return null;
        }
        return super.visit(call);
      }
    });
    return found[0];
  }

  /**
   * The label under which the select list already outputs {@code column} (the column itself, possibly
   * aliased, or a star that covers it: {@code *}, or {@code t.*} for {@code t.column}), or null when the
   * column must be added.
   */
  private static String existingLabel(SqlNodeList selectList, SqlIdentifier column) {
    String name = column.names.get(column.names.size() - 1);
    for (SqlNode item : selectList) {
      if (item instanceof SqlIdentifier id && id.names.equals(column.names)) {
        return name;
      }
      if (item.getKind() == SqlKind.AS && ((SqlCall) item).operand(0) instanceof SqlIdentifier id
          && id.names.equals(column.names)) {
        return ((SqlIdentifier) ((SqlCall) item).operand(1)).getSimple();
      }
      if (item instanceof SqlIdentifier id && id.isStar()) {
        if (id.names.size() == 1) {
          return name;
        }
        if (column.names.size() == id.names.size()
            && column.names.subList(0, column.names.size() - 1).equals(id.names.subList(0, id.names.size() - 1))) {
          return name;
        }
      }
    }
    return null;
  }

  /**
   * Every name a select-list item may be labelled with: its alias, a column's name, a function's name. An
   * over-approximation of PostgreSQL's labels, enough to keep a key column's label from clashing.
   */
  private static Set<String> labels(SqlNodeList selectList) {
    Set<String> labels = new HashSet<>();
    for (SqlNode item : selectList) {
      if (item.getKind() == SqlKind.AS) {
        labels.add(((SqlIdentifier) ((SqlCall) item).operand(1)).getSimple());
      } else if (item instanceof SqlIdentifier id && !id.isStar()) {
        labels.add(id.names.get(id.names.size() - 1));
      } else if (item instanceof SqlBasicCall call) {
        labels.add(call.getOperator().getName().toLowerCase(Locale.ROOT));
      }
    }
    return labels;
  }

  private static String freeLabel(String name, Set<String> taken) {
    if (!taken.contains(name)) {
      return name;
    }
    String candidate = name + "_key";
    for (int i = 2; taken.contains(candidate); i++) {
      candidate = name + "_key" + i;
    }
    return candidate;
  }
}
