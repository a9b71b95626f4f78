package io.deltaview.benchmarks;

import io.deltaview.rewriter.QueryRewriter;
import io.deltaview.rewriter.RewriteDecision;
import io.deltaview.rewriter.ViewDefinition;
import io.deltaview.rewriter.schema.CatalogSchema;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

/**
 * The rewriter's cost per query, with JMH, against 1, 30 or 300 registered views: a repeated query (a cache
 * hit: the driver's per-query path), a query text seen for the first time whose shape was seen with other
 * literal values (the second level: lex, look the shape up, put the values into its rewrite), and a query
 * text of a new shape (a miss: parse, validate, match against every candidate view, verify). The third goal, pass-through at most 1.03× raw pgjdbc, needs a
 * database and is benchmark (b) of {@link Benchmarks}.
 *
 * <p>Run: {@code java -cp … io.deltaview.benchmarks.RewriterBenchmark}; it prints JMH's table and each goal.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgs = {"-Xms2g", "-Xmx2g"})
public class RewriterBenchmark {

  /** Goals: a cache hit (of the text or of its shape) within 2 µs; a new query shape with 300 views within 10 ms. */
  static final double HIT_GOAL_US = 2;
  static final double MISS_GOAL_US = 10_000;

  @Param({"1", "30", "300"})
  public int views;

  private QueryRewriter rewriter;
  private String repeated;
  /** The text of {@link #sameShapeOtherLiteral} up to its varying literal, built once. */
  private String otherLiteralPrefix;
  private long next;

  @Setup(Level.Trial)
  public void setUp() {
    rewriter = QueryRewriter.create(catalog(views), definitions(views));
    otherLiteralPrefix = "SELECT status, sum(amount) AS total FROM orders WHERE customer_id = "
        + lastGroupedCustomer(views) + " AND status = 'other ";
    // Served by the last view of its kind, so that a miss looks at every candidate first.
    repeated = "SELECT status, sum(amount) AS total FROM orders WHERE customer_id = " + lastGroupedCustomer(views)
        + " GROUP BY status";
    RewriteDecision d = rewriter.rewrite(repeated);
    if (!d.rewritten()) {
      throw new IllegalStateException("the benchmark query is not served: " + d.reason());
    }
    RewriteDecision first = rewriter.rewrite(otherLiteral(-1));
    if (!first.rewritten()) {
      throw new IllegalStateException("the benchmark's shape is not served: " + first.reason());
    }
  }

  @Benchmark
  public RewriteDecision cacheHit() {
    return rewriter.rewrite(repeated);
  }

  @Benchmark
  public RewriteDecision sameShapeOtherLiteral() {
    // A text never seen, of a shape seen before: only its status differs (no view holds that value).
    return rewriter.rewrite(otherLiteral(next++));
  }

  /**
   * A new text each call (so the first level never has it), built from a precomputed prefix: the concatenation
   * is part of what is measured (tens of nanoseconds), the loop over the views that names the customer is not.
   */
  private String otherLiteral(long n) {
    return otherLiteralPrefix + n + "' GROUP BY status";
  }

  @Benchmark
  @Warmup(iterations = 3, time = 3)
  @Measurement(iterations = 5, time = 3)
  public RewriteDecision newQueryShape() {
    // A text never seen: its own column alias makes it a new cache key (and a new shape to decide).
    return rewriter.rewrite("SELECT status, sum(amount) AS total_" + (next++) + " FROM orders WHERE customer_id = "
        + lastGroupedCustomer(views) + " GROUP BY status");
  }

  /** The customer of the last grouped view ({@link #definitions}: every third view, from the second on). */
  private static int lastGroupedCustomer(int views) {
    int last = 1;
    for (int i = 0; i < views; i++) {
      if (views == 1 || i % 3 == 1) {
        last = i;
      }
    }
    return last;
  }

  /**
   * {@code n} views in three kinds over the shop schema: a filtered projection of orders, orders grouped by
   * status for one customer, and a join of customers and orders grouped by region.
   */
  static List<ViewDefinition> definitions(int n) {
    List<ViewDefinition> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String name = "v" + i;
      int kind = n == 1 ? 1 : i % 3;
      out.add(switch (kind) {
        case 0 -> new ViewDefinition("public." + name, "public", name, "SELECT id, customer_id, amount FROM orders"
            + " WHERE status = 'status " + i + "'", List.of("id", "customer_id", "amount"));
        case 1 -> new ViewDefinition("public." + name, "public", name, "SELECT status, count(*) AS n,"
            + " sum(amount) AS total FROM orders WHERE customer_id = " + i + " GROUP BY status",
            List.of("status", "n", "total"));
        default -> new ViewDefinition("public." + name, "public", name, "SELECT c.region, count(*) AS n"
            + " FROM customers c JOIN orders o ON o.customer_id = c.id WHERE o.amount > " + i + " GROUP BY c.region",
            List.of("region", "n"));
      });
    }
    return out;
  }

  /** The shop's base tables and the result tables of {@link #definitions}, typed as PostgreSQL types them. */
  static CatalogSchema catalog(int n) {
    CatalogSchema.Builder b = CatalogSchema.builder().searchPath(List.of("public"))
        .table("public", "customers").column("id", "int4").column("region", "text").column("name", "text")
            .primaryKey("id").done()
        .table("public", "orders").column("id", "int4").column("customer_id", "int4")
            .column("created_at", "timestamp").column("status", "text").column("amount", "numeric(10,2)")
            .primaryKey("id").done();
    for (ViewDefinition v : definitions(n)) {
      CatalogSchema.TableBuilder t = b.table("public", v.resultTable());
      switch (v.columnNames().size()) {
        case 3 -> {
          if (v.columnNames().get(0).equals("id")) {
            t.column("id", "int4").column("customer_id", "int4").column("amount", "numeric(10,2)");
          } else {
            t.column("status", "text").column("n", "int8").column("total", "numeric");
          }
        }
        default -> t.column("region", "text").column("n", "int8");
      }
      b = t.done();
    }
    return b.build();
  }

  public static void main(String[] args) throws Exception {
    OptionsBuilder options = new OptionsBuilder();
    options.include(RewriterBenchmark.class.getSimpleName());
    List<String> lines = new ArrayList<>();
    for (RunResult r : new Runner(options.build()).run()) {
      String method = r.getParams().getBenchmark().replaceAll(".*\\.", "");
      String views = r.getParams().getParam("views");
      double us = r.getPrimaryResult().getScore();
      boolean hit = !method.equals("newQueryShape");
      double goal = hit ? HIT_GOAL_US : MISS_GOAL_US;
      boolean judged = hit || views.equals("300");
      lines.add(String.format("%-14s %4s views: %10.3f µs ± %.3f%s", method, views, us,
          r.getPrimaryResult().getScoreError(), judged ? (us <= goal ? "  goal ≤ " + goal + " µs: met"
              : "  goal ≤ " + goal + " µs: NOT met") : ""));
    }
    System.out.println();
    lines.forEach(System.out::println);
  }
}
