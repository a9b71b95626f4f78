package io.deltaview.engine.compile;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.deltaview.engine.operator.ZSet;
import io.deltaview.engine.row.Row;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.apache.calcite.rel.RelNode;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.io.TempDir;
import io.deltaview.engine.spill.StateMemory;
import io.deltaview.engine.state.PipelineState;
import io.deltaview.engine.state.StateImage;
import io.deltaview.engine.state.StateInput;
import io.deltaview.engine.state.StateOutput;
import java.nio.file.Path;

/**
 * Randomised differential test: random inserts, updates and deletes over many transactions; after each,
 * the sum of the pipeline's output deltas must equal a naive recomputation of the plan over the current
 * base rows. The seed is in every failure message.
 */
class DifferentialTest {

  private static final long BASE_SEED = Long.getLong("deltaview.seed", 20261125L);
  private static final int TRANSACTIONS = 250;
  private static final String[] REGIONS = {"eu", "us", "apac", null};
  private static final String[] STATUSES = {"new", "paid", "cancelled", null};
  private static final String[] NAMES = {"ann", "bob", "cy", "dee", "Eve", null};

  /** The view shapes every test here runs, each under random changes. */
  static String[] views() {
    return new String[] {
      // filter + project
      "select id, customer_id, upper(status) as s, customer_id * 2 + 1 as k from orders"
          + " where status in ('new', 'paid') or customer_id is null",
      // 2-way join with a filter
      "select c.name, c.region, o.id, o.status from customers c join orders o on o.customer_id = c.id"
          + " where o.status <> 'cancelled'",
      // 3-way join with a residual condition
      "select c.region, o.id, ol.qty, ol.price from customers c join orders o on o.customer_id = c.id"
          + " join order_lines ol on ol.order_id = o.id and ol.qty > c.id",
      // 4-way join (one delta join): a self-join on a null-safe key, with a residual
      "select c.name, c2.name as other, ol.qty from customers c join orders o on o.customer_id = c.id"
          + " join order_lines ol on ol.order_id = o.id"
          + " join customers c2 on c2.region is not distinct from c.region and c2.id <> c.id",
      // 3-way join whose third input is an aggregate, grouped above
      "select o.status, count(*) as n, sum(ol.qty) as q, max(x.k) as k from orders o"
          + " join order_lines ol on ol.order_id = o.id"
          + " join (select customer_id, count(*) as k from orders group by customer_id) x on x.customer_id = o.customer_id"
          + " group by o.status",
      // correlated EXISTS and NOT EXISTS on a non-equality, as TPC-H Q21: decorrelation repeats the outer
      // query, whose copies are one shared sub-plan
      "select c.name, count(*) as n from customers c join orders o on o.customer_id = c.id"
          + " where exists (select 1 from orders o2 where o2.customer_id = o.customer_id and o2.id <> o.id)"
          + " and not exists (select 1 from orders o3 where o3.customer_id = o.customer_id and o3.id <> o.id"
          + " and o3.status = 'cancelled') group by c.name",
      // self-join
      "select a.id, b.id as other from orders a join orders b on a.customer_id = b.customer_id and a.id <> b.id",
      // group by with every aggregate
      "select order_id, count(*) as n, count(qty) as nq, sum(qty) as sq, sum(price) as sp, avg(qty) as aq,"
          + " avg(price) as ap, min(price) as lo, max(price) as hi, min(qty) as lq, max(qty) as hq"
          + " from order_lines group by order_id",
      // min/max of text and timestamps
      "select region, min(name) as lo, max(name) as hi, count(name) as n from customers group by region",
      "select status, min(created_at) as first, max(created_at) as last from orders group by status",
      // whole-table aggregate over a filter that is often empty
      "select count(*) as n, sum(qty) as s, avg(price) as a, min(price) as lo, max(qty) as hi"
          + " from order_lines where qty > 3",
      // join + group by
      "select c.region, o.status, count(*) as n, sum(ol.qty) as q, avg(ol.price) as p, max(ol.price) as m"
          + " from customers c join orders o on o.customer_id = c.id join order_lines ol on ol.order_id = o.id"
          + " group by c.region, o.status",
      // expression above an aggregate, HAVING
      "select customer_id, sum(id) / count(*) as a, count(*) * 2 as c2, sum(id) * 1.0 / count(*) as r"
          + " from orders group by customer_id having count(*) > 1",
      // aggregate of an expression, grouped by a date_trunc-like expression
      "select floor(created_at to month) as m, sum(customer_id * 10) as s, count(*) as n from orders"
          + " group by floor(created_at to month)",
      // outer joins: rows flip between matched and NULL-extended as keys and residuals change
      "select c.id, c.name, o.id as oid, o.status from customers c left join orders o on o.customer_id = c.id",
      "select c.id, o.id as oid from customers c left join orders o on o.customer_id = c.id and o.status = 'paid'"
          + " and c.region is not null",
      "select o.id, c.name from customers c right join orders o on o.customer_id = c.id and c.name <> o.status",
      "select c.name, o.status, o.id as oid from customers c full join orders o on o.customer_id = c.id",
      "select a.id, b.id as other from orders a full join orders b on a.status = b.status and a.id < b.id",
      "select c.region, count(*) as n, count(o.id) as orders, sum(ol.qty) as q, max(ol.price) as m"
          + " from customers c left join orders o on o.customer_id = c.id"
          + " left join order_lines ol on ol.order_id = o.id group by c.region",
      "select c.name, o.id, ol.qty from customers c join orders o on o.customer_id = c.id"
          + " left join order_lines ol on ol.order_id = o.id and ol.qty > 2"
          + " join customers c2 on c2.id = o.customer_id",
      "select c.id, o.id as oid from customers c left join orders o on true",
      // outer join whose inner side is an aggregate
      "select c.id, x.n from customers c left join (select customer_id, count(*) as n from orders"
          + " group by customer_id) x on x.customer_id = c.id",
      // set operations with bag and set semantics
      "select customer_id from orders union all select id from customers",
      "select region as x from customers union select status from orders",
      "select customer_id from orders intersect select id from customers",
      "select customer_id from orders intersect all select order_id from order_lines",
      "select customer_id from orders except select id from customers where region = 'eu'",
      "select customer_id from orders except all select order_id from order_lines",
      "select status, count(*) as n from (select status from orders union all select region from customers) u"
          + " group by status",
      // subqueries, decorrelated into joins and aggregates
      "select c.id, c.name from customers c where exists (select 1 from orders o where o.customer_id = c.id"
          + " and o.status = 'paid')",
      "select c.id from customers c where not exists (select 1 from orders o where o.customer_id = c.id)",
      "select c.id from customers c where c.id in (select customer_id from orders where status <> 'new')",
      "select c.id from customers c where c.id not in (select customer_id from orders)",
      "select o.id from orders o where o.customer_id not in (select id from customers where region = 'eu')",
      "select c.id, (select count(*) from orders o where o.customer_id = c.id) as n from customers c",
      "select c.id, (select max(o.created_at) from orders o where o.customer_id = c.id) as last from customers c",
      "select id, qty from order_lines where price > (select avg(price) from order_lines)",
      // FILTER, DISTINCT aggregates, grouping sets
      "select status, count(*) filter (where customer_id > 3) as n, sum(customer_id) filter (where status <> 'new')"
          + " as s, max(created_at) filter (where customer_id < 5) as m from orders group by status",
      "select status, count(distinct customer_id) as n, count(*) as c, sum(customer_id) as s from orders"
          + " group by status",
      "select count(distinct status) as n, sum(distinct customer_id) as s, avg(distinct qty) as a"
          + " from orders o join order_lines ol on ol.order_id = o.id",
      "select region, name, count(*) as n, grouping(region, name) as g from customers group by rollup(region, name)",
      "select status, customer_id, count(*) as n, sum(id) as s from orders group by cube(status, customer_id)",
      "select status, count(*) as n from orders group by grouping sets ((status), ()) having count(*) > 1",
      // top-K
      "select id, customer_id from orders order by customer_id desc, id limit 5",
      "select id, qty, price from order_lines order by price nulls first, id limit 7 offset 3",
      "select customer_id, count(*) as n from orders group by customer_id order by n desc, customer_id limit 3",
      "select qty from order_lines order by qty limit 4",
      "select id, status from orders order by id",
      "select c.id, x.n from customers c join (select customer_id, count(*) as n from orders group by customer_id"
          + " order by n desc, customer_id limit 2) x on x.customer_id = c.id",
      // window functions
      "select id, customer_id, row_number() over (partition by customer_id order by created_at, id) as rn,"
          + " rank() over (partition by customer_id order by created_at) as r,"
          + " dense_rank() over (order by customer_id nulls first) as dr from orders",
      "select id, sum(qty) over (partition by order_id order by id) as run_sum,"
          + " count(*) over (partition by order_id) as n, avg(price) over (partition by order_id) as a,"
          + " max(price) over (order by qty, id rows between 2 preceding and 1 following) as m from order_lines",
      "select id, lag(qty, 2, -1) over (order by id) as l, lead(price) over (partition by qty order by id) as ld,"
          + " first_value(price) over (partition by order_id order by id) as f,"
          + " last_value(qty) over (partition by order_id order by id rows between unbounded preceding"
          + " and unbounded following) as lv from order_lines",
      "select id, percent_rank() over (order by customer_id) as pr, cume_dist() over (order by customer_id) as cd,"
          + " sum(customer_id) over (order by created_at range between unbounded preceding and current row) as s"
          + " from orders",
      "select id, ntile(3) over (partition by order_id order by id) as t, ntile(4) over (order by qty, id) as t4,"
          + " nth_value(price, 2) over (partition by order_id order by id) as n2,"
          + " nth_value(qty, 3) over (order by id rows between 1 preceding and 2 following) as n3 from order_lines",
      // string_agg and array_agg in an order that is total, with FILTER, NULLs, DISTINCT; groups emptied by deletes
      "select order_id, string_agg(cast(qty as varchar), '; ' order by id desc) as s, array_agg(price order by id)"
          + " as a, array_agg(qty order by qty nulls first, id) filter (where price > 50) as f from order_lines"
          + " group by order_id",
      "select customer_id, string_agg(status, ',' order by id) filter (where status <> 'new') as s,"
          + " array_agg(created_at order by created_at, id) as t from orders group by customer_id",
      "select status, array_agg(distinct customer_id order by customer_id desc) as c, array_agg(customer_id order by"
          + " customer_id) as all_c from orders group by status",
      "select string_agg(name, '|' order by id) as names, array_agg(region order by id) as regions from customers",
      // DISTINCT ordered by the value, next to other ordered aggregates and to COUNT (kept by the operator itself)
      "select order_id, array_agg(id order by id) as a, array_agg(qty order by id desc) as b,"
          + " array_agg(price order by id) filter (where qty > 1) as f, array_agg(distinct qty order by qty) as p,"
          + " string_agg(distinct cast(qty as varchar), ',' order by cast(qty as varchar)) as sq"
          + " from order_lines group by order_id",
      "select order_id, count(*) as n, array_agg(distinct qty order by qty nulls first) filter (where price > 20)"
          + " as q, count(distinct qty) as dq from order_lines group by order_id",
      // variances and standard deviations of integer, bigint and numeric columns
      "select order_id, stddev(qty) as sd, stddev_pop(qty) as sp, variance(price) as v, var_pop(price) as vp,"
          + " var_samp(cast(qty as bigint)) as vs, stddev_samp(price) as ss, stddev_pop(price * 3) as sp3"
          + " from order_lines group by order_id",
      "select variance(qty) as v, stddev(price) as s, var_pop(cast(qty as bigint) * 1000000007) as big"
          + " from order_lines where qty > 3",
      // top-K per group
      "select * from (select id, customer_id, row_number() over (partition by customer_id order by id desc) as rn"
          + " from orders) x where rn <= 2",
      "select status, n from (select status, count(*) as n, rank() over (order by count(*) desc) as r from orders"
          + " group by status) x where r = 1",
      // text sort keys (code-point order; the planner refuses other collations)
      "select id, name, region from customers order by name desc nulls last, id limit 3",
      "select id, row_number() over (partition by region order by name nulls first, id) as rn,"
          + " max(name) over (partition by region) as top from customers",
      "select region, string_agg(name, ',' order by name) as names from customers group by region",
      // VALUES lists: constant relations joined, outer-joined under an aggregate, in a union and a CTE
      "select o.id, v.label from orders o join (values (1, 'one'), (2, 'two'), (3, 'three')) as v(k, label)"
          + " on v.k = o.customer_id",
      "select v.label, count(ol.id) as n, sum(ol.qty) as q from (values (0, 'none'), (1, 'one'), (5, 'five'),"
          + " (7, 'seven')) as v(q, label) left join order_lines ol on ol.qty = v.q group by v.label",
      "select customer_id from orders union all select * from (values (100), (200), (cast(null as integer))) as v(c)",
      "with tiers(lo, hi, name) as (values (0, 3, 'low'), (4, 10, 'high')) select o.id, t.name, t.lo * 1.5 as w"
          + " from orders o join tiers t on o.customer_id between t.lo and t.hi",
      // RANGE frames with offsets: integer, numeric and interval offsets, both directions, NULL keys, under a top-K
      "select id, sum(qty) over (order by qty range between 1 preceding and current row) as s,"
          + " count(*) over (order by qty desc nulls first range between 2 preceding and 1 following) as c,"
          + " first_value(id) over (order by id range between 3 preceding and 2 following) as f from order_lines",
      "select id, sum(price) over (partition by order_id order by price range between 10.5 preceding and 20 following)"
          + " as s, min(qty) over (order by price nulls first range between 5 following and 50 following) as lo,"
          + " avg(qty) over (order by price desc range between current row and 30 following) as a from order_lines",
      "select id, count(*) over (order by created_at range between interval '7' day preceding and current row) as n,"
          + " max(customer_id) over (partition by status order by created_at desc range between interval '36' hour"
          + " preceding and interval '1' day following) as m, sum(customer_id) over (order by created_at"
          + " range between interval '1' month preceding and interval '2' day preceding) as p from orders",
      "select id, d, count(*) over (order by d desc range between interval '3' day preceding and interval '1' day"
          + " following) as n from (select id, cast(created_at as date) as d from orders) x",
      "select id, s from (select id, sum(customer_id) over (order by created_at range between interval '10' day"
          + " preceding and current row) as s from orders) x order by s desc nulls last, id limit 5",
      // sums of a decimal product and of a double
      "select customer_id, sum(id * 1.5) as s, sum(cast(id as double)) as d from orders group by customer_id",
    };
  }

  @ParameterizedTest
  @MethodSource("views")
  void incrementalEqualsRecomputation(String sql) {
    runReportingSeed(sql, 0, 0);
  }

  /**
   * The same, with the pipeline's state written to a checkpoint and read back into a freshly compiled pipeline
   * every few transactions: the restored pipeline must go on exactly as the original would have, step after
   * step, and equal a recomputation at the end of every transaction.
   */
  @ParameterizedTest
  @MethodSource("views")
  void restoredFromCheckpointsEqualsRecomputation(String sql) {
    runReportingSeed(sql, 0x5eed, 7);
  }

  /**
   * The same with every join's state moved to the disk store as soon as it holds a row (a memory budget of
   * zero): reads and writes of spilled buckets must keep the view exact.
   */
  @ParameterizedTest
  @MethodSource("views")
  void spilledToDiskEqualsRecomputation(String sql, @TempDir Path dir) {
    withStateOnDisk(dir, memory -> {
      runReportingSeed(sql, 0xd15c, 0);
      if (sql.matches("(?s).* join .*") && !sql.matches("(?s).*(left|right|full) join.*")) {
        assertTrue(memory.spilledArrangements() > 0, "an inner join's state was moved to disk");
      }
    });
  }

  /**
   * Checkpoints of state on disk: every join's state spilled, each checkpoint written from a snapshot of the
   * store after the pipeline went on past it, and read back into a pipeline whose state spills again.
   */
  @ParameterizedTest
  @MethodSource("views")
  void spilledAndRestoredFromCheckpointsEqualsRecomputation(String sql, @TempDir Path dir) {
    withStateOnDisk(dir, memory -> runReportingSeed(sql, 0x5eedd15cL, 5));
  }

  /** Runs {@code body} with a memory budget of zero, so every join's state lives in a disk store in {@code dir}. */
  private static void withStateOnDisk(Path dir, java.util.function.Consumer<StateMemory> body) {
    StateMemory memory = new StateMemory(0, dir, 1);
    StateMemory previous = StateMemory.install(memory);
    try {
      body.accept(memory);
    } finally {
      StateMemory.install(previous);
      memory.close();
    }
  }

  /** {@link #run} with this variant's seed ({@code salt}), named in any failure so that it can be replayed. */
  private static void runReportingSeed(String sql, long salt, int checkpointEvery) {
    long seed = BASE_SEED ^ sql.hashCode() ^ salt;
    try {
      run(sql, seed, checkpointEvery);
    } catch (AssertionError | RuntimeException e) {
      throw new AssertionError("seed " + seed + " (set -Ddeltaview.seed=" + BASE_SEED + "), view: " + sql
          + ": " + e.getMessage(), e);
    }
  }

  /** {@code checkpointEvery}: 0 for never, else restore a copy from a checkpoint every that many transactions. */
  private static void run(String sql, long seed, int checkpointEvery) {
    Random random = new Random(seed);
    RelNode plan = io.deltaview.engine.dataflow.PlanNormalizer.normalize(SqlFixture.plan(sql));
    ViewPipeline pipeline = ViewCompiler.compile(plan);
    ViewPipeline original = checkpointEvery > 0 ? ViewCompiler.compile(plan) : null;
    Map<String, Map<Long, Row>> tables = new LinkedHashMap<>();
    for (String t : List.of("customers", "orders", "order_lines")) {
      tables.put(t, new LinkedHashMap<>());
    }
    ZSet accumulated = new ZSet();
    long nextId = 1;
    int maxRows = 0;
    StateImage image = null;
    for (int tx = 0; tx < TRANSACTIONS; tx++) {
      Map<String, ZSet> changes = new HashMap<>();
      int n = tx == 0 ? 20 : 1 + random.nextInt(6);
      for (int c = 0; c < n; c++) {
        String table = List.copyOf(tables.keySet()).get(random.nextInt(3));
        Map<Long, Row> rows = tables.get(table);
        ZSet delta = changes.computeIfAbsent(table, k -> new ZSet());
        int op = rows.size() < 3 ? 0 : random.nextInt(10);
        if (op < 4 || rows.size() < 3) { // insert
          // small key ranges for customers and orders, so that joins and groups match often
          long id = table.equals("customers") ? 1 + random.nextInt(10)
              : table.equals("orders") ? 1 + random.nextInt(20) : nextId++;
          if (rows.containsKey(id)) {
            continue;
          }
          Row row = randomRow(table, id, random);
          rows.put(id, row);
          delta.add(row, 1);
        } else {
          List<Long> ids = new ArrayList<>(rows.keySet());
          long id = ids.get(random.nextInt(ids.size()));
          Row old = rows.remove(id);
          delta.add(old, -1);
          if (op < 8) { // update: sometimes only one column changes
            Row updated = random.nextBoolean() ? randomRow(table, id, random) : tweak(table, old, random);
            rows.put(id, updated);
            delta.add(updated, 1);
          }
        }
      }
      Map<Integer, ZSet> bySource = new HashMap<>();
      for (int s = 0; s < pipeline.sourceTables().size(); s++) {
        List<String> name = pipeline.sourceTables().get(s);
        ZSet d = changes.get(name.get(name.size() - 1));
        if (d != null) {
          bySource.put(s, d);
        }
      }
      ZSet step = pipeline.onChanges(bySource);
      if (image != null) {
        // Taken before this step, written only now (as the checkpoint writer does, while the apply thread goes
        // on): nothing the step changed, in the heap or in the spill store, may be in it.
        ViewPipeline restored = restore(plan, image);
        image = null;
        assertEquals(step, restored.onChanges(bySource), "restored vs the pipeline it was taken from, transaction " + tx);
        pipeline.releaseBudget();
        pipeline = restored;
      }
      accumulated.addAll(step);
      if (original != null) {
        assertEquals(original.onChanges(bySource), step, "restored vs original output, transaction " + tx);
        if (tx % checkpointEvery == checkpointEvery - 1) {
          StateOutput out = PipelineState.write(pipeline);
          assertTrue(out != null, "not checkpointable");
          image = out.image();
        }
      }

      Map<String, List<Row>> current = new HashMap<>();
      tables.forEach((t, rows) -> current.put(t, new ArrayList<>(rows.values())));
      ZSet expected = new NaiveEvaluator(plan, current).evaluate(plan);
      assertEquals(expected, accumulated, "after transaction " + tx);
      maxRows = Math.max(maxRows, accumulated.size());
      assertTrue(accumulated.isPositive(), "negative weight after transaction " + tx);
    }
    if (image != null) {
      image.release();
    }
    System.out.println(sql + " -> at most " + maxRows + " rows, " + accumulated.size() + " at the end");
  }

  /** Streams {@code image} part by part, as the checkpoint writer does, and reads it into a fresh pipeline. */
  private static ViewPipeline restore(RelNode plan, StateImage image) {
    List<byte[]> parts = new ArrayList<>();
    StateOutput stream = new StateOutput(parts::add);
    image.writeTo(stream);
    stream.close();
    assertEquals(parts.size(), stream.parts());
    java.util.Iterator<byte[]> it = parts.iterator();
    StateInput in = new StateInput(() -> it.hasNext() ? it.next() : null);
    ViewPipeline restored = ViewCompiler.compile(plan);
    PipelineState.read(restored, in);
    assertEquals(stream.checksum(), in.checksum(), "checksum of the parts read");
    assertEquals(stream.size(), in.size(), "bytes read");
    return restored;
  }

  private static <T> T pick(T[] values, Random random) {
    return values[random.nextInt(values.length)];
  }

  private static Row randomRow(String table, long id, Random random) {
    switch (table) {
      case "customers":
        return Row.of(id, pick(REGIONS, random), pick(NAMES, random));
      case "orders":
        return Row.of(id, random.nextInt(8) == 0 ? null : (long) (1 + random.nextInt(10)),
            random.nextInt(8) == 0 ? null : LocalDateTime.of(2024, 1 + random.nextInt(3), 1 + random.nextInt(28),
                random.nextInt(24), 0),
            pick(STATUSES, random));
      default:
        return Row.of(id, random.nextInt(8) == 0 ? null : (long) (1 + random.nextInt(20)),
            random.nextInt(8) == 0 ? null : (long) random.nextInt(6),
            random.nextInt(8) == 0 ? null : BigDecimal.valueOf(random.nextInt(10000), 2));
    }
  }

  /** Changes one non-key column, so that updates that leave joins and groups alone are exercised too. */
  private static Row tweak(String table, Row old, Random random) {
    Object[] v = old.toArray();
    int col = 1 + random.nextInt(v.length - 1);
    Row fresh = randomRow(table, (Long) v[0], random);
    v[col] = fresh.get(col);
    return Row.wrap(v);
  }
}
