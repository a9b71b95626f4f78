package io.deltaview;

/**
 * The consistency a marked query asks for. {@link #DEFAULT} keeps the connection's own
 * {@code deltaview.consistency}; the others override it for the marked queries only.
 */
public enum Consistency {
  /** Whatever the connection's {@code deltaview.consistency} option says. */
  DEFAULT,
  /** Serve whatever the view's result table holds now. */
  EVENTUAL,
  /** Reflect every transaction committed before the query was issued, or pass through to the base tables. */
  STRONG
}
