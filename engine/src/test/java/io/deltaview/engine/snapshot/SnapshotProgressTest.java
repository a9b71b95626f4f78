package io.deltaview.engine.snapshot;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Set;
import org.junit.jupiter.api.Test;

class SnapshotProgressTest {

  @Test
  void countsRowsAgainstTheEstimateAndNeverClaimsDoneBeforeTheEnd() {
    SnapshotProgress p = new SnapshotProgress(Set.of("public.v"));
    assertTrue(p.loads("public.v"));
    assertFalse(p.loads("public.w"));
    p.estimate(10_000);
    for (int i = 0; i < 4096; i++) {
      p.rowRead();
    }
    assertEquals(4096, p.rowsRead(), "published every 4096 rows");
    assertEquals(40, p.percent());
    assertTrue(p.describe().startsWith("40% (4096 of about 10000 rows)"), p.describe());
    assertTrue(p.secondsLeft() >= 0, "a rate is known");
    for (int i = 0; i < 10_000; i++) {
      p.rowRead();
    }
    p.tableDone();
    assertEquals(14_096, p.rowsRead());
    assertEquals(99, p.percent(), "the estimate was low: not done until the load ends");
    assertEquals(-1, p.secondsLeft());
    assertTrue(p.describe().endsWith("more rows than estimated"), p.describe());
  }

  @Test
  void withoutAnEstimateOnlyTheRowsReadAreTold() {
    SnapshotProgress p = new SnapshotProgress(Set.of("public.v"));
    p.estimate(-1);
    for (int i = 0; i < 10; i++) {
      p.rowRead();
    }
    p.tableDone();
    assertEquals(-1, p.percent());
    assertEquals(-1, p.secondsLeft());
    assertTrue(p.describe().startsWith("10 rows read"), p.describe());
  }

  @Test
  void aLoadThatStartsOverWithoutAFailedViewCountsAgain() {
    SnapshotProgress p = new SnapshotProgress(Set.of("public.v", "public.w"));
    p.estimate(100);
    for (int i = 0; i < 50; i++) {
      p.rowRead();
    }
    p.tableDone();
    p.restart();
    assertEquals(0, p.rowsRead());
    assertEquals(0, p.percent());
  }
}
