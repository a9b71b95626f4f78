package io.deltaview.it.cdc;

import static io.deltaview.it.cdc.CdcDatabase.await;
import static io.deltaview.it.cdc.CdcDatabase.lastCommit;
import static io.deltaview.it.cdc.CdcDatabase.messagesThroughCommits;
import static io.deltaview.it.cdc.CdcDatabase.waitFor;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.cdc.PgOutputMessage;
import io.deltaview.engine.cdc.PgOutputMessage.Begin;
import io.deltaview.engine.cdc.PgOutputMessage.Commit;
import io.deltaview.engine.cdc.PgOutputMessage.Delete;
import io.deltaview.engine.cdc.PgOutputMessage.Insert;
import io.deltaview.engine.cdc.PgOutputMessage.Relation;
import io.deltaview.engine.cdc.PgOutputMessage.Truncate;
import io.deltaview.engine.cdc.PgOutputMessage.Update;
import io.deltaview.engine.cdc.ReplicationEvent;
import io.deltaview.engine.cdc.ReplicationEvent.Change;
import io.deltaview.engine.cdc.ReplicationEvent.Failed;
import io.deltaview.engine.cdc.ReplicationEvent.Idle;
import io.deltaview.engine.cdc.ReplicationSlotReader;
import io.deltaview.engine.cdc.ReplicationSlotReader.Options;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.engine.cdc.ToastResolver;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.sql.Timestamp;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.postgresql.replication.LogSequenceNumber;

/** {@link ReplicationSlotReader} against a real PostgreSQL: delivery, confirmation, restarts, keepalives, TOAST. */
class ReplicationSlotReaderTest {

  private static final String SLOT = "dv_slot";

  private CdcDatabase db;
  private final List<ReplicationSlotReader> readers = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    db = new CdcDatabase("cdc_reader");
    db.exec("CREATE TABLE item (id int PRIMARY KEY, name text)",
        "CREATE TABLE other (id int PRIMARY KEY)",
        "CREATE PUBLICATION pub FOR ALL TABLES");
    assertTrue(SlotManager.createSlotIfAbsent(db.sql, SLOT));
  }

  @AfterEach
  void tearDown() throws Exception {
    for (ReplicationSlotReader r : readers) {
      r.close();
    }
    SlotManager.dropSlotIfExists(db.sql, SLOT);
    db.close();
  }

  private ReplicationSlotReader start(Options options) throws SQLException {
    ReplicationSlotReader reader = db.start(options);
    readers.add(reader);
    return reader;
  }

  @Test
  void insertUpdateDeleteTruncateRoundTrip() throws Exception {
    ReplicationSlotReader reader = start(Options.of(SLOT, "pub"));
    db.exec("INSERT INTO item VALUES (1, 'one'), (2, 'two')",
        "UPDATE item SET name = 'uno' WHERE id = 1",
        "DELETE FROM item WHERE id = 2",
        "TRUNCATE item, other");

    List<PgOutputMessage> m = messagesThroughCommits(reader, 4);
    // Relation messages come before a relation's first change, and again whenever PostgreSQL invalidated
    // its cache entry (TRUNCATE does), so compare the data messages and look relations up by name.
    List<Class<?>> kinds = m.stream().filter(x -> !(x instanceof Relation)).<Class<?>>map(Object::getClass).toList();
    assertEquals(List.of(Begin.class, Insert.class, Insert.class, Commit.class,
        Begin.class, Update.class, Commit.class,
        Begin.class, Delete.class, Commit.class,
        Begin.class, Truncate.class, Commit.class), kinds);
    int item = relationId(m, "item");
    List<Insert> inserts = only(m, Insert.class);
    assertEquals(item, inserts.get(0).relationId());
    assertEquals(List.of("one", "two"), List.of(inserts.get(0).newTuple().text(1), inserts.get(1).newTuple().text(1)));
    Update update = only(m, Update.class).get(0);
    assertNull(update.oldTuple());
    assertEquals("uno", update.newTuple().text(1));
    Delete delete = only(m, Delete.class).get(0);
    assertEquals('K', delete.oldKind());
    assertEquals("2", delete.oldTuple().text(0));
    assertArrayEquals(new int[] {item, relationId(m, "other")}, only(m, Truncate.class).get(0).relationIds());

    // The slot moves only by confirmation.
    Commit last = lastCommit(m);
    reader.confirm(last.endLsn());
    waitFor("slot confirmed at " + last.endLsn(), () -> last.endLsn().equals(SlotManager.confirmedFlushLsn(db.sql, SLOT)));
  }

  @Test
  void unconfirmedTransactionsAreRedeliveredToTheNextReader() throws Exception {
    ReplicationSlotReader first = start(Options.of(SLOT, "pub"));
    db.exec("INSERT INTO item VALUES (1, 'confirmed')");
    Commit a = lastCommit(messagesThroughCommits(first, 1));
    first.confirm(a.endLsn());
    waitFor("slot at A", () -> a.endLsn().equals(SlotManager.confirmedFlushLsn(db.sql, SLOT)));

    db.exec("INSERT INTO item VALUES (2, 'not confirmed')");
    Commit b = lastCommit(messagesThroughCommits(first, 1));
    // Let the server send keepalives past B and the reader answer them: with pgjdbc's automatic flush,
    // this is exactly when B would be reported as flushed behind our back.
    List<ReplicationEvent> seen = new ArrayList<>();
    await(first, e -> e instanceof Idle i && i.walEnd().asLong() >= b.endLsn().asLong(), seen);
    Timestamp afterKeepalive = now();
    waitFor("a status update after the keepalive", () -> {
      Timestamp reply = replyTime();
      return reply != null && reply.after(afterKeepalive);
    });
    assertEquals(a.endLsn(), SlotManager.confirmedFlushLsn(db.sql, SLOT), "the slot must not pass B unconfirmed");
    first.close();

    ReplicationSlotReader second = start(Options.of(SLOT, "pub"));
    List<PgOutputMessage> again = messagesThroughCommits(second, 1);
    Insert redelivered = (Insert) again.stream().filter(Insert.class::isInstance).findFirst().orElseThrow();
    assertEquals("not confirmed", redelivered.newTuple().text(1));
    assertEquals(b, lastCommit(again));
  }

  /**
   * pgjdbc's automatic flush (42.7.x) reports the server's WAL end from a keepalive as flushed once everything
   * received has been confirmed. The reader disables it: what the server hears is exactly what was confirmed.
   */
  @Test
  void serverHearsOnlyConfirmedPositionsNotKeepaliveWalEnds() throws Exception {
    ReplicationSlotReader reader = start(Options.of(SLOT, "pub"));
    db.exec("INSERT INTO item VALUES (1, 'x')");
    Commit c = lastCommit(messagesThroughCommits(reader, 1));
    reader.confirm(c.endLsn());
    waitFor("slot at the commit", () -> c.endLsn().equals(SlotManager.confirmedFlushLsn(db.sql, SLOT)));
    // A checkpoint writes WAL but no transaction: the server's next keepalive carries a WAL end beyond the commit.
    db.exec("CHECKPOINT");
    await(reader, e -> e instanceof Idle i && i.walEnd().asLong() > c.endLsn().asLong(), new ArrayList<>());
    Timestamp afterKeepalive = now();
    waitFor("a status update after the keepalive", () -> {
      Timestamp reply = replyTime();
      return reply != null && reply.after(afterKeepalive);
    });
    assertEquals(c.endLsn(), reportedFlushLsn(), "the client reported only what was confirmed");
    assertEquals(c.endLsn(), SlotManager.confirmedFlushLsn(db.sql, SLOT));
  }

  @Test
  void restartRightAfterStopRetriesWhileTheSlotIsStillActive() throws Exception {
    ReplicationSlotReader first = start(Options.of(SLOT, "pub"));
    // While a reader holds the slot, a second one without patience fails with PostgreSQL's 55006, unchanged.
    SQLException inUse = assertThrows(SQLException.class,
        () -> start(Options.of(SLOT, "pub").withSlotReleasePatience(java.time.Duration.ZERO)));
    assertEquals("55006", inUse.getSQLState());

    // A patient second reader started while the first still runs gets the slot once the first stops.
    CompletableFuture<ReplicationSlotReader> waiting = CompletableFuture.supplyAsync(() -> {
      try {
        return start(Options.of(SLOT, "pub"));
      } catch (SQLException e) {
        throw new IllegalStateException(e);
      }
    });
    first.close();
    ReplicationSlotReader second = waiting.get(30, TimeUnit.SECONDS);
    second.close();

    // And stop-then-start immediately, the common case after a crash of the apply thread.
    ReplicationSlotReader third = start(Options.of(SLOT, "pub"));
    db.exec("INSERT INTO item VALUES (3, 'after restarts')");
    List<PgOutputMessage> m = messagesThroughCommits(third, 1);
    assertEquals("after restarts", ((Insert) m.stream().filter(Insert.class::isInstance).findFirst().orElseThrow())
        .newTuple().text(1));
  }

  @Test
  void idleStreamReportsAdvancingWalEnd() throws Exception {
    ReplicationSlotReader reader = start(Options.of(SLOT, "pub"));
    db.exec("INSERT INTO item VALUES (1, 'x')");
    Commit c = lastCommit(messagesThroughCommits(reader, 1));
    // WAL written outside the publication moves the server's WAL end; the reader reports it as idle.
    db.exec("CREATE TABLE unpublished_ddl (x int)");
    Idle idle = (Idle) await(reader, e -> e instanceof Idle i && i.walEnd().asLong() > c.endLsn().asLong(),
        new ArrayList<>());
    reader.confirm(idle.walEnd());
    waitFor("slot at idle position", () -> SlotManager.confirmedFlushLsn(db.sql, SLOT).asLong()
        >= idle.walEnd().asLong());
  }

  @Test
  void terminatedWalsenderIsReportedToTheConsumer() throws Exception {
    ReplicationSlotReader reader = start(Options.of(SLOT, "pub"));
    int pid = walsenderPid();
    db.exec("SELECT pg_terminate_backend(" + pid + ")");
    ReplicationEvent last = null;
    long deadline = System.nanoTime() + CdcDatabase.TIMEOUT.toNanos();
    while (!(last instanceof Failed) && System.nanoTime() < deadline) {
      ReplicationEvent e = reader.poll(java.time.Duration.ofMillis(200));
      last = e == null ? last : e;
    }
    Failed failed = assertInstanceOf(Failed.class, last);
    assertInstanceOf(SQLException.class, failed.cause(), "PostgreSQL's error, not a wrapper: " + failed.cause());
    waitFor("reader thread ended", () -> !reader.isRunning());
  }

  @Test
  void unchangedToastUnderReplicaIdentityFullIsResolvedFromTheOldRow() throws Exception {
    db.exec("CREATE TABLE doc (id int PRIMARY KEY, title text, body text)",
        "ALTER TABLE doc ALTER COLUMN body SET STORAGE EXTERNAL",
        "ALTER TABLE doc REPLICA IDENTITY FULL",
        "INSERT INTO doc SELECT 1, 'first', string_agg(md5(random()::text), '') FROM generate_series(1, 400)");
    String body;
    try (Statement s = db.sql.createStatement();
         ResultSet rs = s.executeQuery("SELECT body, pg_column_size(body) FROM doc")) {
      rs.next();
      body = rs.getString(1);
      assertEquals(12800, body.length());
    }
    ReplicationSlotReader reader = start(Options.of(SLOT, "pub"));
    db.exec("UPDATE doc SET title = 'renamed'");
    List<PgOutputMessage> m = CdcDatabase.transactionWith(reader, Update.class);
    Relation rel = (Relation) m.stream().filter(Relation.class::isInstance).findFirst().orElseThrow();
    Update u = (Update) m.stream().filter(Update.class::isInstance).findFirst().orElseThrow();
    assertTrue(u.newTuple().isUnchangedToast(2), "PostgreSQL did not resend the TOASTed value: " + u);
    ToastResolver.Resolved r = ToastResolver.resolve(u, rel);
    assertTrue(r.complete());
    assertEquals(List.of("1", "renamed", body), r.values());
  }

  @Test
  void readerKeepsTheWalsenderAliveWhileTheConsumerBlocks() throws Exception {
    db.exec("ALTER SYSTEM SET wal_sender_timeout = '3s'", "SELECT pg_reload_conf()");
    try {
      waitFor("wal_sender_timeout=3s", () -> "3s".equals(show("wal_sender_timeout")));
      ReplicationSlotReader reader = start(Options.of(SLOT, "pub").withQueueCapacity(1));
      db.exec("INSERT INTO item VALUES (1, 'a')", "INSERT INTO item VALUES (2, 'b')");
      List<ReplicationEvent> seen = new ArrayList<>();
      await(reader, e -> e instanceof Change c && c.message() instanceof Begin, seen);
      int pid = walsenderPid();
      // The consumer is slow on purpose: the queue (capacity 1) stays full for longer than wal_sender_timeout.
      Thread.sleep(8_000);
      List<PgOutputMessage> rest = messagesThroughCommits(reader, 2);
      assertEquals(2, rest.stream().filter(Insert.class::isInstance).count(), rest.toString());
      db.exec("INSERT INTO item VALUES (3, 'after the pause')");
      List<PgOutputMessage> next = messagesThroughCommits(reader, 1);
      assertEquals("after the pause",
          ((Insert) next.stream().filter(Insert.class::isInstance).findFirst().orElseThrow()).newTuple().text(1));
      assertEquals(pid, walsenderPid(), "the same walsender served us throughout");
      assertTrue(reader.isRunning());
    } finally {
      db.exec("ALTER SYSTEM RESET wal_sender_timeout", "SELECT pg_reload_conf()");
    }
  }

  private String show(String setting) throws SQLException {
    try (Statement s = db.sql.createStatement(); ResultSet rs = s.executeQuery("SHOW " + setting)) {
      rs.next();
      return rs.getString(1);
    }
  }

  private Timestamp now() throws SQLException {
    try (Statement s = db.sql.createStatement(); ResultSet rs = s.executeQuery("SELECT clock_timestamp()")) {
      rs.next();
      return rs.getTimestamp(1);
    }
  }

  private Timestamp replyTime() throws SQLException {
    try (PreparedStatement ps = db.sql.prepareStatement("SELECT r.reply_time FROM pg_stat_replication r "
        + "JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = ?")) {
      ps.setString(1, SLOT);
      try (ResultSet rs = ps.executeQuery()) {
        return rs.next() ? rs.getTimestamp(1) : null;
      }
    }
  }

  private LogSequenceNumber reportedFlushLsn() throws SQLException {
    try (PreparedStatement ps = db.sql.prepareStatement("SELECT r.flush_lsn::text FROM pg_stat_replication r "
        + "JOIN pg_replication_slots s ON s.active_pid = r.pid WHERE s.slot_name = ?")) {
      ps.setString(1, SLOT);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), "no walsender for " + SLOT);
        return LogSequenceNumber.valueOf(rs.getString(1));
      }
    }
  }

  private int walsenderPid() throws SQLException {
    try (PreparedStatement ps = db.sql.prepareStatement(
        "SELECT active_pid FROM pg_replication_slots WHERE slot_name = ? AND active")) {
      ps.setString(1, SLOT);
      try (ResultSet rs = ps.executeQuery()) {
        assertTrue(rs.next(), "slot " + SLOT + " is not active");
        return rs.getInt(1);
      }
    }
  }

  private static <T extends PgOutputMessage> List<T> only(List<PgOutputMessage> messages, Class<T> type) {
    return messages.stream().filter(type::isInstance).map(type::cast).toList();
  }

  private static int relationId(List<PgOutputMessage> messages, String name) {
    return only(messages, Relation.class).stream().filter(r -> r.name().equals(name)).findFirst().orElseThrow()
        .relationId();
  }
}
