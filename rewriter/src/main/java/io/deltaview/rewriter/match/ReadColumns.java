package io.deltaview.rewriter.match;

import io.deltaview.rewriter.ViewReads;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.AggregateCall;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.RelFactories;
import org.apache.calcite.rel.core.TableScan;
import org.apache.calcite.sql2rel.RelFieldTrimmer;

/**
 * The base-table columns a plan reads, found the way the engine prunes them: Calcite's field trimmer puts a
 * projection right above each scan that keeps only the columns used anywhere above (outputs, filters, join
 * conditions, group keys, aggregate arguments); an aggregate right on a scan reads its keys and arguments; a
 * scan under anything else counts as reading every column. Errs only
 * towards more columns, which can only make a privilege check stricter.
 */
final class ReadColumns {

  private ReadColumns() {
  }

  /** Each scanned table (in order of first scan) with the names of the columns read, in column order. */
  static List<ViewReads.BaseTable> of(RelNode plan) {
    RelNode trimmed = trim(plan);
    Map<List<String>, BitSet> read = new LinkedHashMap<>();
    Map<List<String>, List<String>> names = new LinkedHashMap<>();
    collect(trimmed, null, read, names);
    List<ViewReads.BaseTable> out = new ArrayList<>(read.size());
    read.forEach((table, bits) -> {
      List<String> fields = names.get(table);
      List<String> columns = new ArrayList<>(bits.cardinality());
      for (int i = bits.nextSetBit(0); i >= 0; i = bits.nextSetBit(i + 1)) {
        columns.add(fields.get(i));
      }
      String schema = table.size() >= 2 ? table.get(table.size() - 2) : "";
      out.add(new ViewReads.BaseTable(schema, table.get(table.size() - 1), columns));
    });
    return out;
  }

  private static RelNode trim(RelNode plan) {
    try {
      RelNode t = new RelFieldTrimmer(null, RelFactories.LOGICAL_BUILDER.create(plan.getCluster(), null))
          .trim(plan);
      return t.getRowType().getFieldCount() == plan.getRowType().getFieldCount() ? t : plan;
    } catch (RuntimeException e) {
      return plan; // every scan then reads all its columns: stricter, never laxer
    }
  }

  private static void collect(RelNode rel, RelNode parent, Map<List<String>, BitSet> read,
                              Map<List<String>, List<String>> names) {
    if (rel instanceof TableScan scan) {
      int width = scan.getRowType().getFieldCount();
      BitSet used;
      if (parent instanceof Project p) {
        used = RelOptUtil.InputFinder.bits(p.getProjects(), null).toBitSet();
      } else if (parent instanceof Aggregate a) {
        // Only group keys and aggregate arguments leave an aggregate: count(*) reads no column at all.
        used = a.getGroupSet().toBitSet();
        for (AggregateCall call : a.getAggCallList()) {
          call.getArgList().forEach(used::set);
          if (call.filterArg >= 0) {
            used.set(call.filterArg);
          }
        }
      } else {
        used = new BitSet(width);
        used.set(0, width);
      }
      List<String> table = List.copyOf(scan.getTable().getQualifiedName());
      names.putIfAbsent(table, scan.getRowType().getFieldNames());
      read.computeIfAbsent(table, k -> new BitSet(width)).or(used);
      return;
    }
    for (RelNode input : rel.getInputs()) {
      collect(input, rel, read, names);
    }
  }
}
