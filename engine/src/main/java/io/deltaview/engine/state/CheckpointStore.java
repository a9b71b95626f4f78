package io.deltaview.engine.state;

import io.deltaview.sql.SqlStates;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Checkpoints in table {@code deltaview.checkpoints}: per view, the state of its operators as of a stream
 * position, in parts of at most {@link StateOutput#PART_SIZE} bytes (one row each), with the format version,
 * the fingerprint of what the state belongs to and a CRC-32C of all parts. Every engine process of the
 * database can read them, so a process taking over maintenance resumes from them too. Only the engine role
 * (the owner) may read or write the table: the state holds base-table rows.
 *
 * <p>Every method works inside the caller's transaction.
 */
public final class CheckpointStore {

  public static final String TABLE = "deltaview.checkpoints";
  /** {@code deltaview.checkpoint_lsn(schema, view)}: the view's newest checkpoint position, NULL on a standby. */
  public static final String NEWEST_LSN = "deltaview.checkpoint_lsn";

  /** One stored checkpoint of a view, as its rows describe it; its parts are read with {@link #parts}. */
  public record Stored(LogSequenceNumber lsn, int formatVersion, String fingerprint, long checksum, long stateBytes,
      int parts, String problem) {
  }

  /** What writing a checkpoint wrote ({@link #NONE} for what writes no state: a move or a delete). */
  public record Written(long bytes, long checksum, int parts) {
    public static final Written NONE = new Written(0, 0, 0);
  }

  /**
   * A statement that failed while a part was written or read from inside a state's serialization or reading: a
   * database failure, not a damaged checkpoint (which must not be deleted for it).
   */
  static final class PartFailed extends RuntimeException {
    PartFailed(SQLException cause) {
      super(cause);
    }

    SQLException sqlException() {
      return (SQLException) getCause();
    }
  }

  private CheckpointStore() {
  }

  /**
   * Creates the table (with the rest of the catalog, in the caller's transaction); readable by its owner only.
   *
   * <p>The table is {@code UNLOGGED}: a checkpoint written to the WAL would be read back by the very slot it
   * lets the engine resume, as a transaction of the state's size that logical decoding must sort through
   * before it reaches the changes behind it (at ten times the demo data, a 220 MB checkpoint made a restart
   * current only after 171 s, against 74 s for a rebuild). Unlogged, a checkpoint costs no WAL; what is lost is
   * what a crash of PostgreSQL itself (not of the engine) truncates, and what a physical standby never gets:
   * after either, the views are rebuilt from a snapshot, as they would be without checkpoints — and after a
   * failover to a standby, the replication slot those checkpoints resume from is gone too.
   */
  public static void ensureExists(Statement s) throws SQLException {
    s.execute("CREATE UNLOGGED TABLE IF NOT EXISTS " + TABLE + " ("
        + " schema_name text NOT NULL,"
        + " view_name text NOT NULL,"
        + " checkpoint_lsn pg_lsn NOT NULL,"
        + " part integer NOT NULL,"
        + " parts integer NOT NULL,"
        + " format_version integer NOT NULL,"
        + " fingerprint text NOT NULL,"
        + " checksum bigint NOT NULL,"
        + " state_bytes bigint NOT NULL,"
        + " state bytea NOT NULL,"
        + " created_at timestamptz NOT NULL DEFAULT now(),"
        + " PRIMARY KEY (schema_name, view_name, checkpoint_lsn, part))");
    // The codec is compact already: storing the parts uncompressed spares the server pglz's CPU time.
    s.execute("ALTER TABLE " + TABLE + " ALTER COLUMN state SET STORAGE EXTERNAL");
    // Catalogs before version 3 kept checkpoints in a logged table.
    s.execute("DO $$ BEGIN IF (SELECT relpersistence FROM pg_class WHERE oid = '" + TABLE + "'::regclass) = 'p'"
        + " THEN ALTER TABLE " + TABLE + " SET UNLOGGED; END IF; END $$");
    // Its newest position per view, for deltaview.views: a standby cannot open an unlogged table at all (not even
    // to plan a query), so the view asks a function that looks only on a primary.
    s.execute("CREATE OR REPLACE FUNCTION " + NEWEST_LSN + "(schema_name text, view_name text) RETURNS pg_lsn"
        + " LANGUAGE plpgsql STABLE SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $$"
        + " BEGIN"
        + "  IF pg_is_in_recovery() THEN RETURN NULL; END IF;"
        + "  RETURN (SELECT max(k.checkpoint_lsn) FROM " + TABLE + " k"
        + "   WHERE k.schema_name = $1 AND k.view_name = $2);"
        + " END $$");
    s.execute("REVOKE ALL ON FUNCTION " + NEWEST_LSN + "(text, text) FROM PUBLIC");
    // A view's checkpoint position tells nothing of its rows; the catalog that names the views is public too.
    s.execute("GRANT EXECUTE ON FUNCTION " + NEWEST_LSN + "(text, text) TO PUBLIC");
    // Default privileges (ALTER DEFAULT PRIVILEGES … GRANT SELECT ON TABLES TO app, as the result tables are
    // often set up) must not hand the base-table rows in the state to anyone: every grant is taken back.
    io.deltaview.engine.catalog.Catalog.revokeEveryGrant(s, TABLE);
  }

  /** Whether the table exists. */
  public static boolean exists(Connection c) throws SQLException {
    try (Statement s = c.createStatement();
         ResultSet rs = s.executeQuery("SELECT to_regclass('" + TABLE + "') IS NOT NULL")) {
      rs.next();
      return rs.getBoolean(1);
    }
  }

  /**
   * Locks the view's catalog row against status changes until the transaction ends, and tells whether it is
   * {@code ready}: a checkpoint is written only for a view whose result table the apply loop keeps current. A
   * status change that fails or reloads the view (and deletes its checkpoints) waits for this transaction, or
   * this one sees it.
   */
  public static boolean lockReadyView(Connection c, String schema, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT status FROM " + io.deltaview.engine.catalog.Catalog.VIEW_TABLE
        + " WHERE schema_name = ? AND view_name = ? FOR SHARE")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() && "ready".equals(rs.getString(1));
      }
    }
  }

  /**
   * Inserts a checkpoint, streaming {@code image} into it part by part as bound bytea values: never more than
   * one part's bytes in the heap beyond what the image holds already. Each row's count of parts, checksum and
   * size are known only at the end, and set then, in the same transaction.
   */
  public static Written insert(Connection c, String schema, String name, LogSequenceNumber lsn, String fingerprint,
      StateImage image) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + TABLE + " (schema_name, view_name,"
        + " checkpoint_lsn, part, parts, format_version, fingerprint, checksum, state_bytes, state)"
        + " VALUES (?, ?, ?::pg_lsn, ?, 0, ?, ?, 0, 0, ?)")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      ps.setString(3, lsn.asString());
      ps.setInt(5, PipelineState.FORMAT_VERSION);
      ps.setString(6, fingerprint);
      int[] part = {0};
      StateOutput out = new StateOutput(bytes -> {
        try {
          ps.setInt(4, part[0]++);
          ps.setBytes(7, bytes);
          ps.executeUpdate();
        } catch (SQLException e) {
          throw new PartFailed(e);
        }
      });
      try {
        image.writeTo(out);
        out.close();
      } catch (PartFailed e) {
        throw e.sqlException();
      }
      Written written = new Written(out.size(), out.checksum(), out.parts());
      try (PreparedStatement done = c.prepareStatement("UPDATE " + TABLE + " SET parts = ?, checksum = ?,"
          + " state_bytes = ? WHERE schema_name = ? AND view_name = ? AND checkpoint_lsn = ?::pg_lsn")) {
        done.setInt(1, written.parts());
        done.setLong(2, written.checksum());
        done.setLong(3, written.bytes());
        done.setString(4, schema);
        done.setString(5, name);
        done.setString(6, lsn.asString());
        done.executeUpdate();
      }
      return written;
    }
  }

  /** Deletes the view's checkpoints older than {@code lsn} (after a newer one was written). */
  public static void deleteOlder(Connection c, String schema, String name, LogSequenceNumber lsn) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE
        + " WHERE schema_name = ? AND view_name = ? AND checkpoint_lsn < ?::pg_lsn")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      ps.setString(3, lsn.asString());
      ps.executeUpdate();
    }
  }

  /**
   * Moves the view's checkpoint at {@code from} to {@code to}: its state is also the state at {@code to} when no
   * change the view reads committed in between. Returns the parts moved (0: the checkpoint is gone).
   */
  public static int relabel(Connection c, String schema, String name, LogSequenceNumber from, LogSequenceNumber to)
      throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("UPDATE " + TABLE + " SET checkpoint_lsn = ?::pg_lsn"
        + " WHERE schema_name = ? AND view_name = ? AND checkpoint_lsn = ?::pg_lsn")) {
      ps.setString(1, to.asString());
      ps.setString(2, schema);
      ps.setString(3, name);
      ps.setString(4, from.asString());
      return ps.executeUpdate();
    }
  }

  /** Deletes every checkpoint of a view (it failed, is reloaded from a snapshot, or was dropped). */
  public static void deleteView(Connection c, String schema, String name) throws SQLException {
    if (!exists(c)) {
      return;
    }
    try (PreparedStatement ps = c.prepareStatement("DELETE FROM " + TABLE
        + " WHERE schema_name = ? AND view_name = ?")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      ps.executeUpdate();
    }
  }

  /** Deletes every checkpoint: the slot they resume was lost, replaced or dropped. */
  public static void deleteAll(Connection c) throws SQLException {
    if (!exists(c)) {
      return;
    }
    try (Statement s = c.createStatement()) {
      s.executeUpdate("DELETE FROM " + TABLE);
    }
  }

  /**
   * The newest checkpoint of a view, or null if it has none; {@code problem} says what is wrong with its rows
   * (parts missing or not agreeing, or not adding up to its size), null if nothing. Reads no state.
   */
  public static Stored newest(Connection c, String schema, String name) throws SQLException {
    try (PreparedStatement ps = c.prepareStatement("SELECT checkpoint_lsn::text, part, parts, format_version,"
        + " fingerprint, checksum, state_bytes, octet_length(state) FROM " + TABLE
        + " WHERE schema_name = ? AND view_name = ? AND checkpoint_lsn = (SELECT max(checkpoint_lsn) FROM " + TABLE
        + " WHERE schema_name = ? AND view_name = ?) ORDER BY part")) {
      ps.setString(1, schema);
      ps.setString(2, name);
      ps.setString(3, schema);
      ps.setString(4, name);
      try (ResultSet rs = ps.executeQuery()) {
        LogSequenceNumber lsn = null;
        int expectedParts = -1;
        int format = 0;
        String fingerprint = null;
        long checksum = 0;
        long bytes = 0;
        String problem = null;
        int parts = 0;
        long sum = 0;
        while (rs.next()) {
          if (lsn == null) {
            lsn = LogSequenceNumber.valueOf(rs.getString(1));
            expectedParts = rs.getInt(3);
            format = rs.getInt(4);
            fingerprint = rs.getString(5);
            checksum = rs.getLong(6);
            bytes = rs.getLong(7);
          } else if (rs.getInt(3) != expectedParts || rs.getInt(4) != format || !rs.getString(5).equals(fingerprint)
              || rs.getLong(6) != checksum || rs.getLong(7) != bytes) {
            problem = "its parts do not agree";
          }
          if (rs.getInt(2) != parts && problem == null) {
            problem = "part " + parts + " is missing";
          }
          parts++;
          sum += rs.getLong(8);
        }
        if (lsn == null) {
          return null;
        }
        if (problem == null && parts != expectedParts) {
          problem = parts + " of its " + expectedParts + " parts are there";
        } else if (problem == null && sum != bytes) {
          problem = "its parts hold " + sum + " bytes, not " + bytes;
        }
        return new Stored(lsn, format, fingerprint, checksum, bytes, parts, problem);
      }
    }
  }

  /**
   * The parts of {@code cp}, fetched one at a time as they are read (so that the heap holds a part or two, not
   * the checkpoint), the next one while the last is being read. A part that is gone is a
   * {@link StateFormatException}; a failing fetch a {@link PartFailed}.
   */
  static PartReader parts(Connection c, String schema, String name, Stored cp) throws SQLException {
    return new PartReader(c, schema, name, cp);
  }

  /**
   * Reads a checkpoint's parts in order, one statement execution per part, on a thread of its own that fetches
   * part n+1 while the caller reads part n (fetching is a fifth to a third of a restart's reading time, and
   * overlaps it so); the connection is used by that thread alone until {@link #close}. Close it when done.
   */
  static final class PartReader implements StateInput.PartSource, AutoCloseable {
    private final PreparedStatement ps;
    private final int parts;
    private final ExecutorService fetcher;
    /** The fetch of part {@link #next} under way, or null. */
    private Future<byte[]> pending;
    private int next;
    private long waitNanos;

    private PartReader(Connection c, String schema, String name, Stored cp) throws SQLException {
      this.parts = cp.parts();
      this.ps = c.prepareStatement("SELECT state FROM " + TABLE + " WHERE schema_name = ? AND view_name = ?"
          + " AND checkpoint_lsn = ?::pg_lsn AND part = ?");
      // In binary, as the parts are: in text they would cross the wire twice as large, in hex, and be decoded.
      ps.unwrap(org.postgresql.PGStatement.class).setPrepareThreshold(-1);
      ps.setString(1, schema);
      ps.setString(2, name);
      ps.setString(3, cp.lsn().asString());
      this.fetcher = Executors.newSingleThreadExecutor(r -> {
        Thread t = new Thread(r, "deltaview-checkpoint-fetch");
        t.setDaemon(true);
        return t;
      });
    }

    private Future<byte[]> fetch(int part) {
      return fetcher.submit(() -> {
        ps.setInt(4, part);
        try (ResultSet rs = ps.executeQuery()) {
          if (!rs.next()) {
            throw new StateFormatException("part " + part + " of the checkpoint disappeared while it was read");
          }
          return rs.getBytes(1);
        }
      });
    }

    @Override
    public byte[] next() {
      if (next >= parts) {
        return null;
      }
      Future<byte[]> f = pending != null ? pending : fetch(next);
      pending = null;
      long start = System.nanoTime();
      byte[] part;
      try {
        part = f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new PartFailed(new SQLException("interrupted while fetching part " + next + " of a checkpoint",
            SqlStates.QUERY_CANCELED, e));
      } catch (ExecutionException e) {
        if (e.getCause() instanceof StateFormatException gone) {
          throw gone;
        }
        throw new PartFailed(e.getCause() instanceof SQLException s ? s
            : new SQLException("fetching part " + next + " of a checkpoint failed: " + e.getCause(),
                SqlStates.INTERNAL_ERROR, e.getCause()));
      } finally {
        waitNanos += System.nanoTime() - start;
      }
      next++;
      if (next < parts) {
        pending = fetch(next);
      }
      return part;
    }

    /** Time the reader spent waiting for parts so far (what fetching did not overlap with reading). */
    long fetchNanos() {
      return waitNanos;
    }

    /** Waits for a fetch under way (the statement is not closed under it), then closes the statement. */
    @Override
    public void close() throws SQLException {
      fetcher.shutdown();
      try {
        if (!fetcher.awaitTermination(60, TimeUnit.SECONDS)) {
          fetcher.shutdownNow();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      ps.close();
    }
  }
}
