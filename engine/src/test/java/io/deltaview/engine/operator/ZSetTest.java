package io.deltaview.engine.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.row.Row;
import org.junit.jupiter.api.Test;

class ZSetTest {

  @Test
  void weightsAddAndZeroWeightsDisappear() {
    ZSet z = new ZSet();
    z.add(Row.of(1L), 1);
    z.add(Row.of(1L), 2);
    z.add(Row.of(2L), 1);
    assertEquals(3, z.weight(Row.of(1L)));
    z.add(Row.of(2L), -1);
    assertEquals(1, z.size());
    assertEquals(0, z.weight(Row.of(2L)));
    z.add(Row.of(3L), 0);
    assertEquals(1, z.size());
  }

  @Test
  void mergeAndNegateCancel() {
    ZSet a = ZSet.of(Row.of("a"), 1, Row.of("b"), -2);
    ZSet n = a.negate();
    assertEquals(-1, n.weight(Row.of("a")));
    assertEquals(2, n.weight(Row.of("b")));
    a.addAll(n);
    assertTrue(a.isEmpty());
  }

  @Test
  void updateIsDeleteOldInsertNew() {
    ZSet base = ZSet.of(Row.of(1L, "x"), 1);
    base.addAll(ZSet.of(Row.of(1L, "x"), -1, Row.of(1L, "y"), 1));
    assertEquals(ZSet.of(Row.of(1L, "y"), 1), base);
    assertTrue(base.isPositive());
    assertFalse(base.negate().isPositive());
  }

  @Test
  void addingItselfDoubles() {
    ZSet a = ZSet.of(Row.of(1L), 1);
    a.addAll(a);
    assertEquals(2, a.weight(Row.of(1L)));
  }
}
