package io.deltaview.engine.spill;

/** Operator state on disk could not be read or written: the view whose operator was stepping fails, alone. */
public final class SpillException extends RuntimeException {

  public SpillException(String message, Throwable cause) {
    super(message, cause);
  }
}
