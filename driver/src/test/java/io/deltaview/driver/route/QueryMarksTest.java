package io.deltaview.driver.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.deltaview.Consistency;
import io.deltaview.Deltaview;
import io.deltaview.driver.ReadConsistency;
import org.junit.jupiter.api.Test;

class QueryMarksTest {

  @Test
  void hintAtTheStartOrRightAfterSelect() {
    assertEquals(ReadConsistency.DEFAULT, QueryMarks.hint("/*+ incremental */ SELECT 1"));
    assertEquals(ReadConsistency.DEFAULT, QueryMarks.hint("  \n/*+INCREMENTAL*/SELECT 1"));
    assertEquals(ReadConsistency.DEFAULT, QueryMarks.hint("select /*+ incremental */ a FROM t"));
    assertEquals(ReadConsistency.DEFAULT, QueryMarks.hint("SELECT\n  /*+ incremental() */ a FROM t"));
  }

  @Test
  void consistencyArgument() {
    assertEquals(ReadConsistency.STRONG, QueryMarks.hint("/*+ incremental(consistency=strong) */ SELECT 1"));
    assertEquals(ReadConsistency.EVENTUAL, QueryMarks.hint("SELECT /*+ incremental( Consistency = EVENTUAL ) */ 1"));
    assertEquals(ReadConsistency.STRONG,
        QueryMarks.hint("SELECT /*+ SeqScan(t) , incremental(consistency=strong) Leading(t u) */ 1"));
  }

  @Test
  void aPlainCommentSayingOnlyIncrementalAtTheStartMarksTheQuery() {
    // What Hibernate writes for Query.setComment("incremental") with hibernate.use_sql_comments=true.
    assertEquals(ReadConsistency.DEFAULT, QueryMarks.hint("/* incremental */ select o1_0.id from orders o1_0"));
    assertEquals(ReadConsistency.DEFAULT, QueryMarks.hint("/*INCREMENTAL*/SELECT 1"));
    assertEquals(ReadConsistency.STRONG, QueryMarks.hint("/* incremental(consistency=strong) */ SELECT 1"));
    assertEquals(ReadConsistency.EVENTUAL, QueryMarks.hint(" /* incremental ( consistency = eventual ) */ SELECT 1"));
  }

  @Test
  void notMarked() {
    assertNull(QueryMarks.hint("SELECT 1"));
    assertNull(QueryMarks.hint("/* load incremental data */ SELECT 1"), "a comment that says more is no mark");
    assertNull(QueryMarks.hint("/* incremental rows */ SELECT 1"));
    assertNull(QueryMarks.hint("SELECT /* incremental */ 1"), "a plain comment marks only at the start");
    assertNull(QueryMarks.hint("/* incremental(consistency=sometimes) */ SELECT 1"));
    assertNull(QueryMarks.hint("/* incremental"), "unterminated");
    assertNull(QueryMarks.hint("SELECT a /*+ incremental */ FROM t"), "only right after SELECT");
    assertNull(QueryMarks.hint("SELECT /*+ incrementalish */ 1"));
    assertNull(QueryMarks.hint("SELECT /*+ SeqScan(incremental) */ 1"));
    assertNull(QueryMarks.hint("SELECT /*+ incremental(consistency=sometimes) */ 1"),
        "an option it does not understand is no mark");
    assertNull(QueryMarks.hint("SELECT /*+ incremental"), "unterminated");
    assertNull(QueryMarks.hint("UPDATE t SET a = 1 /*+ incremental */"));
    assertNull(QueryMarks.hint(""));
  }

  @Test
  void scopeMarksAndHintWins() {
    assertNull(QueryMarks.of("SELECT 1"));
    try (Deltaview.Scope scope = Deltaview.optIn(Consistency.STRONG)) {
      assertEquals(ReadConsistency.STRONG, QueryMarks.of("SELECT 1"));
      assertEquals(ReadConsistency.EVENTUAL, QueryMarks.of("SELECT /*+ incremental(consistency=eventual) */ 1"));
    }
    assertNull(QueryMarks.of("SELECT 1"));
  }

  @Test
  void boundedAndReadYourWritesHints() {
    assertEquals(ReadConsistency.bounded(500),
        QueryMarks.hint("/*+ incremental(consistency=bounded(500)) */ SELECT 1"));
    assertEquals(ReadConsistency.bounded(0),
        QueryMarks.hint("SELECT /*+ incremental( consistency = BOUNDED ( 0 ) ) */ 1"));
    assertEquals(ReadConsistency.bounded(2500), QueryMarks.hint(
        "SELECT /*+ SeqScan(t) Leading((t u)) incremental(consistency=bounded(2500)) Rows(t #10) */ 1"));
    assertEquals(ReadConsistency.bounded(500),
        QueryMarks.hint("/* incremental(consistency=bounded(500)) */ SELECT 1"));
    assertEquals(ReadConsistency.READ_YOUR_WRITES,
        QueryMarks.hint("/*+ incremental(consistency=read-your-writes) */ SELECT 1"));
    assertEquals(ReadConsistency.READ_YOUR_WRITES,
        QueryMarks.hint("/* incremental(consistency=Read-Your-Writes) */ SELECT 1"));
    assertEquals(ReadConsistency.DEFAULT, QueryMarks.hint("/*+ incremental(consistency=default) */ SELECT 1"));
  }

  @Test
  void malformedOrUnknownValuesAreNoMark() {
    String[] hostile = {
        "consistency=bounded", "consistency=bounded()", "consistency=bounded(-1)", "consistency=bounded(5OO)",
        "consistency=bounded(500ms)", "consistency=bounded(1.5)", "consistency=bounded((500))",
        "consistency=bounded(500", "consistency=bounded(500))", "consistency=bounded(99999999999999999999)",
        "consistency=bounded(+5)", "consistency=bounded(\u0665)", "consistency=bounded 500",
        "consistency=bounded(500) strong", "consistency=bounded(500), consistency=strong",
        "consistency=read_your_writes", "consistency=read-your-write", "consistency=(strong)",
        "consistency=strong)", "consistency=", "consistency", "=strong", "consistency=eventual(5)",
        "consistency=bounded(500)(600)", "consistency='strong'", "consistency=bounded(1e3)",
    };
    for (String args : hostile) {
      String hint = "/*+ incremental(" + args + ") */ SELECT 1";
      assertNull(QueryMarks.hint(hint), hint);
      String afterSelect = "SELECT /*+ SeqScan(t) incremental(" + args + ") */ 1";
      assertNull(QueryMarks.hint(afterSelect), afterSelect);
      String comment = "/* incremental(" + args + ") */ SELECT 1";
      assertNull(QueryMarks.hint(comment), comment);
    }
    assertNull(QueryMarks.hint("SELECT /*+ incremental(consistency=bounded(500) */ 1"), "unbalanced");
    assertNull(QueryMarks.hint("SELECT /*+ Foo(( incremental(consistency=strong) */ 1"),
        "inside another hint's unclosed arguments");
    assertNull(QueryMarks.hint("SELECT /*+ incremental(consistency=bounded(500 */ 1) */ 1"),
        "the hint ends at the first */");
    assertNull(QueryMarks.hint("/* incremental(a)(consistency=strong) */ SELECT 1"));
  }

  @Test
  void readConsistencyParsesOnlyWhatItPrints() {
    for (ReadConsistency c : new ReadConsistency[] {ReadConsistency.EVENTUAL, ReadConsistency.STRONG,
        ReadConsistency.READ_YOUR_WRITES, ReadConsistency.bounded(0), ReadConsistency.bounded(123456)}) {
      assertEquals(c, ReadConsistency.parse(c.toString()), c.toString());
      assertEquals(c, ReadConsistency.parse("  " + c.toString().toUpperCase() + " "), c.toString());
    }
    assertEquals("bounded(500)", ReadConsistency.bounded(500).toString());
    assertNull(ReadConsistency.parse("default"), "only a mark may defer to the connection");
    assertNull(ReadConsistency.parse("bounded(999999999999999999)x"));
    assertEquals(ReadConsistency.bounded(999_999_999_999_999_999L),
        ReadConsistency.parse("bounded(999999999999999999)"));
    assertThrows(IllegalArgumentException.class, () -> ReadConsistency.bounded(-1));
  }
}
