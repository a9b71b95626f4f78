package io.deltaview.rewriter.sql;

import java.util.List;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlFunction;
import org.apache.calcite.sql.SqlFunctionCategory;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlOperatorTable;
import org.apache.calcite.sql.type.OperandTypes;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.sql.util.SqlOperatorTables;
import org.apache.calcite.sql.util.SqlShuttle;

/** PostgreSQL functions whose Calcite counterparts have a different signature. */
final class PgFunctions {
  private PgFunctions() {}

  /**
   * PostgreSQL's {@code date_trunc(text, timestamp[tz])}: returns the type of its second argument
   * ({@code date} arguments are promoted to {@code timestamp with time zone}, as PostgreSQL does).
   * Calcite's own DATE_TRUNC is BigQuery's {@code (date, unit)}, so the parser's call is replaced by this one.
   */
  static final SqlFunction DATE_TRUNC = new SqlFunction("date_trunc", SqlKind.OTHER_FUNCTION,
      opBinding -> {
        RelDataTypeFactory f = opBinding.getTypeFactory();
        RelDataType arg = opBinding.getOperandType(1);
        RelDataType t = arg.getSqlTypeName() == SqlTypeName.DATE
            ? f.createSqlType(SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE) : arg;
        return f.createTypeWithNullability(t,
            arg.isNullable() || opBinding.getOperandType(0).isNullable());
      },
      null,
      OperandTypes.family(SqlTypeFamily.CHARACTER, SqlTypeFamily.DATETIME),
      SqlFunctionCategory.TIMEDATE);

  /**
   * PostgreSQL's volatile/stable niladic functions, declared so that queries using them validate (the
   * rewriter must still see their tables) and flagged non-deterministic so that nobody caches or
   * materialises their value.
   */
  static final List<SqlFunction> VOLATILE_FUNCTIONS = List.of(
      volatileFunction("now", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE),
      volatileFunction("clock_timestamp", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE),
      volatileFunction("statement_timestamp", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE),
      volatileFunction("transaction_timestamp", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE),
      volatileFunction("random", SqlTypeName.DOUBLE));

  static final SqlOperatorTable TABLE = SqlOperatorTables.of(
      java.util.stream.Stream.concat(java.util.stream.Stream.of(DATE_TRUNC), VOLATILE_FUNCTIONS.stream())
          .toList());

  private static SqlFunction volatileFunction(String name, SqlTypeName returnType) {
    return new SqlFunction(name, SqlKind.OTHER_FUNCTION,
        org.apache.calcite.sql.type.ReturnTypes.explicit(returnType), null, OperandTypes.NILADIC,
        SqlFunctionCategory.SYSTEM) {
      @Override
      public boolean isDeterministic() {
        return false;
      }

      @Override
      public boolean isDynamicFunction() {
        return true;
      }
    };
  }

  /** PostgreSQL type names Calcite does not know, mapped to the Calcite type {@code PgType} gives them. */
  private static final java.util.Map<String, SqlTypeName> PG_TYPE_NAMES = java.util.Map.ofEntries(
      java.util.Map.entry("text", SqlTypeName.VARCHAR), java.util.Map.entry("int2", SqlTypeName.SMALLINT),
      java.util.Map.entry("int4", SqlTypeName.INTEGER), java.util.Map.entry("int8", SqlTypeName.BIGINT),
      java.util.Map.entry("float4", SqlTypeName.REAL), java.util.Map.entry("float8", SqlTypeName.DOUBLE),
      java.util.Map.entry("bool", SqlTypeName.BOOLEAN), java.util.Map.entry("numeric", SqlTypeName.DECIMAL),
      java.util.Map.entry("timestamptz", SqlTypeName.TIMESTAMP_WITH_LOCAL_TIME_ZONE));

  /** Replaces parser-resolved operators and type names by their PostgreSQL versions. */
  static final class PgCallShuttle extends SqlShuttle {
    @Override
    public SqlNode visit(org.apache.calcite.sql.SqlDataTypeSpec type) {
      if (type.getTypeNameSpec() instanceof org.apache.calcite.sql.SqlUserDefinedTypeNameSpec u
          && u.getTypeName().isSimple()) {
        SqlTypeName mapped = PG_TYPE_NAMES.get(u.getTypeName().getSimple().toLowerCase(java.util.Locale.ROOT));
        if (mapped != null) {
          return new org.apache.calcite.sql.SqlDataTypeSpec(
              new org.apache.calcite.sql.SqlBasicTypeNameSpec(mapped, type.getParserPosition()),
              type.getParserPosition());
        }
      }
      return type;
    }

    @Override
    public SqlNode visit(SqlCall call) {
      SqlNode visited = super.visit(call);
      if (visited instanceof SqlCall c && c.getKind() == SqlKind.DATE_TRUNC && c.operandCount() == 2) {
        return new SqlBasicCall(DATE_TRUNC, c.getOperandList(), c.getParserPosition());
      }
      return visited;
    }
  }
}
