package io.deltaview.benchmarks;

import io.deltaview.engine.compile.ViewCompiler;
import io.deltaview.engine.compile.ViewPipeline;
import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import io.deltaview.rewriter.schema.CatalogSchema;
import io.deltaview.rewriter.sql.SqlFrontEnd;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Engine-only macro benchmark of benchmark (c) without a database: compiles the demo view with the real
 * Calcite front end, loads the shop data (same generators as {@code ShopWorkload}) as one +1 delta per table,
 * then applies transactions of 1,000 row changes (500 inserts + 500 updates that move lines between orders,
 * as Benchmarks does) and prints the snapshot time and changes/s per round. Rows are built up front, so only
 * {@link ViewPipeline#onChanges} is timed.
 *
 * <p>Run: {@code java -cp ... io.deltaview.benchmarks.PipelineBenchmark [lines] [changes] [rounds]}.
 */
public final class PipelineBenchmark {

  private static final String[] REGIONS = {"north", "south", "east", "west", "central"};
  private static final String[] PRODUCTS = {"apple", "pear", "plum", "fig", "kiwi", "lime", "date", "yuzu"};
  private static final LocalDateTime EPOCH = LocalDateTime.of(2024, 1, 1, 0, 0);

  private PipelineBenchmark() {
  }

  public static void main(String[] args) throws Exception {
    int lineCount = args.length > 0 ? Integer.parseInt(args[0]) : 1_000_000;
    int changes = args.length > 1 ? Integer.parseInt(args[1]) : 200_000;
    int rounds = args.length > 2 ? Integer.parseInt(args[2]) : 5;
    int orderCount = lineCount / 5;
    int customerCount = 20_000;
    CatalogSchema schema = CatalogSchema.builder()
        .searchPath(List.of("public"))
        .table("public", "customers")
            .column("id", "int4", false).column("region", "text", false).column("name", "text")
            .column("tier", "int4").primaryKey("id").done()
        .table("public", "orders")
            .column("id", "int4", false).column("customer_id", "int4", false)
            .column("created_at", "timestamp", false).column("status", "text", false)
            .column("amount", "numeric(10,2)").primaryKey("id").done()
        .table("public", "order_lines")
            .column("id", "int4", false).column("order_id", "int4", false).column("product", "text", false)
            .column("qty", "int4", false).column("price", "numeric(10,2)", false)
            .column("discount", "float8").primaryKey("id").done()
        .build();
    ViewPipeline pipeline = ViewCompiler.compile(new SqlFrontEnd(schema).toRel(Demo.QUERY));
    Map<String, Integer> source = new HashMap<>();
    for (int i = 0; i < pipeline.sourceTables().size(); i++) {
      List<String> q = pipeline.sourceTables().get(i);
      source.put(q.get(q.size() - 1), i);
    }
    int lineSource = source.get("order_lines");

    ZSet customers = new ZSet(customerCount);
    for (long g = 1; g <= customerCount; g++) {
      customers.add(Row.of(g, REGIONS[(int) (g % 5)], "customer " + g, g % 7 == 0 ? null : g % 4), 1);
    }
    ZSet orders = new ZSet(orderCount);
    String[] statuses = {"new", "paid", "shipped", "cancelled"};
    for (long g = 1; g <= orderCount; g++) {
      orders.add(Row.of(g, 1 + (g * 7919) % customerCount, EPOCH.plusDays(g % 365).plusSeconds(g % 86400),
          statuses[(int) (g % 4)], BigDecimal.valueOf(g * 37 % 50_000, 2)), 1);
    }
    Row[] lines = new Row[lineCount + 1 + changes];
    ZSet lineDelta = new ZSet(lineCount);
    for (int g = 1; g <= lineCount; g++) {
      lines[g] = line(g, 1 + (g * 104729L) % orderCount);
      lineDelta.add(lines[g], 1);
    }
    // Transactions, prepared up front: inserts of new lines, updates moving existing lines to another order.
    int perTxn = 1000;
    int inserts = perTxn / 2;
    int updates = perTxn - inserts;
    int txns = Math.max(1, changes / perTxn);
    List<ZSet> txnDeltas = new ArrayList<>();
    for (int t = 0; t < txns; t++) {
      ZSet d = new ZSet(perTxn + updates);
      int from = lineCount + t * inserts + 1;
      for (int g = from; g < from + inserts; g++) {
        lines[g] = new LineInsert(g, 1 + (g * 7919L) % orderCount).row();
        d.add(lines[g], 1);
      }
      int firstMoved = 1 + (int) ((long) t * updates % Math.max(1, lineCount - updates));
      for (int id = firstMoved; id < firstMoved + updates; id++) {
        Row old = lines[id];
        long orderId = 1 + (((Long) old.get(1)) * 31 + t) % orderCount;
        Row moved = Row.of(old.get(0), orderId, old.get(2), (Long) old.get(3) + 1, old.get(4), old.get(5));
        d.add(old, -1);
        d.add(moved, 1);
        lines[id] = moved;
      }
      txnDeltas.add(d);
    }

    long t0 = System.nanoTime();
    Map<Integer, ZSet> snapshot = new HashMap<>();
    snapshot.put(source.get("customers"), customers);
    snapshot.put(source.get("orders"), orders);
    snapshot.put(lineSource, lineDelta);
    ZSet contents = pipeline.onChanges(snapshot);
    System.out.printf("snapshot: %,d lines, %,d orders, %,d customers in %.2f s -> %d groups%n", lineCount,
        orderCount, customerCount, (System.nanoTime() - t0) / 1e9, contents.size());

    // Rounds replay disjoint slices of the prepared transactions, so state keeps evolving consistently.
    int perRound = Math.max(1, txns / rounds);
    List<Double> rates = new ArrayList<>();
    List<Double> cpuRates = new ArrayList<>();
    java.lang.management.ThreadMXBean threads = java.lang.management.ManagementFactory.getThreadMXBean();
    for (int r = 0; r < rounds; r++) {
      // Thread CPU time as well as wall time: the machine is shared, and CPU time excludes time stolen by
      // other processes (but also GC threads' work, which wall time includes).
      long cpu0 = threads.getCurrentThreadCpuTime();
      long c0 = System.nanoTime();
      long applied = 0;
      for (int t = r * perRound; t < Math.min(txns, (r + 1) * perRound); t++) {
        ZSet out = pipeline.onChanges(Map.of(lineSource, txnDeltas.get(t)));
        contents.addAll(out);
        applied += perTxn;
      }
      double secs = (System.nanoTime() - c0) / 1e9;
      double cpuSecs = (threads.getCurrentThreadCpuTime() - cpu0) / 1e9;
      rates.add(applied / secs);
      cpuRates.add(applied / cpuSecs);
      System.out.printf("round %d: %,d changes in %.2f s = %,.0f changes/s (%,.0f per CPU-second)%n", r, applied,
          secs, applied / secs, applied / cpuSecs);
    }
    rates.sort(null);
    cpuRates.sort(null);
    System.out.printf("median %,.0f changes/s (%,.0f per CPU-second); result %d groups, checksum %s%n", rates.get(rates.size() / 2),
        cpuRates.get(cpuRates.size() / 2), contents.size(), checksum(contents));
  }

  private static Row line(long g, long orderId) {
    return Row.of(g, orderId, PRODUCTS[(int) (g % 8)], 1 + g % 9, BigDecimal.valueOf(100 + g * 7 % 9900, 2),
        g % 5 == 0 ? null : (g % 100) / 8.0);
  }

  /** An inserted line as Benchmarks writes it: product kiwi, price 12.50, no discount. */
  private record LineInsert(long id, long orderId) {
    Row row() {
      return Row.of(id, orderId, "kiwi", 1 + id % 9, new BigDecimal("12.50"), null);
    }
  }

  private static String checksum(ZSet contents) {
    // Independent of Row's hash function, which is subject to tuning.
    return Integer.toHexString(contents.toString().hashCode());
  }
}
