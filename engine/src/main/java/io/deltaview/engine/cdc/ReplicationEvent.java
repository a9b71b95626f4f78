package io.deltaview.engine.cdc;

import java.util.Objects;
import org.postgresql.replication.LogSequenceNumber;

/** What a {@link ReplicationSlotReader} hands its consumer: a decoded message, an idle position, or its failure. */
public sealed interface ReplicationEvent {

  /** A pgoutput message and the WAL position at which the server sent it. */
  record Change(LogSequenceNumber walPosition, PgOutputMessage message) implements ReplicationEvent {
    public Change {
      Objects.requireNonNull(walPosition, "walPosition");
      Objects.requireNonNull(message, "message");
    }
  }

  /**
   * No transaction is open in the stream and the server has decoded everything up to {@code walEnd}: a
   * consumer that has applied every earlier commit may confirm {@code walEnd}, so idle streams advance too.
   */
  record Idle(LogSequenceNumber walEnd) implements ReplicationEvent {
    public Idle {
      Objects.requireNonNull(walEnd, "walEnd");
    }
  }

  /** The reader stopped because of {@code cause}; always the last event. */
  record Failed(Throwable cause) implements ReplicationEvent {
    public Failed {
      Objects.requireNonNull(cause, "cause");
    }
  }
}
