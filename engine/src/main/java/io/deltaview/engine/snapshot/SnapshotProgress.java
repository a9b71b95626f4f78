package io.deltaview.engine.snapshot;

import java.util.Locale;
import java.util.Set;

/**
 * How far one snapshot load has read its base tables: rows read so far against PostgreSQL's estimate of their
 * rows ({@code pg_class.reltuples}), with the rate so far giving the time left. Written by the loading thread
 * only, read by any ({@code SHOW INCREMENTAL VIEWS}, metrics, the log).
 *
 * <p>The estimate is the planner's, refreshed by VACUUM and ANALYZE: it can be off, so the percentage never
 * claims 100 before the load ends, and a table PostgreSQL has never analyzed gives no estimate at all (then
 * only the rows read are told).
 */
public final class SnapshotProgress {

  /** How many rows the reader counts before it publishes the count to other threads. */
  private static final int PUBLISH_EVERY = 4096;

  private final Set<String> views;
  private final long startNanos = System.nanoTime();
  /** PostgreSQL's estimate of the rows to read; -1 while unknown. */
  private volatile long estimatedRows = -1;
  /** Rows read, as last published; the reader's own count is {@link #counted}. */
  private volatile long rowsRead;
  private long counted;

  /** @param views the qualified names of the views this load is for */
  public SnapshotProgress(Set<String> views) {
    this.views = Set.copyOf(views);
  }

  /** Whether this load is for view {@code qualifiedName}. */
  public boolean loads(String qualifiedName) {
    return views.contains(qualifiedName);
  }

  /** The estimate for the tables about to be read, or -1 if PostgreSQL has none for one of them. */
  void estimate(long rows) {
    estimatedRows = rows;
  }

  /** The load starts over (without the views that failed): nothing read yet. */
  void restart() {
    counted = 0;
    rowsRead = 0;
  }

  /** One row read (the loading thread only). */
  void rowRead() {
    if (++counted % PUBLISH_EVERY == 0) {
      rowsRead = counted;
    }
  }

  /** Publishes the exact count at the end of a table. */
  void tableDone() {
    rowsRead = counted;
  }

  public long rowsRead() {
    return rowsRead;
  }

  /** PostgreSQL's estimate of the rows to read; -1 if unknown. */
  public long estimatedRows() {
    return estimatedRows;
  }

  /** Percent done by the estimate, at most 99 while loading; -1 without an estimate. */
  public int percent() {
    long total = estimatedRows;
    if (total <= 0) {
      return -1;
    }
    return (int) Math.min(99, rowsRead * 100 / total);
  }

  /** Seconds left at the rate so far; -1 when unknown (no estimate, nothing read yet, or past the estimate). */
  public long secondsLeft() {
    long total = estimatedRows;
    long read = rowsRead;
    long elapsed = System.nanoTime() - startNanos;
    if (total <= 0 || read == 0 || read >= total) {
      return -1;
    }
    return (long) Math.ceil((total - read) * (elapsed / 1e9) / read);
  }

  /** For {@code SHOW} and the log: {@code 42% (420000 of about 1000000 rows), about 12 s left}. */
  public String describe() {
    long read = rowsRead;
    long total = estimatedRows;
    if (total <= 0) {
      return read + " rows read (no estimate of the total: the tables were never analyzed)";
    }
    long left = secondsLeft();
    return String.format(Locale.ROOT, "%d%% (%d of about %d rows)%s", percent(), read, total,
        left < 0 ? (read >= total ? ", more rows than estimated" : "") : ", about " + left + " s left");
  }
}
