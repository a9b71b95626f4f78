package io.deltaview.engine;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.view.ViewExplanation;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Everything a process that answers queries needs from the side that maintains the views: which views may
 * answer now, whether one still may at the moment a query is served, how stale they are, freshness waits for
 * strong and read-your-writes reads, {@code CREATE}/{@code DROP}, {@code SHOW} and
 * {@code EXPLAIN INCREMENTAL VIEW}. Two kinds: the {@link Engine} of the process that maintains, and a
 * {@link CatalogViews} reader in processes that do not (another process maintains, or none does yet).
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

  /**
   * Per query, just before it is served from {@code qualifiedViews} (one view, or several read by one
   * statement): whether it still may be. Several views may be read together only when they reflect one state of
   * the source, so that the statement sees a state the database was in.
   */
  boolean serve(List<String> qualifiedViews);

  /**
   * Per query: whether one of {@code qualifiedViews} is maintained by another engine than the embedded one
   * ({@link io.deltaview.engine.catalog.BackendViews}): nothing proves such a view current, so it may answer only
   * {@code eventual} reads. Allocates nothing.
   */
  boolean onlyEventual(List<String> qualifiedViews);

  /**
   * Waits until every transaction committed before this call is reflected in the ready views; false on
   * timeout, or where nothing can tell (then a strong read goes to the base tables).
   */
  boolean awaitCurrent(long timeoutMs) throws SQLException;

  /**
   * How stale the ready views are now, in milliseconds: they reflect every source transaction that committed
   * at least this long ago. Null where that is not known (nothing measures it, or another process maintains):
   * then a read with a staleness bound goes to the base tables. Cheap: asked per bounded read.
   */
  Long stalenessMs();

  /**
   * Waits until the ready views reflect the WAL up to {@code lsn} (a position the caller read after its own
   * commit); false on timeout, or where nothing can tell (then a read-your-writes read goes to the base tables).
   */
  boolean awaitApplied(LogSequenceNumber lsn, long timeoutMs);

  /** {@code CREATE INCREMENTAL VIEW}, as {@code requester}. */
  void createView(Requester requester, String schema, String name, String sql, boolean ifNotExists, String origin)
      throws SQLException;

  /**
   * {@code CREATE INCREMENTAL VIEW … WITH (engine = '…')}: {@code engine} null or {@code embedded} is
   * {@link #createView(Requester, String, String, String, boolean, String)}; another engine (a
   * {@link io.deltaview.engine.backend.ViewBackend}) maintains the view in the process that maintains the views.
   */
  void createView(Requester requester, String schema, String name, String sql, boolean ifNotExists,
      String origin, String engine) throws SQLException;

  /** {@code DROP INCREMENTAL VIEW}, as {@code requester}. */
  void dropView(Requester requester, String schema, String name, boolean ifExists) throws SQLException;

  /**
   * One row per registered view for {@code SHOW INCREMENTAL VIEWS}, before the caller's visibility is applied;
   * {@code caller} is the asking connection.
   */
  List<ViewStatus> status(Connection caller) throws SQLException;

  /**
   * The registered view {@code schema.name} ({@code schema} null: the first schema of the caller's search_path
   * that has one), before the caller's visibility is applied; empty when there is none.
   */
  default Optional<ViewRecord> view(Connection caller, String schema, String name) throws SQLException {
    List<ViewRecord> views = Catalog.loadViews(caller);
    List<String> schemas = new ArrayList<>();
    if (schema != null) {
      schemas.add(schema);
    } else {
      try (Statement s = caller.createStatement();
           ResultSet rs = s.executeQuery("SELECT unnest(current_schemas(false))")) {
        while (rs.next()) {
          schemas.add(rs.getString(1));
        }
      }
    }
    for (String candidate : schemas) {
      for (ViewRecord v : views) {
        if (v.schema().equals(candidate) && v.name().equals(name)) {
          return Optional.of(v);
        }
      }
    }
    return Optional.empty();
  }

  /** {@code EXPLAIN INCREMENTAL VIEW name}: the dataflow maintaining {@code view}, one line per operator. */
  default List<String> explain(Connection caller, ViewRecord view) throws SQLException {
    return ViewExplanation.ofView(caller, view);
  }

  /**
   * {@code EXPLAIN INCREMENTAL VIEW schema.name} for a view that is not in the catalog because another backend
   * maintains it ({@code WITH (engine = '…')}), asked on {@code caller}: what is recorded of it (here; the process
   * that runs it prints its job too), or null when no backend keeps such a view.
   */
  default List<String> explainOnBackend(Connection caller, String schema, String name) throws SQLException {
    io.deltaview.engine.catalog.BackendViews.BackendView v =
        io.deltaview.engine.catalog.BackendViews.find(caller, schema, name);
    return v == null ? null : io.deltaview.engine.catalog.BackendViews.describe(v);
  }

  /** {@code EXPLAIN INCREMENTAL VIEW AS select}: the dataflow that would maintain {@code sql}. */
  default List<String> explainDefinition(Connection caller, String sql) throws SQLException {
    return ViewExplanation.ofDefinition(caller, sql);
  }
}
