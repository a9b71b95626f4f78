package io.deltaview.engine.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class PgValuesTest {

  /** Text compares as its UTF-8 bytes do (PostgreSQL's C collation), characters above U+FFFF included. */
  @Test
  void textComparesByCodePointLikeUtf8Bytes() {
    List<String> texts = List.of("", "a", "ab", "B", "Eve", "ann", "é", "\uE000", "\uFFFD", "\uD83D\uDE00",
        "\uD83D\uDE00a", "z\uD800\uDC00", "z\uFFFF");
    for (String x : texts) {
      for (String y : texts) {
        int expected = Integer.signum(Arrays.compareUnsigned(x.getBytes(StandardCharsets.UTF_8),
            y.getBytes(StandardCharsets.UTF_8)));
        assertEquals(expected, Integer.signum(PgValues.compare(x, y)), x + " vs " + y);
      }
    }
    assertTrue(PgValues.compare("\uD83D\uDE00", "\uFFFD") > 0, "U+1F600 after U+FFFD, unlike String.compareTo");
  }
}
