package io.deltaview.engine.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.deltaview.engine.operator.MultiJoinOperator.Equality;
import io.deltaview.engine.row.Row;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Random;
import java.util.function.Predicate;
import org.junit.jupiter.api.Test;

class MultiJoinOperatorTest {

  /** lines(order_id, qty) ⋈ orders(id, customer_id) ⋈ customers(id, region), as the demo view joins them. */
  private static MultiJoinOperator chain() {
    return MultiJoinOperator.plan(new int[] {2, 2, 2},
        List.of(new Equality(0, 2, false), new Equality(3, 4, false)), null, null);
  }

  @Test
  void changesToEachInputReachTheOutput() {
    MultiJoinOperator j = chain();
    ZSet none = new ZSet();
    assertEquals(none, j.apply(new ZSet[] {ZSet.of(Row.of(1L, 5L), 1), none, none}));
    assertEquals(none, j.apply(new ZSet[] {none, ZSet.of(Row.of(1L, 7L), 1), none}));
    assertEquals(ZSet.of(Row.of(1L, 5L, 1L, 7L, 7L, "north"), 1),
        j.apply(new ZSet[] {none, none, ZSet.of(Row.of(7L, "north"), 1)}));
    // the customer moves region: one row out, one in
    assertEquals(ZSet.of(Row.of(1L, 5L, 1L, 7L, 7L, "north"), -1, Row.of(1L, 5L, 1L, 7L, 7L, "south"), 1),
        j.apply(new ZSet[] {none, none, ZSet.of(Row.of(7L, "north"), -1, Row.of(7L, "south"), 1)}));
    // the line moves to another order of another customer, which arrives in the same step
    ZSet out = j.apply(new ZSet[] {ZSet.of(Row.of(1L, 5L), -1, Row.of(2L, 5L), 1),
        ZSet.of(Row.of(2L, 8L), 1), ZSet.of(Row.of(8L, "east"), 1)});
    assertEquals(ZSet.of(Row.of(1L, 5L, 1L, 7L, 7L, "south"), -1, Row.of(2L, 5L, 2L, 8L, 8L, "east"), 1), out);
  }

  @Test
  void deletingEverythingInOneStepLeavesNoState() {
    MultiJoinOperator j = chain();
    ZSet[] all = {ZSet.of(Row.of(1L, 5L), 2), ZSet.of(Row.of(1L, 7L), 1), ZSet.of(Row.of(7L, "north"), 1)};
    assertEquals(ZSet.of(Row.of(1L, 5L, 1L, 7L, 7L, "north"), 2), j.apply(all));
    ZSet[] none = {all[0].negate(), all[1].negate(), all[2].negate()};
    assertEquals(ZSet.of(Row.of(1L, 5L, 1L, 7L, 7L, "north"), -2), j.apply(none));
    assertEquals(0, j.stateSize());
  }

  @Test
  void inputsNotLinkedByAnEqualityAreNotPlanned() {
    assertNull(MultiJoinOperator.plan(new int[] {1, 1, 1}, List.of(new Equality(0, 1, false)), null, null));
    assertThrows(IllegalArgumentException.class,
        () -> MultiJoinOperator.plan(new int[] {2, 1, 1}, List.of(new Equality(0, 1, false)), null, null));
  }

  @Test
  void numericKeysMatchAcrossTypesAndScales() {
    MultiJoinOperator j = chain();
    ZSet none = new ZSet();
    j.apply(new ZSet[] {ZSet.of(Row.of(new BigDecimal("1.00"), 5L), 1), none, ZSet.of(Row.of(7L, "north"), 1)});
    assertEquals(1, j.apply(new ZSet[] {none, ZSet.of(Row.of(1L, new BigDecimal("7.0")), 1), none}).size());
  }

  /**
   * Random steps, after each of which the sum of the outputs must equal the join recomputed from the inputs'
   * contents. Shapes: four inputs joined in a cycle (so some lookups use two key columns) with a null-safe
   * equality; and a chain whose first link is null-safe on its own. Both with a residual and NULL keys.
   */
  @Test
  void matchesRecomputationUnderRandomChanges() {
    Predicate<Row> residual = r -> r.get(0) == null || (Long) r.get(0) != 3L;
    // a.0 = b.0, b.1 = c.0, c.1 <=> d.0, d.1 = a.1
    randomSteps(4, List.of(new Equality(0, 2, false), new Equality(3, 4, false), new Equality(5, 6, true),
        new Equality(7, 1, false)), residual, 20261125L);
    // a.0 <=> b.0, b.1 = c.0
    randomSteps(3, List.of(new Equality(0, 2, true), new Equality(3, 4, false)), residual, 20261126L);
  }

  /**
   * Deltas far larger than the operator's chunk of lookups, pushed unconsolidated (a row may come twice, or
   * come and go) as an operator below would push them, into a chain whose inputs have many rows per key.
   */
  @Test
  void largeUnconsolidatedDeltasMatchRecomputation() {
    randomSteps(3, List.of(new Equality(0, 2, false), new Equality(3, 4, false)), r -> true, 20261202L, 40, 900,
        true);
  }

  private static void randomSteps(int inputs, List<Equality> equalities, Predicate<Row> residual, long seed) {
    randomSteps(inputs, equalities, residual, seed, 300, 4, false);
  }

  /**
   * @param maxChanges changes per input and step are drawn below this
   * @param unconsolidated whether deltas reach the operator as a {@link RowBatch} that repeats some rows and
   *     carries some insert-and-delete pairs, instead of a Z-set
   */
  private static void randomSteps(int inputs, List<Equality> equalities, Predicate<Row> residual, long seed,
      int steps, int maxChanges, boolean unconsolidated) {
    Random random = new Random(seed);
    int range = unconsolidated ? 40 : 4;
    int[] widths = new int[inputs];
    java.util.Arrays.fill(widths, 2);
    MultiJoinOperator j = MultiJoinOperator.plan(widths, equalities, residual, null);
    List<List<Row>> contents = new ArrayList<>();
    for (int i = 0; i < inputs; i++) {
      contents.add(new ArrayList<>());
    }
    ZSet result = new ZSet();
    for (int step = 0; step < steps; step++) {
      WeightedRows[] deltas = new WeightedRows[inputs];
      for (int i = 0; i < inputs; i++) {
        RowBatch batch = new RowBatch();
        ZSet zset = new ZSet();
        java.util.function.ObjLongConsumer<Row> delta = unconsolidated ? batch : zset::add;
        deltas[i] = unconsolidated ? batch : zset;
        if (random.nextInt(3) == 0) {
          continue; // inputs often do not change
        }
        for (int k = random.nextInt(maxChanges); k > 0; k--) {
          List<Row> rows = contents.get(i);
          if (!rows.isEmpty() && random.nextBoolean()) {
            delta.accept(rows.remove(random.nextInt(rows.size())), -1);
          } else {
            Row row = Row.of(value(random, range), value(random, range));
            if (unconsolidated && random.nextInt(10) == 0) {
              delta.accept(row, 1); // a row that comes and goes in the same step
              delta.accept(row, -1);
            }
            rows.add(row);
            delta.accept(row, 1);
          }
        }
      }
      result.addAll(j.apply(deltas));
      ZSet expected = new ZSet();
      recompute(contents, 0, Row.EMPTY, equalities, residual, expected);
      assertEquals(expected, result, "seed " + seed + ", step " + step);
    }
  }

  private static Long value(Random random, int range) {
    return random.nextInt(8) == 0 ? null : (long) random.nextInt(range);
  }

  /**
   * Nested loops over the inputs' contents from {@code input} on, with {@code prefix} joined so far; a prefix
   * that already fails an equality between its own columns is not extended.
   */
  private static void recompute(List<List<Row>> contents, int input, Row prefix, List<Equality> equalities,
      Predicate<Row> residual, ZSet out) {
    for (Equality e : equalities) {
      if (e.left() < prefix.size() && e.right() < prefix.size()) {
        Object l = prefix.get(e.left());
        Object r = prefix.get(e.right());
        if (!(e.nullSafe() ? Objects.equals(l, r) : l != null && l.equals(r))) {
          return;
        }
      }
    }
    if (input == contents.size()) {
      if (residual.test(prefix)) {
        out.add(prefix, 1);
      }
      return;
    }
    for (Row row : contents.get(input)) {
      recompute(contents, input + 1, prefix.concat(row), equalities, residual, out);
    }
  }
}
