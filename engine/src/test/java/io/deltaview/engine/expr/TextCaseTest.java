package io.deltaview.engine.expr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Case changes under the C and the C.UTF-8 ctypes. Each expected row is what PostgreSQL 15 gives for the same
 * expressions in a database created with that LC_CTYPE.
 */
class TextCaseTest {

  private static final List<String> EXPRESSIONS = List.of("upper('aßéǆıﬁ')", "lower('ÀÉİΣ ΣA')", "upper('µÿς')",
      "lower('ẞǅ')", "'É' ~* 'é'", "'xÉy' ~* 'X[é]Y'", "'ſ' ~* 's'", "'ǆ' ~* 'ǅ'", "'ǅ' ~* 'ǆ'", "'Ǆ' !~* 'ǅ'",
      "'B' ~* '[a-c]'", "'é' ~* '[À-Ö]'", "'x' ~* '[^X]'", "'É' ILIKE 'é'", "'İ' ILIKE 'i%'", "'ı' ILIKE 'I'",
      "'ABC' ILIKE 'a_c'", "'ſ' ILIKE 's'", "'É' NOT ILIKE 'é'", "regexp_replace('AbÉé', 'é', '-', 'gi')",
      "regexp_replace('AbÉé', '[b-é]', '-', 'gi')");

  private static String results(TextCase textCase) {
    StringBuilder out = new StringBuilder();
    for (String e : EXPRESSIONS) {
      Object v = PgExprSupport.eval(e, textCase);
      out.append(out.length() == 0 ? "" : "|").append(v instanceof Boolean b ? (b ? "t" : "f") : v);
    }
    return out.toString();
  }

  @Test
  void theCCtypeChangesTheCaseOfAsciiLettersOnly() {
    assertEquals("Aßéǆıﬁ|ÀÉİΣ Σa|µÿς|ẞǅ|f|f|f|f|f|t|t|f|f|f|f|f|t|f|t|AbÉ-|A---", results(TextCase.ASCII));
  }

  @Test
  void theCUtf8CtypeMapsEachCharacterToOne() {
    assertEquals("AßÉǄIﬁ|àéiσ σa|ΜŸΣ|ßǆ|t|t|f|t|f|f|t|t|f|t|t|f|t|f|f|Ab--|A---", results(TextCase.UNICODE));
  }

  @Test
  void theServersMappingsOverrideJavasWhereTheyDiffer() {
    // glibc 2.36 (Unicode 14) maps GLAGOLITIC CAPITAL LETTER CAUDATE CHRIVI, unknown to Java 17's Unicode 13
    TextCase server = TextCase.unicode(java.util.Map.of(0x2C5F, 0x2C2F), java.util.Map.of(0x2C2F, 0x2C5F));
    assertEquals("\u2C5Fé", server.lower("\u2C2FÉ"));
    assertEquals("\u2C2FÉ", server.upper("\u2C5Fé"));
    assertEquals("\u2C2F", TextCase.UNICODE.lower("\u2C2F"));
    assertEquals(true, RegexFunctions.compile("\u2C2F", true, false, server).matcher("x\u2C5F").find());
    assertEquals(false, RegexFunctions.compile("\u2C2F", true, false, TextCase.UNICODE).matcher("x\u2C5F").find());
    // the probe asks about what Java maps and what it does not know
    int[] probe = TextCase.unicodeProbe();
    assertEquals(true, java.util.Arrays.binarySearch(probe, 0x2C2F) >= 0);
    assertEquals(true, java.util.Arrays.binarySearch(probe, 'A') >= 0);
    assertEquals(false, java.util.Arrays.binarySearch(probe, '1') >= 0);
  }
}
