package io.deltaview.driver.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.util.Set;
import org.junit.jupiter.api.Test;

class SessionStateTest {

  @Test
  void nothingIsRecordedUnderAutocommit() {
    SessionState s = new SessionState();
    s.recordWrite("t");
    s.recordUnknownWrite();
    assertFalse(s.hasWrites());
    assertFalse(s.inTransaction());
  }

  @Test
  void writesInATransactionAreSeenUntilItEnds() {
    SessionState s = new SessionState();
    s.setAutoCommit(false);
    s.recordWrite("Public.Orders");
    assertEquals(Set.of("public.orders"), s.writtenTables());
    assertTrue(s.mayHaveWritten("public", "orders"));
    assertTrue(s.mayHaveWritten("PUBLIC", "Orders"), "case-insensitive: may over-report, never under");
    assertFalse(s.mayHaveWritten("other", "orders"));
    assertFalse(s.mayHaveWritten("public", "lines"));
    s.endTransaction();
    assertFalse(s.hasWrites());
    assertTrue(s.inTransaction(), "autocommit is still off");
  }

  @Test
  void anUnqualifiedWriteMatchesEverySchema() {
    SessionState s = new SessionState();
    s.setAutoCommit(false);
    s.recordWrite("orders");
    assertTrue(s.mayHaveWritten("sales", "orders"));
    assertTrue(s.mayHaveWritten(null, "orders"));
  }

  @Test
  void anUnknownWriteMatchesEveryTable() {
    SessionState s = new SessionState();
    s.setAutoCommit(false);
    s.recordUnknownWrite();
    assertTrue(s.mayHaveWritten("any", "thing"));
  }

  @Test
  void switchingAutocommitOnEndsTheTransaction() {
    SessionState s = new SessionState();
    s.setAutoCommit(false);
    s.recordWrite("t");
    s.setAutoCommit(true);
    assertFalse(s.hasWrites());
  }

  @Test
  void anExplicitBeginUnderAutocommitRecordsUntilItEnds() {
    SessionState s = new SessionState();
    s.beginTransactionBlock();
    assertTrue(s.inTransaction());
    s.recordWrite("t");
    assertTrue(s.mayHaveWritten("public", "t"));
    s.endTransaction();
    assertFalse(s.inTransaction());
    s.recordWrite("t");
    assertFalse(s.hasWrites());
  }

  /** A session tracking its committed writes whose WAL position reads come from {@code positions}, counted. */
  private static SessionState tracking(long[] positions, int[] reads) {
    SessionState s = new SessionState();
    s.trackCommittedWrites(() -> positions[reads[0]++]);
    return s;
  }

  @Test
  void anUntrackedSessionOwesNothingAndNeverReadsAPosition() throws SQLException {
    SessionState s = new SessionState();
    s.recordWrite("t");
    s.setAutoCommit(false);
    s.recordWrite("t");
    s.commitTransaction();
    assertFalse(s.tracksCommittedWrites());
  }

  @Test
  void aWriteUnderAutocommitIsOwedFromTheNextPositionRead() throws SQLException {
    int[] reads = {0};
    SessionState s = tracking(new long[] {100, 200}, reads);
    assertEquals(0, s.writtenUpTo(), "nothing written: nothing owed");
    assertEquals(0, reads[0], "and nothing asked");
    s.recordWrite("t");
    assertFalse(s.hasWrites(), "it committed on its own");
    assertEquals(100, s.writtenUpTo());
    assertEquals(100, s.writtenUpTo(), "read once per commit");
    assertEquals(1, reads[0]);
    s.writesApplied(99);
    assertEquals(100, s.writtenUpTo(), "not yet applied");
    s.writesApplied(100);
    assertEquals(0, s.writtenUpTo());
    s.recordUnknownWrite();
    assertEquals(200, s.writtenUpTo());
    assertEquals(2, reads[0]);
  }

  @Test
  void aTransactionIsOwedAtCommitNotBeforeAndARollbackOwesNothing() throws SQLException {
    int[] reads = {0};
    SessionState s = tracking(new long[] {300}, reads);
    s.setAutoCommit(false);
    s.recordWrite("t");
    assertEquals(0, s.writtenUpTo(), "uncommitted: nothing to wait for (the router passes through instead)");
    s.endTransaction();
    assertEquals(0, s.writtenUpTo(), "rolled back");
    s.commitTransaction();
    assertEquals(0, s.writtenUpTo(), "a commit of a transaction that wrote nothing");
    assertEquals(0, reads[0]);
    s.recordWrite("t");
    s.commitTransaction();
    assertEquals(300, s.writtenUpTo());
    assertEquals(1, reads[0]);
  }

  @Test
  void switchingAutocommitOnCommitsWhatWasWritten() throws SQLException {
    int[] reads = {0};
    SessionState s = tracking(new long[] {400}, reads);
    s.setAutoCommit(false);
    s.recordUnknownWrite();
    s.setAutoCommit(true);
    assertEquals(400, s.writtenUpTo());
  }

  @Test
  void aFailedPositionReadIsTriedAgainAndPositionsOnlyGrow() throws SQLException {
    int[] calls = {0};
    long[] answers = {0, 500, 450};
    SessionState s = new SessionState();
    s.trackCommittedWrites(() -> {
      if (calls[0]++ == 0) {
        throw new SQLException("connection lost");
      }
      return answers[calls[0] - 1];
    });
    s.recordWrite("t");
    assertThrows(SQLException.class, s::writtenUpTo);
    assertEquals(500, s.writtenUpTo());
    s.recordWrite("t");
    assertEquals(500, s.writtenUpTo(), "an earlier position never lowers what is owed");
  }
}
