package io.deltaview.engine.operator;

import io.deltaview.engine.row.Row;
import io.deltaview.engine.state.Checkpointable;
import io.deltaview.engine.state.StateFormatException;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.ObjLongConsumer;
import java.util.function.ToLongFunction;

/**
 * UNION, INTERSECT [ALL] and EXCEPT [ALL] over n inputs: a row's multiplicity in the result is a function of its
 * multiplicity in each input (e.g. EXCEPT ALL: {@code max(c0 − c1 − …, 0)}). The state is each distinct row's
 * count per input; a step updates the counts of the rows its deltas touch and emits, for each, the new
 * multiplicity minus the old. Cost is proportional to the change.
 */
public final class SetOperator implements Checkpointable {

  private final int inputs;
  private final ToLongFunction<long[]> multiplicity;
  private final Map<Row, Counts> rows = new HashMap<>();
  private final List<Counts> touched = new ArrayList<>();

  private static final class Counts {
    final Row row;
    final long[] perInput;
    long before;
    boolean touched;

    Counts(Row row, int inputs) {
      this.row = row;
      this.perInput = new long[inputs];
    }
  }

  /** @param multiplicity the output multiplicity for the per-input counts (each ≥ 0 between steps) */
  public SetOperator(int inputs, ToLongFunction<long[]> multiplicity) {
    this.inputs = inputs;
    this.multiplicity = multiplicity;
  }

  /** One step over the simultaneous deltas of every input, pushing the output delta into {@code out}. */
  public void apply(WeightedRows[] deltas, ObjLongConsumer<Row> out) {
    for (int i = 0; i < deltas.length; i++) {
      int input = i;
      deltas[i].forEach((row, weight) -> add(input, row, weight));
    }
    for (Counts c : touched) {
      c.touched = false;
      for (long n : c.perInput) {
        if (n < 0) {
          throw new IllegalStateException("negative count of " + c.row + ": delete of a missing row");
        }
      }
      long after = multiplicity.applyAsLong(c.perInput);
      if (after != c.before) {
        out.accept(c.row, after - c.before);
      }
      if (isZero(c.perInput)) {
        rows.remove(c.row);
      }
    }
    touched.clear();
  }

  private void add(int input, Row row, long weight) {
    Counts c = rows.get(row);
    if (c == null) {
      c = new Counts(row, inputs);
      rows.put(row, c);
    }
    if (!c.touched) {
      c.touched = true;
      c.before = multiplicity.applyAsLong(c.perInput);
      touched.add(c);
    }
    c.perInput[input] += weight;
  }

  private static boolean isZero(long[] counts) {
    for (long n : counts) {
      if (n != 0) {
        return false;
      }
    }
    return true;
  }

  /** The number of inputs, then each distinct row with its count per input. Only between steps. */
  @Override
  public void writeState(StateOutput out) {
    if (!touched.isEmpty()) {
      throw new IllegalStateException("set operation state written in the middle of a step");
    }
    out.writeCount(inputs);
    out.writeCount(rows.size());
    rows.forEach((row, c) -> {
      out.writeRow(row);
      for (long n : c.perInput) {
        out.writeLong(n);
      }
    });
  }

  @Override
  public void readState(StateInput in) {
    if (in.readCount() != inputs) {
      throw new StateFormatException("the checkpoint's set operation has another number of inputs");
    }
    int n = in.readCount();
    for (int i = 0; i < n; i++) {
      Counts c = new Counts(in.readRow(), inputs);
      for (int j = 0; j < inputs; j++) {
        c.perInput[j] = in.readLong();
        if (c.perInput[j] < 0) {
          throw new StateFormatException("a negative count in a set operation's state");
        }
      }
      if (isZero(c.perInput) || rows.put(c.row, c) != null) {
        throw new StateFormatException("a set operation row held twice or with no count");
      }
    }
  }

  /** Number of distinct rows held (for tests and metrics). */
  public int stateSize() {
    return rows.size();
  }
}
