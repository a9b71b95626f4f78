package io.deltaview.benchmarks;

import io.deltaview.engine.Engine;
import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.EngineRegistry;
import io.deltaview.engine.spill.StateMemory;
import io.deltaview.it.fixture.PostgresFixture;
import io.deltaview.it.fixture.ShopWorkload;
import java.nio.file.Files;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What durable state costs while changes flow: the demo view maintained by an engine in a baseline setting
 * (checkpoints off, every arrangement on the heap) and in a variant, in alternating phases on the same data, the
 * engine restarted for each. In each phase a writer commits transactions of 1,000 row changes as fast as it can
 * while the engine applies them; reported are the writer's rate (source write throughput) and the rate at which
 * the engine made them visible (maintenance throughput: changes / time from the first commit until the view is
 * current), and their ratios variant / baseline, median over the pairs of phases.
 *
 * <p>{@code -Ddeltaview.bench.variant}: {@code checkpoint-1s} (default: a checkpoint every second, 60 times the
 * default), {@code checkpoint-default} (every 60 s, the default; give phases longer than a minute), or
 * {@code spilled} (no checkpoints, and a state memory budget of 8 MB, so the join arrangements live on disk).
 * {@code -Ddeltaview.bench.lines} (default 500,000), {@code -Ddeltaview.bench.txns} per phase (default 500),
 * after a pair of phases that warms the JIT up, {@code -Ddeltaview.bench.pairs} (default 3).
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
  private record Phase(boolean variant, double writeRate, double visibleRate, long checkpointsWritten,
      long spilledBytes) {
  }

  /** The setting compared with the baseline. */
  private enum Variant {
    CHECKPOINT_1S("checkpoints every 1 s", "1000", false),
    CHECKPOINT_DEFAULT("checkpoints every 60 s (the default)", "60000", false),
    SPILLED("join state spilled to disk (8 MB budget)", "0", true);

    final String label;
    final String checkpointMillis;
    final boolean spill;

    Variant(String label, String checkpointMillis, boolean spill) {
      this.label = label;
      this.checkpointMillis = checkpointMillis;
      this.spill = spill;
    }

    static Variant of(String name) {
      return valueOf(name.toUpperCase(Locale.ROOT).replace('-', '_'));
    }
  }

  static void run(int lineCount, int txns, int pairs) throws Exception {
    Variant variant = Variant.of(System.getProperty("deltaview.bench.variant", "checkpoint-1s"));
    StateMemory heapOnly = StateMemory.global();
    StateMemory spilling = new StateMemory(8L << 20, Files.createTempDirectory("deltaview-bench-spill"), 4096);
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
        for (boolean varied : new boolean[] {false, true}) {
          EngineRegistry.stop(pgUrl);
          System.setProperty("deltaview.checkpointMillis", varied ? variant.checkpointMillis : "0");
          StateMemory.install(varied && variant.spill ? spilling : heapOnly);
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
          Phase result = new Phase(varied, txns * CHANGES_PER_TXN / writeSeconds,
              txns * CHANGES_PER_TXN / visibleSeconds, engine.checkpointStats().written() - written0,
              StateMemory.global().spilledBytes());
          if (p >= 0) {
            phases.add(result);
          }
          System.out.printf(Locale.ROOT, "%s %d, %s: writer %,9.0f changes/s; visible %,9.0f changes/s (%.2f s);"
              + " checkpoints written during it: %d; state on disk %,d bytes%n", p < 0 ? "warm-up" : "phase", phase,
              varied ? variant.label : "baseline", result.writeRate(), result.visibleRate(), visibleSeconds,
              result.checkpointsWritten(), result.spilledBytes());
        }
      }
      EngineRegistry.stop(pgUrl);
      double[] write = new double[pairs];
      double[] visible = new double[pairs];
      for (int p = 0; p < pairs; p++) {
        write[p] = phases.get(2 * p + 1).writeRate() / phases.get(2 * p).writeRate();
        visible[p] = phases.get(2 * p + 1).visibleRate() / phases.get(2 * p).visibleRate();
      }
      System.out.printf(Locale.ROOT, "%s / baseline, median of %d pairs: source write throughput %.2f%s,"
          + " maintenance throughput %.2f%s%n", variant.label, pairs, median(write),
          variant.spill ? "" : " (goal >= 0.95)", median(visible), variant.spill ? " (reported)" : " (goal >= 0.8)");
    }
  }

  private static double median(double[] values) {
    double[] sorted = values.clone();
    java.util.Arrays.sort(sorted);
    int n = sorted.length;
    return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
  }
}
