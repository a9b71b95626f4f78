package io.deltaview.engine;

import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.ddl.Requester;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * Everything a process that answers queries needs from the side that maintains the views: which views may
 * answer now, whether one still may at the moment a query is served, freshness waits for strong reads,
 * {@code CREATE}/{@code DROP}, and {@code SHOW}. Two kinds: the {@link Engine} of the process that maintains,
 * and a {@link CatalogViews} reader in processes that do not (another process maintains, or none does yet).
 */
public interface ViewService {

  /** Whether this process maintains the views. */
  boolean maintains();

  /** The views that may answer queries now; {@code c} is a connection of the asking process. */
  List<ViewRecord> readyViews(Connection c) throws SQLException;

  /**
   * Whether the answer of {@link #readyViews} may have changed since it was last given, asked on {@code c};
   * false where the change is told to the listeners instead ({@link Engine#addViewListener}).
   */
  boolean readinessChanged(Connection c) throws SQLException;

  /** Per query, just before it is served from {@code qualifiedView}: whether it still may be. */
  boolean serve(String qualifiedView);

  /**
   * Waits until every transaction committed before this call is reflected in the ready views; false on
   * timeout, or where nothing can tell (then a strong read goes to the base tables).
   */
  boolean awaitCurrent(long timeoutMs) throws SQLException;

  /** {@code CREATE INCREMENTAL VIEW}, as {@code requester}. */
  void createView(Requester requester, String schema, String name, String sql, boolean ifNotExists, String origin)
      throws SQLException;

  /** {@code DROP INCREMENTAL VIEW}, as {@code requester}. */
  void dropView(Requester requester, String schema, String name, boolean ifExists) throws SQLException;

  /**
   * One row per registered view for {@code SHOW INCREMENTAL VIEWS}, before the caller's visibility is applied;
   * {@code caller} is the asking connection.
   */
  List<ViewStatus> status(Connection caller) throws SQLException;
}
