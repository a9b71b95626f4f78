package io.deltaview.engine.backend;

import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.ViewStatus;
import io.deltaview.engine.ddl.Requester;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Something other than the embedded engine that maintains a view's result table, chosen with {@code CREATE
 * INCREMENTAL VIEW … WITH (engine = '<name>')} and found with {@link java.util.ServiceLoader} on the class path of
 * the process that maintains the views (so the engine depends on no backend). A backend's views are not in the
 * engine's catalog: it keeps its own record of them, the rewriter does not serve them, and {@code SHOW} lists them
 * only in the process that maintains ({@link #status}). The engine calls it only in the process holding the
 * maintainer lock, one DDL at a time.
 */
public interface ViewBackend {

  /** The name {@code WITH (engine = '…')} selects; lower case. */
  String name();

  /**
   * Creates view {@code schema.name} over {@code canonicalDefinition} (already rendered by {@code DefinitionSql})
   * with its result table, and starts maintaining it; returns once it is maintained, its initial load possibly
   * still under way. Checks that {@code requester} may create it, as the embedded engine does. On failure nothing
   * is left behind.
   *
   * @return false when the view exists and {@code ifNotExists}
   */
  boolean create(EngineConfig database, Requester requester, String schema, String name, String canonicalDefinition,
      boolean ifNotExists) throws SQLException;

  /**
   * Drops view {@code schema.name} if this backend keeps it (stops maintaining it, drops its result table and
   * whatever it holds in the database), after checking that {@code requester} may.
   *
   * @return false when it is not this backend's view
   */
  boolean drop(EngineConfig database, Requester requester, String schema, String name) throws SQLException;

  /**
   * Starts maintaining again, in the background, the views of this database this backend keeps (this process has
   * just become the one that maintains them). Must return at once; failures are the backend's to report.
   */
  void resume(EngineConfig database);

  /** Stops maintaining this database's views in this process (the engine closes); they stay resumable. */
  void close(EngineConfig database);

  /**
   * The rows of {@code SHOW INCREMENTAL VIEWS} for this backend's views of {@code database}, read on {@code c} in
   * the process that maintains them: how each runs here, as far as this process can tell. None by default.
   */
  default List<ViewStatus> status(EngineConfig database, Connection c) throws SQLException {
    return List.of();
  }

  /**
   * What {@code EXPLAIN INCREMENTAL VIEW schema.name} prints for a view of {@code database} this backend runs in
   * this process, one line per row, or null when it runs no such view here. None by default.
   */
  default List<String> explain(EngineConfig database, String schema, String name) {
    return null;
  }
}
