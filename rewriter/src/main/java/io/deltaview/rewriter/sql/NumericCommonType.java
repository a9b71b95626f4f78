package io.deltaview.rewriter.sql;

import io.deltaview.rewriter.schema.PgType;
import java.util.List;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql.parser.SqlParserPos;
import org.apache.calcite.sql.type.SqlTypeUtil;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * PostgreSQL's common type of numerics: {@code numeric(p, s)} when every input is that same {@code numeric(p, s)},
 * else plain {@code numeric} (typmod -1), to which converting keeps each value's own scale. So {@code SELECT
 * 1.50::numeric(5,2) UNION ALL SELECT 2} gives {@code 1.50} and {@code 2}, and {@code coalesce(price, 0)} gives
 * {@code 0} for a NULL {@code numeric(10,2)} price. Plain {@code numeric} is the unconstrained type the front end
 * models it with ({@link PgType#UNCONSTRAINED_NUMERIC_PRECISION}, {@link PgType#UNCONSTRAINED_NUMERIC_SCALE}),
 * which the view compiler casts to without rescaling.
 */
public final class NumericCommonType {

  private NumericCommonType() {
  }

  /**
   * {@code common}, Calcite's common type of {@code types}, as PostgreSQL would type it: unchanged unless it is
   * a DECIMAL while the inputs are not all that same DECIMAL, then the unconstrained numeric. NULL inputs (an
   * absent ELSE, a NULL literal) do not count: they carry no value whose scale could change.
   */
  static RelDataType of(RelDataTypeFactory factory, List<RelDataType> types, RelDataType common) {
    if (common == null || common.getSqlTypeName() != SqlTypeName.DECIMAL) {
      return common;
    }
    boolean same = true;
    for (RelDataType t : types) {
      if (t.getSqlTypeName() != SqlTypeName.NULL && (t.getSqlTypeName() != SqlTypeName.DECIMAL
          || t.getPrecision() != common.getPrecision() || t.getScale() != common.getScale())) {
        same = false;
      }
    }
    if (same) {
      return common;
    }
    return factory.createTypeWithNullability(factory.createSqlType(SqlTypeName.DECIMAL,
        PgType.UNCONSTRAINED_NUMERIC_PRECISION, PgType.UNCONSTRAINED_NUMERIC_SCALE), common.isNullable());
  }

  /**
   * The first column that PostgreSQL types plain {@code numeric} because numerics of other types meet there
   * ({@code asView}: the row type as the views' front end gives it) while the rewriter's typing gives it a
   * constrained one ({@code asQuery}), or null. Such a column holds each value at its own scale ({@code 0} next
   * to {@code 1.50}), which the rewriter's typing does not follow: no view may answer it, and a view holding it
   * may answer nothing.
   */
  public static String mixedScaleColumn(RelDataType asView, RelDataType asQuery) {
    List<org.apache.calcite.rel.type.RelDataTypeField> fields = asView.getFieldList();
    for (int i = 0; i < fields.size() && i < asQuery.getFieldCount(); i++) {
      if (unconstrained(fields.get(i).getType()) && !unconstrained(asQuery.getFieldList().get(i).getType())) {
        return fields.get(i).getName();
      }
    }
    return null;
  }

  /** Whether {@code type} is the unconstrained numeric. */
  static boolean unconstrained(RelDataType type) {
    return type.getSqlTypeName() == SqlTypeName.DECIMAL
        && type.getPrecision() == PgType.UNCONSTRAINED_NUMERIC_PRECISION
        && type.getScale() == PgType.UNCONSTRAINED_NUMERIC_SCALE;
  }

  /**
   * The view front end's builder: a number cast to the unconstrained numeric stays a cast instead of being folded
   * into a literal. Calcite folds {@code CAST(0 AS DECIMAL(1000, 500))} to 0 at scale 500, where PostgreSQL's
   * plain numeric keeps the number as written; the view compiler evaluates the cast without rescaling.
   */
  static final class ViewRexBuilder extends RexBuilder {
    ViewRexBuilder(RelDataTypeFactory typeFactory) {
      super(typeFactory);
    }

    @Override
    public RexNode makeCast(SqlParserPos pos, RelDataType type, RexNode exp, boolean matchNullability,
        boolean safe, RexLiteral format) {
      if (exp instanceof RexLiteral literal && !literal.isNull() && unconstrained(type)
          && SqlTypeUtil.isExactNumeric(literal.getType())) {
        RelDataType target = matchNullability
            ? getTypeFactory().createTypeWithNullability(type, exp.getType().isNullable()) : type;
        return makeAbstractCast(pos, target, exp, safe, format);
      }
      return super.makeCast(pos, type, exp, matchNullability, safe, format);
    }
  }
}
