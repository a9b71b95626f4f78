package io.deltaview.engine.operator;

import io.deltaview.engine.expr.EvaluationException;
import io.deltaview.engine.expr.PgValues;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.state.Checkpointable;
import io.deltaview.engine.state.StateFormatException;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.math.BigDecimal;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ObjLongConsumer;

/**
 * Stateful GROUP BY: output rows are the group key columns (in {@code groupKeys} order) followed by one
 * column per {@link AggregateSpec}.
 *
 * <p>Delta rule: for every group touched by the input delta, emit −(its output row before) and +(its output
 * row after), and nothing when the two are equal. A group exists while its row count is positive. Without
 * group keys (whole-table aggregate) there is always exactly one output row, emitted on the first step,
 * with COUNT = 0 and the other aggregates NULL over no rows. State per group is invertible: counts, exact
 * sums (of squares too, for variances), for MIN/MAX a sorted multiset of the values, and for STRING_AGG and
 * ARRAY_AGG a multiset of the values sorted by their ORDER BY, so deletes are exact.
 */
public final class AggregateOperator implements Checkpointable {

  private static final Row WHOLE_TABLE = Row.EMPTY;

  /** Orders values like SQL, then by BigDecimal scale so that 1.0 and 1.00 stay distinct entries. */
  static final Comparator<Object> VALUE_ORDER = (a, b) -> {
    int c = PgValues.compare(a, b);
    if (c == 0 && a instanceof BigDecimal x && b instanceof BigDecimal y) {
      return Integer.compare(x.scale(), y.scale());
    }
    if (c == 0 && a.getClass() != b.getClass()) {
      return a.getClass().getName().compareTo(b.getClass().getName());
    }
    return c;
  };

  private final int[] groupKeys;
  private final AggregateSpec[] calls;
  private final GroupTable groups = new GroupTable();
  /** The groups the current step has touched so far, each remembering its output row from before the step. */
  private final List<Group> touched = new ArrayList<>();
  /** For a whole-table aggregate, its one group (present from the start, so COUNT over no rows is 0). */
  private final Group whole;
  /** Whether a step has ended: until then the whole-table row has not been emitted. */
  private boolean started;

  public AggregateOperator(int[] groupKeys, List<AggregateSpec> calls) {
    this.groupKeys = groupKeys.clone();
    this.calls = calls.toArray(new AggregateSpec[0]);
    this.whole = this.groupKeys.length == 0 ? new Group(WHOLE_TABLE, 0, this.calls) : null;
  }

  /** One step: the output delta for {@code delta}, consolidated. */
  public ZSet apply(WeightedRows delta) {
    delta.forEach(this::add);
    ZSet out = new ZSet(touched.size() * 2);
    finish(out::add);
    return out;
  }

  /**
   * Adds one entry of the current step's input delta. The step's input may arrive in any order and
   * unconsolidated (the same row more than once): every accumulator is a sum over the entries.
   */
  public void add(Row row, long weight) {
    Group g;
    if (whole != null) {
      g = whole;
      if (!g.touched) {
        g.touch(started ? g.output() : null); // before the first step the whole-table row was never emitted
        touched.add(g);
      }
    } else {
      int h = row.sqlHashOf(groupKeys);
      g = groups.find(row, groupKeys, h);
      if (g == null) {
        g = new Group(row.project(groupKeys), h, calls);
        groups.insert(g);
        g.touch(null);
        touched.add(g);
      } else {
        if (!g.touched) {
          g.touch(g.output());
          touched.add(g);
        }
        if (groups.lastMatch == Row.KeyMatch.SPELLED_OTHERWISE) {
          g.spell(row.project(groupKeys), weight);
        } else if (g.spellings != null) {
          g.spell(g.key, weight);
        }
      }
    }
    g.add(row, weight);
  }

  /** Ends the current step: pushes −(output before) +(output after) of every group it touched into {@code out}. */
  public void finish(ObjLongConsumer<Row> out) {
    if (!started) {
      started = true;
      if (whole != null && !whole.touched) {
        whole.touch(null); // the whole-table row is emitted on the first step, even with no input
        touched.add(whole);
      }
    }
    for (Group g : touched) {
      Row old = g.before;
      g.touched = false;
      g.before = null;
      Row after = null;
      if (g.count < 0) {
        throw new IllegalStateException("negative row count in group " + g.key + ": delete of a missing row");
      }
      if (g.count == 0 && whole == null) {
        groups.remove(g);
      } else {
        g.settleSpelling();
        after = g.output();
      }
      if (!Objects.equals(old, after)) {
        if (old != null) {
          out.accept(old, -1);
        }
        if (after != null) {
          out.accept(after, 1);
        }
      }
    }
    touched.clear();
  }

  /** Number of live groups (for tests and metrics). */
  public int groupCount() {
    return whole != null ? 1 : groups.size;
  }

  /**
   * The group keys and aggregate calls, whether the first step has ended, then every group: its key, row
   * count and accumulators. Only between steps (no group touched).
   */
  @Override
  public void writeState(StateOutput out) {
    if (!touched.isEmpty()) {
      throw new IllegalStateException("aggregate state written in the middle of a step");
    }
    out.writeIntArray(groupKeys);
    out.writeCount(calls.length);
    for (AggregateSpec c : calls) {
      out.writeCount(c.function().ordinal());
      out.writeLong(c.argument());
      out.writeCount(c.argType().ordinal());
    }
    out.writeBoolean(started);
    if (whole != null) {
      whole.write(out);
      return;
    }
    out.writeCount(groups.size);
    groups.forEach(g -> {
      out.writeRow(g.key);
      g.write(out);
      g.writeSpellings(out);
    });
  }

  @Override
  public void readState(StateInput in) {
    boolean same = java.util.Arrays.equals(in.readIntArray(), groupKeys) && in.readCount() == calls.length;
    for (int i = 0; same && i < calls.length; i++) {
      same = in.readCount() == calls[i].function().ordinal() && in.readLong() == calls[i].argument()
          && in.readCount() == calls[i].argType().ordinal();
    }
    if (!same) {
      throw new StateFormatException("the checkpoint's aggregate differs from the plan's");
    }
    started = in.readBoolean();
    if (whole != null) {
      whole.read(in);
      return;
    }
    int n = in.readCount();
    for (int i = 0; i < n; i++) {
      Row key = in.readRow();
      if (key.size() != groupKeys.length) {
        throw new StateFormatException("a group key of " + key.size() + " columns, not " + groupKeys.length);
      }
      Group g = new Group(key, key.sqlHash(), calls); // a key row hashes as sqlHashOf(groupKeys) of its input rows
      g.read(in);
      g.readSpellings(in);
      groups.insert(g);
    }
  }

  /** Per-group state: the row count and one accumulator per call. */
  private static final class Group {
    /**
     * The group's key as the output spells it: the spelling of some row in the group (PostgreSQL shows the group
     * of 1.0 and 1.00 as whichever of its rows it met first, so any live spelling is an answer it could give).
     */
    Row key;
    final int hash;
    /**
     * While the group's rows spell its key in more than one way (1.0 and 1.00), the number of rows of each
     * spelling, oldest first, so the key is always a spelling some row still has; null otherwise.
     */
    java.util.LinkedHashMap<Row, long[]> spellings;
    long count;
    final Accumulator[] accumulators;
    /** Whether the current step has touched this group, and if so its output row before the step (null if none). */
    boolean touched;
    Row before;

    Group(Row key, int hash, AggregateSpec[] calls) {
      this.key = key;
      this.hash = hash;
      accumulators = new Accumulator[calls.length];
      for (int i = 0; i < calls.length; i++) {
        accumulators[i] = Accumulator.create(calls[i]);
      }
    }

    /** Counts {@code weight} rows spelling the key as {@code spelling} (called before {@link #add}). */
    void spell(Row spelling, long weight) {
      if (spellings == null) {
        spellings = new java.util.LinkedHashMap<>();
        spellings.put(key, new long[] {count}); // until now every row spelled it as the key
      }
      spellings.computeIfAbsent(spelling, k -> new long[1])[0] += weight;
    }

    /** At the end of a step: the key becomes a spelling that rows still have, and one spelling needs no counts. */
    void settleSpelling() {
      if (spellings == null) {
        return;
      }
      spellings.values().removeIf(n -> n[0] <= 0);
      long[] own = spellings.get(key);
      if (own == null && !spellings.isEmpty()) {
        key = spellings.keySet().iterator().next();
      }
      if (spellings.size() <= 1) {
        spellings = null;
      }
    }

    void writeSpellings(StateOutput out) {
      out.writeCount(spellings == null ? 0 : spellings.size());
      if (spellings != null) {
        spellings.forEach((spelling, n) -> {
          out.writeRow(spelling);
          out.writeLong(n[0]);
        });
      }
    }

    void readSpellings(StateInput in) {
      int n = in.readCount();
      if (n > 0) {
        spellings = new java.util.LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
          spellings.put(in.readRow(), new long[] {in.readLong()});
        }
      }
    }

    void touch(Row outputBefore) {
      touched = true;
      before = outputBefore;
    }

    void add(Row row, long weight) {
      count += weight;
      for (Accumulator a : accumulators) {
        a.add(row, weight);
      }
    }

    void write(StateOutput out) {
      out.writeLong(count);
      for (Accumulator a : accumulators) {
        out.writeLong(a.nonNull);
        a.write(out);
      }
    }

    void read(StateInput in) {
      count = in.readLong();
      for (Accumulator a : accumulators) {
        a.nonNull = in.readLong();
        a.read(in);
      }
    }

    Row output() {
      Object[] values = new Object[key.size() + accumulators.length];
      for (int i = 0; i < key.size(); i++) {
        values[i] = key.get(i);
      }
      for (int i = 0; i < accumulators.length; i++) {
        values[key.size() + i] = accumulators[i].result(count);
      }
      return Row.wrap(values);
    }
  }

  /**
   * The live groups by key, open addressing on the stored key hash (linear probing, backward-shift deletion,
   * load factor at most 1/2): a lookup hashes the input row's key columns in place and builds no key row.
   */
  private static final class GroupTable {
    private Group[] slots = new Group[16];
    private int size;

    /** How the row of the last successful {@link #find} matched its group's key. */
    Row.KeyMatch lastMatch;

    /** The group whose key equals {@code row}'s key columns in SQL (1.0 = 1.00), or null. */
    Group find(Row row, int[] keyColumns, int hash) {
      int mask = slots.length - 1;
      for (int i = slot(hash, mask); slots[i] != null; i = (i + 1) & mask) {
        Group g = slots[i];
        if (g.hash == hash) {
          Row.KeyMatch m = row.matchSql(keyColumns, g.key);
          if (m != Row.KeyMatch.DIFFERENT) {
            lastMatch = m;
            return g;
          }
        }
      }
      return null;
    }

    void forEach(java.util.function.Consumer<Group> action) {
      for (Group g : slots) {
        if (g != null) {
          action.accept(g);
        }
      }
    }

    void insert(Group g) {
      int mask = slots.length - 1;
      int i = slot(g.hash, mask);
      while (slots[i] != null) {
        i = (i + 1) & mask;
      }
      slots[i] = g;
      if (++size * 2 > slots.length) {
        resize(slots.length * 2);
      }
    }

    void remove(Group g) {
      int mask = slots.length - 1;
      int hole = slot(g.hash, mask);
      while (slots[hole] != g) {
        hole = (hole + 1) & mask;
      }
      for (int i = (hole + 1) & mask; slots[i] != null; i = (i + 1) & mask) {
        int home = slot(slots[i].hash, mask);
        // the group at i may move into the hole iff its home slot is not cyclically within (hole, i]
        if (((i - home) & mask) >= ((i - hole) & mask)) {
          slots[hole] = slots[i];
          hole = i;
        }
      }
      slots[hole] = null;
      size--;
    }

    private void resize(int capacity) {
      Group[] old = slots;
      slots = new Group[capacity];
      int mask = capacity - 1;
      for (Group g : old) {
        if (g != null) {
          int i = slot(g.hash, mask);
          while (slots[i] != null) {
            i = (i + 1) & mask;
          }
          slots[i] = g;
        }
      }
    }

    private static int slot(int hash, int mask) {
      int h = hash * 0x9E3779B9;
      return (h ^ (h >>> 16)) & mask;
    }
  }

  /** Invertible state of one aggregate in one group. */
  private abstract static class Accumulator {
    final int arg;
    /** Weighted number of non-null inputs. */
    long nonNull;

    Accumulator(int arg) {
      this.arg = arg;
    }

    static Accumulator create(AggregateSpec call) {
      switch (call.function()) {
        case COUNT_STAR:
          return new CountStar();
        case COUNT:
          return new Count(call.argument());
        case SUM:
        case AVG:
          boolean avg = call.function() == AggregateSpec.Function.AVG;
          return call.argType() == AggregateSpec.ArgType.DOUBLE
              ? new DoubleSum(call.argument(), avg)
              : call.argType() == AggregateSpec.ArgType.INT && !avg
                  ? new IntSum(call.argument())
                  : new NumericSum(call.argument(), avg, call.argType() == AggregateSpec.ArgType.NUMERIC);
        case MIN:
          return new MinMax(call.argument(), false);
        case MAX:
          return new MinMax(call.argument(), true);
        case STRING_AGG:
        case ARRAY_AGG:
          return new Ordered(call);
        case VAR_POP:
        case VAR_SAMP:
        case STDDEV_POP:
        case STDDEV_SAMP:
          return new Statistic(call.argument(), call.function());
        default:
          throw new IllegalArgumentException(call.toString());
      }
    }

    void add(Row row, long weight) {
      if (arg < 0) {
        return;
      }
      Object v = row.get(arg);
      if (v != null) {
        nonNull += weight;
        addValue(v, weight);
      }
    }

    abstract void addValue(Object v, long weight);

    abstract Object result(long rowCount);

    /** Writes what this accumulator holds besides {@link #nonNull}. */
    void write(StateOutput out) {
    }

    /** Reads what {@link #write} wrote. */
    void read(StateInput in) {
    }
  }

  private static final class CountStar extends Accumulator {
    CountStar() {
      super(-1);
    }

    @Override
    void addValue(Object v, long weight) {
    }

    @Override
    Object result(long rowCount) {
      return rowCount;
    }
  }

  private static final class Count extends Accumulator {
    Count(int arg) {
      super(arg);
    }

    @Override
    void addValue(Object v, long weight) {
    }

    @Override
    Object result(long rowCount) {
      return nonNull;
    }
  }

  /** SUM(smallint/integer) → bigint. */
  private static final class IntSum extends Accumulator {
    long sum;

    IntSum(int arg) {
      super(arg);
    }

    @Override
    void write(StateOutput out) {
      out.writeLong(sum);
    }

    @Override
    void read(StateInput in) {
      sum = in.readLong();
    }

    @Override
    void addValue(Object v, long weight) {
      try {
        sum = Math.addExact(sum, Math.multiplyExact((Long) v, weight));
      } catch (ArithmeticException overflow) {
        throw EvaluationException.outOfRange("bigint out of range"); // PostgreSQL's int4/int2 sums are bigint
      }
    }

    @Override
    Object result(long rowCount) {
      return nonNull == 0 ? null : sum;
    }
  }

  /**
   * SUM(bigint/numeric) → numeric and AVG of integer and numeric types → numeric. The result scale of a
   * numeric sum is the largest scale among the current inputs, so a count per scale is kept to know it
   * after deletes.
   *
   * <p>The exact sum is kept as a {@code long} count of units of 10<sup>−scale</sup> while it fits, and only
   * then as a {@link BigDecimal}: an update then allocates nothing and stores no new object into this
   * long-lived group (each such store costs G1's write barrier and its refinement threads work).
   */
  private static final class NumericSum extends Accumulator {
    private static final long[] POWERS_OF_TEN = new long[19];

    static {
      POWERS_OF_TEN[0] = 1;
      for (int i = 1; i < POWERS_OF_TEN.length; i++) {
        POWERS_OF_TEN[i] = POWERS_OF_TEN[i - 1] * 10;
      }
    }

    final boolean avg;
    final TreeMap<Integer, long[]> scales;
    /** The sum is {@code unscaled} × 10<sup>−{@code scale}</sup> while {@link #big} is null. */
    long unscaled;
    int scale;
    BigDecimal big;

    NumericSum(int arg, boolean avg, boolean trackScales) {
      super(arg);
      this.avg = avg;
      this.scales = trackScales ? new TreeMap<>() : null;
    }

    @Override
    void write(StateOutput out) {
      out.writeBoolean(big != null);
      if (big != null) {
        out.writeValue(big);
      } else {
        out.writeLong(unscaled);
        out.writeLong(scale);
      }
      if (scales != null) {
        out.writeCount(scales.size());
        for (java.util.Map.Entry<Integer, long[]> e : scales.entrySet()) {
          out.writeLong(e.getKey());
          out.writeLong(e.getValue()[0]);
        }
      }
    }

    @Override
    void read(StateInput in) {
      if (in.readBoolean()) {
        if (!(in.readValue() instanceof BigDecimal d)) {
          throw new StateFormatException("a numeric sum that is not a number");
        }
        big = d;
      } else {
        unscaled = in.readLong();
        scale = in.readInt();
      }
      if (scales != null) {
        int n = in.readCount();
        for (int i = 0; i < n; i++) {
          int s = in.readInt();
          scales.put(s, new long[] {in.readLong()});
        }
      }
    }

    @Override
    void addValue(Object v, long weight) {
      BigDecimal d = PgValues.toBigDecimal(v);
      if (big == null && !addToLong(d, weight)) {
        big = BigDecimal.valueOf(unscaled, scale);
      }
      if (big != null) {
        big = big.add(weight == 1 ? d : d.multiply(BigDecimal.valueOf(weight)));
      }
      if (scales != null) {
        int s = Math.max(d.scale(), 0);
        long[] c = scales.get(s);
        if (c == null) {
          c = new long[1];
          scales.put(s, c);
        }
        c[0] += weight;
        if (c[0] == 0) {
          scales.remove(s);
        }
      }
    }

    /** Adds {@code d × weight} to the long sum; false, changing nothing, when that does not fit in a long. */
    private boolean addToLong(BigDecimal d, long weight) {
      int ds = d.scale();
      if (ds < 0 || ds >= POWERS_OF_TEN.length || d.precision() >= POWERS_OF_TEN.length) {
        return false;
      }
      long du = d.movePointRight(ds).longValue(); // exact: at most 18 digits, now at scale 0
      long u = unscaled;
      int s = scale;
      try {
        if (ds > s) {
          u = Math.multiplyExact(u, POWERS_OF_TEN[ds - s]);
          s = ds;
        } else if (ds < s) {
          du = Math.multiplyExact(du, POWERS_OF_TEN[s - ds]);
        }
        u = Math.addExact(u, Math.multiplyExact(du, weight));
      } catch (ArithmeticException overflow) {
        return false;
      }
      unscaled = u;
      scale = s;
      return true;
    }

    @Override
    Object result(long rowCount) {
      if (nonNull == 0) {
        return null;
      }
      int resultScale = scales == null || scales.isEmpty() ? 0 : scales.lastKey();
      BigDecimal sum = big != null ? big : BigDecimal.valueOf(unscaled, scale);
      BigDecimal s = sum.setScale(resultScale, RoundingMode.UNNECESSARY);
      return avg ? PgValues.divideNumeric(s, BigDecimal.valueOf(nonNull)) : s;
    }
  }

  /**
   * SUM/AVG(real/double precision) → double precision. The finite part is summed exactly (BigDecimal) so
   * that deletes cannot leave rounding drift; infinities and NaN are counted apart.
   */
  private static final class DoubleSum extends Accumulator {
    final boolean avg;
    BigDecimal finite = BigDecimal.ZERO;
    long nan;
    long posInf;
    long negInf;

    DoubleSum(int arg, boolean avg) {
      super(arg);
      this.avg = avg;
    }

    @Override
    void write(StateOutput out) {
      out.writeValue(finite);
      out.writeLong(nan);
      out.writeLong(posInf);
      out.writeLong(negInf);
    }

    @Override
    void read(StateInput in) {
      if (!(in.readValue() instanceof BigDecimal d)) {
        throw new StateFormatException("a double sum that is not a number");
      }
      finite = d;
      nan = in.readLong();
      posInf = in.readLong();
      negInf = in.readLong();
    }

    @Override
    void addValue(Object v, long weight) {
      double d = ((Number) v).doubleValue();
      if (Double.isNaN(d)) {
        nan += weight;
      } else if (d == Double.POSITIVE_INFINITY) {
        posInf += weight;
      } else if (d == Double.NEGATIVE_INFINITY) {
        negInf += weight;
      } else {
        finite = finite.add(new BigDecimal(d).multiply(BigDecimal.valueOf(weight)));
      }
    }

    @Override
    Object result(long rowCount) {
      if (nonNull == 0) {
        return null;
      }
      double s;
      if (nan > 0 || posInf > 0 && negInf > 0) {
        s = Double.NaN;
      } else if (posInf > 0) {
        s = Double.POSITIVE_INFINITY;
      } else if (negInf > 0) {
        s = Double.NEGATIVE_INFINITY;
      } else {
        s = finite.doubleValue();
      }
      return avg ? s / nonNull : s;
    }
  }

  /** MIN/MAX keep a sorted multiset of the non-null values, so removing the extreme is exact. */
  private static final class MinMax extends Accumulator {
    final boolean max;
    final TreeMap<Object, long[]> values = new TreeMap<>(VALUE_ORDER);

    MinMax(int arg, boolean max) {
      super(arg);
      this.max = max;
    }

    @Override
    void write(StateOutput out) {
      out.writeCount(values.size());
      for (java.util.Map.Entry<Object, long[]> e : values.entrySet()) {
        out.writeValue(e.getKey());
        out.writeLong(e.getValue()[0]);
      }
    }

    @Override
    void read(StateInput in) {
      int n = in.readCount();
      for (int i = 0; i < n; i++) {
        Object v = in.readValue();
        if (v == null) {
          throw new StateFormatException("a NULL in a MIN/MAX multiset");
        }
        values.put(v, new long[] {in.readLong()});
      }
    }

    @Override
    void addValue(Object v, long weight) {
      Multiplicities.add(values, v, weight);
    }

    @Override
    Object result(long rowCount) {
      if (values.isEmpty()) {
        return null;
      }
      return max ? values.lastKey() : values.firstKey();
    }
  }

  /**
   * STRING_AGG and ARRAY_AGG: a multiset of entries, each the row's ORDER BY keys followed by its value, sorted by
   * the keys (entries equal on the keys by their values, which the compiler ensures cannot change the result), so
   * that the result is the values in order and a delete removes exactly its entry. STRING_AGG skips NULL values,
   * ARRAY_AGG keeps them; a FILTER column admits only the rows where it is true. With DISTINCT (ordered by the
   * value itself) each entry counts once.
   */
  private static final class Ordered extends Accumulator {
    final boolean array;
    /** DISTINCT, ordered by the value itself: each entry once, whatever its count. */
    final boolean distinct;
    final String separator;
    final int filter;
    final int[] columns;
    final TreeMap<Row, long[]> entries;

    Ordered(AggregateSpec call) {
      super(call.argument());
      this.array = call.function() == AggregateSpec.Function.ARRAY_AGG;
      this.distinct = call.distinct();
      this.separator = call.separator();
      this.filter = call.filter();
      List<SortKey> order = call.order();
      columns = new int[order.size() + 1];
      List<SortKey> keys = new ArrayList<>();
      for (int i = 0; i < order.size(); i++) {
        columns[i] = order.get(i).column();
        keys.add(new SortKey(i, order.get(i).descending(), order.get(i).nullsFirst()));
      }
      columns[order.size()] = call.argument();
      entries = new TreeMap<>(SortKey.total(SortKey.order(keys)));
    }

    @Override
    void add(Row row, long weight) {
      if (filter >= 0 && !Boolean.TRUE.equals(row.get(filter))) {
        return;
      }
      if (!array && row.get(arg) == null) {
        return;
      }
      nonNull += weight;
      addValue(row.project(columns), weight);
    }

    @Override
    void addValue(Object entry, long weight) {
      Multiplicities.add(entries, (Row) entry, weight);
    }

    @Override
    Object result(long rowCount) {
      if (entries.isEmpty()) {
        return null;
      }
      int value = columns.length - 1;
      if (array) {
        List<Object> elements = new ArrayList<>();
        for (java.util.Map.Entry<Row, long[]> e : entries.entrySet()) {
          for (long n = distinct ? e.getValue()[0] - 1 : 0; n < e.getValue()[0]; n++) {
            elements.add(e.getKey().get(value));
          }
        }
        return io.deltaview.engine.row.PgArray.of(elements);
      }
      StringBuilder b = new StringBuilder();
      boolean first = true;
      for (java.util.Map.Entry<Row, long[]> e : entries.entrySet()) {
        for (long n = distinct ? e.getValue()[0] - 1 : 0; n < e.getValue()[0]; n++) {
          if (!first) {
            b.append(separator);
          }
          first = false;
          b.append((String) e.getKey().get(value));
        }
      }
      return b.toString();
    }

    @Override
    void write(StateOutput out) {
      Multiplicities.writeCounts(out, entries);
    }

    @Override
    void read(StateInput in) {
      Multiplicities.readCounts(in, entries);
      for (Row entry : entries.keySet()) {
        if (entry.size() != columns.length) {
          throw new StateFormatException("an ordered-aggregate entry of " + entry.size() + " columns, not "
              + columns.length);
        }
      }
    }
  }

  /**
   * VAR_POP, VAR_SAMP, STDDEV_POP, STDDEV_SAMP of integer and numeric inputs → numeric, as PostgreSQL's
   * numeric_stddev_internal computes them: from N, the exact sum and the exact sum of squares, the numerator
   * N·Σx² − (Σx)² at twice the largest input scale, divided by N·(N−1) (sample) or N·N (population) at
   * select_div_scale's scale, rounded half away from zero; the standard deviation is the square root of that
   * rounded variance at the same scale, rounded likewise. A numerator that is not positive gives 0. NaN inputs
   * count as inputs and make the result NaN. The largest input scale is kept as a count per scale, so that it is
   * known after deletes.
   */
  private static final class Statistic extends Accumulator {
    final boolean sample;
    final boolean root;
    final TreeMap<Integer, long[]> scales = new TreeMap<>();
    BigDecimal sum = BigDecimal.ZERO;
    BigDecimal sumOfSquares = BigDecimal.ZERO;
    long nan;

    Statistic(int arg, AggregateSpec.Function function) {
      super(arg);
      this.sample = function == AggregateSpec.Function.VAR_SAMP || function == AggregateSpec.Function.STDDEV_SAMP;
      this.root = function == AggregateSpec.Function.STDDEV_POP || function == AggregateSpec.Function.STDDEV_SAMP;
    }

    @Override
    void addValue(Object v, long weight) {
      if ("NaN".equals(v)) {
        nan += weight;
        return;
      }
      BigDecimal d = PgValues.toBigDecimal(v);
      BigDecimal w = BigDecimal.valueOf(weight);
      sum = sum.add(d.multiply(w));
      sumOfSquares = sumOfSquares.add(d.multiply(d).multiply(w));
      int s = Math.max(d.scale(), 0);
      long[] c = scales.computeIfAbsent(s, k -> new long[1]);
      c[0] += weight;
      if (c[0] == 0) {
        scales.remove(s);
      }
    }

    @Override
    Object result(long rowCount) {
      if (nonNull == 0 || sample && nonNull <= 1) {
        return null;
      }
      if (nan > 0) {
        return "NaN";
      }
      int scale = scales.isEmpty() ? 0 : scales.lastKey();
      BigDecimal sumX = sum.setScale(scale, RoundingMode.UNNECESSARY);
      BigDecimal n = BigDecimal.valueOf(nonNull);
      BigDecimal numerator = n.multiply(sumOfSquares.setScale(2 * scale, RoundingMode.UNNECESSARY))
          .subtract(sumX.multiply(sumX));
      if (numerator.signum() <= 0) {
        return BigDecimal.ZERO; // PostgreSQL's guard against a negative numerator, for an exact zero too
      }
      BigDecimal variance = PgValues.divideNumeric(numerator,
          sample ? n.multiply(BigDecimal.valueOf(nonNull - 1)) : n.multiply(n));
      return root ? squareRoot(variance) : variance;
    }

    /**
     * The square root of {@code v} (positive) rounded half up at {@code v}'s scale: the integer square root with
     * one digit more is the root truncated there, and rounding that digit rounds the exact root.
     */
    static BigDecimal squareRoot(BigDecimal v) {
      int scale = v.scale();
      java.math.BigInteger tenths = v.unscaledValue().multiply(java.math.BigInteger.TEN.pow(scale + 2)).sqrt();
      java.math.BigInteger[] qr = tenths.divideAndRemainder(java.math.BigInteger.TEN);
      java.math.BigInteger rounded = qr[1].intValue() >= 5 ? qr[0].add(java.math.BigInteger.ONE) : qr[0];
      return new BigDecimal(rounded, scale);
    }

    @Override
    void write(StateOutput out) {
      out.writeValue(sum);
      out.writeValue(sumOfSquares);
      out.writeLong(nan);
      out.writeCount(scales.size());
      for (java.util.Map.Entry<Integer, long[]> e : scales.entrySet()) {
        out.writeLong(e.getKey());
        out.writeLong(e.getValue()[0]);
      }
    }

    @Override
    void read(StateInput in) {
      if (!(in.readValue() instanceof BigDecimal s) || !(in.readValue() instanceof BigDecimal s2)) {
        throw new StateFormatException("a variance's sums that are not numbers");
      }
      sum = s;
      sumOfSquares = s2;
      nan = in.readLong();
      int n = in.readCount();
      for (int i = 0; i < n; i++) {
        int scale = in.readInt();
        scales.put(scale, new long[] {in.readLong()});
      }
    }
  }
}
