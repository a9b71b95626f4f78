package io.deltaview.rewriter.match;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexCall;
import org.apache.calcite.rex.RexDynamicParam;
import org.apache.calcite.rex.RexLiteral;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexOver;

/**
 * Re-expresses an expression over a query core in terms of a view's output columns: every sub-expression
 * equal (by digest) to a column's defining expression becomes a reference to that column. The result is
 * null when some core column is still needed, i.e. the view does not carry enough information.
 *
 * <p>Why this is sound: a result-table column holds exactly the value (and PostgreSQL type) of its
 * defining expression, so applying the same operators to it gives the same values and types.
 */
final class ExpressionMapper {
  private final Map<String, Integer> columnsByDigest;
  private final RelDataType resultRowType;
  private final RexBuilder rexBuilder;

  ExpressionMapper(Map<String, Integer> columnsByDigest, RelDataType resultRowType, RexBuilder rexBuilder) {
    this.columnsByDigest = Map.copyOf(columnsByDigest);
    this.resultRowType = resultRowType;
    this.rexBuilder = rexBuilder;
  }

  /** The mapped expression, or null when it cannot be computed from the view's columns. */
  RexNode map(RexNode e) {
    Integer column = columnsByDigest.get(e.toString());
    if (column != null) {
      return rexBuilder.makeInputRef(resultRowType.getFieldList().get(column).getType(), column);
    }
    if (e instanceof RexLiteral || e instanceof RexDynamicParam) {
      return e;
    }
    if (e instanceof RexCall call && !(e instanceof RexOver)) {
      List<RexNode> operands = new ArrayList<>();
      for (RexNode operand : call.getOperands()) {
        RexNode mapped = map(operand);
        if (mapped == null) {
          return null;
        }
        operands.add(mapped);
      }
      return call.clone(call.getType(), operands);
    }
    // Input references not covered by a view column, correlation variables, subqueries, windows.
    return null;
  }

  /** Maps all expressions, or returns null if any cannot be mapped. */
  List<RexNode> mapAll(List<RexNode> exprs) {
    List<RexNode> out = new ArrayList<>();
    for (RexNode e : exprs) {
      RexNode m = map(e);
      if (m == null) {
        return null;
      }
      out.add(m);
    }
    return out;
  }
}
