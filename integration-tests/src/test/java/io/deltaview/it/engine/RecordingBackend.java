package io.deltaview.it.engine;

import io.deltaview.engine.EngineConfig;
import io.deltaview.engine.backend.ViewBackend;
import io.deltaview.engine.catalog.BackendViews;
import io.deltaview.engine.catalog.ViewRecord;
import io.deltaview.engine.catalog.ViewState;
import io.deltaview.engine.ddl.Requester;
import io.deltaview.engine.ddl.ResultTables;
import io.deltaview.engine.view.ViewCompilation;
import io.deltaview.sql.SqlIdentifiers;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A view backend for tests, {@code WITH (engine = 'recording')}: it fills a view's result table once, when the view
 * is created, and never maintains it (so a test can tell an answer served from the table from one computed afresh),
 * and records, per database, how often the engine told it that this process began and stopped maintaining: what a
 * backend running jobs of its own (Flink) relies on to run them in exactly one process. A view whose name ends in
 * {@code _refused} is refused after its table was made, as a backend failing halfway would be. Found by the
 * engine through {@link java.util.ServiceLoader} in every test JVM.
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
  public void create(EngineConfig database, Requester requester, ViewRecord view) throws SQLException {
    String table = SqlIdentifiers.quote(view.schema(), view.name());
    try (Connection c = DriverManager.getConnection(database.pgUrl(), database.properties());
         Statement s = c.createStatement()) {
      c.setAutoCommit(false);
      ViewCompilation.setSearchPath(c, view.searchPath());
      s.execute("CREATE TABLE " + table + " AS " + view.definition());
      c.commit();
      c.setAutoCommit(true);
      ResultTables.restrictToReading(c, table, requester.role());
      if (view.name().endsWith("_refused")) {
        s.execute("DROP TABLE " + table);
        throw new SQLException("the recording backend refuses view " + view.qualifiedName(), "0A000");
      }
      BackendViews.updateStatus(c, view.schema(), view.name(), ViewState.READY, null);
    }
  }

  @Override
  public void drop(EngineConfig database, ViewRecord view) throws SQLException {
    try (Connection c = DriverManager.getConnection(database.pgUrl(), database.properties());
         Statement s = c.createStatement()) {
      s.execute("DROP TABLE IF EXISTS " + SqlIdentifiers.quote(view.schema(), view.name()));
    }
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
