package io.deltaview.engine.compile;

import io.deltaview.engine.dataflow.Dataflow;
import io.deltaview.engine.dataflow.DataflowPrinter;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.spill.BudgetedState;
import io.deltaview.engine.state.Checkpointable;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.List;
import java.util.Map;
import java.util.function.ObjLongConsumer;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.sql.type.SqlTypeName;

/**
 * A view compiled to an incremental dataflow: feed it the changes of each source transaction, get the
 * change of the view. Load the initial snapshot by one {@link #onChanges} call with every base row at
 * weight +1. Not thread-safe: one transaction at a time.
 *
 * <p>If {@link #onChanges} throws (e.g. division by zero in the view's expressions, where PostgreSQL would
 * fail the query too), operator state may be half-updated: discard the pipeline and rebuild it from a
 * snapshot.
 */
public final class ViewPipeline {

  private final List<List<String>> sourceTables;
  private final List<BitSet> readColumns;
  private final Node root;
  private final Dataflow dataflow;
  private final int[] uniqueKey;
  private final List<String> columnNames;
  private final List<RelDataType> columnTypes;
  /** The nodes several operators read, whose kept delta each transaction lets go when it is through. */
  private final List<Node.Shared> shared = new ArrayList<>();

  ViewPipeline(List<List<String>> sourceTables, List<BitSet> readColumns, Node root, Dataflow dataflow,
      int[] uniqueKey, List<String> columnNames, List<RelDataType> columnTypes) {
    this.dataflow = dataflow;
    this.sourceTables = List.copyOf(sourceTables);
    this.readColumns = List.copyOf(readColumns);
    this.root = root;
    this.uniqueKey = uniqueKey;
    this.columnNames = List.copyOf(columnNames);
    this.columnTypes = List.copyOf(columnTypes);
    walkState(root, new ArrayList<>(), new StringBuilder(), shared);
  }

  /**
   * Qualified name of each distinct base table the view reads; the position is the source index used by
   * {@link #onChanges}. Rows of a source carry all of the table's columns, in its row-type order.
   */
  public List<List<String>> sourceTables() {
    return sourceTables;
  }

  /**
   * The columns of source {@code source} that the pipeline's operators read (a fresh copy). Rows fed to
   * {@link #onChanges} may carry anything, NULL included, in the other columns: no operator looks at them.
   */
  public BitSet readColumns(int source) {
    return (BitSet) readColumns.get(source).clone();
  }

  /**
   * Applies the changes of one source transaction (source index → Z-set of full table rows; absent
   * sources did not change) and returns the view's change. The input Z-sets are not modified.
   */
  public ZSet onChanges(Map<Integer, ZSet> deltas) {
    ZSet out = new ZSet();
    onChanges(deltas, out::add);
    return out;
  }

  /**
   * As {@link #onChanges(Map)}, but pushes the view's change entry by entry into {@code out}, unconsolidated
   * (a row may come several times, and with weights that cancel out), so that it need not be held at once: an
   * initial load of an {@link #insertOnly} view can stream its result straight to the result table.
   */
  public void onChanges(Map<Integer, ZSet> deltas, ObjLongConsumer<Row> out) {
    ZSet[] bySource = new ZSet[sourceTables.size()];
    ZSet empty = new ZSet(0);
    for (int i = 0; i < bySource.length; i++) {
      ZSet d = deltas.get(i);
      bySource[i] = d == null ? empty : d;
    }
    for (Integer k : deltas.keySet()) {
      if (k < 0 || k >= bySource.length) {
        throw new IllegalArgumentException("no source " + k + "; sources are " + sourceTables);
      }
    }
    try {
      root.step(bySource, out);
    } finally {
      for (Node.Shared s : shared) {
        s.release();
      }
    }
  }

  /**
   * Whether rows only ever come out with positive weights while only rows with positive weights go in: true
   * when the plan has no aggregate (filters, projections and joins map insertions to insertions), false when an
   * aggregate may retract a group's old row as new rows arrive. An initial load of an insert-only view is its
   * output stream itself; any other view's must be consolidated first.
   */
  public boolean insertOnly() {
    return insertOnly(root);
  }

  private static boolean insertOnly(Node node) {
    if (node instanceof Node.Source || node instanceof Node.Constant) {
      return true;
    }
    if (node instanceof Node.Shared s) {
      return insertOnly(s.input);
    }
    if (node instanceof Node.Linear l) {
      return insertOnly(l.input);
    }
    if (node instanceof Node.Join j) {
      return insertOnly(j.left) && insertOnly(j.right);
    }
    if (node instanceof Node.UnionAll u) {
      for (Node input : u.inputs) {
        if (!insertOnly(input)) {
          return false;
        }
      }
      return true;
    }
    if (node instanceof Node.MultiJoin m) {
      for (Node input : m.inputs) {
        if (!insertOnly(input)) {
          return false;
        }
      }
      return true;
    }
    // An aggregate, an outer join (a NULL-extended row is retracted when its first match arrives), a set
    // operation (EXCEPT retracts), or a node kind this method does not know: not known to be insert-only.
    return false;
  }

  /**
   * Gives back the memory budget's share of this pipeline's state at once: it is being discarded (see
   * {@link BudgetedState}).
   */
  public void releaseBudget() {
    for (Checkpointable c : checkpointableState()) {
      if (c instanceof BudgetedState b) {
        b.releaseBudget();
      }
    }
  }

  /**
   * The operators of this plan that hold state, in plan order (depth first, inputs in order, each node after
   * its inputs: the same order for every pipeline compiled from the same plan), for a checkpoint of the view;
   * null when the plan has a node kind this walk does not know or a stateful operator that is not
   * {@link Checkpointable}: such a view gets no checkpoint and is rebuilt from a snapshot after a restart.
   */
  public List<Checkpointable> checkpointableState() {
    List<Checkpointable> out = new ArrayList<>();
    return walkState(root, out, new StringBuilder(), new ArrayList<>()) ? out : null;
  }

  /**
   * The plan's shape as text: node kinds and operator classes in the order of {@link #checkpointableState()},
   * and the output column types. Part of a checkpoint's fingerprint, so that a state is never read into a
   * pipeline planned differently.
   */
  public String planSignature() {
    StringBuilder sig = new StringBuilder();
    walkState(root, new ArrayList<>(), sig, new ArrayList<>());
    // the dataflow as printed: join keys, expressions and the columns each operator keeps
    sig.append(" dataflow ").append(DataflowPrinter.print(dataflow));
    sig.append(" -> ").append(columnTypes);
    return sig.toString();
  }

  /**
   * Walks the plan depth first; a {@link Node.Shared} node is walked the first time only (its state is held
   * once), and is listed in {@code shared}; the signature marks each later sighting by its position there.
   */
  private static boolean walkState(Node node, List<Checkpointable> out, StringBuilder sig, List<Node.Shared> shared) {
    sig.append(node.getClass().getSimpleName()).append('(');
    boolean known;
    if (node instanceof Node.Shared s) {
      int seen = indexOfIdentical(shared, s);
      if (seen >= 0) {
        sig.append('#').append(seen);
        known = true;
      } else {
        shared.add(s);
        known = walkState(s.input, out, sig, shared);
      }
    } else if (node instanceof Node.Source s) {
      sig.append(s.source);
      known = true;
    } else if (node instanceof Node.Constant c) {
      known = stateful(c.operator, out, sig);
    } else if (node instanceof Node.Linear l) {
      known = walkState(l.input, out, sig, shared);
      sig.append(' ').append(l.operator.getClass().getSimpleName());
    } else if (node instanceof Node.Join j) {
      known = walkState(j.left, out, sig, shared) & walkState(j.right, out, sig, shared)
          & stateful(j.operator, out, sig);
    } else if (node instanceof Node.MultiJoin m) {
      known = walkAll(m.inputs, out, sig, shared) & stateful(m.operator, out, sig);
    } else if (node instanceof Node.Aggregate a) {
      known = walkState(a.input, out, sig, shared) & stateful(a.operator, out, sig);
    } else if (node instanceof Node.OuterJoin j) {
      known = walkState(j.left, out, sig, shared) & walkState(j.right, out, sig, shared)
          & stateful(j.operator, out, sig);
    } else if (node instanceof Node.UnionAll u) {
      known = walkAll(u.inputs, out, sig, shared);
    } else if (node instanceof Node.SetOperation s) {
      known = walkAll(s.inputs, out, sig, shared) & stateful(s.operator, out, sig);
    } else if (node instanceof Node.TopK t) {
      known = walkState(t.input, out, sig, shared) & stateful(t.operator, out, sig);
    } else if (node instanceof Node.Window w) {
      known = walkState(w.input, out, sig, shared) & stateful(w.operator, out, sig);
    } else {
      known = false; // a node kind added later: not known to be checkpointable
    }
    sig.append(')');
    return known;
  }

  private static boolean walkAll(Node[] inputs, List<Checkpointable> out, StringBuilder sig,
      List<Node.Shared> shared) {
    boolean known = true;
    for (Node input : inputs) {
      known &= walkState(input, out, sig, shared);
    }
    return known;
  }

  private static int indexOfIdentical(List<Node.Shared> shared, Node.Shared node) {
    for (int i = 0; i < shared.size(); i++) {
      if (shared.get(i) == node) {
        return i;
      }
    }
    return -1;
  }

  private static boolean stateful(Object operator, List<Checkpointable> out, StringBuilder sig) {
    sig.append(' ').append(operator.getClass().getSimpleName());
    if (operator instanceof Checkpointable c) {
      out.add(c);
      return true;
    }
    return false;
  }

  /**
   * Output columns that form a unique key when known: the GROUP BY columns of a top-level aggregate (an
   * empty array for a whole-table aggregate, which has one row); {@code null} when unknown. A fresh copy.
   */
  public int[] uniqueKey() {
    return uniqueKey == null ? null : uniqueKey.clone();
  }

  /** The dataflow this pipeline runs, as optimised (what EXPLAIN INCREMENTAL VIEW prints). */
  public Dataflow dataflow() {
    return dataflow;
  }

  /** The dataflow's root, for tests of what the compiler chose. */
  Node root() {
    return root;
  }

  public List<String> columnNames() {
    return columnNames;
  }

  /** Calcite's types of the output columns (values follow PostgreSQL's result types, see ViewCompiler). */
  public List<RelDataType> columnTypes() {
    return columnTypes;
  }

  public List<SqlTypeName> columnSqlTypes() {
    return columnTypes.stream().map(RelDataType::getSqlTypeName).toList();
  }
}
