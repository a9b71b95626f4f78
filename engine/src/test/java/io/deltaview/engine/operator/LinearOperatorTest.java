package io.deltaview.engine.operator;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.deltaview.engine.row.Row;
import org.junit.jupiter.api.Test;

class LinearOperatorTest {

  @Test
  void filterKeepsWeights() {
    FilterOperator f = new FilterOperator(r -> ((Long) r.get(0)) > 1);
    ZSet out = f.apply(ZSet.of(Row.of(1L), 1, Row.of(2L), -1, Row.of(3L), 2));
    assertEquals(ZSet.of(Row.of(2L), -1, Row.of(3L), 2), out);
  }

  @Test
  void mapConsolidatesAndCancels() {
    MapOperator m = new MapOperator(r -> Row.of(r.get(1)));
    // an update that does not change the projected column cancels out
    ZSet out = m.apply(ZSet.of(Row.of(1L, "a"), -1, Row.of(2L, "a"), 1, Row.of(3L, "b"), 1, Row.of(4L, "b"), 1));
    assertEquals(ZSet.of(Row.of("b"), 2), out);
  }

  @Test
  void linearityHolds() {
    MapOperator m = new MapOperator(r -> Row.of(((Long) r.get(0)) % 2));
    ZSet a = ZSet.of(Row.of(1L), 1, Row.of(2L), 1);
    ZSet b = ZSet.of(Row.of(3L), 1, Row.of(1L), -1);
    ZSet sum = a.copy();
    sum.addAll(b);
    ZSet separately = m.apply(a);
    separately.addAll(m.apply(b));
    assertEquals(m.apply(sum), separately);
  }
}
