package io.deltaview.benchmarks;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.engine.state.Checkpointer;
import io.deltaview.it.fixture.PostgresFixture;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Locale;

/**
 * What checkpoints cost and save, on the demo data ({@code -Ddeltaview.bench.lines}, default 1,000,000 order
 * lines): the demo view is created, its first checkpoint is taken (size, the apply thread's serialization
 * pause, the write, the table's size and the WAL it wrote), then the engine is stopped, changes are committed
 * while it is down, and it is started again twice — once resuming from the checkpoint, once with checkpoints
 * off (a rebuild from a snapshot, as before checkpoints) — timing each until the view is served again
 * (ready), until its state is read and the apply loop maintains it, and until it is current and exact.
 */
public final class CheckpointCost {

  private static final String VIEW = "revenue_by_region_month";

  private CheckpointCost() {
  }

  public static void main(String[] args) throws Exception {
    int lines = Integer.getInteger("deltaview.bench.lines", 1_000_000);
    try {
      run(lines);
    } finally {
      PostgresFixture.stopIfStarted();
    }
    System.exit(0);
  }

  static void run(int lineCount) throws Exception {
    System.setProperty("deltaview.checkpointMillis", "1000");
    PostgresFixture server = PostgresFixture.get();
    String pgUrl = server.createDatabase("ckptcost");
    String dvUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
    int orderCount = lineCount / 5;
    ShopWorkload workload = new ShopWorkload(42);
    try (Connection plain = server.connect(pgUrl)) {
      ShopWorkload.createSchema(plain);
      workload.load(plain, 20_000, orderCount, lineCount, n -> { });
      // As a database in service would be: the freshly loaded tables vacuumed. Otherwise autovacuum's first
      // pass over them writes about as much WAL as the tables' size while the engine is down, and the restart
      // then times PostgreSQL decoding that WAL (at 10M lines, 2 of its 2.3 minutes) rather than Deltaview.
      try (Statement st = plain.createStatement()) {
        st.execute("VACUUM (ANALYZE)");
      }
      System.out.printf(Locale.ROOT, "Data: 20,000 customers, %,d orders, %,d order lines; max heap %d MB%n",
          orderCount, lineCount, Runtime.getRuntime().maxMemory() >> 20);
      long t0 = System.nanoTime();
      try (Connection dv = DriverManager.getConnection(dvUrl, server.credentials()); Statement s = dv.createStatement()) {
        s.execute("CREATE INCREMENTAL VIEW " + VIEW + " AS " + Demo.QUERY);
      }
      double created = seconds(t0);
      System.out.printf(Locale.ROOT, "CREATE INCREMENTAL VIEW (snapshot of the 3 tables): %.1f s%n", created);
      Engine engine = EngineRegistry.existing(pgUrl);
      String walBefore = walLsn(plain);
      long deadline = System.nanoTime() + 120_000_000_000L;
      while (engine.checkpointStats().written() < 1) {
        if (System.nanoTime() > deadline) {
          throw new IllegalStateException("no checkpoint within 120 s");
        }
        Thread.onSpinWait();
      }
      Checkpointer.Stats c = engine.checkpointStats();
      long wal = walDiff(plain, walBefore);
      System.out.printf(Locale.ROOT, "First checkpoint: %,d bytes; serialized on the apply thread in %.0f ms;"
          + " written in %.0f ms; deltaview.checkpoints now %,d bytes on disk; WAL written meanwhile %,d bytes%n",
          c.lastBytes(), c.lastSerializeMicros() / 1000.0, c.lastWriteMicros() / 1000.0,
          scalar(plain, "SELECT pg_total_relation_size('deltaview.checkpoints')"), wal);

      // A second one, with the JIT warm and the state changed by 200 transactions.
      for (int t = 0; t < 200; t++) {
        workload.randomTransaction(plain, 5);
      }
      while (engine.checkpointStats().written() < 2) {
        if (System.nanoTime() > deadline + 60_000_000_000L) {
          throw new IllegalStateException("no second checkpoint");
        }
        Thread.onSpinWait();
      }
      c = engine.checkpointStats();
      System.out.printf(Locale.ROOT, "Second checkpoint: %,d bytes; serialized on the apply thread in %.0f ms;"
          + " written in %.0f ms%n", c.lastBytes(), c.lastSerializeMicros() / 1000.0, c.lastWriteMicros() / 1000.0);

      for (boolean fromCheckpoint : new boolean[] {true, false}) {
        // Stopped once current, as a deploy under a load the engine keeps up with is: a stop while it is still
        // behind leaves that backlog to the next start too (the slot's positions printed here show it).
        Engine running = EngineRegistry.existing(pgUrl);
        if (running != null && !running.awaitCurrent(900_000)) {
          throw new IllegalStateException("the engine did not catch up before the stop");
        }
        printPositions(plain, "Before the stop");
        EngineRegistry.stop(pgUrl);
        printPositions(plain, "After the stop");
        String downFrom = walLsn(plain);
        for (int t = 0; t < 200; t++) {
          workload.randomTransaction(plain, 5);
        }
        System.out.printf(Locale.ROOT, "WAL written by the 200 transactions while the engine was down: %,d bytes%n",
            walDiff(plain, downFrom));
        System.setProperty("deltaview.checkpointMillis", fromCheckpoint ? "1000" : "0");
        try (Statement st = plain.createStatement(); ResultSet rs = st.executeQuery("SELECT pg_wal_lsn_diff("
            + "pg_current_wal_lsn(), restart_lsn)::bigint, pg_wal_lsn_diff(pg_current_wal_lsn(),"
            + " confirmed_flush_lsn)::bigint FROM pg_replication_slots WHERE database = current_database()")) {
          while (rs.next()) {
            System.out.printf(Locale.ROOT, "Before the restart, the slot's WAL to decode: %,d bytes from its restart"
                + " position, %,d from its confirmed position%n", rs.getLong(1), rs.getLong(2));
          }
        }
        String database = pgUrl.substring(pgUrl.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
        long r0 = System.nanoTime();
        Engine restarted = EngineRegistry.engineFor(new EngineConfig(pgUrl, server.credentials(), database));
        while (restarted.readyViews().isEmpty()) {
          Thread.onSpinWait();
        }
        double ready = seconds(r0);
        while (!restarted.checkpointsRead()) {
          Thread.onSpinWait();
        }
        double maintained = seconds(r0);
        if (!restarted.awaitCurrent(900_000)) {
          throw new IllegalStateException("the engine did not catch up");
        }
        double current = seconds(r0);
        long differing = scalar(plain, "SELECT (SELECT count(*) FROM (SELECT * FROM " + VIEW + " EXCEPT ALL ("
            + Demo.QUERY + ")) a) + (SELECT count(*) FROM ((" + Demo.QUERY + ") EXCEPT ALL SELECT * FROM " + VIEW
            + ") b)");
        System.out.printf(Locale.ROOT, "Restart %s: view ready (served) in %.2f s (%.3fx the creation time),"
            + " maintained (state read, stream applied from then on) in %.2f s, current (every commit before the"
            + " restart applied) in %.2f s, snapshot loads %d, checkpoint resumes %d, exact after 200 changes made"
            + " while down: %s%n",
            fromCheckpoint ? "from the checkpoint" : "without checkpoints (rebuild from a snapshot)", ready,
            ready / created, maintained, current, restarted.snapshotReads(), restarted.checkpointResumes(),
            differing == 0 ? "yes" : differing + " rows differ");
      }
      EngineRegistry.stop(pgUrl);
    }
  }

  /** The slot's positions and the newest checkpoint's, against the current WAL position. */
  private static void printPositions(Connection c, String when) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text,"
        + " confirmed_flush_lsn::text, restart_lsn::text, (SELECT max(checkpoint_lsn)::text FROM deltaview.checkpoints)"
        + " FROM pg_replication_slots WHERE database = current_database()")) {
      while (rs.next()) {
        System.out.printf(Locale.ROOT, "%s: WAL at %s, slot confirmed at %s, restart at %s; newest checkpoint at %s%n",
            when, rs.getString(1), rs.getString(2), rs.getString(3), rs.getString(4));
      }
    }
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT application_name, backend_xid::text,"
        + " backend_xmin::text, state, now() - xact_start FROM pg_stat_activity WHERE backend_xid IS NOT NULL"
        + " OR backend_xmin IS NOT NULL")) {
      while (rs.next()) {
        System.out.printf(Locale.ROOT, "  session %s: xid %s, xmin %s, %s for %s%n", rs.getString(1), rs.getString(2),
            rs.getString(3), rs.getString(4), rs.getString(5));
      }
    }
  }

  private static String walLsn(Connection c) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()::text")) {
      rs.next();
      return rs.getString(1);
    }
  }

  private static long walDiff(Connection c, String from) throws SQLException {
    return scalar(c, "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), '" + from + "')::bigint");
  }

  private static long scalar(Connection c, String sql) throws SQLException {
    try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
      rs.next();
      return rs.getLong(1);
    }
  }

  private static double seconds(long startNanos) {
    return (System.nanoTime() - startNanos) / 1e9;
  }
}
