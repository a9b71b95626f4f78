package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.Predicate;

/**
 * Stateful inner equi-join of several inputs, evaluated as delta queries (Materialize's "delta joins"). Each
 * input's rows are kept in arrangements, indexed by the columns the other inputs look it up by; a change to one
 * input is extended input by input through the others' arrangements. Unlike a tree of binary joins, no
 * intermediate join result is stored, so state is only the inputs themselves and a change costs one lookup
 * per other input instead of an update of every intermediate index above it.
 *
 * <p>Delta rule: with the inputs taken in order, Δ(⋈) = Σ<sub>i</sub> new<sub>0</sub> ⋈ … ⋈ new<sub>i−1</sub>
 * ⋈ Δ<sub>i</sub> ⋈ old<sub>i+1</sub> ⋈ … ⋈ old<sub>n−1</sub>, which telescopes to new⋈ − old⋈. So each input's
 * change is joined with the arrangements as they are once the inputs before it were updated, and then its own
 * arrangements are updated.
 *
 * <p>Output rows are the inputs' columns in input order, as for a left-deep tree of binary joins over the same
 * inputs. Every input must be reachable from every other through equality conditions ({@link #plan} checks);
 * conditions that are not equalities between two inputs' columns go into the residual predicate, evaluated on
 * each complete joined row.
 */
public final class MultiJoinOperator {

  /**
   * An equality between two columns of the joined row (indexes into the concatenated input columns), each in a
   * different input; {@code nullSafe} for IS NOT DISTINCT FROM.
   */
  public record Equality(int left, int right, boolean nullSafe) {
  }

  /** An input's rows indexed by some of its columns. */
  private static final class Arrangement {
    final int[] columns;
    final boolean[] nullSafe;
    final JoinState state = new JoinState();

    Arrangement(int[] columns, boolean[] nullSafe) {
      this.columns = columns;
      this.nullSafe = nullSafe;
    }

    void add(Row row, long weight) {
      Object key = JoinKey.of(row, columns, nullSafe);
      if (key != null) {
        state.add(key, row, weight);
      }
    }
  }

  /** One step of a delta plan: look up {@code arrangement} with the bound columns {@code probe}. */
  private record Step(Arrangement arrangement, int[] probe, boolean[] nullSafe, int offset) {
  }

  private final int[] offsets;
  private final int width;
  /** Per input, the arrangements kept of it. */
  private final Arrangement[][] arrangements;
  /** Per input, the lookups that extend a change of it to a complete joined row. */
  private final Step[][] plans;
  private final Predicate<Row> residual;
  private final Function<Row, Row> outputMap;

  private MultiJoinOperator(int[] widths, Arrangement[][] arrangements, Step[][] plans, Predicate<Row> residual,
      Function<Row, Row> outputMap) {
    this.offsets = offsets(widths);
    this.width = offsets[widths.length];
    this.arrangements = arrangements;
    this.plans = plans;
    this.residual = residual;
    this.outputMap = outputMap;
  }

  /**
   * Plans the join, or returns null when some input is not connected to the others by equalities (a cross
   * or theta join, which needs a join that can match without a key).
   *
   * @param widths number of columns of each input, in order
   * @param equalities the equi-join conditions over the concatenated columns
   * @param residual the other conditions, on the joined row, or null for none
   * @param outputMap a projection applied to each joined row that passes the residual, or null for none
   */
  public static MultiJoinOperator plan(int[] widths, List<Equality> equalities, Predicate<Row> residual,
      Function<Row, Row> outputMap) {
    int n = widths.length;
    int[] offsets = offsets(widths);
    int[] inputOf = new int[offsets[n]];
    for (int i = 0; i < n; i++) {
      Arrays.fill(inputOf, offsets[i], offsets[i + 1], i);
    }
    for (Equality e : equalities) {
      if (inputOf[e.left] == inputOf[e.right]) {
        throw new IllegalArgumentException("equality within one input: " + e);
      }
    }
    List<Map<String, Arrangement>> byInput = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byInput.add(new LinkedHashMap<>());
    }
    Step[][] plans = new Step[n][];
    for (int start = 0; start < n; start++) {
      boolean[] bound = new boolean[n];
      bound[start] = true;
      List<Step> steps = new ArrayList<>();
      for (int added = 1; added < n; added++) {
        // The next input: the one with the most equalities to what is bound (then the first), so the lookup
        // key is as selective as the conditions allow.
        int best = -1;
        int bestCount = 0;
        for (int t = 0; t < n; t++) {
          if (!bound[t]) {
            int count = linking(equalities, inputOf, bound, t).size();
            if (count > bestCount) {
              best = t;
              bestCount = count;
            }
          }
        }
        if (best < 0) {
          return null;
        }
        List<Equality> links = linking(equalities, inputOf, bound, best);
        int[] columns = new int[links.size()];
        int[] probe = new int[links.size()];
        boolean[] nullSafe = new boolean[links.size()];
        for (int k = 0; k < links.size(); k++) {
          Equality e = links.get(k);
          boolean leftIsTarget = inputOf[e.left] == best;
          columns[k] = (leftIsTarget ? e.left : e.right) - offsets[best];
          probe[k] = leftIsTarget ? e.right : e.left;
          nullSafe[k] = e.nullSafe;
        }
        Arrangement a = byInput.get(best).computeIfAbsent(Arrays.toString(columns) + Arrays.toString(nullSafe),
            k -> new Arrangement(columns, nullSafe));
        steps.add(new Step(a, probe, nullSafe, offsets[best]));
        bound[best] = true;
      }
      plans[start] = steps.toArray(new Step[0]);
    }
    Arrangement[][] arrangements = new Arrangement[n][];
    for (int i = 0; i < n; i++) {
      arrangements[i] = byInput.get(i).values().toArray(new Arrangement[0]);
    }
    return new MultiJoinOperator(widths, arrangements, plans, residual, outputMap);
  }

  /** The equalities between input {@code target} and the bound inputs. */
  private static List<Equality> linking(List<Equality> equalities, int[] inputOf, boolean[] bound, int target) {
    List<Equality> out = new ArrayList<>();
    for (Equality e : equalities) {
      int l = inputOf[e.left];
      int r = inputOf[e.right];
      if ((l == target && bound[r]) || (r == target && bound[l])) {
        out.add(e);
      }
    }
    return out;
  }

  private static int[] offsets(int[] widths) {
    int[] offsets = new int[widths.length + 1];
    for (int i = 0; i < widths.length; i++) {
      offsets[i + 1] = offsets[i] + widths[i];
    }
    return offsets;
  }

  /** One step: the output delta for the simultaneous deltas of all inputs (empty ones included). */
  public ZSet apply(ZSet[] deltas) {
    if (deltas.length != plans.length) {
      throw new IllegalArgumentException(plans.length + " inputs, " + deltas.length + " deltas");
    }
    ZSet out = new ZSet();
    Object[] binding = new Object[width];
    for (int i = 0; i < deltas.length; i++) {
      ZSet delta = deltas[i];
      if (delta.isEmpty()) {
        continue;
      }
      Step[] plan = plans[i];
      int offset = offsets[i];
      delta.forEach((row, weight) -> {
        row.copyInto(binding, offset);
        extend(plan, 0, binding, weight, out);
      });
      for (Arrangement a : arrangements[i]) {
        delta.forEach(a::add);
      }
    }
    return out;
  }

  /** Number of distinct rows held in all arrangements (a row kept in two arrangements counts twice). */
  public long stateSize() {
    long n = 0;
    for (Arrangement[] as : arrangements) {
      for (Arrangement a : as) {
        n += a.state.size();
      }
    }
    return n;
  }

  private void extend(Step[] plan, int depth, Object[] binding, long weight, ZSet out) {
    if (depth == plan.length) {
      emit(binding, weight, out);
      return;
    }
    Step step = plan[depth];
    Object key = JoinKey.of(binding, step.probe, step.nullSafe);
    Object bucket = key == null ? null : step.arrangement.state.get(key);
    if (bucket == null) {
      return;
    }
    if (bucket instanceof Row row) {
      row.copyInto(binding, step.offset);
      extend(plan, depth + 1, binding, weight, out);
      return;
    }
    RowBag bag = (RowBag) bucket;
    for (int s = 0, slots = bag.slots(); s < slots; s++) {
      Row row = bag.rowAt(s);
      if (row != null) {
        row.copyInto(binding, step.offset);
        extend(plan, depth + 1, binding, weight * bag.weightAt(s), out);
      }
    }
  }

  /**
   * Emits the joined row in {@code binding}. With a projection the row is only read on the way to the
   * projected one, so it wraps the binding itself; only a row that is kept gets a copy of the array.
   */
  private void emit(Object[] binding, long weight, ZSet out) {
    Row joined = Row.wrap(outputMap == null ? binding.clone() : binding);
    if (residual == null || residual.test(joined)) {
      out.add(outputMap == null ? joined : outputMap.apply(joined), weight);
    }
  }
}
