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
 */
public final class SessionState {

  private boolean autoCommit = true;
  private boolean wroteUnknown;
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

  /** Commit or rollback: the transaction's writes are now visible (or gone). */
  public void endTransaction() {
    wroteUnknown = false;
    writtenTables.clear();
  }

  /** Records a write to {@code table} by the open transaction; a no-op under autocommit. */
  public void recordWrite(String table) {
    if (!autoCommit) {
      writtenTables.add(table.toLowerCase(Locale.ROOT));
    }
  }

  /** Records a write whose targets are unknown; a no-op under autocommit. */
  public void recordUnknownWrite() {
    if (!autoCommit) {
      wroteUnknown = true;
    }
  }

  /** Whether the open transaction may have written {@code table} (lower-case, qualified or not). */
  public boolean mayHaveWritten(String schema, String table) {
    if (wroteUnknown) {
      return true;
    }
    if (writtenTables.isEmpty()) {
      return false;
    }
    return writtenTables.contains(table) || writtenTables.contains(schema + "." + table);
  }

  public boolean hasWrites() {
    return wroteUnknown || !writtenTables.isEmpty();
  }

  public Set<String> writtenTables() {
    return Collections.unmodifiableSet(writtenTables);
  }
}
