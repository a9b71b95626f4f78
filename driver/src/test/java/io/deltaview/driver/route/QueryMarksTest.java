package io.deltaview.driver.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.deltaview.Consistency;
import io.deltaview.Deltaview;
import org.junit.jupiter.api.Test;

class QueryMarksTest {

  @Test
  void hintAtTheStartOrRightAfterSelect() {
    assertEquals(Consistency.DEFAULT, QueryMarks.hint("/*+ incremental */ SELECT 1"));
    assertEquals(Consistency.DEFAULT, QueryMarks.hint("  \n/*+INCREMENTAL*/SELECT 1"));
    assertEquals(Consistency.DEFAULT, QueryMarks.hint("select /*+ incremental */ a FROM t"));
    assertEquals(Consistency.DEFAULT, QueryMarks.hint("SELECT\n  /*+ incremental() */ a FROM t"));
  }

  @Test
  void consistencyArgument() {
    assertEquals(Consistency.STRONG, QueryMarks.hint("/*+ incremental(consistency=strong) */ SELECT 1"));
    assertEquals(Consistency.EVENTUAL, QueryMarks.hint("SELECT /*+ incremental( Consistency = EVENTUAL ) */ 1"));
    assertEquals(Consistency.STRONG,
        QueryMarks.hint("SELECT /*+ SeqScan(t) , incremental(consistency=strong) Leading(t u) */ 1"));
  }

  @Test
  void aPlainCommentSayingOnlyIncrementalAtTheStartMarksTheQuery() {
    // What Hibernate writes for Query.setComment("incremental") with hibernate.use_sql_comments=true.
    assertEquals(Consistency.DEFAULT, QueryMarks.hint("/* incremental */ select o1_0.id from orders o1_0"));
    assertEquals(Consistency.DEFAULT, QueryMarks.hint("/*INCREMENTAL*/SELECT 1"));
    assertEquals(Consistency.STRONG, QueryMarks.hint("/* incremental(consistency=strong) */ SELECT 1"));
    assertEquals(Consistency.EVENTUAL, QueryMarks.hint(" /* incremental ( consistency = eventual ) */ SELECT 1"));
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
      assertEquals(Consistency.STRONG, QueryMarks.of("SELECT 1"));
      assertEquals(Consistency.EVENTUAL, QueryMarks.of("SELECT /*+ incremental(consistency=eventual) */ 1"));
    }
    assertNull(QueryMarks.of("SELECT 1"));
  }
}
