package io.deltaview.engine.view;

/**
 * What the apply loop did for one view, for {@code SHOW INCREMENTAL VIEWS} and meters, kept in memory so that
 * asking costs no query: how many rows its result table holds and how many row changes were written to it.
 * Counts move only once the target transaction that wrote them committed. Written by one thread at a time
 * (the loader when a snapshot replaced the table, then the apply loop); read by any.
 */
public final class ViewActivity {

  private volatile long rows = -1;
  private volatile long changesApplied;
  private volatile long stateBytes = -1;

  /** Rows of the result table; -1 while unknown (before the view's first load or restore in this process). */
  public long rows() {
    return rows;
  }

  /** Row changes (inserted plus deleted rows) written to the result table since this process maintains the view. */
  public long changesApplied() {
    return changesApplied;
  }

  /**
   * The size of the view's operator state as its last checkpoint serialized it (restored or written), in bytes;
   * -1 before the first. A measure of the state that is comparable across operator kinds, unlike heap estimates.
   */
  public long stateBytes() {
    return stateBytes;
  }

  public void stateBytes(long bytes) {
    stateBytes = bytes;
  }

  /** The result table was counted, or replaced with {@code n} rows. */
  public void rowsAre(long n) {
    rows = n;
  }

  /**
   * A target transaction that inserted {@code inserted} and deleted {@code deleted} rows of the result table
   * committed.
   */
  public void committed(long inserted, long deleted) {
    long known = rows;
    if (known >= 0) {
      rows = known + inserted - deleted;
    }
    changesApplied += inserted + deleted;
  }
}
