package io.deltaview.benchmarks;

import com.sun.management.GarbageCollectionNotificationInfo;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicLong;
import javax.management.NotificationEmitter;
import javax.management.openmbean.CompositeData;

/**
 * How much heap the initial load of a large view takes: creates a view whose result has about a million rows
 * and reports the largest heap occupancy after a collection (what the load really kept alive) and the largest
 * sampled occupancy, then drops the view. Run it in a JVM of its own with a fixed heap to find the smallest
 * {@code -Xmx} that completes. It uses only JDBC, so the same class measures any build of the driver jar:
 *
 * <pre>
 * java -Xmx512m -XX:+UseSerialGC -cp driver/target/deltaview-driver-all.jar:benchmarks/target/classes \
 *     io.deltaview.benchmarks.LoadMemory jdbc:postgresql://127.0.0.1:5432/loadmem postgres '' star
 * </pre>
 *
 * <p>Shapes: {@code star} (1M order lines joined with 100k orders and 10k customers: operator state and result
 * both about a million rows) and {@code many} (two 20k-row tables joined many-to-many on 400 keys: little
 * state, a 1M-row result). The tables are created on first use.
 */
public final class LoadMemory {

  private LoadMemory() {
  }

  public static void main(String[] args) throws Exception {
    String pgUrl = args[0];
    Properties credentials = new Properties();
    credentials.setProperty("user", args[1]);
    if (args.length > 2 && !args[2].isEmpty()) {
      credentials.setProperty("password", args[2]);
    }
    String shape = args.length > 3 ? args[3] : "star";
    String query = switch (shape) {
      case "star" -> "SELECT l.id, o.id AS order_id, c.name, l.qty, l.price FROM lm_lines l"
          + " JOIN lm_orders o ON l.order_id = o.id JOIN lm_customers c ON o.customer_id = c.id";
      case "many" -> "SELECT a.id AS a_id, b.id AS b_id, a.note FROM lm_a a JOIN lm_b b ON a.k = b.k";
      default -> throw new IllegalArgumentException("shape: star | many");
    };
    try (Connection c = DriverManager.getConnection(pgUrl, credentials)) {
      setUp(c, shape);
    }
    AtomicLong peakAfterGc = new AtomicLong();
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      ((NotificationEmitter) gc).addNotificationListener((n, h) -> {
        if (GarbageCollectionNotificationInfo.GARBAGE_COLLECTION_NOTIFICATION.equals(n.getType())) {
          GarbageCollectionNotificationInfo info = GarbageCollectionNotificationInfo.from((CompositeData) n.getUserData());
          long used = 0;
          for (Map.Entry<String, MemoryUsage> pool : info.getGcInfo().getMemoryUsageAfterGc().entrySet()) {
            if (!pool.getKey().contains("Metaspace") && !pool.getKey().contains("Code")
                && !pool.getKey().contains("Class")) {
              used += pool.getValue().getUsed();
            }
          }
          peakAfterGc.accumulateAndGet(used, Math::max);
        }
      }, null, null);
    }
    AtomicLong peakSampled = new AtomicLong();
    Thread sampler = new Thread(() -> {
      while (!Thread.currentThread().isInterrupted()) {
        peakSampled.accumulateAndGet(ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed(), Math::max);
        try {
          Thread.sleep(5);
        } catch (InterruptedException e) {
          return;
        }
      }
    }, "heap-sampler");
    sampler.setDaemon(true);
    String dvUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
    try (Connection dv = DriverManager.getConnection(dvUrl, credentials); Statement s = dv.createStatement()) {
      s.execute("SHOW INCREMENTAL VIEWS"); // the engine has started (Calcite, pgjdbc loaded) before measuring
      s.execute("DROP INCREMENTAL VIEW IF EXISTS lm_view");
      System.gc();
      long baseline = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      peakAfterGc.set(0);
      sampler.start();
      long start = System.nanoTime();
      String outcome;
      try {
        s.execute("CREATE INCREMENTAL VIEW lm_view AS " + query);
        outcome = "ready";
      } catch (SQLException e) {
        outcome = "failed " + e.getSQLState() + ": " + e.getMessage();
      }
      long millis = (System.nanoTime() - start) / 1_000_000;
      sampler.interrupt();
      long rows = -1;
      if (outcome.equals("ready")) {
        try (ResultSet rs = s.executeQuery("SELECT count(*) FROM lm_view")) {
          rs.next();
          rows = rs.getLong(1);
        }
        s.execute("DROP INCREMENTAL VIEW lm_view");
      }
      System.out.printf("shape=%s maxHeap=%dMB outcome=%s rows=%d time=%dms baselineAfterGc=%dMB"
              + " peakAfterGc=%dMB peakSampled=%dMB%n", shape, Runtime.getRuntime().maxMemory() >> 20, outcome, rows,
          millis, baseline >> 20, peakAfterGc.get() >> 20, peakSampled.get() >> 20);
    }
    System.exit(0);
  }

  private static void setUp(Connection c, String shape) throws SQLException {
    try (Statement s = c.createStatement()) {
      if (shape.equals("star")) {
        try (ResultSet rs = s.executeQuery("SELECT to_regclass('lm_lines') IS NOT NULL")) {
          rs.next();
          if (rs.getBoolean(1)) {
            return;
          }
        }
        s.execute("CREATE TABLE lm_customers (id int PRIMARY KEY, name text NOT NULL)");
        s.execute("CREATE TABLE lm_orders (id int PRIMARY KEY, customer_id int NOT NULL)");
        s.execute("CREATE TABLE lm_lines (id int PRIMARY KEY, order_id int NOT NULL, qty int NOT NULL,"
            + " price numeric(10,2) NOT NULL)");
        s.execute("INSERT INTO lm_customers SELECT g, 'customer ' || g FROM generate_series(1, 10000) g");
        s.execute("INSERT INTO lm_orders SELECT g, 1 + g % 10000 FROM generate_series(1, 100000) g");
        s.execute("INSERT INTO lm_lines SELECT g, 1 + g % 100000, 1 + g % 9, (g % 1000) / 10.0"
            + " FROM generate_series(1, 1000000) g");
      } else {
        try (ResultSet rs = s.executeQuery("SELECT to_regclass('lm_a') IS NOT NULL")) {
          rs.next();
          if (rs.getBoolean(1)) {
            return;
          }
        }
        s.execute("CREATE TABLE lm_a (id int PRIMARY KEY, k int NOT NULL, note text NOT NULL)");
        s.execute("CREATE TABLE lm_b (id int PRIMARY KEY, k int NOT NULL)");
        s.execute("INSERT INTO lm_a SELECT g, g % 400, 'note ' || g FROM generate_series(1, 20000) g");
        s.execute("INSERT INTO lm_b SELECT g, g % 400 FROM generate_series(1, 20000) g");
      }
      s.execute("ANALYZE");
    }
  }
}
