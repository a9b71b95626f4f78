package io.deltaview.driver.metrics;

import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What the driver did with the queries of one database in this JVM: how many it served from a view, how many
 * it passed through and why (by {@link PassThrough cause}, a small fixed set, so a meter per cause stays
 * cheap), and how strong reads waited. Counted on the query path with one {@link LongAdder} increment: no
 * allocation, no lock.
 */
public final class RouteStats {

  /** Why a query ran on the base tables, as a meter tag. */
  public enum PassThrough {
    /** Not a query (DML, DDL, a command PostgreSQL runs). */
    NOT_A_QUERY,
    /** The connection is opt-in and the query was not marked. */
    NOT_MARKED,
    /** The session changed how names resolve or whose privileges apply (SET search_path, SET ROLE, DDL). */
    SESSION_CHANGED,
    /** No ready view can answer it (or none is registered). */
    NO_VIEW_MATCHES,
    /** A view could, but this role may not be served from it (privileges, row-level security). */
    REFUSED,
    /** The query cannot be rewritten safely (volatile functions, locking clauses, unsure types or labels). */
    NOT_REWRITABLE,
    /** The open transaction wrote a table the query reads. */
    TRANSACTION_WROTE,
    /** The rewrite also reads base tables directly: served only with strong consistency. */
    NEEDS_STRONG,
    /** A strong read inside a REPEATABLE READ or SERIALIZABLE transaction. */
    SNAPSHOT_ISOLATION,
    /** A strong read whose wait for the view to be current timed out. */
    STRONG_TIMEOUT,
    /** A {@code bounded(<ms>)} read while the views lagged by more than its bound. */
    TOO_STALE,
    /**
     * A {@code bounded(<ms>)} read where this process cannot tell how stale the views are (another process
     * maintains them, heartbeats are off, or none was applied yet).
     */
    STALENESS_UNKNOWN,
    /**
     * A read-your-writes read on a connection whose last committed write the engine had not applied within
     * {@code deltaview.strongTimeoutMs}, or where this process cannot tell (another process maintains).
     */
    WRITE_NOT_APPLIED,
    /**
     * A read that must be fresh (strong, bounded, read-your-writes) of a view another engine maintains ({@code
     * WITH (engine = 'flink')}): nothing proves such a view current, so it answers eventual reads only.
     */
    NOT_PROVEN_FRESH,
    /** The view matched but is not ready now (loading, failed, or not maintained by anyone). */
    VIEW_NOT_READY,
    /**
     * The query converts a timestamptz, and the session's {@code TimeZone} is not the one the view was created
     * (and is evaluated) in.
     */
    TIME_ZONE_DIFFERS,
    /**
     * The rewrite reads several views that may not reflect one state of the source now: one was just loaded
     * from a snapshot ahead of the stream, which has not passed that point yet.
     */
    VIEWS_NOT_ALIGNED;

    /** The tag value: the name in lower case. */
    public String tag() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  private static final Map<String, RouteStats> BY_DATABASE = new ConcurrentHashMap<>();
  private static final PassThrough[] CAUSES = PassThrough.values();

  private final String database;
  private final LongAdder served = new LongAdder();
  private final LongAdder[] passedThrough = new LongAdder[CAUSES.length];
  private final LongAdder strongWaits = new LongAdder();
  private final LongAdder strongWaitNanos = new LongAdder();

  private RouteStats(String database) {
    this.database = database;
    for (int i = 0; i < passedThrough.length; i++) {
      passedThrough[i] = new LongAdder();
    }
  }

  /**
   * The statistics of a database, shared by every connection of this JVM to it.
   *
   * @param key {@code host:port/database}, unique per database
   * @param database the database's name, for the meters' tag
   */
  public static RouteStats of(String key, String database) {
    return BY_DATABASE.computeIfAbsent(key, k -> new RouteStats(database));
  }

  /** Every database's statistics in this JVM. */
  public static Map<String, RouteStats> all() {
    return Map.copyOf(BY_DATABASE);
  }

  public String database() {
    return database;
  }

  public void served() {
    served.increment();
  }

  public void passedThrough(PassThrough cause) {
    passedThrough[cause.ordinal()].increment();
  }

  /** A strong read waited {@code nanos} for the views to be current (timed out or not). */
  public void strongWait(long nanos) {
    strongWaits.increment();
    strongWaitNanos.add(nanos);
  }

  public long servedCount() {
    return served.sum();
  }

  public long passedThroughCount(PassThrough cause) {
    return passedThrough[cause.ordinal()].sum();
  }

  public long strongWaitCount() {
    return strongWaits.sum();
  }

  public long strongWaitNanos() {
    return strongWaitNanos.sum();
  }
}
