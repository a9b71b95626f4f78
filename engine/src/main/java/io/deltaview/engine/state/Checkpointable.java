package io.deltaview.engine.state;

/**
 * An operator whose state can be written to a checkpoint and read back into a fresh operator of the same
 * plan. An operator that holds state and does not implement this makes its view fall back to a rebuild from a
 * snapshot after a restart: its view simply gets no checkpoint.
 *
 * <p>{@link #writeState} is called on the apply thread between source transactions; {@link #readState} on a
 * freshly compiled operator that has not been stepped yet. Each operator writes its own configuration first
 * (keys, aggregate functions) and checks it when reading, so that a state can never be read into an operator
 * planned differently.
 */
public interface Checkpointable {

  /** Writes everything this operator needs to continue exactly where it is. */
  void writeState(StateOutput out);

  /**
   * Replaces this (fresh) operator's state by what {@link #writeState} wrote.
   *
   * @throws StateFormatException if the bytes were not written by an operator of this configuration
   */
  void readState(StateInput in);
}
