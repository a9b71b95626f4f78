package io.deltaview.engine.cdc;

import io.deltaview.engine.cdc.PgOutputMessage.Begin;
import io.deltaview.engine.cdc.PgOutputMessage.Column;
import io.deltaview.engine.cdc.PgOutputMessage.Commit;
import io.deltaview.engine.cdc.PgOutputMessage.Delete;
import io.deltaview.engine.cdc.PgOutputMessage.Insert;
import io.deltaview.engine.cdc.PgOutputMessage.LogicalMessage;
import io.deltaview.engine.cdc.PgOutputMessage.Origin;
import io.deltaview.engine.cdc.PgOutputMessage.Relation;
import io.deltaview.engine.cdc.PgOutputMessage.Truncate;
import io.deltaview.engine.cdc.PgOutputMessage.Type;
import io.deltaview.engine.cdc.PgOutputMessage.Update;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.postgresql.replication.LogSequenceNumber;

/**
 * Decodes {@code pgoutput} protocol version 1 messages (PostgreSQL's "Logical Replication Message Formats")
 * into {@link PgOutputMessage} records. Stateless and thread-safe.
 *
 * <p>Strings and text values are decoded as UTF-8, which assumes a UTF-8 database: pgoutput sends them in
 * the database encoding. Malformed input (unknown message type, truncated message, trailing bytes) throws
 * {@link IllegalArgumentException} rather than producing a half-decoded message.
 */
public final class PgOutputDecoder {

  private PgOutputDecoder() {
  }

  /**
   * Decodes the one message between {@code buffer}'s position and limit. The buffer's position is left
   * unchanged (we read a duplicate), so callers may still log or store the raw bytes.
   */
  public static PgOutputMessage decode(ByteBuffer buffer) {
    ByteBuffer in = buffer.duplicate().order(ByteOrder.BIG_ENDIAN);
    if (!in.hasRemaining()) {
      throw new IllegalArgumentException("empty pgoutput message");
    }
    byte type = in.get();
    PgOutputMessage message;
    try {
      message = switch (type) {
        case 'B' -> new Begin(lsn(in), in.getLong(), Integer.toUnsignedLong(in.getInt()));
        case 'C' -> new Commit(Byte.toUnsignedInt(in.get()), lsn(in), lsn(in), in.getLong());
        case 'O' -> new Origin(lsn(in), string(in));
        case 'R' -> relation(in);
        case 'Y' -> new Type(in.getInt(), string(in), string(in));
        case 'I' -> insert(in);
        case 'U' -> update(in);
        case 'D' -> delete(in);
        case 'T' -> truncate(in);
        case 'M' -> logicalMessage(in);
        default -> throw new IllegalArgumentException(String.format(
            "unknown pgoutput message type %s (byte 0x%02x); only protocol version 1 is supported",
            Character.isLetterOrDigit(type) ? "'" + (char) type + "'" : "", type & 0xff));
      };
    } catch (BufferUnderflowException e) {
      throw new IllegalArgumentException("truncated pgoutput message of type '" + (char) type + "' ("
          + buffer.remaining() + " bytes)", e);
    }
    if (in.hasRemaining()) {
      throw new IllegalArgumentException(in.remaining() + " unexpected trailing bytes after pgoutput message "
          + message);
    }
    return message;
  }

  private static LogSequenceNumber lsn(ByteBuffer in) {
    return LogSequenceNumber.valueOf(in.getLong());
  }

  /** A NUL-terminated string. */
  private static String string(ByteBuffer in) {
    int start = in.position();
    int end = start;
    int limit = in.limit();
    while (end < limit && in.get(end) != 0) {
      end++;
    }
    if (end == limit) {
      throw new BufferUnderflowException();
    }
    byte[] bytes = new byte[end - start];
    in.get(bytes);
    in.get(); // the terminating NUL
    return new String(bytes, StandardCharsets.UTF_8);
  }

  private static Relation relation(ByteBuffer in) {
    int relationId = in.getInt();
    String namespace = string(in);
    String name = string(in);
    char replicaIdentity = (char) in.get();
    int count = Short.toUnsignedInt(in.getShort());
    List<Column> columns = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      columns.add(new Column(Byte.toUnsignedInt(in.get()), string(in), in.getInt(), in.getInt()));
    }
    return new Relation(relationId, namespace, name, replicaIdentity, columns);
  }

  private static Insert insert(ByteBuffer in) {
    int relationId = in.getInt();
    expect(in, 'N', "insert");
    return new Insert(relationId, tuple(in));
  }

  private static Update update(ByteBuffer in) {
    int relationId = in.getInt();
    char marker = (char) in.get();
    char oldKind = 0;
    TupleData oldTuple = null;
    if (marker == 'K' || marker == 'O') {
      oldKind = marker;
      oldTuple = tuple(in);
      marker = (char) in.get();
    }
    if (marker != 'N') {
      throw new IllegalArgumentException("update of relation " + relationId + ": expected 'N', 'K' or 'O' but got '"
          + marker + "'");
    }
    return new Update(relationId, oldKind, oldTuple, tuple(in));
  }

  private static Delete delete(ByteBuffer in) {
    int relationId = in.getInt();
    char oldKind = (char) in.get();
    if (oldKind != 'K' && oldKind != 'O') {
      throw new IllegalArgumentException("delete of relation " + relationId + ": expected 'K' or 'O' but got '"
          + oldKind + "'");
    }
    return new Delete(relationId, oldKind, tuple(in));
  }

  private static Truncate truncate(ByteBuffer in) {
    int count = in.getInt();
    int options = Byte.toUnsignedInt(in.get());
    if (count < 0 || count > in.remaining() / 4) {
      throw new BufferUnderflowException();
    }
    int[] ids = new int[count];
    for (int i = 0; i < count; i++) {
      ids[i] = in.getInt();
    }
    return new Truncate(options, ids);
  }

  private static LogicalMessage logicalMessage(ByteBuffer in) {
    boolean transactional = (in.get() & 1) != 0;
    LogSequenceNumber lsn = lsn(in);
    String prefix = string(in);
    int length = in.getInt();
    if (length < 0 || length > in.remaining()) {
      throw new BufferUnderflowException();
    }
    byte[] content = new byte[length];
    in.get(content);
    return new LogicalMessage(transactional, lsn, prefix, content);
  }

  private static void expect(ByteBuffer in, char expected, String what) {
    char got = (char) in.get();
    if (got != expected) {
      throw new IllegalArgumentException(what + ": expected '" + expected + "' but got '" + got + "'");
    }
  }

  private static TupleData tuple(ByteBuffer in) {
    int count = Short.toUnsignedInt(in.getShort());
    char[] kinds = new char[count];
    byte[][] raw = new byte[count][];
    for (int i = 0; i < count; i++) {
      char kind = (char) in.get();
      kinds[i] = kind;
      switch (kind) {
        case TupleData.NULL, TupleData.UNCHANGED_TOAST -> { }
        case TupleData.TEXT, TupleData.BINARY -> {
          int length = in.getInt();
          if (length < 0 || length > in.remaining()) {
            throw new BufferUnderflowException();
          }
          byte[] value = new byte[length];
          in.get(value);
          raw[i] = value;
        }
        default -> throw new IllegalArgumentException("unknown tuple column kind '" + kind + "' at column " + i);
      }
    }
    return TupleData.wrap(kinds, raw);
  }
}
