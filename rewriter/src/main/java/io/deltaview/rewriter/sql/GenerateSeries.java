package io.deltaview.rewriter.sql;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;
import org.apache.calcite.sql.SqlBasicCall;
import org.apache.calcite.sql.SqlCall;
import org.apache.calcite.sql.SqlIdentifier;
import org.apache.calcite.sql.SqlKind;
import org.apache.calcite.sql.SqlLiteral;
import org.apache.calcite.sql.SqlNode;
import org.apache.calcite.sql.SqlNumericLiteral;
import org.apache.calcite.sql.fun.SqlStdOperatorTable;
import org.apache.calcite.sql.parser.SqlParserPos;

/**
 * {@code generate_series(start, stop[, step])} of integer constants in a view's FROM clause, as the VALUES list of
 * its rows: a constant input the engine inserts once, as it does a written VALUES list. PostgreSQL names the
 * column after the alias ({@code generate_series(1, 7) AS d} has column {@code d}) or the function; the values
 * are integers, or bigints when a bound needs them, as PostgreSQL's overloads give. Series of other types
 * (timestamps; dates, which PostgreSQL makes a timestamptz series) and series over columns are refused with
 * {@code 0A000}; a calendar is written {@code DATE '2024-01-01' + d} over an integer series.
 */
final class GenerateSeries {

  /** The most rows a series may have: they are held by the view as a constant input. */
  static final int MAX_ROWS = 100_000;

  /** Raised for a series PostgreSQL itself refuses (a step of 0), with its SQLState. */
  static final class InvalidSeriesException extends RuntimeException {
    InvalidSeriesException(String message) {
      super(message, null, false, false);
    }
  }

  private GenerateSeries() {
  }

  /**
   * The FROM item {@code item} (an {@code AS} or the table call itself) with a constant integer series replaced by
   * its VALUES list; null when it is not {@code generate_series}.
   *
   * @throws PgFunctions.UnsupportedTypeException for a series that is not of integer constants, or too long
   * @throws InvalidSeriesException for a step of 0, which PostgreSQL refuses too
   */
  static SqlNode replace(SqlCall item) {
    SqlCall table = item.getKind() == SqlKind.AS && item.operand(0) instanceof SqlCall c ? c : item;
    if (table.getKind() != SqlKind.COLLECTION_TABLE || !(table.operand(0) instanceof SqlBasicCall call)
        || !call.getOperator().getName().equalsIgnoreCase("generate_series")) {
      return null;
    }
    if (call.operandCount() < 2 || call.operandCount() > 3) {
      throw new PgFunctions.UnsupportedTypeException("generate_series with " + call.operandCount()
          + " arguments", false);
    }
    List<BigInteger> args = new ArrayList<>();
    for (SqlNode operand : call.getOperandList()) {
      BigInteger v = integer(operand);
      if (v == null) {
        throw new PgFunctions.UnsupportedTypeException("generate_series whose arguments are not integer constants"
            + " (" + operand + "): a view holds a series of integer constants; write a calendar as"
            + " DATE '2024-01-01' + d over generate_series(0, 365) AS d", false);
      }
      args.add(v);
    }
    BigInteger start = args.get(0);
    BigInteger stop = args.get(1);
    BigInteger step = args.size() == 3 ? args.get(2) : BigInteger.ONE;
    if (step.signum() == 0) {
      throw new InvalidSeriesException("step size cannot equal zero");
    }
    BigInteger count = stop.subtract(start).divide(step).add(BigInteger.ONE);
    if (count.compareTo(BigInteger.valueOf(MAX_ROWS)) > 0) {
      throw new PgFunctions.UnsupportedTypeException("generate_series of " + count + " rows (an incremental view"
          + " holds a series as constant rows, at most " + MAX_ROWS + ")", false);
    }
    SqlParserPos pos = table.getParserPosition();
    List<SqlNode> rows = new ArrayList<>();
    for (BigInteger v = start; step.signum() > 0 ? v.compareTo(stop) <= 0 : v.compareTo(stop) >= 0;
        v = v.add(step)) {
      rows.add(SqlStdOperatorTable.ROW.createCall(pos, SqlLiteral.createExactNumeric(v.toString(), pos)));
    }
    if (rows.isEmpty()) {
      throw new PgFunctions.UnsupportedTypeException("generate_series(" + start + ", " + stop + ", " + step
          + "), which has no rows", false);
    }
    SqlNode values = SqlStdOperatorTable.VALUES.createCall(pos, rows);
    List<SqlNode> as = new ArrayList<>();
    as.add(values);
    if (item == table) {
      as.add(new SqlIdentifier("generate_series", pos));
      as.add(new SqlIdentifier("generate_series", pos));
    } else {
      as.add(item.operand(1));
      as.add(item.operandCount() > 2 ? item.operand(2) : item.operand(1));
      for (int i = 3; i < item.operandCount(); i++) {
        as.add(item.operand(i));
      }
    }
    return SqlStdOperatorTable.AS.createCall(pos, as);
  }

  /** An integer constant, possibly negated, or null. */
  private static BigInteger integer(SqlNode node) {
    if (node instanceof SqlNumericLiteral n && n.isInteger()) {
      return n.getValueAs(java.math.BigDecimal.class).toBigIntegerExact();
    }
    if (node instanceof SqlCall c && c.getKind() == SqlKind.MINUS_PREFIX) {
      BigInteger v = integer(c.operand(0));
      return v == null ? null : v.negate();
    }
    return null;
  }
}
