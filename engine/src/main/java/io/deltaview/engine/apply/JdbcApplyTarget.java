package io.deltaview.engine.apply;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.state.CheckpointStore;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.TableShape;
import io.deltaview.engine.view.ViewFailure;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Savepoint;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/** The apply loop's target on a real connection: result-table sinks plus the {@code deltaview.progress} row. */
final class JdbcApplyTarget implements ApplyTarget {

  private final Connection connection;
  private final String slotName;
  private PreparedStatement recordApplied;

  JdbcApplyTarget(Connection connection, String slotName) {
    this.connection = connection;
    this.slotName = slotName;
  }

  @Override
  public void open() throws SQLException {
    connection.setAutoCommit(false);
    recordApplied = connection.prepareStatement(Catalog.recordAppliedSql());
  }

  @Override
  public void write(MaintainedView view, ZSet delta) throws SQLException {
    view.sink().apply(connection, delta);
  }

  @Override
  public void writeIsolated(MaintainedView view, ZSet delta) throws SQLException {
    Savepoint savepoint = connection.setSavepoint();
    try {
      view.sink().apply(connection, delta);
    } catch (SQLException | RuntimeException e) {
      connection.rollback(savepoint); // if this fails too, the connection is gone: that error goes up instead
      throw e;
    }
    connection.releaseSavepoint(savepoint);
  }

  @Override
  public void markFailed(MaintainedView view, ViewFailure why) throws SQLException {
    Catalog.updateStatus(connection, view.record().schema(), view.record().name(), ViewState.FAILED, why.message());
    // Its table stops following the stream: no checkpoint may pair with it any more (after the status update,
    // which waits for a checkpoint being written for this view, so that this sees and deletes it too).
    CheckpointStore.deleteView(connection, view.record().schema(), view.record().name());
  }

  @Override
  public List<TableShape.Column> columnsOf(long oid) throws SQLException {
    try (PreparedStatement ps = connection.prepareStatement("SELECT a.attname, a.attnum, a.atttypid, a.atttypmod,"
        + " format_type(a.atttypid, a.atttypmod), c.oid IS NOT NULL FROM (SELECT ?::oid AS oid) r"
        + " LEFT JOIN pg_catalog.pg_class c ON c.oid = r.oid LEFT JOIN pg_catalog.pg_attribute a"
        + " ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum")) {
      ps.setLong(1, oid);
      List<TableShape.Column> out = new ArrayList<>();
      try (ResultSet rs = ps.executeQuery()) {
        while (rs.next()) {
          if (!rs.getBoolean(6)) {
            return null;
          }
          if (rs.getString(1) != null) {
            out.add(new TableShape.Column(rs.getString(1), rs.getInt(2), rs.getInt(3), rs.getInt(4),
                rs.getString(5)));
          }
        }
      }
      return out;
    }
  }

  @Override
  public void markReady(MaintainedView view, LogSequenceNumber readyLsn) throws SQLException {
    Catalog.markReady(connection, view.record().schema(), view.record().name(), readyLsn);
  }

  @Override
  public void markLoading(MaintainedView view) throws SQLException {
    Catalog.updateStatus(connection, view.record().schema(), view.record().name(), ViewState.SNAPSHOTTING, null);
    CheckpointStore.deleteView(connection, view.record().schema(), view.record().name());
  }

  @Override
  public void recordApplied(LogSequenceNumber lsn) throws SQLException {
    Catalog.recordApplied(recordApplied, slotName, lsn);
  }

  @Override
  public void commit() throws SQLException {
    connection.commit();
  }

  @Override
  public void rollback() throws SQLException {
    connection.rollback();
  }

  @Override
  public boolean isBroken() {
    try {
      return connection.isClosed() || !connection.isValid(5);
    } catch (SQLException e) {
      return true;
    }
  }

  @Override
  public void close() {
    try {
      if (recordApplied != null) {
        recordApplied.close();
      }
    } catch (SQLException ignored) {
      // the connection is closed by its owner right after
    }
  }
}
