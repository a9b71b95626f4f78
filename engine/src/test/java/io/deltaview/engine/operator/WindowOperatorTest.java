package io.deltaview.engine.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deltaview.engine.operator.AggregateSpec.ArgType;
import io.deltaview.engine.operator.AggregateSpec.Function;
import io.deltaview.engine.operator.WindowOperator.Bound;
import io.deltaview.engine.operator.WindowOperator.Call;
import io.deltaview.engine.operator.WindowOperator.Frame;
import io.deltaview.engine.operator.WindowOperator.Kind;
import io.deltaview.engine.row.Row;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * A window kept up to date change by change, which evaluates each touched partition only from the first position
 * a change can reach, against the same window evaluated from scratch over the rows held at that moment: random
 * inserts and deletes (ties, NULL keys, duplicate rows) for every kind of call and frame.
 */
class WindowOperatorTest {

  /** Rows: (partition, order key, value, id); the first two with NULLs and few values, so peers abound. */
  private static Row row(Random random, long id) {
    return Row.of(random.nextInt(6) == 0 ? null : (long) random.nextInt(3),
        random.nextInt(8) == 0 ? null : (long) random.nextInt(6),
        random.nextInt(5) == 0 ? null : (long) random.nextInt(100), id);
  }

  private static final AggregateSpec SUM = AggregateSpec.of(Function.SUM, 2, ArgType.BIGINT);
  private static final AggregateSpec MIN = AggregateSpec.of(Function.MIN, 2, ArgType.BIGINT);
  private static final AggregateSpec COUNT = AggregateSpec.countStar();

  private static Call aggregate(AggregateSpec spec) {
    return new Call(Kind.AGGREGATE, -1, 0, null, spec, null);
  }

  private static Call at(Kind kind, long offset) {
    return new Call(kind, 2, offset, -1L, null, null);
  }

  static Stream<Arguments> windows() {
    Frame runningRange = new Frame(false, Bound.UNBOUNDED, Bound.CURRENT_ROW);
    return Stream.of(
        Arguments.of("ranks, LAG, LEAD and a running sum by peers", new int[] {0}, true,
            List.of(Call.of(Kind.ROW_NUMBER), Call.of(Kind.RANK), Call.of(Kind.DENSE_RANK), at(Kind.LAG, 1),
                at(Kind.LEAD, 2), at(Kind.LAG, -1), aggregate(SUM)), runningRange),
        Arguments.of("ROWS 2 PRECEDING to 1 FOLLOWING, no partition", new int[0], false,
            List.of(aggregate(SUM), aggregate(MIN), at(Kind.FIRST_VALUE, 0), at(Kind.LAST_VALUE, 0),
                at(Kind.NTH_VALUE, 2)), new Frame(true, new Bound(false, -2), new Bound(false, 1))),
        Arguments.of("ROWS 1 FOLLOWING to 3 FOLLOWING", new int[] {0}, true,
            List.of(aggregate(COUNT), at(Kind.FIRST_VALUE, 0)),
            new Frame(true, new Bound(false, 1), new Bound(false, 3))),
        Arguments.of("ROWS 3 PRECEDING to 1 PRECEDING", new int[] {0}, false,
            List.of(aggregate(SUM), at(Kind.LAST_VALUE, 0)),
            new Frame(true, new Bound(false, -3), new Bound(false, -1))),
        Arguments.of("RANGE 2 PRECEDING to CURRENT ROW", new int[] {0}, true,
            List.of(aggregate(SUM), aggregate(COUNT)),
            new Frame(false, Bound.range(2L, true, false), Bound.CURRENT_ROW)),
        Arguments.of("RANGE 1 PRECEDING to 2 FOLLOWING", new int[0], false,
            List.of(aggregate(SUM)), new Frame(false, Bound.range(1L, true, false), Bound.range(2L, false, false))),
        Arguments.of("CURRENT ROW to UNBOUNDED FOLLOWING", new int[] {0}, true,
            List.of(aggregate(SUM), at(Kind.LAST_VALUE, 0)), new Frame(false, Bound.CURRENT_ROW, Bound.UNBOUNDED)),
        Arguments.of("NTILE, PERCENT_RANK, CUME_DIST", new int[] {0}, false,
            List.of(new Call(Kind.NTILE, -1, 3, null, null, null), Call.of(Kind.PERCENT_RANK),
                Call.of(Kind.CUME_DIST)), runningRange));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("windows")
  void changeByChangeEqualsFromScratch(String name, int[] partitionKeys, boolean descending, List<Call> calls,
      Frame frame) {
    List<SortKey> order = List.of(new SortKey(1, descending, descending));
    WindowOperator kept = new WindowOperator(partitionKeys, order, calls, frame);
    Random random = new Random(name.hashCode());
    List<Row> held = new ArrayList<>();
    ZSet output = new ZSet();
    long id = 0;
    for (int step = 0; step < 300; step++) {
      ZSet delta = new ZSet();
      int changes = 1 + random.nextInt(step % 10 == 0 ? 12 : 3);
      for (int c = 0; c < changes; c++) {
        if (!held.isEmpty() && random.nextInt(5) < 2) {
          Row gone = held.remove(random.nextInt(held.size()));
          delta.add(gone, -1);
        } else {
          // now and then a copy of a held row: duplicates are rows of their own count
          Row added = !held.isEmpty() && random.nextInt(6) == 0 ? held.get(random.nextInt(held.size()))
              : row(random, id++);
          held.add(added);
          delta.add(added, 1);
        }
      }
      kept.apply(delta, output::add);
      WindowOperator fresh = new WindowOperator(partitionKeys, order, calls, frame);
      ZSet all = new ZSet();
      held.forEach(r -> all.add(r, 1));
      ZSet expected = new ZSet();
      fresh.apply(all, expected::add);
      assertEquals(expected, output, name + " after step " + step);
    }
  }
}
