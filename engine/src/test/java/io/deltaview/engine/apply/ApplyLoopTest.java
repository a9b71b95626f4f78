package io.deltaview.engine.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.cdc.ChangeFeed;
import io.deltaview.engine.cdc.PgOutputMessage;
import io.deltaview.engine.cdc.PgOutputMessage.Begin;
import io.deltaview.engine.cdc.PgOutputMessage.Column;
import io.deltaview.engine.cdc.PgOutputMessage.Commit;
import io.deltaview.engine.cdc.PgOutputMessage.Delete;
import io.deltaview.engine.cdc.PgOutputMessage.Insert;
import io.deltaview.engine.cdc.PgOutputMessage.Relation;
import io.deltaview.engine.cdc.PgOutputMessage.Update;
import io.deltaview.engine.cdc.ReplicationEvent;
import io.deltaview.engine.cdc.TupleData;
import io.deltaview.engine.compile.SqlFixture;
import io.deltaview.engine.compile.ViewCompiler;
import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.engine.row.Values;
import io.deltaview.engine.view.MaintainedView;
import io.deltaview.engine.view.TableShape;
import java.sql.SQLException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.apache.calcite.sql.type.SqlTypeName;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The apply loop's transaction rules without a database: a scripted change feed in, a target that keeps
 * "committed" result tables out. Every commit must show the views exactly at the end of a source transaction
 * (never part of one), record that transaction's end LSN, and precede the slot confirmation.
 */
class ApplyLoopTest {

  private static final int RELATION = 16384;
  private static final TableShape LINES = new TableShape("public", "order_lines",
      List.of("id", "order_id", "qty", "price"),
      List.of(SqlTypeName.INTEGER, SqlTypeName.INTEGER, SqlTypeName.INTEGER, SqlTypeName.DECIMAL));
  private static final String GROUPED = "SELECT order_id, count(*) AS n, sum(qty) AS q FROM order_lines GROUP BY order_id";
  private static final String FILTERED = "SELECT id, qty FROM order_lines WHERE qty > 2";

  private final FakeFeed feed = new FakeFeed();
  private final FakeTarget target = new FakeTarget();
  /** The base table as the source sees it after each source transaction: id → row. */
  private final Map<Integer, Row> table = new LinkedHashMap<>();
  /** End LSN of each scripted source transaction → the base table right after it. */
  private final Map<Long, ZSet> tableAt = new HashMap<>();
  private long lsn = 1000;
  private ApplyLoop loop;
  private Thread thread;
  private final List<MaintainedView> views = new ArrayList<>();

  @AfterEach
  void stopLoop() throws InterruptedException {
    if (loop != null) {
      loop.stop();
      thread.join(5000);
    }
  }

  ApplyLoopTest() {
    feed.add(new Relation(RELATION, "public", "order_lines", 'f', List.of(new Column(0, "id", 23, -1),
        new Column(0, "order_id", 23, -1), new Column(0, "qty", 23, -1), new Column(0, "price", 1700, -1))));
  }

  private void start(ApplyLoop.Limits limits) {
    loop = new ApplyLoop(feed, target, LogSequenceNumber.INVALID_LSN, v -> { }, limits);
    for (String sql : List.of(GROUPED, FILTERED)) {
      ViewPipeline compiled = ViewCompiler.compile(SqlFixture.plan(sql));
      MaintainedView v = new MaintainedView(new ViewRecord("public", "v" + views.size(), sql,
          List.of("public.order_lines"), "sql", "snapshotting", null, "public", null),
          // as the engine does: only the columns the view reads are parsed (neither view reads price)
          List.of(new TableShape(LINES.schema(), LINES.name(), LINES.columnNames(), LINES.columnTypes(),
              compiled.readColumns(0))), null,
          () -> ViewCompiler.compile(SqlFixture.plan(sql)));
      views.add(v);
      loop.submit(() -> {
        loop.addView(v);
        try {
          loop.activate(v, compiled, LogSequenceNumber.valueOf(1));
        } catch (SQLException e) {
          throw new IllegalStateException(e);
        }
      });
    }
    thread = new Thread(loop, "apply-loop-test");
    thread.start();
  }

  /** Scripts one source transaction of {@code inserts} new rows plus updates and deletes of older ones. */
  private long transaction(int inserts, int updates, int deletes) {
    long begin = lsn;
    long commitLsn = begin + 10L * (inserts + updates + deletes) + 5;
    long end = commitLsn + 1;
    lsn = end + 10;
    feed.add(new Begin(LogSequenceNumber.valueOf(commitLsn), 0, begin));
    int nextId = table.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
    for (int i = 0; i < inserts; i++) {
      Row row = row(nextId + i, (nextId + i) % 7, (nextId + i) % 5, "1.50");
      table.put(nextId + i, row);
      feed.add(new Insert(RELATION, tuple(row)));
    }
    List<Integer> ids = new ArrayList<>(table.keySet());
    for (int i = 0; i < updates && i < ids.size(); i++) {
      Row old = table.get(ids.get(i));
      Row next = row(ids.get(i), (((Number) old.get(1)).intValue() + 1) % 7,
          (((Number) old.get(2)).intValue() + 2) % 6, old.get(3).toString());
      table.put(ids.get(i), next);
      feed.add(new Update(RELATION, 'O', tuple(old), tuple(next)));
    }
    for (int i = 0; i < deletes && i < ids.size(); i++) {
      Row old = table.remove(ids.get(ids.size() - 1 - i));
      if (old != null) {
        feed.add(new Delete(RELATION, 'O', tuple(old)));
      }
    }
    feed.add(new Commit(0, LogSequenceNumber.valueOf(commitLsn), LogSequenceNumber.valueOf(end), 0));
    ZSet contents = new ZSet();
    table.values().forEach(r -> contents.add(r, 1));
    tableAt.put(end, contents);
    return end;
  }

  /** A base row with the values the loop parses from the stream's text. */
  private static Row row(int id, int orderId, int qty, String price) {
    String[] text = {String.valueOf(id), String.valueOf(orderId), String.valueOf(qty), price};
    Object[] values = new Object[text.length];
    for (int i = 0; i < text.length; i++) {
      values[i] = Values.parse(text[i], LINES.columnTypes().get(i));
    }
    return Row.wrap(values);
  }

  private static TupleData tuple(Row row) {
    TupleData.Builder b = TupleData.builder(row.size());
    for (int i = 0; i < row.size(); i++) {
      b.text(Values.toPgText(row.get(i)));
    }
    return b.build();
  }

  /** Each commit's result tables equal the views recomputed from the base table at the recorded LSN. */
  private void assertEveryCommitIsARealCommitPoint() {
    assertFalse(target.commits.isEmpty());
    for (FakeTarget.CommitRecord c : target.commits) {
      if (c.lsn == null) {
        continue; // an activation
      }
      ZSet base = tableAt.get(c.lsn.asLong());
      assertNotNull(base, "recorded LSN " + c.lsn + " is not the end of a source transaction");
      for (MaintainedView v : views) {
        ViewPipeline fresh = v.newPipeline();
        ZSet expected = fresh.onChanges(Map.of(0, base));
        assertEquals(expected, c.tables.getOrDefault(v, new ZSet()), v.record().definition() + " at " + c.lsn);
      }
    }
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(5); // polling a condition, bounded
    }
  }

  @Test
  void aLargeTransactionIsWrittenInChunksButCommittedOnce() throws Exception {
    long first = transaction(30, 0, 0);
    start(new ApplyLoop.Limits(10, 100, 50_000, Duration.ofSeconds(10)));
    await("first transaction", () -> feed.confirmed() >= first);
    int commitsBefore = target.commits.size();
    int writesBefore = target.writes;
    long big = transaction(95, 20, 10);
    await("large transaction", () -> feed.confirmed() >= big);
    assertEquals(commitsBefore + 1, target.commits.size(), "one target commit for the large source transaction");
    assertTrue(target.writes - writesBefore >= 10, "written in chunks: " + (target.writes - writesBefore));
    assertEquals(big, target.commits.get(target.commits.size() - 1).lsn.asLong());
    assertEveryCommitIsARealCommitPoint();
    assertTrue(feed.confirmOrderOk, "slot confirmed only after the commit recording that position");
  }

  @Test
  void waitingTransactionsAreBatchedAndTheLastEndLsnIsRecorded() throws Exception {
    List<Long> ends = new ArrayList<>();
    for (int t = 0; t < 250; t++) {
      ends.add(transaction(3, t % 3, t % 2));
    }
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(30)));
    long last = ends.get(ends.size() - 1);
    await("all transactions", () -> feed.confirmed() >= last);
    List<Long> recorded = target.commits.stream().filter(c -> c.lsn != null).map(c -> c.lsn.asLong()).toList();
    assertEquals(List.of(ends.get(99), ends.get(199), last), recorded, "batches of 100, ending at a transaction's end");
    assertEveryCommitIsARealCommitPoint();
    assertTrue(feed.confirmOrderOk, "slot confirmed only after the commit recording that position");
    assertEquals(last, loop.position());
  }

  @Test
  void aLoneTransactionIsCommittedWithoutWaitingForMore() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofHours(1)));
    long end = transaction(5, 0, 0);
    await("lone transaction", () -> feed.confirmed() >= end);
    assertEquals(end, target.commits.get(target.commits.size() - 1).lsn.asLong());
    assertEveryCommitIsARealCommitPoint();
  }

  @Test
  void aFailingWriteRollsBackAndStopsTheLoopWithoutConfirming() throws Exception {
    long first = transaction(5, 0, 0);
    start(new ApplyLoop.Limits(10, 100, 50_000, Duration.ofSeconds(10)));
    await("first transaction", () -> feed.confirmed() >= first);
    target.failAfterWrites = target.writes + 3;
    transaction(80, 0, 0);
    await("loop to stop", () -> !loop.isRunning());
    assertNotNull(loop.failure());
    assertEquals(first, feed.confirmed());
    assertTrue(target.rollbacks > 0);
    assertEveryCommitIsARealCommitPoint();
  }

  @Test
  void theChunksOfALoadingViewAreBufferedAndReplayedWhenItIsActivated() throws Exception {
    loop = new ApplyLoop(feed, target, LogSequenceNumber.INVALID_LSN, v -> { },
        new ApplyLoop.Limits(10, 100, 50_000, Duration.ofSeconds(10)));
    MaintainedView v = new MaintainedView(new ViewRecord("public", "loading", GROUPED, List.of("public.order_lines"),
        "sql", "snapshotting", null, "public", null), List.of(LINES), null,
        () -> ViewCompiler.compile(SqlFixture.plan(GROUPED)));
    views.add(v);
    loop.submit(() -> loop.addView(v));
    thread = new Thread(loop, "apply-loop-test");
    thread.start();
    long end = transaction(95, 0, 0);
    await("large transaction", () -> feed.confirmed() >= end);
    assertTrue(target.commits.isEmpty(), "nothing is written for a loading view");
    // The snapshot was taken before the transaction (empty table): activation replays every buffered chunk.
    java.util.concurrent.CompletableFuture<Void> activated = new java.util.concurrent.CompletableFuture<>();
    loop.submit(() -> {
      try {
        loop.activate(v, v.newPipeline(), LogSequenceNumber.valueOf(1));
        activated.complete(null);
      } catch (Exception e) {
        activated.completeExceptionally(e);
      }
    });
    activated.get(20, TimeUnit.SECONDS);
    ZSet expected = v.newPipeline().onChanges(Map.of(0, tableAt.get(end)));
    assertEquals(expected, target.committed.get(v));
    assertTrue(v.buffer().isEmpty());
  }

  /** A scripted feed that checks every confirmation against the target's commits. */
  private final class FakeFeed implements ChangeFeed {
    private final LinkedBlockingQueue<ReplicationEvent> events = new LinkedBlockingQueue<>();
    private volatile long confirmed;
    private volatile boolean confirmOrderOk = true;

    void add(PgOutputMessage m) {
      events.add(new ReplicationEvent.Change(LogSequenceNumber.valueOf(lsn), m));
    }

    long confirmed() {
      return confirmed;
    }

    @Override
    public ReplicationEvent poll(Duration timeout) throws InterruptedException {
      return events.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    @Override
    public void confirm(LogSequenceNumber position) {
      synchronized (target) {
        boolean committed = target.commits.stream().anyMatch(c -> c.lsn != null && c.lsn.asLong() >= position.asLong());
        boolean nothingWritten = target.pending.isEmpty();
        if (!committed && !nothingWritten) {
          confirmOrderOk = false;
        }
      }
      confirmed = Math.max(confirmed, position.asLong());
    }

    @Override
    public void close() {
    }
  }

  /** Result tables as Z-sets: writes go to a pending copy, commit publishes it. */
  private static final class FakeTarget implements ApplyTarget {
    record CommitRecord(LogSequenceNumber lsn, Map<MaintainedView, ZSet> tables) {
    }

    final List<CommitRecord> commits = new ArrayList<>();
    final Map<MaintainedView, ZSet> committed = new HashMap<>();
    final Map<MaintainedView, ZSet> pending = new HashMap<>();
    volatile int writes;
    volatile int rollbacks;
    volatile int failAfterWrites = Integer.MAX_VALUE;
    private LogSequenceNumber recorded;

    @Override
    public void open() {
    }

    @Override
    public synchronized void write(MaintainedView view, ZSet delta) throws SQLException {
      if (writes >= failAfterWrites) {
        throw new SQLException("injected failure", "08006");
      }
      writes++;
      if (view.record().definition().contains("GROUP BY")) {
        Map<Object, Integer> added = new HashMap<>();
        delta.forEach((row, w) -> {
          if (w > 0 && (w != 1 || added.merge(row.get(0), 1, Integer::sum) > 1)) {
            throw new AssertionError("several new rows for key " + row.get(0) + " in one sink call");
          }
        });
      }
      pending.computeIfAbsent(view, v -> committed.getOrDefault(v, new ZSet()).copy()).addAll(delta);
    }

    @Override
    public void markReady(MaintainedView view) {
    }

    @Override
    public synchronized void recordApplied(LogSequenceNumber lsn) {
      recorded = lsn;
    }

    @Override
    public synchronized void commit() {
      committed.putAll(pending);
      pending.clear();
      Map<MaintainedView, ZSet> copy = new HashMap<>();
      committed.forEach((v, z) -> copy.put(v, z.copy()));
      commits.add(new CommitRecord(recorded, copy));
      recorded = null;
    }

    @Override
    public synchronized void rollback() {
      pending.clear();
      recorded = null;
      rollbacks++;
    }

    @Override
    public boolean isBroken() {
      return false;
    }

    @Override
    public void close() {
    }
  }
}
