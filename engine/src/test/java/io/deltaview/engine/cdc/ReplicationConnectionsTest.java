package io.deltaview.engine.cdc;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.sql.SQLException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.postgresql.replication.LogSequenceNumber;

class ReplicationConnectionsTest {

  private static SQLException inUse() {
    return new SQLException("replication slot \"s\" is active for PID 42", "55006");
  }

  @Test
  void retriesWhileTheSlotIsActiveThenSucceeds() throws SQLException {
    AtomicInteger attempts = new AtomicInteger();
    String result = ReplicationConnections.retryWhileSlotActive("s", Duration.ofSeconds(10), () -> {
      if (attempts.incrementAndGet() < 3) {
        throw inUse();
      }
      return "started";
    });
    assertEquals("started", result);
    assertEquals(3, attempts.get());
  }

  @Test
  void givesUpAfterPatienceWithPostgresqlsOwnException() {
    SQLException last = inUse();
    AtomicInteger attempts = new AtomicInteger();
    SQLException thrown = assertThrows(SQLException.class,
        () -> ReplicationConnections.retryWhileSlotActive("s", Duration.ofMillis(300), () -> {
          attempts.incrementAndGet();
          throw last;
        }));
    assertSame(last, thrown);
    assertTrue(attempts.get() >= 2, "retried " + attempts.get() + " times");
  }

  @Test
  void otherFailuresAreNotRetried() {
    SQLException other = new SQLException("replication slot \"s\" does not exist", "42704");
    AtomicInteger attempts = new AtomicInteger();
    assertSame(other, assertThrows(SQLException.class,
        () -> ReplicationConnections.retryWhileSlotActive("s", Duration.ofSeconds(10), () -> {
          attempts.incrementAndGet();
          throw other;
        })));
    assertEquals(1, attempts.get());
  }

  @Test
  void optionsValidateAndCopy() {
    ReplicationSlotReader.Options o = ReplicationSlotReader.Options.of("dv_slot", "pub");
    assertEquals(LogSequenceNumber.INVALID_LSN, o.startPosition());
    assertEquals(7, o.withQueueCapacity(7).queueCapacity());
    assertEquals(1024, o.queueCapacity(), "with… returns a copy");
    assertEquals(LogSequenceNumber.valueOf(42), o.withStartPosition(LogSequenceNumber.valueOf(42)).startPosition());
    assertEquals(Duration.ofMillis(2), o.eagerPolling());
    assertEquals(Duration.ZERO, o.withEagerPolling(Duration.ZERO).eagerPolling());
    assertThrows(IllegalArgumentException.class, () -> o.withEagerPolling(Duration.ofMillis(-1)));
    assertThrows(IllegalArgumentException.class, () -> o.withQueueCapacity(0));
    assertThrows(IllegalArgumentException.class, () -> o.withStatusInterval(Duration.ZERO));
    assertThrows(IllegalArgumentException.class, () -> ReplicationSlotReader.Options.of("Slot-1", "pub"));
    assertThrows(IllegalArgumentException.class, () -> ReplicationSlotReader.Options.of("a".repeat(64), "pub"));
  }
}
