package io.deltaview.engine.compile;

import static io.deltaview.engine.compile.View.r;

import io.deltaview.engine.operator.ZSet;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

/** Rough timing of an initial snapshot of about 1M rows; run with -Ddeltaview.perf=true. */
@EnabledIfSystemProperty(named = "deltaview.perf", matches = "true")
class SnapshotLoadPerfTest {

  private static final LocalDateTime T = LocalDateTime.of(2024, 1, 1, 0, 0);

  @Test
  void millionRowSnapshot() {
    ZSet customers = new ZSet(100_000);
    ZSet orders = new ZSet(300_000);
    ZSet lines = new ZSet(1_000_000);
    for (long i = 0; i < 100_000; i++) {
      customers.add(r(i, "r" + (i % 50), "c" + i), 1);
    }
    for (long i = 0; i < 300_000; i++) {
      orders.add(r(i, i % 100_000, T.plusHours(i % 5000), i % 3 == 0 ? "new" : "paid"), 1);
    }
    for (long i = 0; i < 1_000_000; i++) {
      lines.add(r(i, i % 300_000, i % 7, BigDecimal.valueOf(i % 10_000, 2)), 1);
    }
    for (String sql : new String[] {
        "select order_id, count(*), sum(qty), avg(price), max(price) from order_lines group by order_id",
        "select c.region, count(*), sum(ol.qty * ol.price) from customers c join orders o on o.customer_id = c.id"
            + " join order_lines ol on ol.order_id = o.id group by c.region",
        "select o.id, ol.qty from orders o join order_lines ol on ol.order_id = o.id where o.status = 'new'"}) {
      View v = new View(sql);
      long t0 = System.nanoTime();
      ZSet out = v.tx("customers", customers, "orders", orders, "order_lines", lines);
      long t1 = System.nanoTime();
      // then one small transaction
      ZSet small = v.tx("order_lines", ZSet.of(r(5L, 5L, 5L, BigDecimal.valueOf(5, 2)), -1));
      long t2 = System.nanoTime();
      System.out.printf("%s%n  snapshot %d ms -> %d rows; one delete %d us -> %d rows%n", sql,
          (t1 - t0) / 1_000_000, out.size(), (t2 - t1) / 1_000, small.size());
    }
  }
}
