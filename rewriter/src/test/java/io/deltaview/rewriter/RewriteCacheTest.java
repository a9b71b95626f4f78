package io.deltaview.rewriter;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.lang.management.ManagementFactory;
import org.junit.jupiter.api.Test;

/** The driver's per-query path: a repeated SQL string must be a plain cache hit. */
class RewriteCacheTest {
  @Test
  void cacheHitDoesNotAllocate() {
    QueryRewriter rewriter = QueryRewriter.create(TestCatalog.withResultTables(), TestViews.all());
    String sql = "SELECT id FROM orders WHERE status = 'paid' AND customer_id = ?";
    rewriter.rewrite(sql);
    com.sun.management.ThreadMXBean threads =
        (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
    long id = Thread.currentThread().getId();
    for (int i = 0; i < 20_000; i++) {
      rewriter.rewrite(sql); // warm up
    }
    long before = threads.getThreadAllocatedBytes(id);
    for (int i = 0; i < 100_000; i++) {
      rewriter.rewrite(sql);
    }
    long allocated = threads.getThreadAllocatedBytes(id) - before;
    // Allow a little noise from the measurement itself; one object per hit would be >= 1.6 MB.
    assertTrue(allocated < 64 * 1024, "allocated " + allocated + " bytes for 100k hits");
  }
}
