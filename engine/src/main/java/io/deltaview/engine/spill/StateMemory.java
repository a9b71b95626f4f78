package io.deltaview.engine.spill;

import io.deltaview.engine.row.Row;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The memory budget for operator state in this JVM ({@code deltaview.engine.memory}, e.g. {@code 512m}; by
 * default half the maximum heap), and where state beyond it goes ({@code deltaview.engine.stateDir}, by default
 * {@code java.io.tmpdir}/deltaview-state, with a block cache of {@code deltaview.engine.spillCache}, 64 MB, off
 * the heap).
 *
 * <p>Arrangements (a join's index of one side) report their estimated heap bytes through an {@link Account}
 * every {@link #checkEvery()} rows they take in; when the total is over the budget, an arrangement that holds a
 * sizeable share of it ({@code 1/16}) moves itself to disk. Each arrangement moves only itself, on the thread
 * that steps it, so no lock is taken and no other view's operator is touched. The estimate is coarse (rows
 * sampled for their size) and errs high; it is a budget for the engine's largest structures, not a heap limit.
 *
 * <p>Spilling needs RocksDB ({@code org.rocksdb:rocksdbjni}, linux64) on the class path; without it the budget
 * only makes the state report itself, and a load that fills the heap fails as before.
 */
public final class StateMemory {

  private static final System.Logger LOG = System.getLogger(StateMemory.class.getName());
  private static volatile StateMemory global = fromSystemProperties();

  private final long limit;
  private final Path directory;
  private final int checkEvery;
  private final long cacheBytes;
  private final AtomicLong used = new AtomicLong();
  private final AtomicLong spilled = new AtomicLong();
  private final AtomicLong spilledBytes = new AtomicLong();
  private SpillStore store;
  private String unavailable;

  /**
   * @param limit the budget in bytes
   * @param directory where the spill store is created
   * @param checkEvery how many rows an arrangement takes in between two reports
   */
  public StateMemory(long limit, Path directory, int checkEvery) {
    this(limit, directory, checkEvery, 64L << 20);
  }

  /** @param cacheBytes RocksDB's block cache, off the heap (its memtables take up to 96 MB more) */
  public StateMemory(long limit, Path directory, int checkEvery, long cacheBytes) {
    this.cacheBytes = cacheBytes;
    this.limit = limit;
    this.directory = directory;
    this.checkEvery = Math.max(1, checkEvery);
  }

  /** The budget operators use. */
  public static StateMemory global() {
    return global;
  }

  /** Replaces the budget operators created from now on use (tests, embedders); returns the previous one. */
  public static StateMemory install(StateMemory memory) {
    StateMemory previous = global;
    global = memory;
    return previous;
  }

  /** The settings of the system properties; a size that does not parse is logged and the default used. */
  static StateMemory fromSystemProperties() {
    long limit = size("deltaview.engine.memory", Runtime.getRuntime().maxMemory() / 2);
    String dir = System.getProperty("deltaview.engine.stateDir");
    Path directory = dir != null ? Path.of(dir) : Path.of(System.getProperty("java.io.tmpdir"), "deltaview-state");
    return new StateMemory(limit, directory, 4096, size("deltaview.engine.spillCache", 64L << 20));
  }

  private static long size(String property, long otherwise) {
    String value = System.getProperty(property);
    if (value == null) {
      return otherwise;
    }
    try {
      return parseSize(value);
    } catch (IllegalArgumentException e) {
      LOG.log(System.Logger.Level.WARNING, "Deltaview: " + property + " must be a size such as 512m or 2g, not "
          + value + "; using " + (otherwise >> 20) + "m");
      return otherwise;
    }
  }

  /** {@code 123}, {@code 64k}, {@code 512m}, {@code 2g} (case-insensitive) as bytes. */
  static long parseSize(String text) {
    String t = text.trim().toLowerCase(Locale.ROOT);
    long unit = 1;
    if (t.endsWith("k") || t.endsWith("m") || t.endsWith("g")) {
      unit = switch (t.charAt(t.length() - 1)) {
        case 'k' -> 1L << 10;
        case 'm' -> 1L << 20;
        default -> 1L << 30;
      };
      t = t.substring(0, t.length() - 1);
    }
    try {
      long n = Long.parseLong(t);
      if (n < 0) {
        throw new NumberFormatException();
      }
      return Math.multiplyExact(n, unit);
    } catch (NumberFormatException | ArithmeticException e) {
      throw new IllegalArgumentException("not a size: " + text);
    }
  }

  public long limit() {
    return limit;
  }

  /** The estimated heap bytes of the arrangements kept in memory. */
  public long used() {
    return used.get();
  }

  /** How many arrangements moved to disk since the start. */
  public long spilledArrangements() {
    return spilled.get();
  }

  /** The estimated heap bytes of the arrangements when they moved to disk, summed. */
  public long spilledBytes() {
    return spilledBytes.get();
  }

  /** How many rows an arrangement takes in between two reports. */
  public int checkEvery() {
    return checkEvery;
  }

  /** A new arrangement's account. */
  public Account open() {
    return new Account();
  }

  /** Whether an arrangement of {@code bytes} should move to disk now. */
  public boolean shouldSpill(long bytes) {
    return used.get() > limit && bytes >= limit / 16 && bytes > 0;
  }

  /** The spill store, opened on first use; null (logged once) when spilling is not possible here. */
  public synchronized SpillStore store() {
    if (store == null && unavailable == null) {
      try {
        store = SpillStore.open(directory, cacheBytes);
        LOG.log(System.Logger.Level.INFO, "Deltaview: operator state beyond the memory budget ("
            + (limit >> 20) + " MB, deltaview.engine.memory) moves to " + directory);
      } catch (LinkageError e) {
        unavailable = "RocksDB (org.rocksdb:rocksdbjni) is not on the class path or cannot load here: " + e;
      } catch (SpillException e) {
        unavailable = e.getMessage();
      }
      if (unavailable != null) {
        LOG.log(System.Logger.Level.WARNING, "Deltaview: operator state is over its memory budget ("
            + (limit >> 20) + " MB) but cannot move to disk: " + unavailable);
      }
    }
    return store;
  }

  /** An arrangement of about {@code bytes} moved to disk. */
  public void spilled(long bytes) {
    spilled.incrementAndGet();
    spilledBytes.addAndGet(bytes);
    LOG.log(System.Logger.Level.INFO, "Deltaview: a join's state of about " + (bytes >> 20) + " MB moved to disk"
        + " (operator state is over deltaview.engine.memory, " + (limit >> 20) + " MB)");
  }

  /** Closes the spill store (deleting its files); arrangements still on it must not be used afterwards. */
  public synchronized void close() {
    if (store != null) {
      store.close();
      store = null;
    }
  }

  /** One arrangement's share of the budget. */
  public final class Account {
    private volatile long reported;

    private Account() {
    }

    /** This arrangement now holds about {@code bytes} of heap. */
    public void report(long bytes) {
      used.addAndGet(bytes - reported);
      reported = bytes;
    }

    /** Releases this arrangement's share (it moved to disk or is gone). */
    public void release() {
      report(0);
    }

    public StateMemory memory() {
      return StateMemory.this;
    }
  }

  /**
   * An estimate of the heap a row takes: its object and array, and each value by class (a string by its
   * length). Coarse by design: it decides when to move state to disk, nothing else.
   */
  public static long estimate(Row row) {
    int n = row.size();
    long bytes = 16 + 16 + 4L * n;
    for (int i = 0; i < n; i++) {
      Object v = row.get(i);
      if (v == null) {
        continue;
      }
      if (v instanceof String s) {
        bytes += 40 + s.length();
      } else if (v instanceof BigDecimal d) {
        bytes += d.precision() > 18 ? 72 + d.precision() / 2 : 40;
      } else if (v instanceof byte[] b) {
        bytes += 16 + b.length;
      } else {
        bytes += 24; // boxed numbers, booleans, dates and times
      }
    }
    return bytes;
  }
}
