package io.deltaview.engine.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deltaview.engine.row.Row;
import java.util.Random;
import org.junit.jupiter.api.Test;

class RowBagTest {

  /** Random adds (growing, shrinking, colliding keys) must agree with ZSet, the reference multiset. */
  @Test
  void agreesWithZSetUnderRandomAddsAndRemoves() {
    Random random = new Random(42);
    for (int round = 0; round < 200; round++) {
      RowBag bag = new RowBag();
      ZSet ref = new ZSet();
      int universe = 1 + random.nextInt(round < 100 ? 8 : 300);
      for (int step = 0; step < 2000; step++) {
        // rows with equal low hash bits collide in the open-addressing table
        Row r = Row.of((long) random.nextInt(universe) * 1024, "x");
        long w = random.nextInt(5) - 2;
        bag.add(r, w);
        ref.add(r, w);
        assertEquals(ref.size(), bag.size());
        assertEquals(ref.weight(r), bag.weight(r));
      }
      ZSet copy = new ZSet();
      bag.forEach(copy::add);
      assertEquals(ref, copy);
      ref.forEach((row, w) -> assertEquals(w, bag.weight(row)));
    }
  }
}
