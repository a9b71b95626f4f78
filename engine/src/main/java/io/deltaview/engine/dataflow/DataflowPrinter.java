package io.deltaview.engine.dataflow;

import io.deltaview.engine.operator.AggregateSpec;
import io.deltaview.engine.operator.SortKey;
import io.deltaview.engine.operator.WindowOperator;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rex.RexNode;

/**
 * A {@link Dataflow} as text, one operator per line, inputs indented below it, each with what it keeps between
 * transactions: what {@code EXPLAIN INCREMENTAL VIEW} shows. Expressions are Calcite's ({@code $n} is the n-th
 * column of the operator's input; for a join, of the left columns followed by the right ones).
 */
public final class DataflowPrinter {

  private DataflowPrinter() {
  }

  /** The lines of {@code root}'s plan. */
  public static List<String> lines(Dataflow root) {
    List<String> lines = new ArrayList<>();
    Map<Dataflow, Integer> uses = SharedSubplans.uses(root);
    print(root, 0, lines, uses, new IdentityHashMap<>());
    return lines;
  }

  public static String print(Dataflow root) {
    return String.join("\n", lines(root));
  }

  /**
   * A node several operators read ({@link SharedSubplans}) is printed in full the first time, marked {@code
   * [shared #n]}, and as {@code Shared #n} wherever it is read again.
   */
  private static void print(Dataflow node, int depth, List<String> lines, Map<Dataflow, Integer> uses,
      Map<Dataflow, Integer> numbered) {
    String indent = "  ".repeat(depth);
    Integer number = numbered.get(node);
    if (number != null) {
      lines.add(indent + "Shared #" + number);
      return;
    }
    StringBuilder b = new StringBuilder(indent).append(describe(node));
    if (!node.state().equals("none")) {
      b.append("  [state: ").append(node.state()).append(']');
    }
    if (!(node instanceof Dataflow.Scan) && uses.getOrDefault(node, 1) > 1) {
      number = numbered.size() + 1;
      numbered.put(node, number);
      b.append("  [shared #").append(number).append(']');
    }
    lines.add(b.toString());
    for (Dataflow in : node.inputs()) {
      print(in, depth + 1, lines, uses, numbered);
    }
  }

  private static String describe(Dataflow node) {
    if (node instanceof Dataflow.Scan s) {
      return "Scan " + String.join(".", s.table()) + " " + s.rowType().getFieldNames();
    }
    if (node instanceof Dataflow.Constant c) {
      List<String> rows = new ArrayList<>();
      for (List<org.apache.calcite.rex.RexLiteral> row : c.rows()) {
        List<String> values = new ArrayList<>();
        for (org.apache.calcite.rex.RexLiteral v : row) {
          values.add(v.isNull() ? "NULL" : org.apache.calcite.sql.type.SqlTypeName.CHAR_TYPES.contains(
              v.getType().getSqlTypeName()) ? "'" + v.getValueAs(String.class).replace("'", "''") + "'" : v.toString());
        }
        rows.add("(" + String.join(", ", values) + ")");
      }
      return "Values " + c.rowType().getFieldNames() + " " + String.join(", ", rows);
    }
    if (node instanceof Dataflow.Filter f) {
      return "Filter " + f.condition();
    }
    if (node instanceof Dataflow.Project p) {
      return "Project " + named(p.expressions(), p.rowType());
    }
    if (node instanceof Dataflow.Join j) {
      StringBuilder b = new StringBuilder(joinName(j.kind())).append(" on ");
      List<String> conditions = new ArrayList<>();
      List<String> leftNames = j.left().rowType().getFieldNames();
      List<String> rightNames = j.right().rowType().getFieldNames();
      for (int k = 0; k < j.leftKeys().length; k++) {
        conditions.add("left." + leftNames.get(j.leftKeys()[k]) + (j.nullSafe()[k] ? " IS NOT DISTINCT FROM " : " = ")
            + "right." + rightNames.get(j.rightKeys()[k]));
      }
      if (j.residual() != null) {
        conditions.add(j.residual().toString());
      }
      b.append(conditions.isEmpty() ? "true" : String.join(" AND ", conditions));
      if (j.output() != null) {
        b.append(" output ").append(named(j.output(), j.rowType()));
      }
      return b.toString();
    }
    if (node instanceof Dataflow.DeltaJoin d) {
      StringBuilder b = new StringBuilder("DeltaJoin on ");
      List<String> conditions = new ArrayList<>();
      for (Dataflow.Equality e : d.equalities()) {
        conditions.add("$" + e.left() + (e.nullSafe() ? " IS NOT DISTINCT FROM $" : " = $") + e.right());
      }
      if (d.residual() != null) {
        conditions.add(d.residual().toString());
      }
      b.append(String.join(" AND ", conditions));
      if (d.output() != null) {
        b.append(" output ").append(named(d.output(), d.rowType()));
      }
      return b.toString();
    }
    if (node instanceof Dataflow.Aggregate a) {
      List<String> names = a.rowType().getFieldNames();
      List<String> keys = new ArrayList<>();
      List<String> inputNames = a.input().rowType().getFieldNames();
      for (int k : a.groupKeys()) {
        keys.add(inputNames.get(k));
      }
      List<String> calls = new ArrayList<>();
      for (int i = 0; i < a.calls().size(); i++) {
        AggregateSpec c = a.calls().get(i);
        String arg = c.argument() < 0 ? "*" : inputNames.get(c.argument());
        String fn = c.function() == AggregateSpec.Function.COUNT_STAR ? "COUNT" : c.function().name();
        String extra = "";
        if (c.function().isOrdered()) {
          extra = (c.separator() == null ? "" : ", '" + c.separator().replace("'", "''") + "'")
              + " ORDER BY " + orderKeys(c.order(), inputNames);
        }
        calls.add(names.get(a.groupKeys().length + i) + "=" + fn + "(" + arg + extra + ")"
            + (c.filter() >= 0 ? " FILTER (" + inputNames.get(c.filter()) + ")" : ""));
      }
      return "Aggregate group by " + keys + " " + calls;
    }
    if (node instanceof Dataflow.Window w) {
      List<String> in = w.input().rowType().getFieldNames();
      List<String> out = w.rowType().getFieldNames();
      List<String> keys = new ArrayList<>();
      for (int k : w.partitionKeys()) {
        keys.add(in.get(k));
      }
      List<String> calls = new ArrayList<>();
      int first = w.input().width();
      for (int i = 0; i < w.calls().size(); i++) {
        Dataflow.WindowCall c = w.calls().get(i);
        String arg = c.argument() < 0 ? "" : in.get(c.argument());
        String fn = c.kind() == WindowOperator.Kind.AGGREGATE
            ? (c.aggregate().function() == AggregateSpec.Function.COUNT_STAR ? "COUNT(*)"
                : c.aggregate().function() + "(" + in.get(c.aggregate().argument()) + ")")
            : c.kind() + "(" + arg + (c.offset() != 0 ? (arg.isEmpty() ? "" : ", ") + c.offset() : "") + ")";
        calls.add(out.get(first + i) + "=" + fn);
      }
      WindowOperator.Frame f = w.frame();
      return "Window partition by " + keys + " order by " + orderKeys(w.order(), in) + " "
          + (f.rows() ? "ROWS" : "RANGE") + " between " + bound(f.lower(), true) + " and " + bound(f.upper(), false)
          + " " + calls;
    }
    if (node instanceof Dataflow.TopK t) {
      return "TopK order by " + orderKeys(t.keys(), t.rowType().getFieldNames())
          + (t.limit() >= 0 ? " limit " + t.limit() : "")
          + (t.offset() > 0 ? " offset " + t.offset() : "");
    }
    if (node instanceof Dataflow.UnionAll) {
      return "UnionAll";
    }
    if (node instanceof Dataflow.SetOperation s) {
      return switch (s.kind()) {
        case UNION -> "Union";
        case INTERSECT -> "Intersect";
        case INTERSECT_ALL -> "IntersectAll";
        case EXCEPT -> "Except";
        case EXCEPT_ALL -> "ExceptAll";
      };
    }
    return node.getClass().getSimpleName();
  }

  private static String orderKeys(List<SortKey> order, List<String> names) {
    List<String> keys = new ArrayList<>();
    for (SortKey k : order) {
      keys.add(names.get(k.column()) + (k.descending() ? " DESC" : "") + (k.nullsFirst() ? " NULLS FIRST" : " NULLS LAST"));
    }
    return keys.toString();
  }

  private static String bound(WindowOperator.Bound b, boolean lower) {
    if (b.unbounded()) {
      return lower ? "UNBOUNDED PRECEDING" : "UNBOUNDED FOLLOWING";
    }
    if (b.offset() == 0) {
      return "CURRENT ROW";
    }
    if (b.range() != null) {
      return io.deltaview.engine.expr.RangeOffsets.describe(b.range()) + (b.offset() < 0 ? " PRECEDING" : " FOLLOWING");
    }
    return Math.abs(b.offset()) + (b.offset() < 0 ? " PRECEDING" : " FOLLOWING");
  }

  private static String joinName(Dataflow.JoinKind kind) {
    return switch (kind) {
      case INNER -> "Join";
      case LEFT -> "LeftJoin";
      case RIGHT -> "RightJoin";
      case FULL -> "FullJoin";
    };
  }

  private static String named(List<RexNode> expressions, RelDataType rowType) {
    List<String> names = rowType.getFieldNames();
    List<String> parts = new ArrayList<>();
    for (int i = 0; i < expressions.size(); i++) {
      parts.add(names.get(i) + "=" + expressions.get(i));
    }
    return parts.toString();
  }
}
