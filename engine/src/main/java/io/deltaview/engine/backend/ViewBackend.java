package io.deltaview.engine.backend;

import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.ViewStatus;
import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.ddl.Requester;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Something other than the embedded engine that maintains a view's result table, chosen with {@code CREATE
 * INCREMENTAL VIEW … WITH (engine = '<name>')} and found with {@link java.util.ServiceLoader} on the class path of
 * the process that maintains the views (so the engine depends on no backend). The engine records a backend's
 * views in {@link BackendViews} (not in its own catalog: its apply loop never touches them), checks privileges
 * and names, and calls the backend only in the process holding the maintainer lock, one DDL at a time. The
 * backend keeps each view's recorded status current ({@link BackendViews#updateStatus}): {@code ready} views are
 * served to {@code eventual} reads in every process, never to reads that must be fresh (nothing proves a
 * backend's view current).
 */
public interface ViewBackend {

  /** The name {@code WITH (engine = '…')} selects; lower case. */
  String name();

  /**
   * Creates {@code view} (recorded already, status {@code snapshotting}; its definition rendered by {@code
   * DefinitionSql}, its names resolving on the requester's search path) with its result table, and starts
   * maintaining it; returns once it is maintained, its initial load possibly still under way, and then records
   * {@code ready} when the result table holds the whole of it. Checks that {@code requester} may create it, as
   * the embedded engine does. On failure nothing is left behind (the engine removes the record).
   */
  void create(EngineConfig database, Requester requester, ViewRecord view) throws SQLException;

  /**
   * Drops {@code view}, one of this backend's (the engine checked that the requester may): stops maintaining it
   * and drops its result table and whatever it holds in the database. The engine removes the record after.
   */
  void drop(EngineConfig database, ViewRecord view) throws SQLException;

  /**
   * Starts maintaining again, in the background, the views of this database this backend keeps (this process has
   * just become the one that maintains them). Must return at once; failures are the backend's to report.
   */
  void resume(EngineConfig database);

  /** Stops maintaining this database's views in this process (the engine closes); they stay resumable. */
  void close(EngineConfig database);

  /**
   * The row of {@code SHOW INCREMENTAL VIEWS} for {@code view}, one of this backend's views of {@code database} as
   * recorded, read on {@code c} in the process that maintains: how it runs here, as far as this process can tell;
   * null where it does not run here (then it is shown as recorded, as other processes show it). Null by default.
   */
  default ViewStatus status(EngineConfig database, Connection c, ViewRecord view) throws SQLException {
    return null;
  }

  /**
   * What {@code EXPLAIN INCREMENTAL VIEW schema.name} prints for a view of {@code database} this backend runs in
   * this process, one line per row, or null when it runs no such view here. None by default.
   */
  default List<String> explain(EngineConfig database, String schema, String name) {
    return null;
  }
}
