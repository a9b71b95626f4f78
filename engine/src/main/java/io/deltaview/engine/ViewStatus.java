package io.deltaview.engine;

import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.sql.SqlIdentifiers;
import io.deltaview.engine.snapshot.SnapshotProgress;
import io.deltaview.engine.view.MaintainedView;
import org.postgresql.replication.LogSequenceNumber;

/**
 * One row of {@code SHOW INCREMENTAL VIEWS}.
 *
 * @param rowCount rows of the result table, as the maintaining process knows them (counted once when a load
 *     replaced the table or a restart resumed it, then kept from what it writes); null elsewhere, and while
 *     unknown (a failed view)
 * @param lagMs commit-to-applied latency of the last transaction applied; null where the view is not maintained
 * @param hits queries served from the view since the maintaining engine started; null elsewhere
 * @param lastErrorSqlState PostgreSQL's SQLState of the error that failed the view; null unless it failed
 * @param walStatus {@code pg_replication_slots.wal_status} of the database's slot; null while there is none
 * @param retainedWalBytes WAL the slot holds back ({@code pg_current_wal_lsn() - restart_lsn}); null while
 *     there is no slot or PostgreSQL has invalidated it
 * @param stateSource where the maintaining process got the view's operator state when it last activated it:
 *     {@code checkpoint}, or {@code snapshot} followed by why it was rebuilt when that needs saying
 *     ({@code snapshot: its checkpoint at 0/1A2B3C is corrupt (checksum mismatch)}); null elsewhere or before
 * @param checkpointLsn the position of the view's newest durable checkpoint; null if none (or elsewhere)
 * @param progress how far the snapshot load of a {@code snapshotting} or {@code rebuilding} view is, with the
 *     time left ({@link SnapshotProgress#describe}); for a {@code ready} view whose checkpoint is being read as
 *     maintenance starts, that it is; null otherwise, and outside the maintaining process
 * @param stalenessMs how stale a {@code ready} view is now: the view reflects every source transaction that
 *     committed more than this long ago (by the last heartbeat its apply loop passed, see
 *     {@link io.deltaview.engine.cdc.Heartbeat}); null if not ready, outside the maintaining process, or not
 *     known yet
 */
public record ViewStatus(
    String name,
    ViewState status,
    String resultTable,
    Long rowCount,
    Long lagMs,
    String appliedLsn,
    Long hits,
    String definition,
    String lastError,
    String origin,
    String lastErrorSqlState,
    String walStatus,
    Long retainedWalBytes,
    String stateSource,
    String checkpointLsn,
    String progress,
    Long stalenessMs) {

  /**
   * The row of view {@code r} as the catalog has it, overlaid with what this process knows of it if it
   * maintains it ({@code live}, null otherwise).
   *
   * @param rebuildingBecause why the view is being rebuilt after its slot was lost; null if it is not
   * @param stalenessMs the staleness of the views the maintaining apply loop keeps current; null if unknown
   * @param slot the database's slot; null while there is none
   * @param load the snapshot load under way for the view; null if none
   */
  public static ViewStatus of(ViewRecord r, MaintainedView live, String rebuildingBecause, Long stalenessMs,
      long hits, SlotManager.SlotState slot, SnapshotProgress load) {
    ViewState status = live == null ? r.status()
        : switch (live.state()) {
          case ACTIVE -> ViewState.READY;
          case PENDING -> rebuildingBecause != null ? ViewState.REBUILDING : ViewState.SNAPSHOTTING;
          case FAILED -> ViewState.FAILED;
        };
    String lastError = live == null ? r.lastError()
        : rebuildingBecause != null ? rebuildingBecause
        : live.lastError() != null ? live.lastError() : r.lastError();
    long rows = live == null ? -1 : live.activity().rows();
    return new ViewStatus(r.qualifiedName(), status, SqlIdentifiers.quote(r.schema(), r.name()), rows < 0 ? null : rows,
        live == null ? 0L : live.lastLagMs(),
        live == null || live.appliedLsn() == LogSequenceNumber.INVALID_LSN ? null : live.appliedLsn().asString(),
        hits, r.definition(), lastError, r.origin(),
        live == null || rebuildingBecause != null ? null : live.lastErrorSqlState(),
        slot == null ? null : slot.walStatus(), slot == null ? null : slot.retainedBytes(),
        live == null ? null : live.stateSource(),
        live == null || live.checkpointLsn() == LogSequenceNumber.INVALID_LSN ? null : live.checkpointLsn().asString(),
        load == null || status == ViewState.READY || status == ViewState.FAILED ? null : load.describe(),
        status == ViewState.READY ? stalenessMs : null);
  }

  /**
   * The row of a view another engine maintains, as recorded ({@link BackendViews}): its status and last error;
   * {@code state_source} names the backend. What only its backend could tell (rows, lag, position) is null.
   */
  public static ViewStatus recorded(BackendViews.BackendView v) {
    ViewRecord r = v.view();
    return new ViewStatus(r.qualifiedName(), r.status(), SqlIdentifiers.quote(r.schema(), r.name()), null, null,
        null, null, r.definition(), r.lastError(), r.origin(), null, null, null, v.backend(), null, null, null);
  }

  /**
   * This row of a {@code ready} view whose operator state is being read from its checkpoint as maintenance starts:
   * served from its table meanwhile, not maintained yet (no staleness known).
   */
  ViewStatus readingCheckpoint() {
    return new ViewStatus(name, status, resultTable, rowCount, lagMs, appliedLsn, hits, definition, lastError, origin,
        lastErrorSqlState, walStatus, retainedWalBytes, "checkpoint", checkpointLsn,
        "reading its checkpoint; served from its result table meanwhile", null);
  }
}
