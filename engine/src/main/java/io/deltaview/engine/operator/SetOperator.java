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
 *
 * <p>Rows are compared as SQL values, as PostgreSQL compares them: 1.0 and 1.00 are one row. The output spells it
 * as some input row still does (the oldest such spelling): PostgreSQL too shows whichever it met.
 */
public final class SetOperator implements Checkpointable {

  private final int inputs;
  private final ToLongFunction<long[]> multiplicity;
  private final Map<Row, Counts> rows = new HashMap<>();
  private final List<Counts> touched = new ArrayList<>();

  private static final class Counts {
    /** The row as the output spells it. */
    Row row;
    /** The spelling the output had before the current step. */
    Row beforeRow;
    final long[] perInput;
    long before;
    boolean touched;
    /** While inputs spell the row in more than one way, each spelling's count over all inputs; else null. */
    java.util.LinkedHashMap<Row, long[]> spellings;

    Counts(Row row, int inputs) {
      this.row = row;
      this.perInput = new long[inputs];
    }

    long total() {
      long t = 0;
      for (long n : perInput) {
        t += n;
      }
      return t;
    }

    void spell(Row spelling, long weight) {
      if (spellings == null) {
        if (spelling.equals(row)) {
          return;
        }
        spellings = new java.util.LinkedHashMap<>();
        spellings.put(row, new long[] {total()}); // until now every row was spelled as the output
      }
      spellings.computeIfAbsent(spelling, k -> new long[1])[0] += weight;
    }

    /** At the end of a step: the output spelling is one some input row still has. */
    void settleSpelling() {
      if (spellings == null) {
        return;
      }
      spellings.values().removeIf(n -> n[0] <= 0);
      if (!spellings.containsKey(row) && !spellings.isEmpty()) {
        row = spellings.keySet().iterator().next();
      }
      if (spellings.size() <= 1) {
        spellings = null;
      }
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
      c.settleSpelling();
      if (!c.row.equals(c.beforeRow)) {
        if (c.before != 0) {
          out.accept(c.beforeRow, -c.before);
        }
        if (after != 0) {
          out.accept(c.row, after);
        }
      } else if (after != c.before) {
        out.accept(c.row, after - c.before);
      }
      c.beforeRow = null;
      if (isZero(c.perInput)) {
        rows.remove(c.row.sqlKey());
      }
    }
    touched.clear();
  }

  private void add(int input, Row row, long weight) {
    Row key = row.sqlKey();
    Counts c = rows.get(key);
    if (c == null) {
      c = new Counts(row, inputs);
      rows.put(key, c);
    }
    if (!c.touched) {
      c.touched = true;
      c.before = multiplicity.applyAsLong(c.perInput);
      c.beforeRow = c.row;
      touched.add(c);
    }
    c.spell(row, weight);
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

  /**
   * The number of inputs, then each distinct row with its count per input and its spellings (see
   * {@link Counts#spellings}). Only between steps.
   */
  @Override
  public void writeState(StateOutput out) {
    if (!touched.isEmpty()) {
      throw new IllegalStateException("set operation state written in the middle of a step");
    }
    out.writeCount(inputs);
    out.writeCount(rows.size());
    rows.forEach((key, c) -> {
      out.writeRow(c.row);
      for (long n : c.perInput) {
        out.writeLong(n);
      }
      out.writeCount(c.spellings == null ? 0 : c.spellings.size());
      if (c.spellings != null) {
        c.spellings.forEach((spelling, n) -> {
          out.writeRow(spelling);
          out.writeLong(n[0]);
        });
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
      int spellings = in.readCount();
      if (spellings > 0) {
        c.spellings = new java.util.LinkedHashMap<>();
        for (int j = 0; j < spellings; j++) {
          c.spellings.put(in.readRow(), new long[] {in.readLong()});
        }
      }
      if (isZero(c.perInput) || rows.put(c.row.sqlKey(), c) != null) {
        throw new StateFormatException("a set operation row held twice or with no count");
      }
    }
  }

  /** Number of distinct rows held (for tests and metrics). */
  public int stateSize() {
    return rows.size();
  }
}
