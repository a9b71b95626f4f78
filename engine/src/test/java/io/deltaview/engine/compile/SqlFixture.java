package io.deltaview.engine.compile;

import java.util.List;
import java.util.function.Function;
import org.apache.calcite.avatica.util.Casing;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.schema.SchemaPlus;
import org.apache.calcite.schema.impl.AbstractTable;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.fun.SqlLibrary;
import org.apache.calcite.sql.fun.SqlLibraryOperatorTableFactory;
import org.apache.calcite.sql.parser.SqlParser;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.tools.FrameworkConfig;
import org.apache.calcite.tools.Frameworks;
import org.apache.calcite.tools.Planner;

/**
 * Test schema and SQL → Calcite logical plan, the way the engine receives plans: unquoted identifiers are
 * lower-cased, tables live in schema {@code public}.
 *
 * <pre>
 * customers(id int pk, region varchar, name varchar)
 * orders(id int, customer_id int, created_at timestamp, status varchar)
 * order_lines(id int, order_id int, qty int, price numeric(10,2))
 * t(i int, b bigint, n numeric(10,2), d double, s varchar, dt date, ts timestamp, si smallint, n3 numeric(12,3))
 * </pre>
 */
public final class SqlFixture {

  /** PostgreSQL's date_trunc(text, timestamp), which stock Calcite lacks (declared here as a parser front end would). */
  static final org.apache.calcite.sql.SqlFunction PG_DATE_TRUNC = new org.apache.calcite.sql.SqlFunction(
      "DATE_TRUNC", org.apache.calcite.sql.SqlKind.OTHER_FUNCTION,
      org.apache.calcite.sql.type.ReturnTypes.ARG1_NULLABLE, null,
      org.apache.calcite.sql.type.OperandTypes.family(org.apache.calcite.sql.type.SqlTypeFamily.CHARACTER,
          org.apache.calcite.sql.type.SqlTypeFamily.DATETIME),
      org.apache.calcite.sql.SqlFunctionCategory.TIMEDATE);

  private SqlFixture() {
  }

  /** A table whose row type is built from the type factory; its first column is its key, as id is. */
  private static final class Table extends AbstractTable {
    private final Function<RelDataTypeFactory, RelDataType> rowType;
    private final boolean keyed;

    Table(Function<RelDataTypeFactory, RelDataType> rowType) {
      this(rowType, true);
    }

    Table(Function<RelDataTypeFactory, RelDataType> rowType, boolean keyed) {
      this.rowType = rowType;
      this.keyed = keyed;
    }

    @Override
    public org.apache.calcite.schema.Statistic getStatistic() {
      return keyed ? org.apache.calcite.schema.Statistics.of(100d,
          List.of(org.apache.calcite.util.ImmutableBitSet.of(0))) : org.apache.calcite.schema.Statistics.UNKNOWN;
    }

    @Override
    public RelDataType getRowType(RelDataTypeFactory typeFactory) {
      return rowType.apply(typeFactory);
    }
  }

  private static RelDataType nullable(RelDataTypeFactory f, SqlTypeName t) {
    return f.createTypeWithNullability(f.createSqlType(t), true);
  }

  private static RelDataType nullable(RelDataTypeFactory f, SqlTypeName t, int p, int s) {
    return f.createTypeWithNullability(f.createSqlType(t, p, s), true);
  }

  private static RelDataType varchar(RelDataTypeFactory f) {
    return f.createTypeWithNullability(f.createSqlType(SqlTypeName.VARCHAR, 100), true);
  }

  private static FrameworkConfig config(boolean postgresTypes) {
    SchemaPlus root = Frameworks.createRootSchema(true);
    SchemaPlus pub = root.add("public", new org.apache.calcite.schema.impl.AbstractSchema());
    pub.add("customers", new Table(f -> f.builder()
        .add("id", f.createSqlType(SqlTypeName.INTEGER))
        .add("region", varchar(f))
        .add("name", varchar(f)).build()));
    pub.add("orders", new Table(f -> f.builder()
        .add("id", f.createSqlType(SqlTypeName.INTEGER))
        .add("customer_id", nullable(f, SqlTypeName.INTEGER))
        .add("created_at", nullable(f, SqlTypeName.TIMESTAMP))
        .add("status", varchar(f)).build()));
    pub.add("order_lines", new Table(f -> f.builder()
        .add("id", f.createSqlType(SqlTypeName.INTEGER))
        .add("order_id", nullable(f, SqlTypeName.INTEGER))
        .add("qty", nullable(f, SqlTypeName.INTEGER))
        .add("price", nullable(f, SqlTypeName.DECIMAL, 10, 2)).build()));
    pub.add("t", new Table(f -> f.builder()
        .add("i", nullable(f, SqlTypeName.INTEGER))
        .add("b", nullable(f, SqlTypeName.BIGINT))
        .add("n", nullable(f, SqlTypeName.DECIMAL, 10, 2))
        .add("d", nullable(f, SqlTypeName.DOUBLE))
        .add("s", varchar(f))
        .add("dt", nullable(f, SqlTypeName.DATE))
        .add("ts", nullable(f, SqlTypeName.TIMESTAMP))
        .add("si", nullable(f, SqlTypeName.SMALLINT))
        .add("n3", nullable(f, SqlTypeName.DECIMAL, 12, 3)).build()));
    return Frameworks.newConfigBuilder()
        .defaultSchema(pub)
        .typeSystem(postgresTypes ? io.deltaview.rewriter.sql.PgTypeSystem.INSTANCE : org.apache.calcite.rel.type.RelDataTypeSystem.DEFAULT)
        .parserConfig(SqlParser.config()
            .withUnquotedCasing(Casing.TO_LOWER)
            .withQuotedCasing(Casing.UNCHANGED)
            .withCaseSensitive(true))
        .operatorTable(org.apache.calcite.sql.util.SqlOperatorTables.chain(
            SqlLibraryOperatorTableFactory.INSTANCE.getOperatorTable(
                List.of(SqlLibrary.STANDARD, SqlLibrary.POSTGRESQL), false),
            org.apache.calcite.sql.util.SqlOperatorTables.of(PG_DATE_TRUNC)))
        .build();
  }

  /** Parses, validates and converts {@code sql} to a logical plan. */
  public static RelNode plan(String sql) {
    return plan(sql, true);
  }

  /**
   * Like {@link #plan(String)}, which uses {@link io.deltaview.rewriter.sql.PgTypeSystem}; with {@code postgresTypes} false,
   * Calcite's default type system (which, e.g., pads CHAR literals of different lengths to a common CHAR(n)).
   */
  public static RelNode plan(String sql, boolean postgresTypes) {
    Planner planner = Frameworks.getPlanner(config(postgresTypes));
    try {
      SqlNode parsed = planner.parse(sql);
      SqlNode validated = planner.validate(parsed);
      return planner.rel(validated).project();
    } catch (Exception e) {
      throw new IllegalArgumentException("cannot plan: " + sql + ": " + e.getMessage(), e);
    }
  }
}
