package io.deltaview.engine;

import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.ddl.ViewRequests;
import io.deltaview.engine.lead.MaintainerLock;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The views as a process that does not maintain them sees them, from Deltaview's catalog: a view answers
 * queries while its status is {@code ready} and some process holds the maintainer lock (whose engine keeps
 * the catalog current). Nothing here can tell how fresh a view is, so strong, bounded and read-your-writes
 * reads that would need to know go to the base tables;
 * {@code CREATE}/{@code DROP} are asked of the maintaining process ({@link ViewRequests}).
 */
public final class CatalogViews implements ViewService {

  private final EngineConfig config;
  /** What decided the last {@link #readyViews} answer. */
  private volatile String seen;
  /** The ready views that read as one state of the source ({@link Catalog#alignedViews}), as last looked at. */
  private volatile Set<String> aligned = Set.of();
  /** The ready views another engine maintains ({@link BackendViews}), as last looked at. */
  private volatile Set<String> otherBackends = Set.of();

  public CatalogViews(EngineConfig config) {
    this.config = config;
  }

  @Override
  public boolean maintains() {
    return false;
  }

  @Override
  public List<ViewRecord> readyViews(Connection c) throws SQLException {
    aligned = Catalog.alignedViews(c);
    List<ViewRecord> records = Catalog.loadViews(c);
    boolean maintained = MaintainerLock.heldBySomeone(c);
    List<BackendViews.BackendView> recorded = BackendViews.load(c);
    seen = fingerprint(records, recorded, maintained);
    List<ViewRecord> ready = new ArrayList<>();
    Set<String> others = new java.util.HashSet<>();
    if (maintained) {
      for (ViewRecord r : records) {
        if (r.status() == ViewState.READY) {
          ready.add(r);
        }
      }
      for (ViewRecord r : BackendViews.ready(recorded)) {
        ready.add(r);
        others.add(r.qualifiedName());
      }
    }
    otherBackends = Set.copyOf(others);
    return ready;
  }

  @Override
  public boolean onlyEventual(List<String> qualifiedViews) {
    return BackendViews.anyOf(otherBackends, qualifiedViews);
  }

  @Override
  public boolean readinessChanged(Connection c) throws SQLException {
    // asked about once a second: the views the maintainer just loaded become readable with the others here
    aligned = Catalog.alignedViews(c);
    return !fingerprint(Catalog.loadViews(c), BackendViews.load(c), MaintainerLock.heldBySomeone(c)).equals(seen);
  }

  private static String fingerprint(List<ViewRecord> records, List<BackendViews.BackendView> others,
      boolean maintained) {
    StringBuilder b = new StringBuilder(maintained ? "maintained" : "unmaintained");
    b.append('\n').append(BackendViews.fingerprint(others));
    for (ViewRecord r : records) {
      b.append('\n').append(r.qualifiedName()).append(' ').append(r.status()).append(' ').append(r.definition());
    }
    return b.toString();
  }

  /** The ready set decided it already; nothing more is known here per query. */
  @Override
  public boolean serve(List<String> qualifiedViews) {
    // Each result table is current as of the maintainer's last commit, but a view it has just loaded is ahead
    // of the others until its stream catches up: several are read together only once the catalog says none is.
    if (qualifiedViews.size() == 1) {
      return true;
    }
    Set<String> now = aligned;
    for (int i = 0; i < qualifiedViews.size(); i++) {
      if (!now.contains(qualifiedViews.get(i))) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean awaitCurrent(long timeoutMs) {
    return false;
  }

  /** Only the maintaining process passes the heartbeats that measure staleness: unknown here. */
  @Override
  public Long stalenessMs() {
    return null;
  }

  /** Only the maintaining process knows how far it has applied the stream: never known here. */
  @Override
  public boolean awaitApplied(LogSequenceNumber lsn, long timeoutMs) {
    return false;
  }

  /**
   * Asks the maintaining process for the view ({@link ViewRequests}), as the caller's role, in the caller's
   * transaction. Outside a transaction this waits until the maintainer carried it out and reports its failure
   * as PostgreSQL's; inside one the request takes effect when the transaction commits (as
   * {@code deltaview.create_view} in a migration does), and its outcome is in {@code deltaview.view_requests}.
   */
  @Override
  public void createView(Requester requester, String schema, String name, String sql, boolean ifNotExists,
      String origin) throws SQLException {
    createView(requester, schema, name, sql, ifNotExists, origin, null);
  }

  /** {@link #createView(Requester, String, String, String, boolean, String)} on engine {@code engine}. */
  @Override
  public void createView(Requester requester, String schema, String name, String sql, boolean ifNotExists,
      String origin, String engine) throws SQLException {
    Connection caller = requester.connection();
    requireMaintainer(caller, "CREATE INCREMENTAL VIEW");
    long id = ViewRequests.submitCreate(caller, qualified(schema, name), sql, ifNotExists,
        io.deltaview.engine.backend.ViewBackends.EMBEDDED.equals(engine) ? null : engine);
    awaitIfCommitted(caller, id, "CREATE INCREMENTAL VIEW");
  }

  @Override
  public void dropView(Requester requester, String schema, String name, boolean ifExists) throws SQLException {
    Connection caller = requester.connection();
    requireMaintainer(caller, "DROP INCREMENTAL VIEW");
    long id = ViewRequests.submitDrop(caller, qualified(schema, name), ifExists);
    awaitIfCommitted(caller, id, "DROP INCREMENTAL VIEW");
  }

  private static String qualified(String schema, String name) {
    return schema == null ? SqlIdentifiers.quote(name) : SqlIdentifiers.quote(schema, name);
  }

  /**
   * Refuses a request nobody would carry out now: with no maintainer it would wait, unseen, and take effect
   * whenever one starts.
   */
  private void requireMaintainer(Connection caller, String command) throws SQLException {
    if (!Catalog.exists(caller) || !MaintainerLock.heldBySomeone(caller)) {
      throw new SQLException(command + " needs a process that maintains the incremental views of database "
          + config.database() + ", and none does now (start the engine service, or a process with the embedded"
          + " engine)", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
    }
  }

  /**
   * Waits for request {@code id}'s outcome when it is committed already (the caller autocommits); a request in
   * an open transaction is not visible to the maintainer before the commit.
   */
  private void awaitIfCommitted(Connection caller, long id, String command) throws SQLException {
    if (!caller.getAutoCommit()) {
      return;
    }
    long pollMs = 20;
    long unmaintainedSince = 0;
    while (true) {
      ViewRequests.Outcome outcome = ViewRequests.outcome(caller, id);
      if (outcome != null && !outcome.pending()) {
        SQLException failure = outcome.failure();
        if (failure != null) {
          throw failure;
        }
        return;
      }
      // The request waits for whichever process maintains; after a failover the new maintainer carries it out.
      if (MaintainerLock.heldBySomeone(caller)) {
        unmaintainedSince = 0;
      } else if (unmaintainedSince == 0) {
        unmaintainedSince = System.nanoTime();
      } else if (System.nanoTime() - unmaintainedSince > UNMAINTAINED_WAIT_NANOS) {
        throw new SQLException(command + " was asked for (request " + id + " in " + ViewRequests.TABLE
            + ") but no process maintains the views of database " + config.database() + " any more: it takes"
            + " effect when one does", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
      }
      try {
        Thread.sleep(pollMs);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new SQLException(command + " was interrupted while request " + id + " waited for the maintainer",
            SqlStates.QUERY_CANCELED, e);
      }
      pollMs = Math.min(pollMs * 2, 250);
    }
  }

  /** How long a request waits for a new maintainer after the last one went away. */
  private static final long UNMAINTAINED_WAIT_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(30);

  /** What the catalog and the slot say; row counts, lag and hits live in the maintaining process (null here). */
  @Override
  public List<ViewStatus> status(Connection caller) throws SQLException {
    LogSequenceNumber applied = Catalog.appliedLsn(caller, config.slotName());
    SlotManager.SlotState slot = SlotManager.state(caller, config.slotName());
    List<ViewStatus> out = new ArrayList<>();
    for (ViewRecord r : Catalog.loadViews(caller)) {
      out.add(new ViewStatus(r.qualifiedName(), r.status(), SqlIdentifiers.quote(r.schema(), r.name()), null,
          null, applied == null ? null : applied.asString(), null, r.definition(), r.lastError(), r.origin(), null,
          slot == null ? null : slot.walStatus(), slot == null ? null : slot.retainedBytes(), null, null, null, null));
    }
    for (BackendViews.BackendView v : BackendViews.load(caller)) {
      out.add(ViewStatus.recorded(v));
    }
    return out;
  }
}
