package io.deltaview.flink;

import io.deltaview.engine.sink.ResultColumn;
import io.deltaview.flink.FlinkTypes.FlinkType;
import io.deltaview.flink.job.JobSpec;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.schema.ColumnInfo;
import io.deltaview.rewriter.schema.TableInfo;
import io.deltaview.sql.SqlStates;
import java.math.BigDecimal;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Join;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.util.DateString;
import org.apache.calcite.util.NlsString;
import io.deltaview.sql.SqlIdentifiers;

/**
 * Translates a view's logical plan into a Flink job: a Flink CDC {@code postgres-cdc} source per table scan, the
 * query in Flink SQL rendered from the plan (never from the view's text), and a JDBC upsert sink into the result
 * table. Only what Flink computes exactly as PostgreSQL does is translated — filters, projections of columns, inner
 * and outer joins (conditions kept in their ON), GROUP BY of columns that cannot be NULL with COUNT, SUM (widened as
 * PostgreSQL widens it) MIN and MAX of numbers and dates; anything else is refused with {@code 0A000} naming the
 * construct and why, never translated into a different answer.
 *
 * <p>Every relation is rendered as a subquery whose columns are called {@code c0, c1, …}, so no name from the view
 * reaches Flink SQL except as a quoted identifier or string literal.
 */
final class FlinkSqlTranslator {

  /** Names PostgreSQL and both connectors read the same way without quotes (they splice names unquoted). */
  private static final Pattern PLAIN_NAME = Pattern.compile("[a-z_][a-z0-9_]*");

  /** Where the job reads and writes: the database as the Flink JVM reaches it, and the job's replication names. */
  record Target(String host, int port, String database, String user, String slotPrefix, String publication) {
  }

  /** The view's result table: its name, its columns as PostgreSQL created them, and its primary key (positions). */
  record ResultTable(String schema, String name, List<ResultColumn> columns, int[] key) {
  }

  private final CatalogSchema catalog;
  private final Target target;
  private final RexBuilder rexBuilder;
  private final List<JobSpec.Table> sources = new ArrayList<>();

  private FlinkSqlTranslator(CatalogSchema catalog, Target target, RexBuilder rexBuilder) {
    this.catalog = catalog;
    this.target = target;
    this.rexBuilder = rexBuilder;
  }

  /**
   * The job maintaining {@code root} (a plan from the view front end over {@code catalog}) into {@code result}.
   *
   * @throws SQLException {@code 0A000} naming what a Flink job cannot compute as PostgreSQL does
   */
  static JobSpec translate(RelRoot root, CatalogSchema catalog, ResultTable result, Target target,
      Map<String, String> flinkConfig) throws SQLException {
    FlinkSqlTranslator t = new FlinkSqlTranslator(catalog, target, root.rel.getCluster().getRexBuilder());
    Rendered body = t.render(root.rel);
    List<Integer> fields = new ArrayList<>();
    root.fields.forEach(f -> fields.add(f.getKey()));
    if (fields.size() != result.columns().size()) {
      throw new SQLException("Deltaview internal error: the plan has " + fields.size() + " columns, the result table "
          + result.columns().size(), SqlStates.INTERNAL_ERROR);
    }
    checkPlainName("schema", result.schema());
    checkPlainName("result table", result.name());
    List<JobSpec.Column> sinkColumns = new ArrayList<>();
    StringBuilder select = new StringBuilder("INSERT INTO ").append(JobSpec.quoteFlink(SINK)).append("\nSELECT ");
    for (int i = 0; i < fields.size(); i++) {
      ResultColumn column = result.columns().get(i);
      checkPlainName("column", column.name());
      if (body.unreadable().get(fields.get(i)) != null) {
        throw unsupported("reading " + body.unreadable().get(fields.get(i)));
      }
      FlinkType type = body.types().get(fields.get(i));
      if (type == null || !FlinkTypes.holds(column.pgType(), type)) {
        throw unsupported("column " + column.name() + " of type " + column.pgType() + " would be computed by Flink as "
            + (type == null ? "a type it cannot hold" : type.sql()) + ", not as PostgreSQL computes it");
      }
      boolean key = false;
      for (int k : result.key()) {
        key |= k == i;
      }
      sinkColumns.add(new JobSpec.Column(column.name(), type.sql() + (key ? " NOT NULL" : "")));
      select.append(i == 0 ? "" : ", ").append("t.c").append(fields.get(i));
    }
    select.append("\nFROM (").append(body.sql()).append(") AS t");
    List<String> sinkKey = new ArrayList<>();
    for (int k : result.key()) {
      sinkKey.add(result.columns().get(k).name());
    }
    if (sinkKey.isEmpty()) {
      throw unsupported("a view without a key (a GROUP BY of columns that cannot be NULL): Flink's JDBC sink can"
          + " only write a changing result by its primary key");
    }
    for (int k : result.key()) {
      if (root.rel.getRowType().getFieldList().get(fields.get(k)).getType().isNullable()) {
        throw unsupported("key column " + result.columns().get(k).name() + ", which may be NULL (nullable in its"
            + " table, or from the NULL-extended side of an outer join): Flink's JDBC sink writes a changing result"
            + " by its primary key, whose columns cannot be NULL");
      }
    }
    Map<String, String> sinkOptions = new LinkedHashMap<>();
    sinkOptions.put("url", "jdbc:postgresql://" + target.host() + ":" + target.port() + "/"
        + URLEncoder.encode(target.database(), StandardCharsets.UTF_8).replace("+", "%20"));
    sinkOptions.put("table-name", result.schema() + "." + result.name());
    sinkOptions.put("username", target.user());
    sinkOptions.put("sink.buffer-flush.interval", "200ms");
    sinkOptions.put("sink.buffer-flush.max-rows", "500");
    sinkOptions.put("sink.max-retries", "5");
    JobSpec.Table sink = new JobSpec.Table(SINK, "jdbc", sinkColumns, sinkKey, sinkOptions);
    // named after the view's replication name, unique per database, schema and view: how a job on a Flink cluster
    // is found again (RestFlinkRunner)
    return new JobSpec(jobName(target.publication(), result.schema(), result.name()), t.sources, sink,
        select.toString(),
        flinkConfig);
  }

  private static final String SINK = "result_table";

  /** The name of view {@code schema.name}'s Flink job: its replication name first, unique per database. */
  static String jobName(String replicationName, String schema, String name) {
    return "deltaview " + replicationName + " " + schema + "." + name;
  }

  /** A relation in Flink SQL: a query whose columns are {@code c0, c1, …} with these types (null: unreadable). */
  private record Rendered(String sql, List<FlinkType> types, List<String> unreadable) {
  }

  private Rendered render(RelNode node) throws SQLException {
    if (node instanceof TableScan scan) {
      return scan(scan);
    }
    if (node instanceof Filter filter) {
      Rendered in = render(filter.getInput());
      Expr condition = expr(filter.getCondition(), in, "t");
      return new Rendered("SELECT * FROM (" + in.sql() + ") AS t WHERE " + condition.sql(), in.types(),
          in.unreadable());
    }
    if (node instanceof Project project) {
      Rendered in = render(project.getInput());
      StringBuilder sql = new StringBuilder("SELECT ");
      List<FlinkType> types = new ArrayList<>();
      List<String> unreadable = new ArrayList<>();
      List<RexNode> exprs = project.getProjects();
      for (int i = 0; i < exprs.size(); i++) {
        RexNode rex = exprs.get(i);
        if (rex instanceof RexInputRef ref && in.unreadable().get(ref.getIndex()) != null) {
          // handed on unread (Calcite projects every column where it computes a join key below a join): refused
          // only where something reads it
          sql.append(i == 0 ? "" : ", ").append("t.c").append(ref.getIndex()).append(" AS c").append(i);
          types.add(null);
          unreadable.add(in.unreadable().get(ref.getIndex()));
          continue;
        }
        Expr e = expr(rex, in, "t");
        sql.append(i == 0 ? "" : ", ").append(e.sql()).append(" AS c").append(i);
        types.add(e.type());
        unreadable.add(null);
      }
      sql.append(" FROM (").append(in.sql()).append(") AS t");
      return new Rendered(sql.toString(), types, unreadable);
    }
    if (node instanceof Join join) {
      return join(join);
    }
    if (node instanceof Aggregate aggregate) {
      return aggregate(aggregate);
    }
    throw unsupported(describe(node) + " (Flink-maintained views translate filters, projections, joins and"
        + " GROUP BY only)");
  }

  private static String describe(RelNode node) {
    String kind = node.getRelTypeName().replaceFirst("^Logical", "");
    return switch (kind) {
      case "Sort" -> "ORDER BY / LIMIT";
      case "Union" -> "UNION";
      case "Intersect" -> "INTERSECT";
      case "Minus" -> "EXCEPT";
      case "Values" -> "VALUES";
      case "Window" -> "window functions";
      case "Correlate" -> "correlated subqueries";
      default -> kind;
    };
  }

  private static List<String> nulls(int n) {
    List<String> l = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      l.add(null);
    }
    return l;
  }

  private Rendered scan(TableScan scan) throws SQLException {
    List<String> name = scan.getTable().getQualifiedName();
    String schema = name.get(name.size() - 2);
    String table = name.get(name.size() - 1);
    TableInfo info = catalog.table(schema, table).orElseThrow(() -> new SQLException(
        "Deltaview internal error: planned table " + name + " is not in the catalog", SqlStates.INTERNAL_ERROR));
    checkPlainName("schema", schema);
    checkPlainName("table", table);
    if (info.primaryKey().isEmpty()) {
      throw new SQLException("table " + schema + "." + table + " has no primary key, which Flink CDC's incremental"
          + " snapshot needs to read it (add one to maintain this view on Flink)",
          SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
    String flinkName = "source_" + sources.size();
    List<JobSpec.Column> columns = new ArrayList<>();
    List<FlinkType> types = new ArrayList<>();
    List<String> unreadable = new ArrayList<>();
    StringBuilder sql = new StringBuilder("SELECT ");
    int i = 0;
    for (ColumnInfo c : info.columns()) {
      FlinkType type = FlinkTypes.ofColumn(c.type().sqlName());
      boolean inKey = info.primaryKey().contains(c.name());
      sql.append(i == 0 ? "" : ", ");
      if (type == null || c.generated()) {
        if (inKey) {
          throw unsupported("primary key column " + c.name() + " of " + schema + "." + table + " of type "
              + c.type().sqlName() + ", which Flink cannot carry exactly");
        }
        // never declared to Flink; a reference to it is refused by expr()
        sql.append("CAST(NULL AS BOOLEAN)");
        types.add(null);
        unreadable.add(c.generated() ? "generated column " + c.name() + " (PostgreSQL does not replicate it)"
            : "column " + c.name() + " of type " + c.type().sqlName() + " (Flink cannot carry its values exactly)");
      } else {
        checkPlainName("column", c.name());
        columns.add(new JobSpec.Column(c.name(), type.sql() + (c.nullable() && !inKey ? "" : " NOT NULL")));
        sql.append(JobSpec.quoteFlink(c.name()));
        types.add(type);
        unreadable.add(null);
      }
      sql.append(" AS c").append(i++);
    }
    sql.append(" FROM ").append(JobSpec.quoteFlink(flinkName));
    Map<String, String> options = new LinkedHashMap<>();
    options.put("hostname", target.host());
    options.put("port", Integer.toString(target.port()));
    options.put("username", target.user());
    options.put("database-name", target.database());
    options.put("schema-name", schema);
    options.put("table-name", table);
    options.put("slot.name", target.slotPrefix() + "_" + sources.size());
    options.put("decoding.plugin.name", "pgoutput");
    options.put("scan.incremental.snapshot.enabled", "true");
    options.put("scan.startup.mode", "initial");
    options.put("changelog-mode", "all");
    options.put("debezium.publication.name", target.publication());
    options.put("debezium.publication.autocreate.mode", "disabled");
    sources.add(new JobSpec.Table(flinkName, "postgres-cdc", columns, info.primaryKey(), options));
    return new Rendered(sql.toString(), types, unreadable);
  }

  /**
   * An inner or outer join, its whole condition kept in its {@code ON}: in an outer join a condition is not a
   * filter (a row of the preserved side that fails it is still returned, NULL-extended), and Flink SQL, like
   * PostgreSQL, evaluates {@code ON} as part of the join, so the condition is never split or moved. Flink's
   * streaming join retracts a NULL-extended row when its first partner arrives and emits it again when the last
   * one goes, so the result at rest is the one PostgreSQL returns; the columns of the NULL-extended side are
   * nullable in Calcite's row type, which {@link #translate} checks before using one as the result's key.
   */
  private Rendered join(Join join) throws SQLException {
    String keyword = switch (join.getJoinType()) {
      case INNER -> "JOIN";
      case LEFT -> "LEFT JOIN";
      case RIGHT -> "RIGHT JOIN";
      case FULL -> "FULL JOIN";
      default -> throw unsupported(join.getJoinType() + " join (a subquery Calcite planned as a semi- or anti-join)");
    };
    Rendered left = render(join.getLeft());
    Rendered right = render(join.getRight());
    List<FlinkType> types = new ArrayList<>(left.types());
    types.addAll(right.types());
    List<String> unreadable = new ArrayList<>(left.unreadable());
    unreadable.addAll(right.unreadable());
    Rendered both = new Rendered(null, types, unreadable);
    StringBuilder sql = new StringBuilder("SELECT ");
    int n = left.types().size();
    for (int i = 0; i < types.size(); i++) {
      sql.append(i == 0 ? "" : ", ").append(i < n ? "l.c" + i : "r.c" + (i - n)).append(" AS c").append(i);
    }
    Expr condition = expr(join.getCondition(), both, null, n);
    sql.append(" FROM (").append(left.sql()).append(") AS l ").append(keyword).append(" (").append(right.sql())
        .append(") AS r ON ")
        .append(condition.sql());
    return new Rendered(sql.toString(), types, unreadable);
  }

  private Rendered aggregate(Aggregate aggregate) throws SQLException {
    if (aggregate.getGroupType() != Aggregate.Group.SIMPLE) {
      throw unsupported("GROUPING SETS, ROLLUP and CUBE");
    }
    Rendered in = render(aggregate.getInput());
    if (aggregate.getGroupSet().isEmpty()) {
      throw unsupported("an aggregate without GROUP BY (PostgreSQL keeps its one row when the input is empty, a"
          + " Flink job deletes it)");
    }
    StringBuilder sql = new StringBuilder("SELECT ");
    List<FlinkType> types = new ArrayList<>();
    StringBuilder groupBy = new StringBuilder();
    for (int g : aggregate.getGroupSet()) {
      Expr e = ref(g, in, "t", -1);
      int i = types.size();
      sql.append(i == 0 ? "" : ", ").append(e.sql()).append(" AS c").append(i);
      groupBy.append(i == 0 ? "" : ", ").append(e.sql());
      types.add(e.type());
    }
    for (AggregateCall call : aggregate.getAggCallList()) {
      Expr e = aggregateCall(call, in);
      sql.append(", ").append(e.sql()).append(" AS c").append(types.size());
      types.add(e.type());
    }
    sql.append(" FROM (").append(in.sql()).append(") AS t GROUP BY ").append(groupBy);
    return new Rendered(sql.toString(), types, nulls(types.size()));
  }

  private Expr aggregateCall(AggregateCall call, Rendered in) throws SQLException {
    String name = call.getAggregation().getName();
    if (call.isDistinct() || call.hasFilter() || !call.collation.getFieldCollations().isEmpty()
        || call.isApproximate()) {
      throw unsupported(name + " with DISTINCT, FILTER or ORDER BY");
    }
    SqlKind kind = call.getAggregation().getKind();
    if (kind == SqlKind.COUNT) {
      if (call.getArgList().isEmpty()) {
        return new Expr("COUNT(*)", FlinkType.BIGINT);
      }
      if (call.getArgList().size() != 1) {
        throw unsupported("COUNT of several columns");
      }
      return new Expr("COUNT(" + ref(call.getArgList().get(0), in, "t", -1).sql() + ")", FlinkType.BIGINT);
    }
    if (call.getArgList().size() != 1) {
      throw unsupported(name + " of " + call.getArgList().size() + " arguments");
    }
    Expr arg = ref(call.getArgList().get(0), in, "t", -1);
    FlinkType t = arg.type();
    switch (kind) {
      case SUM:
        // PostgreSQL widens: sum(smallint|integer) is bigint, sum(bigint) numeric; Flink keeps the argument's type
        // (and wraps around on overflow), so the argument is widened first.
        if (t.kind() == FlinkType.Kind.SMALLINT || t.kind() == FlinkType.Kind.INT) {
          return new Expr("SUM(CAST(" + arg.sql() + " AS BIGINT))", FlinkType.BIGINT);
        }
        if (t.kind() == FlinkType.Kind.BIGINT) {
          FlinkType d = FlinkType.decimal(FlinkTypes.MAX_PRECISION, 0);
          return new Expr("SUM(CAST(" + arg.sql() + " AS " + d.sql() + "))", d);
        }
        if (t.kind() == FlinkType.Kind.DECIMAL) {
          return new Expr("SUM(" + arg.sql() + ")", FlinkType.decimal(FlinkTypes.MAX_PRECISION, t.scale()));
        }
        throw unsupported("SUM of " + t.sql());
      case MIN:
      case MAX:
        if (t.isNumeric() || t.kind() == FlinkType.Kind.DATE) {
          return new Expr(kind.name() + "(" + arg.sql() + ")", t);
        }
        throw unsupported(kind.name() + " of " + t.sql() + (t.kind() == FlinkType.Kind.STRING
            ? " (Flink orders text by code point, PostgreSQL by the column's collation)"
            : t.kind() == FlinkType.Kind.BOOLEAN ? " (as Calcite plans EXISTS, NOT EXISTS and NOT IN subqueries)"
            : ""));
      case AVG:
        throw unsupported("AVG (PostgreSQL's numeric average has its own result scale, Flink's differs or truncates"
            + " integers); keep SUM and COUNT in the view and divide when reading");
      default:
        throw unsupported("aggregate " + name);
    }
  }

  /** An expression in Flink SQL and the type Flink gives it. */
  private record Expr(String sql, FlinkType type) {
  }

  private Expr ref(int index, Rendered in, String alias, int leftWidth) throws SQLException {
    String reason = in.unreadable().get(index);
    if (reason != null) {
      throw unsupported("reading " + reason);
    }
    String name = leftWidth < 0 ? alias + ".c" + index
        : index < leftWidth ? "l.c" + index : "r.c" + (index - leftWidth);
    return new Expr(name, in.types().get(index));
  }

  private Expr expr(RexNode rex, Rendered in, String alias) throws SQLException {
    return expr(rex, in, alias, -1);
  }

  /** {@code rex} over {@code in}'s columns: {@code alias.cN}, or for a join ({@code leftWidth >= 0}) l./r. */
  private Expr expr(RexNode rex, Rendered in, String alias, int leftWidth) throws SQLException {
    if (rex instanceof RexInputRef ref) {
      return ref(ref.getIndex(), in, alias, leftWidth);
    }
    if (rex instanceof RexLiteral literal) {
      return literal(literal);
    }
    if (!(rex instanceof RexCall call)) {
      throw unsupported("expression " + rex);
    }
    if (call.getKind() == SqlKind.SEARCH) {
      return expr(RexUtil.expandSearch(rexBuilder, null, call), in, alias, leftWidth);
    }
    switch (call.getKind()) {
      case AND:
      case OR: {
        StringBuilder sql = new StringBuilder("(");
        for (int i = 0; i < call.getOperands().size(); i++) {
          Expr e = expr(call.getOperands().get(i), in, alias, leftWidth);
          requireBoolean(e);
          sql.append(i == 0 ? "" : " " + call.getKind().name() + " ").append(e.sql());
        }
        return new Expr(sql.append(')').toString(), FlinkType.BOOLEAN);
      }
      case NOT: {
        Expr e = expr(call.getOperands().get(0), in, alias, leftWidth);
        requireBoolean(e);
        return new Expr("(NOT " + e.sql() + ")", FlinkType.BOOLEAN);
      }
      case IS_NULL:
      case IS_NOT_NULL: {
        Expr e = expr(call.getOperands().get(0), in, alias, leftWidth);
        return new Expr("(" + e.sql() + (call.getKind() == SqlKind.IS_NULL ? " IS NULL)" : " IS NOT NULL)"),
            FlinkType.BOOLEAN);
      }
      case EQUALS:
      case NOT_EQUALS:
      case LESS_THAN:
      case LESS_THAN_OR_EQUAL:
      case GREATER_THAN:
      case GREATER_THAN_OR_EQUAL:
        return comparison(call, in, alias, leftWidth);
      case CAST:
        return cast(call, in, alias, leftWidth);
      default:
        throw unsupported("operator or function " + call.getOperator().getName()
            + " (not yet translated for Flink-maintained views)");
    }
  }

  private static void requireBoolean(Expr e) throws SQLException {
    if (e.type() == null || e.type().kind() != FlinkType.Kind.BOOLEAN) {
      throw unsupported("a non-boolean operand of AND, OR or NOT");
    }
  }

  private Expr comparison(RexCall call, Rendered in, String alias, int leftWidth) throws SQLException {
    Expr a = expr(call.getOperands().get(0), in, alias, leftWidth);
    Expr b = expr(call.getOperands().get(1), in, alias, leftWidth);
    String op = switch (call.getKind()) {
      case EQUALS -> "=";
      case NOT_EQUALS -> "<>";
      case LESS_THAN -> "<";
      case LESS_THAN_OR_EQUAL -> "<=";
      case GREATER_THAN -> ">";
      default -> ">=";
    };
    FlinkType ta = a.type();
    FlinkType tb = b.type();
    boolean equality = op.equals("=") || op.equals("<>");
    boolean comparable = ta != null && tb != null
        && ((ta.isNumeric() && tb.isNumeric()) || (ta.kind() == tb.kind() && ta.kind() != FlinkType.Kind.STRING
        && ta.kind() != FlinkType.Kind.BOOLEAN) || (ta.kind() == tb.kind() && equality));
    if (!comparable) {
      if (ta != null && tb != null && ta.kind() == FlinkType.Kind.STRING && tb.kind() == FlinkType.Kind.STRING) {
        throw unsupported("ordering comparison " + op + " of text (Flink compares by code point, PostgreSQL by the"
            + " collation)");
      }
      throw unsupported("comparison " + op + " of " + (ta == null ? "?" : ta.sql()) + " and "
          + (tb == null ? "?" : tb.sql()));
    }
    return new Expr("(" + a.sql() + " " + op + " " + b.sql() + ")", FlinkType.BOOLEAN);
  }

  /** Only casts that keep every value: to a wider integer, or to a decimal with room for all its digits. */
  private Expr cast(RexCall call, Rendered in, String alias, int leftWidth) throws SQLException {
    Expr from = expr(call.getOperands().get(0), in, alias, leftWidth);
    FlinkType to = switch (call.getType().getSqlTypeName()) {
      case SMALLINT -> FlinkType.SMALLINT;
      case INTEGER -> FlinkType.INT;
      case BIGINT -> FlinkType.BIGINT;
      case DECIMAL -> call.getType().getPrecision() <= FlinkTypes.MAX_PRECISION
          ? FlinkType.decimal(call.getType().getPrecision(), call.getType().getScale()) : null;
      case DATE -> FlinkType.DATE;
      case BOOLEAN -> FlinkType.BOOLEAN;
      case VARCHAR -> FlinkType.STRING;
      default -> null;
    };
    FlinkType t = from.type();
    if (to != null && t != null && t.equals(to)) {
      return from;
    }
    if (to != null && t != null && to.isNumeric() && t.isNumeric() && to.integerDigits() >= t.integerDigits()
        && to.fractionDigits() >= t.fractionDigits()) {
      return new Expr("CAST(" + from.sql() + " AS " + to.sql() + ")", to);
    }
    if (to != null && t != null && to.kind() == FlinkType.Kind.STRING && t.kind() == FlinkType.Kind.STRING) {
      return new Expr(from.sql(), FlinkType.STRING);
    }
    throw unsupported("a cast from " + (t == null ? "?" : t.sql()) + " to " + call.getType()
        + " (only casts that keep every value are translated for Flink)");
  }

  private static Expr literal(RexLiteral literal) throws SQLException {
    if (literal.isNull()) {
      throw unsupported("a NULL literal");
    }
    switch (literal.getType().getSqlTypeName()) {
      case INTEGER:
      case BIGINT:
      case SMALLINT:
      case DECIMAL: {
        BigDecimal v = literal.getValueAs(BigDecimal.class);
        if (v.scale() <= 0) {
          v = v.setScale(0);
          FlinkType t = v.abs().compareTo(BigDecimal.valueOf(Integer.MAX_VALUE)) <= 0 ? FlinkType.INT
              : v.precision() <= 18 ? FlinkType.BIGINT : FlinkType.decimal(Math.max(v.precision(), 1), 0);
          String text = v.toPlainString();
          return new Expr(t == FlinkType.INT ? "(" + text + ")" : "CAST(" + text + " AS " + t.sql() + ")", t);
        }
        if (v.precision() > FlinkTypes.MAX_PRECISION) {
          throw unsupported("a numeric literal of more than 38 digits");
        }
        FlinkType t = FlinkType.decimal(Math.max(v.precision(), v.scale()), v.scale());
        return new Expr("CAST(" + v.toPlainString() + " AS " + t.sql() + ")", t);
      }
      case CHAR:
      case VARCHAR: {
        NlsString s = literal.getValueAs(NlsString.class);
        return new Expr("CAST(" + JobSpec.flinkLiteral(s.getValue()) + " AS STRING)", FlinkType.STRING);
      }
      case BOOLEAN:
        return new Expr(Boolean.TRUE.equals(literal.getValueAs(Boolean.class)) ? "TRUE" : "FALSE", FlinkType.BOOLEAN);
      case DATE: {
        DateString d = literal.getValueAs(DateString.class);
        return new Expr("DATE " + JobSpec.flinkLiteral(d.toString()), FlinkType.DATE);
      }
      default:
        throw unsupported("a literal of type " + literal.getType());
    }
  }

  static void checkPlainName(String what, String name) throws SQLException {
    if (!PLAIN_NAME.matcher(name).matches()) {
      throw unsupported(what + " name " + SqlIdentifiers.quote(name) + ": Flink's"
          + " connectors write names into their SQL unquoted, so a Flink-maintained view needs lower-case letters,"
          + " digits and underscores only");
    }
  }

  static SQLException unsupported(String what) {
    return new SQLException("Deltaview cannot maintain this view on Flink: " + what, SqlStates.FEATURE_NOT_SUPPORTED);
  }
}
