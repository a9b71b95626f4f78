package io.deltaview.engine.dataflow;

import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.rex.RexUtil;

/**
 * Rewrites of a {@link Dataflow} that keep its result and make it cheaper to maintain, applied in this order by
 * {@link #optimize}:
 * <ol>
 *   <li>{@link #deltaJoins}: a tree of three or more inner joins connected by equalities becomes one delta join,
 *       which keeps no intermediate join result (for lines ⋈ orders ⋈ customers that result is as large as the
 *       biggest table);</li>
 *   <li>{@link #fuseProjections}: a projection right above a join is computed by the join on each joined row,
 *       so the wide joined rows are never materialised as a delta of their own.</li>
 * </ol>
 */
public final class DataflowPasses {

  private DataflowPasses() {
  }

  public static Dataflow optimize(Dataflow root, RexBuilder rexBuilder) {
    return SharedSubplans.share(fuseProjections(deltaJoins(root, rexBuilder)));
  }

  /** {@code node} with each input replaced by {@code f} of it (the node itself when nothing changed). */
  static Dataflow mapInputs(Dataflow node, UnaryOperator<Dataflow> f) {
    List<Dataflow> inputs = node.inputs();
    List<Dataflow> mapped = new ArrayList<>(inputs.size());
    boolean changed = false;
    for (Dataflow in : inputs) {
      Dataflow m = f.apply(in);
      changed |= m != in;
      mapped.add(m);
    }
    if (!changed) {
      return node;
    }
    if (node instanceof Dataflow.Filter n) {
      return new Dataflow.Filter(mapped.get(0), n.condition());
    }
    if (node instanceof Dataflow.Project n) {
      return new Dataflow.Project(mapped.get(0), n.expressions(), n.rowType());
    }
    if (node instanceof Dataflow.Join n) {
      return new Dataflow.Join(n.kind(), mapped.get(0), mapped.get(1), n.leftKeys(), n.rightKeys(), n.nullSafe(),
          n.residual(), n.output(), n.rowType());
    }
    if (node instanceof Dataflow.DeltaJoin n) {
      return new Dataflow.DeltaJoin(mapped, n.equalities(), n.residual(), n.output(), n.rowType());
    }
    if (node instanceof Dataflow.Aggregate n) {
      return new Dataflow.Aggregate(mapped.get(0), n.groupKeys(), n.calls(), n.rowType());
    }
    if (node instanceof Dataflow.Window n) {
      return new Dataflow.Window(mapped.get(0), n.partitionKeys(), n.order(), n.calls(), n.frame(), n.rowType());
    }
    if (node instanceof Dataflow.TopK n) {
      return new Dataflow.TopK(mapped.get(0), n.keys(), n.offset(), n.limit());
    }
    if (node instanceof Dataflow.UnionAll n) {
      return new Dataflow.UnionAll(mapped, n.rowType());
    }
    if (node instanceof Dataflow.SetOperation n) {
      return new Dataflow.SetOperation(n.kind(), mapped, n.rowType());
    }
    throw new IllegalStateException("a node with inputs that mapInputs does not know: " + node);
  }

  /** Replaces every maximal tree of ≥ 3 inner joins connected by equalities with a {@link Dataflow.DeltaJoin}. */
  static Dataflow deltaJoins(Dataflow node, RexBuilder rexBuilder) {
    if (node instanceof Dataflow.Join j && isPlainInner(j)) {
      List<Dataflow> inputs = new ArrayList<>();
      List<Dataflow.Equality> equalities = new ArrayList<>();
      List<RexNode> residuals = new ArrayList<>();
      flatten(j, 0, inputs, equalities, residuals);
      if (inputs.size() >= 3 && connected(inputs, equalities)) {
        List<Dataflow> rewritten = new ArrayList<>();
        for (Dataflow in : inputs) {
          rewritten.add(deltaJoins(in, rexBuilder));
        }
        RexNode residual = RexUtil.composeConjunction(rexBuilder, residuals);
        return new Dataflow.DeltaJoin(rewritten, equalities, residual.isAlwaysTrue() ? null : residual, null,
            j.rowType());
      }
    }
    return mapInputs(node, in -> deltaJoins(in, rexBuilder));
  }

  private static boolean isPlainInner(Dataflow.Join j) {
    return j.kind() == Dataflow.JoinKind.INNER && j.output() == null;
  }

  /**
   * Collects the inputs of the inner joins nested directly under {@code node}, left to right, with their
   * conditions over the concatenated columns ({@code offset} is where {@code node}'s columns start).
   */
  private static void flatten(Dataflow node, int offset, List<Dataflow> inputs, List<Dataflow.Equality> equalities,
      List<RexNode> residuals) {
    if (!(node instanceof Dataflow.Join j) || !isPlainInner(j)) {
      inputs.add(node);
      return;
    }
    int leftWidth = j.left().width();
    for (int k = 0; k < j.leftKeys().length; k++) {
      equalities.add(new Dataflow.Equality(offset + j.leftKeys()[k], offset + leftWidth + j.rightKeys()[k],
          j.nullSafe()[k]));
    }
    if (j.residual() != null) {
      residuals.add(RexUtil.shift(j.residual(), offset));
    }
    flatten(j.left(), offset, inputs, equalities, residuals);
    flatten(j.right(), offset + leftWidth, inputs, equalities, residuals);
  }

  /** Whether the equalities connect every input to every other (else some input would need a key-less join). */
  private static boolean connected(List<Dataflow> inputs, List<Dataflow.Equality> equalities) {
    int n = inputs.size();
    int[] inputOf = new int[inputs.stream().mapToInt(Dataflow::width).sum()];
    int offset = 0;
    for (int i = 0; i < n; i++) {
      int w = inputs.get(i).width();
      java.util.Arrays.fill(inputOf, offset, offset + w, i);
      offset += w;
    }
    int[] parent = new int[n];
    for (int i = 0; i < n; i++) {
      parent[i] = i;
    }
    int components = n;
    for (Dataflow.Equality e : equalities) {
      int a = root(parent, inputOf[e.left()]);
      int b = root(parent, inputOf[e.right()]);
      if (a != b) {
        parent[a] = b;
        components--;
      }
    }
    return components == 1;
  }

  private static int root(int[] parent, int i) {
    while (parent[i] != i) {
      i = parent[i] = parent[parent[i]];
    }
    return i;
  }

  /** Fuses every projection that sits right above a join or delta join into it. */
  static Dataflow fuseProjections(Dataflow node) {
    Dataflow mapped = mapInputs(node, DataflowPasses::fuseProjections);
    if (mapped instanceof Dataflow.Project p) {
      if (p.input() instanceof Dataflow.Join j && j.output() == null) {
        return j.withOutput(p.expressions(), p.rowType());
      }
      if (p.input() instanceof Dataflow.DeltaJoin d && d.output() == null) {
        return d.withOutput(p.expressions(), p.rowType());
      }
    }
    return mapped;
  }
}
