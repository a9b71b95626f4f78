package io.deltaview.benchmarks;

import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.fixture.PostgresFixture;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The heap each kind of operator keeps per base row, measured: for one view of each kind over
 * {@code -Ddeltaview.bench.rows} rows (default 500,000) per table, the live heap after a full collection with the
 * view loaded, minus the live heap before it was created, divided by the base rows it reads. The engine runs in
 * this JVM (PostgreSQL in its own process), with checkpoints off and a memory budget that keeps every
 * arrangement on the heap. Tables: {@code t(id int, g int, v int, s text)} with 1,000 groups and 16-character
 * strings, and {@code u(id int, tid int, w int)} whose {@code tid} points at {@code t}.
 */
public final class StateFootprint {

  private StateFootprint() {
  }

  /** The views measured: what they exercise → definition. */
  static final Map<String, String> VIEWS = new LinkedHashMap<>();

  static {
    VIEWS.put("filter and projection (no state)", "SELECT id, v FROM t WHERE v % 2 = 0");
    VIEWS.put("GROUP BY with count/sum/avg (1,000 groups)",
        "SELECT g, count(*) AS n, sum(v) AS s, avg(v) AS a FROM t GROUP BY g");
    VIEWS.put("GROUP BY with min/max (a multiset per group)",
        "SELECT g, min(v) AS lo, max(v) AS hi FROM t GROUP BY g");
    VIEWS.put("count(DISTINCT)", "SELECT g, count(DISTINCT v) AS d FROM t GROUP BY g");
    VIEWS.put("inner join of two tables, 2 + 2 columns read",
        "SELECT t.id, t.v, u.w FROM t JOIN u ON u.tid = t.id");
    VIEWS.put("inner join reading a text column", "SELECT t.id, t.s, u.w FROM t JOIN u ON u.tid = t.id");
    VIEWS.put("join then GROUP BY", "SELECT t.g, sum(u.w) AS s FROM t JOIN u ON u.tid = t.id GROUP BY t.g");
    VIEWS.put("LEFT JOIN", "SELECT t.id, u.w FROM t LEFT JOIN u ON u.tid = t.id");
    VIEWS.put("NOT EXISTS (anti join)",
        "SELECT t.id FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.tid = t.id AND u.w > 900)");
    VIEWS.put("UNION (set)", "SELECT v FROM t UNION SELECT w FROM u");
    VIEWS.put("top-K (ORDER BY … LIMIT 10)", "SELECT id, v FROM t ORDER BY v DESC, id LIMIT 10");
    VIEWS.put("window function (row_number per group)",
        "SELECT id, g, row_number() OVER (PARTITION BY g ORDER BY v, id) AS r FROM t");
  }

  public static void main(String[] args) throws Exception {
    int rows = Integer.getInteger("deltaview.bench.rows", 500_000);
    System.setProperty("deltaview.checkpointMillis", "0");
    try {
      run(rows);
    } finally {
      PostgresFixture.stopIfStarted();
    }
    System.exit(0);
  }

  static void run(int rows) throws Exception {
    PostgresFixture server = PostgresFixture.get();
    String pgUrl = server.createDatabase("footprint");
    String dvUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
    try (Connection plain = server.connect(pgUrl); Statement s = plain.createStatement()) {
      s.execute("CREATE TABLE t (id int PRIMARY KEY, g int NOT NULL, v int NOT NULL, s text NOT NULL)");
      s.execute("INSERT INTO t SELECT i, i % 1000, (i::bigint * 7919 % 100003)::int, md5(i::text)::varchar(16)"
          + " FROM generate_series(1, " + rows + ") i");
      s.execute("CREATE TABLE u (id int PRIMARY KEY, tid int NOT NULL, w int NOT NULL)");
      s.execute("INSERT INTO u SELECT i, (i * 31) % " + rows + " + 1, i % 1000 FROM generate_series(1, " + rows
          + ") i");
      s.execute("ANALYZE t");
      s.execute("ANALYZE u");
      System.out.printf(Locale.ROOT, "%,d rows in t and %,d in u; max heap %d MB; state budget %s%n", rows, rows,
          Runtime.getRuntime().maxMemory() >> 20, System.getProperty("deltaview.engine.memory", "default"));
      System.out.println("| view | base rows read | heap kept | bytes per base row |");
      System.out.println("|---|---|---|---|");
      try (Connection dv = DriverManager.getConnection(dvUrl, server.credentials());
           Statement ds = dv.createStatement()) {
        ds.execute("SHOW INCREMENTAL VIEWS"); // the engine starts: its own footprint is not counted
        int k = 0;
        for (Map.Entry<String, String> v : VIEWS.entrySet()) {
          String name = "fp_" + k++;
          long before = liveHeap();
          ds.execute("CREATE INCREMENTAL VIEW " + name + " AS " + v.getValue());
          long after = liveHeap();
          long read = v.getValue().contains(" u") ? 2L * rows : rows;
          long kept = Math.max(0, after - before);
          System.out.printf(Locale.ROOT, "| %s | %,d | %.1f MB | %.0f |%n", v.getKey(), read, kept / 1e6,
              (double) kept / read);
          ds.execute("DROP INCREMENTAL VIEW " + name);
        }
      }
    }
    EngineRegistry.stop(pgUrl);
  }

  /** The heap still reachable: used after collections, until two measures agree within 1 MB. */
  static long liveHeap() throws InterruptedException {
    MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
    long last = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      Thread.sleep(100); // lets reference processing and the engine's threads settle: a measurement, not a test
      long used = memory.getHeapMemoryUsage().getUsed();
      if (Math.abs(used - last) < 1_000_000) {
        return used;
      }
      last = used;
    }
    return last;
  }
}
