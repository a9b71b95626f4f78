package io.deltaview.engine.cdc;

import java.time.Duration;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The apply loop's view of the replication stream: events in WAL order and the one way to let the slot
 * advance. {@link ReplicationSlotReader} is the real one; tests can feed recorded events.
 */
public interface ChangeFeed extends AutoCloseable {

  /** The next event, or null if none arrived within {@code timeout}. */
  ReplicationEvent poll(Duration timeout) throws InterruptedException;

  /** Lets the slot's confirmed flush position advance to {@code lsn}; only call after the effects are durable. */
  void confirm(LogSequenceNumber lsn);

  @Override
  void close();
}
