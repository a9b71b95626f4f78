package io.deltaview.engine.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.math.BigDecimal;
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
  void plainDecimalsParseStraightFromTheBytesWithTheirPrintedScale() {
    for (String v : new String[] {"0", "12.50", "-12.50", "0.001", "-0.5", "100", "-0.00", "123456789012345678",
        "12345678.9012345678", "-99999999999999999.9"}) {
      assertEquals(new BigDecimal(v), of(v).decimalValue(0), v); // equals: same unscaled value and scale
    }
    java.util.Random random = new java.util.Random(20261202L);
    for (int n = 0; n < 1000; n++) {
      BigDecimal d = BigDecimal.valueOf(random.nextLong() % 1_000_000_000_000L, random.nextInt(10));
      assertEquals(d, of(d.toPlainString()).decimalValue(0), d.toPlainString());
    }
  }

  @Test
  void decimalsItCannotParseAreLeftToTheText() {
    for (String other : new String[] {"", "-", "NaN", "1.", ".5", "1.2.3", "1e5", " 1", "1234567890123456789",
        "0.1234567890123456789"}) {
      assertNull(of(other).decimalValue(0), other);
    }
    assertNull(TupleData.builder(1).nul().build().decimalValue(0));
  }

  @Test
  void knowsWhetherAnyColumnIsAnUnchangedToastValue() {
    assertFalse(TupleData.builder(2).text("1").nul().build().hasUnchangedToast());
    assertTrue(TupleData.builder(2).text("1").unchangedToast().build().hasUnchangedToast());
  }
}
