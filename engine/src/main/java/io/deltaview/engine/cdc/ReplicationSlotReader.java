package io.deltaview.engine.cdc;

import io.deltaview.engine.cdc.PgOutputMessage.Begin;
import io.deltaview.engine.cdc.PgOutputMessage.Commit;
import io.deltaview.engine.cdc.ReplicationEvent.Change;
import io.deltaview.engine.cdc.ReplicationEvent.Failed;
import io.deltaview.engine.cdc.ReplicationEvent.Idle;
import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Arrays;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import org.postgresql.PGConnection;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.PGReplicationStream;

/**
 * Reads one logical slot with pgoutput on its own thread and hands decoded messages to a consumer through a
 * bounded queue ({@link #poll(Duration)}); the slot advances only when the consumer calls {@link #confirm}.
 *
 * <p>Thread model: only the reader thread touches the pgjdbc stream. One consumer thread (the engine's apply
 * thread) polls events and confirms positions; confirmations are handed over through an atomic and applied by
 * the reader thread before its next status update. When the queue is full the reader stops reading but keeps
 * sending status updates, so a slow consumer never makes the walsender hit {@code wal_sender_timeout}.
 *
 * <p>Events cross between the threads in batches: what the socket already holds, up to {@link #MAX_BATCH}
 * events, is decoded and handed over at once. One hand-off per event cost both threads a lock and, whenever
 * the other side was waiting, a wake-up through the kernel; a batch ends at each Commit and as soon as
 * nothing more is pending, so it adds no latency.
 *
 * <p>Automatic flush is disabled: pgjdbc would otherwise report the server's WAL end as flushed on
 * keepalives, advancing the slot past transactions the engine has not applied, and a crash would lose them.
 */
public final class ReplicationSlotReader implements ChangeFeed {

  private static final System.Logger LOG = System.getLogger(ReplicationSlotReader.class.getName());

  /** How long the reader pauses on an empty socket shortly after a message ({@link Options#withEagerPolling}). */
  private static final long EAGER_PAUSE_NANOS = TimeUnit.MICROSECONDS.toNanos(50);
  /** How long the reader pauses when nothing is pending otherwise: an idle stream costs a wake-up per 5 ms. */
  private static final long IDLE_PAUSE_NANOS = TimeUnit.MILLISECONDS.toNanos(5);

  /** Most events handed over in one batch (fewer when the queue capacity is smaller). */
  static final int MAX_BATCH = 256;

  /** What to read and how; build with {@link #of(String, String)} and the {@code with…} copies. */
  public record Options(String slotName, String publication, LogSequenceNumber startPosition, int queueCapacity,
      Duration statusInterval, Duration slotReleasePatience, Duration eagerPolling) {
    public Options {
      SlotManager.checkSlotName(slotName);
      Objects.requireNonNull(publication, "publication");
      Objects.requireNonNull(startPosition, "startPosition");
      Objects.requireNonNull(statusInterval, "statusInterval");
      Objects.requireNonNull(slotReleasePatience, "slotReleasePatience");
      Objects.requireNonNull(eagerPolling, "eagerPolling");
      if (queueCapacity < 1) {
        throw new IllegalArgumentException("queueCapacity must be positive: " + queueCapacity);
      }
      if (eagerPolling.isNegative()) {
        throw new IllegalArgumentException("eagerPolling must not be negative: " + eagerPolling);
      }
      if (statusInterval.isNegative() || statusInterval.isZero()) {
        throw new IllegalArgumentException("statusInterval must be positive: " + statusInterval);
      }
    }

    /**
     * Reads {@code slotName} for publication {@code publication} from the slot's confirmed position, with a
     * queue of 1024 events, 1 s status interval, 15 s patience for a slot still held by a stopped reader, and
     * 2 ms of eager polling after each message.
     */
    public static Options of(String slotName, String publication) {
      return new Options(slotName, publication, LogSequenceNumber.INVALID_LSN, 1024, Duration.ofSeconds(1),
          Duration.ofSeconds(15), Duration.ofMillis(2));
    }

    /**
     * Start at {@code lsn} instead of the slot's confirmed position. Note that pgjdbc reports the start
     * position as flushed, so the slot may advance to it: pass only a position the engine has applied.
     */
    public Options withStartPosition(LogSequenceNumber lsn) {
      return new Options(slotName, publication, lsn, queueCapacity, statusInterval, slotReleasePatience,
          eagerPolling);
    }

    public Options withQueueCapacity(int capacity) {
      return new Options(slotName, publication, startPosition, capacity, statusInterval, slotReleasePatience,
          eagerPolling);
    }

    public Options withStatusInterval(Duration interval) {
      return new Options(slotName, publication, startPosition, queueCapacity, interval, slotReleasePatience,
          eagerPolling);
    }

    /**
     * For how long after the last message the reader looks at the socket again every 50 µs when it is empty,
     * rather than every 5 ms. A transaction's messages (Begin, changes, Commit) come microseconds apart, so
     * this keeps commit-to-visible latency low; {@link Duration#ZERO} reads in bulk instead: while the
     * reader pauses, the walsender fills the socket and writes in large chunks, the cheapest way to drain a
     * backlog when latency does not matter.
     */
    public Options withEagerPolling(Duration window) {
      return new Options(slotName, publication, startPosition, queueCapacity, statusInterval, slotReleasePatience,
          window);
    }

    public Options withSlotReleasePatience(Duration patience) {
      return new Options(slotName, publication, startPosition, queueCapacity, statusInterval, patience,
          eagerPolling);
    }
  }

  private final Options options;
  private final Connection connection;
  private final PGReplicationStream stream;
  /**
   * Batches of events. Unbounded so that the terminal {@link Failed} always fits; {@link #space} bounds the
   * events of the other batches to the queue capacity.
   */
  private final BlockingQueue<ReplicationEvent[]> queue = new LinkedBlockingQueue<>();
  private final Semaphore space;
  private final int batchSize;
  /** The highest position the consumer confirmed, not yet necessarily sent to the server. */
  private final AtomicReference<LogSequenceNumber> confirmedByConsumer =
      new AtomicReference<>(LogSequenceNumber.INVALID_LSN);
  private final Thread thread;
  private volatile boolean stopRequested;

  // Reader-thread state.
  private LogSequenceNumber sentToServer = LogSequenceNumber.INVALID_LSN;
  private boolean inTransaction;
  /** The highest position handed to the consumer (a change or an idle event); idle events only go beyond it. */
  private long handedOff;
  /**
   * Decoded events not yet handed over; a fresh array per batch, so that storing a new event into it is a
   * store into a young object (cheap for the collector's write barrier, unlike one long-lived array).
   */
  private ReplicationEvent[] pending;
  private int pendingCount;

  // Consumer-thread state: the batch being consumed.
  private ReplicationEvent[] current;
  private int currentNext;

  private ReplicationSlotReader(Options options, Connection connection, PGReplicationStream stream) {
    this.options = options;
    this.connection = connection;
    this.stream = stream;
    this.space = new Semaphore(options.queueCapacity());
    this.batchSize = Math.min(MAX_BATCH, options.queueCapacity());
    this.pending = new ReplicationEvent[batchSize];
    this.handedOff = options.startPosition().asLong();
    this.thread = new Thread(this::run, "deltaview-cdc-" + options.slotName());
    this.thread.setDaemon(true);
  }

  /**
   * Connects to {@code url} as a walsender, starts streaming and starts the reader thread. If the slot is
   * still held by a reader that just stopped (SQLState 55006), retries with backoff for
   * {@link Options#slotReleasePatience()}.
   *
   * @throws SQLException from PostgreSQL, unchanged, if the stream cannot be started
   */
  public static ReplicationSlotReader start(String url, Properties credentials, Options options)
      throws SQLException {
    Objects.requireNonNull(url, "url");
    Objects.requireNonNull(credentials, "credentials");
    // A fresh connection per attempt: a walsender that refused START_REPLICATION is not worth reusing.
    ReplicationSlotReader reader = ReplicationConnections.retryWhileSlotActive(options.slotName(),
        options.slotReleasePatience(), () -> {
          Connection connection = ReplicationConnections.open(url, credentials);
          try {
            PGReplicationStream stream = connection.unwrap(PGConnection.class).getReplicationAPI()
                .replicationStream()
                .logical()
                .withSlotName(options.slotName())
                .withStartPosition(options.startPosition())
                .withSlotOption("proto_version", "1")
                .withSlotOption("publication_names", options.publication())
                .withSlotOption("messages", "true")
                .withStatusInterval((int) options.statusInterval().toMillis(), TimeUnit.MILLISECONDS)
                .withAutomaticFlush(false)
                .start();
            return new ReplicationSlotReader(options, connection, stream);
          } catch (SQLException | RuntimeException e) {
            closeAfterFailure(connection, e);
            throw e;
          }
        });
    reader.thread.start();
    LOG.log(System.Logger.Level.DEBUG, () -> "started reading slot " + options.slotName() + " from "
        + options.startPosition());
    return reader;
  }

  /**
   * The next event, waiting up to {@code timeout}; {@code null} if none came. After a {@link Failed} event or
   * {@link #close()}, returns whatever was queued before and then {@code null}.
   */
  public ReplicationEvent poll(Duration timeout) throws InterruptedException {
    if (current == null || currentNext == current.length) {
      ReplicationEvent[] batch = timeout.isZero() ? queue.poll()
          : queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
      if (batch == null) {
        return null;
      }
      if (!(batch[0] instanceof Failed)) {
        space.release(batch.length);
      }
      current = batch;
      currentNext = 0;
    }
    ReplicationEvent event = current[currentNext];
    current[currentNext++] = null;
    return event;
  }

  /**
   * Tells the reader that everything up to {@code flushed} is durably applied, so the slot may advance there
   * and PostgreSQL may recycle older WAL. Thread-safe; positions lower than an earlier confirmation are ignored.
   * The reader thread reports it to the server promptly.
   */
  public void confirm(LogSequenceNumber flushed) {
    Objects.requireNonNull(flushed, "flushed");
    confirmedByConsumer.accumulateAndGet(flushed, (a, b) -> a.asLong() >= b.asLong() ? a : b);
  }

  /** The highest position confirmed so far ({@link LogSequenceNumber#INVALID_LSN} if none). */
  public LogSequenceNumber confirmed() {
    return confirmedByConsumer.get();
  }

  /** Whether the reader thread is still reading. */
  public boolean isRunning() {
    return thread.isAlive() && !stopRequested;
  }

  public Options options() {
    return options;
  }

  /**
   * Stops the reader thread and closes the stream and connection; positions confirmed before this call are
   * reported to the server first. Does not drop the slot. Waits up to 30 s for the thread.
   */
  @Override
  public void close() {
    stopRequested = true;
    thread.interrupt();
    try {
      thread.join(TimeUnit.SECONDS.toMillis(30));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    if (thread.isAlive()) {
      LOG.log(System.Logger.Level.WARNING, "reader thread of slot " + options.slotName() + " did not stop in 30 s");
    }
  }

  // ---------------------------------------------------------------- reader thread

  private void run() {
    Throwable failure = null;
    long eagerNanos = options.eagerPolling().toNanos();
    long lastMessage = System.nanoTime();
    try {
      while (!stopRequested) {
        sendConfirmed();
        ByteBuffer buffer = stream.readPending();
        if (buffer == null) {
          handOffPending();
          offerIdle();
          boolean eager = System.nanoTime() - lastMessage < eagerNanos;
          LockSupport.parkNanos(eager ? EAGER_PAUSE_NANOS : IDLE_PAUSE_NANOS);
          if (Thread.interrupted()) {
            throw new InterruptedException();
          }
          continue;
        }
        lastMessage = System.nanoTime();
        LogSequenceNumber position = stream.getLastReceiveLSN();
        PgOutputMessage message = PgOutputDecoder.decode(buffer);
        if (message instanceof Begin) {
          inTransaction = true;
        } else if (message instanceof Commit) {
          inTransaction = false;
        }
        pending[pendingCount++] = new Change(position, message);
        if (pendingCount == batchSize || message instanceof Commit) {
          // A complete transaction is handed over at once: the consumer can apply it, and the next read may
          // wait (pgjdbc looks at an empty socket for up to 1 ms).
          handOffPending();
        }
        handedOff = Math.max(handedOff, message instanceof Commit c ? c.endLsn().asLong() : position.asLong());
      }
    } catch (InterruptedException e) {
      if (!stopRequested) {
        failure = e;
      }
    } catch (Throwable e) {
      failure = e;
    }
    Thread.interrupted(); // closing below must not be disturbed by the interrupt that asked us to stop
    if (failure == null) {
      try {
        sendConfirmed(); // a clean stop reports the last confirmation
      } catch (SQLException e) {
        failure = e;
      }
    }
    try {
      stream.close();
    } catch (SQLException e) {
      failure = addOrKeep(failure, e);
    }
    try {
      connection.close();
    } catch (SQLException e) {
      failure = addOrKeep(failure, e);
    }
    if (failure != null) {
      Throwable cause = failure;
      LOG.log(System.Logger.Level.WARNING, "reader of slot " + options.slotName() + " failed", cause);
      queue.add(new ReplicationEvent[] {new Failed(cause)});
    } else {
      LOG.log(System.Logger.Level.DEBUG, () -> "reader of slot " + options.slotName() + " stopped");
    }
  }

  /** Hands the decoded events over, if there are any. */
  private void handOffPending() throws InterruptedException, SQLException {
    if (pendingCount > 0) {
      ReplicationEvent[] batch = pendingCount == pending.length ? pending : Arrays.copyOf(pending, pendingCount);
      pending = new ReplicationEvent[batchSize];
      pendingCount = 0;
      handOff(batch);
    }
  }

  /**
   * Waits for queue space; while waiting, keeps the walsender alive with status updates (which also carry
   * any new confirmation). Status updates count as replies for {@code wal_sender_timeout}.
   */
  private void handOff(ReplicationEvent[] batch) throws InterruptedException, SQLException {
    long waitNanos = options.statusInterval().toNanos();
    while (!space.tryAcquire(batch.length, waitNanos, TimeUnit.NANOSECONDS)) {
      if (!sendConfirmed()) {
        stream.forceUpdateStatus();
      }
    }
    queue.add(batch);
  }

  /** After a keepalive moved the server's WAL end beyond what we handed off, outside a transaction. */
  private void offerIdle() throws InterruptedException, SQLException {
    if (inTransaction) {
      return;
    }
    LogSequenceNumber walEnd = stream.getLastReceiveLSN();
    if (walEnd.asLong() > handedOff) {
      handOff(new ReplicationEvent[] {new Idle(walEnd)});
      handedOff = walEnd.asLong();
    }
  }

  /** Reports a new confirmation to the server; {@code true} if one was sent. */
  private boolean sendConfirmed() throws SQLException {
    LogSequenceNumber confirmed = confirmedByConsumer.get();
    if (confirmed.asLong() <= sentToServer.asLong()) {
      return false;
    }
    stream.setFlushedLSN(confirmed);
    stream.setAppliedLSN(confirmed);
    stream.forceUpdateStatus();
    sentToServer = confirmed;
    return true;
  }

  private static Throwable addOrKeep(Throwable first, Throwable next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }

  private static void closeAfterFailure(Connection connection, Exception cause) {
    try {
      connection.close();
    } catch (SQLException e) {
      cause.addSuppressed(e);
    }
  }
}
