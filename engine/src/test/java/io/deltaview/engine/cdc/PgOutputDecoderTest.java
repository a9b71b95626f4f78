package io.deltaview.engine.cdc;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.postgresql.replication.LogSequenceNumber;

/** Decodes pgoutput bytes recorded from PostgreSQL 14 (see {@code RecordPgOutputBytes} in integration-tests). */
class PgOutputDecoderTest {

  private static final int TEXT = 25;
  private static final int INT4 = 23;

  @Test
  void insertTransactionDecodesBeginRelationInsertCommit() {
    List<PgOutputMessage> m = Recorded.decodeAll("insert");
    assertEquals(4, m.size());

    Begin begin = assertInstanceOf(Begin.class, m.get(0));
    Commit commit = assertInstanceOf(Commit.class, m.get(3));
    assertEquals(LogSequenceNumber.valueOf("0/1713468"), begin.finalLsn());
    assertEquals(begin.finalLsn(), commit.commitLsn());
    assertEquals(LogSequenceNumber.valueOf("0/1713498"), commit.endLsn());
    assertEquals(Recorded.load("insert").get(3).lsn(), commit.endLsn(), "commit message sits at the end LSN");
    assertEquals(begin.commitTimeMicros(), commit.commitTimeMicros());
    assertEquals(0, commit.flags());
    assertEquals(0x2ef, begin.xid());
    Instant when = PgOutputMessage.toInstant(begin.commitTimeMicros());
    assertTrue(when.isAfter(Instant.parse("2020-01-01T00:00:00Z")) && when.isBefore(Instant.parse("2100-01-01T00:00:00Z")),
        "commit time " + when);

    Relation rel = assertInstanceOf(Relation.class, m.get(1));
    assertEquals("public", rel.namespace());
    assertEquals("item", rel.name());
    assertEquals('d', rel.replicaIdentity());
    assertEquals(List.of(new Column(1, "id", INT4, -1), new Column(0, "name", TEXT, -1),
        new Column(0, "note", TEXT, -1)), rel.columns());
    assertTrue(rel.isKey(0));
    assertFalse(rel.isKey(1));

    Insert insert = assertInstanceOf(Insert.class, m.get(2));
    assertEquals(rel.relationId(), insert.relationId());
    TupleData row = insert.newTuple();
    assertEquals(3, row.size());
    assertEquals("3", row.text(0));
    assertEquals("three", row.text(1));
    assertEquals("héllo wörld", row.text(2), "text is UTF-8");
  }

  @Test
  void updateWithoutOldTuple() {
    Update u = assertInstanceOf(Update.class, Recorded.decodeAll("update-no-old").get(2));
    assertEquals(0, u.oldKind());
    assertNull(u.oldTuple());
    assertEquals(List.of("1", "uno"), List.of(u.newTuple().text(0), u.newTuple().text(1)));
    assertTrue(u.newTuple().isNull(2));
    assertNull(u.newTuple().text(2));
  }

  @Test
  void updateOfKeyCarriesKeyOnlyOldTuple() {
    Update u = assertInstanceOf(Update.class, Recorded.decodeAll("update-key").get(2));
    assertEquals('K', u.oldKind());
    assertEquals("2", u.oldTuple().text(0));
    assertTrue(u.oldTuple().isNull(1), "non-key columns are not sent in a 'K' tuple");
    assertTrue(u.oldTuple().isNull(2));
    assertEquals(List.of("10", "two", "second"), texts(u.newTuple()));
  }

  @Test
  void updateUnderReplicaIdentityFullCarriesWholeOldRow() {
    List<PgOutputMessage> m = Recorded.decodeAll("update-full");
    assertEquals('f', assertInstanceOf(Relation.class, m.get(1)).replicaIdentity());
    assertTrue(((Relation) m.get(1)).columns().stream().allMatch(Column::isKey), "FULL: every column is identity");
    Update u = assertInstanceOf(Update.class, m.get(2));
    assertEquals('O', u.oldKind());
    assertEquals("1", u.oldTuple().text(0));
    assertEquals("one", u.oldTuple().text(1));
    assertTrue(u.oldTuple().isNull(2), "a real NULL in the old row");
    assertEquals(List.of("1", "uno", "n"), texts(u.newTuple()));
  }

  @Test
  void deletes() {
    Delete key = assertInstanceOf(Delete.class, Recorded.decodeAll("delete-key").get(2));
    assertEquals('K', key.oldKind());
    assertEquals("10", key.oldTuple().text(0));
    assertTrue(key.oldTuple().isNull(1));

    Delete full = assertInstanceOf(Delete.class, Recorded.decodeAll("delete-full").get(2));
    assertEquals('O', full.oldKind());
    assertEquals(List.of("2", "two", "second"), texts(full.oldTuple()));
  }

  @Test
  void truncateNamesAllRelationsAndOptions() {
    List<PgOutputMessage> m = Recorded.decodeAll("truncate");
    Relation item = assertInstanceOf(Relation.class, m.get(1));
    Relation other = assertInstanceOf(Relation.class, m.get(2));
    Truncate t = assertInstanceOf(Truncate.class, m.get(3));
    assertEquals(Truncate.RESTART_IDENTITY, t.options());
    assertArrayEquals(new int[] {item.relationId(), other.relationId()}, t.relationIds());
    t.relationIds()[0] = -1;
    assertEquals(item.relationId(), t.relationIds()[0], "the record's array is not exposed");
  }

  @Test
  void userTypeIsAnnouncedBeforeTheRelationUsingIt() {
    List<PgOutputMessage> m = Recorded.decodeAll("type");
    Type type = assertInstanceOf(Type.class, m.get(1));
    assertEquals("public", type.namespace());
    assertEquals("mood", type.name());
    Relation rel = assertInstanceOf(Relation.class, m.get(2));
    assertEquals(type.typeOid(), rel.columns().get(1).typeOid());
    assertEquals("happy", assertInstanceOf(Insert.class, m.get(3)).newTuple().text(1));
  }

  @Test
  void logicalMessagesTransactionalAndNot() {
    List<PgOutputMessage> m = Recorded.decodeAll("message");
    // The non-transactional message is decoded immediately, outside (before) the transaction.
    LogicalMessage nt = assertInstanceOf(LogicalMessage.class, m.get(0));
    assertFalse(nt.transactional());
    assertEquals("deltaview-nt", nt.prefix());
    assertArrayEquals(new byte[] {0, (byte) 0xff}, nt.content());
    assertInstanceOf(Begin.class, m.get(1));
    LogicalMessage tx = assertInstanceOf(LogicalMessage.class, m.get(2));
    assertTrue(tx.transactional());
    assertEquals("deltaview", tx.prefix());
    assertEquals("hello", new String(tx.content(), StandardCharsets.UTF_8));
    assertEquals(Recorded.load("message").get(2).lsn(), tx.lsn());
    assertInstanceOf(Commit.class, m.get(3));
  }

  @Test
  void originFollowsBeginForReplayedTransactions() {
    List<PgOutputMessage> m = Recorded.decodeAll("origin");
    assertInstanceOf(Begin.class, m.get(0));
    assertEquals(new Origin(LogSequenceNumber.valueOf("0/ABCDEF"), "dv_origin"), m.get(1));
    assertEquals("four", assertInstanceOf(Insert.class, m.get(3)).newTuple().text(1));
  }

  @Test
  void binaryColumnsAreKeptAsBytesAndRefuseText() {
    Insert insert = assertInstanceOf(Insert.class, Recorded.decodeAll("insert-binary").get(2));
    TupleData row = insert.newTuple();
    assertEquals('b', row.kind(0));
    assertArrayEquals(new byte[] {0, 0, 0, 5}, row.binary(0), "int4 send format");
    assertArrayEquals("five".getBytes(StandardCharsets.UTF_8), row.binary(1));
    assertTrue(row.isNull(2));
    assertThrows(IllegalStateException.class, () -> row.text(0));
    row.binary(0)[3] = 9;
    assertEquals(5, row.binary(0)[3], "binary values are copied out");
  }

  @Test
  void unchangedToastUnderReplicaIdentityFull() {
    Update u = assertInstanceOf(Update.class, Recorded.decodeAll("toast-full").get(2));
    assertEquals('O', u.oldKind());
    String body = u.oldTuple().text(2);
    assertEquals(10240, body.length(), "the old row carries the out-of-line value in full");
    assertEquals("renamed", u.newTuple().text(1));
    assertTrue(u.newTuple().isUnchangedToast(2));
    assertFalse(u.newTuple().isNull(2), "unchanged TOAST is not NULL");
    assertThrows(IllegalStateException.class, () -> u.newTuple().text(2));
  }

  @Test
  void unchangedToastWithDefaultIdentity() {
    Update u = assertInstanceOf(Update.class, Recorded.decodeAll("toast-default").get(2));
    assertNull(u.oldTuple());
    assertTrue(u.newTuple().isUnchangedToast(2));
  }

  @Test
  void readsFromBufferPositionWithoutConsumingIt() {
    byte[] bytes = Recorded.load("insert").get(2).bytes();
    byte[] padded = new byte[bytes.length + 7];
    System.arraycopy(bytes, 0, padded, 3, bytes.length);
    ByteBuffer buffer = ByteBuffer.wrap(padded, 3, bytes.length).slice();
    ByteBuffer offset = ByteBuffer.wrap(padded, 3, bytes.length);
    assertEquals(Recorded.load("insert").get(2).decode(), PgOutputDecoder.decode(buffer));
    assertEquals(Recorded.load("insert").get(2).decode(), PgOutputDecoder.decode(offset));
    assertEquals(3, offset.position());
  }

  @Test
  void timestampsCountFromPostgresEpoch() {
    assertEquals(Instant.parse("2000-01-01T00:00:00Z"), PgOutputMessage.toInstant(0));
    assertEquals(Instant.parse("1999-12-31T23:59:59.999999Z"), PgOutputMessage.toInstant(-1));
    assertEquals(Instant.parse("2000-01-01T00:00:01.000002Z"), PgOutputMessage.toInstant(1_000_002));
  }

  @Test
  void recordsRejectInconsistentOldTuples() {
    TupleData row = TupleData.builder(1).text("1").build();
    assertThrows(IllegalArgumentException.class, () -> new Update(1, 'K', null, row));
    assertThrows(IllegalArgumentException.class, () -> new Update(1, (char) 0, row, row));
    assertThrows(IllegalArgumentException.class, () -> new Update(1, 'X', row, row));
    assertThrows(IllegalArgumentException.class, () -> new Delete(1, 'N', row));
  }

  @Test
  void unknownMessageTypeNamesTheByte() {
    IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
        () -> PgOutputDecoder.decode(ByteBuffer.wrap(new byte[] {'S', 0, 0, 0, 1})));
    assertTrue(e.getMessage().contains("'S'") && e.getMessage().contains("0x53"), e.getMessage());
    IllegalArgumentException binary = assertThrows(IllegalArgumentException.class,
        () -> PgOutputDecoder.decode(ByteBuffer.wrap(new byte[] {(byte) 0x9c})));
    assertTrue(binary.getMessage().contains("0x9c"), binary.getMessage());
  }

  @Test
  void truncatedAndOverlongMessagesAreRejected() {
    byte[] insert = Recorded.load("insert").get(2).bytes();
    for (int cut = 1; cut < insert.length; cut++) {
      byte[] shorter = Arrays.copyOf(insert, cut);
      assertThrows(IllegalArgumentException.class, () -> PgOutputDecoder.decode(ByteBuffer.wrap(shorter)),
          "cut at " + cut);
    }
    byte[] longer = Arrays.copyOf(insert, insert.length + 1);
    assertThrows(IllegalArgumentException.class, () -> PgOutputDecoder.decode(ByteBuffer.wrap(longer)));
    assertThrows(IllegalArgumentException.class, () -> PgOutputDecoder.decode(ByteBuffer.allocate(0)));
  }

  private static List<String> texts(TupleData t) {
    return java.util.stream.IntStream.range(0, t.size()).mapToObj(t::text).toList();
  }
}
