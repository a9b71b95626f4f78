package io.deltaview.driver.route;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
}
