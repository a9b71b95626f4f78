package io.deltaview.engine.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.row.Row;
import io.deltaview.engine.spill.StateMemory;
import java.math.BigDecimal;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

class JoinOperatorTest {

  private static ZSet empty() {
    return new ZSet();
  }

  @Test
  void aDiscardedJoinGivesItsShareOfTheMemoryBudgetBackAtOnce() {
    StateMemory memory = new StateMemory(1L << 40, Path.of("unused"), 1);
    StateMemory previous = StateMemory.install(memory);
    try {
      JoinOperator j = new JoinOperator(new int[] {0}, new int[] {0}, null);
      ZSet rows = new ZSet();
      for (long i = 0; i < 100; i++) {
        rows.add(Row.of(i, "r" + i), 1);
      }
      j.apply(rows, rows);
      assertTrue(memory.used() > 0, "both arrangements reported");
      j.releaseBudget();
      assertEquals(0, memory.used(), "without waiting for the garbage collector");
      j.apply(ZSet.of(Row.of(500L, "again"), 1), empty());
      assertTrue(memory.used() > 0, "state still in use reports again");
    } finally {
      StateMemory.install(previous);
    }
  }

  @Test
  void leftThenRightThenBoth() {
    JoinOperator j = new JoinOperator(new int[] {0}, new int[] {0}, null);
    assertEquals(empty(), j.apply(ZSet.of(Row.of(1L, "c1"), 1), empty()));
    assertEquals(ZSet.of(Row.of(1L, "c1", 1L, "o1"), 1), j.apply(empty(), ZSet.of(Row.of(1L, "o1"), 1)));
    // same transaction: new customer 2 and its order, plus delete of o1: Δa⋈b_old + a_old⋈Δb + Δa⋈Δb
    ZSet out = j.apply(ZSet.of(Row.of(2L, "c2"), 1), ZSet.of(Row.of(2L, "o2"), 1, Row.of(1L, "o1"), -1));
    assertEquals(ZSet.of(Row.of(2L, "c2", 2L, "o2"), 1, Row.of(1L, "c1", 1L, "o1"), -1), out);
  }

  @Test
  void deleteOnBothSidesInOneStepRemovesOnce() {
    JoinOperator j = new JoinOperator(new int[] {0}, new int[] {0}, null);
    j.apply(ZSet.of(Row.of(1L, "a"), 1), ZSet.of(Row.of(1L, "b"), 1));
    ZSet out = j.apply(ZSet.of(Row.of(1L, "a"), -1), ZSet.of(Row.of(1L, "b"), -1));
    // -1 (Δa⋈b_old) -1 (a_old⋈Δb) +1 (Δa⋈Δb) = -1
    assertEquals(ZSet.of(Row.of(1L, "a", 1L, "b"), -1), out);
    assertEquals(0, j.stateSize());
  }

  @Test
  void nullKeysNeverMatch() {
    JoinOperator j = new JoinOperator(new int[] {0}, new int[] {0}, null);
    assertEquals(empty(), j.apply(ZSet.of(Row.of(null, "a"), 1), ZSet.of(Row.of(null, "b"), 1)));
    assertEquals(0, j.stateSize());
  }

  @Test
  void nullSafeKeysMatchNull() {
    JoinOperator j = new JoinOperator(new int[] {0}, new int[] {0}, new boolean[] {true}, null);
    assertEquals(ZSet.of(Row.of(null, "a", null, "b"), 1),
        j.apply(ZSet.of(Row.of(null, "a"), 1), ZSet.of(Row.of(null, "b"), 1)));
  }

  @Test
  void residualIsAppliedToJoinedRow() {
    JoinOperator j = new JoinOperator(new int[] {0}, new int[] {0}, r -> ((Long) r.get(3)) > ((Long) r.get(1)));
    ZSet out = j.apply(ZSet.of(Row.of(1L, 5L), 1), ZSet.of(Row.of(1L, 4L), 1, Row.of(1L, 6L), 1));
    assertEquals(ZSet.of(Row.of(1L, 5L, 1L, 6L), 1), out);
  }

  @Test
  void numericKeysMatchAcrossScales() {
    JoinOperator j = new JoinOperator(new int[] {0}, new int[] {0}, null);
    ZSet out = j.apply(ZSet.of(Row.of(new BigDecimal("1.0")), 1), ZSet.of(Row.of(new BigDecimal("1.00")), 1));
    assertEquals(1, out.size());
  }

  @Test
  void multiplicitiesMultiply() {
    JoinOperator j = new JoinOperator(new int[] {0}, new int[] {0}, null);
    ZSet out = j.apply(ZSet.of(Row.of(1L), 2), ZSet.of(Row.of(1L), 3));
    assertEquals(ZSet.of(Row.of(1L, 1L), 6), out);
  }

  @Test
  void duplicateRowsInStateKeepTheirMultiplicity() {
    JoinOperator j = new JoinOperator(new int[] {0}, new int[] {0}, null);
    j.apply(ZSet.of(Row.of(1L, "a"), 1), empty());
    j.apply(ZSet.of(Row.of(1L, "a"), 1), empty()); // now weight 2
    assertEquals(ZSet.of(Row.of(1L, "a", 1L, "b"), 2), j.apply(empty(), ZSet.of(Row.of(1L, "b"), 1)));
    j.apply(ZSet.of(Row.of(1L, "a"), -1), empty()); // back to a lone row
    assertEquals(ZSet.of(Row.of(1L, "a", 1L, "c"), 1), j.apply(empty(), ZSet.of(Row.of(1L, "c"), 1)));
    j.apply(ZSet.of(Row.of(1L, "a"), -1), empty());
    assertEquals(empty(), j.apply(empty(), ZSet.of(Row.of(1L, "d"), 1)));
    assertEquals(3, j.stateSize()); // b, c, d on the right
  }

  @Test
  void fusedOutputMapConsolidatesMappedRows() {
    // keep only the right row's payload: two joined rows map to the same output and add up
    JoinOperator j = new JoinOperator(new int[] {0}, new int[] {0}, null, null, r -> Row.of(r.get(3)));
    ZSet out = j.apply(ZSet.of(Row.of(1L, "a"), 1, Row.of(1L, "b"), 1), ZSet.of(Row.of(1L, "x"), 1));
    assertEquals(ZSet.of(Row.of("x"), 2), out);
    assertEquals(ZSet.of(Row.of("x"), -1), j.apply(ZSet.of(Row.of(1L, "a"), -1), empty()));
  }
}
