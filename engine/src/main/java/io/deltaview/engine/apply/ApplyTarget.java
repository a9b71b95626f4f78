package io.deltaview.engine.apply;

import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.TableShape;
import io.deltaview.engine.view.ViewFailure;
import java.sql.SQLException;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Where the apply loop writes: one open target transaction at a time on a connection of its own. An
 * interface only so that the loop's transaction rules (chunks, batches, LSN recording) can be tested without a
 * database; {@link JdbcApplyTarget} is the one real implementation.
 */
interface ApplyTarget extends AutoCloseable {

  /** Called once on the loop thread before anything else. */
  void open() throws SQLException;

  /**
   * Writes a view's output delta in the open target transaction (one keyed-sink apply call). If it fails,
   * PostgreSQL may have aborted the whole transaction: the caller rolls back.
   */
  void write(MaintainedView view, ZSet delta) throws SQLException;

  /**
   * As {@link #write}, under a savepoint of its own: if it fails, the write is undone and the rest of the open
   * target transaction stays usable.
   */
  void writeIsolated(MaintainedView view, ZSet delta) throws SQLException;

  /** Records in the catalog, in the open target transaction, that a view failed and why. */
  void markFailed(MaintainedView view, ViewFailure why) throws SQLException;

  /**
   * The columns of relation {@code oid} as the catalog has them now (numbers, names, types), or null if there
   * is no such relation any more.
   */
  List<TableShape.Column> columnsOf(long oid) throws SQLException;

  /**
   * Marks a view ready in the catalog in the open target transaction, its result table holding the source up to
   * {@code readyLsn}.
   */
  void markReady(MaintainedView view, LogSequenceNumber readyLsn) throws SQLException;

  /**
   * Marks a view as being reloaded in the catalog in the open target transaction, so that other processes stop
   * serving it when the transaction commits.
   */
  void markLoading(MaintainedView view) throws SQLException;

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
