package io.deltaview.engine.state;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.row.PgArray;
import io.deltaview.engine.row.Row;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Every value class a row holds comes back equal and of the same class; damage is detected. */
class StateCodecTest {

  private static final List<Object> VALUES = List.of(
      0L, 1L, -1L, Long.MAX_VALUE, Long.MIN_VALUE, 300L,
      "", "plain", "grüße, 東京, emoji \uD83D\uDE00", "lone \uD800 surrogate", "x".repeat(70_000),
      new BigDecimal("1.0"), new BigDecimal("1.00"), new BigDecimal("-0.000"), new BigDecimal("1E+5"),
      new BigDecimal("123456789012345678901234567890.123456789"), new BigDecimal(BigInteger.ONE.shiftLeft(63), 2),
      0.0d, -0.0d, Double.NaN, Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, Double.MIN_VALUE, 0.1d,
      Boolean.TRUE, Boolean.FALSE,
      LocalDate.of(2024, 2, 29), LocalDate.MIN, LocalDate.MAX,
      LocalTime.of(23, 59, 59, 999_999_999), LocalTime.MIDNIGHT,
      LocalDateTime.of(1999, 12, 31, 23, 59, 59, 123_456_000), LocalDateTime.MIN,
      Instant.ofEpochSecond(-1, 5), Instant.parse("2026-12-03T05:21:19.000001Z"),
      42, Integer.MIN_VALUE,
      PgArray.of(List.of()), PgArray.of(java.util.Arrays.asList(1L, null, new BigDecimal("2.50"), "a\"b")));

  @Test
  void everyValueRoundTripsExactly() {
    StateOutput out = new StateOutput();
    for (Object v : VALUES) {
      out.writeValue(v);
    }
    out.writeValue(null);
    out.writeValue(new byte[] {0, -1, 127});
    List<byte[]> parts = out.finish();
    StateInput in = new StateInput(parts);
    for (Object v : VALUES) {
      Object back = in.readValue();
      assertEquals(v.getClass(), back.getClass(), "class of " + v);
      assertEquals(v, back); // BigDecimal.equals compares the scale, Double.equals the bits
      if (v instanceof BigDecimal d) {
        assertEquals(d.scale(), ((BigDecimal) back).scale());
      }
    }
    assertEquals(null, in.readValue());
    assertArrayEquals(new byte[] {0, -1, 127}, (byte[]) in.readValue());
    assertTrue(in.atEnd());
    assertEquals(out.checksum(), StateInput.checksum(parts));
  }

  @Test
  void rowsSpanningManyPartsRoundTrip() {
    StateOutput out = new StateOutput();
    List<Row> rows = new ArrayList<>();
    for (int i = 0; i < 300_000; i++) {
      rows.add(Row.of((long) i, "customer " + i, BigDecimal.valueOf(i, 2), null, LocalDate.ofEpochDay(i % 20000)));
    }
    rows.forEach(out::writeRow);
    List<byte[]> parts = out.finish();
    assertTrue(parts.size() > 1, "expected several parts, got " + parts.size());
    assertEquals(out.size(), parts.stream().mapToLong(p -> p.length).sum());
    StateInput in = new StateInput(parts);
    for (Row r : rows) {
      assertEquals(r, in.readRow());
    }
    assertTrue(in.atEnd());
  }

  @Test
  void aValueOfAnUnknownClassCannotBeWritten() {
    StateOutput out = new StateOutput();
    assertThrows(StateFormatException.class, () -> out.writeValue(new StringBuilder("x")));
  }

  @Test
  void damagedBytesAreDetected() {
    StateOutput out = new StateOutput();
    out.writeValue("some text");
    List<byte[]> parts = out.finish();
    long sum = out.checksum();
    parts.get(0)[3] ^= 1;
    assertTrue(StateInput.checksum(parts) != sum, "the checksum sees a flipped bit");
    StateInput truncated = new StateInput(List.of(new byte[] {StateOutput.STRING, 10, 'a'}));
    assertThrows(StateFormatException.class, truncated::readValue);
    assertThrows(StateFormatException.class, () -> new StateInput(List.of(new byte[] {99})).readValue());
  }
}
