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
}
