package io.deltaview.rewriter;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
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

  @Test
  void aTextOfAKnownShapeIsCachedByItsTextWhenItComesAgain() {
    QueryRewriter rewriter = QueryRewriter.create(TestCatalog.withResultTables(), TestViews.all());
    rewriter.rewrite("SELECT id, amount FROM orders WHERE status = 'paid' AND customer_id = 1");
    String sql = "SELECT id, amount FROM orders WHERE status = 'paid' AND customer_id = 2";
    assertSame(ShapeDecisions.Sharing.TEMPLATE, rewriter.sharing(sql));
    RewriteDecision first = rewriter.rewrite(sql);
    assertTrue(first.rewritten(), first.toString());
    assertFalse(rewriter.cachedByText(sql), "served from its shape, not kept by its text at the first sighting");
    RewriteDecision second = rewriter.rewrite(sql);
    assertEquals(first, second);
    assertTrue(rewriter.cachedByText(sql), "kept by its text at the second");
    assertSame(second, rewriter.rewrite(sql));
  }
}
