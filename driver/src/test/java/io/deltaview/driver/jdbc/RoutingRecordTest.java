package io.deltaview.driver.jdbc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.RecordingRouter;
import io.deltaview.driver.route.SessionState;
import java.sql.SQLException;
import org.junit.jupiter.api.Test;

/** What {@link Routing#record} tells a session that remembers its committed writes (read-your-writes). */
class RoutingRecordTest {

  private int positionReads;

  private Routing tracking() {
    SessionState session = new SessionState();
    session.trackCommittedWrites(() -> 1000 + ++positionReads);
    return new Routing(new RecordingRouter(), session, null);
  }

  @Test
  void readsUnderAutocommitOweNothing() throws SQLException {
    Routing r = tracking();
    for (String read : new String[] {"SELECT 1", "/*+ incremental */ SELECT * FROM t", "WITH x AS (SELECT 1)"
        + " SELECT * FROM x", "SHOW search_path", "SET application_name = 'a'", "SAVEPOINT s"}) {
      r.record(read);
    }
    assertEquals(0, r.session().writtenUpTo());
    assertEquals(0, positionReads, "nothing written: the database is not asked");
  }

  @Test
  void aWriteUnderAutocommitIsOwed() throws SQLException {
    for (String write : new String[] {"INSERT INTO t VALUES (1)", "update t set a = 1", "DELETE FROM t",
        "WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d", "CALL p()", "SELECT 1; INSERT INTO t VALUES (1)",
        "COMMIT PREPARED 'x'", "SELECT * INTO t2 FROM t"}) {
      Routing r = tracking();
      r.record(write);
      assertTrue(r.session().writtenUpTo() > 0, write);
    }
  }

  @Test
  void aScriptThatRollsBackOwesNothingAndOneThatCommitsDoes() throws SQLException {
    Routing r = tracking();
    r.record("BEGIN; INSERT INTO t VALUES (1); ROLLBACK");
    assertFalse(r.session().inTransaction());
    assertEquals(0, r.session().writtenUpTo());
    r.record("BEGIN; INSERT INTO t VALUES (1); ABORT");
    assertEquals(0, r.session().writtenUpTo());
    r.record("START TRANSACTION; INSERT INTO t VALUES (1); COMMIT");
    assertEquals(1001, r.session().writtenUpTo());
  }

  @Test
  void anExplicitBlockIsOwedAtItsCommit() throws SQLException {
    Routing r = tracking();
    r.record("BEGIN");
    r.record("INSERT INTO t VALUES (1)");
    assertTrue(r.session().hasWrites());
    assertEquals(0, r.session().writtenUpTo(), "not committed yet");
    r.record("SAVEPOINT s");
    r.record("ROLLBACK TO SAVEPOINT s");
    assertTrue(r.session().hasWrites(),
        "a savepoint's rollback keeps the transaction (and its writes, conservatively)");
    r.record("COMMIT");
    assertFalse(r.session().hasWrites());
    assertEquals(1001, r.session().writtenUpTo());
  }

  @Test
  void aSessionThatDoesNotTrackIsUntouchedUnderAutocommit() throws SQLException {
    SessionState session = new SessionState();
    Routing r = new Routing(new RecordingRouter(), session, null);
    r.record("INSERT INTO t VALUES (1)");
    assertFalse(session.hasWrites());
    assertEquals(0, session.writtenUpTo());
  }
}
