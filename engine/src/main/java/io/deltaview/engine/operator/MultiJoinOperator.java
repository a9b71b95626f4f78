package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import io.deltaview.engine.spill.BudgetedState;
import io.deltaview.engine.state.Checkpointable;
import io.deltaview.engine.state.StateFormatException;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.function.ObjLongConsumer;
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
public final class MultiJoinOperator implements Checkpointable, BudgetedState {

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
    /** What the look-ahead reads returned; read by nothing, it only keeps them from being optimised away. */
    long found;

    Arrangement(int[] columns, boolean[] nullSafe) {
      this.columns = columns;
      this.nullSafe = nullSafe;
    }

    /**
     * Adds a delta, {@link #CHUNK} entries at a time: first the keys and a read-ahead of each key's bucket (so
     * the cache misses of a chunk overlap), then the updates, whose reads then hit the cache.
     */
    void addAll(WeightedRows delta) {
      Object[] keys = new Object[CHUNK];
      Row[] rows = new Row[CHUNK];
      long[] weights = new long[CHUNK];
      int[] n = {0};
      delta.forEach((row, weight) -> {
        Object key = JoinKey.of(row, columns, nullSafe);
        if (key != null) {
          keys[n[0]] = key;
          rows[n[0]] = row;
          weights[n[0]++] = weight;
          if (n[0] == CHUNK) {
            addChunk(keys, rows, weights, CHUNK);
            n[0] = 0;
          }
        }
      });
      addChunk(keys, rows, weights, n[0]);
    }

    private void addChunk(Object[] keys, Row[] rows, long[] weights, int n) {
      long present = 0;
      for (int j = 0; j < n; j++) {
        present += state.touch(keys[j]);
      }
      found += present; // keeps the lookups above from being optimised away
      for (int j = 0; j < n; j++) {
        state.add(keys[j], rows[j], weights[j]);
      }
    }
  }

  /** One step of a delta plan: look up {@code arrangement} with the bound columns {@code probe}. */
  private record Step(Arrangement arrangement, int[] probe, boolean[] nullSafe, int offset) {
  }

  /** Entries of a delta extended (or added to an arrangement) together; see {@link #apply}. */
  private static final int CHUNK = 256;

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

  /** One step: the output delta for the simultaneous deltas of all inputs (empty ones included), consolidated. */
  public ZSet apply(WeightedRows[] deltas) {
    ZSet out = new ZSet();
    apply(deltas, out::add);
    return out;
  }

  /**
   * One step: pushes the output for the simultaneous deltas of all inputs (empty ones included) into {@code out}.
   *
   * <p>A delta is extended breadth-first, {@link #CHUNK} entries at a time: one lookup for every entry of the
   * chunk, then the next input's lookup for every partial row that matched, and so on. The lookups of a
   * chunk are independent of each other, so the processor overlaps their cache misses (the arrangements of a
   * large join are far bigger than the caches), where a depth-first walk waited for each miss in turn.
   */
  public void apply(WeightedRows[] deltas, ObjLongConsumer<Row> out) {
    if (deltas.length != plans.length) {
      throw new IllegalArgumentException(plans.length + " inputs, " + deltas.length + " deltas");
    }
    for (int i = 0; i < deltas.length; i++) {
      WeightedRows delta = deltas[i];
      if (delta.isEmpty()) {
        continue;
      }
      Step[] plan = plans[i];
      int offset = offsets[i];
      Bindings chunk = new Bindings();
      delta.forEach((row, weight) -> {
        Object[] binding = new Object[width];
        row.copyInto(binding, offset);
        chunk.add(binding, weight);
        if (chunk.size == CHUNK) {
          extendAll(plan, chunk, out);
          chunk.clear();
        }
      });
      extendAll(plan, chunk, out);
      for (Arrangement a : arrangements[i]) {
        a.addAll(delta);
      }
    }
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

  /** Extends every partial row of {@code chunk} through the plan's lookups and emits the complete ones. */
  private void extendAll(Step[] plan, Bindings chunk, ObjLongConsumer<Row> out) {
    Bindings current = chunk;
    for (Step step : plan) {
      if (current.size == 0) {
        return;
      }
      current = extend(step, current);
    }
    for (int j = 0; j < current.size; j++) {
      emit(current.bindings[j], current.weights[j], out);
    }
  }

  /** The partial rows of {@code from} extended by their matches in one arrangement (a new batch). */
  private Bindings extend(Step step, Bindings from) {
    int n = from.size;
    Object[] buckets = from.buckets(); // first all lookups of the batch, so their misses overlap
    JoinState state = step.arrangement.state;
    for (int j = 0; j < n; j++) {
      Object key = JoinKey.of(from.bindings[j], step.probe, step.nullSafe);
      buckets[j] = key == null ? null : state.get(key);
    }
    Bindings to = new Bindings();
    for (int j = 0; j < n; j++) {
      Object bucket = buckets[j];
      if (bucket == null) {
        continue;
      }
      Object[] binding = from.bindings[j];
      long weight = from.weights[j];
      if (bucket instanceof Row row) {
        row.copyInto(binding, step.offset); // the one match: the partial row is extended in place
        to.add(binding, weight);
        continue;
      }
      RowList list = (RowList) bucket;
      for (int s = 0, entries = list.size(); s < entries; s++) {
        Object[] copy = binding.clone();
        list.rowAt(s).copyInto(copy, step.offset);
        to.add(copy, weight * list.weightAt(s));
      }
    }
    return to;
  }

  /** Partial joined rows (arrays of the joined width) with their weights, filled input by input. */
  private static final class Bindings {
    Object[][] bindings = new Object[CHUNK][];
    long[] weights = new long[CHUNK];
    int size;

    void add(Object[] binding, long weight) {
      if (size == bindings.length) {
        bindings = Arrays.copyOf(bindings, size * 2);
        weights = Arrays.copyOf(weights, size * 2);
      }
      bindings[size] = binding;
      weights[size++] = weight;
    }

    /** Scratch space for one bucket per partial row. */
    Object[] buckets() {
      return new Object[size];
    }

    void clear() {
      Arrays.fill(bindings, 0, size, null);
      size = 0;
    }
  }

  /**
   * Emits the joined row in {@code binding}, which becomes the row's own array: every partial row has an array
   * of its own, and nothing changes it once it is complete.
   */
  private void emit(Object[] binding, long weight, ObjLongConsumer<Row> out) {
    Row joined = Row.wrap(binding);
    if (residual == null || residual.test(joined)) {
      out.accept(outputMap == null ? joined : outputMap.apply(joined), weight);
    }
  }

  /** The input widths, then per input its arrangements: their key columns and rows. */
  @Override
  public void writeState(StateOutput out) {
    out.writeIntArray(offsets);
    out.writeCount(arrangements.length);
    for (Arrangement[] as : arrangements) {
      out.writeCount(as.length);
      for (Arrangement a : as) {
        out.writeIntArray(a.columns);
        out.writeBooleanArray(a.nullSafe);
        a.state.writeState(out);
      }
    }
  }

  @Override
  public void readState(StateInput in) {
    if (!Arrays.equals(in.readIntArray(), offsets) || in.readCount() != arrangements.length) {
      throw new StateFormatException("the checkpoint's join inputs differ from the plan's");
    }
    for (Arrangement[] as : arrangements) {
      if (in.readCount() != as.length) {
        throw new StateFormatException("the checkpoint's join arrangements differ from the plan's");
      }
      for (Arrangement a : as) {
        if (!Arrays.equals(in.readIntArray(), a.columns) || !Arrays.equals(in.readBooleanArray(), a.nullSafe)) {
          throw new StateFormatException("the checkpoint's join arrangement keys differ from the plan's");
        }
        a.state.readState(in, a.columns, a.nullSafe);
      }
    }
  }

  @Override
  public void releaseBudget() {
    for (Arrangement[] input : arrangements) {
      for (Arrangement a : input) {
        a.state.releaseBudget();
      }
    }
  }
}
