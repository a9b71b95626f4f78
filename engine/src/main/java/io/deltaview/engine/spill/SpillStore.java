package io.deltaview.engine.spill;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.StandardOpenOption;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Comparator;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;
import java.util.stream.Stream;
import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.Snapshot;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;

/**
 * A RocksDB database in a directory of its own under the configured state directory, shared by every spilled
 * arrangement of this JVM: each arrangement owns the keys that start with its 8-byte prefix. Writes skip
 * RocksDB's write-ahead log, and the directory is deleted when the store is closed, or by the next store opened
 * under the same parent once no JVM holds it (its owner was killed): what is here is a working copy of state whose
 * durable copy is the checkpoint (a restart reads that, or rebuilds).
 *
 * <p>Failures (disk full, I/O errors) come out as {@link SpillException}, which fails the view whose operator
 * was stepping, and only that view.
 */
public final class SpillStore implements AutoCloseable {

  static {
    RocksDB.loadLibrary();
  }

  /** The lock file that marks the directory as in use, held by {@link #owner} until close. */
  private static final String OWNER = "deltaview.owner";

  private final Path directory;
  private final FileChannel owner;
  private final LRUCache cache;
  private final Options options;
  private final WriteOptions writeOptions;
  private final RocksDB db;
  private final AtomicLong prefixes = new AtomicLong();
  /**
   * Every use of the database holds the read lock, closing holds the write lock: RocksDB's handles crash the
   * JVM when used after close, and a dropped index may release its keys (on the cleaner's thread) at any time.
   */
  private final ReadWriteLock lock = new ReentrantReadWriteLock();
  private boolean closed;

  private SpillStore(Path directory, long cacheBytes, FileChannel owner) throws RocksDBException {
    this.directory = directory;
    this.owner = owner;
    this.cache = new LRUCache(cacheBytes);
    // Bloom filters (most probes of a join's other side, and every first add of a key, find nothing) and
    // indexes stay in memory, outside the block cache: evicted, each probe would read them from disk again.
    BlockBasedTableConfig table = new BlockBasedTableConfig()
        .setBlockCache(cache)
        .setFilterPolicy(new BloomFilter(10, false))
        .setCacheIndexAndFilterBlocks(false);
    this.options = new Options()
        .setCreateIfMissing(true)
        .setTableFormatConfig(table)
        .setWriteBufferSize(32L << 20)
        .setMaxWriteBufferNumber(3)
        .setMaxBackgroundJobs(2);
    this.writeOptions = new WriteOptions().setDisableWAL(true);
    this.db = RocksDB.open(options, directory.toString());
  }

  /**
   * Opens a fresh store in a new directory under {@code parent}.
   *
   * @param cacheBytes off-heap memory for RocksDB's block cache (the memtables take about as much again)
   */
  static SpillStore open(Path parent, long cacheBytes) {
    try {
      Files.createDirectories(parent);
      deleteAbandoned(parent);
      Path dir = Files.createTempDirectory(parent, "spill-");
      FileChannel owner = FileChannel.open(dir.resolve(OWNER), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      try {
        owner.lock(); // held while this JVM runs: the directory is not abandoned
        return new SpillStore(dir, cacheBytes, owner);
      } catch (IOException | RocksDBException | RuntimeException e) {
        owner.close();
        throw e;
      }
    } catch (IOException e) {
      throw new SpillException("cannot create the spill directory under " + parent + ": " + e.getMessage(), e);
    } catch (RocksDBException e) {
      throw new SpillException("cannot open the spill store under " + parent + ": " + e.getMessage(), e);
    }
  }

  /**
   * Deletes the stores under {@code parent} that no running JVM holds (their owner's lock is free: it was killed,
   * or closed without deleting them). Several JVMs may share {@code parent}.
   */
  private static void deleteAbandoned(Path parent) throws IOException {
    try (Stream<Path> dirs = Files.list(parent)) {
      for (Path dir : dirs.filter(d -> d.getFileName().toString().startsWith("spill-")).toList()) {
        Path lockFile = dir.resolve(OWNER);
        // A JVM that is opening its store has created the directory but may not hold the lock yet: a directory
        // a minute old or younger is never taken for abandoned.
        if (Files.getLastModifiedTime(dir).toMillis() > System.currentTimeMillis() - 60_000) {
          continue;
        }
        boolean abandoned;
        try (FileChannel c = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock lock = c.tryLock()) {
          abandoned = lock != null;
        } catch (OverlappingFileLockException heldHere) {
          abandoned = false;
        }
        if (abandoned) {
          deleteTree(dir);
        }
      }
    }
  }

  private static void deleteTree(Path dir) throws IOException {
    try (Stream<Path> files = Files.walk(dir)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  /** A key prefix no other arrangement of this store uses. */
  public long newPrefix() {
    return prefixes.incrementAndGet();
  }

  public byte[] get(byte[] key) {
    open();
    try {
      return db.get(key);
    } catch (RocksDBException e) {
      throw failed("reading", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  public void put(byte[] key, byte[] value) {
    open();
    try {
      db.put(writeOptions, key, value);
    } catch (RocksDBException e) {
      throw failed("writing", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  public void delete(byte[] key) {
    open();
    try {
      db.delete(writeOptions, key);
    } catch (RocksDBException e) {
      throw failed("writing", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** A batch of puts, written at once by {@link Batch#commit()}: for moving a whole arrangement here. */
  public Batch batch() {
    return new Batch();
  }

  /** Puts collected and written together. */
  public final class Batch implements AutoCloseable {
    private final WriteBatch batch = new WriteBatch();

    private Batch() {
    }

    public void put(byte[] key, byte[] value) {
      try {
        batch.put(key, value);
      } catch (RocksDBException e) {
        throw failed("writing", e);
      }
    }

    public int count() {
      return batch.count();
    }

    public void commit() {
      open();
      try {
        db.write(writeOptions, batch);
        batch.clear();
      } catch (RocksDBException e) {
        throw failed("writing", e);
      } finally {
        lock.readLock().unlock();
      }
    }

    @Override
    public void close() {
      batch.close();
    }
  }

  /** Every key and value whose key starts with {@code prefix}, in key order. */
  public void forEach(byte[] prefix, BiConsumer<byte[], byte[]> action) {
    open();
    try (RocksIterator it = db.newIterator()) {
      scan(it, prefix, action);
    } catch (RocksDBException e) {
      throw failed("reading", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /**
   * What the store holds now, unchanged by later writes and deletes: for writing a checkpoint of spilled state
   * on another thread while the apply thread goes on. Cheap to take (no copy); the store keeps what it shows
   * until it is closed, so close it as soon as it has been read.
   */
  public View view() {
    open();
    try {
      return new View(db.getSnapshot());
    } finally {
      lock.readLock().unlock();
    }
  }

  /** The store as of one moment (a RocksDB snapshot); reading it from any thread is safe. */
  public final class View implements AutoCloseable {
    private Snapshot snapshot;

    private View(Snapshot snapshot) {
      this.snapshot = snapshot;
    }

    /** Every key and value whose key starts with {@code prefix} at that moment, in key order. */
    public void forEach(byte[] prefix, BiConsumer<byte[], byte[]> action) {
      open();
      try {
        Snapshot s = snapshot;
        if (s == null) {
          throw new IllegalStateException("this view of the spill store was closed");
        }
        try (ReadOptions read = new ReadOptions().setSnapshot(s).setFillCache(false);
             RocksIterator it = db.newIterator(read)) {
          scan(it, prefix, action);
        }
      } catch (RocksDBException e) {
        throw failed("reading", e);
      } finally {
        lock.readLock().unlock();
      }
    }

    /** Lets the store drop what only this view still shows; idempotent, and harmless once the store is closed. */
    @Override
    public synchronized void close() {
      Snapshot s = snapshot;
      snapshot = null;
      if (s == null) {
        return;
      }
      lock.readLock().lock();
      try {
        if (!closed) {
          db.releaseSnapshot(s); // a closed database has released its snapshots with it
        }
      } finally {
        lock.readLock().unlock();
      }
    }
  }

  /** Deletes every key that starts with {@code prefix} (an arrangement that is gone). */
  public void deletePrefix(byte[] prefix) {
    // the prefixes have a fixed length, so [prefix, prefix + 1) holds exactly that arrangement's keys
    byte[] upper = prefix.clone();
    for (int i = upper.length - 1; i >= 0; i--) {
      if (++upper[i] != 0) {
        break;
      }
    }
    open();
    try {
      db.deleteRange(writeOptions, prefix, upper);
    } catch (RocksDBException e) {
      throw failed("deleting", e);
    } finally {
      lock.readLock().unlock();
    }
  }

  /** Hands {@code action} every key and value of {@code it} that starts with {@code prefix}, in key order. */
  private static void scan(RocksIterator it, byte[] prefix, BiConsumer<byte[], byte[]> action)
      throws RocksDBException {
    for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
      action.accept(it.key(), it.value());
    }
    it.status();
  }

  private static boolean startsWith(byte[] key, byte[] prefix) {
    return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
  }

  private SpillException failed(String what, RocksDBException e) {
    return new SpillException(what + " operator state spilled to " + directory + " failed: " + e.getMessage(), e);
  }

  /** Takes the read lock, or throws if the store is closed. */
  private void open() {
    lock.readLock().lock();
    if (closed) {
      lock.readLock().unlock();
      throw new SpillException("the spill store in " + directory + " is closed", null);
    }
  }

  @Override
  public void close() {
    lock.writeLock().lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      db.close();
      writeOptions.close();
      options.close();
      cache.close();
    } finally {
      lock.writeLock().unlock();
    }
    try {
      owner.close();
      deleteTree(directory);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
