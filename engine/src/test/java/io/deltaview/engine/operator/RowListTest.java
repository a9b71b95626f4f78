package io.deltaview.engine.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.row.Row;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RowListTest {

  @Test
  void appendsUntilEntriesOutnumberTwiceTheRowsThenConsolidates() {
    Row a = Row.of(1L);
    Row b = Row.of(2L);
    RowList list = new RowList(a, 1);
    assertFalse(list.add(a, -1));
    assertFalse(list.add(b, 2));
    assertFalse(list.add(a, 1));
    assertEquals(4, list.size(), "entries are kept as they came");
    assertTrue(list.add(b, -2), "the fifth entry is more than 2 × 0 + 4");
    assertEquals(1, list.size());
    assertSame(a, list.loneRow());
    assertFalse(list.add(a, -1), "one row left, so up to 2 × 1 + 4 entries before the next consolidation");
    assertEquals(2, list.size());
    assertEquals(0, list.consolidate());
    assertNull(list.loneRow());
  }

  /** Whatever entries a list holds, summed they equal the multiset of everything added (small and large). */
  @Test
  void entriesAlwaysSumToWhatWasAdded() {
    Random random = new Random(20261202L);
    for (int round = 0; round < 200; round++) {
      int universe = 1 + random.nextInt(round < 100 ? 6 : 200);
      Row first = Row.of((long) random.nextInt(universe));
      RowList list = new RowList(first, 1);
      ZSet ref = ZSet.of(first, 1);
      for (int step = 0; step < 500; step++) {
        Row r = Row.of((long) random.nextInt(universe));
        long w = random.nextInt(5) - 2;
        if (w == 0) {
          continue;
        }
        list.add(r, w);
        ref.add(r, w);
        ZSet sum = new ZSet();
        list.forEach(sum::add);
        assertEquals(ref, sum, "round " + round + ", step " + step);
        assertTrue(list.size() <= 2 * universe + 5, "entries stay bounded: " + list.size());
      }
      assertEquals(ref.size(), list.consolidate());
    }
  }
}
