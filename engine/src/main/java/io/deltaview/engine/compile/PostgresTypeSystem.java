package io.deltaview.engine.compile;

import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rel.type.RelDataTypeSystemImpl;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * A Calcite type system whose derived types match the values the engine produces, i.e. PostgreSQL's
 * result types: SUM(smallint/integer) is bigint, SUM(bigint) and SUM(numeric) are numeric, AVG of exact
 * types is numeric, SUM/AVG of floating types are double precision, and string literals of different
 * lengths in one CASE or IN list stay text instead of blank-padded CHAR(n). Planners that feed
 * {@link ViewCompiler} should use it; Calcite's default types otherwise disagree with the values
 * (e.g. AVG(integer) typed INTEGER while the value is numeric 1.5000000000000000).
 *
 * <p>DECIMAL precision and scale of derived types are indicative only: the values carry PostgreSQL's
 * display scale, so result columns should be unconstrained {@code numeric}.
 */
public final class PostgresTypeSystem extends RelDataTypeSystemImpl {

  public static final PostgresTypeSystem INSTANCE = new PostgresTypeSystem();

  private PostgresTypeSystem() {
  }

  @Override
  public boolean shouldConvertRaggedUnionTypesToVarying() {
    return true;
  }

  @Override
  public RelDataType deriveSumType(RelDataTypeFactory f, RelDataType argType) {
    switch (argType.getSqlTypeName()) {
      case TINYINT:
      case SMALLINT:
      case INTEGER:
        return nullableLike(f, f.createSqlType(SqlTypeName.BIGINT), argType);
      case BIGINT:
        return nullableLike(f, f.createSqlType(SqlTypeName.DECIMAL, getMaxPrecision(SqlTypeName.DECIMAL), 0), argType);
      case DECIMAL:
        return nullableLike(f, f.createSqlType(SqlTypeName.DECIMAL, getMaxPrecision(SqlTypeName.DECIMAL),
            Math.min(argType.getScale(), getMaxScale(SqlTypeName.DECIMAL))), argType);
      case REAL:
      case FLOAT:
      case DOUBLE:
        return nullableLike(f, f.createSqlType(SqlTypeName.DOUBLE), argType);
      default:
        return super.deriveSumType(f, argType);
    }
  }

  @Override
  public RelDataType deriveAvgAggType(RelDataTypeFactory f, RelDataType argType) {
    switch (argType.getSqlTypeName()) {
      case TINYINT:
      case SMALLINT:
      case INTEGER:
      case BIGINT:
      case DECIMAL:
        return nullableLike(f, f.createSqlType(SqlTypeName.DECIMAL, getMaxPrecision(SqlTypeName.DECIMAL),
            Math.min(Math.max(argType.getScale(), 16), getMaxScale(SqlTypeName.DECIMAL))), argType);
      case REAL:
      case FLOAT:
      case DOUBLE:
        return nullableLike(f, f.createSqlType(SqlTypeName.DOUBLE), argType);
      default:
        return super.deriveAvgAggType(f, argType);
    }
  }

  private static RelDataType nullableLike(RelDataTypeFactory f, RelDataType t, RelDataType like) {
    return f.createTypeWithNullability(t, like.isNullable());
  }
}
