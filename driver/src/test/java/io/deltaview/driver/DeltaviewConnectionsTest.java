package io.deltaview.driver;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.driver.jdbc.DeltaviewWrapper;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.Map;
import java.util.Properties;
import org.junit.jupiter.api.Test;

/** The entry the agent uses: wraps a connection the application opened, exactly once, and never closes it on failure. */
class DeltaviewConnectionsTest {

  private final FakeDb db = new FakeDb();

  private Connection raw() throws SQLException {
    return db.driver(new ArrayList<>(), new ArrayList<>()).connect("jdbc:postgresql://h/db", new Properties());
  }

  @Test
  void wrapsOnceAndUnwrapsToTheRawConnection() throws SQLException {
    Connection raw = raw();
    Connection wrapped = DeltaviewConnections.wrap(raw, "jdbc:postgresql://h/db", new Properties(),
        Map.of(DeltaviewOptions.MODE, "off"));
    assertTrue(wrapped instanceof DeltaviewWrapper);
    assertEquals("Deltaview(" + raw + ")", wrapped.toString());
    assertSame(wrapped, DeltaviewConnections.wrap(wrapped, "jdbc:postgresql://h/db", new Properties(), Map.of()),
        "a Deltaview connection is never wrapped again");
    wrapped.close();
    assertTrue(db.closed.contains(raw), "the wrapper owns the raw connection");
  }

  @Test
  void badOptionsFailAndLeaveTheRawConnectionOpen() throws SQLException {
    Connection raw = raw();
    SQLException e = assertThrows(SQLException.class, () -> DeltaviewConnections.wrap(raw, "jdbc:postgresql://h/db",
        new Properties(), Map.of(DeltaviewOptions.MODE, "sometimes")));
    assertEquals(SqlStates.INVALID_PARAMETER_VALUE, e.getSQLState());
    assertFalse(db.closed.contains(raw), "the caller (the agent, failing open) keeps using it");
  }

  @Test
  void internalMarker() {
    Properties p = new Properties();
    assertFalse(DeltaviewConnections.isInternal(p));
    assertFalse(DeltaviewConnections.isInternal(null));
    DeltaviewConnections.markInternal(p);
    assertTrue(DeltaviewConnections.isInternal(p));
  }
}
