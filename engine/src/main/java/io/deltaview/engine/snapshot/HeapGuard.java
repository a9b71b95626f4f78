package io.deltaview.engine.snapshot;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.lang.management.MemoryUsage;
import java.util.List;

/**
 * Whether the heap is nearly full of live data, so that a load stops growing operator state before the JVM runs
 * out of memory. An {@link OutOfMemoryError} strikes whichever thread allocates next (the apply loop, the
 * replication reader, the application's own threads), so catching it in the loader alone is not enough.
 *
 * <p>It reads what the collector measured after its latest collection of the old generation (the heap pools
 * that support usage thresholds: HotSpot's old generation of every collector), so it costs a few reads per
 * check; only when that says more than {@link #LIMIT} of the pool is in use does it ask for a full collection
 * ({@link System#gc()}) and look again, since the measurement may be from long ago.
 */
final class HeapGuard {

  /** The fraction of the old generation that live data may fill while loading ({@code -Ddeltaview.loadHeapLimit}). */
  static final double LIMIT = Double.parseDouble(System.getProperty("deltaview.loadHeapLimit", "0.8"));

  private static final List<MemoryPoolMXBean> OLD_GENERATION = ManagementFactory.getMemoryPoolMXBeans().stream()
      .filter(p -> p.getType() == MemoryType.HEAP && p.isUsageThresholdSupported()
          && p.isCollectionUsageThresholdSupported())
      .toList();

  private HeapGuard() {
  }

  /** Null while there is room; else how full the old generation is, e.g. "52 MB of 61 MB". */
  static String nearlyFull() {
    if (over() == null) {
      return null;
    }
    System.gc(); // the measurement may be stale (taken before garbage was released): measure afresh
    return over();
  }

  private static String over() {
    for (MemoryPoolMXBean pool : OLD_GENERATION) {
      MemoryUsage after = pool.getCollectionUsage();
      if (after == null) {
        continue;
      }
      long max = after.getMax() > 0 ? after.getMax() : Runtime.getRuntime().maxMemory();
      if (after.getUsed() > LIMIT * max) {
        return (after.getUsed() >> 20) + " MB of " + (max >> 20) + " MB";
      }
    }
    return null;
  }
}
