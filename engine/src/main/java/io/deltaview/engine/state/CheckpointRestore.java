package io.deltaview.engine.state;

import io.deltaview.engine.catalog.Catalog;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.view.MaintainedView;
import java.sql.Connection;
import java.sql.SQLException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Decides, when an engine starts maintaining a database, which views resume from their checkpoint and which
 * are rebuilt from a snapshot (and why), and reads the usable checkpoints into fresh pipelines. A checkpoint
 * at position L is usable when the view was {@code ready} (its result table holds the stream up to the
 * recorded applied position, or up to L if that is later), the slot still holds the WAL since L (it exists, is not lost, and was not
 * confirmed past L), and its format, fingerprint and checksum match. Unusable checkpoints are deleted.
 */
public final class CheckpointRestore {

  private static final System.Logger LOG = System.getLogger(CheckpointRestore.class.getName());

  /**
   * A view's state read from its checkpoint at {@code lsn}: {@code fetchMillis} to fetch its parts from the
   * database, {@code readMillis} to read them into the pipeline's operators; {@code resultRows}, the rows its
   * result table holds now.
   */
  public record Restored(ViewPipeline pipeline, LogSequenceNumber lsn, String fingerprint, long bytes,
      long fetchMillis, long readMillis, long resultRows) {
  }

  /**
   * What to do with each view.
   *
   * @param restored the views resuming from a checkpoint
   * @param rebuilt the others, with why they are rebuilt from a snapshot
   * @param tablesAt the position the result tables hold (deltaview.progress), null if none is recorded (no
   *     transaction wrote a result table since the views were loaded: each table is then at least as current as
   *     its view's checkpoint)
   */
  public record Plan(Map<MaintainedView, Restored> restored, Map<MaintainedView, String> rebuilt,
      LogSequenceNumber tablesAt) {

    /** The oldest position a restored view resumes from (the stream must start there), or null if none. */
    public LogSequenceNumber replayFrom() {
      LogSequenceNumber min = null;
      for (Restored r : restored.values()) {
        if (min == null || r.lsn().asLong() < min.asLong()) {
          min = r.lsn();
        }
      }
      return min;
    }
  }

  private CheckpointRestore() {
  }

  public static Plan plan(Connection c, List<MaintainedView> views, String slotName) throws SQLException {
    Map<MaintainedView, Restored> restored = new LinkedHashMap<>();
    Map<MaintainedView, String> rebuilt = new LinkedHashMap<>();
    boolean stored = CheckpointStore.exists(c);
    LogSequenceNumber applied = Catalog.appliedLsn(c, slotName);
    SlotManager.SlotState slot = SlotManager.state(c, slotName);
    LogSequenceNumber confirmed = SlotManager.confirmedFlushLsn(c, slotName);
    for (MaintainedView v : views) {
      String why;
      try {
        why = stored ? restore(c, v, applied, slot, confirmed, restored) : "it has no checkpoint";
      } catch (StateFormatException e) {
        why = "its checkpoint cannot be read: " + e.getMessage();
        CheckpointStore.deleteView(c, v.record().schema(), v.record().name());
      } catch (OutOfMemoryError e) {
        why = "its checkpoint does not fit in the heap (" + e.getMessage() + ")"; // kept: it is not at fault
      }
      if (why != null) {
        rebuilt.put(v, why);
      }
    }
    return new Plan(restored, rebuilt, applied);
  }

  /** Restores one view into {@code restored}, or returns why not (deleting a checkpoint that is of no use). */
  private static String restore(Connection c, MaintainedView v, LogSequenceNumber applied,
      SlotManager.SlotState slot, LogSequenceNumber confirmed, Map<MaintainedView, Restored> restored)
      throws SQLException {
    String schema = v.record().schema();
    String name = v.record().name();
    long fetchStart = System.nanoTime();
    CheckpointStore.Stored cp = CheckpointStore.newest(c, schema, name);
    long fetchMillis = (System.nanoTime() - fetchStart) / 1_000_000;
    if (cp == null) {
      return "it has no checkpoint";
    }
    String why = null;
    if (v.record().status() != ViewState.READY) {
      why = "it was " + v.record().status().label() + ", not ready, when maintenance stopped";
    } else if (slot == null || slot.lost() || confirmed == null) {
      why = "the replication slot that held the WAL since its checkpoint is " + (slot == null ? "gone" : "lost");
    } else if (cp.lsn().asLong() < confirmed.asLong()) {
      why = "the WAL since its checkpoint at " + cp.lsn() + " is no longer retained (the slot is at " + confirmed + ")";
    } else if (cp.problem() != null) {
      why = "its checkpoint at " + cp.lsn() + " is incomplete: " + cp.problem();
    } else if (cp.formatVersion() != PipelineState.FORMAT_VERSION) {
      why = "its checkpoint has format " + cp.formatVersion() + ", this engine writes " + PipelineState.FORMAT_VERSION;
    }
    ViewPipeline pipeline = null;
    String fingerprint = null;
    if (why == null) {
      pipeline = v.newPipeline();
      fingerprint = CheckpointFingerprint.of(v, pipeline);
      if (!fingerprint.equals(cp.fingerprint())) {
        why = "its checkpoint is incompatible: the view's definition, its tables or the engine changed since";
      }
    }
    if (why != null) {
      CheckpointStore.deleteView(c, schema, name);
      return why;
    }
    // Read as it is fetched, part by part: a checkpoint of state that outgrew the heap (its join state spilled
    // to disk) must not be held whole in it. The checksum is therefore known only at the end; a pipeline read
    // from damaged bytes is then discarded before anything used it.
    long start = System.nanoTime();
    long fetchNanos;
    StateInput in;
    boolean intact;
    try (CheckpointStore.PartReader parts = CheckpointStore.parts(c, schema, name, cp)) {
      in = new StateInput(parts);
      try {
        try {
          PipelineState.read(pipeline, in);
        } catch (StateFormatException e) {
          // Damaged bytes usually stop the reading before the end: the rest decides whether they were.
          in.skipToEnd();
          if (in.checksum() == cp.checksum() && in.size() == cp.stateBytes()) {
            throw e; // intact, yet unreadable: said as it is
          }
        }
        intact = in.checksum() == cp.checksum() && in.size() == cp.stateBytes();
      } catch (CheckpointStore.PartFailed e) {
        pipeline.releaseBudget();
        throw e.sqlException();
      } catch (StateFormatException | OutOfMemoryError e) {
        pipeline.releaseBudget();
        throw e;
      }
      fetchNanos = parts.fetchNanos();
    }
    if (!intact) {
      pipeline.releaseBudget();
      CheckpointStore.deleteView(c, schema, name);
      return "its checkpoint at " + cp.lsn() + " is corrupt (checksum mismatch)";
    }
    long millis = (System.nanoTime() - start - fetchNanos) / 1_000_000;
    restored.put(v, new Restored(pipeline, cp.lsn(), fingerprint, cp.stateBytes(),
        fetchMillis + fetchNanos / 1_000_000, millis, v.sink().countRows(c)));
    return null;
  }
}
