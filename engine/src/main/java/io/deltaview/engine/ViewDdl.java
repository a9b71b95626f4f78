package io.deltaview.engine;

import io.deltaview.engine.apply.ApplyLoop;
import io.deltaview.engine.backend.ViewBackend;
import io.deltaview.engine.backend.ViewBackends;
import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.ddl.ResultTables;
import io.deltaview.engine.ddl.ViewRegistration;
import io.deltaview.engine.state.CheckpointStore;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.rewriter.sql.DefinitionSql;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.List;

/**
 * {@code CREATE} and {@code DROP INCREMENTAL VIEW} in the process that maintains: one at a time (the DDL
 * lock), and only while this process holds the maintainer lock; otherwise the request goes to whichever
 * process maintains, through the catalog ({@link CatalogViews}).
 */
final class ViewDdl {

  private static final System.Logger LOG = System.getLogger(ViewDdl.class.getName());
  private static final int MAX_REGISTRATION_ATTEMPTS = 5;

  private final EngineConfig config;
  private final Object ddlLock;
  private final Leadership leadership;
  private final Streaming streaming;
  private final ViewLoading loading;
  private final Runnable viewsChanged;

  ViewDdl(EngineConfig config, Object ddlLock, Leadership leadership, Streaming streaming, ViewLoading loading,
      Runnable viewsChanged) {
    this.config = config;
    this.ddlLock = ddlLock;
    this.leadership = leadership;
    this.streaming = streaming;
    this.loading = loading;
    this.viewsChanged = viewsChanged;
  }

  /**
   * {@code CREATE INCREMENTAL VIEW}: validates, creates the result table, snapshots and activates; returns when
   * the view is ready. On any failure nothing of the view remains.
   *
   * <p>The definition is checked and rendered first ({@link DefinitionSql}); only the rendered text is ever
   * executed. The requester must be allowed what {@code CREATE TABLE … AS} would need of it, and no
   * row-level security may hide rows of the base tables from it ({@link Requester#mayCreate}); the engine's
   * role then creates the result table, owns it, and grants the requester SELECT on it (with grant option).
   * Nobody else gets more than SELECT on it.
   *
   * @param requester who asked, on its own connection; its search_path resolves the definition's names
   * @param schema the view's schema, or null for the requester's current schema
   * @param origin {@code sql} for a command, or the origin of a view Deltaview creates on its own in its own
   *     schema (then the requester needs no CREATE privilege there)
   */
  void create(Requester requester, String schema, String name, String sql, boolean ifNotExists, String origin)
      throws SQLException {
    if (!leadership.holdsLock() && "sql".equals(origin)) {
      // Another process may maintain meanwhile: ask it, as a process without an engine would.
      new CatalogViews(config).createView(requester, schema, name, sql, ifNotExists, origin);
      return;
    }
    String definition = DefinitionSql.canonical(sql);
    String resolvedSchema = schema != null ? schema : requester.currentSchema();
    loading.awaitResumed(); // a CREATE starts the loop if none runs: not before the restored views are in it
    synchronized (ddlLock) {
      leadership.require();
      try (Connection c = Engine.connect(config)) {
        if (existsOnBackend(c, resolvedSchema, name, ifNotExists)) {
          return; // IF NOT EXISTS, and another engine maintains a view of that name
        }
      }
      MaintainedView view = null;
      for (int attempt = 1; view == null; attempt++) {
        try {
          try (Connection c = Engine.connect(config)) {
            view = ViewRegistration.register(c, requester, resolvedSchema, name, definition, ifNotExists, origin,
                config.publicationName());
          }
          if (view == null) {
            return; // IF NOT EXISTS and it exists
          }
        } catch (SQLException e) {
          // Taking the base tables' locks can deadlock with writers that lock them in another order; PostgreSQL
          // then aborts one side. The registration transaction left nothing behind, so try it again.
          if (!SqlStates.DEADLOCK_DETECTED.equals(e.getSQLState()) || attempt >= MAX_REGISTRATION_ATTEMPTS) {
            throw e;
          }
          LOG.log(System.Logger.Level.INFO, "registering view " + name + " hit a deadlock with writers; retrying");
        }
      }
      ViewRecord record = view.record();
      MaintainedView registered = view;
      try {
        streaming.start();
        streaming.runOnLoop(() -> streaming.loop().addView(registered));
        SQLException loadFailure = loading.loadNow(registered);
        if (loadFailure != null) {
          throw loadFailure;
        }
      } catch (Exception e) {
        SQLException failure = e instanceof SQLException s ? s
            : e.getCause() instanceof SQLException cause ? cause
            : new SQLException("Deltaview: creating view " + record.qualifiedName() + " failed: " + e,
                SqlStates.INTERNAL_ERROR, e);
        try {
          dropRegistered(record.schema(), record.name());
        } catch (SQLException cleanup) {
          failure.addSuppressed(cleanup);
        }
        throw failure;
      }
    }
  }

  /**
   * {@code CREATE INCREMENTAL VIEW … WITH (engine = '…')} for an engine other than the embedded one: the engine
   * records the view ({@link BackendViews}, status {@code snapshotting}), then the {@link ViewBackend} of that
   * name creates and maintains it, here, where the views are maintained. Where another process maintains, the
   * request goes to it as any {@code CREATE} does ({@link CatalogViews}). On failure the record is removed.
   *
   * @param origin as for {@link #create}: {@code sql}, or the origin of a view Deltaview creates on its own
   *
   * @throws SQLException {@code 22023} for an engine there is none of; {@code 42P07} when a view has the name;
   *     PostgreSQL's errors for a definition that does not plan
   */
  void createOnBackend(Requester requester, String schema, String name, String sql, boolean ifNotExists, String engine,
      String origin) throws SQLException {
    if (!leadership.holdsLock() && "sql".equals(origin)) {
      new CatalogViews(config).createView(requester, schema, name, sql, ifNotExists, origin, engine);
      return;
    }
    ViewBackend backend = ViewBackends.named(engine);
    String definition = DefinitionSql.canonical(sql);
    String resolvedSchema = schema != null ? schema : requester.currentSchema();
    synchronized (ddlLock) {
      leadership.require();
      ViewRecord record;
      try (Connection c = Engine.connect(config)) {
        if (Catalog.exists(c) && ViewRegistration.find(c, resolvedSchema, name) != null) {
          if (ifNotExists) {
            return;
          }
          throw new SQLException("incremental view \"" + resolvedSchema + "." + name + "\" already exists",
              SqlStates.DUPLICATE_TABLE);
        }
        if (existsOnBackend(c, resolvedSchema, name, ifNotExists)) {
          return;
        }
        List<String> baseTables = ViewRegistration.baseTables(c, requester.searchPath(), requester.timeZone(),
            definition);
        record = new ViewRecord(resolvedSchema, name, definition, baseTables, origin, ViewState.SNAPSHOTTING, null,
            requester.searchPath(), requester.role(), requester.timeZone());
        Catalog.ensureExists(c);
        BackendViews.insert(c, backend.name(), record);
      }
      try {
        backend.create(config, requester, record);
      } catch (SQLException | RuntimeException e) {
        try (Connection c = Engine.connect(config)) {
          BackendViews.delete(c, resolvedSchema, name);
        } catch (SQLException cleanup) {
          e.addSuppressed(cleanup);
        }
        throw e;
      }
    }
    viewsChanged.run();
  }

  /**
   * {@code DROP INCREMENTAL VIEW}: stops maintenance and removes the result table and bookkeeping. The
   * requester must be a member of the view's owner role, as {@code DROP TABLE} would require.
   *
   * @param schema the view's schema, or null for the requester's current schema
   */
  void drop(Requester requester, String schema, String name, boolean ifExists) throws SQLException {
    if (!leadership.holdsLock()) {
      new CatalogViews(config).dropView(requester, schema, name, ifExists);
      return;
    }
    String resolvedSchema = schema != null ? schema : requester.currentSchema();
    loading.awaitResumed(); // the view may be one whose checkpoint is being read
    synchronized (ddlLock) {
      leadership.require();
      ViewRecord record;
      long resultOid;
      try (Connection c = Engine.connect(config)) {
        record = Catalog.exists(c) ? ViewRegistration.find(c, resolvedSchema, name) : null;
        resultOid = record == null ? 0 : ResultTables.oid(c, resolvedSchema, name);
      }
      if (record == null && dropOnBackend(requester, resolvedSchema, name)) {
        return;
      }
      if (record == null) {
        if (ifExists) {
          return;
        }
        throw new SQLException("incremental view \"" + resolvedSchema + "." + name + "\" does not exist",
            SqlStates.UNDEFINED_TABLE);
      }
      requester.mayDrop(record.qualifiedName(), record.owner(), resultOid);
      if (!dropRegistered(resolvedSchema, name) && !ifExists) {
        throw new SQLException("incremental view \"" + resolvedSchema + "." + name + "\" does not exist",
            SqlStates.UNDEFINED_TABLE);
      }
    }
  }

  /**
   * Whether another engine maintains a view {@code schema.name} ({@link BackendViews}), read on {@code c}: true
   * with {@code ifNotExists}, else {@code 42P07}, as for a view of the embedded engine; false when none does.
   */
  private static boolean existsOnBackend(Connection c, String schema, String name, boolean ifNotExists)
      throws SQLException {
    BackendViews.BackendView other = BackendViews.find(c, schema, name);
    if (other == null) {
      return false;
    }
    if (ifNotExists) {
      return true;
    }
    throw new SQLException("incremental view \"" + schema + "." + name + "\" already exists (maintained by engine "
        + other.backend() + ")", SqlStates.DUPLICATE_TABLE);
  }

  /**
   * Drops view {@code schema.name} if another backend keeps it ({@link BackendViews}): checks that the requester
   * may, has the backend drop what it made, then removes the record. Called holding the DDL lock.
   *
   * @return false when no backend keeps such a view
   * @throws SQLException {@code 0A000} when the view's backend is not on this process's class path
   */
  private boolean dropOnBackend(Requester requester, String schema, String name) throws SQLException {
    BackendViews.BackendView v;
    long resultOid;
    try (Connection c = Engine.connect(config)) {
      v = BackendViews.find(c, schema, name);
      if (v == null) {
        return false;
      }
      resultOid = ResultTables.oid(c, schema, name);
    }
    requester.mayDrop(v.view().qualifiedName(), v.view().owner(), resultOid);
    ViewBackend backend;
    try {
      backend = ViewBackends.named(v.backend());
    } catch (SQLException e) {
      throw new SQLException("incremental view \"" + schema + "." + name + "\" is maintained by engine "
          + v.backend() + ", which this process cannot run: drop it where that engine is on the class path",
          SqlStates.FEATURE_NOT_SUPPORTED, e);
    }
    backend.drop(config, v.view());
    try (Connection c = Engine.connect(config)) {
      BackendViews.delete(c, schema, name);
    }
    viewsChanged.run();
    return true;
  }

  /**
   * Takes view {@code schema.name} out of the loop and unregisters it, with its result table and checkpoint;
   * the last view takes the slot and publication with it. Called holding the DDL lock.
   *
   * @return whether it was registered
   */
  private boolean dropRegistered(String schema, String name) throws SQLException {
    ApplyLoop l = streaming.loop();
    if (l != null && l.isRunning()) {
      for (MaintainedView v : l.views()) {
        if (v.record().schema().equals(schema) && v.record().name().equals(name)) {
          Streaming.runOnLoop(l, () -> l.removeView(v));
        }
      }
    }
    ViewRegistration.Unregistered done;
    try (Connection c = Engine.connect(config)) {
      done = ViewRegistration.unregister(c, schema, name, config.publicationName());
    }
    if (done.found()) {
      try (Connection c = Engine.connect(config)) {
        CheckpointStore.deleteView(c, schema, name);
      }
    }
    if (done.lastView()) {
      streaming.stop();
      try (Connection c = Engine.connect(config)) {
        ViewRegistration.dropStreaming(c, config.slotName(), config.publicationName());
        c.setAutoCommit(true);
        CheckpointStore.deleteAll(c);
      }
    }
    if (done.found()) {
      viewsChanged.run();
    }
    return done.found();
  }
}
