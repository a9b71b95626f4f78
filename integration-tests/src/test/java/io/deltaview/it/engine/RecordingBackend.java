package io.deltaview.it.engine;

import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.backend.ViewBackend;
import io.deltaview.engine.ddl.Requester;
import java.sql.SQLException;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A view backend that keeps no views and records, per database, how often the engine told it that this process
 * began and stopped maintaining: what a backend running jobs of its own (Flink) relies on to run them in
 * exactly one process. Found by the engine through {@link java.util.ServiceLoader} in every test JVM.
 */
public final class RecordingBackend implements ViewBackend {

  private static final Map<String, AtomicInteger> RESUMES = new ConcurrentHashMap<>();
  private static final Map<String, AtomicInteger> CLOSES = new ConcurrentHashMap<>();

  /** Times this JVM's engine of {@code database} began maintaining (and resumed this backend's views). */
  static int resumes(String database) {
    return RESUMES.computeIfAbsent(database, d -> new AtomicInteger()).get();
  }

  /** Times it stopped maintaining them here. */
  static int closes(String database) {
    return CLOSES.computeIfAbsent(database, d -> new AtomicInteger()).get();
  }

  @Override
  public String name() {
    return "recording";
  }

  @Override
  public boolean create(EngineConfig database, Requester requester, String schema, String name,
      String canonicalDefinition, boolean ifNotExists) throws SQLException {
    throw new SQLException("the recording backend keeps no views", "0A000");
  }

  @Override
  public boolean drop(EngineConfig database, Requester requester, String schema, String name) {
    return false;
  }

  @Override
  public void resume(EngineConfig database) {
    RESUMES.computeIfAbsent(database.database(), d -> new AtomicInteger()).incrementAndGet();
  }

  @Override
  public void close(EngineConfig database) {
    CLOSES.computeIfAbsent(database.database(), d -> new AtomicInteger()).incrementAndGet();
  }
}
