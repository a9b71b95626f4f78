package io.deltaview.service;

import io.deltaview.engine.Engine;
import io.deltaview.engine.ViewStatus;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.spill.StateMemory;
import io.deltaview.engine.state.Checkpointer;
import java.sql.SQLException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * {@code /metrics}: the service's state in Prometheus' text exposition format (version 0.0.4). Every family is
 * written once with its HELP and TYPE, then its samples for every database; a family without samples is left
 * out.
 */
final class Metrics {

  private record Family(String type, String help, List<String> samples) {
  }

  private final Map<String, Family> families = new LinkedHashMap<>();

  private void add(String name, String type, String help, String labels, double value) {
    Family f = families.computeIfAbsent(name, n -> new Family(type, help, new ArrayList<>()));
    f.samples().add(name + (labels.isEmpty() ? "" : "{" + labels + "}") + " " + number(value));
  }

  private void declare(String name, String type, String help) {
    families.computeIfAbsent(name, n -> new Family(type, help, new ArrayList<>()));
  }

  static String render(List<MaintainedDatabase> databases) {
    Metrics m = new Metrics();
    for (MaintainedDatabase db : databases) {
      m.database(db);
    }
    StateMemory memory = StateMemory.global();
    m.add("deltaview_state_memory_limit_bytes", "gauge",
        "The memory budget of operator state (deltaview.engine.memory)", "", memory.limit());
    m.add("deltaview_state_memory_used_bytes", "gauge",
        "Operator state held on the heap, as the operators estimate it", "", memory.used());
    m.add("deltaview_state_spilled_arrangements", "gauge",
        "Join arrangements moved to the on-disk spill store", "", memory.spilledArrangements());
    m.add("deltaview_state_spilled_bytes", "gauge",
        "Estimated heap bytes of the arrangements moved to disk, when they moved", "", memory.spilledBytes());
    Runtime rt = Runtime.getRuntime();
    m.add("deltaview_jvm_heap_max_bytes", "gauge", "The JVM's maximum heap (-Xmx)", "", rt.maxMemory());
    m.add("deltaview_jvm_heap_used_bytes", "gauge", "Heap in use", "", rt.totalMemory() - rt.freeMemory());
    StringBuilder out = new StringBuilder();
    m.families.forEach((name, f) -> {
      if (f.samples().isEmpty()) {
        return;
      }
      out.append("# HELP ").append(name).append(' ').append(f.help()).append('\n');
      out.append("# TYPE ").append(name).append(' ').append(f.type()).append('\n');
      for (String s : f.samples()) {
        out.append(s).append('\n');
      }
    });
    return out.toString();
  }

  private void database(MaintainedDatabase db) {
    String d = "database=\"" + escape(db.name()) + "\"";
    add("deltaview_connected", "gauge", "1 if the last look at the database reached it", d, db.connected() ? 1 : 0);
    boolean maintaining = db.maintaining();
    add("deltaview_maintaining", "gauge", "1 if this process maintains the database's views (holds the maintainer"
        + " lock), 0 on standby", d, maintaining ? 1 : 0);
    declare("deltaview_view_status", "gauge", "1 for the state the view is in (label state), 0 for the others");
    declare("deltaview_view_lag_seconds", "gauge",
        "Commit-to-applied latency of the last transaction applied to the view (maintaining process only)");
    declare("deltaview_view_staleness_seconds", "gauge", "How stale a ready view is now: it reflects every source"
        + " transaction committed longer ago than this (maintaining process only, to the heartbeat interval)");
    declare("deltaview_view_rows", "gauge", "Rows of the view's result table (maintaining process only)");
    List<ViewStatus> views = null;
    try {
      views = db.views();
    } catch (SQLException | RuntimeException e) {
      // the database is unreachable: deltaview_up says so
    }
    add("deltaview_up", "gauge", "1 if the views' status could be read for this scrape", d, views != null ? 1 : 0);
    if (views != null) {
      add("deltaview_views", "gauge", "Incremental views registered in the database", d, views.size());
      Long retained = null;
      for (ViewStatus v : views) {
        String labels = d + ",view=\"" + escape(v.name()) + "\"";
        for (ViewState s : ViewState.values()) {
          add("deltaview_view_status", "gauge", "", labels + ",state=\"" + s.label() + "\"",
              v.status() == s ? 1 : 0);
        }
        if (maintaining && v.lagMs() != null) {
          add("deltaview_view_lag_seconds", "gauge", "", labels, v.lagMs() / 1000.0);
        }
        if (maintaining && v.stalenessMs() != null) {
          add("deltaview_view_staleness_seconds", "gauge", "", labels, v.stalenessMs() / 1000.0);
        }
        if (maintaining && v.rowCount() != null) {
          add("deltaview_view_rows", "gauge", "", labels, v.rowCount());
        }
        if (v.retainedWalBytes() != null) {
          retained = v.retainedWalBytes();
        }
      }
      if (retained != null) {
        add("deltaview_slot_retained_wal_bytes", "gauge",
            "WAL the database's replication slot holds back (pg_current_wal_lsn() - restart_lsn)", d, retained);
      }
    }
    Engine e = db.engine();
    if (e != null && maintaining) {
      add("deltaview_snapshot_reads_total", "counter",
          "Snapshot loads started by this process's engine (each reads base tables)", d, e.snapshotReads());
      add("deltaview_snapshot_loads_total", "counter",
          "Views loaded from a snapshot by this process's engine", d, e.snapshotLoads());
      add("deltaview_checkpoint_resumes_total", "counter",
          "Views resumed from their checkpoint by this process's engine", d, e.checkpointResumes());
      add("deltaview_view_failures_total", "counter",
          "View failures (first failures and failed rebuilds) in this process's engine", d, e.viewFailures());
      for (io.deltaview.engine.view.MaintainedView v : e.maintainedViews()) {
        String labels = d + ",view=\"" + escape(v.qualifiedName()) + "\"";
        add("deltaview_view_changes_applied_total", "counter", "Row changes (rows inserted plus rows deleted) written"
            + " to the view's result table by this process", labels, v.activity().changesApplied());
        if (v.activity().stateBytes() >= 0) {
          add("deltaview_view_state_bytes", "gauge", "The view's operator state as its last checkpoint serialized it",
              labels, v.activity().stateBytes());
        }
      }
      Checkpointer.Stats c = e.checkpointStats();
      add("deltaview_checkpoints_written_total", "counter", "Checkpoints written", d, c.written());
      add("deltaview_checkpoint_written_bytes_total", "counter", "Bytes of checkpoints written", d,
          c.bytesWritten());
      add("deltaview_checkpoint_last_bytes", "gauge", "Bytes of the last checkpoint", d, c.lastBytes());
      add("deltaview_checkpoint_last_serialize_seconds", "gauge", "Time the last checkpoint took to serialize", d,
          c.lastSerializeMicros() / 1e6);
      add("deltaview_checkpoint_max_serialize_seconds", "gauge", "Longest serialization of a checkpoint", d,
          c.maxSerializeMicros() / 1e6);
      add("deltaview_checkpoint_last_write_seconds", "gauge", "Time the last checkpoint took to write", d,
          c.lastWriteMicros() / 1e6);
      add("deltaview_checkpoint_failures_total", "counter", "Checkpoints that could not be written", d,
          c.failures());
      add("deltaview_snapshot_rows_read", "gauge", "Base-table rows read by the snapshot loads under way", d,
          e.snapshotRowsRead());
      add("deltaview_snapshot_rows_estimated", "gauge", "PostgreSQL's estimate of the rows the snapshot loads under"
          + " way read in all (-1: a table was never analyzed; 0: no load)", d, e.snapshotRowsEstimated());
    }
  }

  private static String number(double v) {
    if (v == Math.rint(v) && !Double.isInfinite(v) && Math.abs(v) < 1e15) {
      return Long.toString((long) v);
    }
    return Double.toString(v);
  }

  /** A label value with backslash, double quote and newline escaped, as the format requires. */
  static String escape(String value) {
    return value.replace("\\", "\\\\").replace("\"", "\\\"").replace("\n", "\\n");
  }
}
