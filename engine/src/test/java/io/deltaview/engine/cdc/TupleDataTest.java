package io.deltaview.engine.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TupleDataTest {

  private static TupleData of(String text) {
    return TupleData.builder(1).text(text).build();
  }

  @Test
  void wholeNumbersParseStraightFromTheBytes() {
    for (long v : new long[] {0, 7, -7, 2147483647L, -2147483648L, 999_999_999_999_999_999L,
        -999_999_999_999_999_999L, Long.MAX_VALUE, Long.MIN_VALUE}) {
      assertEquals(v, of(Long.toString(v)).longValue(0), Long.toString(v));
    }
  }

  @Test
  void anythingElseFailsAsLongParseLongDoes() {
    for (String bad : new String[] {"", "-", "12a", "1.0", " 1", "9223372036854775808", "-9223372036854775809",
        "99999999999999999999"}) {
      assertThrows(NumberFormatException.class, () -> of(bad).longValue(0), bad);
    }
    assertThrows(IllegalStateException.class, () -> TupleData.builder(1).nul().build().longValue(0));
  }

  @Test
  void knowsWhetherAnyColumnIsAnUnchangedToastValue() {
    assertFalse(TupleData.builder(2).text("1").nul().build().hasUnchangedToast());
    assertTrue(TupleData.builder(2).text("1").unchangedToast().build().hasUnchangedToast());
  }
}
