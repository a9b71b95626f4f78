package io.deltaview.rewriter.sql;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class KeywordLabelsTest {
  @Test
  void quotesReservedLabelsOfSelectListsOnly() {
    assertEquals("SELECT count(DISTINCT c) AS \"values\", x AS value FROM t", // VALUE: not reserved in Babel
        KeywordLabels.rewrite("SELECT count(DISTINCT c) AS VALUES, x AS value FROM t"));
    assertEquals("SELECT CAST(x AS values) AS \"values\" FROM (SELECT y AS \"values\" FROM u) AS s",
        KeywordLabels.rewrite("SELECT CAST(x AS values) AS values FROM (SELECT y AS values FROM u) AS s"));
    String unchanged = "WITH w AS (SELECT a AS total FROM t) SELECT total AS n FROM w AS values";
    assertEquals(unchanged, KeywordLabels.rewrite(unchanged));
  }
}
