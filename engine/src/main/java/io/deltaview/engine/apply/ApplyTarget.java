package io.deltaview.engine.apply;

import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.view.MaintainedView;
import java.sql.SQLException;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Where the apply loop writes: one open target transaction at a time on a connection of its own. An
 * interface only so that the loop's transaction rules (chunks, batches, LSN recording) can be tested without a
 * database; {@link JdbcApplyTarget} is the one real implementation.
 */
interface ApplyTarget extends AutoCloseable {

  /** Called once on the loop thread before anything else. */
  void open() throws SQLException;

  /** Writes a view's output delta in the open target transaction (one keyed-sink apply call). */
  void write(MaintainedView view, ZSet delta) throws SQLException;

  /** Marks a view ready in the catalog in the open target transaction. */
  void markReady(MaintainedView view) throws SQLException;

  /** Records {@code lsn} as applied in the open target transaction. */
  void recordApplied(LogSequenceNumber lsn) throws SQLException;

  void commit() throws SQLException;

  void rollback() throws SQLException;

  /** Whether the target can no longer be written (its connection is gone); checked after a failure. */
  boolean isBroken();

  /** Releases statements; the connection itself belongs to the caller. */
  @Override
  void close();
}
