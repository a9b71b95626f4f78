package io.deltaview.engine.operator;

import io.deltaview.engine.expr.RangeOffsets;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.state.Checkpointable;
import io.deltaview.engine.state.StateFormatException;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.util.Arrays;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.ObjLongConsumer;

/**
 * Window functions of one window ({@code OVER (PARTITION BY … ORDER BY … frame)}): each output row is an input
 * row followed by the value of every call for it. The state is each partition's rows, sorted; a step re-evaluates
 * only the partitions its delta touches, before and after applying it, and emits the difference, so a change
 * costs the size of its partitions, not of the input.
 *
 * <p>Aggregates over a frame use an {@link AggregateOperator} as an invertible accumulator that slides along the
 * partition (the frame's start and end only move forward), so their values are exactly the aggregates'
 * PostgreSQL values and a partition costs O(n) (O(n log n) for MIN/MAX). A RANGE frame with an offset finds each
 * row's frame ends by binary search on the one ORDER BY key, with PostgreSQL's in_range arithmetic
 * ({@link RangeOffsets}). Within a partition, the output is evaluated only from the first position the change
 * can reach: appending to the end of an ordered partition costs its last rows' output, not all of it.
 */
public final class WindowOperator implements Checkpointable {

  /** The supported window functions. */
  public enum Kind { ROW_NUMBER, RANK, DENSE_RANK, PERCENT_RANK, CUME_DIST, LAG, LEAD, FIRST_VALUE, LAST_VALUE,
    AGGREGATE, NTILE, NTH_VALUE }

  /**
   * One call: LAG/LEAD read {@code argument} {@code offset} rows away, else {@code defaultValue}; FIRST_VALUE and
   * LAST_VALUE read {@code argument} at the frame's ends, NTH_VALUE at the frame's {@code offset}-th row; NTILE
   * numbers {@code offset} buckets; AGGREGATE computes {@code aggregate} over the frame, and
   * {@code emptyValue} instead of NULL when the frame holds no value (Calcite's {@code $SUM0} is 0 there).
   */
  public record Call(Kind kind, int argument, long offset, Object defaultValue, AggregateSpec aggregate,
      Object emptyValue) {
    public Call {
      Objects.requireNonNull(kind);
      if (kind == Kind.AGGREGATE) {
        Objects.requireNonNull(aggregate);
      }
    }

    public static Call of(Kind kind) {
      return new Call(kind, -1, 0, null, null, null);
    }
  }

  /**
   * A frame bound: {@code UNBOUNDED} (PRECEDING for a lower bound, FOLLOWING for an upper one), or {@code offset}
   * rows from the current one (negative: preceding, 0: CURRENT ROW). In a RANGE frame, CURRENT ROW is the row's
   * first or last peer, and {@code range} (not null) is an offset in the order key's values, a non-negative
   * number or interval: the rows whose key is within it of the current row's ({@code offset} -1: PRECEDING,
   * 1: FOLLOWING).
   */
  public record Bound(boolean unbounded, long offset, Object range, boolean inZone) {
    public static final Bound UNBOUNDED = new Bound(true, 0);
    public static final Bound CURRENT_ROW = new Bound(false, 0);

    public Bound(boolean unbounded, long offset) {
      this(unbounded, offset, null, false);
    }

    /**
     * {@code range PRECEDING} or {@code range FOLLOWING} of a RANGE frame; {@code inZone} when it is an interval
     * with days or months over a timestamptz, which moves the key's local time in the session's zone.
     */
    public static Bound range(Object range, boolean preceding, boolean inZone) {
      return new Bound(false, preceding ? -1 : 1, java.util.Objects.requireNonNull(range), inZone);
    }
  }

  /** {@code ROWS} or {@code RANGE BETWEEN lower AND upper}. */
  public record Frame(boolean rows, Bound lower, Bound upper) {
  }

  private final int[] partitionKeys;
  private final Comparator<Row> peers;
  private final Comparator<Row> total;
  private final Call[] calls;
  private final Frame frame;
  /** The one ORDER BY key a RANGE frame with an offset measures distances in (null for other frames). */
  private final SortKey rangeKey;
  private final Map<Row, TreeMap<Row, long[]>> partitions = new HashMap<>();
  private final java.time.ZoneId zone;

  public WindowOperator(int[] partitionKeys, List<SortKey> order, List<Call> calls, Frame frame) {
    this(partitionKeys, order, calls, frame, java.time.ZoneOffset.UTC);
  }

  /** {@code zone} is the session's, where a RANGE offset of days or months moves a timestamptz key. */
  public WindowOperator(int[] partitionKeys, List<SortKey> order, List<Call> calls, Frame frame,
      java.time.ZoneId zone) {
    this.zone = zone;
    this.partitionKeys = partitionKeys.clone();
    this.peers = SortKey.order(order);
    this.total = SortKey.total(peers);
    this.calls = calls.toArray(new Call[0]);
    this.frame = frame;
    boolean rangeOffset = frame.lower().range() != null || frame.upper().range() != null;
    if (rangeOffset && (frame.rows() || order.size() != 1)) {
      throw new IllegalArgumentException("a RANGE frame with an offset orders by exactly one column: " + order);
    }
    this.rangeKey = rangeOffset ? order.get(0) : null;
  }

  public void apply(WeightedRows delta, ObjLongConsumer<Row> out) {
    if (delta.isEmpty()) {
      return;
    }
    Map<Row, List<Object[]>> byPartition = new HashMap<>();
    // partitions are SQL values: 1.0 and 1.00 are one partition, as in PostgreSQL
    delta.forEach((row, weight) -> byPartition.computeIfAbsent(row.sqlKey(partitionKeys), k -> new ArrayList<>())
        .add(new Object[] {row, weight}));
    for (Map.Entry<Row, List<Object[]>> e : byPartition.entrySet()) {
      TreeMap<Row, long[]> rows = partitions.get(e.getKey());
      // The rows before the first changed one are the same before and after: only the output from the first
      // position whose value the change can reach is evaluated, on both sides.
      Row firstChanged = null;
      for (Object[] change : e.getValue()) {
        if (firstChanged == null || total.compare((Row) change[0], firstChanged) < 0) {
          firstChanged = (Row) change[0];
        }
      }
      Map<Row, Long> before = rows == null ? Map.of() : evaluate(rows, firstChanged);
      if (rows == null) {
        rows = new TreeMap<>(total);
        partitions.put(e.getKey(), rows);
      }
      for (Object[] change : e.getValue()) {
        Multiplicities.add(rows, (Row) change[0], (Long) change[1]);
      }
      Map<Row, Long> after;
      if (rows.isEmpty()) {
        partitions.remove(e.getKey());
        after = Map.of();
      } else {
        after = evaluate(rows, firstChanged);
      }
      Multiplicities.emitDifference(before, after, out);
    }
  }

  /** The partition keys and the number of calls, then each partition's rows with their counts, in order. */
  @Override
  public void writeState(StateOutput out) {
    out.writeIntArray(partitionKeys);
    out.writeCount(calls.length);
    out.writeCount(partitions.size());
    for (TreeMap<Row, long[]> rows : partitions.values()) {
      Multiplicities.writeCounts(out, rows);
    }
  }

  @Override
  public void readState(StateInput in) {
    if (!Arrays.equals(in.readIntArray(), partitionKeys) || in.readCount() != calls.length) {
      throw new StateFormatException("the checkpoint's window differs from the plan's");
    }
    int n = in.readCount();
    for (int i = 0; i < n; i++) {
      TreeMap<Row, long[]> rows = new TreeMap<>(total);
      Multiplicities.readCounts(in, rows);
      if (rows.isEmpty() || partitions.put(rows.firstKey().sqlKey(partitionKeys), rows) != null) {
        throw new StateFormatException("a window partition that is empty or held twice");
      }
    }
  }

  /** Number of partitions held (for tests and metrics). */
  public int partitionCount() {
    return partitions.size();
  }

  /**
   * The output rows of one partition, each with its multiplicity, from the first position whose values a change
   * at {@code firstChanged} (the smallest changed row, in the total order) can reach ({@link #firstReached}).
   */
  private Map<Row, Long> evaluate(TreeMap<Row, long[]> sorted, Row firstChanged) {
    List<Row> list = new ArrayList<>();
    int changedAt = -1;
    for (Map.Entry<Row, long[]> e : sorted.entrySet()) {
      long n = e.getValue()[0];
      if (n < 0) {
        throw new IllegalStateException("negative count of " + e.getKey() + ": delete of a missing row");
      }
      if (changedAt < 0 && total.compare(e.getKey(), firstChanged) >= 0) {
        changedAt = list.size();
      }
      for (long k = 0; k < n; k++) {
        list.add(e.getKey());
      }
    }
    Row[] rows = list.toArray(new Row[0]);
    int n = rows.length;
    int from = firstReached(rows, changedAt < 0 ? n : changedAt, firstChanged);
    int[] peerStart = new int[n];
    int[] peerEnd = new int[n];
    int[] denseRank = new int[n];
    for (int i = 0; i < n; i++) {
      boolean newPeerGroup = i == 0 || peers.compare(rows[i - 1], rows[i]) != 0;
      peerStart[i] = newPeerGroup ? i : peerStart[i - 1];
      denseRank[i] = i == 0 ? 1 : denseRank[i - 1] + (newPeerGroup ? 1 : 0);
    }
    for (int i = n - 1; i >= 0; i--) {
      peerEnd[i] = i == n - 1 || peerStart[i + 1] != peerStart[i] ? i + 1 : peerEnd[i + 1];
    }
    int[] frameStarts = frameBounds(rows, peerStart, peerEnd, true);
    int[] frameEnds = frameBounds(rows, peerStart, peerEnd, false);
    Object[][] values = new Object[n][calls.length];
    for (int c = 0; c < calls.length; c++) {
      Call call = calls[c];
      switch (call.kind()) {
        case AGGREGATE:
          aggregate(call, rows, from, frameStarts, frameEnds, values, c);
          break;
        default:
          for (int i = from; i < n; i++) {
            values[i][c] = value(call, rows, i, peerStart, peerEnd, denseRank, frameStarts, frameEnds);
          }
      }
    }
    Map<Row, Long> out = new HashMap<>();
    for (int i = from; i < n; i++) {
      out.merge(rows[i].concat(Row.wrap(values[i])), 1L, Long::sum);
    }
    return out;
  }

  /**
   * The first position whose output a change can reach, when the rows before {@code changedAt} are unchanged
   * ({@code changed} is the smallest changed row). A row's values depend on the rows before it (its rank, LAG,
   * frames reaching back), and on later ones only through: LEAD, frame bounds that reach forward ({@code n
   * FOLLOWING} rows, or to the end), its peers (RANGE frames end with the last peer, CUME_DIST counts them),
   * and the partition's size (NTILE, PERCENT_RANK, CUME_DIST). Those move the position back by as far as they
   * reach, or to the start where the reach depends on values (a RANGE offset FOLLOWING) or on everything.
   */
  private int firstReached(Row[] rows, int changedAt, Row changed) {
    int from = changedAt;
    boolean framed = false;
    boolean byPeers = false;
    for (Call call : calls) {
      switch (call.kind()) {
        case NTILE, PERCENT_RANK, CUME_DIST -> {
          return 0;
        }
        case LEAD, LAG -> { // rows ahead of the current one: LEAD's offset, or a negative LAG offset
          long ahead = call.kind() == Kind.LEAD ? call.offset() : -call.offset();
          from = (int) Math.max(0, Math.min(from, changedAt - Math.max(0, ahead)));
        }
        case AGGREGATE, FIRST_VALUE, LAST_VALUE, NTH_VALUE -> framed = true;
        default -> {
        }
      }
    }
    if (framed) {
      if (frame.upper().unbounded()) {
        return 0; // … AND UNBOUNDED FOLLOWING
      }
      for (Bound b : new Bound[] {frame.lower(), frame.upper()}) {
        if (b.unbounded()) {
          continue; // UNBOUNDED PRECEDING
        } else if (b.range() != null) {
          if (b.offset() > 0) {
            return 0; // RANGE … FOLLOWING: as far as the values say
          }
        } else if (frame.rows()) {
          if (b.offset() > 0) {
            from = (int) Math.max(0, Math.min(from, changedAt - b.offset()));
          }
        } else {
          byPeers = true; // RANGE CURRENT ROW: from the first peer to the last
        }
      }
      // a RANGE frame with an offset PRECEDING ends at CURRENT ROW's last peer, or earlier
      byPeers |= !frame.rows();
    }
    if (byPeers) {
      int peer = changedAt;
      while (peer > 0 && peers.compare(rows[peer - 1], changed) == 0) {
        peer--;
      }
      from = Math.min(from, peer);
    }
    return from;
  }

  private Object value(Call call, Row[] rows, int i, int[] peerStart, int[] peerEnd, int[] denseRank,
      int[] frameStarts, int[] frameEnds) {
    int n = rows.length;
    switch (call.kind()) {
      case ROW_NUMBER:
        return (long) i + 1;
      case RANK:
        return (long) peerStart[i] + 1;
      case DENSE_RANK:
        return (long) denseRank[i];
      case PERCENT_RANK:
        return n > 1 ? (double) peerStart[i] / (n - 1) : 0.0;
      case CUME_DIST:
        return (double) peerEnd[i] / n;
      case LAG:
      case LEAD: {
        long j = call.kind() == Kind.LAG ? i - call.offset() : i + call.offset();
        return j >= 0 && j < n ? rows[(int) j].get(call.argument()) : call.defaultValue();
      }
      case FIRST_VALUE: {
        int s = frameStarts[i];
        int e = frameEnds[i];
        return s < e ? rows[s].get(call.argument()) : null;
      }
      case LAST_VALUE: {
        int s = frameStarts[i];
        int e = frameEnds[i];
        return s < e ? rows[e - 1].get(call.argument()) : null;
      }
      case NTH_VALUE: {
        long at = frameStarts[i] + call.offset() - 1;
        return at < frameEnds[i] ? rows[(int) at].get(call.argument()) : null;
      }
      case NTILE:
        return ntile(i, n, call.offset());
      default:
        throw new IllegalStateException(call.kind().toString());
    }
  }

  /**
   * PostgreSQL's NTILE: {@code buckets} buckets numbered from 1 over the {@code n} rows, as equal in size as
   * possible, the first {@code n % buckets} one row larger than the others (one row each when there are fewer
   * rows than buckets).
   */
  static long ntile(int i, int n, long buckets) {
    long size = n / buckets;
    long larger = n % buckets;
    long inLarger = larger * (size + 1);
    return i < inLarger ? i / (size + 1) + 1 : larger + (i - inLarger) / size + 1;
  }

  /**
   * Slides an accumulator along the partition from position {@code from}: frames only move forward, so each row
   * is added and removed once.
   */
  private void aggregate(Call call, Row[] rows, int from, int[] frameStarts, int[] frameEnds, Object[][] values,
      int c) {
    AggregateOperator accumulator = new AggregateOperator(new int[0], List.of(call.aggregate()));
    Object[] current = new Object[1];
    ObjLongConsumer<Row> capture = (row, weight) -> {
      if (weight > 0) {
        current[0] = row.get(0);
      }
    };
    int n = rows.length;
    int added = from < n ? frameStarts[from] : 0;
    int removed = added;
    for (int i = from; i < n; i++) {
      int s = frameStarts[i];
      int e = Math.max(frameEnds[i], s);
      for (; added < e; added++) {
        accumulator.add(rows[added], 1);
      }
      for (; removed < s; removed++) {
        accumulator.add(rows[removed], -1);
      }
      accumulator.finish(capture);
      values[i][c] = current[0] == null ? call.emptyValue() : current[0];
    }
  }

  /**
   * Each row's frame start (or end, exclusive), in the sorted partition. Both only move forward from row to
   * row, which the sliding aggregate relies on.
   */
  private int[] frameBounds(Row[] rows, int[] peerStart, int[] peerEnd, boolean start) {
    int n = rows.length;
    Bound b = start ? frame.lower() : frame.upper();
    int[] out = new int[n];
    int nonNullStart = 0;
    int nonNullEnd = n;
    if (b.range() != null) { // the rows whose key is not NULL: after the NULLs, or before them
      int column = rangeKey.column();
      while (rangeKey.nullsFirst() && nonNullStart < n && rows[nonNullStart].get(column) == null) {
        nonNullStart++;
      }
      nonNullEnd = nonNullStart;
      while (nonNullEnd < n && rows[nonNullEnd].get(column) != null) {
        nonNullEnd++;
      }
    }
    for (int i = 0; i < n; i++) {
      if (b.unbounded()) {
        out[i] = start ? 0 : n;
      } else if (b.range() != null) {
        out[i] = rangeBound(rows, i, b, start, nonNullStart, nonNullEnd);
      } else if (!frame.rows()) {
        out[i] = start ? peerStart[i] : peerEnd[i];
      } else {
        out[i] = (int) Math.max(0, Math.min(n, i + b.offset() + (start ? 0 : 1)));
      }
    }
    return out;
  }

  /**
   * PostgreSQL's frame head (or tail) of row {@code i} for a bound {@code offset PRECEDING|FOLLOWING} in a RANGE
   * frame: the first row whose key is at or past {@code key ∓ offset} in the sort direction (the tail: the first
   * one beyond it). A row whose key is NULL has the NULL rows as its frame; NULL keys are never in another
   * row's frame. The rows with a non-NULL key are {@code nonNullStart} to {@code nonNullEnd} (exclusive).
   */
  private int rangeBound(Row[] rows, int i, Bound b, boolean start, int nonNullStart, int nonNullEnd) {
    int column = rangeKey.column();
    int n = rows.length;
    Object key = rows[i].get(column);
    if (key == null) {
      return rangeKey.nullsFirst() ? (start ? 0 : nonNullStart) : (start ? nonNullEnd : n);
    }
    // In descending order, PRECEDING rows have larger keys: the bound is key + offset, and positions advance
    // while keys are at or above it.
    boolean descending = rangeKey.descending();
    boolean subtract = (b.offset() < 0) != descending;
    Object bound = RangeOffsets.bound(key, b.range(), subtract, zone);
    int lo = nonNullStart;
    int hi = nonNullEnd;
    while (lo < hi) { // the first position past the rows that come before the bound (head) / are within it (tail)
      int mid = (lo + hi) >>> 1;
      int cmp = RangeOffsets.compare(rows[mid].get(column), bound);
      if (descending) {
        cmp = -cmp;
      }
      boolean before = start ? cmp < 0 : cmp <= 0;
      if (before) {
        lo = mid + 1;
      } else {
        hi = mid;
      }
    }
    return lo;
  }
}
