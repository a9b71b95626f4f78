package io.deltaview.rewriter.sql;

import io.deltaview.rewriter.schema.PgType;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rel.type.RelDataTypeSystemImpl;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Calcite type system shaped like PostgreSQL's where it matters to us: numeric precision up to 1000, and
 * {@code SUM}/{@code AVG} result types as PostgreSQL's (smallint/integer sums → bigint, bigint/numeric sums and
 * exact averages → numeric, float sums and averages → double precision), and no blank-padded CHAR literals.
 * Both the rewriter and the engine's compiler plan with it, so Calcite's types agree with the values.
 */
public final class PgTypeSystem extends RelDataTypeSystemImpl {
  public static final PgTypeSystem INSTANCE = new PgTypeSystem();

  private PgTypeSystem() {
  }

  @Override
  public int getMaxPrecision(SqlTypeName typeName) {
    return typeName == SqlTypeName.DECIMAL ? PgType.UNCONSTRAINED_NUMERIC_PRECISION
        : super.getMaxPrecision(typeName);
  }

  @Override
  public int getMaxScale(SqlTypeName typeName) {
    return typeName == SqlTypeName.DECIMAL ? PgType.UNCONSTRAINED_NUMERIC_PRECISION
        : super.getMaxScale(typeName);
  }

  @Override
  public RelDataType deriveSumType(RelDataTypeFactory typeFactory, RelDataType argumentType) {
    RelDataType t = switch (argumentType.getSqlTypeName()) {
      case TINYINT, SMALLINT, INTEGER -> typeFactory.createSqlType(SqlTypeName.BIGINT);
      case BIGINT, DECIMAL -> typeFactory.createSqlType(SqlTypeName.DECIMAL,
          PgType.UNCONSTRAINED_NUMERIC_PRECISION, PgType.UNCONSTRAINED_NUMERIC_SCALE);
      case REAL, FLOAT, DOUBLE -> typeFactory.createSqlType(SqlTypeName.DOUBLE);
      default -> argumentType;
    };
    return typeFactory.createTypeWithNullability(t, argumentType.isNullable());
  }

  /** AVG of exact types is numeric (its value carries PostgreSQL's division scale), of floats double precision. */
  @Override
  public RelDataType deriveAvgAggType(RelDataTypeFactory typeFactory, RelDataType argumentType) {
    RelDataType t = switch (argumentType.getSqlTypeName()) {
      case TINYINT, SMALLINT, INTEGER, BIGINT, DECIMAL -> typeFactory.createSqlType(SqlTypeName.DECIMAL,
          PgType.UNCONSTRAINED_NUMERIC_PRECISION, PgType.UNCONSTRAINED_NUMERIC_SCALE);
      case REAL, FLOAT, DOUBLE -> typeFactory.createSqlType(SqlTypeName.DOUBLE);
      default -> argumentType;
    };
    return typeFactory.createTypeWithNullability(t, argumentType.isNullable());
  }

  /**
   * PostgreSQL types string literals as text, never blank-padded CHAR: {@code CASE WHEN .. THEN 'big' ELSE
   * 'small' END} yields {@code big}, not {@code big  }.
   */
  @Override
  public boolean shouldConvertRaggedUnionTypesToVarying() {
    return true;
  }
}
