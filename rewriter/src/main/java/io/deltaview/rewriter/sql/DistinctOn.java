package io.deltaview.rewriter.sql;

import io.deltaview.rewriter.sql.PgLexer.Kind;
import io.deltaview.rewriter.sql.PgLexer.Token;
import io.deltaview.sql.SqlStates;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.apache.calcite.rel.RelCollations;
import org.apache.calcite.rel.RelFieldCollation;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.core.RelFactories;
import org.apache.calcite.rel.core.Sort;
import org.apache.calcite.rel.logical.LogicalProject;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.tools.RelBuilder;
import org.apache.calcite.util.ImmutableBitSet;

/**
 * PostgreSQL's {@code SELECT DISTINCT ON (expressions) … ORDER BY …}, which Calcite's parser does not know, as
 * the equivalent {@code ROW_NUMBER() OVER (PARTITION BY expressions ORDER BY …) = 1}: the first row of each
 * group in the ORDER BY's order. Two steps: before parsing, {@link #rewrite} moves the expressions into the
 * select list as columns named {@code $distinct_on_<n>} (so that the validator resolves them in the query's
 * scope, and a position or output column name in them means the select-list item, as in PostgreSQL); after
 * conversion, {@link #plan} replaces those columns by the window and its filter, below the ORDER BY's sort.
 *
 * <p>The result must be PostgreSQL's whatever row it happens to meet first: the rows a group's first place ties
 * between must be alike in every selected column. So the DISTINCT ON and ORDER BY expressions must include a
 * unique key of the rows (such as the primary key), or every selected column; anything else is refused with
 * {@code 0A000} rather than maintained as one of PostgreSQL's possible answers. Only the outermost SELECT may
 * use it (not a subquery, a CTE or a branch of a set operation).
 */
final class DistinctOn {

  private DistinctOn() {
  }

  static final String COLUMN = "$distinct_on_";

  /** Words that end a select list (also where it is empty: {@link NoColumns}). */
  static final Set<String> AFTER_SELECT_LIST = Set.of("from", "where", "group", "having", "window", "order",
      "limit", "offset", "fetch", "union", "intersect", "except", "for");

  /** {@code sql} with its DISTINCT ON expressions moved into the select list; {@code sql} itself if it has none. */
  static String rewrite(String sql) throws SQLException {
    if (!sql.toLowerCase(Locale.ROOT).contains("distinct")) {
      return sql;
    }
    List<Token> tokens = PgLexer.tokens(sql);
    int at = -1;
    int depth = 0;
    boolean setOperation = false;
    for (int i = 0; i < tokens.size(); i++) {
      Token t = tokens.get(i);
      depth += t.isPunctuation('(') ? 1 : t.isPunctuation(')') ? -1 : 0;
      setOperation |= depth == 0 && (t.isWord("UNION") || t.isWord("INTERSECT") || t.isWord("EXCEPT"));
      if (t.isWord("DISTINCT") && i + 2 < tokens.size() && tokens.get(i + 1).isWord("ON")
          && tokens.get(i + 2).isPunctuation('(')) {
        if (at >= 0 || depth != 0) {
          throw unsupported("SELECT DISTINCT ON in a subquery or a CTE (only the outermost SELECT may use it)");
        }
        at = i;
      }
    }
    if (at < 0) {
      return sql;
    }
    if (setOperation) {
      throw unsupported("SELECT DISTINCT ON in a UNION, INTERSECT or EXCEPT");
    }
    int close = closing(tokens, at + 2);
    List<List<Token>> expressions = split(tokens, at + 3, close);
    int listEnd = close + 1;
    for (depth = 0; listEnd < tokens.size(); listEnd++) {
      Token t = tokens.get(listEnd);
      depth += t.isPunctuation('(') ? 1 : t.isPunctuation(')') ? -1 : 0;
      if (depth == 0 && t.kind() == Kind.WORD && AFTER_SELECT_LIST.contains(t.text().toLowerCase(Locale.ROOT))) {
        break;
      }
    }
    List<List<Token>> items = split(tokens, close + 1, listEnd);
    StringBuilder columns = new StringBuilder();
    for (int k = 0; k < expressions.size(); k++) {
      columns.append(", (").append(resolve(sql, expressions.get(k), items)).append(") AS \"").append(COLUMN)
          .append(k + 1).append('"');
    }
    int insert = listEnd < tokens.size() ? tokens.get(listEnd).start() : sql.length();
    return sql.substring(0, tokens.get(at).start()) + sql.substring(end(tokens.get(close)), insert).stripTrailing()
        + columns + " " + sql.substring(insert);
  }

  /**
   * A DISTINCT ON expression's text, in the FROM clause's terms: a position or the name of an output column (an
   * item {@code … AS name}) stands for that select-list item, as PostgreSQL reads it.
   */
  private static String resolve(String sql, List<Token> expression, List<List<Token>> items) throws SQLException {
    if (expression.size() == 1 && expression.get(0).kind() == Kind.NUMBER
        && expression.get(0).text().matches("\\d+")) {
      int n = Integer.parseInt(expression.get(0).text());
      if (n < 1 || n > items.size()) {
        throw new SQLException("SELECT DISTINCT ON position " + n + " is not in select list",
            SqlStates.INVALID_COLUMN_REFERENCE);
      }
      List<Token> item = withoutAlias(items.get(n - 1));
      if (item.get(item.size() - 1).isPunctuation('*') || item.get(item.size() - 1).text().equals("*")) {
        throw unsupported("SELECT DISTINCT ON a position of a * item");
      }
      return text(sql, item);
    }
    if (expression.size() == 1 && (expression.get(0).kind() == Kind.WORD
        || expression.get(0).kind() == Kind.QUOTED_IDENTIFIER)) {
      String name = name(expression.get(0));
      for (List<Token> item : items) {
        int n = item.size();
        if (n > 2 && item.get(n - 2).isWord("AS") && name(item.get(n - 1)).equals(name)) {
          return text(sql, item.subList(0, n - 2));
        }
      }
    }
    return text(sql, expression);
  }

  private static List<Token> withoutAlias(List<Token> item) {
    int n = item.size();
    return n > 2 && item.get(n - 2).isWord("AS") ? item.subList(0, n - 2) : item;
  }

  private static String name(Token t) {
    return t.kind() == Kind.QUOTED_IDENTIFIER ? t.value() : t.text().toLowerCase(Locale.ROOT);
  }

  private static int closing(List<Token> tokens, int open) throws SQLException {
    int depth = 0;
    for (int i = open; i < tokens.size(); i++) {
      depth += tokens.get(i).isPunctuation('(') ? 1 : tokens.get(i).isPunctuation(')') ? -1 : 0;
      if (depth == 0) {
        return i;
      }
    }
    throw new SQLException("syntax error: unbalanced parentheses after DISTINCT ON", SqlStates.SYNTAX_ERROR);
  }

  /** The tokens from {@code from} to {@code to} (exclusive), split at commas outside parentheses. */
  private static List<List<Token>> split(List<Token> tokens, int from, int to) throws SQLException {
    List<List<Token>> parts = new ArrayList<>();
    int depth = 0;
    int start = from;
    for (int i = from; i <= to; i++) {
      Token t = i < to ? tokens.get(i) : null;
      if (t == null || depth == 0 && t.isPunctuation(',')) {
        if (i == start) {
          throw new SQLException("syntax error: an empty item in SELECT DISTINCT ON", SqlStates.SYNTAX_ERROR);
        }
        parts.add(tokens.subList(start, i));
        start = i + 1;
      } else {
        depth += t.isPunctuation('(') || t.isPunctuation('[') ? 1 : t.isPunctuation(')') || t.isPunctuation(']')
            ? -1 : 0;
      }
    }
    return parts;
  }

  private static String text(String sql, List<Token> tokens) {
    return sql.substring(tokens.get(0).start(), end(tokens.get(tokens.size() - 1)));
  }

  private static int end(Token t) {
    return t.start() + t.text().length();
  }

  private static SQLException unsupported(String construct) {
    return new SQLException("Deltaview cannot maintain this view yet: incremental views do not support " + construct,
        SqlStates.FEATURE_NOT_SUPPORTED);
  }

  /**
   * {@code root} with its {@code $distinct_on_<n>} columns replaced by {@code ROW_NUMBER() OVER (PARTITION BY them
   * ORDER BY the query's ORDER BY) = 1} below the sort; {@code root} itself if it has no such column.
   *
   * @throws SQLException {@code 42P10} if the DISTINCT ON expressions do not match the initial ORDER BY
   *     expressions (PostgreSQL's rule), {@code 0A000} if the row kept per group is not determined
   */
  static RelRoot plan(RelRoot root) throws SQLException {
    List<Integer> marked = new ArrayList<>();
    for (Map.Entry<Integer, String> f : root.fields) {
      if (f.getValue().startsWith(COLUMN)) {
        marked.add(f.getKey());
      }
    }
    if (marked.isEmpty()) {
      return root;
    }
    Sort sort = root.rel instanceof Sort s ? s : null;
    RelNode input = sort != null ? sort.getInput() : root.rel;
    List<RelFieldCollation> order = sort != null ? sort.getCollation().getFieldCollations() : List.of();
    // PostgreSQL: the ORDER BY items that are DISTINCT ON expressions come first; then, if the ORDER BY goes on,
    // every DISTINCT ON expression must have been among them.
    List<Integer> partition = new ArrayList<>();
    List<RexNode> distinct = new ArrayList<>();
    for (int d : marked) {
      distinct.add(expression(input, d));
    }
    boolean skipped = false;
    for (RelFieldCollation c : order) {
      int found = distinct.indexOf(expression(input, c.getFieldIndex()));
      if (found >= 0) {
        if (skipped) {
          throw mismatch();
        }
        if (!partition.contains(c.getFieldIndex())) {
          partition.add(c.getFieldIndex());
        }
      } else {
        skipped = true;
      }
    }
    List<RexNode> ordered = new ArrayList<>();
    for (RelFieldCollation c : order) {
      ordered.add(expression(input, c.getFieldIndex()));
    }
    for (int k = 0; k < marked.size(); k++) {
      if (!ordered.contains(distinct.get(k))) {
        if (skipped) {
          throw mismatch();
        }
        // the same expression as a column of its own (a selected column), or the marked column
        int column = marked.get(k);
        for (int i = 0; i < input.getRowType().getFieldCount(); i++) {
          if (!marked.contains(i) && expression(input, i).equals(distinct.get(k))) {
            column = i;
            break;
          }
        }
        if (!partition.contains(column)) {
          partition.add(column);
        }
      }
    }
    // The columns kept: all but the marked ones the window does not partition by.
    List<Integer> kept = new ArrayList<>();
    for (int i = 0; i < input.getRowType().getFieldCount(); i++) {
      if (!marked.contains(i) || partition.contains(i)) {
        kept.add(i);
      }
    }
    ImmutableBitSet keys = ImmutableBitSet.of(partition).union(ImmutableBitSet.of(
        order.stream().map(RelFieldCollation::getFieldIndex).toList()));
    List<RexNode> keyExpressions = keys.asList().stream().map(i -> expression(input, i)).toList();
    boolean coversSelected = true;
    for (Map.Entry<Integer, String> f : root.fields) {
      coversSelected &= f.getValue().startsWith(COLUMN) || keyExpressions.contains(expression(input, f.getKey()));
    }
    if (!coversSelected && !Boolean.TRUE.equals(input.getCluster().getMetadataQuery().areColumnsUnique(input, keys))) {
      throw unsupported("SELECT DISTINCT ON whose ORDER BY does not decide the row kept (PostgreSQL keeps an"
          + " arbitrary one of a group's rows that tie on the DISTINCT ON and ORDER BY expressions; end the ORDER BY"
          + " with a unique key such as the primary key)");
    }
    RelBuilder b = RelFactories.LOGICAL_BUILDER.create(input.getCluster(), null).transform(c -> c.withBloat(-1));
    b.push(input);
    // the window reads the kept columns only: every column it sees must be decided by its keys
    b.project(kept.stream().map(b::field).toList(), kept.stream()
        .map(i -> input.getRowType().getFieldList().get(i).getName()).toList(), true);
    List<RexNode> orderKeys = new ArrayList<>();
    for (RelFieldCollation c : order) {
      RexNode key = b.field(kept.indexOf(c.getFieldIndex()));
      key = c.direction.isDescending() ? b.desc(key) : key;
      key = c.nullDirection == RelFieldCollation.NullDirection.FIRST ? b.nullsFirst(key) : b.nullsLast(key);
      orderKeys.add(key);
    }
    RexNode rowNumber = b.aggregateCall(SqlStdOperatorTable.ROW_NUMBER).over()
        .partitionBy(partition.stream().map(i -> (RexNode) b.field(kept.indexOf(i))).toList()).orderBy(orderKeys)
        .toRex();
    b.projectPlus(rowNumber);
    b.filter(b.equals(b.field(kept.size()), b.literal(1)));
    b.project(b.fields().subList(0, kept.size()));
    RelNode rel = b.build();
    List<Map.Entry<Integer, String>> fields = new ArrayList<>();
    for (Map.Entry<Integer, String> f : root.fields) {
      if (!f.getValue().startsWith(COLUMN)) {
        fields.add(Map.entry(kept.indexOf(f.getKey()), f.getValue()));
      }
    }
    org.apache.calcite.rel.RelCollation collation = root.collation;
    if (sort != null) { // the ORDER BY, and its LIMIT and OFFSET, apply to the rows kept
      List<RelFieldCollation> moved = new ArrayList<>();
      for (RelFieldCollation c : order) {
        moved.add(c.withFieldIndex(kept.indexOf(c.getFieldIndex())));
      }
      collation = RelCollations.of(moved);
      rel = sort.copy(sort.getTraitSet().replace(collation), rel, collation, sort.offset, sort.fetch);
    }
    List<RelDataTypeField> validated = new ArrayList<>();
    for (RelDataTypeField f : root.validatedRowType.getFieldList()) {
      if (!f.getName().startsWith(COLUMN)) {
        validated.add(f);
      }
    }
    return new RelRoot(rel, input.getCluster().getTypeFactory().createStructType(validated), root.kind, fields,
        collation, root.hints);
  }

  /** Column {@code i} of {@code input} as an expression of its input when it is a projection, to compare. */
  private static RexNode expression(RelNode input, int i) {
    return input instanceof LogicalProject p ? p.getProjects().get(i)
        : input.getCluster().getRexBuilder().makeInputRef(input, i);
  }

  private static SQLException mismatch() {
    return new SQLException("SELECT DISTINCT ON expressions must match initial ORDER BY expressions",
        SqlStates.INVALID_COLUMN_REFERENCE);
  }
}
