package io.deltaview.rewriter.sql;

import io.deltaview.rewriter.schema.PgType;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rel.type.RelDataTypeSystemImpl;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * Calcite type system shaped like PostgreSQL's where it matters to us: numeric precision up to 1000, and
 * {@code SUM} widening as PostgreSQL does (smallint/integer → bigint, bigint/numeric → numeric).
 */
final class PgTypeSystem extends RelDataTypeSystemImpl {
  static final PgTypeSystem INSTANCE = new PgTypeSystem();

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
