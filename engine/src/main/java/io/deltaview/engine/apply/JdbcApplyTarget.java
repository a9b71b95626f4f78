package io.deltaview.engine.apply;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.view.MaintainedView;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
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
  public void markReady(MaintainedView view) throws SQLException {
    Catalog.updateStatus(connection, view.record().schema(), view.record().name(), "ready", null);
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
