package io.deltaview.rewriter.sql;

import java.util.List;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeFactory;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlBinaryOperator;
import org.apache.calcite.sql.SqlCharStringLiteral;
import org.apache.calcite.sql.fun.SqlLibraryOperators;
import org.apache.calcite.sql.fun.SqlMonotonicBinaryOperator;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.type.InferTypes;
import org.apache.calcite.sql.type.OperandTypes;
import org.apache.calcite.sql.type.SqlOperandTypeChecker;
import org.apache.calcite.sql.type.SqlTypeFamily;
import org.apache.calcite.sql.type.SqlTypeName;
import org.apache.calcite.sql2rel.SqlRexConvertletTable;
import org.apache.calcite.sql2rel.StandardConvertletTable;

/**
 * PostgreSQL's date arithmetic that Calcite's {@code +} and {@code -} refuse, and the convertlet table that
 * turns validated calls into relational expressions the way the engine and the rewriter need them.
 */
final class PgArithmetic {
  private PgArithmetic() {}

  /**
   * PostgreSQL's {@code +} and {@code -}: Calcite's, plus {@code date + integer}, {@code integer + date} and
   * {@code date - integer} (a date) and {@code date - date} (an integer, the days between). Listed first in
   * the operator table, they are what the validator resolves {@code +} and {@code -} to; {@link #CONVERTLETS}
   * turns them back into Calcite's own operators for every other operand type, so plans only hold these
   * operators for the date arithmetic Calcite lacks.
   */
  static final SqlBinaryOperator PLUS = pgArithmetic(SqlStdOperatorTable.PLUS,
      OperandTypes.or(SqlStdOperatorTable.PLUS.getOperandTypeChecker(),
          OperandTypes.family(SqlTypeFamily.DATE, SqlTypeFamily.INTEGER),
          OperandTypes.family(SqlTypeFamily.INTEGER, SqlTypeFamily.DATE)));

  static final SqlBinaryOperator MINUS = pgArithmetic(SqlStdOperatorTable.MINUS,
      OperandTypes.or(SqlStdOperatorTable.MINUS.getOperandTypeChecker(),
          OperandTypes.family(SqlTypeFamily.DATE, SqlTypeFamily.INTEGER),
          OperandTypes.family(SqlTypeFamily.DATE, SqlTypeFamily.DATE)));

  private static SqlBinaryOperator pgArithmetic(SqlBinaryOperator std, SqlOperandTypeChecker checker) {
    return new SqlMonotonicBinaryOperator(std.getName(), std.getKind(), std.getLeftPrec(), true,
        opBinding -> {
          RelDataTypeFactory f = opBinding.getTypeFactory();
          SqlTypeName result = dateArithmeticType(opBinding.getOperandType(0), opBinding.getOperandType(1));
          if (result == null) {
            return std.getReturnTypeInference().inferReturnType(opBinding);
          }
          return f.createTypeWithNullability(f.createSqlType(result),
              opBinding.getOperandType(0).isNullable() || opBinding.getOperandType(1).isNullable());
        },
        InferTypes.FIRST_KNOWN, checker);
  }

  /** DATE for date ± integer, INTEGER for date - date, null when Calcite's own arithmetic applies. */
  static SqlTypeName dateArithmeticType(RelDataType a, RelDataType b) {
    boolean aDate = a.getSqlTypeName() == SqlTypeName.DATE;
    boolean bDate = b.getSqlTypeName() == SqlTypeName.DATE;
    if (aDate && bDate) {
      return SqlTypeName.INTEGER;
    }
    if (aDate && SqlTypeFamily.INTEGER.contains(b) || bDate && SqlTypeFamily.INTEGER.contains(a)) {
      return SqlTypeName.DATE;
    }
    return null;
  }

  /**
   * Calcite's convertlets, except that {@link #PLUS} and {@link #MINUS} become Calcite's {@code +} and
   * {@code -} again (with their datetime/interval handling) unless they do date arithmetic Calcite lacks, and
   * that some calls stay calls (see below) rather than being rewritten into other expressions.
   */
  static final SqlRexConvertletTable CONVERTLETS = call -> {
    if (call.getOperator() == PgFunctions.DATE_PART && call.operand(0) instanceof SqlCharStringLiteral) {
      // date_part('field', x) stays a call with its text field, which the evaluator reads
      return StandardConvertletTable.INSTANCE::convertCall;
    }
    if (call.getOperator() == SqlStdOperatorTable.SQRT
        || call.getOperator() == SqlLibraryOperators.GREATEST_PG
        || call.getOperator() == SqlLibraryOperators.LEAST_PG) {
      // kept as calls: Calcite would write sqrt as power(x, 0.5), which differs in PostgreSQL for numeric
      // arguments, and greatest/least as CASE over casts to its common DECIMAL(p, s), which rounds
      return StandardConvertletTable.INSTANCE::convertCall;
    }
    if (call.getOperator() != PLUS && call.getOperator() != MINUS) {
      return StandardConvertletTable.INSTANCE.get(call);
    }
    return (cx, c) -> {
      RelDataType a = cx.getValidator().getValidatedNodeType(c.operand(0));
      RelDataType b = cx.getValidator().getValidatedNodeType(c.operand(1));
      if (dateArithmeticType(a, b) != null) {
        return cx.getRexBuilder().makeCall(cx.getValidator().getValidatedNodeType(c), c.getOperator(),
            List.of(cx.convertExpression(c.operand(0)), cx.convertExpression(c.operand(1))));
      }
      // The validated node, typed by the validator, now carries Calcite's operator; nothing reuses it.
      ((SqlBasicCall) c).setOperator(
          c.getOperator() == PLUS ? SqlStdOperatorTable.PLUS : SqlStdOperatorTable.MINUS);
      return StandardConvertletTable.INSTANCE.get(c).convertCall(cx, c);
    };
  };
}
