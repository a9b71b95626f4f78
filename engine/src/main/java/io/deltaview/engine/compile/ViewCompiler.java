package io.deltaview.engine.compile;

import io.deltaview.engine.dataflow.Dataflow;
import io.deltaview.engine.dataflow.DataflowPasses;
import io.deltaview.engine.dataflow.SharedSubplans;
import io.deltaview.engine.dataflow.DataflowTranslator;
import io.deltaview.engine.dataflow.PlanNormalizer;
import io.deltaview.engine.expr.Scalar;
import io.deltaview.engine.expr.ScalarCompiler;
import io.deltaview.engine.expr.SessionZone;
import io.deltaview.engine.expr.TextCase;
import io.deltaview.engine.operator.AggregateOperator;
import io.deltaview.engine.operator.FilterOperator;
import io.deltaview.engine.operator.JoinOperator;
import io.deltaview.engine.operator.MapOperator;
import io.deltaview.engine.operator.MultiJoinOperator;
import io.deltaview.engine.operator.OuterJoinOperator;
import io.deltaview.engine.operator.SetOperator;
import io.deltaview.engine.operator.TopKOperator;
import io.deltaview.engine.operator.WindowOperator;
import io.deltaview.engine.row.Row;
import java.util.ArrayList;
import java.util.BitSet;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;
import org.apache.calcite.plan.RelOptUtil;
import org.apache.calcite.rel.RelNode;
import org.apache.calcite.rel.RelRoot;
import org.apache.calcite.rel.core.Aggregate;
import org.apache.calcite.rel.core.Filter;
import org.apache.calcite.rel.core.Project;
import org.apache.calcite.rel.core.RelFactories;
import org.apache.calcite.rel.type.RelDataType;
import org.apache.calcite.rel.type.RelDataTypeField;
import org.apache.calcite.rex.RexBuilder;
import org.apache.calcite.rex.RexInputRef;
import org.apache.calcite.rex.RexNode;
import org.apache.calcite.sql2rel.RelFieldTrimmer;

/**
 * Incrementalisation as a compile step: turns a Calcite logical plan (as produced by SqlToRelConverter)
 * into a {@link ViewPipeline} of Z-set operators, through the {@link Dataflow} IR: translate (naming any
 * unsupported construct in an {@link UnsupportedConstructException}), optimise ({@link DataflowPasses}), then
 * lower each IR node to its runtime operator.
 *
 * <p>Aggregate values follow PostgreSQL's result types (SUM(int) is bigint, SUM(bigint) and AVG are
 * numeric, EXTRACT is numeric), which may differ from the types Calcite derived for the plan.
 */
public final class ViewCompiler {

  private ViewCompiler() {
  }

  /** Compiles {@code root}, projected to its output fields, for a view that converts no timestamptz. */
  public static ViewPipeline compile(RelRoot root) {
    return compile(root.project(), SessionZone.UTC);
  }

  /** Compiles a logical plan that converts no timestamptz. */
  public static ViewPipeline compile(RelNode plan) {
    return compile(plan, SessionZone.UTC);
  }

  /** Compiles {@code root}, projected to its output fields, its expressions evaluated in {@code zone}. */
  public static ViewPipeline compile(RelRoot root, SessionZone zone) {
    return compile(root.project(), zone);
  }

  /**
   * Compiles a logical plan whose timestamp with time zone conversions happen in {@code zone}. Columns not
   * needed above a scan are pruned before state is built.
   */
  public static ViewPipeline compile(RelNode plan, SessionZone zone) {
    return compile(plan, zone, TextCase.UNICODE);
  }

  /** Compiles {@code root}, projected to its output fields, as {@link #compile(RelNode, SessionZone, TextCase)}. */
  public static ViewPipeline compile(RelRoot root, SessionZone zone, TextCase textCase) {
    return compile(root.project(), zone, textCase);
  }

  /**
   * Compiles a logical plan whose timestamp with time zone conversions happen in {@code zone} and whose text
   * changes case by {@code textCase}, the rules of the ctype the view runs under.
   */
  public static ViewPipeline compile(RelNode plan, SessionZone zone, TextCase textCase) {
    plan = PlanNormalizer.normalize(plan);
    // First on the plan as written: it decides what is supported, so that the user's construct is named.
    DataflowTranslator.translate(plan);
    RelNode trimmed = trim(plan);
    DataflowTranslator.Translation translation;
    try {
      translation = DataflowTranslator.translate(trimmed);
    } catch (UnsupportedConstructException e) {
      translation = DataflowTranslator.translate(plan); // trimming introduced something odd
    }
    Dataflow dataflow = DataflowPasses.optimize(translation.root(), plan.getCluster().getRexBuilder());
    Lowering lowering = new Lowering(plan.getCluster().getRexBuilder(), zone, textCase, dataflow);
    Node root = lowering.node(dataflow);
    List<String> names = new ArrayList<>();
    List<RelDataType> types = new ArrayList<>();
    for (RelDataTypeField f : plan.getRowType().getFieldList()) {
      names.add(f.getName());
      types.add(f.getType());
    }
    List<BitSet> readBySource = new ArrayList<>();
    for (int source = 0; source < translation.sources().size(); source++) {
      readBySource.add(new BitSet());
    }
    readColumns(dataflow, null, readBySource);
    return new ViewPipeline(translation.sources(), readBySource, root, dataflow, uniqueKey(plan), names, types);
  }

  /**
   * Column pruning with Calcite's field trimmer: projections right above the scans keep only the columns
   * used, so join and aggregate state holds only those. Falls back to the plan as is if trimming fails.
   */
  private static RelNode trim(RelNode plan) {
    if (plan.getRowType().getFieldCount() == 0 && plan instanceof Project p) {
      // a view without columns: the trimmer cannot map zero fields, so trim below the projection that drops all
      return p.copy(p.getTraitSet(), List.of(trim(p.getInput())));
    }
    try {
      RelNode t = new RelFieldTrimmer(null, RelFactories.LOGICAL_BUILDER.create(plan.getCluster(), null)).trim(plan);
      return t.getRowType().getFieldCount() == plan.getRowType().getFieldCount() ? t : plan;
    } catch (RuntimeException e) {
      return plan;
    }
  }

  /**
   * The columns of each scanned table that operators read: a projection right above a scan reads what its
   * expressions use (it is compiled as the first operator on the scan's rows); a scan under anything else hands
   * every column on.
   */
  private static void readColumns(Dataflow node, Dataflow parent, List<BitSet> read) {
    if (node instanceof Dataflow.Scan scan) {
      BitSet used = parent instanceof Dataflow.Project p
          ? RelOptUtil.InputFinder.bits(p.expressions(), null).toBitSet()
          : allColumns(scan.width());
      read.get(scan.source()).or(used);
      return;
    }
    for (Dataflow input : node.inputs()) {
      readColumns(input, node, read);
    }
  }

  private static BitSet allColumns(int n) {
    BitSet b = new BitSet(n);
    b.set(0, n);
    return b;
  }

  /** GROUP BY columns of a top-level aggregate, followed through filters and projections. */
  private static int[] uniqueKey(RelNode rel) {
    if (rel instanceof Aggregate a) {
      int[] k = new int[a.getGroupCount()];
      for (int i = 0; i < k.length; i++) {
        k[i] = i;
      }
      return k;
    }
    if (rel instanceof Filter f) {
      return uniqueKey(f.getInput());
    }
    if (rel instanceof Project p) {
      int[] below = uniqueKey(p.getInput());
      if (below == null) {
        return null;
      }
      int[] k = new int[below.length];
      for (int i = 0; i < below.length; i++) {
        k[i] = -1;
        for (int j = 0; j < p.getProjects().size(); j++) {
          if (p.getProjects().get(j) instanceof RexInputRef r && r.getIndex() == below[i]) {
            k[i] = j;
            break;
          }
        }
        if (k[i] < 0) {
          return null;
        }
      }
      return k;
    }
    return null;
  }

  /**
   * Dataflow → runtime operators, compiling each node's expressions. A node several operators read
   * ({@link SharedSubplans}) is lowered once, behind a {@link Node.Shared} that steps it once per transaction.
   */
  private static final class Lowering {
    final ScalarCompiler scalars;
    final Map<Dataflow, Integer> uses;
    final Map<Dataflow, Node> shared = new IdentityHashMap<>();

    Lowering(RexBuilder rexBuilder, SessionZone zone, TextCase textCase, Dataflow root) {
      this.scalars = new ScalarCompiler(rexBuilder, zone, textCase);
      this.uses = SharedSubplans.uses(root);
    }

    Node node(Dataflow node) {
      if (node instanceof Dataflow.Scan || uses.getOrDefault(node, 1) < 2) {
        return lower(node);
      }
      Node done = shared.get(node);
      if (done == null) {
        done = new Node.Shared(lower(node));
        shared.put(node, done);
      }
      return done;
    }

    private Node lower(Dataflow node) {
      if (node instanceof Dataflow.Scan s) {
        return new Node.Source(s.source());
      }
      if (node instanceof Dataflow.Constant c) {
        List<Row> rows = new ArrayList<>();
        for (List<org.apache.calcite.rex.RexLiteral> tuple : c.rows()) {
          Object[] values = new Object[tuple.size()];
          for (int i = 0; i < values.length; i++) {
            values[i] = scalars.compile(tuple.get(i)).eval(Row.EMPTY);
          }
          rows.add(Row.wrap(values));
        }
        return new Node.Constant(new io.deltaview.engine.operator.ConstantOperator(rows));
      }
      if (node instanceof Dataflow.Filter f) {
        Scalar p = scalars.compile(f.condition());
        return new Node.Linear(node(f.input()), new FilterOperator(p::test));
      }
      if (node instanceof Dataflow.Project p) {
        return new Node.Linear(node(p.input()), new MapOperator(scalars.compileProjection(p.expressions())));
      }
      if (node instanceof Dataflow.Join j) {
        return join(j);
      }
      if (node instanceof Dataflow.DeltaJoin d) {
        int[] widths = new int[d.inputs().size()];
        Node[] inputs = new Node[widths.length];
        for (int i = 0; i < widths.length; i++) {
          widths[i] = d.inputs().get(i).width();
          inputs[i] = node(d.inputs().get(i));
        }
        List<MultiJoinOperator.Equality> equalities = new ArrayList<>();
        for (Dataflow.Equality e : d.equalities()) {
          equalities.add(new MultiJoinOperator.Equality(e.left(), e.right(), e.nullSafe()));
        }
        MultiJoinOperator op = MultiJoinOperator.plan(widths, equalities, predicate(d.residual()),
            projection(d.output()));
        if (op == null) {
          throw new IllegalStateException("delta join over unconnected inputs: " + d);
        }
        return new Node.MultiJoin(inputs, op);
      }
      if (node instanceof Dataflow.Aggregate a) {
        return new Node.Aggregate(node(a.input()), new AggregateOperator(a.groupKeys(), a.calls()));
      }
      if (node instanceof Dataflow.Window w) {
        List<WindowOperator.Call> calls = new ArrayList<>();
        for (Dataflow.WindowCall c : w.calls()) {
          Object defaultValue = c.defaultValue() == null ? null : scalars.compile(c.defaultValue()).eval(Row.EMPTY);
          if (defaultValue != null && c.type().getSqlTypeName() == org.apache.calcite.sql.type.SqlTypeName.DECIMAL) {
            defaultValue = io.deltaview.engine.expr.PgValues.toBigDecimal(defaultValue);
          }
          calls.add(new WindowOperator.Call(c.kind(), c.argument(), c.offset(), defaultValue, c.aggregate(),
              c.zeroIfEmpty() ? zero(c.type()) : null));
        }
        java.time.ZoneId zone = w.frame().lower().inZone() || w.frame().upper().inZone()
            ? scalars.zoneOf("RANGE frame offset of days or months over a timestamptz") : java.time.ZoneOffset.UTC;
        return new Node.Window(node(w.input()),
            new WindowOperator(w.partitionKeys(), w.order(), calls, w.frame(), zone));
      }
      if (node instanceof Dataflow.TopK t) {
        return new Node.TopK(node(t.input()), new TopKOperator(t.keys(), t.offset(), t.limit()));
      }
      if (node instanceof Dataflow.UnionAll u) {
        return new Node.UnionAll(nodes(u.inputs()));
      }
      if (node instanceof Dataflow.SetOperation s) {
        Dataflow.SetKind kind = s.kind();
        return new Node.SetOperation(nodes(s.inputs()), new SetOperator(s.inputs().size(), kind::multiplicity));
      }
      throw new IllegalStateException("no runtime operator for " + node.getClass().getSimpleName());
    }

    /** Zero in the canonical value class of {@code type}. */
    private static Object zero(RelDataType type) {
      switch (type.getSqlTypeName()) {
        case TINYINT:
        case SMALLINT:
        case INTEGER:
        case BIGINT:
          return 0L;
        case REAL:
        case FLOAT:
        case DOUBLE:
          return 0.0;
        default:
          return java.math.BigDecimal.ZERO;
      }
    }

    private Node[] nodes(List<Dataflow> dataflows) {
      Node[] nodes = new Node[dataflows.size()];
      for (int i = 0; i < nodes.length; i++) {
        nodes[i] = node(dataflows.get(i));
      }
      return nodes;
    }

    private Node join(Dataflow.Join j) {
      Predicate<Row> residual = predicate(j.residual());
      Function<Row, Row> output = projection(j.output());
      Node left = node(j.left());
      Node right = node(j.right());
      if (j.kind() == Dataflow.JoinKind.INNER) {
        return new Node.Join(left, right,
            new JoinOperator(j.leftKeys(), j.rightKeys(), j.nullSafe(), residual, output));
      }
      return new Node.OuterJoin(left, right, new OuterJoinOperator(j.left().width(), j.right().width(),
          j.leftKeys(), j.rightKeys(), j.nullSafe(), j.kind().preservesLeft(), j.kind().preservesRight(), residual,
          output));
    }

    private Predicate<Row> predicate(RexNode condition) {
      if (condition == null) {
        return null;
      }
      Scalar scalar = scalars.compile(condition);
      return scalar::test;
    }

    private Function<Row, Row> projection(List<RexNode> expressions) {
      return expressions == null ? null : scalars.compileProjection(expressions);
    }
  }
}
