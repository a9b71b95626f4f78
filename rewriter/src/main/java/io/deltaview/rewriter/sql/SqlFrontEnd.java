package io.deltaview.rewriter.sql;

import io.deltaview.sql.SqlStates;
import io.deltaview.rewriter.schema.CatalogSchema;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.calcite.avatica.util.Casing;
import org.apache.calcite.config.CalciteConnectionConfig;
import org.apache.calcite.config.CalciteConnectionConfigImpl;
import org.apache.calcite.config.CalciteConnectionProperty;
import org.apache.calcite.config.NullCollation;
import org.apache.calcite.jdbc.CalciteSchema;
import org.apache.calcite.jdbc.JavaTypeFactoryImpl;
import org.apache.calcite.plan.RelOptCluster;
import org.apache.calcite.plan.hep.HepPlanner;
import org.apache.calcite.plan.hep.HepProgram;
import org.apache.calcite.prepare.CalciteCatalogReader;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.runtime.CalciteContextException;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperatorTable;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.parser.SqlParseException;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.parser.babel.SqlBabelParserImpl;
import org.apache.calcite.sql.util.SqlOperatorTables;
import org.apache.calcite.sql.validate.SqlConformanceEnum;
import org.apache.calcite.sql.validate.SqlNameMatchers;
import org.apache.calcite.sql.validate.SqlValidator;
import org.apache.calcite.sql.validate.SqlValidatorUtil;
import org.apache.calcite.sql2rel.SqlToRelConverter;

/**
 * Parses PostgreSQL-flavoured SQL with Calcite's Babel parser, validates it against a {@link CatalogSchema}
 * and converts it to relational algebra. Shared by the rewriter and by the engine's view compiler.
 *
 * <p>Instances are immutable and thread-safe; every call builds its own validator and converter.
 */
public final class SqlFrontEnd {

  /**
   * PostgreSQL's identifier rules: unquoted identifiers fold to lower case, quoted ones stay as written,
   * matching is case-sensitive. Babel conformance accepts {@code ::}, {@code ILIKE}, {@code LIMIT}.
   */
  public static final SqlParser.Config PARSER_CONFIG = SqlParser.config()
      .withParserFactory(SqlBabelParserImpl.FACTORY)
      .withConformance(SqlConformanceEnum.BABEL)
      .withUnquotedCasing(Casing.TO_LOWER)
      .withQuotedCasing(Casing.UNCHANGED)
      .withCaseSensitive(true);

  private static final SqlOperatorTable OPERATORS = SqlOperatorTables.chain(
      PgFunctions.TABLE,
      SqlStdOperatorTable.instance(),
      PgFunctions.POSTGRESQL_LIBRARY);

  private static final CalciteConnectionConfig CONNECTION_CONFIG = connectionConfig();

  private final CatalogSchema catalog;
  private final CalciteSchema root;
  private final RelDataTypeFactory typeFactory;
  private final boolean forViews;

  public SqlFrontEnd(CatalogSchema catalog) {
    this(catalog, false);
  }

  /**
   * The front end the view compiler plans definitions with. It differs where PostgreSQL's numeric would need a
   * type rendered SQL cannot spell: a VALUES column of numbers written with different scales ({@code VALUES (1),
   * (2.5)}), which PostgreSQL types as numeric keeping each value as written, is planned as expressions that keep
   * them so, where the other front end refuses it; and where branches meet (set operations, CASE, COALESCE,
   * GREATEST/LEAST) numerics of different types have PostgreSQL's common type, plain numeric, which keeps each
   * value's scale ({@link NumericCommonType}). Only the compiler evaluates these plans, while plans of the other
   * front end may be rendered back to PostgreSQL.
   */
  public static SqlFrontEnd forViews(CatalogSchema catalog) {
    return new SqlFrontEnd(catalog, true);
  }

  private SqlFrontEnd(CatalogSchema catalog, boolean forViews) {
    this.forViews = forViews;
    this.catalog = catalog;
    this.root = CatalogCalciteSchema.rootOf(catalog);
    this.typeFactory = new JavaTypeFactoryImpl(PgTypeSystem.INSTANCE) {
      /**
       * Text is Unicode, as in a UTF-8 database: with Calcite's default ISO-8859-1, a literal holding other
       * characters could not be converted, and an escape string ({@code E'…'}, which stored definitions use
       * for literals with a backslash) parsed as UTF-16 could not be compared with a text column.
       */
      @Override
      public java.nio.charset.Charset getDefaultCharset() {
        return java.nio.charset.StandardCharsets.UTF_16LE;
      }

      /**
       * For views, PostgreSQL's common type of numerics where branches meet (set operations, CASE, COALESCE,
       * GREATEST/LEAST, comparisons): {@link NumericCommonType}. Calcite's own would make {@code numeric(p, s)}
       * next to an integer {@code numeric(p', s)} and cast the integers to scale s ({@code 2.00} where
       * PostgreSQL keeps {@code 2}). Only for views: the other front end's plans may be rendered back to SQL,
       * where a cast to the unconstrained type would print as {@code numeric(1000,500)}.
       */
      @Override
      public org.apache.calcite.rel.type.RelDataType leastRestrictive(
          List<org.apache.calcite.rel.type.RelDataType> types) {
        org.apache.calcite.rel.type.RelDataType common = super.leastRestrictive(types);
        return forViews ? NumericCommonType.of(this, types, common) : common;
      }
    };
  }

  public CatalogSchema catalog() {
    return catalog;
  }

  public RelDataTypeFactory typeFactory() {
    return typeFactory;
  }

  /**
   * Parses one statement of any kind; syntax errors become SQLState 42601. PostgreSQL's {@code ::} casts
   * are turned into {@code CAST} first, because Babel gives {@code ::} the wrong precedence, and its interval
   * literals ({@code INTERVAL '1 day'}) into the standard form ({@link PgIntervalLiterals}), a view's {@code
   * SELECT} without columns into one with a constant column ({@link NoColumns}), {@code SELECT DISTINCT ON (…)}
   * into columns that {@link #toRel} makes a window of ({@link DistinctOn}), and labels that are
   * keywords to Calcite ({@code AS values}) into quoted identifiers ({@link KeywordLabels}).
   */
  public SqlNode parse(String sql) throws SQLException {
    try {
      SqlNode node = SqlParser.create(InfixCasts.rewrite(PgIntervalLiterals.rewrite(DistinctOn.rewrite(
              KeywordLabels.rewrite(noColumns(withoutLeadingHint(withoutTrailingSemicolon(sql))))), forViews)),
              PARSER_CONFIG)
          .parseStmt();
      return node.accept(new PgFunctions.PgCallShuttle(forViews));
    } catch (SqlParseException e) {
      throw new SQLException("syntax error: " + firstLine(e.getMessage()), SqlStates.SYNTAX_ERROR, e);
    } catch (PgFunctions.UnsupportedTypeException e) {
      throw new SQLException(e.getMessage(), SqlStates.FEATURE_NOT_SUPPORTED, e);
    } catch (GenerateSeries.InvalidSeriesException e) {
      throw new SQLException(e.getMessage(), SqlStates.INVALID_PARAMETER_VALUE, e);
    }
  }

  /**
   * A view's SELECTs without columns made parseable ({@link NoColumns}). A query with one is not answered from
   * views ({@code 0A000}): it is rare, and a view's result table could not stand in for it column by column.
   */
  private String noColumns(String sql) throws SQLException {
    String rewritten = NoColumns.rewrite(sql);
    if (!forViews && rewritten != sql) {
      throw new SQLException("SELECT without columns is not answered from incremental views",
          SqlStates.FEATURE_NOT_SUPPORTED);
    }
    return rewritten;
  }

  /**
   * Whether {@code parsed} (from {@link #parse}) is a {@code SELECT DISTINCT ON}: its DISTINCT ON expressions are
   * select-list columns until {@link #toRel} plans them, so a consumer of the parse tree itself must know.
   */
  public static boolean isDistinctOn(SqlNode parsed) {
    SqlNode query = parsed instanceof org.apache.calcite.sql.SqlOrderBy o ? o.query : parsed;
    if (query instanceof org.apache.calcite.sql.SqlSelect select) {
      for (SqlNode item : select.getSelectList()) {
        if (item.getKind() == SqlKind.AS
            && ((org.apache.calcite.sql.SqlCall) item).operand(1).toString().startsWith(DistinctOn.COLUMN)) {
          return true;
        }
      }
    }
    return false;
  }

  /** Parses, validates and converts a query. See {@link #toRel(SqlNode)}. */
  public RelRoot toRel(String sql) throws SQLException {
    return toRel(parse(sql));
  }

  /**
   * Validates a freshly parsed query (the node is rewritten in place by validation, so do not reuse it)
   * and converts it with {@code expand=true}: IN/EXISTS subqueries become joins and aggregates, and after
   * decorrelation the tree holds only plain logical operators (project, filter, join, aggregate, scan,
   * sort, union, values). Unknown tables give 42P01, unknown columns 42703, anything else 42000.
   */
  public RelRoot toRel(SqlNode parsed) throws SQLException {
    return toRel(parsed, true);
  }

  /**
   * Parses, validates and converts a query leaving its subqueries in the plan (as {@code RexSubQuery}) for a
   * consumer that decorrelates them itself, after moving WHERE conditions into the joins below them: Calcite's
   * decorrelation at conversion time builds the outer rows' value generator from the FROM list before WHERE
   * applies, a cross product of every table of a comma join (TPC-H Q21).
   */
  public RelRoot toRelWithSubQueries(String sql) throws SQLException {
    return toRel(parse(sql), false);
  }

  private RelRoot toRel(SqlNode parsed, boolean expandSubQueries) throws SQLException {
    if (!parsed.isA(SqlKind.QUERY)) {
      throw new SQLException("not a query: " + parsed.getKind(), SqlStates.FEATURE_NOT_SUPPORTED);
    }
    SqlValidator validator = newValidator();
    SqlNode validated;
    try {
      validated = validator.validate(parsed);
    } catch (CalciteContextException e) {
      throw validationError(e);
    } catch (RuntimeException e) {
      throw new SQLException("cannot validate query: " + firstLine(String.valueOf(e.getMessage())),
          SqlStates.SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION, e);
    }
    try {
      RelOptCluster cluster = RelOptCluster.create(
          new HepPlanner(HepProgram.builder().build()),
          forViews ? new NumericCommonType.ViewRexBuilder(typeFactory) : new RexBuilder(typeFactory));
      SqlToRelConverter converter = new SqlToRelConverter(
          (rowType, queryString, schemaPath, viewPath) -> {
            throw new UnsupportedOperationException("views are not expanded");
          },
          validator, newCatalogReader(), cluster, PgArithmetic.CONVERTLETS,
          SqlToRelConverter.config().withExpand(expandSubQueries).withTrimUnusedFields(false)
              // Keep IN lists as predicates; the default turns 20+ values into a join with VALUES.
              .withInSubQueryThreshold(Integer.MAX_VALUE));
      RelRoot relRoot = converter.convertQuery(validated, false, true);
      relRoot = expandSubQueries ? relRoot.withRel(converter.decorrelate(validated, relRoot.rel)) : relRoot;
      return NoColumns.plan(DistinctOn.plan(relRoot));
    } catch (RuntimeException e) {
      throw new SQLException("cannot convert query: " + firstLine(String.valueOf(e.getMessage())),
          SqlStates.SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION, e);
    }
  }

  private SqlValidator newValidator() {
    return SqlValidatorUtil.newValidator(OPERATORS, newCatalogReader(), typeFactory,
        SqlValidator.Config.DEFAULT
            .withConformance(PgConformance.INSTANCE)
            .withIdentifierExpansion(true)
            // PostgreSQL sorts NULLs as larger than any value.
            .withDefaultNullCollation(NullCollation.HIGH));
  }

  /** Resolves unqualified names through every schema of the search path, then as fully qualified. */
  private CalciteCatalogReader newCatalogReader() {
    List<List<String>> paths = new ArrayList<>();
    for (String s : catalog.searchPath()) {
      paths.add(List.of(s));
    }
    paths.add(List.of());
    return new SearchPathCatalogReader(root, paths, typeFactory);
  }

  private static final class SearchPathCatalogReader extends CalciteCatalogReader {
    SearchPathCatalogReader(CalciteSchema root, List<List<String>> paths, RelDataTypeFactory typeFactory) {
      super(root, SqlNameMatchers.withCaseSensitive(true), paths, typeFactory, CONNECTION_CONFIG);
    }
  }

  private static final Pattern OBJECT_NOT_FOUND =
      Pattern.compile("^(Object|Table) '([^']*)' not found.*");
  private static final Pattern FUNCTION_NOT_FOUND =
      Pattern.compile("^No match found for function signature (.*)$");
  private static final Pattern COLUMN_NOT_FOUND =
      Pattern.compile("^Column '([^']*)' not found.*|^Unknown identifier '([^']*)'.*");

  private static SQLException validationError(CalciteContextException e) {
    String message = e.getCause() != null ? e.getCause().getMessage() : e.getMessage();
    String where = " (line " + e.getPosLine() + ", column " + e.getPosColumn() + ")";
    Matcher table = OBJECT_NOT_FOUND.matcher(message);
    if (table.matches()) {
      return new SQLException("relation \"" + table.group(2) + "\" does not exist" + where,
          SqlStates.UNDEFINED_TABLE, e);
    }
    Matcher function = FUNCTION_NOT_FOUND.matcher(message);
    if (function.matches()) {
      // A user-defined function (possibly volatile) or a built-in one Deltaview does not evaluate: either way
      // Deltaview cannot compute it, so a view over it cannot be kept equal to its query.
      return new SQLException("function " + function.group(1) + " is not supported: Deltaview evaluates view"
          + " expressions itself and knows only PostgreSQL's built-in deterministic functions" + where,
          SqlStates.FEATURE_NOT_SUPPORTED, e);
    }
    Matcher column = COLUMN_NOT_FOUND.matcher(message);
    if (column.matches()) {
      String name = column.group(1) != null ? column.group(1) : column.group(2);
      return new SQLException("column \"" + name + "\" does not exist" + where,
          SqlStates.UNDEFINED_COLUMN, e);
    }
    if (message.startsWith("RANGE clause cannot be used with compound ORDER BY clause")) {
      // Calcite refuses it only with an offset, as PostgreSQL does
      return new SQLException("RANGE with offset PRECEDING/FOLLOWING requires exactly one ORDER BY column" + where,
          SqlStates.WINDOWING_ERROR, e);
    }
    return new SQLException(message + where, SqlStates.SYNTAX_ERROR_OR_ACCESS_RULE_VIOLATION, e);
  }

  /**
   * A hint comment before the statement ({@code /*+ incremental *&#47; SELECT ...}, Deltaview's opt-in mark)
   * is a plain comment to PostgreSQL, but Calcite accepts hints only after {@code SELECT}: blank it out. One
   * right after the first {@code SELECT} is blanked out too: Calcite's hint grammar has no nested arguments
   * ({@code incremental(consistency=bounded(500))}), and nothing here reads hints. Blanks keep error positions.
   */
  private static String withoutLeadingHint(String sql) {
    int i = skipSpace(sql, 0);
    String s = sql;
    if (s.startsWith("/*+", i)) {
      int end = s.indexOf("*/", i + 3);
      if (end < 0) {
        return s;
      }
      s = " ".repeat(end + 2) + s.substring(end + 2);
      i = skipSpace(s, end + 2);
    }
    if (!s.regionMatches(true, i, "select", 0, 6)) {
      return s;
    }
    int hint = skipSpace(s, i + 6);
    if (!s.startsWith("/*+", hint)) {
      return s;
    }
    int end = s.indexOf("*/", hint + 3);
    return end < 0 ? s : s.substring(0, hint) + " ".repeat(end + 2 - hint) + s.substring(end + 2);
  }

  private static int skipSpace(String s, int i) {
    while (i < s.length() && Character.isWhitespace(s.charAt(i))) {
      i++;
    }
    return i;
  }

  /** One statement may end in {@code ;}, as psql users tend to write it. */
  private static String withoutTrailingSemicolon(String sql) {
    String s = sql.stripTrailing();
    return s.endsWith(";") ? s.substring(0, s.length() - 1) : sql;
  }

  private static String firstLine(String s) {
    int nl = s.indexOf('\n');
    return nl < 0 ? s : s.substring(0, nl);
  }

  private static CalciteConnectionConfig connectionConfig() {
    Properties p = new Properties();
    p.setProperty(CalciteConnectionProperty.CASE_SENSITIVE.camelName(), "true");
    return new CalciteConnectionConfigImpl(p);
  }
}
