package io.deltaview.engine.state;

/**
 * A state cannot be written (it holds a value of a kind the codec does not know) or read back (the bytes are
 * damaged, or were written by an operator of another configuration). Either way the view falls back to a
 * rebuild from a snapshot; nothing else is affected.
 */
public final class StateFormatException extends RuntimeException {

  public StateFormatException(String message) {
    super(message);
  }

  public StateFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
