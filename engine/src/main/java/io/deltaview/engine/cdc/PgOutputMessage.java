package io.deltaview.engine.cdc;

import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.postgresql.replication.LogSequenceNumber;

/**
 * One message of PostgreSQL's {@code pgoutput} logical replication protocol (version 1), as decoded by
 * {@link PgOutputDecoder}. All variants are immutable.
 *
 * <p>Timestamps are kept as PostgreSQL sends them, microseconds since 2000-01-01 00:00 UTC, so nothing is
 * lost; {@link #toInstant(long)} converts.
 */
public sealed interface PgOutputMessage {

  /** Microseconds between the Unix epoch and PostgreSQL's epoch 2000-01-01 00:00:00 UTC. */
  long POSTGRES_EPOCH_MICROS = 946_684_800_000_000L;

  /** Converts a pgoutput timestamp (microseconds since 2000-01-01 UTC) to an {@link Instant}. */
  static Instant toInstant(long postgresMicros) {
    long unixMicros = postgresMicros + POSTGRES_EPOCH_MICROS;
    return Instant.ofEpochSecond(Math.floorDiv(unixMicros, 1_000_000L), Math.floorMod(unixMicros, 1_000_000L) * 1000L);
  }

  /** 'B': a transaction starts; {@code finalLsn} is the LSN of its commit record. */
  record Begin(LogSequenceNumber finalLsn, long commitTimeMicros, long xid) implements PgOutputMessage {
    public Begin {
      Objects.requireNonNull(finalLsn, "finalLsn");
    }
  }

  /**
   * 'C': a transaction ends. {@code endLsn} is the position just past the commit record: confirming it means
   * "this transaction is durably applied".
   */
  record Commit(int flags, LogSequenceNumber commitLsn, LogSequenceNumber endLsn, long commitTimeMicros)
      implements PgOutputMessage {
    public Commit {
      Objects.requireNonNull(commitLsn, "commitLsn");
      Objects.requireNonNull(endLsn, "endLsn");
    }
  }

  /** 'O': the transaction was replayed from another origin (only sent when the origin is set). */
  record Origin(LogSequenceNumber lsn, String name) implements PgOutputMessage {
    public Origin {
      Objects.requireNonNull(lsn, "lsn");
      Objects.requireNonNull(name, "name");
    }
  }

  /**
   * 'R': the shape of a table, sent before the first change to it in a session and again after it changed.
   * {@code namespace} is empty for {@code pg_catalog}, as pgoutput sends it.
   */
  record Relation(int relationId, String namespace, String name, char replicaIdentity, List<Column> columns)
      implements PgOutputMessage {
    public Relation {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
      columns = List.copyOf(columns);
    }

    /** Whether column {@code i} is part of the replica identity (sent in 'K' old tuples). */
    public boolean isKey(int i) {
      return columns.get(i).isKey();
    }
  }

  /** One column of a {@link Relation}; {@code flags} bit 1 marks a replica-identity (key) column. */
  record Column(int flags, String name, int typeOid, int typmod) {
    public Column {
      Objects.requireNonNull(name, "name");
    }

    public boolean isKey() {
      return (flags & 1) != 0;
    }
  }

  /** 'Y': a non-built-in data type used by a following relation, so its OID can be named. */
  record Type(int typeOid, String namespace, String name) implements PgOutputMessage {
    public Type {
      Objects.requireNonNull(namespace, "namespace");
      Objects.requireNonNull(name, "name");
    }
  }

  /** 'I': a row was inserted. */
  record Insert(int relationId, TupleData newTuple) implements PgOutputMessage {
    public Insert {
      Objects.requireNonNull(newTuple, "newTuple");
    }
  }

  /**
   * 'U': a row was updated. {@code oldKind} is {@code 'K'} (old replica-identity columns; the other columns
   * are sent as 'n' and mean "not sent", not NULL), {@code 'O'} (the whole old row, REPLICA IDENTITY FULL) or
   * {@code 0} with a {@code null} {@code oldTuple} when the identity did not change.
   */
  record Update(int relationId, char oldKind, TupleData oldTuple, TupleData newTuple) implements PgOutputMessage {
    public Update {
      Objects.requireNonNull(newTuple, "newTuple");
      if ((oldKind == 0) != (oldTuple == null) || (oldKind != 0 && oldKind != 'K' && oldKind != 'O')) {
        throw new IllegalArgumentException("old tuple kind '" + oldKind + "' does not match old tuple " + oldTuple);
      }
    }
  }

  /** 'D': a row was deleted; {@code oldKind} is {@code 'K'} or {@code 'O'} as for {@link Update}. */
  record Delete(int relationId, char oldKind, TupleData oldTuple) implements PgOutputMessage {
    public Delete {
      Objects.requireNonNull(oldTuple, "oldTuple");
      if (oldKind != 'K' && oldKind != 'O') {
        throw new IllegalArgumentException("old tuple kind must be 'K' or 'O', not '" + oldKind + "'");
      }
    }
  }

  /** 'T': tables were truncated. {@code options} bit 1 = CASCADE, bit 2 = RESTART IDENTITY. */
  record Truncate(int options, int[] relationIds) implements PgOutputMessage {
    public static final int CASCADE = 1;
    public static final int RESTART_IDENTITY = 2;

    public Truncate {
      relationIds = relationIds.clone();
    }

    /** A copy; the record stays immutable. */
    @Override
    public int[] relationIds() {
      return relationIds.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Truncate t && options == t.options && Arrays.equals(relationIds, t.relationIds);
    }

    @Override
    public int hashCode() {
      return 31 * options + Arrays.hashCode(relationIds);
    }

    @Override
    public String toString() {
      return "Truncate[options=" + options + ", relationIds=" + Arrays.toString(relationIds) + "]";
    }
  }

  /** 'M': a message from {@code pg_logical_emit_message}; sent only with the {@code messages} option. */
  record LogicalMessage(boolean transactional, LogSequenceNumber lsn, String prefix, byte[] content)
      implements PgOutputMessage {
    public LogicalMessage {
      Objects.requireNonNull(lsn, "lsn");
      Objects.requireNonNull(prefix, "prefix");
      content = content.clone();
    }

    /** A copy; the record stays immutable. */
    @Override
    public byte[] content() {
      return content.clone();
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof LogicalMessage m && transactional == m.transactional && lsn.equals(m.lsn)
          && prefix.equals(m.prefix) && Arrays.equals(content, m.content);
    }

    @Override
    public int hashCode() {
      return Objects.hash(transactional, lsn, prefix) * 31 + Arrays.hashCode(content);
    }

    @Override
    public String toString() {
      return "LogicalMessage[transactional=" + transactional + ", lsn=" + lsn + ", prefix=" + prefix
          + ", content=" + content.length + " bytes]";
    }
  }
}
