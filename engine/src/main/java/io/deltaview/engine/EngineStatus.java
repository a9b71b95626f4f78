package io.deltaview.engine;

import io.deltaview.engine.apply.ApplyLoop;
import io.deltaview.engine.backend.ViewBackend;
import io.deltaview.engine.backend.ViewBackends;
import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.view.MaintainedView;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToLongFunction;

/**
 * What {@code SHOW INCREMENTAL VIEWS} tells of the views this process maintains: the catalog's record of each,
 * with what only this process knows (its live state, progress, staleness and hits).
 */
final class EngineStatus {

  private final EngineConfig config;
  private final Streaming streaming;
  private final ViewLoading loading;
  private final ToLongFunction<String> hits;

  EngineStatus(EngineConfig config, Streaming streaming, ViewLoading loading, ToLongFunction<String> hits) {
    this.config = config;
    this.streaming = streaming;
    this.loading = loading;
    this.hits = hits;
  }

  /**
   * One entry per registered view, then the views other backends keep ({@link BackendViews}), as their backend
   * sees them running here ({@link ViewBackend#status}) or else as recorded. A view
   * being reloaded after its slot was lost is {@code rebuilding}, with why as its last error; the slot's {@code wal_status} and retained WAL are the same for every view of the
   * database (one slot), null while there is no slot. Costs two catalog reads and no scan of any result table
   * (row counts are kept in memory), so it may be asked often.
   */
  List<ViewStatus> views() throws SQLException {
    List<ViewStatus> out = new ArrayList<>();
    ApplyLoop l = streaming.loop();
    RestoringViews restoring = loading.restoring();
    Long staleness = stalenessMs();
    try (Connection c = Engine.connect(config)) {
      SlotManager.SlotState slot = SlotManager.state(c, config.slotName());
      for (ViewRecord r : Catalog.loadViews(c)) {
        MaintainedView live = null;
        if (l != null) {
          for (MaintainedView v : l.views()) {
            if (v.record().schema().equals(r.schema()) && v.record().name().equals(r.name())) {
              live = v;
            }
          }
        }
        ViewStatus row = ViewStatus.of(r, live, streaming.rebuildingReason(r.qualifiedName(), live), staleness,
            hits.applyAsLong(r.qualifiedName()), slot, loading.loadOf(r.qualifiedName()));
        boolean reading = live == null && restoring.get(r.qualifiedName()) != null && r.status() == ViewState.READY;
        out.add(reading ? row.readingCheckpoint() : row);
      }
      for (BackendViews.BackendView v : BackendViews.load(c)) {
        ViewBackend backend = ViewBackends.find(v.backend());
        ViewStatus here = backend == null ? null : backend.status(config, c, v.view());
        out.add(here != null ? here : ViewStatus.recorded(v));
      }
    }
    return out;
  }

  /**
   * How stale the views this process keeps current are now, in milliseconds: they reflect every source
   * transaction that committed before the last heartbeat the apply loop passed, written this long ago. Null
   * when that is not known: no apply loop runs, heartbeats are off, or none was passed yet.
   */
  Long stalenessMs() {
    ApplyLoop l = streaming.loop();
    if (l == null || !l.isRunning()) {
      return null;
    }
    long asOf = l.currentAsOfMillis();
    return asOf == 0 ? null : Math.max(0, System.currentTimeMillis() - asOf);
  }
}
