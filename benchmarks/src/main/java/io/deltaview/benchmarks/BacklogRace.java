package io.deltaview.benchmarks;

import io.deltaview.engine.Engine;
import io.deltaview.engine.cdc.PgOutputMessage;
import io.deltaview.engine.cdc.ReplicationEvent;
import io.deltaview.engine.cdc.ReplicationSlotReader;
import io.deltaview.engine.cdc.SlotManager;
import io.deltaview.it.fixture.PostgresFixture;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadInfo;
import java.lang.management.ThreadMXBean;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import org.postgresql.replication.LogSequenceNumber;

/**
 * The engine's maintenance rate next to the raw rate of reading the same changes off a replication slot: a
 * backlog is written with the apply loop paused, a non-transactional end marker follows it, then the time the
 * engine needs to apply up to the marker is compared with the time a second slot of the same publication needs
 * to be read in bulk up to it, counting row changes. Also the CPU time of Deltaview's threads and of both
 * walsenders (from {@code /proc}: the benchmarks' embedded server runs on this machine), so a reader can see
 * which thread limits the rate.
 */
final class BacklogRace {

  static final String PUBLICATION = "deltaview_pub";
  private static final String RAW_SLOT = "deltaview_bench_raw";
  private static final String END_MARKER = "deltaview.bench.end";

  /** Commits the backlog's transactions. */
  @FunctionalInterface
  interface Writer {
    void write(Connection plain) throws SQLException;
  }

  private BacklogRace() {
  }

  /**
   * Makes the commits of {@code c}'s session wait for the WAL flush. The walsender decodes only flushed WAL, so
   * with the server's {@code synchronous_commit=off} a commit reaches the slot only when the WAL writer next
   * flushes (every {@code wal_writer_delay}); with {@code on} (PostgreSQL's default) it is sent right away.
   */
  static void synchronousCommit(Connection c, boolean on) throws SQLException {
    try (Statement s = c.createStatement()) {
      s.execute("SET synchronous_commit = " + (on ? "on" : "off"));
    }
  }

  /** Flushes the WAL written so far (a commit with an xid waits for its flush under synchronous_commit=on). */
  static void flushWal(Connection c) throws SQLException {
    synchronousCommit(c, true);
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT txid_current()")) {
      rs.next();
    }
  }

  /** One measured backlog: how fast the engine applied it and how fast it could be read raw. */
  record Result(long counted, double writeSeconds, double applySeconds, double readSeconds,
      String engineCpu, String engineWalsenderCpu, String rawWalsenderCpu) {
    double engineRate() {
      return counted / applySeconds;
    }

    double rawRate() {
      return counted / readSeconds;
    }
  }

  /**
   * Writes a backlog with {@code writer} while the engine's apply loop is paused, then times the engine
   * applying it up to an end marker, and a bulk read of the same backlog off a second slot of the same
   * publication. {@code expectedChanges} (or -1) checks the row changes read.
   */
  static Result measure(PostgresFixture server, String pgUrl, Connection plain, Engine engine, Writer writer,
      long expectedChanges) throws Exception {
    if (!engine.awaitCurrent(60_000)) {
      throw new IllegalStateException("engine did not catch up within 60 s");
    }
    synchronousCommit(plain, true);
    try (Statement s = plain.createStatement()) {
      s.execute("SELECT pg_create_logical_replication_slot('" + RAW_SLOT + "', '" + SlotManager.PLUGIN + "')");
    }
    String endLsn;
    double writeSeconds;
    double applySeconds;
    String engineCpu;
    String engineWalsenderCpu;
    try (AutoCloseable paused = engine.pauseApplying()) {
      long w0 = System.nanoTime();
      writer.write(plain);
      writeSeconds = seconds(w0);
      try (Statement s = plain.createStatement();
           ResultSet rs = s.executeQuery("SELECT pg_logical_emit_message(false, '" + END_MARKER + "', '')::text")) {
        rs.next();
        endLsn = rs.getString(1);
      }
      flushWal(plain);
      Map<String, Long> cpu0 = deltaviewThreadCpu();
      long walsender = walsenderPid(plain, "slot_name <> '" + RAW_SLOT + "'");
      long walsender0 = processCpuNanos(walsender);
      long a0 = System.nanoTime();
      paused.close();
      if (!engine.awaitApplied(LogSequenceNumber.valueOf(endLsn), 600_000)) {
        throw new IllegalStateException("engine did not apply the backlog within 10 minutes");
      }
      applySeconds = seconds(a0);
      engineCpu = cpuSince(cpu0);
      engineWalsenderCpu = cpuText(walsender0, processCpuNanos(walsender));
    }

    long counted;
    double readSeconds;
    String rawWalsenderCpu;
    // Read in bulk, the fastest way to drain a backlog (the walsender fills the socket while the reader pauses):
    // the baseline is the best raw rate, not the engine's latency-minded polling.
    ReplicationSlotReader reader = ReplicationSlotReader.start(pgUrl, server.credentials(),
        ReplicationSlotReader.Options.of(RAW_SLOT, PUBLICATION).withEagerPolling(Duration.ZERO));
    try {
      long walsender = walsenderPid(plain, "slot_name = '" + RAW_SLOT + "'");
      long walsender0 = processCpuNanos(walsender);
      long r0 = System.nanoTime();
      counted = drain(reader, endLsn);
      readSeconds = seconds(r0);
      rawWalsenderCpu = cpuText(walsender0, processCpuNanos(walsender));
    } finally {
      reader.close();
      SlotManager.dropSlotIfExists(plain, RAW_SLOT);
    }
    if (expectedChanges >= 0 && counted != expectedChanges) {
      throw new IllegalStateException("read " + counted + " row changes off the slot, expected " + expectedChanges);
    }
    return new Result(counted, writeSeconds, applySeconds, readSeconds, engineCpu, engineWalsenderCpu,
        rawWalsenderCpu);
  }

  /** The process id of the walsender of the active slot matching {@code condition}, or -1 if none within 10 s. */
  private static long walsenderPid(Connection plain, String condition) throws Exception {
    long deadline = System.nanoTime() + Duration.ofSeconds(10).toNanos();
    while (System.nanoTime() < deadline) {
      try (Statement s = plain.createStatement(); ResultSet rs = s.executeQuery("SELECT active_pid FROM"
          + " pg_replication_slots WHERE active AND " + condition)) {
        if (rs.next()) {
          return rs.getLong(1);
        }
      }
      Thread.sleep(10); // polling the catalog for a condition, with a deadline
    }
    return -1;
  }

  /**
   * CPU time of a server process from {@code /proc} (the benchmark's embedded server runs on this machine), or
   * -1 when it cannot be read (another machine, another OS): a local process of that id that is not a
   * PostgreSQL one means the server is elsewhere.
   */
  private static long processCpuNanos(long pid) {
    if (pid <= 0) {
      return -1;
    }
    try {
      String command = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/cmdline"));
      if (!command.contains("postgres")) {
        return -1;
      }
      String stat = java.nio.file.Files.readString(java.nio.file.Path.of("/proc/" + pid + "/stat"));
      // fields after the command name (which may contain spaces) start at state, field 3; utime and stime are 14, 15
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * 10_000_000L; // USER_HZ is 100 on Linux
    } catch (java.io.IOException | RuntimeException e) {
      return -1;
    }
  }

  private static String cpuText(long before, long after) {
    return before < 0 || after < 0 ? "(CPU not readable)" : String.format(Locale.ROOT, "%.2f s", (after - before) / 1e9);
  }

  /**
   * CPU time (ns) of each live thread whose name starts with {@code deltaview-}, by name without the database
   * suffix, and of that the part spent in the kernel, and the JVM's garbage-collection time.
   */
  static Map<String, Long> deltaviewThreadCpu() {
    ThreadMXBean mx = ManagementFactory.getThreadMXBean();
    Map<String, Long> cpu = new TreeMap<>();
    for (ThreadInfo t : mx.getThreadInfo(mx.getAllThreadIds())) {
      if (t != null && t.getThreadName().startsWith("deltaview-")) {
        String name = t.getThreadName().replaceAll("-[^-]*_\\d+_\\d+$", ""); // without the database suffix
        long total = Math.max(0, mx.getThreadCpuTime(t.getThreadId()));
        cpu.merge(name, total, Long::sum);
        cpu.merge(name + " (in the kernel)", Math.max(0, total - mx.getThreadUserTime(t.getThreadId())), Long::sum);
      }
    }
    long gcMillis = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      gcMillis += Math.max(0, gc.getCollectionTime());
    }
    cpu.put("(garbage collection, elapsed)", gcMillis * 1_000_000);
    return cpu;
  }

  /** "apply 1.23 s, cdc 0.45 s": CPU used per thread since {@code before}, threads using under 10 ms left out. */
  static String cpuSince(Map<String, Long> before) {
    StringBuilder out = new StringBuilder();
    deltaviewThreadCpu().forEach((name, ns) -> {
      double s = (ns - before.getOrDefault(name, 0L)) / 1e9;
      if (s >= 0.01) {
        out.append(out.length() == 0 ? "" : ", ").append(String.format(Locale.ROOT, "%s %.2f s", name, s));
      }
    });
    return out.toString();
  }

  /** Reads the slot from its start up to the end marker, counting row changes (inserts, updates, deletes). */
  private static long drain(ReplicationSlotReader reader, String endLsn) throws Exception {
    long end = LogSequenceNumber.valueOf(endLsn).asLong();
    long deadline = System.nanoTime() + Duration.ofMinutes(10).toNanos();
    long count = 0;
    while (System.nanoTime() < deadline) {
      ReplicationEvent event = reader.poll(Duration.ofSeconds(1));
      if (event instanceof ReplicationEvent.Failed f) {
        throw new IllegalStateException("raw slot read failed: " + f.cause(), f.cause());
      }
      if (!(event instanceof ReplicationEvent.Change change)) {
        continue;
      }
      PgOutputMessage m = change.message();
      if (m instanceof PgOutputMessage.Insert || m instanceof PgOutputMessage.Update
          || m instanceof PgOutputMessage.Delete) {
        count++;
      } else if (m instanceof PgOutputMessage.Commit c) {
        reader.confirm(c.endLsn());
      } else if (m instanceof PgOutputMessage.LogicalMessage lm && END_MARKER.equals(lm.prefix())
          && lm.lsn().asLong() >= end) {
        return count;
      }
    }
    throw new IllegalStateException("end marker " + endLsn + " not reached on the raw slot within 10 minutes");
  }

  private static double seconds(long t0) {
    return (System.nanoTime() - t0) / 1e9;
  }
}
