package io.deltaview.engine.apply;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
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
  /** The relation id the scripted changes name. */
  private int relationId = RELATION;
  private ApplyLoop loop;
  private Thread thread;
  private final List<MaintainedView> views = new ArrayList<>();
  /** Views the loop reported failed, in order. */
  private final List<MaintainedView> failed = new java.util.concurrent.CopyOnWriteArrayList<>();

  @AfterEach
  void stopLoop() throws InterruptedException {
    if (loop != null) {
      loop.stop();
      thread.join(5000);
    }
  }

  ApplyLoopTest() {
    feed.add(new Relation(RELATION, "public", "order_lines", 'f', List.of(new Column(1, "id", 23, -1),
        new Column(0, "order_id", 23, -1), new Column(0, "qty", 23, -1), new Column(0, "price", 1700, 655366))));
  }

  /** The columns of order_lines as the catalog has them when the views are planned. */
  private static final List<TableShape.Column> PLANNED = List.of(new TableShape.Column("id", 1, 23, -1, "integer"),
      new TableShape.Column("order_id", 2, 23, -1, "integer"), new TableShape.Column("qty", 3, 23, -1, "integer"),
      new TableShape.Column("price", 4, 1700, 655366, "numeric(10,2)"));

  /** The partitions or inheritance children the views' base table is planned with. */
  private List<TableShape.Descendant> descendants = List.of();

  private void start(ApplyLoop.Limits limits) {
    start(limits, GROUPED, FILTERED);
  }

  private void start(ApplyLoop.Limits limits, String... sqls) {
    if (loop == null) {
      loop = new ApplyLoop(feed, target, LogSequenceNumber.INVALID_LSN, v -> { }, failed::add, limits);
    }
    for (String sql : sqls) {
      addView(sql);
    }
    thread = new Thread(loop, "apply-loop-test");
    thread.start();
  }

  /** Adds a view of {@code sql}, over order_lines planned with {@link #descendants}, active from the start. */
  private void addView(String sql) {
    ViewPipeline compiled = ViewCompiler.compile(SqlFixture.plan(sql));
    MaintainedView v = new MaintainedView(new ViewRecord("public", "v" + views.size(), sql,
        List.of("public.order_lines"), "sql", ViewState.SNAPSHOTTING, null, "public", null),
        // as the engine does: only the columns the view reads are parsed (neither view reads price)
        List.of(new TableShape(LINES.schema(), LINES.name(), LINES.columnNames(), LINES.columnTypes(),
            compiled.readColumns(0), RELATION, PLANNED, descendants)), null,
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
      feed.add(new Insert(relationId, tuple(row)));
    }
    List<Integer> ids = new ArrayList<>(table.keySet());
    for (int i = 0; i < updates && i < ids.size(); i++) {
      Row old = table.get(ids.get(i));
      Row next = row(ids.get(i), (((Number) old.get(1)).intValue() + 1) % 7,
          (((Number) old.get(2)).intValue() + 2) % 6, old.get(3).toString());
      table.put(ids.get(i), next);
      feed.add(new Update(relationId, 'O', tuple(old), tuple(next)));
    }
    for (int i = 0; i < deletes && i < ids.size(); i++) {
      Row old = table.remove(ids.get(ids.size() - 1 - i));
      if (old != null) {
        feed.add(new Delete(relationId, 'O', tuple(old)));
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

  /**
   * A tuple as the stream sends it after the latest Relation message: per streamed column, the base row's
   * column it carries (by index into {@link #LINES}), or -1 for a column the test's rows lack (sent as text).
   */
  private int[] streamedFrom = {0, 1, 2, 3};

  private TupleData tuple(Row row) {
    TupleData.Builder b = TupleData.builder(streamedFrom.length);
    for (int from : streamedFrom) {
      b.text(from < 0 ? "extra" : Values.toPgText(row.get(from)));
    }
    return b.build();
  }

  /** A Relation message for order_lines (relation {@code relationId}) with {@code columns}. */
  private void relation(int relationId, char identity, int[] from, Column... columns) {
    streamedFrom = from;
    feed.add(new Relation(relationId, "public", "order_lines", identity, List.of(columns)));
  }

  private static Column column(String name, int typeOid) {
    return new Column(name.equals("id") ? 1 : 0, name, typeOid, typeOid == 1700 ? 655366 : -1);
  }

  /** Begins a source transaction of {@code inserts} new rows that does not commit (yet). */
  private void openTransaction(int inserts) {
    feed.add(new Begin(LogSequenceNumber.valueOf(lsn + 100_000), 0, lsn));
    int nextId = table.keySet().stream().mapToInt(Integer::intValue).max().orElse(0) + 1;
    for (int i = 0; i < inserts; i++) {
      feed.add(new Insert(RELATION, tuple(row(nextId + i, (nextId + i) % 7, (nextId + i) % 5, "1.50"))));
    }
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
        if (v.state() == MaintainedView.State.FAILED) {
          continue; // its table is replaced when it is rebuilt
        }
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

  /**
   * A view restored from a checkpoint at L whose result table holds the stream up to P (later than L): the
   * transactions between L and P go through its operators without being written again, the later ones are
   * written, every commit shows the view at a real commit point, and the slot is never confirmed past what the
   * checkpoints retain.
   */
  @Test
  void aViewRestoredFromACheckpointCatchesUpWithoutWritingWhatItsTableHolds() throws Exception {
    List<Long> ends = new ArrayList<>();
    for (int t = 0; t < 6; t++) {
      ends.add(transaction(4, t % 3, t % 2));
    }
    long checkpointAt = ends.get(1);
    long tableAt = ends.get(3);
    ViewPipeline restored = ViewCompiler.compile(SqlFixture.plan(GROUPED));
    restored.onChanges(Map.of(0, this.tableAt.get(checkpointAt)));
    MaintainedView v = new MaintainedView(new ViewRecord("public", "restored", GROUPED,
        List.of("public.order_lines"), "sql", ViewState.READY, null, "public", null),
        List.of(new TableShape(LINES.schema(), LINES.name(), LINES.columnNames(), LINES.columnTypes(),
            restored.readColumns(0), RELATION, PLANNED)), null, () -> ViewCompiler.compile(SqlFixture.plan(GROUPED)));
    views.add(v);
    target.committed.put(v, ViewCompiler.compile(SqlFixture.plan(GROUPED)).onChanges(Map.of(0,
        this.tableAt.get(tableAt))));
    RecordedCheckpoints retaining = new RecordedCheckpoints(checkpointAt);
    loop = new ApplyLoop(feed, target, LogSequenceNumber.valueOf(checkpointAt), x -> { }, failed::add,
        new ApplyLoop.Limits(50_000, 1, 50_000, Duration.ofSeconds(10)), retaining);
    v.activate(restored, LogSequenceNumber.valueOf(checkpointAt), LogSequenceNumber.valueOf(tableAt));
    loop.addView(v);
    thread = new Thread(loop, "apply-loop-test");
    thread.start();
    long last = ends.get(ends.size() - 1);
    await("all transactions", () -> loop.position() >= last);
    List<Long> recorded = target.commits.stream().filter(c -> c.lsn != null).map(c -> c.lsn.asLong()).toList();
    assertEquals(ends.subList(4, 6), recorded, "only the transactions after the table's position are written");
    assertEveryCommitIsARealCommitPoint();
    assertEquals(checkpointAt, feed.confirmed(), "the slot keeps the WAL since the checkpoint");
    assertTrue(v.stateChangedSinceCheckpoint(), "the state moved on since its checkpoint");
  }

  /**
   * A clean stop asked while a source transaction is under way: the loop goes on to that transaction's end, so
   * that it stops between transactions and the checkpoints are brought to its position (stopping inside it
   * would leave them, and the slot, at the last periodic checkpoint).
   */
  @Test
  void aCleanStopInsideASourceTransactionFinishesItAndCheckpointsAtItsEnd() throws Exception {
    long first = transaction(3, 0, 0);
    RecordedCheckpoints checkpoints = new RecordedCheckpoints(Long.MAX_VALUE);
    loop = new ApplyLoop(feed, target, LogSequenceNumber.INVALID_LSN, v -> { }, failed::add,
        new ApplyLoop.Limits(50_000, 1, 50_000, Duration.ofSeconds(10)), checkpoints);
    start(null);
    await("first transaction", () -> feed.confirmed() >= first);
    openTransaction(4);
    await("the open transaction's rows taken", feed.events::isEmpty);
    loop.stopWithCheckpoints();
    // The loop sees the stop while the transaction is still open (it looks for events again, finding none)...
    int polled = feed.polls.get();
    await("the loop to look for the transaction's end after the stop", () -> feed.polls.get() >= polled + 2);
    // ...and only then does the transaction's end arrive.
    long commitLsn = lsn + 100_000;
    long end = commitLsn + 1;
    feed.add(new Commit(0, LogSequenceNumber.valueOf(commitLsn), LogSequenceNumber.valueOf(end), 0));
    thread.join(10_000);
    assertFalse(thread.isAlive(), "the loop stopped");
    assertEquals(List.of(end), checkpoints.stoppedAt, "checkpointed once, at the end of the transaction under way");
    assertEquals(end, target.commits.get(target.commits.size() - 1).lsn.asLong(), "the transaction was committed");
    assertEquals(end, feed.confirmed(), "and the slot confirmed there");
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
  void aTruncateAfterChunksStopsServingTheViewsInTheCommitThatShowsTheChunks() throws Exception {
    long first = transaction(5, 0, 0);
    start(new ApplyLoop.Limits(10, 100, 50_000, Duration.ofSeconds(10)));
    await("first transaction", () -> feed.confirmed() >= first);
    await("views active", () -> views.stream().allMatch(v -> v.state() == MaintainedView.State.ACTIVE));
    int commitsBefore = target.commits.size();
    int writesBefore = target.writes;
    // One source transaction: 30 inserts (written in chunks of 10 before the commit), then a TRUNCATE.
    long begin = lsn;
    long commitLsn = begin + 400;
    long end = commitLsn + 1;
    lsn = end + 10;
    feed.add(new Begin(LogSequenceNumber.valueOf(commitLsn), 0, begin));
    for (int i = 0; i < 30; i++) {
      feed.add(new Insert(relationId, tuple(row(1000 + i, i % 7, i % 5, "1.50"))));
    }
    feed.add(new PgOutputMessage.Truncate(0, new int[] {relationId}));
    feed.add(new Commit(0, LogSequenceNumber.valueOf(commitLsn), LogSequenceNumber.valueOf(end), 0));
    await("the transaction", () -> feed.confirmed() >= end);
    assertTrue(target.writes - writesBefore >= 3, "chunks were written before the TRUNCATE arrived");
    for (MaintainedView v : views) {
      assertEquals(MaintainedView.State.PENDING, v.state(), v.qualifiedName() + " waits for its reload");
      assertEquals(commitsBefore, target.markedLoading.get(v),
          "marked loading in the target transaction that commits the chunks, not after it");
    }
    assertEquals(commitsBefore + 1, target.commits.size());
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
    loop = new ApplyLoop(feed, target, LogSequenceNumber.INVALID_LSN, v -> { }, failed::add,
        new ApplyLoop.Limits(10, 100, 50_000, Duration.ofSeconds(10)));
    MaintainedView v = new MaintainedView(new ViewRecord("public", "loading", GROUPED, List.of("public.order_lines"),
        "sql", ViewState.SNAPSHOTTING, null, "public", null), List.of(LINES), null,
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

  @Test
  void aViewLoadedFromASnapshotAheadOfTheStreamIsAheadUntilTheLoopPassesIt() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)), GROUPED);
    long first = transaction(5, 0, 0);
    awaitAll(first);
    assertFalse(views.get(0).aheadOf(loop.position()), "a view applied with the stream is never ahead");
    MaintainedView late = new MaintainedView(new ViewRecord("public", "late", FILTERED, List.of("public.order_lines"),
        "sql", ViewState.SNAPSHOTTING, null, "public", null), List.of(LINES), null,
        () -> ViewCompiler.compile(SqlFixture.plan(FILTERED)));
    // its snapshot saw the transactions up to second's end, which the loop has not read yet
    long snapshotPoint = lsn + 100;
    java.util.concurrent.CompletableFuture<Void> activated = new java.util.concurrent.CompletableFuture<>();
    loop.submit(() -> {
      try {
        loop.addView(late);
        loop.activate(late, late.newPipeline(), LogSequenceNumber.valueOf(snapshotPoint));
        activated.complete(null);
      } catch (Exception e) {
        activated.completeExceptionally(e);
      }
    });
    activated.get(20, TimeUnit.SECONDS);
    assertTrue(late.aheadOf(loop.position()), "loaded past the loop's position " + loop.position());
    assertFalse(views.get(0).aheadOf(loop.position()));
    long second = 0;
    while (second < snapshotPoint) {
      second = transaction(2, 1, 0);
    }
    awaitAll(second);
    assertFalse(late.aheadOf(loop.position()), "the loop passed its snapshot point");
    assertFalse(views.get(0).aheadOf(loop.position()));
  }

  // ---------------------------------------------------------------- a view is the unit of failure

  private static final String DIVIDING = "SELECT id, 60 / (qty - 3) AS r FROM order_lines";
  private static final String ORDER_COUNTS = "SELECT order_id, count(*) AS n FROM order_lines GROUP BY order_id";
  private static final String TOTALS = "SELECT count(*) AS n, sum(qty) AS s, min(qty) AS m FROM order_lines";

  private void awaitAll(long end) throws InterruptedException {
    await("transactions up to " + end, () -> feed.confirmed() >= end);
  }

  @Test
  void aViewThatCannotBeComputedFailsAloneWithPostgresqlsSqlState() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)), GROUPED, FILTERED, DIVIDING);
    long end = 0;
    for (int t = 0; t < 20; t++) {
      end = transaction(3, t % 3, t % 2); // qty = id % 5: id 3 has qty 3, and 60 / (3 - 3) fails
    }
    awaitAll(end);
    MaintainedView dividing = views.get(2);
    assertEquals(MaintainedView.State.FAILED, dividing.state());
    assertEquals("22012", dividing.lastErrorSqlState());
    assertEquals("division by zero", dividing.lastError());
    assertTrue(dividing.failure().retryable(), "the bad row may be fixed");
    assertEquals(List.of(dividing), failed);
    assertTrue(target.markedFailed.contains("v2 22012"), target.markedFailed.toString());
    assertEquals(MaintainedView.State.ACTIVE, views.get(0).state());
    assertEquals(MaintainedView.State.ACTIVE, views.get(1).state());
    assertEquals(end, target.commits.get(target.commits.size() - 1).lsn.asLong());
    assertEveryCommitIsARealCommitPoint();
    assertTrue(loop.isRunning());
  }

  @Test
  void aViewWhoseWriteFailsFailsAloneAndTheOthersAreWrittenAgain() throws Exception {
    long first = transaction(5, 0, 0);
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)));
    awaitAll(first);
    // Rejected: the view written first in each batch, so that the other view's writes follow its failure.
    MaintainedView other = views.get(0);
    MaintainedView survivor = views.get(1);
    target.rejecting.put(other, "23514");
    long end = 0;
    for (int t = 0; t < 30; t++) {
      end = transaction(3, 1, 1);
    }
    awaitAll(end);
    assertEquals(MaintainedView.State.FAILED, other.state());
    assertEquals("23514", other.lastErrorSqlState());
    assertEquals(MaintainedView.State.ACTIVE, survivor.state());
    assertTrue(target.rollbacks > 0, "the aborted target transaction was rolled back");
    assertEquals(0, target.isolatedWrites, "no savepoints for batches of whole transactions");
    assertEquals(end, target.commits.get(target.commits.size() - 1).lsn.asLong());
    assertEveryCommitIsARealCommitPoint();
    assertEquals(List.of(other), failed);
    assertTrue(loop.isRunning());
  }

  @Test
  void afterAChunkIsWrittenEachViewWritesUnderASavepoint() throws Exception {
    long first = transaction(5, 0, 0);
    start(new ApplyLoop.Limits(10, 100, 50_000, Duration.ofSeconds(10)));
    awaitAll(first);
    MaintainedView other = views.get(0);
    target.rejecting.put(other, "23505");
    long big = transaction(95, 20, 10);
    awaitAll(big);
    assertEquals(MaintainedView.State.FAILED, other.state());
    assertEquals("23505", other.lastErrorSqlState());
    assertTrue(target.isolatedWrites > 0, "chunk writes are isolated");
    assertEquals(MaintainedView.State.ACTIVE, views.get(1).state());
    assertEquals(big, target.commits.get(target.commits.size() - 1).lsn.asLong());
    assertEveryCommitIsARealCommitPoint();
  }

  @Test
  void columnsAddedDroppedOrRenamedThatNoViewReadsChangeNothing() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)));
    long before = transaction(10, 2, 1);
    awaitAll(before);
    // price (read by no view) renamed, a column added: the catalog agrees with the stream.
    target.catalog = List.of(PLANNED.get(0), PLANNED.get(1), PLANNED.get(2),
        new TableShape.Column("unit_price", 4, 1700, 655366, "numeric(10,2)"),
        new TableShape.Column("note", 5, 25, -1, "text"));
    relation(RELATION, 'f', new int[] {0, 1, 2, 3, -1}, column("id", 23), column("order_id", 23),
        column("qty", 23), column("unit_price", 1700), column("note", 25));
    long end = 0;
    for (int t = 0; t < 10; t++) {
      end = transaction(3, 2, 1);
    }
    awaitAll(end);
    assertTrue(failed.isEmpty(), "no view failed: " + failed);
    assertEveryCommitIsARealCommitPoint();
    // and then price is dropped: still nothing any view reads
    target.catalog = List.of(PLANNED.get(0), PLANNED.get(1), PLANNED.get(2),
        new TableShape.Column("note", 5, 25, -1, "text"));
    relation(RELATION, 'f', new int[] {0, 1, 2, -1}, column("id", 23), column("order_id", 23),
        column("qty", 23), column("note", 25));
    long last = transaction(4, 2, 2);
    awaitAll(last);
    assertTrue(failed.isEmpty(), "no view failed: " + failed);
    assertEveryCommitIsARealCommitPoint();
  }

  /**
   * Changes of the table's descendants (a partition whose columns are in another order plus one of its own, a
   * sub-partition, and the table itself, as an inheritance parent holds rows) are changes of the table's rows,
   * read by column name; a descendant's changes reach only views planned with it, and a TRUNCATE of one
   * reloads the views over the table.
   */
  @Test
  void changesOfDescendantsAreChangesOfTheTablesRows() throws Exception {
    int partA = RELATION + 10;
    int partB = RELATION + 11;
    int stranger = RELATION + 12;
    descendants = List.of(new TableShape.Descendant(partA, "public", "order_lines_a", 'r'),
        new TableShape.Descendant(RELATION + 20, "public", "order_lines_sub", 'p'),
        new TableShape.Descendant(partB, "public", "order_lines_sub_b", 'r'));
    List<MaintainedView> reloads = new java.util.concurrent.CopyOnWriteArrayList<>();
    loop = new ApplyLoop(feed, target, LogSequenceNumber.INVALID_LSN, reloads::addAll, failed::add,
        new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)));
    start(null, GROUPED, FILTERED);
    feed.add(new Relation(partA, "public", "order_lines_a", 'f', List.of(column("price", 1700),
        column("note", 25), column("qty", 23), column("id", 23), column("order_id", 23))));
    feed.add(new Relation(partB, "public", "order_lines_sub_b", 'f', List.of(column("id", 23),
        column("order_id", 23), column("qty", 23), column("price", 1700))));
    long end = 0;
    int[][] layouts = {{3, -1, 2, 0, 1}, {0, 1, 2, 3}, {0, 1, 2, 3}};
    int[] relations = {partA, partB, RELATION};
    for (int t = 0; t < 12; t++) {
      relationId = relations[t % 3];
      streamedFrom = layouts[t % 3];
      end = transaction(4, 2, 1);
    }
    awaitAll(end);
    assertTrue(failed.isEmpty(), "no view failed: " + failed);
    assertEveryCommitIsARealCommitPoint();
    // A relation that is no descendant of the table (a partition attached since) reaches no view.
    feed.add(new Relation(stranger, "public", "order_lines_c", 'f', List.of(column("id", 23),
        column("order_id", 23), column("qty", 23), column("price", 1700))));
    feed.add(new Begin(LogSequenceNumber.valueOf(lsn + 5), 0, lsn));
    feed.add(new Insert(stranger, tuple(row(99_999, 1, 4, "1.50"))));
    feed.add(new Commit(0, LogSequenceNumber.valueOf(lsn + 5), LogSequenceNumber.valueOf(lsn + 6), 0));
    tableAt.put(lsn + 6, tableAt.get(end));
    lsn += 20;
    relationId = RELATION;
    end = transaction(2, 1, 0); // written: the views' tables would show the stranger's row
    awaitAll(end);
    assertEveryCommitIsARealCommitPoint();
    // A TRUNCATE of one partition reloads every view over the table.
    feed.add(new Begin(LogSequenceNumber.valueOf(lsn + 5), 0, lsn));
    feed.add(new PgOutputMessage.Truncate(0, new int[] {partB}));
    feed.add(new Commit(0, LogSequenceNumber.valueOf(lsn + 5), LogSequenceNumber.valueOf(lsn + 6), 0));
    await("the views reloaded", () -> reloads.size() == 2);
    assertEquals(java.util.Set.copyOf(views), java.util.Set.copyOf(reloads));
  }

  /**
   * Two views of one table loaded over different descendants (one before a partition was attached, one after):
   * each is fed the changes of its own descendants only, whichever view the loop's merged layouts came from.
   */
  @Test
  void aViewIsNeverFedTheChangesOfAPartitionItWasNotLoadedOver() throws Exception {
    int partA = RELATION + 10;
    int partB = RELATION + 11;
    loop = new ApplyLoop(feed, target, LogSequenceNumber.INVALID_LSN, v -> { }, failed::add,
        new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)));
    descendants = List.of(new TableShape.Descendant(partA, "public", "order_lines_a", 'r'));
    addView(FILTERED);
    descendants = List.of(new TableShape.Descendant(partA, "public", "order_lines_a", 'r'),
        new TableShape.Descendant(partB, "public", "order_lines_b", 'r'));
    addView(FILTERED);
    thread = new Thread(loop, "apply-loop-test");
    thread.start();
    feed.add(new Relation(partB, "public", "order_lines_b", 'f', List.of(column("id", 23),
        column("order_id", 23), column("qty", 23), column("price", 1700))));
    relationId = partB;
    long end = transaction(10, 0, 0);
    awaitAll(end);
    ZSet expected = views.get(1).newPipeline().onChanges(Map.of(0, tableAt.get(end)));
    assertFalse(expected.isEmpty());
    assertEquals(expected, target.committed.getOrDefault(views.get(1), new ZSet()));
    assertEquals(new ZSet(), target.committed.getOrDefault(views.get(0), new ZSet()),
        "the view loaded without order_lines_b got none of its rows");
  }

  @Test
  void aTypeChangeOfAReadColumnFailsExactlyTheViewsReadingIt() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)), GROUPED, FILTERED, ORDER_COUNTS);
    long before = transaction(10, 0, 0);
    awaitAll(before);
    target.catalog = List.of(PLANNED.get(0), PLANNED.get(1), new TableShape.Column("qty", 3, 1700, -1, "numeric"),
        PLANNED.get(3));
    relation(RELATION, 'f', new int[] {0, 1, 2, 3}, column("id", 23), column("order_id", 23),
        new Column(0, "qty", 1700, -1), column("price", 1700));
    long end = transaction(5, 3, 1);
    awaitAll(end);
    for (MaintainedView v : List.of(views.get(0), views.get(1))) {
      assertEquals(MaintainedView.State.FAILED, v.state(), v.record().definition());
      assertEquals("42804", v.lastErrorSqlState());
      assertEquals("column qty of public.order_lines changed type from integer to numeric; re-create the view",
          v.lastError());
      assertFalse(v.failure().retryable(), "rebuilding with the old plan cannot help");
    }
    assertEquals(MaintainedView.State.ACTIVE, views.get(2).state(), "the view not reading qty goes on");
    assertEquals(2, failed.size());
    assertEveryCommitIsARealCommitPoint();
  }

  @Test
  void aReadColumnRenamedOrReplacedFailsItsViews() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)), GROUPED, ORDER_COUNTS);
    awaitAll(transaction(5, 0, 0));
    // qty renamed away and another integer column renamed to qty: same name and type in the stream, but not
    // the column the view was planned with (its number differs), so the view must not read it.
    target.catalog = List.of(PLANNED.get(0), PLANNED.get(1), new TableShape.Column("qty_old", 3, 23, -1, "integer"),
        PLANNED.get(3), new TableShape.Column("qty", 5, 23, -1, "integer"));
    relation(RELATION, 'f', new int[] {0, 1, 2, 3, 2}, column("id", 23), column("order_id", 23),
        column("qty_old", 23), column("price", 1700), column("qty", 23));
    awaitAll(transaction(3, 1, 0));
    assertEquals(MaintainedView.State.FAILED, views.get(0).state());
    assertEquals("0A000", views.get(0).lastErrorSqlState());
    assertEquals("column qty of public.order_lines was renamed to qty_old; re-create the view",
        views.get(0).lastError());
    assertEquals(MaintainedView.State.ACTIVE, views.get(1).state());
    assertEveryCommitIsARealCommitPoint();
  }

  @Test
  void aTableDroppedAndCreatedAgainFailsItsViews() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)));
    awaitAll(transaction(5, 0, 0));
    relation(RELATION + 1, 'f', new int[] {0, 1, 2, 3}, column("id", 23), column("order_id", 23),
        column("qty", 23), column("price", 1700));
    table.clear();
    relationId = RELATION + 1;
    awaitAll(transaction(3, 0, 0));
    for (MaintainedView v : views) {
      assertEquals(MaintainedView.State.FAILED, v.state());
      assertEquals("0A000", v.lastErrorSqlState());
      assertTrue(v.lastError().contains("dropped and created again"), v.lastError());
    }
  }

  @Test
  void replicaIdentityNoLongerFullFailsTheViewsWithARetryableError() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)));
    awaitAll(transaction(5, 0, 0));
    relation(RELATION, 'd', new int[] {0, 1, 2, 3}, column("id", 23), column("order_id", 23),
        column("qty", 23), column("price", 1700));
    awaitAll(transaction(3, 1, 0));
    for (MaintainedView v : views) {
      assertEquals(MaintainedView.State.FAILED, v.state());
      assertEquals("55000", v.lastErrorSqlState());
      assertTrue(v.lastError().contains("REPLICA IDENTITY FULL"), v.lastError());
      assertTrue(v.failure().retryable());
    }
  }

  @Test
  void aDeleteWithoutTheWholeOldRowFailsOnlyTheViewsThatCannotRetractIt() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)), GROUPED, TOTALS,
        "SELECT id FROM order_lines");
    awaitAll(transaction(8, 0, 0));
    // A delete carrying only the key (id): a view reading only id can retract it, one summing qty cannot.
    long commitLsn = lsn + 20;
    feed.add(new Begin(LogSequenceNumber.valueOf(commitLsn), 0, lsn));
    Row gone = table.remove(8);
    TupleData.Builder key = TupleData.builder(4);
    key.text(Values.toPgText(gone.get(0))).nul().nul().nul();
    feed.add(new Delete(RELATION, 'K', key.build()));
    feed.add(new Commit(0, LogSequenceNumber.valueOf(commitLsn), LogSequenceNumber.valueOf(commitLsn + 1), 0));
    ZSet contents = new ZSet();
    table.values().forEach(r -> contents.add(r, 1));
    tableAt.put(commitLsn + 1, contents);
    lsn = commitLsn + 10;
    awaitAll(commitLsn + 1);
    assertEquals(MaintainedView.State.FAILED, views.get(0).state());
    assertEquals(MaintainedView.State.FAILED, views.get(1).state());
    assertTrue(views.get(1).lastError().contains("REPLICA IDENTITY FULL"), views.get(1).lastError());
    assertEquals(MaintainedView.State.ACTIVE, views.get(2).state(), views.get(2).lastError());
    assertEveryCommitIsARealCommitPoint();
  }

  @Test
  void aWholeTableAggregateLoadedFromEmptyTablesGetsItsRowOnActivation() throws Exception {
    loop = new ApplyLoop(feed, target, LogSequenceNumber.INVALID_LSN, v -> { }, failed::add,
        new ApplyLoop.Limits(10, 100, 50_000, Duration.ofSeconds(10)));
    MaintainedView v = new MaintainedView(new ViewRecord("public", "totals", TOTALS, List.of("public.order_lines"),
        "sql", ViewState.SNAPSHOTTING, null, "public", null), List.of(LINES), null,
        () -> ViewCompiler.compile(SqlFixture.plan(TOTALS)));
    views.add(v);
    java.util.concurrent.CompletableFuture<Void> activated = new java.util.concurrent.CompletableFuture<>();
    loop.submit(() -> {
      loop.addView(v);
      try {
        loop.activate(v, v.newPipeline(), LogSequenceNumber.valueOf(1)); // as loaded from empty tables
        activated.complete(null);
      } catch (Exception e) {
        activated.completeExceptionally(e);
      }
    });
    thread = new Thread(loop, "apply-loop-test");
    thread.start();
    activated.get(20, TimeUnit.SECONDS);
    assertEquals(ZSet.of(Row.of(0L, null, null), 1L), target.committed.get(v));
  }

  // ---------------------------------------------------------------- positions and resuming

  @Test
  void anIdleStreamConfirmsItsPositionOnceNothingIsPending() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(10)));
    long end = transaction(5, 0, 0);
    awaitAll(end);
    long idle = end + 5000;
    feed.add(new ReplicationEvent.Idle(LogSequenceNumber.valueOf(idle)));
    await("idle position confirmed", () -> feed.confirmed() == idle);
    assertEquals(idle, loop.position());
    assertEquals(idle, loop.safePosition().asLong());
    assertTrue(feed.confirmOrderOk);
  }

  @Test
  void aLoopWhoseStreamFailsCommitsWhatItCanAndVouchesForTheViewsItKept() throws Exception {
    start(new ApplyLoop.Limits(50_000, 100, 50_000, Duration.ofSeconds(30)));
    long first = transaction(5, 0, 0);
    awaitAll(first);
    long second = transaction(3, 1, 0);
    long third = transaction(2, 0, 1);
    feed.add(new ReplicationEvent.Failed(new java.io.IOException("walsender terminated")));
    await("loop to stop", () -> !loop.isRunning());
    assertEquals(third, target.commits.get(target.commits.size() - 1).lsn.asLong(), "batch committed first");
    assertEquals(third, loop.safePosition().asLong());
    assertEquals(java.util.Set.copyOf(views), loop.resumableViews());
    assertTrue(second < third);
    assertEveryCommitIsARealCommitPoint();
  }

  @Test
  void viewsFedChunksOfAnUnfinishedTransactionAreNotResumable() throws Exception {
    start(new ApplyLoop.Limits(10, 100, 50_000, Duration.ofSeconds(30)), GROUPED, FILTERED);
    long first = transaction(5, 0, 0);
    awaitAll(first);
    openTransaction(35); // three chunks pushed through the pipelines, no Commit
    feed.add(new ReplicationEvent.Failed(new java.io.IOException("walsender terminated")));
    await("loop to stop", () -> !loop.isRunning());
    assertEquals(first, loop.safePosition().asLong());
    assertTrue(loop.resumableViews().isEmpty(), "their state is ahead: " + loop.resumableViews());
    assertEquals(first, target.commits.get(target.commits.size() - 1).lsn.asLong());
  }

  /** A scripted feed that checks every confirmation against the target's commits. */
  /** Checkpoints that take nothing between transactions, retain from a fixed position, and record clean stops. */
  private static final class RecordedCheckpoints implements io.deltaview.engine.state.Checkpoints {
    private final long retainFrom;
    /** The positions {@link #atStop} was called with. */
    final List<Long> stoppedAt = new java.util.concurrent.CopyOnWriteArrayList<>();

    RecordedCheckpoints(long retainFrom) {
      this.retainFrom = retainFrom;
    }

    @Override
    public boolean atBoundary(List<MaintainedView> all, long position, boolean idle) {
      return false;
    }

    @Override
    public long retainFrom() {
      return retainFrom;
    }

    @Override
    public boolean atStop(List<MaintainedView> all, long position) {
      stoppedAt.add(position);
      return true;
    }
  }

  private final class FakeFeed implements ChangeFeed {
    private final LinkedBlockingQueue<ReplicationEvent> events = new LinkedBlockingQueue<>();
    /** How many times the loop has looked for an event. */
    private final java.util.concurrent.atomic.AtomicInteger polls = new java.util.concurrent.atomic.AtomicInteger();
    private volatile long confirmed;
    private volatile boolean confirmOrderOk = true;

    void add(PgOutputMessage m) {
      events.add(new ReplicationEvent.Change(LogSequenceNumber.valueOf(lsn), m));
    }

    void add(ReplicationEvent e) {
      events.add(e);
    }

    long confirmed() {
      return confirmed;
    }

    @Override
    public ReplicationEvent poll(Duration timeout) throws InterruptedException {
      polls.incrementAndGet();
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

  /**
   * Result tables as Z-sets: writes go to a pending copy, commit publishes it. Like PostgreSQL, a failed write
   * aborts the transaction (every later statement fails until rollback) unless it ran under a savepoint.
   */
  private static final class FakeTarget implements ApplyTarget {
    record CommitRecord(LogSequenceNumber lsn, Map<MaintainedView, ZSet> tables) {
    }

    final List<CommitRecord> commits = new ArrayList<>();
    final Map<MaintainedView, ZSet> committed = new HashMap<>();
    final Map<MaintainedView, ZSet> pending = new HashMap<>();
    /** Views whose writes fail with the given SQLState (a constraint of their result table, say). */
    final Map<MaintainedView, String> rejecting = new java.util.concurrent.ConcurrentHashMap<>();
    /** Failures recorded in the catalog, committed or not. */
    final List<String> markedFailed = new java.util.concurrent.CopyOnWriteArrayList<>();
    /** The catalog's columns of order_lines, as {@link #columnsOf} reports them. */
    volatile List<TableShape.Column> catalog = PLANNED;
    volatile int writes;
    volatile int isolatedWrites;
    volatile int rollbacks;
    volatile int failAfterWrites = Integer.MAX_VALUE;
    private boolean aborted;
    private LogSequenceNumber recorded;

    @Override
    public void open() {
    }

    @Override
    public synchronized void write(MaintainedView view, ZSet delta) throws SQLException {
      if (aborted) {
        throw new SQLException("current transaction is aborted", "25P02");
      }
      if (writes >= failAfterWrites) {
        throw new SQLException("injected failure", "08006");
      }
      String rejected = rejecting.get(view);
      if (rejected != null) {
        aborted = true;
        throw new SQLException("new row violates check constraint", rejected);
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
    public synchronized void writeIsolated(MaintainedView view, ZSet delta) throws SQLException {
      isolatedWrites++;
      Map<MaintainedView, ZSet> before = new HashMap<>();
      pending.forEach((v, z) -> before.put(v, z.copy()));
      try {
        write(view, delta);
      } catch (SQLException e) {
        if (!e.getSQLState().startsWith("08")) { // ROLLBACK TO SAVEPOINT
          pending.clear();
          pending.putAll(before);
          aborted = false;
        }
        throw e;
      }
    }

    @Override
    public void markFailed(MaintainedView view, io.deltaview.engine.view.ViewFailure why) {
      markedFailed.add(view.record().name() + " " + why.sqlState());
    }

    @Override
    public List<TableShape.Column> columnsOf(long oid) {
      return oid == RELATION ? catalog : null;
    }

    @Override
    public void markReady(MaintainedView view, LogSequenceNumber readyLsn) {
    }

    /** Per view marked loading: how many commits there were when it was marked (in the open transaction). */
    final Map<MaintainedView, Integer> markedLoading = new java.util.concurrent.ConcurrentHashMap<>();

    @Override
    public synchronized void markLoading(MaintainedView view) {
      markedLoading.put(view, commits.size());
    }

    @Override
    public synchronized void recordApplied(LogSequenceNumber lsn) {
      recorded = lsn;
    }

    @Override
    public synchronized void commit() throws SQLException {
      if (aborted) {
        throw new SQLException("current transaction is aborted", "25P02");
      }
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
      aborted = false;
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
