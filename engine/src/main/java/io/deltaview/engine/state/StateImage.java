package io.deltaview.engine.state;

import java.util.List;

/**
 * A pipeline's state as of one step boundary, ready to be written: the parts serialized on the apply thread and,
 * between them, the state {@linkplain StateOutput#defer deferred} (spilled arrangements, as of a snapshot of
 * their store). {@link #writeTo} streams it once, on any thread, into a streaming {@link StateOutput}; the
 * deferred state is then read from its snapshot, so the apply thread never waits for it and the heap never
 * holds it whole.
 */
public final class StateImage {

  private final List<Object> segments;
  private boolean used;

  StateImage(List<Object> segments) {
    this.segments = segments;
  }

  /**
   * Writes everything, in order, into {@code out} (a streaming output, which the caller then closes), and
   * releases the deferred state. Once only.
   */
  public void writeTo(StateOutput out) {
    synchronized (this) {
      if (used) {
        throw new IllegalStateException("a state image is written once");
      }
      used = true;
    }
    try {
      for (Object segment : segments) {
        if (segment instanceof byte[] part) {
          out.writePart(part);
        } else {
          ((StateOutput.Deferred) segment).writeTo(out);
        }
      }
    } finally {
      releaseDeferred();
    }
  }

  /** Frees the deferred state without writing it (a newer image replaced this one, or the engine stopped). */
  public void release() {
    synchronized (this) {
      if (used) {
        return;
      }
      used = true;
    }
    releaseDeferred();
  }

  private void releaseDeferred() {
    for (Object segment : segments) {
      if (segment instanceof StateOutput.Deferred d) {
        d.release();
      }
    }
  }
}
