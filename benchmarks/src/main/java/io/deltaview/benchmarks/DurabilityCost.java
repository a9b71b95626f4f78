package io.deltaview.benchmarks;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.it.fixture.PostgresFixture;
import io.deltaview.it.fixture.ShopWorkload;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What durable state costs while changes flow: the demo view maintained by an engine with checkpoints off and
 * with a checkpoint every second (60 times the default), in alternating phases on the same data. In each phase a
 * writer commits transactions of 1,000 row changes as fast as it can while the engine applies them; reported are
 * the writer's rate (source write throughput) and the rate at which the engine made them visible (maintenance
 * throughput: changes / time from the first commit until the view is current), and their ratios with
 * checkpoints on / off, median over the pairs of phases. {@code -Ddeltaview.bench.lines} (default 500,000),
 * {@code -Ddeltaview.bench.txns} per phase (default 500), after a pair of phases that warms the JIT up, {@code -Ddeltaview.bench.pairs} (default 3).
 */
public final class DurabilityCost {

  private static final String VIEW = "revenue_by_region_month";
  private static final int CHANGES_PER_TXN = 1_000;
  private static final int ID_BASE = 600_000_000;

  private DurabilityCost() {
  }

  public static void main(String[] args) throws Exception {
    try {
      run(Integer.getInteger("deltaview.bench.lines", 500_000), Integer.getInteger("deltaview.bench.txns", 500),
          Integer.getInteger("deltaview.bench.pairs", 3));
    } finally {
      PostgresFixture.stopIfStarted();
    }
    System.exit(0);
  }

  /** One phase's figures. */
  private record Phase(boolean checkpoints, double writeRate, double visibleRate, long checkpointsWritten) {
  }

  static void run(int lineCount, int txns, int pairs) throws Exception {
    PostgresFixture server = PostgresFixture.get();
    String pgUrl = server.createDatabase("durability");
    String dvUrl = "jdbc:deltaview:" + pgUrl.substring("jdbc:".length());
    String database = pgUrl.substring(pgUrl.lastIndexOf('/') + 1).replaceAll("\\?.*", "");
    int orderCount = lineCount / 5;
    try (Connection plain = server.connect(pgUrl)) {
      ShopWorkload.createSchema(plain);
      new ShopWorkload(42).load(plain, 20_000, orderCount, lineCount, n -> { });
      System.out.printf(Locale.ROOT, "Data: 20,000 customers, %,d orders, %,d order lines; max heap %d MB; %d"
          + " transactions of %,d row changes per phase%n", orderCount, lineCount,
          Runtime.getRuntime().maxMemory() >> 20, txns, CHANGES_PER_TXN);
      System.setProperty("deltaview.checkpointMillis", "0");
      try (Connection dv = DriverManager.getConnection(dvUrl, server.credentials()); Statement s = dv.createStatement()) {
        s.execute("CREATE INCREMENTAL VIEW " + VIEW + " AS " + Demo.QUERY);
      }
      List<Phase> phases = new ArrayList<>();
      int phase = 0;
      for (int p = -1; p < pairs; p++) { // pair -1 warms the JIT up and is not counted
        for (boolean checkpoints : new boolean[] {false, true}) {
          EngineRegistry.stop(pgUrl);
          System.setProperty("deltaview.checkpointMillis", checkpoints ? "1000" : "0");
          Engine engine = EngineRegistry.engineFor(new EngineConfig(pgUrl, server.credentials(), database));
          while (engine.readyViews().isEmpty()) {
            Thread.onSpinWait();
          }
          if (!engine.awaitCurrent(120_000)) {
            throw new IllegalStateException("the engine did not catch up");
          }
          long written0 = engine.checkpointStats().written();
          long t0 = System.nanoTime();
          ChangeWriter.write(plain, txns, CHANGES_PER_TXN, ID_BASE, phase, phase, lineCount, orderCount);
          phase++;
          double writeSeconds = (System.nanoTime() - t0) / 1e9;
          if (!engine.awaitCurrent(300_000)) {
            throw new IllegalStateException("the engine did not catch up with the phase");
          }
          double visibleSeconds = (System.nanoTime() - t0) / 1e9;
          Phase result = new Phase(checkpoints, txns * CHANGES_PER_TXN / writeSeconds,
              txns * CHANGES_PER_TXN / visibleSeconds, engine.checkpointStats().written() - written0);
          if (p >= 0) {
            phases.add(result);
          }
          System.out.printf(Locale.ROOT, "%s %d, checkpoints %-3s: writer %,9.0f changes/s; visible %,9.0f"
              + " changes/s (%.2f s); checkpoints written during it: %d%n", p < 0 ? "warm-up" : "phase", phase,
              checkpoints ? "on" : "off",
              result.writeRate(), result.visibleRate(), visibleSeconds, result.checkpointsWritten());
        }
      }
      EngineRegistry.stop(pgUrl);
      double[] write = new double[pairs];
      double[] visible = new double[pairs];
      for (int p = 0; p < pairs; p++) {
        write[p] = phases.get(2 * p + 1).writeRate() / phases.get(2 * p).writeRate();
        visible[p] = phases.get(2 * p + 1).visibleRate() / phases.get(2 * p).visibleRate();
      }
      System.out.printf(Locale.ROOT, "checkpoints every 1 s / off, median of %d pairs: source write throughput %.2f"
          + " (goal >= 0.95), maintenance throughput %.2f (goal >= 0.8)%n", pairs, median(write), median(visible));
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
