package io.deltaview.driver.route;

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
 */
public final class SessionState {

  private boolean autoCommit = true;
  private boolean explicitBlock;
  private boolean wroteUnknown;
  private boolean nameResolutionChanged;
  private boolean snapshotIsolation;
  private final Set<String> writtenTables = new HashSet<>();

  public boolean autoCommit() {
    return autoCommit;
  }

  /** Switching autocommit on commits the open transaction, as JDBC specifies. */
  public void setAutoCommit(boolean on) {
    if (on && !autoCommit) {
      endTransaction();
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

  /** Commit or rollback: the transaction's writes are now visible (or gone). */
  public void endTransaction() {
    explicitBlock = false;
    wroteUnknown = false;
    writtenTables.clear();
  }

  /** Records a write to {@code table} by the open transaction; a no-op outside a transaction. */
  public void recordWrite(String table) {
    if (inTransaction()) {
      writtenTables.add(table.toLowerCase(Locale.ROOT));
    }
  }

  /** Records a write whose targets are unknown; a no-op outside a transaction. */
  public void recordUnknownWrite() {
    if (inTransaction()) {
      wroteUnknown = true;
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
