package io.deltaview.driver.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.route.StatementClassifier.Classification;
import io.deltaview.driver.route.StatementClassifier.Kind;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class StatementClassifierTest {

  private static Classification one(String sql) {
    List<Classification> all = StatementClassifier.classify(sql);
    assertEquals(1, all.size(), sql);
    return all.get(0);
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "SELECT 1",
      "select * from t where a = 'for update'",
      "  -- comment\n /* block /* nested */ */ SELECT a FROM t",
      "(SELECT 1) UNION (SELECT 2)",
      "VALUES (1), (2)",
      "SHOW search_path",
      "TABLE t",
      "EXPLAIN SELECT 1",
      "EXPLAIN DELETE FROM t",
      "EXPLAIN VERBOSE UPDATE t SET a = 1",
      "EXPLAIN (ANALYZE false) DELETE FROM t",
      "EXPLAIN ANALYZE SELECT 1",
      "select nextval('s')",
      "select substring('abc' from 1 for 2)",
      "select $$ for update $$, $tag$ insert into x $tag$",
      "select E'it\\'s for update'",
      "WITH x AS (SELECT 1) SELECT * FROM x",
      "WITH RECURSIVE r(n) AS (VALUES (1) UNION ALL SELECT n + 1 FROM r) SELECT * FROM r",
      "DECLARE c CURSOR FOR SELECT * FROM t",
      "select \"for\" from t",
  })
  void reads(String sql) {
    assertEquals(Kind.READ, one(sql).kind(), sql);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "INSERT INTO t VALUES (1)|t",
      "insert into Public.Orders (a) select 1|public.orders",
      "INSERT INTO \"MyTable\" VALUES (1)|MyTable",
      "insert into \"My\"\"Schema\".\"T\" values (1)|My\"Schema.T",
      "INSERT INTO db.s.t VALUES (1)|s.t",
      "UPDATE t SET a = 1|t",
      "update only s.t * set a = 1 from u where u.id = t.id|s.t",
      "DELETE FROM t WHERE a = 1|t",
      "delete from only t using u|t",
      "MERGE INTO t USING s ON t.id = s.id WHEN MATCHED THEN DELETE|t",
      "WITH x AS (SELECT 1) INSERT INTO t SELECT * FROM x|t",
      "EXPLAIN ANALYZE DELETE FROM t|t",
      "EXPLAIN (ANALYZE, BUFFERS) UPDATE t SET a = 1|t",
  })
  void writesToNamedTables(String sql, String table) {
    Classification c = one(sql);
    assertEquals(Kind.WRITE, c.kind(), sql);
    assertEquals(List.of(table), c.tables(), sql);
  }

  @Test
  void leadingCommentsAreSkipped() {
    assertEquals(List.of("t"), one("/* c /* nested */ */ -- d\n insert into t default values").tables());
  }

  @Test
  void truncateNamesEveryTable() {
    assertEquals(List.of("t", "s.u"), one("TRUNCATE TABLE ONLY t, s.u * RESTART IDENTITY").tables());
    assertEquals(List.of("t"), one("truncate t").tables());
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "SELECT * FROM t FOR UPDATE",
      "select * from t for no key update",
      "select * from t for share",
      "select * from t for key share",
      "SELECT * INTO new_t FROM t",
      "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d",
      "WITH u AS (UPDATE t SET a = 1 RETURNING *) INSERT INTO log SELECT * FROM u",
      "CREATE TABLE t (a int)",
      "DROP TABLE t",
      "ALTER TABLE t ADD COLUMN b int",
      "CALL p()",
      "DO $$ BEGIN INSERT INTO t VALUES (1); END $$",
      "COPY t FROM STDIN",
      "TRUNCATE t CASCADE",
      "EXECUTE stmt(1)",
      "VACUUM t",
      "INSERT t VALUES (1)",
      "DELETE t",
      "UPDATE (select 1) SET a = 1",
      "DECLARE c CURSOR FOR SELECT * FROM t FOR UPDATE",
      "? weird",
  })
  void unknownWrites(String sql) {
    assertEquals(Kind.UNKNOWN_WRITE, one(sql).kind(), sql);
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "BEGIN|BEGIN",
      "begin transaction isolation level serializable|BEGIN",
      "START TRANSACTION|BEGIN",
      "COMMIT|END",
      "end work|END",
      "ROLLBACK|ROLLBACK",
      "abort|ROLLBACK",
      "PREPARE TRANSACTION 'x'|END",
      "ROLLBACK TO SAVEPOINT s|NEUTRAL",
      "rollback work to s|NEUTRAL",
      "COMMIT PREPARED 'x'|UNKNOWN_WRITE",
      "SAVEPOINT s|NEUTRAL",
      "RELEASE SAVEPOINT s|NEUTRAL",
      "SET search_path TO s|NEUTRAL",
      "RESET ALL|NEUTRAL",
      "LISTEN ch|NEUTRAL",
      "PREPARE q AS SELECT 1|NEUTRAL",
  })
  void transactionControl(String sql, Kind kind) {
    assertEquals(kind, one(sql).kind(), sql);
  }

  @Test
  void scriptsAreClassifiedStatementByStatement() {
    List<Classification> all = StatementClassifier.classify(
        "BEGIN; insert into t values (';'); -- ; not a separator\n select 1;; COMMIT;");
    assertEquals(List.of(Kind.BEGIN, Kind.WRITE, Kind.READ, Kind.END), all.stream().map(Classification::kind)
        .toList());
  }

  @Test
  void emptyAndCommentOnlySqlHasNoStatements() {
    assertEquals(List.of(), StatementClassifier.classify(""));
    assertEquals(List.of(), StatementClassifier.classify("  -- nothing\n /* at all */ ;"));
  }

  @Test
  void unterminatedQuotesDoNotThrowAndAreNeverTakenForReads() {
    // PostgreSQL rejects them; until it has, nothing about them may count as a plain read.
    assertEquals(Kind.UNKNOWN_WRITE, one("select 'abc").kind());
    assertEquals(Kind.UNKNOWN_WRITE, one("select $$abc").kind());
    assertEquals(Kind.UNKNOWN_WRITE, one("insert into \"abc").kind());
    assertEquals(Kind.UNKNOWN_WRITE, one("select 1 /* open").kind());
  }

  @Test
  void everyStringFormIsOneTokenWhateverItHolds() {
    assertEquals(Kind.READ, one("select 'a; delete from t', B'1010', X'1F', E'it\\'s; drop'").kind());
    assertEquals(1, StatementClassifier.classify("select $fn$ ; insert into t $fn$").size());
    assertEquals(List.of("public.t"), one("/* nested /* comment; */ still */ update public.t set a = 1").tables());
  }

  @Test
  void firstKeywordSkipsCommentsAndParentheses() {
    assertEquals("begin", StatementClassifier.firstKeyword(" -- x\n/* y */ BEGIN;"));
    assertEquals("select", StatementClassifier.firstKeyword("((Select 1))"));
    assertEquals("", StatementClassifier.firstKeyword("  "));
    assertTrue(StatementClassifier.startsWithKeyword("/* x */ Begin", "begin"));
    assertTrue(StatementClassifier.startsWithKeyword("start transaction", "start"));
    assertFalse(StatementClassifier.startsWithKeyword("beginning", "begin"));
    assertFalse(StatementClassifier.startsWithKeyword("beg", "begin"));
  }

  @Test
  void statementStartsSkipCommentsAndIgnoreSemicolonsInsideQuotes() {
    String sql = "SELECT ';' AS a, \";\" FROM t /* ; */ -- ;\n; /* hidden */ SET ROLE r;\n-- x\n"
        + "SET search_path TO $$;$$;";
    int[] starts = StatementClassifier.statementStarts(sql);
    assertEquals(4, starts.length);
    assertEquals(0, starts[0]);
    assertTrue(sql.startsWith("SET ROLE r", starts[1]), sql.substring(starts[1]));
    assertTrue(sql.startsWith("SET search_path", starts[2]), sql.substring(starts[2]));
    assertEquals(sql.length(), starts[3]);
  }
}
