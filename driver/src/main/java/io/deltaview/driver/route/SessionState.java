package io.deltaview.driver.route;

import java.sql.SQLException;
import java.util.Collections;
import java.util.HashSet;
import java.util.Locale;
import java.util.Set;

/**
 * Per-connection transaction state the router needs: which tables the open transaction has written, so
 * that queries over those tables pass through (a result table cannot see uncommitted writes).
 *
 * <p>Table names are lower-case, unqualified or {@code schema.table} as written. A write whose
 * target cannot be named (DDL, a function call, {@code COPY}, ...) marks the transaction as having
 * written to every table. Not thread-safe: a JDBC connection is used by one thread at a time.
 *
 * <p>A transaction is open when autocommit is off, or when the application ran {@code BEGIN} itself under
 * autocommit (PostgreSQL then holds a transaction block that JDBC does not know about). Writes are only
 * recorded while a transaction is open; outside one, each statement commits on its own.
 *
 * <p>For read-your-writes ({@link #trackCommittedWrites}) it also remembers that a write may have committed
 * (a write outside a transaction, or a commit of a transaction that wrote; a rollback forgets them), and then,
 * read once when a query needs it, the WAL position past that commit, until the views are known to reflect it.
 * A session that does not track pays nothing for it.
 */
public final class SessionState {

  /** Reads the connection's current WAL position (past every commit it made), as a {@code pg_lsn} number. */
  @FunctionalInterface
  public interface WalPosition {
    long read() throws SQLException;
  }

  /** The session's {@code TimeZone} setting as the server last reported it; null when not known. */
  private java.util.function.Supplier<String> timeZone = () -> null;
  private boolean autoCommit = true;
  private boolean explicitBlock;
  private boolean wroteUnknown;
  private boolean nameResolutionChanged;
  private boolean snapshotIsolation;
  private final Set<String> writtenTables = new HashSet<>();
  /** Non-null when read-your-writes is tracked. */
  private WalPosition walPosition;
  /** A write may have committed since {@link #walPosition} was last read. */
  private boolean commitUnread;
  /** The views must reflect the WAL up to here before they serve this session; 0 when nothing is owed. */
  private long writtenUpTo;

  public boolean autoCommit() {
    return autoCommit;
  }

  /** Switching autocommit on commits the open transaction, as JDBC specifies. */
  public void setAutoCommit(boolean on) {
    if (on && !autoCommit) {
      commitTransaction();
    }
    autoCommit = on;
  }

  /** Whether a transaction is open: autocommit is off, or an explicit {@code BEGIN} ran. */
  public boolean inTransaction() {
    return !autoCommit || explicitBlock;
  }

  /** The application ran {@code BEGIN} / {@code START TRANSACTION}: writes are recorded until it ends. */
  public void beginTransactionBlock() {
    if (autoCommit) {
      explicitBlock = true;
    }
  }

  /**
   * Commit (or the end of a transaction the caller cannot tell committed): its writes are now visible, and for
   * read-your-writes they are owed to this session's later reads.
   */
  public void commitTransaction() {
    if (walPosition != null && hasWrites()) {
      commitUnread = true;
    }
    endTransaction();
  }

  /** Rollback: the transaction's writes are gone. */
  public void endTransaction() {
    explicitBlock = false;
    wroteUnknown = false;
    writtenTables.clear();
  }

  /**
   * Records a write to {@code table} by the open transaction; outside a transaction the statement commits on its
   * own, which only read-your-writes remembers.
   */
  public void recordWrite(String table) {
    if (inTransaction()) {
      writtenTables.add(table.toLowerCase(Locale.ROOT));
    } else if (walPosition != null) {
      commitUnread = true;
    }
  }

  /** Records a write whose targets are unknown; outside a transaction as {@link #recordWrite}. */
  public void recordUnknownWrite() {
    if (inTransaction()) {
      wroteUnknown = true;
    } else if (walPosition != null) {
      commitUnread = true;
    }
  }

  /**
   * Where the session's current {@code TimeZone} is read: pgjdbc keeps the value the server reports after every
   * change ({@code SET TimeZone}), so reading it asks the server nothing.
   */
  public void readTimeZoneFrom(java.util.function.Supplier<String> reported) {
    this.timeZone = reported;
  }

  /** The session's {@code TimeZone} setting now, or null when not known. */
  public String timeZone() {
    return timeZone.get();
  }

  /** Read-your-writes: from now on, committed writes are remembered and {@code position} tells where they end. */
  public void trackCommittedWrites(WalPosition position) {
    this.walPosition = position;
  }

  /** Whether this session remembers its committed writes (read-your-writes). */
  public boolean tracksCommittedWrites() {
    return walPosition != null;
  }

  /**
   * The WAL position the views must have applied before they may serve this session its own committed writes;
   * 0 when nothing is owed. After a commit, the first call reads the position on the connection (a position read
   * after the commit returned is past it); a failed read is tried again by the next call.
   */
  public long writtenUpTo() throws SQLException {
    if (commitUnread) {
      long read = walPosition.read();
      commitUnread = false;
      writtenUpTo = Math.max(writtenUpTo, read);
    }
    return writtenUpTo;
  }

  /** The views have applied the WAL up to {@code position}: what {@link #writtenUpTo} owed up to it is paid. */
  public void writesApplied(long position) {
    if (writtenUpTo <= position) {
      writtenUpTo = 0;
    }
  }

  /**
   * Whether the open transaction may have written {@code schema.table}. Names compare case-insensitively
   * (recorded names are lower-cased), which can only over-report: a quoted {@code "T"} and {@code t}
   * collide, and an unqualified recorded name matches it in every schema.
   */
  public boolean mayHaveWritten(String schema, String table) {
    if (wroteUnknown) {
      return true;
    }
    if (writtenTables.isEmpty()) {
      return false;
    }
    String t = table.toLowerCase(Locale.ROOT);
    return writtenTables.contains(t)
        || (schema != null && writtenTables.contains(schema.toLowerCase(Locale.ROOT) + "." + t));
  }

  /**
   * The session may now resolve table names differently than when it connected ({@code SET search_path},
   * {@code SET ROLE}, {@link java.sql.Connection#setSchema}): from now on nothing on this connection is
   * rewritten. Not reset at transaction end (a conservative answer for {@code SET LOCAL} too).
   */
  public void nameResolutionChanged() {
    nameResolutionChanged = true;
  }

  public boolean hasNameResolutionChanged() {
    return nameResolutionChanged;
  }

  /**
   * The session may run transactions at REPEATABLE READ or SERIALIZABLE: such a transaction reads the base
   * tables as of its snapshot, which a result table cannot match exactly, so strong consistency passes
   * through inside transactions. Sticky for the session (conservative for {@code SET TRANSACTION}).
   */
  public void snapshotIsolationUsed() {
    snapshotIsolation = true;
  }

  public boolean usesSnapshotIsolation() {
    return snapshotIsolation;
  }

  public boolean hasWrites() {
    return wroteUnknown || !writtenTables.isEmpty();
  }

  public Set<String> writtenTables() {
    return Collections.unmodifiableSet(writtenTables);
  }
}
