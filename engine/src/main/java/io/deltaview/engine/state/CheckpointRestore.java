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
 *
 * <p>Two steps, because they cost differently: {@link #plan} looks at each checkpoint's description only (its
 * rows' header columns) and compiles the pipeline it would be read into, in about the same time whatever the
 * state's size; {@link #read} then reads the state, in time proportional to its size. Between the two the
 * engine already serves the planned views from their result tables (see {@code ViewLoading}).
 */
public final class CheckpointRestore {

  private static final System.Logger LOG = System.getLogger(CheckpointRestore.class.getName());

  /**
   * A view's state read from its checkpoint at {@code lsn}: {@code fetchMillis} spent waiting for its parts from
   * the database (the next part is fetched while one is read), {@code readMillis} reading them into the
   * pipeline's operators; {@code resultRows}, the rows its result table holds now.
   */
  public record Restored(ViewPipeline pipeline, LogSequenceNumber lsn, String fingerprint, long bytes,
      long fetchMillis, long readMillis, long resultRows) {
  }

  /**
   * A view whose checkpoint looks usable by its description: {@code stored}, to be read into {@code pipeline}
   * (compiled afresh, with {@code fingerprint}); {@code fetchMillis} to fetch the description.
   */
  public record Usable(CheckpointStore.Stored stored, ViewPipeline pipeline, String fingerprint, long fetchMillis) {
  }

  /**
   * What to do with each view.
   *
   * @param usable the views whose checkpoint is to be read ({@link #read})
   * @param rebuilt the others, with why they are rebuilt from a snapshot
   * @param tablesAt the position the result tables hold (deltaview.progress), null if none is recorded (no
   *     transaction wrote a result table since the views were loaded: each table is then at least as current as
   *     its view's checkpoint)
   */
  public record Plan(Map<MaintainedView, Usable> usable, Map<MaintainedView, String> rebuilt,
      LogSequenceNumber tablesAt) {
  }

  private CheckpointRestore() {
  }

  public static Plan plan(Connection c, List<MaintainedView> views, String slotName) throws SQLException {
    Map<MaintainedView, Usable> usable = new LinkedHashMap<>();
    Map<MaintainedView, String> rebuilt = new LinkedHashMap<>();
    boolean stored = CheckpointStore.exists(c);
    LogSequenceNumber applied = Catalog.appliedLsn(c, slotName);
    SlotManager.SlotState slot = SlotManager.state(c, slotName);
    LogSequenceNumber confirmed = SlotManager.confirmedFlushLsn(c, slotName);
    for (MaintainedView v : views) {
      String why;
      try {
        why = stored ? check(c, v, slot, confirmed, usable) : "it has no checkpoint";
      } catch (StateFormatException e) {
        why = "its checkpoint cannot be read: " + e.getMessage();
        CheckpointStore.deleteView(c, v.record().schema(), v.record().name());
      }
      if (why != null) {
        rebuilt.put(v, why);
      }
    }
    return new Plan(usable, rebuilt, applied);
  }

  /**
   * Puts {@code v} into {@code usable} if its newest checkpoint's description allows resuming from it, or returns
   * why not (deleting a checkpoint that is of no use).
   */
  private static String check(Connection c, MaintainedView v, SlotManager.SlotState slot,
      LogSequenceNumber confirmed, Map<MaintainedView, Usable> usable) throws SQLException {
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
    usable.put(v, new Usable(cp, pipeline, fingerprint, fetchMillis));
    return null;
  }

  /**
   * Reads {@code v}'s checkpoint ({@code u}, from {@link #plan}) into its pipeline: the view's state as of the
   * checkpoint, or why it cannot resume from it (a checkpoint found corrupt is deleted; one whose state does not
   * fit in the heap is kept, it is not at fault).
   *
   * @param restored receives the restored state when there is one
   */
  public static String read(Connection c, MaintainedView v, Usable u, Map<MaintainedView, Restored> restored)
      throws SQLException {
    try {
      return readState(c, v, u, restored);
    } catch (StateFormatException e) {
      CheckpointStore.deleteView(c, v.record().schema(), v.record().name());
      return "its checkpoint cannot be read: " + e.getMessage();
    } catch (OutOfMemoryError e) {
      return "its checkpoint does not fit in the heap (" + e.getMessage() + ")";
    }
  }

  private static String readState(Connection c, MaintainedView v, Usable u, Map<MaintainedView, Restored> restored)
      throws SQLException {
    String schema = v.record().schema();
    String name = v.record().name();
    CheckpointStore.Stored cp = u.stored();
    ViewPipeline pipeline = u.pipeline();
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
    restored.put(v, new Restored(pipeline, cp.lsn(), u.fingerprint(), cp.stateBytes(),
        u.fetchMillis() + fetchNanos / 1_000_000, millis, v.sink().countRows(c)));
    return null;
  }
}
