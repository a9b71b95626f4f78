package io.deltaview.engine.operator;

import static io.deltaview.engine.operator.AggregateSpec.ArgType.BIGINT;
import static io.deltaview.engine.operator.AggregateSpec.ArgType.DOUBLE;
import static io.deltaview.engine.operator.AggregateSpec.ArgType.INT;
import static io.deltaview.engine.operator.AggregateSpec.ArgType.NUMERIC;
import static io.deltaview.engine.operator.AggregateSpec.ArgType.OTHER;
import static io.deltaview.engine.operator.AggregateSpec.Function.AVG;
import static io.deltaview.engine.operator.AggregateSpec.Function.COUNT;
import static io.deltaview.engine.operator.AggregateSpec.Function.MAX;
import static io.deltaview.engine.operator.AggregateSpec.Function.MIN;
import static io.deltaview.engine.operator.AggregateSpec.Function.SUM;
import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deltaview.engine.row.Row;
import java.math.BigDecimal;
import java.util.List;
import org.junit.jupiter.api.Test;

class AggregateOperatorTest {

  private static BigDecimal dec(String s) {
    return new BigDecimal(s);
  }

  @Test
  void groupAppearsChangesAndDisappears() {
    AggregateOperator agg = new AggregateOperator(new int[] {0},
        List.of(AggregateSpec.countStar(), AggregateSpec.of(SUM, 1, INT)));
    assertEquals(ZSet.of(Row.of("a", 2L, 3L), 1),
        agg.apply(ZSet.of(Row.of("a", 1L), 1, Row.of("a", 2L), 1)));
    assertEquals(ZSet.of(Row.of("a", 2L, 3L), -1, Row.of("a", 1L, 1L), 1),
        agg.apply(ZSet.of(Row.of("a", 2L), -1)));
    assertEquals(ZSet.of(Row.of("a", 1L, 1L), -1), agg.apply(ZSet.of(Row.of("a", 1L), -1)));
    assertEquals(0, agg.groupCount());
  }

  /**
   * 1.0 and 1.00 are one group, as in PostgreSQL; its key is spelled as a row of the group still spells it, also
   * after the state went through a checkpoint.
   */
  @Test
  void numericsEqualInValueAreOneGroupSpelledAsALiveRow() {
    List<AggregateSpec> calls = List.of(AggregateSpec.countStar());
    AggregateOperator agg = new AggregateOperator(new int[] {0}, calls);
    assertEquals(ZSet.of(Row.of(dec("1.0"), 1L), 1), agg.apply(ZSet.of(Row.of(dec("1.0"), 1L), 1)));
    assertEquals(ZSet.of(Row.of(dec("1.0"), 1L), -1, Row.of(dec("1.0"), 2L), 1),
        agg.apply(ZSet.of(Row.of(dec("1.00"), 2L), 1)));
    assertEquals(ZSet.of(Row.of(dec("1.0"), 2L), -1, Row.of(dec("1.00"), 1L), 1),
        agg.apply(ZSet.of(Row.of(dec("1.0"), 1L), -1)));
    assertEquals(ZSet.of(Row.of(dec("1.00"), 1L), -1, Row.of(dec("1.00"), 2L), 1),
        agg.apply(ZSet.of(Row.of(dec("1"), 3L), 1)));
    io.deltaview.engine.state.StateOutput out = new io.deltaview.engine.state.StateOutput();
    agg.writeState(out);
    AggregateOperator restored = new AggregateOperator(new int[] {0}, calls);
    restored.readState(new io.deltaview.engine.state.StateInput(out.finish()));
    assertEquals(ZSet.of(Row.of(dec("1.00"), 2L), -1, Row.of(dec("1"), 1L), 1),
        restored.apply(ZSet.of(Row.of(dec("1.00"), 2L), -1)));
    assertEquals(ZSet.of(Row.of(dec("1"), 1L), -1), restored.apply(ZSet.of(Row.of(dec("1"), 3L), -1)));
    assertEquals(0, restored.groupCount());
    AggregateOperator zeros = new AggregateOperator(new int[] {0}, calls);
    ZSet zero = zeros.apply(ZSet.of(Row.of(0.0), 1, Row.of(-0.0), 1));
    assertEquals(1, zero.size(), zero.toString());
    zero.forEach((row, weight) -> assertEquals(2L, row.get(1), zero.toString()));
  }

  @Test
  void unchangedOutputEmitsNothing() {
    AggregateOperator agg = new AggregateOperator(new int[] {0}, List.of(AggregateSpec.of(MAX, 1, INT)));
    agg.apply(ZSet.of(Row.of("a", 5L), 1, Row.of("a", 1L), 1));
    assertEquals(new ZSet(), agg.apply(ZSet.of(Row.of("a", 1L), -1, Row.of("a", 2L), 1)));
  }

  @Test
  void wholeTableAggregateAlwaysHasOneRow() {
    AggregateOperator agg = new AggregateOperator(new int[0], List.of(AggregateSpec.countStar(),
        AggregateSpec.of(SUM, 0, INT), AggregateSpec.of(AVG, 0, INT), AggregateSpec.of(MIN, 0, INT)));
    assertEquals(ZSet.of(Row.of(0L, null, null, null), 1), agg.apply(new ZSet()));
    assertEquals(new ZSet(), agg.apply(new ZSet()));
    assertEquals(ZSet.of(Row.of(0L, null, null, null), -1, Row.of(1L, 7L, dec("7.0000000000000000"), 7L), 1),
        agg.apply(ZSet.of(Row.of(7L), 1)));
    assertEquals(ZSet.of(Row.of(0L, null, null, null), 1, Row.of(1L, 7L, dec("7.0000000000000000"), 7L), -1),
        agg.apply(ZSet.of(Row.of(7L), -1)));
  }

  @Test
  void minMaxSurviveDeletesOfTheExtreme() {
    AggregateOperator agg = new AggregateOperator(new int[0],
        List.of(AggregateSpec.of(MIN, 0, OTHER), AggregateSpec.of(MAX, 0, OTHER)));
    agg.apply(ZSet.of(Row.of("b"), 1, Row.of("a"), 2, Row.of("c"), 1));
    assertEquals(ZSet.of(Row.of("a", "c"), -1, Row.of("a", "b"), 1), agg.apply(ZSet.of(Row.of("c"), -1)));
    assertEquals(new ZSet(), agg.apply(ZSet.of(Row.of("a"), -1)));
    assertEquals(ZSet.of(Row.of("a", "b"), -1, Row.of("b", "b"), 1), agg.apply(ZSet.of(Row.of("a"), -1)));
  }

  @Test
  void countColumnSkipsNulls() {
    AggregateOperator agg = new AggregateOperator(new int[0],
        List.of(AggregateSpec.countStar(), AggregateSpec.of(COUNT, 0, INT)));
    agg.apply(new ZSet());
    assertEquals(ZSet.of(Row.of(0L, 0L), -1, Row.of(2L, 1L), 1),
        agg.apply(ZSet.of(Row.of((Object) null), 1, Row.of(3L), 1)));
  }

  @Test
  void sumAndAvgFollowPostgresTypes() {
    AggregateOperator agg = new AggregateOperator(new int[0], List.of(
        AggregateSpec.of(SUM, 0, INT), AggregateSpec.of(AVG, 0, INT),
        AggregateSpec.of(SUM, 1, BIGINT), AggregateSpec.of(AVG, 1, BIGINT),
        AggregateSpec.of(SUM, 2, NUMERIC), AggregateSpec.of(AVG, 2, NUMERIC),
        AggregateSpec.of(SUM, 3, DOUBLE), AggregateSpec.of(AVG, 3, DOUBLE)));
    ZSet out = agg.apply(ZSet.of(Row.of(1L, 10L, dec("10.00"), 0.5), 1, Row.of(2L, 20L, dec("20.00"), 1.0), 1));
    assertEquals(ZSet.of(Row.of(3L, dec("1.5000000000000000"), dec("30"), dec("15.0000000000000000"),
        dec("30.00"), dec("15.0000000000000000"), 1.5, 0.75), 1), out);
  }

  @Test
  void numericSumScaleIsMaxOfCurrentInputs() {
    AggregateOperator agg = new AggregateOperator(new int[0], List.of(AggregateSpec.of(SUM, 0, NUMERIC)));
    agg.apply(ZSet.of(Row.of(dec("1.5")), 1, Row.of(dec("2.125")), 1));
    assertEquals(ZSet.of(Row.of(dec("3.625")), -1, Row.of(dec("1.5")), 1),
        agg.apply(ZSet.of(Row.of(dec("2.125")), -1)));
  }

  @Test
  void avgUsesPostgresDivisionScale() {
    AggregateOperator agg = new AggregateOperator(new int[0], List.of(AggregateSpec.of(AVG, 0, INT)));
    // 1/4 = 0.25 with scale 20: the quotient's base-10000 weight is -1, so 16 + 4 digits
    assertEquals(ZSet.of(Row.of(dec("0.25000000000000000000")), 1),
        agg.apply(ZSet.of(Row.of(1L), 1, Row.of(0L), 1, Row.of(0L), 2)));
  }

  @Test
  void doubleSumHasNoDriftAfterDeletes() {
    AggregateOperator agg = new AggregateOperator(new int[0], List.of(AggregateSpec.of(SUM, 0, DOUBLE)));
    agg.apply(ZSet.of(Row.of(0.1), 1, Row.of(1e20), 1));
    assertEquals(ZSet.of(Row.of(1e20 + 0.1), -1, Row.of(0.1), 1), agg.apply(ZSet.of(Row.of(1e20), -1)));
  }

  /**
   * Entries as a join pushes them, unconsolidated and in any order: a delete may come before the insert it
   * cancels (a group's count and a MIN/MAX multiset go below zero for a moment), and a row may come twice.
   * The output equals that of the same delta consolidated.
   */
  @Test
  void unconsolidatedInputInAnyOrderGivesTheConsolidatedOutput() {
    List<AggregateSpec> calls = List.of(AggregateSpec.countStar(), AggregateSpec.of(SUM, 1, INT),
        AggregateSpec.of(MIN, 1, INT), AggregateSpec.of(MAX, 1, INT));
    AggregateOperator pushed = new AggregateOperator(new int[] {0}, calls);
    AggregateOperator consolidated = new AggregateOperator(new int[] {0}, calls);
    ZSet start = ZSet.of(Row.of("a", 5L), 1, Row.of("b", 1L), 1);
    assertEquals(consolidated.apply(start), pushed.apply(start));
    RowBatch batch = new RowBatch();
    batch.accept(Row.of("a", 9L), -1); // cancelled below, by an insert that comes later
    batch.accept(Row.of("b", 1L), -1);
    batch.accept(Row.of("a", 2L), 1);
    batch.accept(Row.of("a", 9L), 1);
    batch.accept(Row.of("c", 3L), 1);
    batch.accept(Row.of("c", 3L), 1);
    batch.accept(Row.of("c", 7L), 1);
    batch.accept(Row.of("c", 7L), -1);
    ZSet same = ZSet.of(Row.of("b", 1L), -1, Row.of("a", 2L), 1, Row.of("c", 3L), 2);
    ZSet expected = consolidated.apply(same);
    assertEquals(ZSet.of(Row.of("a", 1L, 5L, 5L, 5L), -1, Row.of("a", 2L, 7L, 2L, 5L), 1,
        Row.of("b", 1L, 1L, 1L, 1L), -1, Row.of("c", 2L, 6L, 3L, 3L), 1), expected);
    assertEquals(expected, pushed.apply(batch));
    assertEquals(2, pushed.groupCount());
  }

  /** A numeric sum that outgrows a long (and inputs too long for one) stays exact, also after deletes. */
  @Test
  void numericSumBeyondTheRangeOfALongStaysExact() {
    AggregateOperator agg = new AggregateOperator(new int[0], List.of(AggregateSpec.of(SUM, 0, NUMERIC)));
    BigDecimal big = dec("999999999999999999.5");
    assertEquals(ZSet.of(Row.of(dec("10999999999999999994.75")), 1),
        agg.apply(ZSet.of(Row.of(big), 11, Row.of(dec("0.25")), 1)));
    assertEquals(ZSet.of(Row.of(dec("10999999999999999994.75")), -1, Row.of(dec("0.50")), 1),
        agg.apply(ZSet.of(Row.of(big), -11, Row.of(dec("0.25")), 1)));
    AggregateOperator longs = new AggregateOperator(new int[0], List.of(AggregateSpec.of(SUM, 0, NUMERIC)));
    BigDecimal large = dec("900000000000000000");
    longs.apply(ZSet.of(Row.of(large), 1));
    assertEquals(ZSet.of(Row.of(large), -1, Row.of(dec("18900000000000000000")), 1),
        longs.apply(ZSet.of(Row.of(large), 20)));
    assertEquals(ZSet.of(Row.of(dec("18900000000000000000")), -1, Row.of(dec("0.001")), 1),
        longs.apply(ZSet.of(Row.of(large), -21, Row.of(dec("0.001")), 1)));
  }
}
