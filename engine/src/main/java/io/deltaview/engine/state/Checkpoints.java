package io.deltaview.engine.state;

import io.deltaview.engine.view.MaintainedView;
import java.util.List;

/**
 * What the apply loop asks of checkpointing: a chance to take checkpoints between source transactions, and how
 * far the replication slot may be confirmed (it must keep the WAL since the oldest checkpoint still needed).
 */
public interface Checkpoints {

  /** No checkpoints: nothing is taken, nothing holds the slot back. */
  Checkpoints NONE = new Checkpoints() {
    @Override
    public boolean atBoundary(List<MaintainedView> views, long position, boolean idle) {
      return false;
    }

    @Override
    public long retainFrom() {
      return Long.MAX_VALUE;
    }
  };

  /**
   * Apply thread only, between source transactions, with every transaction before {@code position} committed
   * to the result tables (the active views' operator state is their state at {@code position}): takes what
   * checkpoints are due. Cheap when nothing is due.
   *
   * @param idle whether nothing was waiting in the stream the last time the loop looked: a checkpoint that is
   *     due is taken at such a quiet moment if one comes soon, so that it does not slow down catching up
   * @return whether the positions that {@link #retainFrom()} depends on may have moved (then the loop confirms
   *     the slot again)
   */
  boolean atBoundary(List<MaintainedView> views, long position, boolean idle);

  /** The lowest stream position some checkpoint resumes from: the slot is not confirmed past it. */
  long retainFrom();

  /**
   * Apply thread only, once, when the engine stops cleanly at {@code position} (as in {@link #atBoundary}):
   * brings every active view's checkpoint to {@code position} and waits, for a bounded time, until they are
   * durable, so that the next start decodes only what was committed after the stop.
   *
   * @return whether they all became durable in time (then the loop confirms the slot again)
   */
  default boolean atStop(List<MaintainedView> views, long position) {
    return false;
  }
}
