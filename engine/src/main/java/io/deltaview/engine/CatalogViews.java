package io.deltaview.engine;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.lead.MaintainerLock;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The views as a process that does not maintain them sees them, from Deltaview's catalog: a view answers
 * queries while its status is {@code ready} and some process holds the maintainer lock (whose engine keeps
 * the catalog current). Nothing here can tell how fresh a view is, so strong reads go to the base tables;
 * {@code CREATE}/{@code DROP} must run where the views are maintained.
 */
public final class CatalogViews implements ViewService {

  private final EngineConfig config;
  /** What decided the last {@link #readyViews} answer. */
  private volatile String seen;

  public CatalogViews(EngineConfig config) {
    this.config = config;
  }

  @Override
  public boolean maintains() {
    return false;
  }

  @Override
  public List<ViewRecord> readyViews(Connection c) throws SQLException {
    List<ViewRecord> records = Catalog.loadViews(c);
    boolean maintained = MaintainerLock.heldBySomeone(c);
    seen = fingerprint(records, maintained);
    List<ViewRecord> ready = new ArrayList<>();
    if (maintained) {
      for (ViewRecord r : records) {
        if (r.status() == ViewState.READY) {
          ready.add(r);
        }
      }
    }
    return ready;
  }

  @Override
  public boolean readinessChanged(Connection c) throws SQLException {
    return !fingerprint(Catalog.loadViews(c), MaintainerLock.heldBySomeone(c)).equals(seen);
  }

  private static String fingerprint(List<ViewRecord> records, boolean maintained) {
    StringBuilder b = new StringBuilder(maintained ? "maintained" : "unmaintained");
    for (ViewRecord r : records) {
      b.append('\n').append(r.qualifiedName()).append(' ').append(r.status()).append(' ').append(r.definition());
    }
    return b.toString();
  }

  /** The ready set decided it already; nothing more is known here per query. */
  @Override
  public boolean serve(String qualifiedView) {
    return true;
  }

  @Override
  public boolean awaitCurrent(long timeoutMs) {
    return false;
  }

  @Override
  public void createView(Requester requester, String schema, String name, String sql, boolean ifNotExists,
      String origin) throws SQLException {
    throw notHere("CREATE INCREMENTAL VIEW");
  }

  @Override
  public void dropView(Requester requester, String schema, String name, boolean ifExists) throws SQLException {
    throw notHere("DROP INCREMENTAL VIEW");
  }

  private SQLException notHere(String command) {
    return new SQLException(command + " needs the Deltaview engine, but this connection has none"
        + " (deltaview.engine=none, or another process maintains the views of database " + config.database()
        + "): run it there", SqlStates.OBJECT_NOT_IN_PREREQUISITE_STATE);
  }

  /** What the catalog and the slot say; row counts, lag and hits live in the maintaining process (null here). */
  @Override
  public List<ViewStatus> status(Connection caller) throws SQLException {
    LogSequenceNumber applied = Catalog.appliedLsn(caller, config.slotName());
    SlotManager.SlotState slot = SlotManager.state(caller, config.slotName());
    List<ViewStatus> out = new ArrayList<>();
    for (ViewRecord r : Catalog.loadViews(caller)) {
      out.add(new ViewStatus(r.qualifiedName(), r.status(), SqlIdentifiers.quote(r.schema(), r.name()), null,
          null, applied == null ? null : applied.asString(), null, r.definition(), r.lastError(), r.origin(), null,
          slot == null ? null : slot.walStatus(), slot == null ? null : slot.retainedBytes(), null, null));
    }
    return out;
  }
}
