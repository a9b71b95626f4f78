package io.deltaview.engine.cdc;

import java.sql.Connection;
import java.sql.SQLException;
import java.util.Objects;
import org.postgresql.replication.LogSequenceNumber;

/**
 * A snapshot exported by a TEMPORARY logical slot: a transaction that runs
 * {@code SET TRANSACTION SNAPSHOT '<snapshotName>'} sees exactly the commits before {@link #consistentPoint()}.
 *
 * <p>The snapshot lives only while the replication connection that created it stays open and idle, so this
 * object owns that connection; {@link #close()} closes it, which also drops the temporary slot.
 */
public final class ExportedSnapshot implements AutoCloseable {

  private final String slotName;
  private final LogSequenceNumber consistentPoint;
  private final String snapshotName;
  private final Connection replicationConnection;

  ExportedSnapshot(String slotName, LogSequenceNumber consistentPoint, String snapshotName,
      Connection replicationConnection) {
    this.slotName = Objects.requireNonNull(slotName);
    this.consistentPoint = Objects.requireNonNull(consistentPoint);
    this.snapshotName = Objects.requireNonNull(snapshotName);
    this.replicationConnection = Objects.requireNonNull(replicationConnection);
  }

  /** The temporary slot's name. */
  public String slotName() {
    return slotName;
  }

  /** The LSN from which changes are not in the snapshot: stream from here to continue after it. */
  public LogSequenceNumber consistentPoint() {
    return consistentPoint;
  }

  /** The name to pass to {@code SET TRANSACTION SNAPSHOT} in a REPEATABLE READ transaction. */
  public String snapshotName() {
    return snapshotName;
  }

  /** Closes the replication connection: the snapshot becomes invalid and the temporary slot is dropped. */
  @Override
  public void close() throws SQLException {
    replicationConnection.close();
  }

  @Override
  public String toString() {
    return "ExportedSnapshot[slot=" + slotName + ", consistentPoint=" + consistentPoint + ", snapshot="
        + snapshotName + "]";
  }
}
